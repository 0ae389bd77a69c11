//! IPG's statuses, codes and error answers in payorch's vocabulary. The provider's own
//! code, message and status are always kept in a [`ProviderStatus`].
//!
//! Where the codes are: an OTP step answers
//! `authenticationResponse.otpVerificationResponse.responseCode` (NPCI codes, `00` success)
//! and an `approvalCode` `Y:00:...` / `N:<code>:...`; an inquiry of a payer authentication
//! carries only the `approvalCode` (`N:ACCU200:...` for a payer who cancelled at the ACS);
//! an authorization carries `processor.responseCode` (ISO 8583) and `transactionStatus`.

use payorch_connector::ConnectorError;
use payorch_connector::model::AuthenticationOutcome;
use payorch_core::card::fields;
use payorch_core::codes::{
    accu_outcome, authorization_description, authorization_outcome, npci_outcome,
};
use payorch_core::money::Money;
use payorch_core::session::ProviderStatus;
use payorch_core::status::{AuthenticationStatus, FailureReason, PaymentStatus, Recommendation};
use reqwest::StatusCode;

use crate::wire::response::{Response, approval_code};

/// payorch's API field for an IPG request field, when the caller supplied it. Fields
/// payorch fills itself (ids, request types, store, termURL) have none: a refusal of those
/// is payorch's bug or configuration, not the caller's.
pub fn caller_field(provider_field: &str) -> Option<&'static str> {
    let field = provider_field.trim();
    if let Some(card) = field.strip_prefix("paymentMethod.paymentCard.") {
        return match card {
            "number" => Some(fields::NUMBER),
            "securityCode" => Some(fields::CVV),
            "expiryDate.month" => Some(fields::EXPIRY_MONTH),
            "expiryDate.year" => Some(fields::EXPIRY_YEAR),
            "expiryDate" => Some(fields::EXPIRY_MONTH),
            _ => None,
        };
    }
    let browser = field
        .strip_prefix("authenticationRequest.cardHolderBrowserParams.")
        .or_else(|| field.strip_prefix("authenticationRequest.cardHolderBrowserParameters."));
    if let Some(browser) = browser {
        return match browser {
            "browserIP" => Some("browser.ip_address"),
            "browserUserAgent" => Some("browser.user_agent"),
            "browserAcceptHeaders" => Some("browser.accept_header"),
            "browserLanguage" => Some("browser.language"),
            _ => None,
        };
    }
    match field {
        "transactionAmount.total" => Some("amount.minor_units"),
        "transactionAmount.currency" => Some("amount.currency"),
        crate::wire::rupay::VERIFY_OTP_FIELD => Some("otp"),
        _ => None,
    }
}

/// A refusal (4xx without a transaction in it) as an error. 5xx never gets here: the HTTP
/// layer makes it `OutcomeUnknown`. 401/403 are payorch's credentials or signature.
pub fn error_answer(http: StatusCode, body: &Response, operation: &str) -> ConnectorError {
    let raw_status = body
        .response_type
        .clone()
        .unwrap_or_else(|| http.as_u16().to_string());
    let error = body.error.clone().unwrap_or_default();
    let message = error
        .message
        .clone()
        .unwrap_or_else(|| http.canonical_reason().unwrap_or("refused").to_owned());
    if http == StatusCode::UNAUTHORIZED || http == StatusCode::FORBIDDEN {
        return ConnectorError::Unauthorized(ProviderStatus {
            code: http.as_u16().to_string(),
            message,
            raw_status,
        });
    }
    if !http.is_client_error() {
        return ConnectorError::OutcomeUnknown(format!("{operation}: unexpected HTTP {http}"));
    }
    let provider_fields: Vec<&str> = error
        .details
        .iter()
        .filter_map(|d| d.field.as_deref())
        .collect();
    let message = if provider_fields.is_empty() {
        message
    } else {
        format!("{message}: {}", provider_fields.join(", "))
    };
    ConnectorError::Rejected {
        status: ProviderStatus {
            code: error.code.unwrap_or_else(|| http.as_u16().to_string()),
            message,
            raw_status,
        },
        caller_field: provider_fields
            .iter()
            .find_map(|f| caller_field(f))
            .map(str::to_owned),
    }
}

/// The provider status of an authentication answer: the NPCI/ACCU code when present
/// (OTP response code, else the `approvalCode`'s), else the error code, else the status.
pub fn authentication_status(body: &Response) -> ProviderStatus {
    let otp = body.otp();
    let approval = body.approval_code.as_deref().and_then(approval_code);
    let decided = approval
        .as_ref()
        .filter(|a| a.verdict == 'Y' || a.verdict == 'N');
    let error = body.error.as_ref();
    let raw_status = body.status().to_owned();
    let code = otp
        .and_then(|o| o.response_code.clone())
        .or_else(|| decided.map(|a| a.code.to_owned()))
        .or_else(|| error.and_then(|e| e.code.clone()))
        .unwrap_or_else(|| raw_status.clone());
    let message = otp
        .and_then(|o| o.response_description.clone())
        .or_else(|| approval.as_ref().map(|a| a.text.to_owned()))
        .or_else(|| error.and_then(|e| e.message.clone()))
        .unwrap_or_default();
    ProviderStatus {
        code,
        message,
        raw_status,
    }
}

