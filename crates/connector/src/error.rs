//! What can go wrong talking to a provider, classified by the one question that matters for
//! money: did the provider possibly act?

use payorch_core::session::ProviderStatus;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The request did not reach the provider (connection refused, deadline already spent):
    /// nothing happened there, the call may be made again.
    #[error("provider not reached: {0}")]
    NotSent(String),
    /// Sent, but no usable answer came back (timeout, dropped connection, 5xx, unreadable
    /// body). The provider may have acted: a state-changing call leaves the resource UNKNOWN
    /// until a status lookup resolves it, and is never repeated blindly.
    #[error("provider outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// The provider refused the request and did nothing. `caller_field` names the API field
    /// (payorch's name) when the refusal was caused by what the caller sent.
    /// Only the provider's code is displayed: its message may echo what was sent.
    #[error("provider refused the request: {}", status.code)]
    Rejected {
        status: ProviderStatus,
        caller_field: Option<String>,
    },
    /// The provider refused payorch's credentials or signature: a configuration problem.
    #[error("provider refused the credentials: {}", .0.code)]
    Unauthorized(ProviderStatus),
    /// This provider does not offer the operation.
    #[error("not supported by this provider: {0}")]
    Unsupported(&'static str),
    /// The stored session lacks what this step needs (e.g. an unreadable connector state).
    #[error("session not usable for this step: {0}")]
    InvalidState(String),
}

impl ConnectorError {
    /// The error of a later call in a step whose earlier call already changed something at
    /// the provider (an order created, an authentication initiated): the step as a whole
    /// may have acted, so "not sent" or "credentials refused" no longer say that nothing
    /// happened, and payorch must not start it again elsewhere.
    pub fn after_provider_acted(self) -> ConnectorError {
        match self {
            ConnectorError::NotSent(_) | ConnectorError::Unauthorized(_) => {
                ConnectorError::OutcomeUnknown(format!("after an earlier call acted: {self}"))
            }
            other => other,
        }
    }

    /// True when the provider may have acted on the request.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, ConnectorError::OutcomeUnknown(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_an_earlier_call_acted_nothing_reads_as_not_sent() {
        let refused = ProviderStatus {
            code: "401".into(),
            message: String::new(),
            raw_status: String::new(),
        };
        for err in [
            ConnectorError::NotSent("connection refused".into()),
            ConnectorError::Unauthorized(refused),
        ] {
            assert!(err.after_provider_acted().outcome_unknown());
        }
        let declined = ConnectorError::Unsupported("x").after_provider_acted();
        assert!(matches!(declined, ConnectorError::Unsupported("x")));
    }
}
