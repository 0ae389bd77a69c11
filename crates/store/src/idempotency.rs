//! Idempotency records: the first request with a key reserves it, later ones with the same
//! request replay its stored response, and the same key with a different request is refused.

/// Which idempotency key, scoped to a merchant (keys of different merchants never collide).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyScope {
    pub merchant_id: String,
    pub key: String,
}

/// SHA-256 of the operation name and the canonical request bytes; compared, never
/// interpreted. Because the operation is in it, a key reused on another RPC is refused.
pub type Fingerprint = [u8; 32];

/// What a reservation attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// The key was free and is now held by the caller, who must complete or abandon it.
    Reserved,
    /// The same request is still being processed elsewhere: tell the caller to retry.
    InProgress,
    /// The same request already finished: replay this response.
    Completed(Vec<u8>),
    /// The key was used with a different request.
    Mismatch,
}
