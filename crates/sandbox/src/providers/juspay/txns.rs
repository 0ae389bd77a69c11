//! `POST /txns`: start a card payment on an order.
//!
//! With `auth_type=OTP` (Direct OTP) an enrolled seamless card answers PENDING_VBV with
//! the OTP challenge (`payment.authentication.method = POST` to `/v2/txns/{id}/authenticate`
//! and the seed's `params`). A card the issuer authenticates only on its ACS page, or a
//! request without `auth_type=OTP`, answers PENDING_VBV with a 3DS step
//! (`method = GET`, `url` = the sandbox ACS page). Not-enrolled and issuer-unavailable
//! cards fail authentication (410 / 412); an expired card is JUSPAY_DECLINED.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::authenticate::otp_authentication;
use super::form::Params;
use super::orders::auto_capture;
use super::store::{Txn, TxnStatus};
use super::{CONNECTOR, JpError, api_base, new_challenge_id, new_txn_uuid, redirect};
use crate::acs::Purchase;
use crate::acs::acs_url;
use crate::npci::{Enrollment, Flow, NpciCode, cards};
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

/// Card fields as the request carries them.
struct CardInput {
    number: String,
    exp_month: String,
    exp_year: String,
    name: Option<String>,
}

fn read_card(params: &mut Params) -> Result<CardInput, JpError> {
    if params.opt("card_token").is_some() && params.opt("card_number").is_none() {
        return Err(JpError::Invalid("Invalid card token".into()));
    }
    let number = params.req("card_number").replace(' ', "");
    let exp_month = params.req("card_exp_month");
    let exp_year = params.req("card_exp_year");
    let cvv = params.req("card_security_code");
    params.check()?;
    if !cards::luhn_valid(&number) {
        return Err(JpError::Invalid("Invalid card number".into()));
    }
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(&exp_month) || !matches!(exp_month.parse::<u8>(), Ok(1..=12)) {
        return Err(JpError::Invalid(
            "Invalid card_exp_month: expected MM".into(),
        ));
    }
    if !two_digits(&exp_year) {
        return Err(JpError::Invalid(
            "Invalid card_exp_year: expected YY".into(),
        ));
    }
    if !(3..=4).contains(&cvv.len()) || !cvv.bytes().all(|b| b.is_ascii_digit()) {
        return Err(JpError::Invalid("Invalid card_security_code".into()));
    }
    Ok(CardInput {
        number,
        exp_month,
        exp_year,
        name: params.opt("name_on_card"),
    })
}

/// True when MM/YY lies before the current month.
fn expired(month: &str, year: &str) -> bool {
    let now = OffsetDateTime::now_utc();
    let (Ok(m), Ok(y)) = (month.parse::<i32>(), year.parse::<i32>()) else {
        return true;
    };
    let current = now.year() % 100 * 12 + i32::from(u8::from(now.month()));
    y * 12 + m < current
}

