//! The gateway's statuses, codes and error answers in payorch's vocabulary. The gateway's
//! own code, message and status are always kept in a [`ProviderStatus`].

use payorch_connector::ConnectorError;
use payorch_connector::amounts::status_from_amounts;
use payorch_connector::model::AuthenticationOutcome;
use payorch_core::card::fields;
use payorch_core::codes::{
    CodeOutcome, accu_outcome, authorization_description, authorization_outcome, npci_outcome,
};
use payorch_core::money::{Currency, Money};
use payorch_core::redact::scrub_card_numbers;
use payorch_core::session::ProviderStatus;
use payorch_core::status::{AuthenticationStatus, FailureReason, PaymentStatus, Recommendation};
use reqwest::StatusCode;
use serde_json::Value;

use crate::wire::response::TransactionResponse;

/// payorch's API field for a gateway request field, when the caller supplied it.
/// Fields payorch fills itself (ids, operation, return URL, authentication id) have none:
/// a refusal of those is payorch's bug or configuration, not the caller's.
pub fn caller_field(provider_field: &str, network_token: bool) -> Option<&'static str> {
    if let Some(card_field) = provider_field.strip_prefix("sourceOfFunds.provided.card.") {
        return if network_token {
            match card_field {
                "number" => Some("payment_method.network_token.number"),
                "expiry.month" => Some("payment_method.network_token.expiry_month"),
                "expiry.year" => Some("payment_method.network_token.expiry_year"),
                "devicePayment.onlinePaymentCryptogram" => {
                    Some("payment_method.network_token.cryptogram")
                }
                _ => None,
            }
        } else {
            match card_field {
                "number" => Some(fields::NUMBER),
                "expiry.month" => Some(fields::EXPIRY_MONTH),
                "expiry.year" => Some(fields::EXPIRY_YEAR),
                "securityCode" => Some(fields::CVV),
                _ => None,
            }
        };
    }
    match provider_field {
        "order.amount" | "transaction.amount" => Some("amount.minor_units"),
        "order.currency" | "transaction.currency" => Some("amount.currency"),
        "device.ipAddress" => Some("browser.ip_address"),
        "device.browser" => Some("browser.user_agent"),
        "device.browserDetails.acceptHeaders" => Some("browser.accept_header"),
        _ => None,
    }
}

/// A non-2xx, non-5xx answer as an error (5xx never gets here: the HTTP layer makes it
/// `OutcomeUnknown`). 401/403 are payorch's credentials; any other 4xx is a refusal that
/// changed nothing (`result: ERROR`).
pub fn error_answer(
    http: StatusCode,
    body: &[u8],
    operation: &str,
    network_token: bool,
) -> ConnectorError {
    let parsed: TransactionResponse = serde_json::from_slice(body).unwrap_or_default();
    let error = parsed.error.clone().unwrap_or_default();
    let raw_status = parsed
        .result
        .clone()
        .unwrap_or_else(|| http.as_u16().to_string());
    let explanation = error.explanation.as_deref().map(scrub_card_numbers);
    if http == StatusCode::UNAUTHORIZED || http == StatusCode::FORBIDDEN {
        return ConnectorError::Unauthorized(ProviderStatus {
            code: http.as_u16().to_string(),
            message: explanation.unwrap_or_else(|| "Invalid credentials.".into()),
            raw_status,
        });
    }
    if !http.is_client_error() {
        return ConnectorError::OutcomeUnknown(format!("{operation}: unexpected HTTP {http}"));
    }
    let mut message =
        explanation.unwrap_or_else(|| http.canonical_reason().unwrap_or("refused").to_owned());
    if let Some(field) = &error.field
        && !message.contains(field.as_str())
    {
        message = format!("{message} ({field})");
    }
    ConnectorError::Rejected {
        status: ProviderStatus {
            code: error.cause.unwrap_or_else(|| http.as_u16().to_string()),
            message,
            raw_status,
        },
        caller_field: error
            .field
            .as_deref()
            .and_then(|f| caller_field(f, network_token))
            .map(str::to_owned),
    }
}

