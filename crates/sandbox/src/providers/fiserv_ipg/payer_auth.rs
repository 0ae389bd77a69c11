//! RuPay payer authentication through IPG: `PaymentCardPayerAuthTransaction` with
//! `RupayAuthenticationRequest` answers `acsURL` (redirect) or
//! `otpVerificationResponse.otpValidityInMinutes` (seamless); `PATCH /payments/{id}` with
//! `RupayAuthenticationUpdateRequest` carries `verifyOtp` or `regenerateOtp`.
//!
//! `RupayAuthenticationRequest`, `verifyOtp` and `regenerateOtp` appear only in the seed;
//! their names live in this module alone. OTP results are reported as the seed shows
//! success: `approvalCode` `Y:00:...` / `N:<NPCI code>:...` and
//! `authenticationResponse.otpVerificationResponse.responseCode`. 450 and 451 leave the
//! transaction WAITING (retry or regenerate); 452 and 453 decline it (HTTP 422).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::payments::base_view;
use super::store::{Kind, Transaction};
use super::{CONNECTOR, IpgError, new_ipg_id, parse, request_id, stored};
use crate::acs::{AcsChallenge, AcsResult, Purchase, acs_url};
use crate::npci::{Enrollment, Flow, NpciCode, Outcome, Resend, Verify, cards};
use crate::providers::json::{Fields, at, parse_amount};
use crate::state::Sandbox;

const AUTH_TYPE: &str = "RupayAuthenticationRequest";
const UPDATE_TYPE: &str = "RupayAuthenticationUpdateRequest";
const VERIFY: &str = "verifyOtp";
const REGENERATE: &str = "regenerateOtp";

/// Handles `PaymentCardPayerAuthTransaction`.
pub fn create(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    body: &Value,
    rid: &str,
) -> Result<Response, IpgError> {
    sandbox.calls.record(CONNECTOR, "payer_auth");
    let mut f = Fields::new(body);
    let total = f.req("transactionAmount.total");
    let currency = f.req("transactionAmount.currency");
    let card = f.req("paymentMethod.paymentCard.number");
    f.req("paymentMethod.paymentCard.expiryDate.month");
    f.req("paymentMethod.paymentCard.expiryDate.year");
    let auth_type = f.req("authenticationRequest.authenticationType");
    let term_url = f.req("authenticationRequest.termURL");
    // The seed's text says cardHolderBrowserParameters, its example cardHolderBrowserParams.
    let params = if at(body, "authenticationRequest.cardHolderBrowserParameters").is_some() {
        "authenticationRequest.cardHolderBrowserParameters"
    } else {
        "authenticationRequest.cardHolderBrowserParams"
    };
    for name in [
        "browserAcceptHeaders",
        "browserIP",
        "browserLanguage",
        "browserUserAgent",
    ] {
        f.req(&format!("{params}.{name}"));
    }
    let order_id = f.opt("order.orderId");
    IpgError::check(&f)?;
    let expiry = super::expiry(body)?;
    if auth_type != AUTH_TYPE {
        return Err(IpgError::field(
            "authenticationRequest.authenticationType",
            "must be RupayAuthenticationRequest",
        ));
    }
    let amount = parse_amount(&total)
        .ok_or_else(|| IpgError::field("transactionAmount.total", "invalid amount"))?;
    if !cards::luhn_valid(&card) {
        return Err(IpgError::field(
            "paymentMethod.paymentCard.number",
            "Invalid credit card number",
        ));
    }
    let id = new_ipg_id();
    let order_id = order_id.unwrap_or_else(|| format!("R-{}", uuid::Uuid::new_v4()));
    let mut view = base_view(
        rid,
        &id,
        &order_id,
        Kind::PayerAuth,
        &card,
        expiry.as_ref(),
        amount,
        &currency,
    );
    view["transactionStatus"] = json!("WAITING");
    view["approvalCode"] = json!("?:waiting authentication");
    let policy = sandbox.config.fiserv_ipg.otp;
    let mut status = StatusCode::OK;
    // For BINs supporting both flows the seed says seamless is preferred.
    match sandbox.issuer.enrollment(&card, Some(Flow::Seamless)) {
        Enrollment::NotEnrolled => decline(&mut view, &mut status, NpciCode::InvalidBin),
        Enrollment::IssuerUnavailable => decline(
            &mut view,
            &mut status,
            NpciCode::IssuerAuthenticationFailure,
        ),
        Enrollment::Enrolled(Flow::Seamless) => {
            sandbox
                .issuer
                .start(CONNECTOR, &id, &card, Flow::Seamless, policy);
            view["authenticationResponse"] = json!({"otpVerificationResponse": {"otpValidityInMinutes": policy.validity_minutes()}});
        }
        Enrollment::Enrolled(Flow::Redirect) => {
            sandbox
                .issuer
                .start(CONNECTOR, &id, &card, Flow::Redirect, policy);
            sandbox.acs.register(AcsChallenge {
                connector: CONNECTOR.into(),
                reference: id.clone(),
                return_url: Some(term_url.clone()),
                return_url_field: None,
                posted: Default::default(),
                expects: Vec::new(),
                return_fields,
                merchant: None,
                purchase: Some(Purchase {
                    merchant: "Fiserv IPG store".into(),
                    amount_minor: amount,
                    currency: currency.clone(),
                }),
            });
            let acs = acs_url(&sandbox.public_url(headers), CONNECTOR, &id);
            view["authenticationResponse"] =
                json!({"params": {"termURL": term_url, "acsURL": acs}});
        }
    }
    sandbox.fiserv_ipg.current().insert(
        &id,
        Transaction {
            kind: Kind::PayerAuth,
            order_id,
            card_number: card,
            expiry,
            amount,
            currency,
            captured: 0,
            returned: 0,
            voided: false,
            parent: None,
            view: stored(&view),
        },
    );
    Ok((status, Json(view)).into_response())
}

