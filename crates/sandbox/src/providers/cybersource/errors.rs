//! Cybersource's error answers: 400 `INVALID_REQUEST` with `details`, 401 for signature
//! failures, 404 for unknown resources.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::providers::json::Fields;
use crate::providers::time::utc_now_iso;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsError {
    /// 400 MISSING_FIELD / INVALID_DATA, naming the fields.
    Fields {
        missing: Vec<String>,
        invalid: Vec<String>,
    },
    /// 400 with a specific reason (e.g. EXCEEDS_AUTH_AMOUNT).
    Rejected {
        reason: &'static str,
        message: String,
    },
    /// 400 INVALID_DATA for one field.
    InvalidField(String),
    /// The body is not JSON.
    MalformedBody,
    NotFound,
    Unauthorized,
}

impl CsError {
    /// `Err` when the collected fields hold problems.
    pub fn check(fields: &Fields<'_>) -> Result<(), CsError> {
        if fields.is_ok() {
            Ok(())
        } else {
            Err(CsError::Fields {
                missing: fields.missing.clone(),
                invalid: fields.invalid.clone(),
            })
        }
    }
}

fn invalid_request(reason: &str, message: &str, details: Vec<Value>) -> Value {
    let mut body = json!({
        "submitTimeUtc": utc_now_iso(),
        "status": "INVALID_REQUEST",
        "reason": reason,
        "message": message,
    });
    if !details.is_empty() {
        body["details"] = Value::Array(details);
    }
    body
}

const MISSING_MESSAGE: &str = "Declined - The request is missing one or more fields";
const INVALID_MESSAGE: &str = "Declined - One or more fields in the request contains invalid data";

impl IntoResponse for CsError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            CsError::Fields { missing, invalid } => {
                let reason = if missing.is_empty() {
                    "INVALID_DATA"
                } else {
                    "MISSING_FIELD"
                };
                let message = if missing.is_empty() {
                    INVALID_MESSAGE
                } else {
                    MISSING_MESSAGE
                };
                let details = missing
                    .iter()
                    .map(|f| json!({"field": f, "reason": "MISSING_FIELD"}))
                    .chain(
                        invalid
                            .iter()
                            .map(|f| json!({"field": f, "reason": "INVALID_DATA"})),
                    )
                    .collect();
                (
                    StatusCode::BAD_REQUEST,
                    invalid_request(reason, message, details),
                )
            }
            CsError::InvalidField(field) => (
                StatusCode::BAD_REQUEST,
                invalid_request(
                    "INVALID_DATA",
                    INVALID_MESSAGE,
                    vec![json!({"field": field, "reason": "INVALID_DATA"})],
                ),
            ),
            CsError::Rejected { reason, message } => (
                StatusCode::BAD_REQUEST,
                invalid_request(reason, &message, vec![]),
            ),
            CsError::MalformedBody => (
                StatusCode::BAD_REQUEST,
                invalid_request(
                    "INVALID_DATA",
                    "Declined - The request body is not valid JSON",
                    vec![],
                ),
            ),
            CsError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({
                    "submitTimeUtc": utc_now_iso(),
                    "status": "NOT_FOUND",
                    "reason": "RESOURCE_NOT_FOUND",
                    "message": "The requested resource does not exist",
                }),
            ),
            CsError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                json!({"response": {"rmsg": "Authentication Failed"}}),
            ),
        };
        (status, Json(body)).into_response()
    }
}