/// Where an authentication transaction stands, in the gateway's words (seed 001's
/// gatewayRecommendation / authenticationStatus / gatewayCode / result combinations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// INITIATE_AUTHENTICATION said available; no challenge opened yet.
    Available,
    /// The issuer challenge is open.
    Pending,
    Succeeded,
    /// Settled without success (not supported, unavailable, failed, rejected).
    Failed,
}

pub fn standing(body: &TransactionResponse) -> Standing {
    let auth_status = body.authentication_status().unwrap_or_default();
    let result = body.result.as_deref().unwrap_or_default();
    match auth_status {
        "AUTHENTICATION_SUCCESSFUL" => return Standing::Succeeded,
        "AUTHENTICATION_AVAILABLE" => return Standing::Available,
        "AUTHENTICATION_PENDING" | "AUTHENTICATION_INITIATED" => return Standing::Pending,
        "AUTHENTICATION_FAILED"
        | "AUTHENTICATION_REJECTED"
        | "AUTHENTICATION_NOT_SUPPORTED"
        | "AUTHENTICATION_UNAVAILABLE"
        | "AUTHENTICATION_REQUIRED" => return Standing::Failed,
        _ => {}
    }
    match (result, body.status_code()) {
        (_, Some(code)) if code.eq_ignore_ascii_case("ACCU000") => Standing::Succeeded,
        ("PENDING", _) => Standing::Pending,
        ("FAILURE", _) => Standing::Failed,
        _ if body.gateway_code() == Some("PENDING") => Standing::Pending,
        _ => Standing::Failed,
    }
}

/// The provider status of an authentication answer: the NPCI/ACCU code when present, else
/// the gateway code; the raw status is the authentication status.
pub fn authentication_status(body: &TransactionResponse) -> ProviderStatus {
    let raw_status = body
        .authentication_status()
        .or(body.result.as_deref())
        .unwrap_or_default()
        .to_owned();
    ProviderStatus {
        code: body
            .status_code()
            .or(body.gateway_code())
            .unwrap_or_default()
            .to_owned(),
        message: body
            .status_description()
            .map(scrub_card_numbers)
            .unwrap_or_default(),
        raw_status,
    }
}

fn from_row(row: CodeOutcome) -> AuthenticationOutcome {
    let mut outcome = AuthenticationOutcome::with_status(row.status);
    outcome.failure_reason = row.failure_reason;
    outcome.recommendation = Some(row.recommendation);
    outcome
}

/// A settled, unsuccessful authentication as an outcome (`Standing::Failed`).
pub fn authentication_failure(body: &TransactionResponse) -> AuthenticationOutcome {
    let code = body.status_code().unwrap_or_default();
    let row = npci_outcome(code)
        .or_else(|| accu_outcome(code))
        // A final answer carries no retry: 450/451 here mean the gateway gave up.
        .map(|row| row.with_limits(0, 0))
        .filter(|row| row.status != AuthenticationStatus::Succeeded);
    let mut outcome = match (body.authentication_status(), row) {
        // The issuer's ACS could not be reached (the seed's 412 comes with this status).
        (Some("AUTHENTICATION_UNAVAILABLE"), _) => {
            let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
            o.failure_reason = Some(FailureReason::IssuerUnavailable);
            o.recommendation = Some(Recommendation::DoNotProceed);
            o
        }
        (Some("AUTHENTICATION_NOT_SUPPORTED"), None) => {
            let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
            o.failure_reason = Some(FailureReason::CardNotEnrolled);
            o.recommendation = Some(Recommendation::DoNotProceed);
            o
        }
        (_, Some(row)) => from_row(row),
        _ => {
            let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
            o.failure_reason = Some(FailureReason::RejectedByIssuer);
            o.recommendation = Some(Recommendation::DoNotProceed);
            o
        }
    };
    outcome.provider_status = Some(authentication_status(body));
    outcome
}

