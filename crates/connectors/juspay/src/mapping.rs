//! Juspay's statuses, codes and error answers in payorch's vocabulary. The provider's own
//! status, code and message are always kept in a [`ProviderStatus`].
//!
//! Juspay's transaction statuses (seed 003): NEW, PENDING_VBV (authentication in
//! progress), CHARGED, AUTHORIZED (without auto-capture), AUTHENTICATION_FAILED,
//! AUTHORIZATION_FAILED (authenticated, then refused by the bank), JUSPAY_DECLINED (input
//! refused by the gateway), AUTHORIZING (pending at the bank); VOIDED after a void.

use payorch_connector::ConnectorError;
use payorch_connector::amounts::status_from_amounts;
use payorch_connector::model::AuthenticationOutcome;
use payorch_core::card::fields;
use payorch_core::codes::{
    accu_outcome, authorization_description, authorization_outcome, npci_outcome,
};
use payorch_core::money::Money;
use payorch_core::session::ProviderStatus;
use payorch_core::status::{AuthenticationStatus, FailureReason, PaymentStatus, Recommendation};
use reqwest::StatusCode;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::wire::response::{ErrorBody, OrderStatus, Scalar, TxnResponse, param_bool, param_i64};

/// Longest order id Juspay accepts.
const MAX_ORDER_ID: usize = 64;

/// The Juspay order id for a payorch authentication: the id itself when Juspay accepts it
/// (at most 64 characters of letters, digits, `_` and `-`), else `po_` and the first 40
/// hex digits of its SHA-256 (stable, so a lookup finds it again from the id alone).
pub fn order_id_for(authentication_id: &str) -> String {
    let acceptable = !authentication_id.is_empty()
        && authentication_id.len() <= MAX_ORDER_ID
        && authentication_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if acceptable {
        return authentication_id.to_owned();
    }
    let digest = Sha256::digest(authentication_id.as_bytes());
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("po_{hex}")
}

/// payorch's API field for a refusal, found by the Juspay parameter its message names
/// (Juspay's errors carry no field list). The earliest mention wins. Parameters payorch
/// fills itself (ids, merchant, format) have none: their refusal is not the caller's doing.
pub fn caller_field(message: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        ("card_number", fields::NUMBER),
        ("card number", fields::NUMBER),
        ("card_exp_month", fields::EXPIRY_MONTH),
        ("card_exp_year", fields::EXPIRY_YEAR),
        ("card_security_code", fields::CVV),
        ("name_on_card", fields::HOLDER_NAME),
        ("answer.otp", "otp"),
        ("Invalid amount", "amount.minor_units"),
        ("ip_address", "browser.ip_address"),
        ("user_agent", "browser.user_agent"),
    ];
    NAMES
        .iter()
        .filter_map(|(name, field)| message.find(name).map(|at| (at, *field)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, field)| field)
}

/// A non-2xx, non-5xx answer as an error (5xx never gets here: the HTTP layer makes it
/// `OutcomeUnknown`). `access_denied` (or 401/403) is payorch's credentials; any other 4xx
/// is a refusal that changed nothing.
pub fn error_answer(http: StatusCode, body: &ErrorBody, operation: &str) -> ConnectorError {
    let status = ProviderStatus {
        code: body
            .error_code
            .clone()
            .unwrap_or_else(|| http.as_u16().to_string()),
        message: body
            .error_message
            .clone()
            .unwrap_or_else(|| http.canonical_reason().unwrap_or("refused").to_owned()),
        raw_status: body
            .status
            .clone()
            .unwrap_or_else(|| http.as_u16().to_string()),
    };
    if http == StatusCode::UNAUTHORIZED
        || http == StatusCode::FORBIDDEN
        || body.error_code.as_deref() == Some("access_denied")
    {
        return ConnectorError::Unauthorized(status);
    }
    if !http.is_client_error() {
        return ConnectorError::OutcomeUnknown(format!("{operation}: unexpected HTTP {http}"));
    }
    let caller_field = caller_field(&status.message).map(str::to_owned);
    ConnectorError::Rejected {
        status,
        caller_field,
    }
}

