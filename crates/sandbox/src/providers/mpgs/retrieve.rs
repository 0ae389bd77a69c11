//! Retrieve Transaction, Retrieve Order and the `information` health check.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::store::lock;
use super::{CONNECTOR, MpgsError, guard, wire};
use crate::state::Sandbox;

/// `GET /api/rest/version/{N}/merchant/{MID}/order/{OID}/transaction/{TID}`.
pub async fn transaction(
    State(sandbox): State<Arc<Sandbox>>,
    Path((version, merchant, order, transaction)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, MpgsError> {
    guard(&sandbox, &headers, &version, &merchant)?;
    sandbox.calls.record(CONNECTOR, "retrieve_transaction");
    let orders = lock(&sandbox.mpgs.orders);
    let o = orders
        .get(&(merchant.clone(), order.clone()))
        .ok_or_else(|| {
            MpgsError::invalid(
                "order.id",
                format!("Value '{order}' is invalid. No order exists with this ID."),
            )
        })?;
    let tx = o.transaction(&transaction).ok_or_else(|| {
        MpgsError::invalid(
            "transaction.id",
            format!(
                "Value '{transaction}' is invalid. No transaction exists with this ID on the order."
            ),
        )
    })?;
    Ok(Json(wire::transaction(&sandbox, &merchant, o, tx, None)))
}

/// `GET /api/rest/version/{N}/merchant/{MID}/order/{OID}`.
pub async fn order(
    State(sandbox): State<Arc<Sandbox>>,
    Path((version, merchant, order)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, MpgsError> {
    guard(&sandbox, &headers, &version, &merchant)?;
    sandbox.calls.record(CONNECTOR, "retrieve_order");
    let orders = lock(&sandbox.mpgs.orders);
    let o = orders
        .get(&(merchant.clone(), order.clone()))
        .ok_or_else(|| {
            MpgsError::invalid(
                "order.id",
                format!("Value '{order}' is invalid. No order exists with this ID."),
            )
        })?;
    Ok(Json(wire::order(&sandbox, &merchant, o)))
}

/// `GET /api/rest/version/{N}/information`: no credentials, any version up to 100.
pub async fn information(
    State(sandbox): State<Arc<Sandbox>>,
    Path(version): Path<String>,
) -> Result<Json<Value>, MpgsError> {
    sandbox.calls.record(CONNECTOR, "information");
    match version.parse::<u32>() {
        Ok(v) if (1..=100).contains(&v) => Ok(Json(
            json!({"status": "OPERATING", "gatewayVersion": "100.0.0"}),
        )),
        _ => Err(MpgsError::UnsupportedVersion(version)),
    }
}