/// What an OTP verification, a redirect's inquiry or a failed start decided, or `None`
/// while the payer authentication is still waiting for the payer.
/// `attempts_remaining`/`resends_remaining` are the session's counters after this step.
pub fn authentication_result(
    body: &Response,
    attempts_remaining: i32,
    resends_remaining: i32,
) -> Option<AuthenticationOutcome> {
    let provider_status = authentication_status(body);
    let verdict = body
        .approval_code
        .as_deref()
        .and_then(approval_code)
        .map(|a| a.verdict);
    let code = provider_status.code.as_str();
    let succeeded = verdict == Some('Y')
        && (code == "00" || code == "0" || code.eq_ignore_ascii_case("ACCU000"));
    let declined = matches!(
        body.status(),
        "DECLINED" | "FAILED" | "VALIDATION_FAILED" | "PROCESSING_FAILED"
    ) || verdict == Some('N');
    let row = npci_outcome(code)
        .or_else(|| accu_outcome(code))
        .map(|row| row.with_limits(attempts_remaining, resends_remaining));
    let (status, failure_reason, recommendation) = if succeeded {
        (
            AuthenticationStatus::Succeeded,
            None,
            Recommendation::Proceed,
        )
    } else {
        match row {
            // A code that says success without a `Y` verdict decides nothing.
            Some(row) if row.status != AuthenticationStatus::Succeeded => {
                (row.status, row.failure_reason, row.recommendation)
            }
            _ if declined => (
                AuthenticationStatus::Failed,
                Some(FailureReason::RejectedByIssuer),
                Recommendation::DoNotProceed,
            ),
            _ => return None,
        }
    };
    let mut outcome = AuthenticationOutcome::with_status(status);
    outcome.failure_reason = failure_reason;
    outcome.recommendation = Some(recommendation);
    outcome.provider_status = Some(provider_status);
    Some(outcome)
}

/// The provider status of a payment answer.
pub fn payment_status(body: &Response) -> ProviderStatus {
    let raw_status = body.status().to_owned();
    let processor = body.processor.as_ref();
    let response_code = processor.and_then(|p| p.response_code.clone());
    let error = body.error.as_ref();
    let declined_code = body
        .approval_code
        .as_deref()
        .and_then(approval_code)
        .filter(|a| a.verdict == 'N')
        .map(|a| a.code.to_owned());
    let code = response_code
        .clone()
        .or_else(|| error.and_then(|e| e.code.clone()))
        .or(declined_code)
        .unwrap_or_else(|| raw_status.clone());
    let message = processor
        .and_then(|p| p.response_message.clone())
        .or_else(|| error.and_then(|e| e.message.clone()))
        .or_else(|| authorization_description(&code).map(str::to_owned))
        .unwrap_or_else(|| raw_status.clone());
    ProviderStatus {
        code,
        message,
        raw_status,
    }
}

/// What an unsuccessful authorization answer means.
pub fn decline(body: &Response) -> (PaymentStatus, Option<FailureReason>) {
    let code = payment_status(body).code;
    match authorization_outcome(&code) {
        Some((status, reason)) if status != PaymentStatus::Authorized => (status, reason),
        _ if body.status() == "FAILED" || body.status() == "PROCESSING_FAILED" => {
            (PaymentStatus::Failed, Some(FailureReason::ProviderError))
        }
        _ => (PaymentStatus::Declined, Some(FailureReason::DoNotHonour)),
    }
}

/// Minor units of an IPG amount (`123.5`, `"123.50"`) in `like`'s currency.
pub fn minor_units(amount: Option<&str>, like: Money) -> Option<i64> {
    let text = amount?.trim();
    // IPG prints numbers, so `567.0` or `123.5` for INR: pad or trim the fraction to the
    // currency's exponent without changing the value.
    let exponent = usize::from(like.currency().exponent());
    let normalized = match text.split_once('.') {
        Some((whole, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                whole.to_owned()
            } else if frac.len() <= exponent {
                format!("{whole}.{frac}")
            } else {
                return None;
            }
        }
        None => text.to_owned(),
    };
    Money::from_decimal_str(&normalized, like.currency())
        .ok()
        .map(|m| m.minor_units())
}

#[cfg(test)]
mod tests {
    use payorch_connector::amounts::status_from_amounts;

    use super::*;

