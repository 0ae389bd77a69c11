//! OTP-stage awareness: how an account's OTPs fare (sent, resent, expired, exhausted,
//! succeeded). An account whose HTTP answers are all 200 can still be failing its payers
//! (OTPs that never arrive): when the share of its recent OTP authentications that
//! succeeded falls below `min_success_rate`, new authentications avoid it for `cooldown`,
//! after which it starts again with a clean slate.

use std::collections::{HashMap, VecDeque};
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
    /// Ended without an OTP outcome because the provider or the issuer could not carry it
    /// (issuer unavailable, provider error, timed out): an account whose starts all fail
    /// this way must not look "too new to rank".
    Failed,
}

impl OtpStage {
    pub const ALL: [OtpStage; 6] = [
        OtpStage::Sent,
        OtpStage::Resent,
        OtpStage::Expired,
        OtpStage::Exhausted,
        OtpStage::Succeeded,
        OtpStage::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OtpStage::Sent => "sent",
            OtpStage::Resent => "resent",
            OtpStage::Expired => "expired",
            OtpStage::Exhausted => "exhausted",
            OtpStage::Succeeded => "succeeded",
            OtpStage::Failed => "failed",
        }
    }

    /// Whether the stage ends the authentication's OTP, and how.
    fn ended(self) -> Option<bool> {
        match self {
            OtpStage::Succeeded => Some(true),
            OtpStage::Expired | OtpStage::Exhausted | OtpStage::Failed => Some(false),
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
    /// Recent finished OTP authentications by BIN range, for ranked routes.
    by_range: Mutex<HashMap<String, VecDeque<bool>>>,
}

impl OtpHealth {
    pub fn new(settings: OtpHealthSettings) -> Self {
        Self {
            settings,
            inner: Mutex::new(Inner::default()),
            by_range: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a stage of an authentication in `bin_range` (see [`Self::record`]).
    /// A `Failed` stage (the provider or issuer could not carry it) counts for ranking in
    /// its BIN range only, not toward avoiding the account: an issuer's outage fails every
    /// account alike, and must not take them all out of rotation.
    pub fn record_in(&self, bin_range: &str, stage: OtpStage, now: Instant) {
        if let Some(succeeded) = stage.ended() {
            let mut ranges = self.by_range.lock().unwrap_or_else(|p| p.into_inner());
            let recent = ranges.entry(bin_range.to_owned()).or_default();
            recent.push_back(succeeded);
            while recent.len() > self.settings.window.max(1) {
                recent.pop_front();
            }
        }
        if stage != OtpStage::Failed {
            self.record(stage, now);
        }
    }

    /// The share of recent finished OTP authentications in `bin_range` that succeeded, and
    /// how many there were; `None` below `min_samples`.
    pub fn success_in(&self, bin_range: &str) -> Option<(f64, usize)> {
        let ranges = self.by_range.lock().unwrap_or_else(|p| p.into_inner());
        let recent = ranges.get(bin_range)?;
        let samples = recent.len();
        (samples >= self.settings.min_samples.max(1)).then(|| {
            let succeeded = recent.iter().filter(|s| **s).count();
            (succeeded as f64 / samples as f64, samples)
        })
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
    fn success_is_kept_per_bin_range() {
        let health = OtpHealth::new(OtpHealthSettings {
            min_samples: 2,
            ..OtpHealthSettings::default()
        });
        let t0 = Instant::now();
        health.record_in("508500-508999", OtpStage::Succeeded, t0);
        assert_eq!(health.success_in("508500-508999"), None, "one is too few");
        health.record_in("508500-508999", OtpStage::Expired, t0);
        health.record_in("any", OtpStage::Succeeded, t0);
        health.record_in("508500-508999", OtpStage::Sent, t0);
        assert_eq!(health.success_in("508500-508999"), Some((0.5, 2)));
        assert_eq!(health.success_in("any"), None);
    }

    #[test]
    fn failed_starts_rank_but_never_take_the_account_out_of_rotation() {
        let health = OtpHealth::new(OtpHealthSettings {
            min_success_rate: 0.5,
            window: 4,
            min_samples: 2,
            cooldown: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        for _ in 0..4 {
            health.record_in("any", OtpStage::Failed, t0);
        }
        assert_eq!(health.success_in("any"), Some((0.0, 4)));
        assert!(
            health.admit(t0).is_ok(),
            "an issuer outage is not this account's"
        );
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
