//! How long records live.

use std::time::Duration;

use payorch_core::mandate_record::MandateRecord;
use payorch_core::session::AuthenticationSession;

/// Lifetimes of stored records.
#[derive(Debug, Clone)]
pub struct Lifetimes {
    /// Kept after the session's window ends, so late callers still read how it ended
    /// (EXPIRED included).
    pub grace: Duration,
    /// Used while a session has no expiry of its own (before the provider answered).
    pub default_session: Duration,
    /// Completed idempotency records.
    pub idempotency: Duration,
    /// A reservation whose holder died is released after this long.
    pub idempotency_lease: Duration,
    /// Payments, refreshed on every update (captures and refunds come days later).
    pub payment: Duration,
    /// How long after a write leaves a record in doubt the resolver first looks at it.
    pub resolver_first_check: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(24 * 60 * 60),
            default_session: Duration::from_secs(30 * 60),
            idempotency: Duration::from_secs(24 * 60 * 60),
            idempotency_lease: Duration::from_secs(60),
            payment: Duration::from_secs(400 * 24 * 60 * 60),
            resolver_first_check: Duration::from_secs(30),
        }
    }
}

impl Lifetimes {
    /// TTL for a session written at `now_ms`: its own expiry (or the default) plus grace.
    pub fn session_ttl(&self, session: &AuthenticationSession, now_ms: i64) -> Duration {
        let own = session
            .expires_at_ms
            .map(|at| Duration::from_millis(u64::try_from(at - now_ms).unwrap_or(0)))
            .unwrap_or(self.default_session);
        own + self.grace
    }

    /// TTL for a mandate: none while it can still be used (`None`), the payments' retention
    /// once final.
    pub fn mandate_ttl(&self, mandate: &MandateRecord) -> Option<Duration> {
        mandate.status.is_final().then_some(self.payment)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
