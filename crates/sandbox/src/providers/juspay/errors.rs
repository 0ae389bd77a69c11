//! Juspay's error answers: `{"status", "error_code", "error_message"}` with 400, 401 or 404.
//!
//! The seed shows `invalid_request_error`/`invalid` and `error`/`access_denied`; FACTS.md
//! gives the resend limit's own shape (`"status": "Invalid Request"`). The codes for a
//! missing parameter and an unknown object are this sandbox's choice (no public sample),
//! kept here so a correction touches one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JpError {
    /// 401: bad or missing API key, or `x-merchantid` naming another merchant.
    AccessDenied,
    /// 400: mandatory parameters absent or empty.
    Missing(Vec<String>),
    /// 400: a value or the object's state is not acceptable.
    Invalid(String),
    /// 404: unknown order or transaction.
    NotFound(String),
    /// 400: resend refused, the OTP send limit is reached.
    MaxLimitExceeded,
}

fn body(status: &str, code: &str, message: &str) -> serde_json::Value {
    json!({"status": status, "error_code": code, "error_message": message})
}

impl IntoResponse for JpError {
    fn into_response(self) -> Response {
        let (http, body) = match self {
            JpError::AccessDenied => (
                StatusCode::UNAUTHORIZED,
                body("error", "access_denied", "Invalid Authentication"),
            ),
            JpError::Missing(fields) => (
                StatusCode::BAD_REQUEST,
                body(
                    "invalid_request_error",
                    "invalid_request",
                    &format!("Mandatory fields are missing: {}", fields.join(", ")),
                ),
            ),
            JpError::Invalid(message) => (
                StatusCode::BAD_REQUEST,
                body("invalid_request_error", "invalid", &message),
            ),
            JpError::NotFound(message) => (
                StatusCode::NOT_FOUND,
                body("invalid_request_error", "object_not_found", &message),
            ),
            JpError::MaxLimitExceeded => (
                StatusCode::BAD_REQUEST,
                body(
                    "Invalid Request",
                    "max_limit_exceeded",
                    "Max OTP send limit exceeded.",
                ),
            ),
        };
        (http, Json(body)).into_response()
    }
}
