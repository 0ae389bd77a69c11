//! Direct OTP: `POST /v2/txns/{txn_uuid}/authenticate` (`challenge_id`, `answer.otp`) and
//! `POST /v2/txns/{txn_uuid}/authenticate/{challenge_id}/resend`.
//!
//! A right OTP authorizes at once (CHARGED, or AUTHORIZED without auto-capture); a wrong
//! one keeps the transaction PENDING_VBV with `current_attempt` advanced and the bank code
//! 450; the wrong OTP that uses the last attempt ends it AUTHENTICATION_FAILED (452); an
//! expired OTP ends it AUTHENTICATION_FAILED (451). A resend past `max_otp_send_limit` is
//! refused with `max_limit_exceeded` and the current OTP stays valid.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::form::Params;
use super::store::{Txn, TxnStatus};
use super::txns::txn_answer;
use super::{CONNECTOR, JpError, api_base, settle};
use crate::npci::{AuthSession, Flow, NpciCode, Outcome, Resend, Verify};
use crate::state::Sandbox;

/// The Direct OTP step: where and how to submit, and the counters of the seed.
pub(crate) fn otp_authentication(base: &str, txn: &Txn, session: &AuthSession) -> Value {
    let otp = &session.otp;
    let policy = otp.policy();
    let pending = session.outcome == Outcome::Pending && !otp.is_exhausted();
    let uuid = &txn.txn_uuid;
    // Counters are strings, as the seed's table types them.
    json!({
        "method": "POST",
        "url": format!("{base}/v2/txns/{uuid}/authenticate"),
        "params": {
            "id": uuid,
            "challenge_id": txn.challenge_id,
            "auth_type": "OTP",
            "card_isin": txn.card_number.get(..6).unwrap_or_default(),
            "card_issuer_bank_name": "SANDBOX RUPAY BANK",
            "submit_otp_allowed": pending,
            "resend_otp_allowed": pending && otp.resends_remaining() > 0,
            "fallback_url": format!("{base}/v2/pay/start/guest/{uuid}?fallback=true"),
            "times_otp_sent": otp.times_sent().to_string(),
            "max_otp_send_limit": (policy.max_resends + 1).to_string(),
            "current_attempt": (otp.attempts_used() + 1).min(policy.max_attempts).to_string(),
            "max_attempts": policy.max_attempts.to_string(),
        },
    })
}

/// The transaction, checked to be a Direct OTP one carrying `challenge_id`.
fn direct_otp_txn(
    sandbox: &Sandbox,
    txn_uuid: &str,
    challenge_id: Option<&str>,
) -> Result<Txn, JpError> {
    let txn = sandbox
        .juspay
        .current()
        .txn(txn_uuid)
        .ok_or_else(|| JpError::NotFound(format!("Transaction {txn_uuid} not found")))?;
    if let Some(id) = challenge_id
        && id != txn.challenge_id
    {
        return Err(JpError::Invalid("Invalid challenge_id".into()));
    }
    if txn.flow != Flow::Seamless {
        return Err(JpError::Invalid(
            "Transaction is not a Direct OTP transaction".into(),
        ));
    }
    Ok(txn)
}

fn session(sandbox: &Sandbox, txn_uuid: &str) -> Result<AuthSession, JpError> {
    sandbox
        .issuer
        .session(CONNECTOR, txn_uuid)
        .ok_or_else(|| JpError::Invalid("No OTP challenge for this transaction".into()))
}

pub async fn submit(
    State(sandbox): State<Arc<Sandbox>>,
    Path(txn_uuid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "authenticate");
    let mut params = Params::parse(&headers, &body)?;
    let challenge_id = params.req("challenge_id");
    let answer = params.req("answer.otp");
    params.check()?;
    let txn = direct_otp_txn(&sandbox, &txn_uuid, Some(&challenge_id))?;
    if txn.status != TxnStatus::PendingVbv {
        // A repeated submit (e.g. after a lost answer) reports where the payment stands.
        return Ok(Json(txn_answer(&txn, None)));
    }
    let (result, session) = sandbox
        .issuer
        .verify(CONNECTOR, &txn_uuid, &answer)
        .map_err(|_| JpError::Invalid("No OTP challenge for this transaction".into()))?;
    let base = api_base(&sandbox, &headers);
    let done = match result {
        Verify::Success => settle::authenticated(&sandbox, &txn_uuid),
        Verify::Invalid { .. } => {
            let mut pending = txn.clone();
            let code = NpciCode::InvalidOtp;
            pending.bank_error_code = Some(code.as_str().into());
            pending.bank_error_message = Some(code.description().into());
            let auth = otp_authentication(&base, &pending, &session);
            return Ok(Json(txn_answer(&pending, Some(auth))));
        }
        Verify::Expired => {
            let _ =
                sandbox
                    .issuer
                    .finish(CONNECTOR, &txn_uuid, Outcome::Failed(NpciCode::ExpiredOtp));
            settle::authentication_failed(&sandbox, &txn_uuid, NpciCode::ExpiredOtp)
        }
        Verify::Exhausted => {
            settle::authentication_failed(&sandbox, &txn_uuid, NpciCode::AttemptsExhausted)
        }
    };
    let txn = done.ok_or_else(|| JpError::NotFound(format!("Transaction {txn_uuid} not found")))?;
    Ok(Json(txn_answer(&txn, None)))
}

pub async fn resend(
    State(sandbox): State<Arc<Sandbox>>,
    Path((txn_uuid, challenge_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, JpError> {
    sandbox.calls.record(CONNECTOR, "resend");
    let txn = direct_otp_txn(&sandbox, &txn_uuid, Some(&challenge_id))?;
    if txn.status != TxnStatus::PendingVbv {
        return Err(JpError::Invalid(format!(
            "Cannot resend OTP for a {} transaction",
            txn.status.as_str()
        )));
    }
    session(&sandbox, &txn_uuid)?;
    let (result, session) = sandbox
        .issuer
        .resend(CONNECTOR, &txn_uuid)
        .map_err(|_| JpError::Invalid("No OTP challenge for this transaction".into()))?;
    match result {
        Resend::Sent { .. } => {
            let auth = otp_authentication(&api_base(&sandbox, &headers), &txn, &session);
            Ok(Json(txn_answer(&txn, Some(auth))))
        }
        Resend::LimitReached => Err(JpError::MaxLimitExceeded),
    }
}
