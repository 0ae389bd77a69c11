//! One OTP challenge as NPCI runs it: a random code, a validity window, a budget of
//! wrong attempts and a budget of resends. A resend replaces the code, so the previous
//! one stops working at once.
//!
//! Pure logic over an explicit `now`, so the rules are testable without sleeping.

use std::time::{Duration, Instant};

use rand::Rng;

use super::codes::NpciCode;

/// Per-provider OTP rules (the seeds give the defaults; NPCI publishes no fixed numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// How long a code stays valid after it is sent.
    pub validity: Duration,
    /// Wrong codes tolerated; the attempt that reaches this number exhausts the challenge (452).
    pub max_attempts: u32,
    /// Resends allowed after the first send; one more is refused (453).
    pub max_resends: u32,
}

impl OtpPolicy {
    pub const fn new(validity_minutes: u64, max_attempts: u32, max_resends: u32) -> Self {
        Self {
            validity: Duration::from_secs(validity_minutes * 60),
            max_attempts,
            max_resends,
        }
    }

    /// Whole minutes of validity, as providers report it (rounded up, at least 0).
    pub fn validity_minutes(&self) -> u64 {
        self.validity.as_secs().div_ceil(60)
    }
}

/// What a verification attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    Success,
    /// Wrong code; this many attempts remain.
    Invalid {
        remaining: u32,
    },
    Expired,
    /// The wrong code that used the last attempt, or any try afterwards.
    Exhausted,
}

impl Verify {
    pub fn code(self) -> NpciCode {
        match self {
            Verify::Success => NpciCode::Success,
            Verify::Invalid { .. } => NpciCode::InvalidOtp,
            Verify::Expired => NpciCode::ExpiredOtp,
            Verify::Exhausted => NpciCode::AttemptsExhausted,
        }
    }
}

/// What a resend request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// A new code was sent; this many resends remain.
    Sent {
        remaining: u32,
    },
    LimitReached,
}

/// The live state of one challenge.
#[derive(Debug, Clone)]
pub struct OtpChallenge {
    policy: OtpPolicy,
    code: String,
    expires_at: Instant,
    attempts_used: u32,
    sends: u32,
    exhausted: bool,
}

impl OtpChallenge {
    /// Sends the first code. `fixed` replaces the random code (load tests).
    pub fn issue(policy: OtpPolicy, fixed: Option<&str>, now: Instant) -> Self {
        Self {
            policy,
            code: new_code(fixed),
            expires_at: now + policy.validity,
            attempts_used: 0,
            sends: 1,
            exhausted: false,
        }
    }

    /// The code the payer's phone currently shows.
    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn policy(&self) -> OtpPolicy {
        self.policy
    }

    pub fn attempts_used(&self) -> u32 {
        self.attempts_used
    }

    pub fn attempts_remaining(&self) -> u32 {
        self.policy.max_attempts.saturating_sub(self.attempts_used)
    }

    /// Codes sent so far, the first one included.
    pub fn times_sent(&self) -> u32 {
        self.sends
    }

    pub fn resends_remaining(&self) -> u32 {
        self.policy.max_resends.saturating_sub(self.sends - 1)
    }

    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    pub fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// Makes the current code expire now (test hook).
    pub fn expire(&mut self, now: Instant) {
        self.expires_at = now;
    }

    /// Checks a code typed by the payer.
    pub fn verify(&mut self, answer: &str, now: Instant) -> Verify {
        if self.exhausted {
            return Verify::Exhausted;
        }
        if now >= self.expires_at {
            return Verify::Expired;
        }
        if constant_time_eq(answer.as_bytes(), self.code.as_bytes()) {
            return Verify::Success;
        }
        self.attempts_used += 1;
        if self.attempts_used >= self.policy.max_attempts {
            self.exhausted = true;
            Verify::Exhausted
        } else {
            Verify::Invalid {
                remaining: self.attempts_remaining(),
            }
        }
    }

    /// Sends a new code, invalidating the old one, within the resend budget.
    pub fn resend(&mut self, fixed: Option<&str>, now: Instant) -> Resend {
        if self.exhausted || self.sends > self.policy.max_resends {
            return Resend::LimitReached;
        }
        self.sends += 1;
        self.code = new_code(fixed);
        self.expires_at = now + self.policy.validity;
        Resend::Sent {
            remaining: self.resends_remaining(),
        }
    }
}

fn new_code(fixed: Option<&str>) -> String {
    match fixed {
        Some(code) => code.to_owned(),
        None => format!("{:06}", rand::rng().random_range(0..1_000_000u32)),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: OtpPolicy = OtpPolicy::new(5, 3, 2);

    #[test]
    fn random_codes_are_six_digits() {
        let now = Instant::now();
        for _ in 0..100 {
            let c = OtpChallenge::issue(POLICY, None, now);
            assert_eq!(c.code().len(), 6);
            assert!(c.code().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn right_code_succeeds_after_wrong_ones() {
        let now = Instant::now();
        let mut c = OtpChallenge::issue(POLICY, Some("111111"), now);
        assert_eq!(c.verify("000000", now), Verify::Invalid { remaining: 2 });
        assert_eq!(c.verify("111111", now), Verify::Success);
    }

    #[test]
    fn last_wrong_attempt_exhausts() {
        let now = Instant::now();
        let mut c = OtpChallenge::issue(POLICY, Some("111111"), now);
        assert_eq!(c.verify("1", now), Verify::Invalid { remaining: 2 });
        assert_eq!(c.verify("2", now), Verify::Invalid { remaining: 1 });
        assert_eq!(c.verify("3", now), Verify::Exhausted);
        assert_eq!(c.verify("111111", now), Verify::Exhausted);
    }

    #[test]
    fn expired_code_is_refused() {
        let now = Instant::now();
        let mut c = OtpChallenge::issue(POLICY, Some("111111"), now);
        assert_eq!(
            c.verify("111111", now + Duration::from_secs(301)),
            Verify::Expired
        );
    }

    #[test]
    fn resend_invalidates_old_code_and_is_limited() {
        let now = Instant::now();
        let mut c = OtpChallenge::issue(POLICY, None, now);
        let old = c.code().to_owned();
        let mut new = old.clone();
        // Retry until the random code differs, so the assertion below is meaningful.
        while new == old {
            assert!(matches!(c.resend(None, now), Resend::Sent { .. }));
            new = c.code().to_owned();
            if c.resends_remaining() == 0 {
                break;
            }
        }
        if new != old {
            assert!(matches!(c.verify(&old, now), Verify::Invalid { .. }));
        }
        let mut d = OtpChallenge::issue(POLICY, None, now);
        assert_eq!(d.resend(None, now), Resend::Sent { remaining: 1 });
        assert_eq!(d.resend(None, now), Resend::Sent { remaining: 0 });
        assert_eq!(d.resend(None, now), Resend::LimitReached);
        assert_eq!(d.times_sent(), 3);
    }

    #[test]
    fn resend_restarts_validity() {
        let now = Instant::now();
        let mut c = OtpChallenge::issue(POLICY, Some("1"), now);
        let later = now + Duration::from_secs(400);
        assert_eq!(c.resend(Some("2"), later), Resend::Sent { remaining: 1 });
        assert_eq!(c.verify("2", later), Verify::Success);
    }
}
