//! Pre-auth follow-ons: `POST /v2/txns/{txn_uuid}/capture` (optional `amount`, at most
//! the authorized amount) turns AUTHORIZED into CHARGED; `POST /v2/txns/{txn_uuid}/void`
//! turns AUTHORIZED into VOIDED. Any other state is refused as Juspay words it
//! ("Cannot Void AUTHENTICATION_FAILED Transaction"). Both answer the order view.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::Value;

use super::form::Params;
use super::orders::order_view;
use super::store::TxnStatus;
use super::{CONNECTOR, JpError};
use crate::providers::json::parse_amount;
use crate::state::Sandbox;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Capture,
    Void,
}

pub async fn capture(
    State(sandbox): State<Arc<Sandbox>>,
    Path(txn_uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "capture");
    let params = Params::parse(&headers, &body)?;
    let amount = match params.opt("amount") {
        Some(a) => Some(
            parse_amount(&a)
                .filter(|v| *v > 0)
                .ok_or_else(|| JpError::Invalid("Invalid amount".into()))?,
        ),
        None => None,
    };
    apply(&sandbox, &txn_uuid, Op::Capture, amount)
}

pub async fn void(
    State(sandbox): State<Arc<Sandbox>>,
    Path(txn_uuid): Path<String>,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "void");
    apply(&sandbox, &txn_uuid, Op::Void, None)
}

fn apply(
    sandbox: &Sandbox,
    txn_uuid: &str,
    op: Op,
    amount: Option<i64>,
) -> Result<Json<Value>, JpError> {
    let order_id = {
        let store = sandbox.juspay.current();
        let mut tables = store.lock();
        let txn = tables
            .txns
            .get_mut(&txn_uuid.to_owned())
            .ok_or_else(|| JpError::NotFound(format!("Transaction {txn_uuid} not found")))?;
        if txn.status != TxnStatus::Authorized {
            let verb = if op == Op::Capture { "Capture" } else { "Void" };
            return Err(JpError::Invalid(format!(
                "Cannot {verb} {} Transaction",
                txn.status.as_str()
            )));
        }
        match op {
            Op::Capture => {
                let amount = amount.unwrap_or(txn.amount);
                if amount > txn.amount {
                    return Err(JpError::Invalid(
                        "Capture amount exceeds the authorized amount".into(),
                    ));
                }
                txn.captured = amount;
                txn.status = TxnStatus::Charged;
            }
            Op::Void => txn.status = TxnStatus::Voided,
        }
        txn.order_id.clone()
    };
    order_view(sandbox, &order_id).map(Json)
}