pub async fn start(
    State(sandbox): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "txn");
    let mut params = Params::parse(&headers, &body)?;
    let order_id = params.req("order_id");
    let merchant_id = params.req("merchant_id");
    let method_type = params.req("payment_method_type");
    let format = params.req("format");
    let card = read_card(&mut params)?;
    if merchant_id != sandbox.juspay.current_id() {
        return Err(JpError::Invalid("Invalid merchant_id".into()));
    }
    if !method_type.eq_ignore_ascii_case("CARD") {
        return Err(JpError::Invalid(
            "Invalid payment_method_type: only CARD is supported".into(),
        ));
    }
    if !format.eq_ignore_ascii_case("json") {
        return Err(JpError::Invalid("Invalid format: set format=json".into()));
    }
    let direct_otp = params
        .opt("auth_type")
        .is_some_and(|a| a.eq_ignore_ascii_case("OTP"));
    let base = api_base(&sandbox, &headers);

    let store = sandbox.juspay.current();

    let mut tables = store.lock();
    let order =
        tables.orders.get(&order_id).cloned().ok_or_else(|| {
            JpError::Invalid(format!("Invalid order_id: order {order_id} not found"))
        })?;
    if let Some(last) = order.txns.last().and_then(|u| tables.txns.get(u))
        && matches!(
            last.status,
            TxnStatus::Charged | TxnStatus::Authorized | TxnStatus::Authorizing | TxnStatus::Voided
        )
    {
        return Err(JpError::Invalid(format!(
            "Order {order_id} is already {}",
            last.status.as_str()
        )));
    }
    let txn_uuid = new_txn_uuid();
    let mut txn = Txn {
        txn_uuid: txn_uuid.clone(),
        txn_id: format!(
            "{}-{}-{}",
            order.merchant_id,
            order.order_id,
            order.txns.len() + 1
        ),
        order_id: order.order_id.clone(),
        status: TxnStatus::PendingVbv,
        card_number: card.number.clone(),
        card_exp_month: card.exp_month.clone(),
        card_exp_year: card.exp_year.clone(),
        name_on_card: card.name,
        flow: if direct_otp {
            Flow::Seamless
        } else {
            Flow::Redirect
        },
        challenge_id: new_challenge_id(),
        auto_capture: auto_capture(&params).unwrap_or(order.auto_capture),
        amount: order.amount,
        captured: 0,
        bank_error_code: None,
        bank_error_message: None,
        approval_code: None,
        rrn: None,
        created: utc_now_iso(),
    };
    let policy = sandbox.config.juspay.otp;
    let mut authentication = None;
    if expired(&card.exp_month, &card.exp_year) {
        txn.fail(
            TxnStatus::JuspayDeclined,
            "JP_EXPIRED_CARD",
            "Card is expired",
        );
    } else {
        let preferred = if direct_otp {
            Flow::Seamless
        } else {
            Flow::Redirect
        };
        match sandbox.issuer.enrollment(&card.number, Some(preferred)) {
            Enrollment::NotEnrolled => {
                let code = NpciCode::InvalidBin;
                txn.fail(
                    TxnStatus::AuthenticationFailed,
                    code.as_str(),
                    code.description(),
                );
            }
            Enrollment::IssuerUnavailable => {
                let code = NpciCode::IssuerAuthenticationFailure;
                txn.fail(
                    TxnStatus::AuthenticationFailed,
                    code.as_str(),
                    code.description(),
                );
            }
            Enrollment::Enrolled(flow) => {
                // Without auth_type=OTP the merchant asked for the 3DS page, whatever the card offers.
                let flow = if direct_otp { flow } else { Flow::Redirect };
                txn.flow = flow;
                let session =
                    sandbox
                        .issuer
                        .start(CONNECTOR, &txn_uuid, &card.number, flow, policy);
                authentication = Some(match flow {
                    Flow::Seamless => otp_authentication(&base, &txn, &session),
                    Flow::Redirect => {
                        let return_url = params
                            .opt("return_url")
                            .or_else(|| order.return_url.clone());
                        sandbox.acs.register(redirect::challenge(
                            &txn_uuid,
                            return_url,
                            Some(Purchase {
                                merchant: order.merchant_id.clone(),
                                amount_minor: order.amount,
                                currency: order.currency.clone(),
                            }),
                        ));
                        let url = acs_url(&sandbox.public_url(&headers), CONNECTOR, &txn_uuid);
                        json!({"method": "GET", "url": url})
                    }
                });
            }
        }
    }
    let answer = txn_answer(&txn, authentication);
    if let Some(o) = tables.orders.get_mut(&order_id) {
        o.txns.push(txn_uuid.clone());
    }
    tables.txns.insert(txn_uuid, txn);
    Ok(Json(answer))
}

/// The `/txns` (and `/authenticate`, `/resend`) answer.
pub(crate) fn txn_answer(txn: &Txn, authentication: Option<Value>) -> Value {
    let mut v = json!({
        "order_id": txn.order_id,
        "txn_id": txn.txn_id,
        "txn_uuid": txn.txn_uuid,
        "id": txn.txn_uuid,
        "status": txn.status.as_str(),
        "status_id": txn.status.id(),
    });
    if let Some(a) = authentication {
        v["payment"] = json!({"authentication": a});
    }
    if let (Some(code), Some(message)) = (&txn.bank_error_code, &txn.bank_error_message) {
        v["bank_error_code"] = json!(code);
        v["bank_error_message"] = json!(message);
    }
    v
}
