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
pub use store::{Merchants, Store};

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
    // Every operation's `Content-Type` parameter is required and `application/json` (the
    // spec's `ContentTypeParam`); a body in any other or no media type is a 415.
    if !bytes.is_empty() && !is_json(header("content-type")) {
        sandbox.calls.record(CONNECTOR, "unsupported_media_type");
        return IpgError::unsupported_media_type()
            .with_request_id(&rid)
            .into_response();
    }
    let cfg = &sandbox.config.fiserv_ipg;
    // The API key names the store; its own secret must have signed the request.
    let api_key = header("api-key").unwrap_or_default();
    let (key, secret) = match cfg.secret_of(api_key) {
        Some(secret) => (api_key, secret),
        None => (cfg.api_key.as_str(), cfg.api_secret.as_str()),
    };
    let signed = signature::Signed {
        api_key: header("api-key"),
        client_request_id: header("client-request-id"),
        timestamp: header("timestamp"),
        signature: header("message-signature"),
        body: &bytes,
    };
    if let Err(e) = signature::verify(
        key,
        secret,
        &signed,
        SystemTime::now(),
        Some(cfg.timestamp_window),
    ) {
        sandbox.calls.record(CONNECTOR, "unauthenticated");
        return IpgError::unauthenticated(e.to_string())
            .with_request_id(&rid)
            .into_response();
    }
    sandbox.calls.record_merchant(CONNECTOR, key);
    let store = key.to_owned();
    if !sandbox.fiserv_ipg.of(&store).first_use(&rid) {
        sandbox.calls.record(CONNECTOR, "replayed");
        return IpgError::bad_request("Duplicate Client-Request-Id: each request needs a new one")
            .with_request_id(&rid)
            .into_response();
    }
    let served = next.run(Request::from_parts(parts, Body::from(bytes)));
    crate::merchants::as_merchant(store, served).await
}

/// `application/json`, optionally with parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The card's `expiryDate`, checked against the spec's `Expiration` (month `MM`, year
/// `YY`: `^(0[1-9]|1[012])$` and `^([0-9]{2})$`). `Ok(None)` when the request sends no
/// `expiryDate`; a month or year in another form is refused naming the field.
pub(crate) fn expiry(body: &Value) -> Result<Option<(String, String)>, IpgError> {
    const AT: &str = "paymentMethod.paymentCard.expiryDate";
    let Some(date) = crate::providers::json::at(body, AT) else {
        return Ok(None);
    };
    let part = |name: &str, ok: fn(&str) -> bool| {
        let value = date.get(name).and_then(Value::as_str).unwrap_or_default();
        if ok(value) {
            Ok(value.to_owned())
        } else {
            Err(IpgError::field(
                &format!("{AT}.{name}"),
                if name == "month" {
                    "must match ^(0[1-9]|1[012])$"
                } else {
                    "must match ^([0-9]{2})$"
                },
            ))
        }
    };
    let month = part("month", |v| {
        two_digits(v) && matches!(v.parse::<u8>(), Ok(1..=12))
    })?;
    let year = part("year", two_digits)?;
    Ok(Some((month, year)))
}

fn two_digits(v: &str) -> bool {
    v.len() == 2 && v.bytes().all(|b| b.is_ascii_digit())
}

/// A transaction as stored (and answered by inquiries): a transaction response carries
/// `error` and a `responseType` only as the direct answer to a declined request (the
/// spec's `TransactionErrorResponse`); `TransactionResponse`, which inquiries and order
/// inquiries answer, has no `error`.
pub(crate) fn stored(view: &Value) -> Value {
    let mut view = view.clone();
    if let Some(map) = view.as_object_mut() {
        map.remove("error");
        map.remove("responseType");
    }
    view
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
