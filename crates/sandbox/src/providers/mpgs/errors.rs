//! The gateway's error answer: `{"result":"ERROR","error":{"cause","explanation","field","validationType"}}`.
//!
//! `INVALID_REQUEST` (400) for requests that do not conform to the API (missing or invalid
//! fields, unknown order, unsupported version); 401 for missing or wrong credentials, with
//! the Basic challenge.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The challenge a 401 carries.
pub const REALM: &str = "Basic realm=\"Payment Gateway\"";

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MpgsError {
    /// No `Authorization` header: 401 with `WWW-Authenticate`.
    Unauthenticated,
    /// Wrong user or password, or a username that is not `merchant.<MID>` of the URL's merchant.
    InvalidCredentials,
    /// A mandatory field is absent (`validationType: MISSING`).
    Missing(String),
    /// A field has a value the gateway does not accept (`validationType: INVALID`).
    Invalid { field: String, explanation: String },
    /// A request the gateway refuses without naming a field.
    Request(String),
    /// The version in the URL is outside 71..=100 (or not a number).
    UnsupportedVersion(String),
    /// The body is not a JSON object.
    MalformedBody,
}

impl MpgsError {
    pub fn invalid(field: &str, explanation: impl Into<String>) -> Self {
        MpgsError::Invalid {
            field: field.to_owned(),
            explanation: explanation.into(),
        }
    }

    /// `Value '<v>' is invalid.`, the gateway's usual wording.
    pub fn invalid_value(field: &str, value: &str) -> Self {
        Self::invalid(field, format!("Value '{value}' is invalid."))
    }
}

impl IntoResponse for MpgsError {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            MpgsError::Unauthenticated | MpgsError::InvalidCredentials => {
                let body = json!({"result": "ERROR", "error": {"cause": "INVALID_REQUEST", "explanation": "Invalid credentials."}});
                let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
                return response;
            }
            MpgsError::Missing(field) => (
                StatusCode::BAD_REQUEST,
                json!({
                    "cause": "INVALID_REQUEST",
                    "explanation": format!("Missing parameter '{field}'"),
                    "field": field,
                    "validationType": "MISSING",
                }),
            ),
            MpgsError::Invalid { field, explanation } => (
                StatusCode::BAD_REQUEST,
                json!({
                    "cause": "INVALID_REQUEST",
                    "explanation": explanation,
                    "field": field,
                    "validationType": "INVALID",
                }),
            ),
            MpgsError::Request(explanation) => (
                StatusCode::BAD_REQUEST,
                json!({"cause": "INVALID_REQUEST", "explanation": explanation}),
            ),
            MpgsError::UnsupportedVersion(version) => (
                StatusCode::BAD_REQUEST,
                json!({
                    "cause": "INVALID_REQUEST",
                    "explanation": format!("Unsupported API version '{version}': supported versions are 71 to 100"),
                }),
            ),
            MpgsError::MalformedBody => (
                StatusCode::BAD_REQUEST,
                json!({"cause": "INVALID_REQUEST", "explanation": "Request body is not a valid JSON object"}),
            ),
        };
        (status, Json(json!({"result": "ERROR", "error": error}))).into_response()
    }
}