fn decline(view: &mut Value, status: &mut StatusCode, code: NpciCode) {
    *status = StatusCode::UNPROCESSABLE_ENTITY;
    view["responseType"] = json!("EndpointDeclined");
    view["transactionStatus"] = json!("DECLINED");
    view["approvalCode"] = json!(format!("N:{}:{}", code.as_str(), code.description()));
    view["error"] = json!({"code": code.as_str(), "message": code.description()});
}

/// `PATCH /payments/{id}`: verify or regenerate the OTP.
pub async fn update(
    State(sandbox): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let rid = request_id(&headers);
    update_inner(&sandbox, &id, &rid, &bytes)
        .unwrap_or_else(|e| e.with_request_id(&rid).into_response())
}

fn update_inner(
    sandbox: &Sandbox,
    id: &str,
    rid: &str,
    bytes: &Bytes,
) -> Result<Response, IpgError> {
    let body = parse(bytes)?;
    let mut f = Fields::new(&body);
    let auth_type = f.req("authenticationType");
    let otp = f.opt(VERIFY);
    let regenerate = f.opt_bool(REGENERATE).unwrap_or(false);
    IpgError::check(&f)?;
    super::expiry(&body)?;
    if auth_type != UPDATE_TYPE {
        return Err(IpgError::field(
            "authenticationType",
            "must be RupayAuthenticationUpdateRequest",
        ));
    }
    let txn = sandbox
        .fiserv_ipg
        .current()
        .get(id)
        .filter(|t| t.kind == Kind::PayerAuth)
        .ok_or_else(IpgError::not_found)?;
    let mut view = txn.view.clone();
    view["clientRequestId"] = json!(rid);
    view["apiTraceId"] = json!(super::errors::trace_id());
    let mut status = StatusCode::OK;
    if let Some(otp) = otp {
        sandbox.calls.record(CONNECTOR, "verify_otp");
        let (verdict, _) = sandbox
            .issuer
            .verify(CONNECTOR, id, &otp)
            .map_err(|_| IpgError::not_found())?;
        match verdict {
            Verify::Success => {
                view["approvalCode"] = json!("Y:00:OTP verified successfully.");
                view["approvedAmount"] = view["transactionAmount"].clone();
                view["authenticationResponse"] = json!({"otpVerificationResponse": {
                    "responseCode": "00", "responseDescription": "OTP verified successfully."
                }});
            }
            Verify::Invalid { .. } | Verify::Expired => otp_failure(&mut view, verdict.code()),
            Verify::Exhausted => {
                otp_failure(&mut view, verdict.code());
                decline(&mut view, &mut status, verdict.code());
            }
        }
    } else if regenerate {
        sandbox.calls.record(CONNECTOR, "regenerate_otp");
        let (result, session) = sandbox
            .issuer
            .resend(CONNECTOR, id)
            .map_err(|_| IpgError::not_found())?;
        match result {
            Resend::Sent { .. } => {
                view["approvalCode"] = json!("?:waiting authentication");
                view["authenticationResponse"] = json!({"otpVerificationResponse": {
                    "otpValidityInMinutes": session.otp.policy().validity_minutes()
                }});
            }
            Resend::LimitReached => {
                let _ = sandbox.issuer.finish(
                    CONNECTOR,
                    id,
                    Outcome::Failed(NpciCode::ResendsExhausted),
                );
                otp_failure(&mut view, NpciCode::ResendsExhausted);
                decline(&mut view, &mut status, NpciCode::ResendsExhausted);
            }
        }
    } else {
        return Err(IpgError::field(
            VERIFY,
            "verifyOtp or regenerateOtp is required",
        ));
    }
    if let Some(stored) =
        super::store::lock(&sandbox.fiserv_ipg.current().transactions).get_mut(&id.to_owned())
    {
        stored.view = super::stored(&view);
    }
    Ok((status, Json(view)).into_response())
}

