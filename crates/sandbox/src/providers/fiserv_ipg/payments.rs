//! IPG primary transactions (sale, pre-auth; payer auth is delegated), secondary
//! transactions (PostAuth = capture, Void, Return = refund) and inquiries.
//!
//! A RuPay sale or pre-auth must name the `ipgTransactionId` of a successful payer
//! authentication; otherwise, or when the issuer declines, IPG answers 422
//! `EndpointDeclined` with `transactionStatus: DECLINED` and the processor's code.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::{Kind, Transaction, lock};
use super::{
    CONNECTOR, IpgError, amount_json, new_ipg_id, now_secs, parse, payer_auth, request_id, stored,
};
use crate::npci::issuer::random_digits;
use crate::npci::{Authorization, cards};
use crate::providers::json::{Fields, parse_amount};
use crate::state::Sandbox;

/// The fields every IPG transaction response shares. The expiry year is printed with four
/// digits, as every answer in seed 002 shows it (`"year": "2026"`), though requests must
/// send two.
#[allow(clippy::too_many_arguments)]
pub fn base_view(
    rid: &str,
    id: &str,
    order_id: &str,
    kind: Kind,
    card: &str,
    expiry: Option<&(String, String)>,
    amount: i64,
    currency: &str,
) -> Value {
    let bin = card.get(..6).unwrap_or_default();
    let last4 = card.get(card.len().saturating_sub(4)..).unwrap_or_default();
    let mut view = json!({
        "clientRequestId": rid,
        "apiTraceId": super::errors::trace_id(),
        "ipgTransactionId": id,
        "orderId": order_id,
        "transactionType": kind.as_str(),
        "paymentToken": {"reusable": true, "declineDuplicates": false, "brand": "RUPAY", "type": "PAYMENT_CARD"},
        "transactionOrigin": "ECOM",
        "paymentMethodDetails": {
            "paymentCard": {
                "bin": bin,
                "last4": last4,
                "brand": "RUPAY",
            },
            "paymentMethodType": "PAYMENT_CARD",
            "paymentMethodBrand": "RUPAY",
        },
        "country": "India",
        "transactionTime": now_secs(),
        "transactionAmount": amount_json(amount, currency),
    });
    if let Some((month, year)) = expiry {
        view["paymentMethodDetails"]["paymentCard"]["expiryDate"] =
            json!({"month": month, "year": format!("20{year}")});
    }
    view
}

/// `transactionState` of a sale or pre-auth (the spec's field for where a transaction
/// stands; `transactionStatus` keeps the result of the request that created it).
pub fn primary_state(txn: &Transaction) -> &'static str {
    if txn.view["transactionStatus"] == "DECLINED" {
        "DECLINED"
    } else if txn.voided {
        "VOIDED"
    } else if txn.captured > 0 {
        "CAPTURED"
    } else {
        "AUTHORIZED"
    }
}

/// `POST /payments`.
pub async fn primary(
    State(sandbox): State<Arc<Sandbox>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let rid = request_id(&headers);
    primary_inner(&sandbox, &headers, &rid, &bytes)
        .unwrap_or_else(|e| e.with_request_id(&rid).into_response())
}

fn primary_inner(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    rid: &str,
    bytes: &Bytes,
) -> Result<Response, IpgError> {
    let body = parse(bytes)?;
    let request_type = Fields::new(&body).opt("requestType").unwrap_or_default();
    match request_type.as_str() {
        "PaymentCardPayerAuthTransaction" => payer_auth::create(sandbox, headers, &body, rid),
        "PaymentCardSaleTransaction" => authorize(sandbox, &body, rid, Kind::Sale),
        "PaymentCardPreAuthTransaction" => authorize(sandbox, &body, rid, Kind::PreAuth),
        _ => Err(IpgError::field("requestType", "unsupported request type")),
    }
}

