//! Per-call context handed to adapters: the caller's deadline bounds every outbound call.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct CallContext {
    /// When the caller stops waiting (from the gRPC deadline), if it set one.
    pub deadline: Option<Instant>,
    /// Correlates payorch's logs with the provider's (sent where the provider accepts one).
    pub request_id: String,
}

impl CallContext {
    pub fn new(request_id: impl Into<String>, timeout: Option<Duration>) -> Self {
        Self {
            deadline: timeout.map(|t| Instant::now() + t),
            request_id: request_id.into(),
        }
    }

    /// Time left before the deadline, or `None` when there is no deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}
