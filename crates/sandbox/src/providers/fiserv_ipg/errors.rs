//! Fiserv IPG error answers: `{"clientRequestId","apiTraceId","responseType","error":{"code","message","details"}}`
//! with 400 BadRequest, 401 Unauthenticated, 404 NotFound, 409 GatewayDeclined,
//! 415 UnsupportedMediaType.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::providers::json::Fields;

/// An error answer; `client_request_id` is echoed.
#[derive(Debug, Clone)]
pub struct IpgError {
    pub status: StatusCode,
    pub response_type: &'static str,
    pub code: String,
    pub message: String,
    pub details: Vec<(String, String)>,
    pub client_request_id: String,
}

impl IpgError {
    pub fn new(
        status: StatusCode,
        response_type: &'static str,
        code: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            response_type,
            code: code.into(),
            message: message.into(),
            details: Vec::new(),
            client_request_id: String::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", "400", message)
    }

    pub fn field(field: &str, message: &str) -> Self {
        let mut e = Self::bad_request("Invalid request");
        e.details.push((field.into(), message.into()));
        e
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthenticated", "401", message)
    }

    /// 415: a body sent without `Content-Type: application/json`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "415",
            "Content-Type must be application/json",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "404",
            "Transaction not found",
        )
    }

    pub fn gateway_declined(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "GatewayDeclined", "409", message)
    }

    pub fn with_request_id(mut self, id: &str) -> Self {
        self.client_request_id = id.into();
        self
    }

    /// `Err` when fields are missing or mistyped.
    pub fn check(fields: &Fields<'_>) -> Result<(), IpgError> {
        if fields.is_ok() {
            return Ok(());
        }
        let mut e = Self::bad_request("Invalid request");
        e.details.extend(
            fields
                .missing
                .iter()
                .map(|f| (f.clone(), "may not be null".to_owned())),
        );
        e.details.extend(
            fields
                .invalid
                .iter()
                .map(|f| (f.clone(), "invalid value".to_owned())),
        );
        Err(e)
    }
}

/// A fresh `apiTraceId`.
pub fn trace_id() -> String {
    crate::npci::issuer::random_b64(20).replace(['+', '/', '='], "x")
}

impl IntoResponse for IpgError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if !self.details.is_empty() {
            error["details"] = Value::Array(
                self.details
                    .iter()
                    .map(|(field, message)| json!({"field": field, "message": message}))
                    .collect(),
            );
        }
        let body = json!({
            "clientRequestId": self.client_request_id,
            "apiTraceId": trace_id(),
            "responseType": self.response_type,
            "error": error,
        });
        (self.status, Json(body)).into_response()
    }
}
