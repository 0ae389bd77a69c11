//! How a flow fails, in the API's vocabulary but not its transport: a kind (the gRPC layer
//! maps each to its status code), a stable reason callers switch on, and a message that
//! names causes and fields, never values (no card data, OTP or credential).

use payorch_connector::ConnectorError;
use payorch_core::error::ValidationError;
use payorch_store::StoreError;

/// The class of a failure; each is one gRPC status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Aborted,
    Unavailable,
    Internal,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}: {message}")]
pub struct FlowError {
    pub kind: ErrorKind,
    pub reason: &'static str,
    pub message: String,
    /// For [`ErrorKind::InvalidArgument`]: every offending field.
    pub violations: Option<ValidationError>,
}

impl FlowError {
    pub fn new(kind: ErrorKind, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            reason,
            message: message.into(),
            violations: None,
        }
    }

    pub fn invalid(violations: ValidationError) -> Self {
        let fields: Vec<&str> = violations
            .violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        Self {
            kind: ErrorKind::InvalidArgument,
            reason: "INVALID_ARGUMENT",
            message: format!("invalid request: {}", fields.join(", ")),
            violations: Some(violations),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            "NOT_FOUND",
            format!("{what} not found"),
        )
    }

    /// A step that cannot happen and did (a bug, never the caller's doing).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, "INTERNAL", message)
    }
}

impl From<&StoreError> for FlowError {
    fn from(err: &StoreError) -> Self {
        match err {
            StoreError::NotFound => FlowError::not_found("authentication"),
            StoreError::AlreadyExists => FlowError::new(
                ErrorKind::AlreadyExists,
                "ALREADY_EXISTS",
                "the resource already exists",
            ),
            StoreError::Conflict { .. } => FlowError::new(
                ErrorKind::Aborted,
                "CONCURRENT_MODIFICATION",
                "the resource changed concurrently; read it again and retry",
            ),
            StoreError::IllegalTransition { from, to } => FlowError::new(
                ErrorKind::FailedPrecondition,
                "ILLEGAL_STATE",
                format!("cannot move from {from:?} to {to:?}"),
            ),
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %err, "session store unavailable");
                FlowError::new(
                    ErrorKind::Unavailable,
                    "STORE_UNAVAILABLE",
                    "session store unavailable; retry",
                )
            }
            StoreError::Config(_) => {
                tracing::error!(error = %err, "session store misconfigured");
                FlowError::new(
                    ErrorKind::Internal,
                    "STORE_MISCONFIGURED",
                    "session store misconfigured",
                )
            }
            StoreError::Corrupt(_) => {
                tracing::error!(error = %err, "unreadable session record");
                FlowError::new(
                    ErrorKind::Internal,
                    "STORE_CORRUPT",
                    "stored record unreadable",
                )
            }
        }
    }
}

impl From<StoreError> for FlowError {
    fn from(err: StoreError) -> Self {
        FlowError::from(&err)
    }
}

/// A connector error that is not a normal provider answer.
impl From<&ConnectorError> for FlowError {
    fn from(err: &ConnectorError) -> Self {
        match err {
            ConnectorError::NotSent(_) => FlowError::new(
                ErrorKind::Unavailable,
                "PROVIDER_UNREACHABLE",
                "the provider could not be reached; nothing was sent, retry",
            ),
            ConnectorError::OutcomeUnknown(_) => FlowError::new(
                ErrorKind::Unavailable,
                "PROVIDER_OUTCOME_UNKNOWN",
                "the provider's answer was lost; the record is UNKNOWN, refresh it",
            ),
            ConnectorError::Rejected {
                caller_field: Some(field),
                ..
            } => FlowError::invalid(ValidationError::single(
                field.clone(),
                "refused by the provider",
            )),
            ConnectorError::Rejected { status, .. } => FlowError::new(
                ErrorKind::FailedPrecondition,
                "PROVIDER_REJECTED",
                format!("the provider refused the request ({})", status.code),
            ),
            ConnectorError::Unauthorized(_) => FlowError::new(
                ErrorKind::Unavailable,
                "PROVIDER_CREDENTIALS_REFUSED",
                "the provider refused payorch's credentials; check the connector configuration",
            ),
            ConnectorError::Unsupported(what) => FlowError::new(
                ErrorKind::FailedPrecondition,
                "NOT_SUPPORTED_BY_CONNECTOR",
                format!("not supported by this connector: {what}"),
            ),
            ConnectorError::InvalidState(_) => FlowError::new(
                ErrorKind::Internal,
                "SESSION_STATE_UNUSABLE",
                "the stored record cannot continue this step",
            ),
        }
    }
}

impl From<ConnectorError> for FlowError {
    fn from(err: ConnectorError) -> Self {
        FlowError::from(&err)
    }
}
