//! Errors of the session store. None of them carries card data or secrets.

use payorch_core::status::AuthenticationStatus;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no session with that id")]
    NotFound,
    #[error("a session with that id already exists")]
    AlreadyExists,
    /// Another writer moved the session first (compare-and-set lost).
    #[error("session changed concurrently (now at version {current_version})")]
    Conflict { current_version: u64 },
    #[error("illegal transition from {from:?} to {to:?}")]
    IllegalTransition {
        from: AuthenticationStatus,
        to: AuthenticationStatus,
    },
    /// The backing store cannot be reached; nothing was written.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// The store's settings cannot work (a TLS setting without `rediss://`, a client
    /// certificate without its key, an unparsable URL): fixed by configuration, not by retrying.
    #[error("session store misconfigured: {0}")]
    Config(String),
    /// A stored record could not be read back (schema, encoding or decryption).
    #[error("stored record unreadable: {0}")]
    Corrupt(String),
}

impl From<redis::RedisError> for StoreError {
    fn from(err: redis::RedisError) -> Self {
        // Redis errors never contain our values (only commands' kinds and server replies).
        if err.kind() == redis::ErrorKind::InvalidClientConfig {
            return StoreError::Config(err.to_string());
        }
        StoreError::Unavailable(format!("{:?}: {}", err.kind(), err))
    }
}

impl From<redis::ParsingError> for StoreError {
    fn from(err: redis::ParsingError) -> Self {
        StoreError::Corrupt(format!("unexpected Redis reply: {err}"))
    }
}
