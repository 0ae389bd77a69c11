//! The 3DS side of Juspay: the ACS challenge registered for redirect transactions, the
//! `fallback_url` (`GET /v2/pay/start/guest/{txn_uuid}`) that sends a Direct OTP payer to
//! the same ACS page, and the return to the merchant's `return_url` with Juspay's
//! parameters: `order_id`, `status`, `status_id`, `signature`, `signature_algorithm`.
//!
//! Juspay returns by GET unless the merchant asked for POST; the sandbox ACS page always
//! posts its form, so this simulator returns by POST with the same fields.
//!
//! `signature` follows Juspay's documented scheme: the other parameters sorted by name,
//! each name and value URL-encoded, joined `k=v&...`, the whole string URL-encoded again,
//! HMAC-SHA256 over it, base64. The key is the merchant's response key; `JuspayConfig`
//! has none, so the sandbox uses the API key of the merchant whose request opened the page.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::store::TxnStatus;
use super::{CONNECTOR, JpError, settle};
use crate::acs::{AcsChallenge, AcsResult, Purchase, acs_url};
use crate::npci::AccuCode;
use crate::state::Sandbox;

pub const SIGNATURE_ALGORITHM: &str = "HMAC-SHA256";

/// The ACS challenge for a transaction; the browser goes back to `return_url`.
pub fn challenge(
    txn_uuid: &str,
    return_url: Option<String>,
    purchase: Option<Purchase>,
) -> AcsChallenge {
    AcsChallenge {
        connector: CONNECTOR.into(),
        reference: txn_uuid.to_owned(),
        return_url,
        return_url_field: None,
        posted: Default::default(),
        expects: Vec::new(),
        return_fields,
        merchant: None,
        purchase,
    }
}

/// Called by the ACS page when the payer is done: settles the transaction, then builds
/// Juspay's return parameters.
pub fn return_fields(
    sandbox: &Sandbox,
    challenge: &AcsChallenge,
    result: AcsResult,
) -> Vec<(String, String)> {
    let uuid = &challenge.reference;
    let txn = match result {
        AcsResult::Authenticated => settle::authenticated(sandbox, uuid),
        AcsResult::Failed(code) => settle::authentication_failed(sandbox, uuid, code),
        AcsResult::Cancelled => {
            let code = AccuCode::Cancelled.as_str();
            settle::failed_with(
                sandbox,
                uuid,
                code,
                "Authentication cancelled by the cardholder",
            )
        }
    };
    let Some(txn) = txn else {
        return Vec::new();
    };
    let mut fields = vec![
        ("order_id".to_owned(), txn.order_id.clone()),
        ("status".to_owned(), txn.status.as_str().to_owned()),
        ("status_id".to_owned(), txn.status.id().to_string()),
    ];
    // The merchant whose request opened the page signs with its own key.
    let cfg = &sandbox.config.juspay;
    let key = cfg
        .key_of(&sandbox.juspay.current_id())
        .unwrap_or(&cfg.api_key);
    fields.push(("signature".into(), sign(key, &fields)));
    fields.push(("signature_algorithm".into(), SIGNATURE_ALGORITHM.into()));
    fields
}

/// Juspay's return signature over `params` (without `signature`/`signature_algorithm`).
pub fn sign(key: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "signature" && k != "signature_algorithm")
        .collect();
    sorted.sort();
    let joined = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let payload = urlencoding::encode(&joined);
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(payload.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `fallback_url`: a Direct OTP payer finishes on the ACS page instead (same OTP session).
pub async fn fallback(
    State(sandbox): State<Arc<Sandbox>>,
    Path(txn_uuid): Path<String>,
    headers: HeaderMap,
) -> Response {
    sandbox.calls.record(CONNECTOR, "fallback");
    // The payer's browser names the transaction, not the merchant: find whose it is.
    let Some((merchant, txn)) = sandbox.juspay.find(|store| store.txn(&txn_uuid)) else {
        return JpError::NotFound(format!("Transaction {txn_uuid} not found")).into_response();
    };
    if txn.status != TxnStatus::PendingVbv || sandbox.issuer.session(CONNECTOR, &txn_uuid).is_none()
    {
        return JpError::Invalid(format!("Transaction {txn_uuid} is {}", txn.status.as_str()))
            .into_response();
    }
    let order = sandbox.juspay.of(&merchant).order(&txn.order_id);
    let purchase = order.as_ref().map(|o| Purchase {
        merchant: o.merchant_id.clone(),
        amount_minor: o.amount,
        currency: o.currency.clone(),
    });
    let return_url = order.and_then(|o| o.return_url);
    let mut challenge = challenge(&txn_uuid, return_url, purchase);
    challenge.merchant = Some(merchant);
    sandbox.acs.register(challenge);
    let url = acs_url(&sandbox.public_url(&headers), CONNECTOR, &txn_uuid);
    (StatusCode::FOUND, [(header::LOCATION, url)]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn signature_ignores_order_and_its_own_fields() {
        let a = pairs(&[
            ("order_id", "o 1"),
            ("status", "CHARGED"),
            ("status_id", "21"),
        ]);
        let b = pairs(&[
            ("status_id", "21"),
            ("signature", "x"),
            ("status", "CHARGED"),
            ("order_id", "o 1"),
        ]);
        assert_eq!(sign("k", &a), sign("k", &b));
        assert_ne!(sign("k", &a), sign("other", &a));
        let c = pairs(&[
            ("order_id", "o 1"),
            ("status", "CHARGED"),
            ("status_id", "26"),
        ]);
        assert_ne!(sign("k", &a), sign("k", &c));
    }
}
