//! OTP-stage awareness: how an account's OTPs fare (sent, resent, expired, exhausted,
//! succeeded). An account whose HTTP answers are all 200 can still be failing its payers
//! (OTPs that never arrive): when the share of its recent OTP authentications that
//! succeeded falls below `min_success_rate`, new authentications avoid it for `cooldown`,
//! after which it starts again with a clean slate.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One stage of an OTP authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpStage {
    Sent,
    Resent,
    Expired,
    Exhausted,
    Succeeded,
}

impl OtpStage {
    pub const ALL: [OtpStage; 5] = [
        OtpStage::Sent,
        OtpStage::Resent,
        OtpStage::Expired,
        OtpStage::Exhausted,
        OtpStage::Succeeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OtpStage::Sent => "sent",
            OtpStage::Resent => "resent",
            OtpStage::Expired => "expired",
            OtpStage::Exhausted => "exhausted",
            OtpStage::Succeeded => "succeeded",
        }
    }

    /// Whether the stage ends the authentication's OTP, and how.
    fn ended(self) -> Option<bool> {
        match self {
            OtpStage::Succeeded => Some(true),
            OtpStage::Expired | OtpStage::Exhausted => Some(false),
            OtpStage::Sent | OtpStage::Resent => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OtpHealthSettings {
    /// 0 turns avoidance off (the counters are kept either way).
    pub min_success_rate: f64,
    /// How many of the latest finished OTP authentications the rate is taken over.
    pub window: usize,
    /// Fewer finished ones than this say nothing yet.
    pub min_samples: usize,
    pub cooldown: Duration,
}

impl Default for OtpHealthSettings {
    fn default() -> Self {
        Self {
            min_success_rate: 0.0,
            window: 50,
            min_samples: 20,
            cooldown: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    recent: VecDeque<bool>,
    avoid_until: Option<Instant>,
    collapsed_rate: f64,
}

#[derive(Debug)]
pub struct OtpHealth {
    settings: OtpHealthSettings,
    inner: Mutex<Inner>,
}

impl OtpHealth {
    pub fn new(settings: OtpHealthSettings) -> Self {
        Self {
            settings,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, stage: OtpStage, now: Instant) {
        let Some(succeeded) = stage.ended() else {
            return;
        };
        let settings = &self.settings;
        let mut inner = self.inner();
        inner.recent.push_back(succeeded);
        while inner.recent.len() > settings.window.max(1) {
            inner.recent.pop_front();
        }
        let samples = inner.recent.len();
        if settings.min_success_rate <= 0.0 || samples < settings.min_samples.max(1) {
            return;
        }
        let rate = inner.recent.iter().filter(|s| **s).count() as f64 / samples as f64;
        if rate < settings.min_success_rate {
            inner.avoid_until = Some(now + settings.cooldown);
            inner.collapsed_rate = rate;
            inner.recent.clear();
        }
    }

    /// May a new authentication start on this account now?
    pub fn admit(&self, now: Instant) -> Result<(), String> {
        let inner = self.inner();
        match inner.avoid_until {
            Some(until) if now < until => Err(format!(
                "OTP success collapsed to {:.0}% (below {:.0}%); avoided for {}s more",
                inner.collapsed_rate * 100.0,
                self.settings.min_success_rate * 100.0,
                until.saturating_duration_since(now).as_secs().max(1)
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapsing_otp_success_avoids_the_account_for_the_cooldown() {
        let health = OtpHealth::new(OtpHealthSettings {
            min_success_rate: 0.5,
            window: 4,
            min_samples: 3,
            cooldown: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        health.record(OtpStage::Sent, t0);
        health.record(OtpStage::Succeeded, t0);
        health.record(OtpStage::Expired, t0);
        assert!(health.admit(t0).is_ok(), "too few samples");
        health.record(OtpStage::Exhausted, t0);
        let refusal = health.admit(t0).unwrap_err();
        assert!(refusal.contains("33%"), "{refusal}");
        assert!(health.admit(t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn off_by_default() {
        let health = OtpHealth::new(OtpHealthSettings::default());
        let t0 = Instant::now();
        for _ in 0..100 {
            health.record(OtpStage::Expired, t0);
        }
        assert!(health.admit(t0).is_ok());
    }
}
