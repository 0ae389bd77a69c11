//! `POST /orders` (create) and `GET /orders/{order_id}` (Order Status API), and the order
//! view every state-changing call answers with.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::form::Params;
use super::store::{Order, Refund, Txn, TxnStatus};
use super::{CONNECTOR, JpError, api_base, money, new_hex_id};
use crate::npci::Flow;
use crate::providers::json::parse_amount;
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

/// Reads the capture mode: `metadata.txns.auto_capture` (Juspay's pre-auth flag) or a
/// plain `auto_capture`; absent means capture at once.
pub(crate) fn auto_capture(params: &Params) -> Option<bool> {
    params
        .opt_bool("metadata.txns.auto_capture")
        .or_else(|| params.opt_bool("txns.auto_capture"))
        .or_else(|| params.opt_bool("auto_capture"))
}

pub async fn create(
    State(sandbox): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "order_create");
    let mut params = Params::parse(&headers, &body)?;
    let order_id = params.req("order_id");
    let amount = params.req("amount");
    params.check()?;
    if order_id.len() > 64 || order_id.contains(['/', '?', '#', ' ']) {
        return Err(JpError::Invalid("Invalid order_id".into()));
    }
    let amount = parse_amount(&amount)
        .filter(|a| *a > 0)
        .ok_or_else(|| JpError::Invalid("Invalid amount".into()))?;
    let currency = params
        .opt("currency")
        .unwrap_or_else(|| "INR".into())
        .to_ascii_uppercase();
    let mut order = Order {
        id: new_hex_id("ordeh_", 32),
        order_id: order_id.clone(),
        merchant_id: sandbox.juspay.current_id(),
        amount,
        currency,
        customer_id: params.opt("customer_id"),
        customer_email: params.opt("customer_email"),
        customer_phone: params.opt("customer_phone"),
        description: params.opt("description"),
        return_url: params.opt("return_url"),
        auto_capture: auto_capture(&params).unwrap_or(true),
        udf: params.with_prefix("udf"),
        date_created: utc_now_iso(),
        txns: Vec::new(),
        refunds: Vec::new(),
    };
    let store = sandbox.juspay.current();
    let mut tables = store.lock();
    if let Some(existing) = tables.orders.get(&order_id) {
        // An order may be updated until a payment is attempted on it.
        if !existing.txns.is_empty() {
            return Err(JpError::Invalid(format!(
                "Order {order_id} already has a transaction and cannot be updated"
            )));
        }
        order.id = existing.id.clone();
        order.date_created = existing.date_created.clone();
    }
    let base = api_base(&sandbox, &headers);
    let answer = json!({
        "status": TxnStatus::New.as_str(),
        "status_id": TxnStatus::New.id(),
        "id": order.id,
        "order_id": order.order_id,
        "payment_links": {
            "web": format!("{base}/merchant/pay/{}", order.id),
            "mobile": format!("{base}/merchant/pay/{}?mobile=true", order.id),
            "iframe": format!("{base}/merchant/ipay/{}", order.id),
        },
    });
    tables.orders.insert(order_id, order);
    Ok(Json(answer))
}

pub async fn status(
    State(sandbox): State<Arc<Sandbox>>,
    Path(order_id): Path<String>,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "order_status");
    order_view(&sandbox, &order_id).map(Json)
}

