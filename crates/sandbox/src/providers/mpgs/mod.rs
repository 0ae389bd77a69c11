//! The Mastercard Gateway (MPGS) simulator, mounted under `/mpgs`: RuPay payer
//! authentication (INITIATE_AUTHENTICATION, AUTHENTICATE_PAYER with the redirect and
//! seamless `authentication.redirect.html` of seed 001, the gateway callback where the OTP
//! is submitted or resent), AUTHORIZE, PAY, CAPTURE, VOID, REFUND, Retrieve Transaction,
//! Retrieve Order and the `information` health check.
//!
//! - `PUT|GET /api/rest/version/{N}/merchant/{MID}/order/{OID}/transaction/{TID}` (N 71..=100)
//! - `GET /api/rest/version/{N}/merchant/{MID}/order/{OID}`
//! - `GET /api/rest/version/{N}/information` → `{"status":"OPERATING"}` (no credentials)
//! - `POST /api/callbackInterface/gateway/{hash}`: the seamless form's action (form fields
//!   `otp`, `action=submit|resend`) and the ACS's `AccuReturnURL` (redirect flow). Both
//!   answer HTML for a browser, or JSON with `Accept: application/json`.
//!
//! Credentials: HTTP Basic `merchant.<MID>` and the API password of [`crate::config::MpgsConfig`].
//!
//! The `reference` of `/_sandbox/otp/mpgs/{reference}` (and of the ACS page) is the RuPay
//! authentication transaction id the gateway returns as `authentication.3ds.transactionId`
//! in AUTHENTICATE_PAYER and Retrieve Transaction: what payorch reports as provider_reference.

pub mod auth;
pub mod authentication;
pub mod callback;
pub mod errors;
pub mod html;
pub mod request;
pub mod retrieve;
pub mod status;
pub mod store;
pub mod transactions;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use errors::MpgsError;
pub use store::Store;

use crate::providers::json::Fields;
use crate::state::Sandbox;

/// Connector id (counters, OTP hook, ACS).
pub const CONNECTOR: &str = "mpgs";
/// Where the simulator is mounted (for the callback URLs browsers follow).
pub const MOUNT: &str = "/mpgs";

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route(
            "/api/rest/version/{version}/merchant/{merchant}/order/{order}/transaction/{transaction}",
            get(retrieve::transaction).put(put_transaction),
        )
        .route("/api/rest/version/{version}/merchant/{merchant}/order/{order}", get(retrieve::order))
        .route("/api/rest/version/{version}/information", get(retrieve::information))
        .route("/api/callbackInterface/gateway/{hash}", post(callback::callback))
        .with_state(sandbox)
}

/// One authenticated operation on `/merchant/{MID}/order/{OID}/transaction/{TID}`.
pub struct Ctx<'a> {
    pub sandbox: &'a Sandbox,
    pub merchant: String,
    pub order: String,
    pub transaction: String,
    pub version: u32,
    pub headers: &'a HeaderMap,
}

impl Ctx<'_> {
    /// The gateway's public base URL (callback URLs), mount prefix included.
    pub fn gateway_url(&self) -> String {
        format!("{}{MOUNT}", self.sandbox.public_url(self.headers))
    }

    /// The sandbox's public base URL (ACS pages).
    pub fn public_url(&self) -> String {
        self.sandbox.public_url(self.headers)
    }
}

/// Credentials first (an unauthenticated request gets the 401 challenge), then the version.
pub fn guard(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    version: &str,
    merchant: &str,
) -> Result<u32, MpgsError> {
    if let Err(e) = auth::check(&sandbox.config.mpgs, headers, merchant) {
        sandbox.calls.record(CONNECTOR, "unauthenticated");
        return Err(e);
    }
    sandbox.calls.record_merchant(CONNECTOR, merchant);
    auth::version(version)
}

/// The operations a PUT may name in `apiOperation`.
const OPERATIONS: [&str; 7] = [
    "INITIATE_AUTHENTICATION",
    "AUTHENTICATE_PAYER",
    "AUTHORIZE",
    "PAY",
    "CAPTURE",
    "VOID",
    "REFUND",
];

async fn put_transaction(
    State(sandbox): State<Arc<Sandbox>>,
    Path((version, merchant, order, transaction)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, MpgsError> {
    let version = guard(&sandbox, &headers, &version, &merchant)?;
    let body = request::parse(&bytes)?;
    let mut fields = Fields::new(&body);
    let operation = fields.req("apiOperation");
    request::check(&fields)?;
    let Some(operation) = OPERATIONS.iter().find(|o| **o == operation) else {
        sandbox.calls.record(CONNECTOR, "invalid_operation");
        return Err(MpgsError::invalid_value("apiOperation", &operation));
    };
    sandbox
        .calls
        .record(CONNECTOR, &operation.to_ascii_lowercase());
    request::check_id("order.id", &order)?;
    request::check_id("transaction.id", &transaction)?;
    let ctx = Ctx {
        sandbox: &sandbox,
        merchant,
        order,
        transaction,
        version,
        headers: &headers,
    };
    let answer = match *operation {
        "INITIATE_AUTHENTICATION" => authentication::initiate(&ctx, &body),
        "AUTHENTICATE_PAYER" => authentication::authenticate_payer(&ctx, &body),
        "AUTHORIZE" => transactions::pay(&ctx, &body, false),
        "PAY" => transactions::pay(&ctx, &body, true),
        "CAPTURE" => transactions::capture(&ctx, &body),
        "REFUND" => transactions::refund(&ctx, &body),
        _ => transactions::void(&ctx, &body),
    }?;
    Ok(axum::Json(answer).into_response())
}