/// The provider status of a transaction answer: the bank's code when there is one.
pub fn txn_status(body: &TxnResponse) -> ProviderStatus {
    let raw_status = body.status.clone().unwrap_or_default();
    ProviderStatus {
        code: body
            .bank_error_code
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| raw_status.clone()),
        message: body.bank_error_message.clone().unwrap_or_default(),
        raw_status,
    }
}

/// The provider status of an order view: the gateway's response code, else the bank's
/// error code, else the status.
pub fn order_status(body: &OrderStatus) -> ProviderStatus {
    let raw_status = body.status.clone().unwrap_or_default();
    let gateway = body.payment_gateway_response.as_ref();
    let code = gateway
        .and_then(|g| g.resp_code.clone())
        .or_else(|| body.bank_error_code.clone())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| raw_status.clone());
    let message = gateway
        .and_then(|g| g.resp_message.clone())
        .or_else(|| body.bank_error_message.clone())
        .filter(|m| !m.is_empty())
        .or_else(|| authorization_description(&code).map(str::to_owned))
        .unwrap_or_default();
    ProviderStatus {
        code,
        message,
        raw_status,
    }
}

/// Attempts and resends left, from Juspay's Direct OTP counters:
/// `max_attempts - current_attempt + 1` (the current attempt is still to be made) and
/// `max_otp_send_limit - times_otp_sent`. `submit_otp_allowed`/`resend_otp_allowed`
/// false mean none left, whatever the counters say.
pub fn otp_counters(params: &Map<String, Value>) -> (Option<i32>, Option<i32>) {
    let clamp = |v: i64| i32::try_from(v.max(0)).unwrap_or(i32::MAX);
    let attempts = match param_bool(params, "submit_otp_allowed") {
        Some(false) => Some(0),
        _ => param_i64(params, "max_attempts")
            .zip(param_i64(params, "current_attempt"))
            .map(|(max, current)| clamp(max - current + 1)),
    };
    let resends = match param_bool(params, "resend_otp_allowed") {
        Some(false) => Some(0),
        _ => param_i64(params, "max_otp_send_limit")
            .zip(param_i64(params, "times_otp_sent"))
            .map(|(max, sent)| clamp(max - sent)),
    };
    (attempts, resends)
}

/// Where a transaction status leaves the payer authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthReading {
    /// PENDING_VBV: the payer has not finished (the caller knows which step this is).
    Pending,
    /// Authentication is over, one way or the other.
    Settled(Box<AuthenticationOutcome>),
    /// A status this adapter does not know.
    Unrecognised,
}

/// Reads a transaction's status as an authentication result. `at_start` says the
/// answer is `/txns`' own, before any OTP: an `AUTHENTICATION_FAILED` with NPCI 412
/// there means the issuer could not start authentication (unavailable), not that the
/// payer failed it.
///
/// Juspay authorizes right after a successful authentication, so CHARGED, AUTHORIZED,
/// AUTHORIZING and AUTHORIZATION_FAILED all mean "authenticated": the authorization's
/// own result (a decline included) is what `authorize` then reports.
pub fn authentication_result(
    status: &str,
    bank_code: Option<&str>,
    provider_status: ProviderStatus,
    at_start: bool,
) -> AuthReading {
    let code = bank_code.unwrap_or_default();
    let (status, reason, recommendation) = match status {
        "PENDING_VBV" => return AuthReading::Pending,
        "CHARGED" | "AUTHORIZED" | "AUTHORIZING" | "AUTHORIZATION_FAILED" | "VOIDED" => (
            AuthenticationStatus::Succeeded,
            None,
            Recommendation::Proceed,
        ),
        "AUTHENTICATION_FAILED" => {
            // The transaction is over: nothing to retry and nothing to resend.
            let row = npci_outcome(code)
                .or_else(|| accu_outcome(code))
                .map(|row| row.with_limits(0, 0));
            match row {
                _ if at_start && code == "412" => (
                    AuthenticationStatus::Failed,
                    Some(FailureReason::IssuerUnavailable),
                    Recommendation::DoNotProceed,
                ),
                Some(row)
                    if matches!(
                        row.status,
                        AuthenticationStatus::Failed
                            | AuthenticationStatus::Expired
                            | AuthenticationStatus::Cancelled
                    ) =>
                {
                    (row.status, row.failure_reason, Recommendation::DoNotProceed)
                }
                // Juspay says failed: a code that reads otherwise does not overrule it.
                Some(row) => (
                    AuthenticationStatus::Failed,
                    row.failure_reason
                        .filter(|r| *r != FailureReason::DuplicateRequest)
                        .or(Some(FailureReason::RejectedByIssuer)),
                    Recommendation::DoNotProceed,
                ),
                None => (
                    AuthenticationStatus::Failed,
                    Some(FailureReason::RejectedByIssuer),
                    Recommendation::DoNotProceed,
                ),
            }
        }
        "JUSPAY_DECLINED" => (
            AuthenticationStatus::Failed,
            Some(juspay_declined_reason(code)),
            Recommendation::DoNotProceed,
        ),
        // An order without a payment attempt: nothing was sent to the payer.
        "NEW" => (
            AuthenticationStatus::Failed,
            Some(FailureReason::ProviderError),
            Recommendation::DoNotProceed,
        ),
        _ => return AuthReading::Unrecognised,
    };
    let mut outcome = AuthenticationOutcome::with_status(status);
    outcome.failure_reason = reason;
    outcome.recommendation = Some(recommendation);
    outcome.provider_status = Some(provider_status);
    if status != AuthenticationStatus::Succeeded {
        outcome.attempts_remaining = Some(0);
        outcome.resends_remaining = Some(0);
    }
    AuthReading::Settled(Box::new(outcome))
}

