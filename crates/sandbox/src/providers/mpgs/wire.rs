//! The gateway's JSON: transaction and order views as seed 001 prints them, timestamps,
//! amounts and masked card numbers.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::status::{self, AuthState};
use super::store::{Card, Kind, Order, Outcome, Transaction};
use crate::npci::Decline;
use crate::state::Sandbox;

/// Merchant category code the simulator reports.
const MCC: &str = "1234";
/// The acquirer link of seed 001.
const ACQUIRER_ID: &str = "NPCI_ACQ_S2S";
const ACQUIRER_MERCHANT: &str = "423555234334123";
const TERMINAL: &str = "88011019";

/// `2024-03-18T07:01:37.907Z`.
pub fn timestamp(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Minor units as the JSON number the gateway prints (`980.0`).
pub fn amount(minor: i64) -> Value {
    // Exact for every amount below 2^53 minor units.
    #[allow(clippy::cast_precision_loss)]
    let major = minor as f64 / 100.0;
    json!(major)
}

/// `607484xxxxxx4936`.
pub fn mask(number: &str) -> String {
    if number.len() < 11 || !number.is_ascii() {
        return "x".repeat(number.len());
    }
    let (head, rest) = number.split_at(6);
    let tail = &rest[rest.len() - 4..];
    format!("{head}{}{tail}", "x".repeat(rest.len() - 4))
}

/// `"05"` → `"5"`, as the gateway echoes expiry.
fn unpadded(s: &str) -> String {
    let t = s.trim_start_matches('0');
    if t.is_empty() { "0".into() } else { t.into() }
}

/// `sourceOfFunds`; `payment` adds the fields AUTHORIZE and PAY answers carry.
pub fn source_of_funds(card: &Card, payment: bool) -> Value {
    let mut c = Map::new();
    c.insert("number".into(), json!(mask(&card.number)));
    c.insert("scheme".into(), json!("RUPAY"));
    if let Some((month, year)) = &card.expiry {
        c.insert(
            "expiry".into(),
            json!({"month": unpadded(month), "year": year}),
        );
    }
    if payment {
        c.insert("brand".into(), json!("RUPAY"));
        c.insert("fundingMethod".into(), json!("UNKNOWN"));
        c.insert("storedOnFile".into(), json!("NOT_STORED"));
        c.insert(
            "tags".into(),
            json!("{\"RUPAY_BIN_STATUS_FLAG\":\"ACTIVE\",\"RUPAY_BIN_MESSAGE_TYPE\":\"DMS\"}"),
        );
        if let Some(expiry) = c.get("expiry").cloned() {
            c.insert("deviceSpecificExpiry".into(), expiry);
        }
        c.insert("deviceSpecificNumber".into(), json!(mask(&card.number)));
    }
    json!({"provided": {"card": c}, "type": card.source.as_str()})
}

/// The `order` object inside a transaction answer.
pub fn order_object(sandbox: &Sandbox, order: &Order) -> Value {
    let (status, authentication_status) = status::order_status(sandbox, order);
    let t = status::totals(order);
    let mut o = json!({
        "chargeback": {"amount": 0, "currency": order.currency},
        "creationTime": timestamp(order.created),
        "currency": order.currency,
        "id": order.id,
        "lastUpdatedTime": timestamp(order.updated),
        "merchantCategoryCode": MCC,
        "merchantCurrency": order.currency,
        "status": status,
        "totalAuthorizedAmount": amount(t.authorized),
        "totalCapturedAmount": amount(t.captured),
        "totalDisbursedAmount": 0,
        "totalRefundedAmount": amount(t.refunded),
    });
    if let Some(a) = order.amount {
        o["amount"] = amount(a);
        o["merchantAmount"] = amount(a);
    }
    if let Some(s) = authentication_status {
        o["authenticationStatus"] = json!(s);
    }
    o
}

/// What a payment decline reports: (gatewayCode, acquirerCode, acquirerMessage, recommendation).
pub fn decline_fields(d: Decline) -> (&'static str, &'static str, &'static str, &'static str) {
    match d {
        Decline::InsufficientFunds => (
            "INSUFFICIENT_FUNDS",
            "51",
            "NON SUFFICIENT FUNDS",
            "RESUBMIT_WITH_ALTERNATIVE_PAYMENT_DETAILS",
        ),
        Decline::ExpiredCard => (
            "EXPIRED_CARD",
            "54",
            "EXPIRED CARD",
            "RESUBMIT_WITH_ALTERNATIVE_PAYMENT_DETAILS",
        ),
        Decline::DoNotHonour => (
            "DECLINED",
            "05",
            "Do not Honour",
            "RESUBMIT_WITH_ALTERNATIVE_PAYMENT_DETAILS",
        ),
        Decline::AuthenticationRequired => (
            "DECLINED",
            "409",
            "Invalid AuthenticationValue",
            "DO_NOT_PROCEED",
        ),
    }
}

/// A transaction answer (PUT response and Retrieve Transaction). `html` is the
/// `authentication.redirect.html` of this very answer: the gateway does not persist it.
pub fn transaction(
    sandbox: &Sandbox,
    merchant: &str,
    order: &Order,
    tx: &Transaction,
    html: Option<&str>,
) -> Value {
    let mut v = json!({
        "merchant": merchant,
        "order": order_object(sandbox, order),
        "timeOfLastUpdate": timestamp(order.updated),
        "timeOfRecord": timestamp(tx.created),
        "version": tx.version.to_string(),
    });
    let mut t = json!({
        "acquirer": {"merchantId": merchant},
        "amount": amount(tx.amount),
        "currency": tx.currency,
        "id": tx.id,
        "type": tx.kind.as_str(),
    });
    if let Some(card) = &tx.card {
        v["sourceOfFunds"] =
            source_of_funds(card, matches!(tx.kind, Kind::Authorization | Kind::Payment));
    }
    if let Some(device) = &tx.device {
        v["device"] = device.clone();
    }
    match (&tx.auth, &tx.outcome) {
        (Some(auth), _) => {
            let state = status::of(sandbox, auth);
            let mut a =
                json!({"version": "RUPAY", "purpose": auth.purpose, "channel": auth.channel});
            if tx.amount > 0 {
                a["amount"] = amount(tx.amount);
            }
            if let Some(reference) = &auth.reference {
                a["3ds"] = json!({"transactionId": reference});
                a["method"] = json!("DYNAMIC");
                a["payerInteraction"] = json!("REQUIRED");
            }
            if let Some(time) = auth.time {
                a["time"] = json!(timestamp(time));
            }
            if let Some((code, description)) = &state.status {
                a["status"] = json!({"code": code, "description": description});
            }
            if let Some(html) = html {
                a["redirect"] = json!({"html": html});
            }
            v["authentication"] = a;
            t["authenticationStatus"] = json!(state.authentication_status);
            if !state.pending || auth.retried {
                t["stan"] = json!("0");
            }
            apply(&mut v, &state);
        }
        (
            None,
            Some(Outcome::Approved {
                authorization_code,
                receipt,
                stan,
                transaction_identifier,
            }),
        ) => {
            v["authorizationResponse"] = json!({"transactionIdentifier": transaction_identifier});
            v["gatewayEntryPoint"] = json!("WEB_SERVICES_API");
            v["response"] = json!({
                "acquirerCode": "00",
                "acquirerMessage": "Success",
                "gatewayCode": "APPROVED",
                "gatewayRecommendation": "NO_ACTION",
            });
            v["result"] = json!("SUCCESS");
            t["acquirer"] = json!({"id": ACQUIRER_ID, "merchantId": ACQUIRER_MERCHANT});
            t["authorizationCode"] = json!(authorization_code);
            t["receipt"] = json!(receipt);
            t["source"] = json!("INTERNET");
            t["stan"] = json!(stan);
            t["terminal"] = json!(TERMINAL);
        }
        (None, Some(Outcome::Declined(d))) => {
            let (gateway_code, acquirer_code, acquirer_message, recommendation) =
                decline_fields(*d);
            v["gatewayEntryPoint"] = json!("WEB_SERVICES_API");
            v["response"] = json!({
                "acquirerCode": acquirer_code,
                "acquirerMessage": acquirer_message,
                "gatewayCode": gateway_code,
                "gatewayRecommendation": recommendation,
            });
            v["result"] = json!("FAILURE");
            t["acquirer"] = json!({"id": ACQUIRER_ID, "merchantId": ACQUIRER_MERCHANT});
            t["source"] = json!("INTERNET");
        }
        (None, None) => {
            v["gatewayEntryPoint"] = json!("WEB_SERVICES_API");
            v["response"] = json!({
                "acquirerCode": "00",
                "acquirerMessage": "Approved",
                "gatewayCode": "APPROVED",
                "gatewayRecommendation": "NO_ACTION",
            });
            v["result"] = json!("SUCCESS");
            t["acquirer"] = json!({"id": ACQUIRER_ID, "merchantId": ACQUIRER_MERCHANT});
            t["source"] = json!("INTERNET");
            if let Some(target) = &tx.target {
                t["targetTransactionId"] = json!(target);
            }
        }
    }
    if let Some(id) = &tx.authentication_id {
        v["authentication"] = json!({"transactionId": id});
    }
    v["transaction"] = t;
    v
}

fn apply(v: &mut Value, state: &AuthState) {
    v["response"] =
        json!({"gatewayCode": state.gateway_code, "gatewayRecommendation": state.recommendation});
    v["result"] = json!(state.result);
}

/// Retrieve Order: the order's fields at the top level and every transaction.
pub fn order(sandbox: &Sandbox, merchant: &str, order: &Order) -> Value {
    let mut v = order_object(sandbox, order);
    v["merchant"] = json!(merchant);
    v["result"] = json!("SUCCESS");
    if let Some(card) = order
        .transactions
        .iter()
        .rev()
        .find_map(|t| t.card.as_ref())
    {
        v["sourceOfFunds"] = source_of_funds(card, false);
    }
    v["transaction"] = Value::Array(
        order
            .transactions
            .iter()
            .map(|t| transaction(sandbox, merchant, order, t, None))
            .collect(),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_the_seed() {
        assert_eq!(mask("6074840000004936"), "607484xxxxxx4936");
        assert_eq!(mask("123"), "xxx");
    }

    #[test]
    fn timestamps_have_millis() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_710_745_297_907_000_000).expect("time");
        assert_eq!(timestamp(t), "2024-03-18T07:01:37.907Z");
    }
}