/// The challenge is still open after the payer acted: `hint` is the NPCI code the callback
/// page reported (`450` invalid, `451` expired), absent when it named none. Seed 001 case 3:
/// an OTP submission that leaves the authentication pending with DO_NOT_PROCEED was a wrong
/// OTP, so that is the default. Counters are the session's after this step.
pub fn still_pending_after_otp(
    body: &TransactionResponse,
    hint: Option<&str>,
    attempts_remaining: i32,
    resends_remaining: i32,
) -> AuthenticationOutcome {
    let row = hint
        .and_then(npci_outcome)
        .filter(|row| row.status == AuthenticationStatus::OtpRequired)
        .or_else(|| npci_outcome("450"));
    let mut outcome = match row {
        Some(row) => from_row(row.with_limits(attempts_remaining, resends_remaining)),
        None => AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired),
    };
    let mut status = authentication_status(body);
    if let Some(row) = row {
        status.code = row.code.to_owned();
        status.message = row.description.to_owned();
    }
    outcome.provider_status = Some(status);
    outcome
}

/// The provider status of a payment answer: the acquirer's code and message when present.
pub fn payment_status(body: &TransactionResponse) -> ProviderStatus {
    let response = body.response.clone().unwrap_or_default();
    let raw_status = response
        .gateway_code
        .clone()
        .or(body.result.clone())
        .unwrap_or_default();
    let code = response
        .acquirer_code
        .clone()
        .unwrap_or_else(|| raw_status.clone());
    let message = response
        .acquirer_message
        .as_deref()
        .map(scrub_card_numbers)
        .or_else(|| authorization_description(&code).map(str::to_owned))
        .unwrap_or_else(|| raw_status.clone());
    ProviderStatus {
        code,
        message,
        raw_status,
    }
}

/// Whether an AUTHORIZE / PAY answer approved the payment.
pub fn approved(body: &TransactionResponse) -> bool {
    matches!(
        body.gateway_code(),
        Some("APPROVED" | "APPROVED_AUTO" | "APPROVED_PENDING_SETTLEMENT")
    ) || (body.gateway_code().is_none() && body.result.as_deref() == Some("SUCCESS"))
}

/// What an unsuccessful AUTHORIZE / PAY answer means: the acquirer code of seed 001's
/// table first, else the gateway code.
pub fn decline(body: &TransactionResponse) -> (PaymentStatus, Option<FailureReason>) {
    if let Some((status, reason)) = body.acquirer_code().and_then(authorization_outcome)
        && status != PaymentStatus::Authorized
    {
        return (status, reason);
    }
    use FailureReason as F;
    use PaymentStatus as P;
    match body.gateway_code().unwrap_or_default() {
        "INSUFFICIENT_FUNDS" | "NO_BALANCE" => (P::Declined, Some(F::InsufficientFunds)),
        "EXPIRED_CARD" => (P::Declined, Some(F::CardExpired)),
        "INVALID_CSC" | "DECLINED_CSC" | "DECLINED_INVALID_PIN" => {
            (P::Declined, Some(F::InvalidCard))
        }
        "AUTHENTICATION_FAILED" | "NOT_ENROLLED_3D_SECURE" => {
            (P::Declined, Some(F::AuthenticationRequired))
        }
        "PENDING" | "SUBMITTED" | "AUTHENTICATION_IN_PROGRESS" => (P::Pending, None),
        // The gateway itself does not know what the acquirer did.
        "TIMED_OUT" | "UNKNOWN" => (P::Unknown, Some(F::ProviderError)),
        "ACQUIRER_SYSTEM_ERROR" => (P::Failed, Some(F::IssuerUnavailable)),
        "SYSTEM_ERROR"
        | "UNSPECIFIED_FAILURE"
        | "ABORTED"
        | "LOCK_FAILURE"
        | "NOT_SUPPORTED"
        | "EXCEEDED_RETRY_LIMIT" => (P::Failed, Some(F::ProviderError)),
        _ => (P::Declined, Some(F::DoNotHonour)),
    }
}

