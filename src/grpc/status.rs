//! Turning payorch's errors into gRPC statuses with `google.rpc` details. Messages name
//! fields and causes, never values: no card data, OTP or credential reaches a status.

use payorch_core::error::ValidationError;
use payorch_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::flows::error::{ErrorKind, FlowError};

const DOMAIN: &str = "payorch.dev";

/// INVALID_ARGUMENT with a `BadRequest` listing every offending field.
pub fn invalid_argument(errors: &ValidationError) -> Status {
    let mut details = ErrorDetails::new();
    for violation in &errors.violations {
        details.add_bad_request_violation(violation.field.clone(), violation.description.clone());
    }
    let fields: Vec<&str> = errors.violations.iter().map(|v| v.field.as_str()).collect();
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid request: {}", fields.join(", ")),
        details,
    )
}

/// A status with an `ErrorInfo` reason callers can switch on.
pub fn with_reason(code: Code, reason: &str, message: impl Into<String>) -> Status {
    let details = ErrorDetails::with_error_info(reason, DOMAIN, []);
    Status::with_error_details(code, message, details)
}

pub fn from_store(err: &StoreError) -> Status {
    Status::from(FlowError::from(err))
}

/// A flow's failure as the status callers get: its kind as the code, its reason in an
/// `ErrorInfo`, and for invalid arguments a `BadRequest` naming every field.
impl From<FlowError> for Status {
    fn from(err: FlowError) -> Self {
        if let Some(violations) = &err.violations {
            return invalid_argument(violations);
        }
        let code = match err.kind {
            ErrorKind::InvalidArgument => Code::InvalidArgument,
            ErrorKind::NotFound => Code::NotFound,
            ErrorKind::AlreadyExists => Code::AlreadyExists,
            ErrorKind::FailedPrecondition => Code::FailedPrecondition,
            ErrorKind::Aborted => Code::Aborted,
            ErrorKind::Unavailable => Code::Unavailable,
            ErrorKind::Internal => Code::Internal,
        };
        with_reason(code, err.reason, err.message)
    }
}
