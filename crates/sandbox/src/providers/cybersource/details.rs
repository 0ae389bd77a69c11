//! `GET /tss/v2/transactions/{id}`: the Transaction Details API, Cybersource's documented
//! read of one transaction (its SDK model `TssV2TransactionsGet200Response`).
//!
//! Answers only fields that model defines: `id`, `rootId` (the authorization the series
//! started with), `submitTimeUTC`, `merchantId`, `applicationInformation` with the services
//! the transaction ran (`ics_auth`, `ics_bill`, `ics_auth_reversal`, `ics_credit`,
//! `ics_void`) and their `reasonCode`/`rCode`/`rFlag`, `clientReferenceInformation.code`,
//! `orderInformation.amountDetails` (`totalAmount`, `currency`, and `authorizedAmount` for
//! an approved authorization), the masked card, the processor's answer, the decline's
//! `errorInformation`, and `_links` with `self` and `relatedTransactions`: the transaction
//! this one acted on and the transactions that acted on this one (an authorization lists
//! its captures and reversal; a capture its refunds and void; a void only what it voided).
//! The running totals (captured, refunded) are never answered: a reader adds them up from
//! the related transactions. Unknown ids are `404 NOT_FOUND`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::store::{Kind, Transaction, lock};
use super::{CONNECTOR, CsError, search};
use crate::providers::json::format_amount;
use crate::state::Sandbox;

const DETAILS: &str = "/tss/v2/transactions";

pub async fn get(State(sandbox): State<Arc<Sandbox>>, Path(id): Path<String>) -> Response {
    sandbox.calls.record(CONNECTOR, "transaction_details");
    let store = sandbox.cybersource.current();
    let table = lock(&store.transactions);
    let Some(t) = table.get(&id) else {
        return CsError::NotFound.into_response();
    };
    let mut related: Vec<String> = t.parent.iter().cloned().collect();
    let mut children: Vec<(String, String)> = table
        .iter()
        .filter(|(_, c)| c.parent.as_deref() == Some(id.as_str()))
        .map(|(child, c)| {
            (
                c.view["submitTimeUtc"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                child.clone(),
            )
        })
        .collect();
    children.sort();
    related.extend(children.into_iter().map(|(_, child)| child));
    let merchant = sandbox.cybersource.current_id();
    let body = view(&id, t, &merchant, &related);
    axum::Json(body).into_response()
}

fn link(id: &str) -> Value {
    json!({"href": format!("{DETAILS}/{id}"), "method": "GET"})
}

/// The details of transaction `id`, related to the transactions `related`.
fn view(id: &str, t: &Transaction, merchant: &str, related: &[String]) -> Value {
    let (apps, (reason, r_code, r_flag)) = search::applications(t);
    let number = &t.card_number;
    let prefix = number.get(..6).unwrap_or_default();
    let suffix = number
        .get(number.len().saturating_sub(4)..)
        .unwrap_or_default();
    let mut amounts = json!({
        "totalAmount": format_amount(t.amount),
        "currency": t.currency,
    });
    let declined = t.view["status"] == "DECLINED";
    if t.kind == Kind::Authorization && !declined {
        amounts["authorizedAmount"] = json!(format_amount(t.amount));
    }
    let mut links = json!({"self": link(id)});
    if !related.is_empty() {
        links["relatedTransactions"] = related.iter().map(|r| link(r)).collect();
    }
    let mut body = json!({
        "id": id,
        "rootId": t.root,
        "merchantId": merchant,
        "submitTimeUTC": t.view["submitTimeUtc"],
        "applicationInformation": {
            "reasonCode": reason,
            "rCode": r_code,
            "rFlag": r_flag,
            "applications": apps,
        },
        "clientReferenceInformation": {"code": t.client_reference()},
        "orderInformation": {"amountDetails": amounts},
        "paymentInformation": {
            "paymentType": {"type": "credit card"},
            "card": {"prefix": prefix, "suffix": suffix, "type": "061"},
        },
        "_links": links,
    });
    let processor: Map<String, Value> = [
        "approvalCode",
        "networkTransactionId",
        "transactionId",
        "responseCode",
    ]
    .iter()
    .filter_map(|f| {
        let v = &t.view["processorInformation"][*f];
        (!v.is_null()).then(|| ((*f).to_owned(), v.clone()))
    })
    .collect();
    if !processor.is_empty() {
        body["processorInformation"] = Value::Object(processor);
    }
    if declined {
        body["errorInformation"] = json!({
            "reason": t.view["errorInformation"]["reason"],
            "message": t.view["errorInformation"]["message"],
        });
    }
    body
}
