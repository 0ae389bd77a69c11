//! Test and load-test hooks under `/_sandbox`: the card catalogue, the OTP "sent by SMS",
//! call counters, run-time faults, a cheap health check and the ACS pages.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::acs;
use crate::faults::{ArmRequest, FaultSpec};
use crate::npci::CATALOGUE;
use crate::state::Sandbox;

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/cards", get(cards))
        .route("/otp/{connector}/{reference}", get(otp))
        .route("/otp/{connector}/{reference}/expire", post(expire_otp))
        .route("/calls", get(calls).delete(reset_calls))
        .route("/calls/reset", post(reset_calls))
        .route("/merchants", get(merchants))
        .route(
            "/faults",
            axum::routing::put(arm_fault)
                .get(armed_faults)
                .delete(clear_faults),
        )
        .merge(acs::routes())
        .with_state(sandbox)
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn cards() -> Json<serde_json::Value> {
    Json(json!(CATALOGUE))
}

/// Connector ids as payorch spells them; `fiserv_ipg` is accepted for `fiserv-ipg`.
fn canonical(connector: &str) -> String {
    connector.replace('_', "-")
}

async fn otp(
    State(sandbox): State<Arc<Sandbox>>,
    Path((connector, reference)): Path<(String, String)>,
) -> Response {
    match sandbox
        .issuer
        .current_otp(&canonical(&connector), &reference)
    {
        Some(code) => Json(json!({"otp": code})).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no open OTP challenge for this connector and reference"})),
        )
            .into_response(),
    }
}

async fn expire_otp(
    State(sandbox): State<Arc<Sandbox>>,
    Path((connector, reference)): Path<(String, String)>,
) -> Response {
    match sandbox
        .issuer
        .expire_otp(&canonical(&connector), &reference)
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::NOT_FOUND, Json(json!({"error": e.to_string()}))).into_response(),
    }
}

async fn calls(State(sandbox): State<Arc<Sandbox>>) -> Json<serde_json::Value> {
    Json(json!(sandbox.calls.snapshot()))
}

/// Authenticated calls by connector and the merchant whose credentials signed them.
async fn merchants(State(sandbox): State<Arc<Sandbox>>) -> Json<serde_json::Value> {
    Json(json!(sandbox.calls.merchants()))
}

async fn reset_calls(State(sandbox): State<Arc<Sandbox>>) -> StatusCode {
    sandbox.calls.reset();
    StatusCode::NO_CONTENT
}

async fn arm_fault(
    State(sandbox): State<Arc<Sandbox>>,
    Json(request): Json<ArmRequest>,
) -> Response {
    match request.fault.parse::<FaultSpec>() {
        Ok(spec) => {
            let connector = request.connector.as_deref().map(canonical);
            sandbox
                .faults
                .arm(connector.as_deref(), spec, request.count);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

/// The faults still armed, by connector: the requests each has left (`null`: until cleared).
async fn armed_faults(State(sandbox): State<Arc<Sandbox>>) -> Json<serde_json::Value> {
    let armed: serde_json::Map<String, serde_json::Value> = sandbox
        .faults
        .armed()
        .into_iter()
        .map(|(connector, left)| (connector, json!(left)))
        .collect();
    Json(serde_json::Value::Object(armed))
}

async fn clear_faults(State(sandbox): State<Arc<Sandbox>>) -> StatusCode {
    sandbox.faults.clear();
    StatusCode::NO_CONTENT
}