/// The order's money, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub authorized: i64,
    pub captured: i64,
    pub refunded: i64,
}

/// Where a payment stands from the order's `status` (the gateway's word), falling back on
/// its totals for statuses payorch has no word for.
pub fn order_payment_status(order_status: Option<&str>, totals: Totals) -> PaymentStatus {
    match order_status.unwrap_or_default() {
        "AUTHORIZED" => PaymentStatus::Authorized,
        "CAPTURED" => PaymentStatus::Captured,
        "PARTIALLY_CAPTURED" => PaymentStatus::PartiallyCaptured,
        "REFUNDED" => PaymentStatus::Refunded,
        "PARTIALLY_REFUNDED" => PaymentStatus::PartiallyRefunded,
        "CANCELLED" => PaymentStatus::Voided,
        _ => status_from_amounts(totals.authorized, totals.captured, totals.refunded),
    }
}

/// Minor units of an amount the gateway printed (`8.00`, `980.0`, `"8.00"`) in `currency`.
pub fn minor_units(amount: Option<&Value>, currency: Currency) -> Option<i64> {
    let text = match amount? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    if let Ok(m) = Money::from_decimal_str(&text, currency) {
        return Some(m.minor_units());
    }
    // A float printed with binary noise (`8.100000000000001`): round to the currency's unit.
    let major: f64 = text.parse().ok()?;
    let scaled = (major * 10f64.powi(i32::from(currency.exponent()))).round();
    scaled.is_finite().then_some(scaled as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> TransactionResponse {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn invalid_request_names_the_caller_field_only_for_caller_data() {
        let b = br#"{"result":"ERROR","error":{"cause":"INVALID_REQUEST","explanation":"Value for field 'sourceOfFunds.provided.card.number' is invalid.","field":"sourceOfFunds.provided.card.number","validationType":"INVALID"}}"#;
        let ConnectorError::Rejected {
            status,
            caller_field,
        } = error_answer(StatusCode::BAD_REQUEST, b, "initiate", false)
        else {
            panic!("not rejected");
        };
        assert_eq!(caller_field.as_deref(), Some("payment_method.card.number"));
        assert_eq!(status.code, "INVALID_REQUEST");
        assert_eq!(status.raw_status, "ERROR");
        let ConnectorError::Rejected { caller_field, .. } =
            error_answer(StatusCode::BAD_REQUEST, b, "initiate", true)
        else {
            panic!("not rejected");
        };
        assert_eq!(
            caller_field.as_deref(),
            Some("payment_method.network_token.number")
        );
        for field in [
            "transaction.id",
            "order.id",
            "apiOperation",
            "authentication.transactionId",
            "authentication.redirectResponseUrl",
        ] {
            let b = format!(
                r#"{{"result":"ERROR","error":{{"cause":"INVALID_REQUEST","field":"{field}"}}}}"#
            );
            assert!(
                matches!(
                    error_answer(StatusCode::BAD_REQUEST, b.as_bytes(), "x", false),
                    ConnectorError::Rejected {
                        caller_field: None,
                        ..
                    }
                ),
                "{field}"
            );
        }
    }

    #[test]
    fn echoed_card_numbers_are_scrubbed() {
        let b = br#"{"result":"ERROR","error":{"cause":"INVALID_REQUEST","explanation":"Value '5085000000000015' is invalid."}}"#;
        let ConnectorError::Rejected { status, .. } =
            error_answer(StatusCode::BAD_REQUEST, b, "x", false)
        else {
            panic!()
        };
        assert!(
            !status.message.contains("5085000000000015"),
            "{}",
            status.message
        );
    }

    #[test]
    fn unauthorized_and_odd_statuses() {
        let b = br#"{"result":"ERROR","error":{"cause":"INVALID_REQUEST","explanation":"Invalid credentials."}}"#;
        let ConnectorError::Unauthorized(status) =
            error_answer(StatusCode::UNAUTHORIZED, b, "x", false)
        else {
            panic!("not unauthorized");
        };
        assert_eq!(status.code, "401");
        assert_eq!(status.message, "Invalid credentials.");
        assert!(error_answer(StatusCode::FOUND, b"", "x", false).outcome_unknown());
        assert!(matches!(
            error_answer(StatusCode::NOT_FOUND, b"<html>", "x", false),
            ConnectorError::Rejected { .. }
        ));
    }

    #[test]
    fn seed_authentication_states() {
        // Case 3 (wrong OTP) and case 1 (resent): pending, DO_NOT_PROCEED.
        let pending = body(
            r#"{"result":"PENDING","response":{"gatewayCode":"PENDING","gatewayRecommendation":"DO_NOT_PROCEED"},"transaction":{"authenticationStatus":"AUTHENTICATION_PENDING"}}"#,
        );
        assert_eq!(standing(&pending), Standing::Pending);
        let o = still_pending_after_otp(&pending, None, 2, 3);
        assert_eq!(o.status, AuthenticationStatus::OtpRequired);
        assert_eq!(o.failure_reason, Some(FailureReason::InvalidOtp));
        assert_eq!(o.recommendation, Some(Recommendation::RetryOtp));
        assert_eq!(o.provider_status.unwrap().code, "450");
        let o = still_pending_after_otp(&pending, Some("451"), 2, 0);
        assert_eq!(o.status, AuthenticationStatus::Expired);
        assert_eq!(o.failure_reason, Some(FailureReason::OtpExpired));
        let o = still_pending_after_otp(&pending, Some("450"), 0, 3);
        assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));

        // Cases 2 and 4: rejected with 453 / 452.
        for (code, reason) in [
            ("452", FailureReason::OtpAttemptsExhausted),
            ("453", FailureReason::ResendLimitReached),
            ("ACCU100", FailureReason::RejectedByIssuer),
            ("ACCU400", FailureReason::TimedOut),
            ("ACCU600", FailureReason::ProviderError),
            ("ACCU800", FailureReason::ProviderError),
        ] {
            let b = body(&format!(
                r#"{{"result":"FAILURE","response":{{"gatewayCode":"DECLINED","gatewayRecommendation":"DO_NOT_PROCEED"}},"authentication":{{"status":{{"code":"{code}"}}}},"transaction":{{"authenticationStatus":"AUTHENTICATION_REJECTED"}}}}"#
            ));
            assert_eq!(standing(&b), Standing::Failed, "{code}");
            let o = authentication_failure(&b);
            assert_eq!(o.failure_reason, Some(reason), "{code}");
            assert_eq!(
                o.recommendation,
                Some(Recommendation::DoNotProceed),
                "{code}"
            );
            assert_eq!(o.provider_status.unwrap().code, code);
        }
        let cancelled = body(
            r#"{"result":"FAILURE","authentication":{"status":{"code":"ACCU200"}},"transaction":{"authenticationStatus":"AUTHENTICATION_FAILED"}}"#,
        );
        assert_eq!(
            authentication_failure(&cancelled).status,
            AuthenticationStatus::Cancelled
        );
        let unavailable = body(
            r#"{"result":"FAILURE","authentication":{"status":{"code":"412"}},"transaction":{"authenticationStatus":"AUTHENTICATION_UNAVAILABLE"}}"#,
        );
        assert_eq!(
            authentication_failure(&unavailable).failure_reason,
            Some(FailureReason::IssuerUnavailable)
        );
        let not_supported = body(
            r#"{"result":"FAILURE","transaction":{"authenticationStatus":"AUTHENTICATION_NOT_SUPPORTED"}}"#,
        );
        assert_eq!(
            authentication_failure(&not_supported).failure_reason,
            Some(FailureReason::CardNotEnrolled)
        );
        let ok = body(
            r#"{"result":"SUCCESS","authentication":{"status":{"code":"ACCU000"}},"transaction":{"authenticationStatus":"AUTHENTICATION_SUCCESSFUL"}}"#,
        );
        assert_eq!(standing(&ok), Standing::Succeeded);
        // A failed answer never means success, whatever code it carries.
        let odd = body(
            r#"{"result":"FAILURE","authentication":{"status":{"code":"00"}},"transaction":{"authenticationStatus":"AUTHENTICATION_FAILED"}}"#,
        );
        assert_eq!(
            authentication_failure(&odd).status,
            AuthenticationStatus::Failed
        );
    }

    #[test]
    fn declines_use_the_acquirer_table_then_the_gateway_code() {
        for (json, expected) in [
            (
                r#"{"result":"FAILURE","response":{"acquirerCode":"51","gatewayCode":"INSUFFICIENT_FUNDS"}}"#,
                (
                    PaymentStatus::Declined,
                    Some(FailureReason::InsufficientFunds),
                ),
            ),
            (
                r#"{"result":"FAILURE","response":{"acquirerCode":"54","gatewayCode":"EXPIRED_CARD"}}"#,
                (PaymentStatus::Declined, Some(FailureReason::CardExpired)),
            ),
            (
                r#"{"result":"FAILURE","response":{"acquirerCode":"05","gatewayCode":"DECLINED"}}"#,
                (PaymentStatus::Declined, Some(FailureReason::DoNotHonour)),
            ),
            (
                r#"{"result":"FAILURE","response":{"acquirerCode":"409","gatewayCode":"DECLINED"}}"#,
                (
                    PaymentStatus::Declined,
                    Some(FailureReason::AuthenticationRequired),
                ),
            ),
            (
                r#"{"result":"FAILURE","response":{"gatewayCode":"TIMED_OUT"}}"#,
                (PaymentStatus::Unknown, Some(FailureReason::ProviderError)),
            ),
            (
                r#"{"result":"FAILURE","response":{"gatewayCode":"EXPIRED_CARD"}}"#,
                (PaymentStatus::Declined, Some(FailureReason::CardExpired)),
            ),
        ] {
            assert_eq!(decline(&body(json)), expected, "{json}");
        }
        let b = body(
            r#"{"result":"FAILURE","response":{"acquirerCode":"51","acquirerMessage":"NON SUFFICIENT FUNDS","gatewayCode":"INSUFFICIENT_FUNDS"}}"#,
        );
        let s = payment_status(&b);
        assert_eq!(
            (s.code.as_str(), s.raw_status.as_str()),
            ("51", "INSUFFICIENT_FUNDS")
        );
        assert_eq!(s.message, "NON SUFFICIENT FUNDS");
    }

    #[test]
    fn amounts_and_order_statuses() {
        let inr = Currency::parse("INR").unwrap();
        assert_eq!(minor_units(Some(&serde_json::json!(8.0)), inr), Some(800));
        assert_eq!(
            minor_units(Some(&serde_json::json!(980)), inr),
            Some(98_000)
        );
        assert_eq!(
            minor_units(Some(&serde_json::json!("8.00")), inr),
            Some(800)
        );
        assert_eq!(
            minor_units(Some(&serde_json::json!(8.100000000000001)), inr),
            Some(810)
        );
        assert_eq!(minor_units(None, inr), None);
        let t = Totals {
            authorized: 100,
            captured: 40,
            refunded: 0,
        };
        assert_eq!(
            order_payment_status(Some("PARTIALLY_CAPTURED"), t),
            PaymentStatus::PartiallyCaptured
        );
        assert_eq!(
            order_payment_status(Some("CANCELLED"), t),
            PaymentStatus::Voided
        );
        assert_eq!(
            order_payment_status(Some("SOMETHING_NEW"), t),
            PaymentStatus::PartiallyCaptured
        );
        assert_eq!(status_from_amounts(100, 100, 100), PaymentStatus::Refunded);
    }
}
