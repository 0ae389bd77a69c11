//! The Juspay Express Checkout simulator (Direct OTP for RuPay, with the 3DS fallback
//! seed 003 warns about), mounted under `/juspay`.
//!
//! - `POST /orders` (also `/order/create`): create an order (status NEW).
//! - `POST /txns`: start a card payment; `auth_type=OTP` asks for Direct OTP, answered
//!   `PENDING_VBV` with `payment.authentication{method: POST, url, params{...}}`; cards the
//!   issuer only authenticates on its ACS page (or requests without `auth_type=OTP`) get
//!   `payment.authentication{method: GET, url}` to the sandbox ACS page.
//! - `POST /v2/txns/{txn_uuid}/authenticate` (`challenge_id`, `answer.otp`) and
//!   `POST /v2/txns/{txn_uuid}/authenticate/{challenge_id}/resend`.
//! - `GET /orders/{order_id}`, `POST /v2/txns/{txn_uuid}/capture|void`,
//!   `POST /orders/{order_id}/refunds` (`unique_request_id` idempotent).
//! - `GET /v2/pay/start/guest/{txn_uuid}` (no API key: a browser follows it): the
//!   `fallback_url`, which sends the payer to the ACS page for the same transaction.
//!
//! The OTP hook is `/_sandbox/otp/juspay/{txn_uuid}`. Requests are form-encoded (JSON
//! objects are accepted too); unknown parameters are ignored.

pub mod auth;
pub mod authenticate;
pub mod errors;
pub mod form;
pub mod ops;
pub mod orders;
pub mod redirect;
pub mod refunds;
pub mod settle;
pub mod store;
pub mod txns;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use rand::Rng;
use rand::distr::Alphanumeric;

pub use errors::JpError;
pub use store::{Merchants, Store};

use crate::state::Sandbox;

/// Connector id (counters, OTP hook, ACS).
pub const CONNECTOR: &str = "juspay";

/// Mount prefix, for URLs handed to clients.
pub const PREFIX: &str = "/juspay";

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    let api = Router::new()
        .route("/orders", post(orders::create))
        .route("/order/create", post(orders::create))
        .route("/orders/{order_id}", get(orders::status))
        .route("/orders/{order_id}/refunds", post(refunds::refund))
        .route("/txns", post(txns::start))
        .route(
            "/v2/txns/{txn_uuid}/authenticate",
            post(authenticate::submit),
        )
        .route(
            "/v2/txns/{txn_uuid}/authenticate/{challenge_id}/resend",
            post(authenticate::resend),
        )
        .route("/v2/txns/{txn_uuid}/capture", post(ops::capture))
        .route("/v2/txns/{txn_uuid}/void", post(ops::void))
        .layer(from_fn_with_state(sandbox.clone(), auth::require));
    Router::new()
        .merge(api)
        .route("/v2/pay/start/guest/{txn_uuid}", get(redirect::fallback))
        .with_state(sandbox)
}

/// The simulator's base URL as clients reach it (no trailing slash).
pub(crate) fn api_base(sandbox: &Sandbox, headers: &HeaderMap) -> String {
    format!("{}{PREFIX}", sandbox.public_url(headers))
}

fn random_alnum(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A `txn_uuid` like Juspay's (`eul5g88vzCXbswrHYMh`).
pub(crate) fn new_txn_uuid() -> String {
    format!("eul{}", random_alnum(16))
}

/// A `challenge_id` (`ch_...`).
pub(crate) fn new_challenge_id() -> String {
    format!("ch_{}", random_alnum(20).to_ascii_lowercase())
}

/// An id with a prefix and `n` lowercase hex digits (`ordeh_...`, `rfd_...`).
pub(crate) fn new_hex_id(prefix: &str, n: usize) -> String {
    let mut rng = rand::rng();
    let hex: String = (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16usize)]))
        .collect();
    format!("{prefix}{hex}")
}

/// Minor units as the JSON number Juspay prints (`100.0`, `10.5`).
pub(crate) fn money(minor: i64) -> serde_json::Value {
    // Two decimals of an i64 below 2^53 are exact enough for display.
    serde_json::Number::from_f64(minor as f64 / 100.0)
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}