/// JUSPAY_DECLINED: the gateway refused the payer's input (an expired card, a bad number).
fn juspay_declined_reason(code: &str) -> FailureReason {
    if code.to_ascii_uppercase().contains("EXPIRED") {
        FailureReason::CardExpired
    } else {
        FailureReason::InvalidCard
    }
}

/// Amounts of an order view, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amounts {
    pub authorized: i64,
    pub captured: i64,
    pub refunded: i64,
}

/// Where a payment stands by its order view, and why when it did not succeed.
pub fn payment_result(
    order: &OrderStatus,
    like: Money,
) -> (PaymentStatus, Option<FailureReason>, Amounts) {
    let status = order.status.as_deref().unwrap_or_default();
    let detail = order.txn_detail.clone().unwrap_or_default();
    let authorized = minor_units(order.amount.as_ref(), like)
        .or_else(|| minor_units(detail.txn_amount.as_ref(), like))
        .unwrap_or(like.minor_units());
    let refunded = minor_units(order.amount_refunded.as_ref(), like).unwrap_or(0);
    let captured = match status {
        // A CHARGED order without a captured amount was captured in full.
        "CHARGED" => minor_units(detail.captured_amount.as_ref(), like)
            .filter(|c| *c > 0)
            .unwrap_or(authorized),
        _ => 0,
    };
    let amounts = Amounts {
        authorized,
        captured,
        refunded,
    };
    let code = order
        .payment_gateway_response
        .as_ref()
        .and_then(|g| g.resp_code.clone())
        .or_else(|| order.bank_error_code.clone())
        .unwrap_or_default();
    let (status, reason) = match status {
        "CHARGED" => (status_from_amounts(authorized, captured, refunded), None),
        "AUTHORIZED" => (PaymentStatus::Authorized, None),
        "VOIDED" => (PaymentStatus::Voided, None),
        "AUTHORIZING" => (PaymentStatus::Pending, None),
        "AUTHORIZATION_FAILED" => match authorization_outcome(&code) {
            Some((s, r)) if s != PaymentStatus::Authorized => (s, r),
            _ => (PaymentStatus::Declined, Some(FailureReason::DoNotHonour)),
        },
        // No successful authentication behind this order: RuPay cannot be authorized.
        "NEW" | "PENDING_VBV" | "AUTHENTICATION_FAILED" => (
            PaymentStatus::Declined,
            Some(FailureReason::AuthenticationRequired),
        ),
        "JUSPAY_DECLINED" => (PaymentStatus::Failed, Some(juspay_declined_reason(&code))),
        _ => (PaymentStatus::Unknown, Some(FailureReason::ProviderError)),
    };
    (status, reason, amounts)
}

