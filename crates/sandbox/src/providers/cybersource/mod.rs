//! The Cybersource REST simulator (RuPay payer authentication, payments, Standing
//! Instructions, Transaction Search), mounted under `/cybersource`.
//!
//! Every request must carry a valid HTTP Signature and Digest ([`signature`]), checked over
//! the path without the mount prefix. Handlers read bodies as untyped JSON so that unknown
//! fields (the SDK's `partner.developerId`, ...) are accepted.

pub mod agreements;
pub mod details;
pub mod enrollment;
pub mod errors;
pub mod pares;
pub mod payments;
pub mod search;
pub mod signature;
pub mod store;
pub mod validation;

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

pub use errors::CsError;
pub use store::{Merchants, Store};

use crate::state::Sandbox;

/// Connector id (counters, OTP hook, ACS).
pub const CONNECTOR: &str = "cybersource";

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route(
            "/risk/v1/authentications",
            post(enrollment::check_enrollment),
        )
        .route(
            "/risk/v1/authentication-results",
            post(validation::validate),
        )
        .route("/pts/v2/payments", post(payments::authorize))
        .route("/pts/v2/payments/{id}/captures", post(payments::capture))
        .route("/pts/v2/payments/{id}/reversals", post(payments::reverse))
        .route("/pts/v2/payments/{id}/refunds", post(payments::refund))
        .route("/pts/v2/payments/{id}/voids", post(payments::void))
        .route("/pts/v2/captures/{id}/refunds", post(payments::refund))
        .route("/pts/v2/captures/{id}/voids", post(payments::void))
        .route("/pts/v2/refunds/{id}/voids", post(payments::void))
        .route("/tss/v2/searches", post(search::create))
        .route("/tss/v2/transactions/{id}", get(details::get))
        .route("/pts/v2/billing-agreements", post(agreements::register))
        .route(
            "/pts/v2/billing-agreements/{id}",
            get(agreements::get).patch(agreements::modify),
        )
        .route(
            "/pts/v2/billing-agreements/{id}/intimations",
            post(agreements::intimate),
        )
        .layer(from_fn_with_state(sandbox.clone(), authenticate))
        .with_state(sandbox)
}

/// Verifies HTTP Signature + Digest before any handler runs; 401 otherwise.
async fn authenticate(
    State(sandbox): State<Arc<Sandbox>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return CsError::MalformedBody.into_response();
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let cfg = &sandbox.config.cybersource;
    let claimed = header("v-c-merchant-id");
    let credentials = cfg
        .other_merchants
        .iter()
        .find(|m| Some(m.merchant_id.as_str()) == claimed)
        .map_or(
            signature::Credentials {
                merchant_id: &cfg.merchant_id,
                key_id: &cfg.key_id,
                shared_secret_b64: &cfg.shared_secret,
            },
            |m| signature::Credentials {
                merchant_id: &m.merchant_id,
                key_id: &m.key_id,
                shared_secret_b64: &m.shared_secret,
            },
        );
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |pq| pq.as_str());
    let signed = signature::SignedRequest {
        method: parts.method.as_str(),
        path_and_query,
        host: header("host"),
        date: header("date"),
        digest: header("digest"),
        merchant_id: header("v-c-merchant-id"),
        signature: header("signature"),
        body: &bytes,
    };
    if let Err(e) = signature::verify(&credentials, &signed, SystemTime::now(), cfg.max_clock_skew)
    {
        tracing::debug!(error = %e, path = path_and_query, "cybersource signature refused");
        sandbox.calls.record(CONNECTOR, "unauthenticated");
        return CsError::Unauthorized.into_response();
    }
    sandbox
        .calls
        .record_merchant(CONNECTOR, credentials.merchant_id);
    let merchant = credentials.merchant_id.to_owned();
    let served = next.run(Request::from_parts(parts, Body::from(bytes)));
    crate::merchants::as_merchant(merchant, served).await
}

/// The request body as a JSON object.
pub(crate) fn parse(bytes: &Bytes) -> Result<Value, CsError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(CsError::MalformedBody),
    }
}

/// `clientReferenceInformation` echoed back (only `code`, as Cybersource does).
pub(crate) fn client_reference(body: &Value) -> Value {
    match crate::providers::json::at(body, "clientReferenceInformation.code") {
        Some(code) => json!({"code": code}),
        None => json!({}),
    }
}

/// A 22-digit Cybersource request id.
pub(crate) fn new_id() -> String {
    crate::npci::issuer::random_digits(22)
}

/// An opaque `token` like Cybersource's.
pub(crate) fn new_token() -> String {
    crate::npci::issuer::random_b64(45)
}

/// `201 Created` with a JSON body.
pub(crate) fn created(body: Value) -> Response {
    (axum::http::StatusCode::CREATED, axum::Json(body)).into_response()
}

/// The public base URL for links that browsers follow.
pub(crate) fn base_url(sandbox: &Sandbox, headers: &HeaderMap) -> String {
    sandbox.public_url(headers)
}
