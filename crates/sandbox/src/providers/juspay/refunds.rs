//! `POST /orders/{order_id}/refunds` (`unique_request_id`, `amount`): refunds a CHARGED
//! order, in parts up to the captured amount. The same `unique_request_id` with the same
//! amount answers again without refunding twice. The answer is the order view; a new
//! refund shows PENDING there and SUCCESS from the next view on, as Juspay's do.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::Value;

use super::form::Params;
use super::orders::order_view;
use super::store::{Refund, TxnStatus};
use super::{CONNECTOR, JpError, new_hex_id};
use crate::providers::json::parse_amount;
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

pub async fn refund(
    State(sandbox): State<Arc<Sandbox>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "refund");
    let mut params = Params::parse(&headers, &body)?;
    let request_id = params.req("unique_request_id");
    let amount = params.req("amount");
    params.check()?;
    let amount = parse_amount(&amount)
        .filter(|a| *a > 0)
        .ok_or_else(|| JpError::Invalid("Invalid amount".into()))?;
    {
        let store = sandbox.juspay.current();
        let mut tables = store.lock();
        let order = tables
            .orders
            .get(&order_id)
            .ok_or_else(|| JpError::NotFound(format!("Order {order_id} not found")))?;
        if let Some(previous) = order
            .refunds
            .iter()
            .find(|r| r.unique_request_id == request_id)
        {
            if previous.amount != amount {
                return Err(JpError::Invalid(format!(
                    "unique_request_id {request_id} was already used for another amount"
                )));
            }
        } else {
            let txn = order.txns.last().and_then(|u| tables.txns.get(u));
            let (status, captured) = txn.map_or((TxnStatus::New, 0), |t| (t.status, t.captured));
            if status != TxnStatus::Charged {
                return Err(JpError::Invalid(format!(
                    "Cannot refund a {} order",
                    status.as_str()
                )));
            }
            if order.amount_refunded() + amount > captured {
                return Err(JpError::Invalid(
                    "Refund amount exceeds the amount charged".into(),
                ));
            }
            let refund = Refund {
                id: new_hex_id("rfd_", 20),
                unique_request_id: request_id,
                amount,
                created: utc_now_iso(),
                reported: false,
            };
            if let Some(o) = tables.orders.get_mut(&order_id) {
                o.refunds.push(refund);
            }
        }
    }
    order_view(&sandbox, &order_id).map(Json)
}