/// Minor units of a Juspay amount (`100.0`, `"20.50"`) in `like`'s currency.
pub fn minor_units(amount: Option<&Scalar>, like: Money) -> Option<i64> {
    let text = amount?.text();
    let exponent = usize::from(like.currency().exponent());
    // JSON numbers print as few decimals as they need ("100.0", "10.5"): pad, never round.
    let normalized = match text.split_once('.') {
        Some((whole, frac)) if frac.len() < exponent => {
            format!("{whole}.{frac:0<exponent$}")
        }
        Some((whole, frac)) if exponent == 0 && frac.bytes().all(|b| b == b'0') => whole.to_owned(),
        _ => text,
    };
    Money::from_decimal_str(&normalized, like.currency())
        .ok()
        .map(|m| m.minor_units())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn inr(minor: i64) -> Money {
        Money::new(minor, "INR").unwrap()
    }

    fn order(json: &str) -> OrderStatus {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn order_ids_derive_from_the_authentication_id() {
        assert_eq!(order_id_for("auth_01HX-9"), "auth_01HX-9");
        let long = "a".repeat(65);
        for odd in [long.as_str(), "auth/1", "a?b", "a#b", "a b", ""] {
            let id = order_id_for(odd);
            assert!(id.starts_with("po_") && id.len() == 43, "{id}");
            assert_eq!(id, order_id_for(odd), "stable");
        }
        assert_ne!(order_id_for("auth/1"), order_id_for("auth/2"));
    }

    #[test]
    fn errors_map_to_credentials_or_refusals() {
        let denied = ErrorBody {
            status: Some("error".into()),
            error_code: Some("access_denied".into()),
            error_message: Some("Invalid Authentication".into()),
        };
        let ConnectorError::Unauthorized(status) =
            error_answer(StatusCode::UNAUTHORIZED, &denied, "x")
        else {
            panic!()
        };
        assert_eq!(status.code, "access_denied");
        assert_eq!(status.raw_status, "error");

        let invalid = ErrorBody {
            status: Some("invalid_request_error".into()),
            error_code: Some("invalid_request".into()),
            error_message: Some(
                "Mandatory fields are missing: card_security_code, card_number".into(),
            ),
        };
        let ConnectorError::Rejected {
            status,
            caller_field,
        } = error_answer(StatusCode::BAD_REQUEST, &invalid, "txn")
        else {
            panic!()
        };
        assert_eq!(caller_field.as_deref(), Some(fields::CVV));
        assert_eq!(status.raw_status, "invalid_request_error");
        let payorch_owned = ErrorBody {
            error_message: Some("Invalid merchant_id".into()),
            ..invalid
        };
        assert!(matches!(
            error_answer(StatusCode::BAD_REQUEST, &payorch_owned, "txn"),
            ConnectorError::Rejected {
                caller_field: None,
                ..
            }
        ));
    }

    #[test]
    fn counters_follow_juspays_params() {
        let params: Map<String, Value> = serde_json::from_str(
            r#"{"submit_otp_allowed":true,"resend_otp_allowed":true,"times_otp_sent":"1",
                "max_otp_send_limit":"4","current_attempt":"2","max_attempts":"4"}"#,
        )
        .unwrap();
        assert_eq!(otp_counters(&params), (Some(3), Some(3)));
        let spent: Map<String, Value> = serde_json::from_str(
            r#"{"submit_otp_allowed":false,"resend_otp_allowed":false,"times_otp_sent":"2",
                "max_otp_send_limit":"4","current_attempt":"2","max_attempts":"4"}"#,
        )
        .unwrap();
        assert_eq!(otp_counters(&spent), (Some(0), Some(0)));
        assert_eq!(otp_counters(&Map::new()), (None, None));
    }

    fn settled(status: &str, code: &str, at_start: bool) -> AuthenticationOutcome {
        match authentication_result(status, Some(code), ProviderStatus::default(), at_start) {
            AuthReading::Settled(o) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn authentication_results() {
        use AuthenticationStatus as S;
        use FailureReason as F;
        for (status, code, at_start, want, reason) in [
            ("CHARGED", "", false, S::Succeeded, None),
            ("AUTHORIZED", "", false, S::Succeeded, None),
            ("AUTHORIZATION_FAILED", "51", false, S::Succeeded, None),
            (
                "AUTHENTICATION_FAILED",
                "451",
                false,
                S::Expired,
                Some(F::OtpExpired),
            ),
            (
                "AUTHENTICATION_FAILED",
                "452",
                false,
                S::Failed,
                Some(F::OtpAttemptsExhausted),
            ),
            (
                "AUTHENTICATION_FAILED",
                "410",
                true,
                S::Failed,
                Some(F::CardNotEnrolled),
            ),
            (
                "AUTHENTICATION_FAILED",
                "412",
                true,
                S::Failed,
                Some(F::IssuerUnavailable),
            ),
            (
                "AUTHENTICATION_FAILED",
                "412",
                false,
                S::Failed,
                Some(F::RejectedByIssuer),
            ),
            (
                "AUTHENTICATION_FAILED",
                "ACCU200",
                false,
                S::Cancelled,
                Some(F::CancelledByPayer),
            ),
            (
                "AUTHENTICATION_FAILED",
                "ACCU700",
                false,
                S::Failed,
                Some(F::RejectedByIssuer),
            ),
            (
                "AUTHENTICATION_FAILED",
                "ZZZ",
                false,
                S::Failed,
                Some(F::RejectedByIssuer),
            ),
            (
                "JUSPAY_DECLINED",
                "JP_EXPIRED_CARD",
                true,
                S::Failed,
                Some(F::CardExpired),
            ),
            ("NEW", "", false, S::Failed, Some(F::ProviderError)),
        ] {
            let o = settled(status, code, at_start);
            assert_eq!(
                (o.status, o.failure_reason),
                (want, reason),
                "{status} {code}"
            );
        }
        assert_eq!(
            authentication_result("PENDING_VBV", None, ProviderStatus::default(), false),
            AuthReading::Pending
        );
        assert_eq!(
            authentication_result("SOMETHING", None, ProviderStatus::default(), false),
            AuthReading::Unrecognised
        );
    }

    #[test]
    fn payment_results_from_the_order_view() {
        let like = inr(10_000);
        let (s, r, a) = payment_result(
            &order(r#"{"status":"CHARGED","amount":100.0,"txn_detail":{"captured_amount":60.0}}"#),
            like,
        );
        assert_eq!((s, r), (PaymentStatus::PartiallyCaptured, None));
        assert_eq!(a.captured, 6_000);
        let (s, _, a) = payment_result(
            &order(r#"{"status":"CHARGED","amount":100.0,"amount_refunded":20.0}"#),
            like,
        );
        assert_eq!(s, PaymentStatus::PartiallyRefunded);
        assert_eq!((a.captured, a.refunded), (10_000, 2_000));
        let (s, r, _) = payment_result(
            &order(
                r#"{"status":"AUTHORIZATION_FAILED","payment_gateway_response":{"resp_code":"51"}}"#,
            ),
            like,
        );
        assert_eq!(
            (s, r),
            (
                PaymentStatus::Declined,
                Some(FailureReason::InsufficientFunds)
            )
        );
        let (s, r, _) = payment_result(&order(r#"{"status":"PENDING_VBV"}"#), like);
        assert_eq!(
            (s, r),
            (
                PaymentStatus::Declined,
                Some(FailureReason::AuthenticationRequired)
            )
        );
        assert_eq!(
            payment_result(&order(r#"{"status":"AUTHORIZING"}"#), like).0,
            PaymentStatus::Pending
        );
    }

    #[test]
    fn amounts_are_padded_not_rounded() {
        let like = inr(1);
        let n = |s: &str| serde_json::from_str::<Scalar>(s).unwrap();
        assert_eq!(minor_units(Some(&n("100.0")), like), Some(10_000));
        assert_eq!(minor_units(Some(&n("10.5")), like), Some(1_050));
        assert_eq!(minor_units(Some(&n("\"20.50\"")), like), Some(2_050));
        assert_eq!(minor_units(Some(&n("7")), like), Some(700));
        assert_eq!(minor_units(Some(&n("1.005")), like), None);
        let jpy = Money::new(1, "JPY").unwrap();
        assert_eq!(minor_units(Some(&n("100.0")), jpy), Some(100));
    }
}
