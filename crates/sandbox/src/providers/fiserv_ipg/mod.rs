//! The Fiserv IPG (ipg-online, Payments Gateway v2) simulator, mounted under `/fiserv-ipg`:
//! `POST /payments` (PaymentCardPayerAuthTransaction with RupayAuthenticationRequest,
//! PaymentCardSaleTransaction, PaymentCardPreAuthTransaction), `PATCH /payments/{id}`
//! (RupayAuthenticationUpdateRequest: `verifyOtp` / `regenerateOtp`), `GET /payments/{id}`,
//! `POST /payments/{id}` (PostAuthTransaction, VoidTransaction, ReturnTransaction) and
//! `GET /orders/{orderId}`.

pub mod errors;
pub mod payer_auth;
pub mod payments;
pub mod signature;
pub mod store;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use errors::IpgError;
pub use store::Store;

use crate::state::Sandbox;

/// Connector id (counters, OTP hook, ACS).
pub const CONNECTOR: &str = "fiserv-ipg";

const MAX_BODY: usize = 1 << 20;

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/payments", post(payments::primary))
        .route(
            "/payments/{id}",
            get(payments::inquiry)
                .patch(payer_auth::update)
                .post(payments::secondary),
        )
        .route("/orders/{id}", get(payments::order_inquiry))
        .layer(from_fn_with_state(sandbox.clone(), authenticate))
        .with_state(sandbox)
}

/// The echoed `Client-Request-Id`.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn authenticate(
    State(sandbox): State<Arc<Sandbox>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let rid = request_id(&parts.headers);
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return IpgError::bad_request("Request body too large")
            .with_request_id(&rid)
            .into_response();
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let cfg = &sandbox.config.fiserv_ipg;
    let signed = signature::Signed {
        api_key: header("api-key"),
        client_request_id: header("client-request-id"),
        timestamp: header("timestamp"),
        signature: header("message-signature"),
        body: &bytes,
    };
    if let Err(e) = signature::verify(
        &cfg.api_key,
        &cfg.api_secret,
        &signed,
        SystemTime::now(),
        Some(cfg.timestamp_window),
    ) {
        sandbox.calls.record(CONNECTOR, "unauthenticated");
        return IpgError::unauthenticated(e.to_string())
            .with_request_id(&rid)
            .into_response();
    }
    if !sandbox.fiserv_ipg.first_use(&rid) {
        sandbox.calls.record(CONNECTOR, "replayed");
        return IpgError::bad_request("Duplicate Client-Request-Id: each request needs a new one")
            .with_request_id(&rid)
            .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

pub(crate) fn parse(bytes: &Bytes) -> Result<Value, IpgError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(IpgError::bad_request("Malformed JSON request body")),
    }
}

/// `{"total": 123.5, "currency": "INR"}` as IPG prints amounts (numbers).
pub(crate) fn amount_json(minor: i64, currency: &str) -> Value {
    let total =
        serde_json::Number::from_f64(minor as f64 / 100.0).map_or(Value::Null, Value::Number);
    json!({"total": total, "currency": currency, "components": {"subtotal": total}})
}

/// An 11-digit `ipgTransactionId`.
pub(crate) fn new_ipg_id() -> String {
    format!("8{}", crate::npci::issuer::random_digits(10))
}

/// `transactionTime`: epoch seconds.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