fn otp_failure(view: &mut Value, code: NpciCode) {
    view["approvalCode"] = json!(format!("N:{}:{}", code.as_str(), code.description()));
    view["authenticationResponse"] = json!({"otpVerificationResponse": {
        "responseCode": code.as_str(), "responseDescription": code.description()
    }});
}

/// The payer's browser returns to `termURL` with these fields, signed like IPG's extended
/// hash: `response_hash` = base64(HMAC-SHA256(API secret, `approval_code|ipgTransactionId|oid|status`)),
/// with the secret of the store whose request opened the page.
pub fn return_fields(
    sandbox: &Sandbox,
    challenge: &AcsChallenge,
    result: AcsResult,
) -> Vec<(String, String)> {
    let id = challenge.reference.clone();
    let order = sandbox
        .fiserv_ipg
        .current()
        .get(&id)
        .map(|t| t.order_id)
        .unwrap_or_default();
    let (status, approval) = match result {
        AcsResult::Authenticated => ("APPROVED", "Y:00:Authentication successful".to_owned()),
        AcsResult::Failed(code) => (
            "DECLINED",
            format!("N:{}:{}", code.as_str(), code.description()),
        ),
        AcsResult::Cancelled => ("DECLINED", "N:ACCU200:Cancelled by cardholder".to_owned()),
    };
    // Signed with the secret of the store whose request opened the page.
    let cfg = &sandbox.config.fiserv_ipg;
    let store = sandbox.fiserv_ipg.current_id();
    let secret = cfg.secret_of(&store).unwrap_or(&cfg.api_secret);
    let hash = response_hash(secret, &approval, &id, &order, status);
    vec![
        ("ipgTransactionId".into(), id),
        ("oid".into(), order),
        ("status".into(), status.into()),
        ("approval_code".into(), approval),
        ("response_hash".into(), hash),
    ]
}

/// The hash over the return fields (the merchant verifies it with the same secret).
pub fn response_hash(secret: &str, approval: &str, id: &str, order: &str, status: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{approval}|{id}|{order}|{status}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The current authentication state of a PAYER_AUTH transaction, for inquiries.
pub fn refresh_view(sandbox: &Sandbox, id: &str, view: &mut Value) {
    let Some(session) = sandbox.issuer.session(CONNECTOR, id) else {
        return;
    };
    match session.outcome {
        Outcome::Authenticated { .. } => {
            view["approvalCode"] = json!("Y:00:OTP verified successfully.");
            view["approvedAmount"] = view["transactionAmount"].clone();
        }
        Outcome::Failed(code) => {
            view["transactionStatus"] = json!("DECLINED");
            view["approvalCode"] = json!(format!("N:{}:{}", code.as_str(), code.description()));
        }
        Outcome::Cancelled => {
            view["transactionStatus"] = json!("DECLINED");
            view["approvalCode"] = json!("N:ACCU200:Cancelled by cardholder");
        }
        Outcome::Pending => {}
    }
}
