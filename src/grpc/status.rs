//! Turning payorch's errors into gRPC statuses with `google.rpc` details. Messages name
//! fields and causes, never values: no card data, OTP or credential reaches a status.

use payorch_core::error::ValidationError;
use payorch_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

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

/// The RPC exists in the API but its implementation has not landed yet.
pub fn not_yet_implemented(rpc: &str, issue: u32) -> Status {
    with_reason(
        Code::Unimplemented,
        "NOT_YET_IMPLEMENTED",
        format!("{rpc} is part of the API but not implemented yet (tracked in issue #{issue})"),
    )
}

pub fn not_found(what: &str) -> Status {
    with_reason(Code::NotFound, "NOT_FOUND", format!("{what} not found"))
}

pub fn from_store(err: &StoreError) -> Status {
    match err {
        StoreError::NotFound => not_found("authentication"),
        StoreError::AlreadyExists => with_reason(
            Code::AlreadyExists,
            "ALREADY_EXISTS",
            "the resource already exists",
        ),
        StoreError::Conflict { .. } => with_reason(
            Code::Aborted,
            "CONCURRENT_MODIFICATION",
            "the resource changed concurrently; read it again and retry",
        ),
        StoreError::IllegalTransition { from, to } => with_reason(
            Code::FailedPrecondition,
            "ILLEGAL_STATE",
            format!("cannot move from {from:?} to {to:?}"),
        ),
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %err, "session store unavailable");
            with_reason(
                Code::Unavailable,
                "STORE_UNAVAILABLE",
                "session store unavailable; retry",
            )
        }
        StoreError::Config(_) => {
            tracing::error!(error = %err, "session store misconfigured");
            with_reason(
                Code::Internal,
                "STORE_MISCONFIGURED",
                "session store misconfigured",
            )
        }
        StoreError::Corrupt(_) => {
            tracing::error!(error = %err, "unreadable session record");
            with_reason(Code::Internal, "STORE_CORRUPT", "stored record unreadable")
        }
    }
}
