//! A circuit breaker per merchant connector account, fed by provider outcomes: timeouts,
//! 5xx, connection failures and refused credentials count; a decline or a refusal of the
//! request does not (the provider answered). After `failure_threshold` failures in a row it
//! opens: new calls skip the account for `open_for`; then one probe at a time is let
//! through (half-open), and the first success closes it. Calls continuing a record already
//! on the account are never held back, and their outcomes count too; but while it is open a
//! success does not close it (one part of a provider can answer while another is down: a
//! pending OTP that verifies says nothing about new authentications), only a success once
//! the wait is over does.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BreakerSettings {
    pub failure_threshold: u32,
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    HalfOpen,
    Open,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Open => "open",
        }
    }

    /// The gauge value: 0 closed, 1 half-open, 2 open.
    pub fn level(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    failures_in_a_row: u32,
    opened_at: Option<Instant>,
    probe_at: Option<Instant>,
    times_opened: u64,
}

#[derive(Debug)]
pub struct Breaker {
    settings: BreakerSettings,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self, now: Instant) -> BreakerState {
        let inner = self.inner();
        match inner.opened_at {
            None => BreakerState::Closed,
            Some(at) if now < at + self.settings.open_for => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// How often it has opened since start-up.
    pub fn times_opened(&self) -> u64 {
        self.inner().times_opened
    }

    /// May a new call be routed to this account now? Changes nothing: routing a call that
    /// is then refused, or only asked about (CheckEligibility), takes no probe.
    pub fn admit(&self, now: Instant) -> Result<(), String> {
        self.check(now, false)
    }

    /// The call is about to be sent: half-open, it takes the probe (one per `open_for`, so a
    /// probe whose answer never came does not wedge the breaker); refused when another call
    /// took it first.
    pub fn begin_call(&self, now: Instant) -> Result<(), String> {
        self.check(now, true)
    }

    fn check(&self, now: Instant, take_probe: bool) -> Result<(), String> {
        let mut inner = self.inner();
        let Some(opened_at) = inner.opened_at else {
            return Ok(());
        };
        let open_for = self.settings.open_for;
        if now < opened_at + open_for {
            let left = (opened_at + open_for).saturating_duration_since(now);
            return Err(format!(
                "circuit breaker open after {} failures in a row; next probe in {}s",
                inner.failures_in_a_row,
                left.as_secs().max(1)
            ));
        }
        match inner.probe_at {
            Some(probe) if now < probe + open_for => {
                Err("circuit breaker half-open: its probe call is in flight".into())
            }
            _ => {
                if take_probe {
                    inner.probe_at = Some(now);
                }
                Ok(())
            }
        }
    }

    /// Counts an answer from the provider: closes the breaker unless it is open and its wait
    /// is not over.
    pub fn record_success(&self, now: Instant) {
        let mut inner = self.inner();
        if inner
            .opened_at
            .is_some_and(|at| now < at + self.settings.open_for)
        {
            return;
        }
        inner.failures_in_a_row = 0;
        inner.opened_at = None;
        inner.probe_at = None;
    }

    /// Counts a failure; true when it opened (or re-opened) the breaker. While it is open a
    /// failure leaves its wait as it is (as a success leaves it open): continuing calls
    /// failing on another part of the provider must not keep new calls away for ever. After
    /// the wait, a failure (the probe's) opens it again.
    pub fn record_failure(&self, now: Instant) -> bool {
        let mut inner = self.inner();
        inner.failures_in_a_row = inner.failures_in_a_row.saturating_add(1);
        if inner
            .opened_at
            .is_some_and(|at| now < at + self.settings.open_for)
        {
            return false;
        }
        let opens = inner.opened_at.is_some()
            || inner.failures_in_a_row >= self.settings.failure_threshold.max(1);
        if opens {
            if inner.opened_at.is_none() {
                inner.times_opened += 1;
            }
            inner.opened_at = Some(now);
            inner.probe_at = None;
        }
        opens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(BreakerSettings {
            failure_threshold: 3,
            open_for: Duration::from_secs(10),
        })
    }

    #[test]
    fn opens_after_the_threshold_and_probes_after_the_wait() {
        let b = breaker();
        let t0 = Instant::now();
        assert!(!b.record_failure(t0));
        assert!(!b.record_failure(t0));
        assert_eq!(b.state(t0), BreakerState::Closed);
        assert!(b.record_failure(t0));
        assert_eq!(b.state(t0), BreakerState::Open);
        assert!(b.admit(t0 + Duration::from_secs(5)).is_err());
        let later = t0 + Duration::from_secs(11);
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        assert!(b.admit(later).is_ok(), "routing to it takes no probe");
        assert!(b.admit(later).is_ok());
        assert!(b.begin_call(later).is_ok(), "the first call probes");
        assert!(b.admit(later).is_err(), "one probe at a time");
        assert!(b.begin_call(later).is_err());
        b.record_success(later);
        assert_eq!(b.state(later), BreakerState::Closed);
        assert!(b.admit(later).is_ok());
        assert_eq!(b.times_opened(), 1);
    }

    #[test]
    fn a_failed_probe_opens_it_again() {
        let b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.record_failure(t0);
        }
        let later = t0 + Duration::from_secs(11);
        assert!(b.begin_call(later).is_ok());
        assert!(b.record_failure(later));
        assert_eq!(b.state(later + Duration::from_secs(1)), BreakerState::Open);
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let b = breaker();
        let t0 = Instant::now();
        b.record_failure(t0);
        b.record_failure(t0);
        b.record_success(t0);
        b.record_failure(t0);
        b.record_failure(t0);
        assert_eq!(b.state(t0), BreakerState::Closed);
    }

    #[test]
    fn a_probe_that_never_called_frees_the_next_one() {
        let b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.record_failure(t0);
        }
        let later = t0 + Duration::from_secs(11);
        assert!(b.begin_call(later).is_ok());
        assert!(b.begin_call(later + Duration::from_secs(11)).is_ok());
    }

    #[test]
    fn while_open_a_success_does_not_close_it() {
        let b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.record_failure(t0);
        }
        b.record_success(t0 + Duration::from_secs(5));
        assert_eq!(b.state(t0 + Duration::from_secs(5)), BreakerState::Open);
        assert!(
            !b.record_failure(t0 + Duration::from_secs(9)),
            "a failure while open does not extend the wait"
        );
        let later = t0 + Duration::from_secs(11);
        b.record_success(later);
        assert_eq!(b.state(later), BreakerState::Closed);
    }
}