fn authorize(sandbox: &Sandbox, body: &Value, rid: &str, kind: Kind) -> Result<Response, IpgError> {
    sandbox.calls.record(
        CONNECTOR,
        if kind == Kind::Sale {
            "sale"
        } else {
            "preauth"
        },
    );
    let mut f = Fields::new(body);
    let total = f.req("transactionAmount.total");
    let currency = f.req("transactionAmount.currency");
    let card = f.opt("paymentMethod.paymentCard.number");
    let payer_auth_id = f.opt("ipgTransactionId");
    let order_id = f.opt("order.orderId");
    IpgError::check(&f)?;
    let expiry = super::expiry(body)?;
    let amount = parse_amount(&total)
        .filter(|a| *a > 0)
        .ok_or_else(|| IpgError::field("transactionAmount.total", "invalid amount"))?;
    let payer_auth = match &payer_auth_id {
        Some(pid) => Some(
            sandbox
                .fiserv_ipg
                .current()
                .get(pid)
                .filter(|t| t.kind == Kind::PayerAuth)
                .ok_or_else(|| {
                    IpgError::field("ipgTransactionId", "unknown payer authentication")
                })?,
        ),
        None => None,
    };
    let card = card
        .or_else(|| payer_auth.as_ref().map(|p| p.card_number.clone()))
        .ok_or_else(|| IpgError::field("paymentMethod.paymentCard.number", "may not be null"))?;
    if !cards::luhn_valid(&card) {
        return Err(IpgError::field(
            "paymentMethod.paymentCard.number",
            "Invalid credit card number",
        ));
    }
    let order_id = order_id
        .or_else(|| payer_auth.as_ref().map(|p| p.order_id.clone()))
        .unwrap_or_else(|| format!("R-{}", uuid::Uuid::new_v4()));
    let proofs: Vec<&str> = payer_auth_id.iter().map(String::as_str).collect();
    let decision = sandbox.issuer.authorize(&card, &proofs);
    let id = new_ipg_id();
    let expiry = expiry.or_else(|| payer_auth.as_ref().and_then(|p| p.expiry.clone()));
    let mut view = base_view(
        rid,
        &id,
        &order_id,
        kind,
        &card,
        expiry.as_ref(),
        amount,
        &currency,
    );
    let status = match decision {
        Authorization::Approved { approval_code } => {
            let reference = random_digits(12);
            view["transactionStatus"] = json!("APPROVED");
            view["approvedAmount"] = amount_json(amount, &currency);
            view["approvalCode"] =
                json!(format!("Y:{approval_code}:{}:PPX :{reference}", &id[1..]));
            view["schemeTransactionId"] = json!(random_digits(30));
            view["processor"] = json!({
                "referenceNumber": reference,
                "authorizationCode": approval_code,
                "responseCode": "00",
                "responseMessage": "success",
            });
            StatusCode::OK
        }
        Authorization::Declined(d) => {
            view["responseType"] = json!("EndpointDeclined");
            view["transactionStatus"] = json!("DECLINED");
            view["approvalCode"] = json!(format!("N:{}:{}", d.code(), d.message()));
            view["processor"] = json!({"responseCode": d.code(), "responseMessage": d.message()});
            view["error"] = json!({"code": d.code(), "message": d.message()});
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let approved = status == StatusCode::OK;
    let mut txn = Transaction {
        kind,
        order_id,
        card_number: card,
        expiry,
        amount,
        currency,
        captured: if kind == Kind::Sale && approved {
            amount
        } else {
            0
        },
        returned: 0,
        voided: !approved,
        parent: None,
        view: stored(&view),
    };
    view["transactionState"] = json!(primary_state(&txn));
    txn.view = stored(&view);
    sandbox.fiserv_ipg.current().insert(&id, txn);
    Ok((status, Json(view)).into_response())
}

/// `POST /payments/{id}`: PostAuthTransaction, VoidTransaction, ReturnTransaction.
pub async fn secondary(
    State(sandbox): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let rid = request_id(&headers);
    secondary_inner(&sandbox, &id, &rid, &bytes)
        .unwrap_or_else(|e| e.with_request_id(&rid).into_response())
}

fn secondary_inner(
    sandbox: &Sandbox,
    parent_id: &str,
    rid: &str,
    bytes: &Bytes,
) -> Result<Response, IpgError> {
    let body = parse(bytes)?;
    let mut f = Fields::new(&body);
    let request_type = f.req("requestType");
    let total = f.opt("transactionAmount.total");
    IpgError::check(&f)?;
    let kind = match request_type.as_str() {
        "PostAuthTransaction" => Kind::PostAuth,
        "VoidTransaction" => Kind::Void,
        "ReturnTransaction" => Kind::Return,
        _ => {
            return Err(IpgError::field(
                "requestType",
                "unsupported secondary transaction type",
            ));
        }
    };
    sandbox
        .calls
        .record(CONNECTOR, kind.as_str().to_ascii_lowercase().as_str());
    let store = sandbox.fiserv_ipg.current();
    let mut table = lock(&store.transactions);
    let parent = table
        .get(&parent_id.to_owned())
        .cloned()
        .ok_or_else(IpgError::not_found)?;
    // Totals live on the primary (sale or pre-auth) the chain starts from.
    let root_id = match parent.kind {
        Kind::Sale | Kind::PreAuth => parent_id.to_owned(),
        _ => parent.parent.clone().unwrap_or_default(),
    };
    let root = table.get_mut(&root_id).ok_or_else(IpgError::not_found)?;
    let amount = match (kind, total) {
        (Kind::Void, _) => parent.amount,
        (_, Some(t)) => parse_amount(&t)
            .filter(|a| *a > 0)
            .ok_or_else(|| IpgError::field("transactionAmount.total", "invalid amount"))?,
        (_, None) => {
            return Err(IpgError::field(
                "transactionAmount.total",
                "may not be null",
            ));
        }
    };
    if root.voided {
        return Err(IpgError::gateway_declined(
            "The transaction has been voided or was declined",
        ));
    }
    match kind {
        Kind::PostAuth => {
            if parent.kind != Kind::PreAuth || root.captured + amount > root.amount {
                return Err(IpgError::gateway_declined(
                    "Capture amount exceeds the authorized amount",
                ));
            }
            root.captured += amount;
        }
        Kind::Return => {
            if root.returned + amount > root.captured {
                return Err(IpgError::gateway_declined(
                    "Return amount exceeds the captured amount",
                ));
            }
            root.returned += amount;
        }
        Kind::Void => match parent.kind {
            Kind::Sale | Kind::PreAuth if root.returned == 0 => root.voided = true,
            Kind::PostAuth => root.captured -= parent.amount,
            Kind::Return => root.returned -= parent.amount,
            _ => {
                return Err(IpgError::gateway_declined(
                    "The transaction cannot be voided",
                ));
            }
        },
        _ => {}
    }
    root.view["transactionState"] = json!(primary_state(root));
    let currency = root.currency.clone();
    let id = new_ipg_id();
    let mut view = base_view(
        rid,
        &id,
        &parent.order_id,
        kind,
        &parent.card_number,
        parent.expiry.as_ref(),
        amount,
        &currency,
    );
    view["transactionStatus"] = json!("APPROVED");
    view["approvedAmount"] = amount_json(amount, &currency);
    view["approvalCode"] = json!(format!("Y:{}:{}:PPX :", random_digits(6), &id[1..]));
    view["processor"] = json!({"responseCode": "00", "responseMessage": "success"});
    table.insert(
        id.clone(),
        Transaction {
            kind,
            order_id: parent.order_id.clone(),
            card_number: parent.card_number.clone(),
            expiry: parent.expiry.clone(),
            amount,
            currency,
            captured: 0,
            returned: 0,
            voided: false,
            parent: Some(root_id),
            view: view.clone(),
        },
    );
    drop(table);
    if let Some(list) = lock(&sandbox.fiserv_ipg.current().orders).get_mut(&parent.order_id) {
        list.push(id);
    }
    Ok(Json(view).into_response())
}

/// `GET /payments/{id}`.
pub async fn inquiry(
    State(sandbox): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    sandbox.calls.record(CONNECTOR, "inquiry");
    let rid = request_id(&headers);
    match sandbox.fiserv_ipg.current().get(&id) {
        Some(txn) => Json(current_view(&sandbox, &id, &txn, &rid)).into_response(),
        None => IpgError::not_found().with_request_id(&rid).into_response(),
    }
}

fn current_view(sandbox: &Sandbox, id: &str, txn: &Transaction, rid: &str) -> Value {
    let mut view = txn.view.clone();
    view["clientRequestId"] = json!(rid);
    view["apiTraceId"] = json!(super::errors::trace_id());
    if txn.kind == Kind::PayerAuth {
        payer_auth::refresh_view(sandbox, id, &mut view);
    }
    view
}

/// `GET /orders/{orderId}`.
pub async fn order_inquiry(
    State(sandbox): State<Arc<Sandbox>>,
    Path(order): Path<String>,
    headers: HeaderMap,
) -> Response {
    sandbox.calls.record(CONNECTOR, "order_inquiry");
    let rid = request_id(&headers);
    let Some(ids) = lock(&sandbox.fiserv_ipg.current().orders)
        .get(&order)
        .cloned()
    else {
        return IpgError::new(StatusCode::NOT_FOUND, "NotFound", "404", "Order not found")
            .with_request_id(&rid)
            .into_response();
    };
    let transactions: Vec<Value> = ids
        .iter()
        .filter_map(|id| {
            sandbox
                .fiserv_ipg
                .current()
                .get(id)
                .map(|t| current_view(&sandbox, id, &t, &rid))
        })
        .collect();
    Json(json!({
        "clientRequestId": rid,
        "apiTraceId": super::errors::trace_id(),
        "orderId": order,
        "transactions": transactions,
    }))
    .into_response()
}