/// The order as the Order Status API shows it; marks fresh refunds as reported.
pub(crate) fn order_view(sandbox: &Sandbox, order_id: &str) -> Result<Value, JpError> {
    let store = sandbox.juspay.current();
    let mut tables = store.lock();
    let order = tables
        .orders
        .get_mut(&order_id.to_owned())
        .ok_or_else(|| JpError::NotFound(format!("Order {order_id} not found")))?;
    let snapshot = order.clone();
    for refund in &mut order.refunds {
        refund.reported = true;
    }
    let txn = snapshot
        .txns
        .last()
        .and_then(|uuid| tables.txns.get(uuid))
        .cloned();
    Ok(render(&snapshot, txn.as_ref()))
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

fn render(order: &Order, txn: Option<&Txn>) -> Value {
    let status = txn.map_or(TxnStatus::New, |t| t.status);
    let refunded = order.amount_refunded();
    let mut v = Map::new();
    v.insert("id".into(), json!(order.id));
    v.insert("order_id".into(), json!(order.order_id));
    v.insert("merchant_id".into(), json!(order.merchant_id));
    v.insert("customer_id".into(), opt(&order.customer_id));
    v.insert("customer_email".into(), opt(&order.customer_email));
    v.insert("customer_phone".into(), opt(&order.customer_phone));
    v.insert("description".into(), opt(&order.description));
    v.insert("status".into(), json!(status.as_str()));
    v.insert("status_id".into(), json!(status.id()));
    v.insert("amount".into(), money(order.amount));
    v.insert("currency".into(), json!(order.currency));
    v.insert("refunded".into(), json!(refunded > 0));
    v.insert("amount_refunded".into(), money(refunded));
    v.insert("date_created".into(), json!(order.date_created));
    v.insert("return_url".into(), opt(&order.return_url));
    for (k, val) in &order.udf {
        v.insert(k.clone(), json!(val));
    }
    if let Some(t) = txn {
        let captured = if t.status == TxnStatus::Charged {
            t.captured
        } else {
            0
        };
        v.insert("effective_amount".into(), money(captured - refunded));
        v.insert("txn_id".into(), json!(t.txn_id));
        v.insert("txn_uuid".into(), json!(t.txn_uuid));
        v.insert("gateway_id".into(), json!(0));
        v.insert(
            "bank_error_code".into(),
            json!(t.bank_error_code.clone().unwrap_or_default()),
        );
        v.insert(
            "bank_error_message".into(),
            json!(t.bank_error_message.clone().unwrap_or_default()),
        );
        v.insert("payment_method_type".into(), json!("CARD"));
        v.insert("payment_method".into(), json!("RUPAY"));
        v.insert("auth_type".into(), json!(auth_type(t.flow)));
        v.insert("card".into(), card(t));
        v.insert("txn_detail".into(), txn_detail(order, t));
        if t.approval_code.is_some() || t.status == TxnStatus::AuthorizationFailed {
            v.insert("payment_gateway_response".into(), gateway_response(t));
        }
    } else {
        v.insert("effective_amount".into(), money(0));
    }
    if !order.refunds.is_empty() {
        v.insert(
            "refunds".into(),
            Value::Array(order.refunds.iter().map(refund_view).collect()),
        );
    }
    Value::Object(v)
}

pub(crate) fn auth_type(flow: Flow) -> &'static str {
    match flow {
        Flow::Seamless => "OTP",
        Flow::Redirect => "THREE_DS",
    }
}

fn card(t: &Txn) -> Value {
    let n = &t.card_number;
    json!({
        "last_four_digits": n.get(n.len().saturating_sub(4)..).unwrap_or_default(),
        "card_isin": n.get(..6).unwrap_or_default(),
        "expiry_month": t.card_exp_month,
        "expiry_year": t.card_exp_year,
        "name_on_card": opt(&t.name_on_card),
        "card_type": "DEBIT",
        "card_issuer": "SANDBOX RUPAY BANK",
        "card_brand": "RUPAY",
        "using_saved_card": false,
        "saved_to_locker": false,
    })
}

fn txn_detail(order: &Order, t: &Txn) -> Value {
    json!({
        "txn_id": t.txn_id,
        "txn_uuid": t.txn_uuid,
        "order_id": order.order_id,
        "status": t.status.as_str(),
        "gateway": "DUMMY",
        "gateway_id": 0,
        "net_amount": money(t.amount),
        "txn_amount": money(t.amount),
        "currency": order.currency,
        "error_code": t.bank_error_code.clone().unwrap_or_default(),
        "error_message": t.bank_error_message.clone().unwrap_or_default(),
        "express_checkout": true,
        "redirect": t.flow == Flow::Redirect,
        "txn_object_type": "ORDER_PAYMENT",
        "auto_capture": t.auto_capture,
        "captured_amount": money(t.captured),
        "created": t.created,
    })
}

fn gateway_response(t: &Txn) -> Value {
    let (code, message) = match (&t.bank_error_code, &t.bank_error_message) {
        (Some(c), Some(m)) => (c.clone(), m.clone()),
        _ => ("00".to_owned(), "Approved".to_owned()),
    };
    json!({
        "resp_code": code,
        "resp_message": message,
        "auth_id_code": opt(&t.approval_code),
        "rrn": opt(&t.rrn),
        "epg_txn_id": t.txn_uuid,
        "txn_id": t.txn_id,
        "created": t.created,
    })
}

pub(crate) fn refund_view(r: &Refund) -> Value {
    json!({
        "id": r.id,
        "ref": r.id,
        "unique_request_id": r.unique_request_id,
        "amount": money(r.amount),
        "status": if r.reported { "SUCCESS" } else { "PENDING" },
        "created": r.created,
        "error_message": "",
        "sent_to_gateway": true,
        "initiated_by": "API",
        "refund_type": "STANDARD",
    })
}
