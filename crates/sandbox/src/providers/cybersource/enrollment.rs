//! `POST /risk/v1/authentications`: check enrollment. For a seamless card it also sends
//! the OTP; the same call carrying the original `authenticationTransactionId` is a resend.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::store::{Enrollment as Record, PayerAuth, PayerAuthService, Purpose, lock};
use super::{
    CONNECTOR, CsError, base_url, client_reference, created, new_id, new_token, pares, parse,
};
use crate::acs::{AcsChallenge, Purchase, acs_url};
use crate::npci::issuer::random_digits;
use crate::npci::{Enrollment, Flow, NpciCode, Resend, cards};
use crate::providers::json::{Fields, at, parse_amount};
use crate::providers::time::utc_now_iso;
use crate::state::Sandbox;

const RESEND_ID: &str = "consumerAuthenticationInformation.authenticationTransactionId";
const CARD_NUMBER: [&str; 2] = [
    "paymentInformation.card.number",
    "paymentInformation.tokenizedCard.number",
];

pub async fn check_enrollment(
    State(sandbox): State<Arc<Sandbox>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, CsError> {
    let body = parse(&bytes)?;
    let mut fields = Fields::new(&body);
    if let Some(id) = fields.opt(RESEND_ID) {
        sandbox.calls.record(CONNECTOR, "resend");
        return resend(&sandbox, &body, &id);
    }
    sandbox.calls.record(CONNECTOR, "enrollment");
    let card = read_enrollment_fields(&mut fields)?;
    Ok(start(
        &sandbox,
        &headers,
        &body,
        &card,
        Purpose::Payment,
        new_id(),
    ))
}

/// Validates what every enrollment (payment or Standing Instruction) must carry and
/// returns the card number.
pub fn read_enrollment_fields(fields: &mut Fields<'_>) -> Result<String, CsError> {
    let number = fields.req_any(&CARD_NUMBER);
    fields.req_any(&[
        "paymentInformation.card.expirationMonth",
        "paymentInformation.tokenizedCard.expirationMonth",
    ]);
    fields.req_any(&[
        "paymentInformation.card.expirationYear",
        "paymentInformation.tokenizedCard.expirationYear",
    ]);
    fields.req_any(&[
        "paymentInformation.card.securityCode",
        "paymentInformation.tokenizedCard.securityCode",
    ]);
    let amount = fields.req("orderInformation.amountDetails.totalAmount");
    fields.req("orderInformation.amountDetails.currency");
    fields.req("deviceInformation.ipAddress");
    fields.req("deviceInformation.httpAcceptBrowserValue");
    fields.req("deviceInformation.userAgentBrowserValue");
    // An integer here (a string in /pts/v2/payments); either is accepted, nothing else.
    fields.opt("consumerAuthenticationInformation.transactionFlowIndicator");
    if !amount.is_empty() && parse_amount(&amount).is_none() {
        fields.mark_invalid("orderInformation.amountDetails.totalAmount");
    }
    CsError::check(fields)?;
    if !cards::luhn_valid(&number) {
        return Err(CsError::InvalidField(CARD_NUMBER[0].into()));
    }
    check_card_type(
        fields.opt("paymentInformation.card.type").as_deref(),
        &number,
    )?;
    Ok(number)
}

/// A RuPay card must be sent with RuPay's card type code, `061` (seed 004, FACTS.md): a
/// RuPay number under another brand's code (`001` is Visa) is refused naming the type.
pub fn check_card_type(given: Option<&str>, number: &str) -> Result<(), CsError> {
    const TYPE: &str = "paymentInformation.card.type";
    match given {
        Some(code) if cards::is_rupay_bin(number) && code.trim() != "061" => {
            Err(CsError::InvalidField(TYPE.into()))
        }
        _ => Ok(()),
    }
}

/// Runs enrollment for a card and answers in Cybersource's shape; `response_id` is the
/// answer's `id` (a new request id, or the billing agreement's id).
pub fn start(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    body: &Value,
    card: &str,
    purpose: Purpose,
    response_id: String,
) -> Response {
    let client_ref = client_reference(body);
    let amount = amount_of(body);
    let answer = enrollment_answer(
        sandbox,
        headers,
        &client_ref,
        card,
        purpose,
        response_id,
        &amount,
    );
    record(
        sandbox,
        PayerAuthService::Enroll,
        &answer,
        card,
        None,
        amount,
    );
    created(answer)
}

/// Enrollment's answer (the challenge is opened and kept when the card is enrolled).
fn enrollment_answer(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    client_ref: &Value,
    card: &str,
    purpose: Purpose,
    response_id: String,
    amount: &Option<(i64, String)>,
) -> Value {
    let flow = match sandbox.issuer.enrollment(card, None) {
        Enrollment::NotEnrolled => {
            return not_authenticated(client_ref, &response_id, "N", "NOENROLL");
        }
        Enrollment::IssuerUnavailable => {
            return not_authenticated(client_ref, &response_id, "U", "UNAVAILABLE");
        }
        Enrollment::Enrolled(flow) => flow,
    };
    let policy = sandbox.config.cybersource.otp;
    match flow {
        Flow::Seamless => {
            let id = random_digits(26);
            let context = random_digits(30);
            sandbox.issuer.start(CONNECTOR, &id, card, flow, policy);
            let record = Record {
                card_number: card.to_owned(),
                context: context.clone(),
                flow,
                purpose,
                amount: amount.clone(),
            };
            lock(&sandbox.cybersource.current().enrollments).insert(id.clone(), record);
            seamless_pending(
                client_ref,
                &response_id,
                &id,
                &context,
                policy.validity_minutes(),
            )
        }
        Flow::Redirect => {
            // Like the seed's xid: base64 of digits, which never contains '+', '/' or '='.
            let xid = STANDARD.encode(random_digits(18));
            sandbox.issuer.start(CONNECTOR, &xid, card, flow, policy);
            let record = Record {
                card_number: card.to_owned(),
                context: String::new(),
                flow,
                purpose,
                amount: amount.clone(),
            };
            lock(&sandbox.cybersource.current().enrollments).insert(xid.clone(), record);
            sandbox.acs.register(AcsChallenge {
                connector: CONNECTOR.into(),
                reference: xid.clone(),
                return_url: None,
                return_url_field: Some("TermUrl"),
                posted: Default::default(),
                // Seed 004: the merchant posts the xid as MD.
                expects: vec![("MD", xid.clone())],
                return_fields: pares::return_fields,
                merchant: None,
                purchase: amount.as_ref().map(|(minor, currency)| Purchase {
                    merchant: headers
                        .get("v-c-merchant-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned(),
                    amount_minor: *minor,
                    currency: currency.clone(),
                }),
            });
            let acs = acs_url(&base_url(sandbox, headers), CONNECTOR, &xid);
            let pareq = STANDARD.encode(format!("{{\"xid\":\"{xid}\",\"cardType\":\"061\"}}"));
            json!({
                "clientReferenceInformation": client_ref,
                "consumerAuthenticationInformation": {
                    "acsUrl": acs,
                    "xid": xid,
                    "authenticationTransactionId": xid,
                    "pareq": pareq,
                    "veresEnrolled": "Y",
                    "authenticationPath": "ENROLLED",
                    "specificationVersion": "rupay",
                    "token": new_token(),
                },
                "errorInformation": authentication_required(),
                "id": response_id,
                "status": "PENDING_AUTHENTICATION",
                "submitTimeUtc": utc_now_iso(),
            })
        }
    }
}

/// `orderInformation.amountDetails` of a request, when readable.
fn amount_of(body: &Value) -> Option<(i64, String)> {
    let total = at(body, "orderInformation.amountDetails.totalAmount")?;
    let total = match total {
        Value::String(s) => parse_amount(s)?,
        Value::Number(n) => parse_amount(&n.to_string())?,
        _ => return None,
    };
    let currency = at(body, "orderInformation.amountDetails.currency")?.as_str()?;
    Some((total, currency.to_owned()))
}

/// Keeps an answered payer authentication call for Transaction Search.
pub(crate) fn record(
    sandbox: &Sandbox,
    service: PayerAuthService,
    answer: &Value,
    card: &str,
    cavv: Option<String>,
    amount: Option<(i64, String)>,
) {
    sandbox.cybersource.current().record_payer_auth(PayerAuth {
        service,
        answer: answer.clone(),
        card_number: card.to_owned(),
        cavv,
        amount,
    });
}

/// A resend: a new OTP for the original transaction, the old one invalidated.
fn resend(sandbox: &Sandbox, body: &Value, id: &str) -> Result<Response, CsError> {
    let record = sandbox
        .cybersource
        .current()
        .enrollment(id)
        .ok_or_else(|| CsError::InvalidField(RESEND_ID.into()))?;
    let client_ref = client_reference(body);
    let response_id = new_id();
    let (result, session) = sandbox
        .issuer
        .resend(CONNECTOR, id)
        .map_err(|_| CsError::InvalidField(RESEND_ID.into()))?;
    let answer = match result {
        Resend::Sent { .. } => seamless_pending(
            &client_ref,
            &response_id,
            id,
            &record.context,
            session.otp.policy().validity_minutes(),
        ),
        Resend::LimitReached => {
            let _ = sandbox.issuer.finish(
                CONNECTOR,
                id,
                crate::npci::Outcome::Failed(NpciCode::ResendsExhausted),
            );
            super::validation::failed(
                &client_ref,
                &response_id,
                id,
                NpciCode::ResendsExhausted.as_str(),
                NpciCode::ResendsExhausted.description(),
            )
        }
    };
    self::record(
        sandbox,
        PayerAuthService::Enroll,
        &answer,
        &record.card_number,
        None,
        record.amount.clone(),
    );
    Ok(created(answer))
}

fn authentication_required() -> Value {
    json!({
        "reason": "CONSUMER_AUTHENTICATION_REQUIRED",
        "message": "The cardholder is enrolled in Payer Authentication. Please authenticate the cardholder before continuing with the transaction.",
    })
}

fn seamless_pending(
    client_ref: &Value,
    response_id: &str,
    id: &str,
    context: &str,
    validity_minutes: u64,
) -> Value {
    json!({
        "clientReferenceInformation": client_ref,
        "consumerAuthenticationInformation": {
            // The seed prints "05"; the SDK model calls it an integer of minutes.
            "validityPeriod": format!("{validity_minutes:02}"),
            "authenticationTransactionContext": context,
            "authenticationTransactionContextId": context,
            "authenticationTransactionId": id,
            "veresEnrolled": "Y",
            "authenticationPath": "ENROLLED",
            "authenticationType": "20",
            "specificationVersion": "rupay",
            "token": new_token(),
        },
        "errorInformation": authentication_required(),
        "id": response_id,
        "status": "PENDING_AUTHENTICATION",
        "submitTimeUtc": utc_now_iso(),
    })
}

/// Not enrolled (`N`, NPCI 410) or issuer unavailable (`U`, 412), said with the fields the
/// SDK's enrollment model documents only: `veresEnrolled` and `errorInformation` (the NPCI
/// code itself is not a documented field of this answer).
fn not_authenticated(client_ref: &Value, response_id: &str, veres: &str, path: &str) -> Value {
    json!({
        "clientReferenceInformation": client_ref,
        "consumerAuthenticationInformation": {
            "veresEnrolled": veres,
            "authenticationPath": path,
            "specificationVersion": "rupay",
            "token": new_token(),
        },
        "errorInformation": {
            "reason": "CONSUMER_AUTHENTICATION_FAILED",
            "message": "Encountered a Payer Authentication problem. Payer could not be authenticated.",
        },
        "id": response_id,
        "status": "AUTHENTICATION_FAILED",
        "submitTimeUtc": utc_now_iso(),
    })
}