    fn body(json: &str) -> Response {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn bad_request_names_the_caller_field() {
        let b = body(
            r#"{"responseType":"BadRequest","error":{"code":"400","message":"Invalid request","details":[{"field":"paymentMethod.paymentCard.number","message":"Invalid credit card number"}]}}"#,
        );
        let ConnectorError::Rejected {
            status,
            caller_field,
        } = error_answer(StatusCode::BAD_REQUEST, &b, "sale")
        else {
            panic!("not rejected");
        };
        assert_eq!(caller_field.as_deref(), Some(fields::NUMBER));
        assert_eq!(status.raw_status, "BadRequest");
        assert!(status.message.contains("paymentCard.number"));
        let b =
            body(r#"{"responseType":"BadRequest","error":{"details":[{"field":"requestType"}]}}"#);
        assert!(matches!(
            error_answer(StatusCode::BAD_REQUEST, &b, "x"),
            ConnectorError::Rejected {
                caller_field: None,
                ..
            }
        ));
    }

    #[test]
    fn unauthenticated_is_unauthorized() {
        let b = body(
            r#"{"responseType":"Unauthenticated","error":{"code":"401","message":"Message-Signature does not match"}}"#,
        );
        let ConnectorError::Unauthorized(status) = error_answer(StatusCode::UNAUTHORIZED, &b, "x")
        else {
            panic!("not unauthorized");
        };
        assert_eq!(status.code, "401");
        assert_eq!(status.raw_status, "Unauthenticated");
    }

    #[test]
    fn otp_results_map_with_limits() {
        let wrong = body(
            r#"{"transactionStatus":"WAITING","approvalCode":"N:450:Invalid OTP","authenticationResponse":{"otpVerificationResponse":{"responseCode":"450","responseDescription":"Invalid OTP"}}}"#,
        );
        let o = authentication_result(&wrong, 2, 3).unwrap();
        assert_eq!(o.status, AuthenticationStatus::OtpRequired);
        assert_eq!(o.failure_reason, Some(FailureReason::InvalidOtp));
        assert_eq!(o.provider_status.as_ref().unwrap().code, "450");
        let o = authentication_result(&wrong, 0, 3).unwrap();
        assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));
        let ok = body(
            r#"{"transactionStatus":"WAITING","approvalCode":"Y:00:OTP verified successfully.","authenticationResponse":{"otpVerificationResponse":{"responseCode":"00"}}}"#,
        );
        assert_eq!(
            authentication_result(&ok, 3, 3).unwrap().status,
            AuthenticationStatus::Succeeded
        );
        let cancelled = body(
            r#"{"transactionStatus":"DECLINED","approvalCode":"N:ACCU200:Cancelled by cardholder"}"#,
        );
        let o = authentication_result(&cancelled, 0, 0).unwrap();
        assert_eq!(o.status, AuthenticationStatus::Cancelled);
        assert_eq!(o.failure_reason, Some(FailureReason::CancelledByPayer));
        let waiting =
            body(r#"{"transactionStatus":"WAITING","approvalCode":"?:waiting authentication"}"#);
        assert!(authentication_result(&waiting, 3, 3).is_none());
        // "00" without a Y verdict is not a success.
        let odd = body(r#"{"transactionStatus":"DECLINED","approvalCode":"N:00:?"}"#);
        assert_eq!(
            authentication_result(&odd, 3, 3).unwrap().status,
            AuthenticationStatus::Failed
        );
    }

    #[test]
    fn declines_use_the_response_code_table() {
        for (json, expected) in [
            (
                r#"{"transactionStatus":"DECLINED","processor":{"responseCode":"51"}}"#,
                (
                    PaymentStatus::Declined,
                    Some(FailureReason::InsufficientFunds),
                ),
            ),
            (
                r#"{"transactionStatus":"DECLINED","processor":{"responseCode":"54"}}"#,
                (PaymentStatus::Declined, Some(FailureReason::CardExpired)),
            ),
            (
                r#"{"transactionStatus":"DECLINED","processor":{"responseCode":"05"}}"#,
                (PaymentStatus::Declined, Some(FailureReason::DoNotHonour)),
            ),
            (
                r#"{"transactionStatus":"DECLINED","error":{"code":"409"}}"#,
                (
                    PaymentStatus::Declined,
                    Some(FailureReason::AuthenticationRequired),
                ),
            ),
            (
                r#"{"transactionStatus":"FAILED","approvalCode":"N:-5003:x"}"#,
                (PaymentStatus::Failed, Some(FailureReason::ProviderError)),
            ),
        ] {
            assert_eq!(decline(&body(json)), expected, "{json}");
        }
    }

    #[test]
    fn amounts() {
        let inr = Money::new(0, "INR").unwrap();
        assert_eq!(minor_units(Some("567.0"), inr), Some(56_700));
        assert_eq!(minor_units(Some("123.5"), inr), Some(12_350));
        assert_eq!(minor_units(Some("100"), inr), Some(10_000));
        assert_eq!(minor_units(Some("1.005"), inr), None);
        assert_eq!(
            status_from_amounts(100, 40, 0),
            PaymentStatus::PartiallyCaptured
        );
        assert_eq!(
            status_from_amounts(100, 100, 30),
            PaymentStatus::PartiallyRefunded
        );
    }
}
