//! Cybersource's statuses, codes and error answers in payorch's vocabulary. The provider's
//! own code, message and status are always kept in a [`ProviderStatus`].

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

use crate::wire::response::Response;

/// payorch's API field for a Cybersource request field, when the caller supplied it.
/// Fields payorch fills itself (ids, indicators, credentials) have none: a refusal of
/// those is payorch's bug or configuration, not the caller's.
pub fn caller_field(provider_field: &str) -> Option<&'static str> {
    let field = provider_field
        .strip_prefix("paymentInformation.card.")
        .or_else(|| provider_field.strip_prefix("paymentInformation.tokenizedCard."));
    if let Some(card_field) = field {
        return match card_field {
            "number" => Some(fields::NUMBER),
            "expirationMonth" => Some(fields::EXPIRY_MONTH),
            "expirationYear" => Some(fields::EXPIRY_YEAR),
            "securityCode" => Some(fields::CVV),
            _ => None,
        };
    }
    match provider_field {
        "orderInformation.amountDetails.totalAmount" => Some("amount.minor_units"),
        "orderInformation.amountDetails.currency" => Some("amount.currency"),
        "deviceInformation.ipAddress" => Some("browser.ip_address"),
        "deviceInformation.userAgentBrowserValue" => Some("browser.user_agent"),
        "deviceInformation.httpAcceptBrowserValue" => Some("browser.accept_header"),
        "consumerAuthenticationInformation.otpToken" => Some("otp"),
        "consumerAuthenticationInformation.signedPares" => Some("params.PaRes"),
        _ => None,
    }
}

/// A non-2xx, non-5xx answer as an error (5xx never gets here: the HTTP layer makes it
/// `OutcomeUnknown`). 401/403 are payorch's credentials; any other 4xx is a refusal that
/// changed nothing.
pub fn error_answer(http: StatusCode, body: &Response, operation: &str) -> ConnectorError {
    let raw_status = body
        .status
        .clone()
        .unwrap_or_else(|| http.as_u16().to_string());
    if http == StatusCode::UNAUTHORIZED || http == StatusCode::FORBIDDEN {
        let message = body
            .response
            .as_ref()
            .and_then(|r| r.rmsg.clone())
            .or_else(|| body.message.clone())
            .unwrap_or_else(|| "Authentication Failed".into());
        return ConnectorError::Unauthorized(ProviderStatus {
            code: http.as_u16().to_string(),
            message,
            raw_status,
        });
    }
    if !http.is_client_error() {
        return ConnectorError::OutcomeUnknown(format!("{operation}: unexpected HTTP {http}"));
    }
    let fields: Vec<&str> = body
        .details
        .iter()
        .filter_map(|d| d.field.as_deref())
        .collect();
    let mut message = body
        .message
        .clone()
        .unwrap_or_else(|| http.canonical_reason().unwrap_or("refused").to_owned());
    if !fields.is_empty() {
        message = format!("{message}: {}", fields.join(", "));
    }
    ConnectorError::Rejected {
        status: ProviderStatus {
            code: body
                .reason
                .clone()
                .unwrap_or_else(|| http.as_u16().to_string()),
            message,
            raw_status,
        },
        caller_field: fields
            .iter()
            .find_map(|f| caller_field(f))
            .map(str::to_owned),
    }
}

/// The provider status of an authentication answer: the NPCI/ACCU result when present,
/// else the error reason, else the status.
pub fn authentication_status(body: &Response) -> ProviderStatus {
    let cai = body.consumer_authentication_information.as_ref();
    let error = body.error_information.as_ref();
    let raw_status = body.status.clone().unwrap_or_default();
    ProviderStatus {
        code: cai
            .and_then(|c| c.authentication_result.clone())
            .or_else(|| error.and_then(|e| e.reason.clone()))
            .unwrap_or_else(|| raw_status.clone()),
        message: cai
            .and_then(|c| c.authentication_status_msg.clone())
            .or_else(|| error.and_then(|e| e.message.clone()))
            .unwrap_or_default(),
        raw_status,
    }
}

/// An `AUTHENTICATION_FAILED` answer (or any answer carrying a result code) as an outcome.
/// `attempts_remaining`/`resends_remaining` are the session's counters after this step.
pub fn authentication_failure(
    body: &Response,
    attempts_remaining: i32,
    resends_remaining: i32,
) -> AuthenticationOutcome {
    let provider_status = authentication_status(body);
    let code = provider_status.code.as_str();
    let row = npci_outcome(code)
        .or_else(|| accu_outcome(code))
        .map(|row| row.with_limits(attempts_remaining, resends_remaining));
    let (status, failure_reason, recommendation) = match row {
        // A failed answer never means success, whatever code it carries.
        Some(row) if row.status != AuthenticationStatus::Succeeded => {
            (row.status, row.failure_reason, row.recommendation)
        }
        _ => {
            let veres = body
                .consumer_authentication_information
                .as_ref()
                .and_then(|c| c.veres_enrolled.as_deref());
            let reason = match veres {
                Some("N") => FailureReason::CardNotEnrolled,
                Some("U") => FailureReason::IssuerUnavailable,
                _ => FailureReason::RejectedByIssuer,
            };
            (
                AuthenticationStatus::Failed,
                Some(reason),
                Recommendation::DoNotProceed,
            )
        }
    };
    // Enrollment answers 412 with veresEnrolled "U": the issuer could not be reached.
    let failure_reason = match (code, body.consumer_authentication_information.as_ref()) {
        ("412", Some(c)) if c.veres_enrolled.as_deref() == Some("U") => {
            Some(FailureReason::IssuerUnavailable)
        }
        _ => failure_reason,
    };
    let mut outcome = AuthenticationOutcome::with_status(status);
    outcome.failure_reason = failure_reason;
    outcome.recommendation = Some(recommendation);
    outcome.provider_status = Some(provider_status);
    outcome
}

/// The provider status of a payment answer.
pub fn payment_status(body: &Response) -> ProviderStatus {
    let raw_status = body.status.clone().unwrap_or_default();
    let response_code = body
        .processor_information
        .as_ref()
        .and_then(|p| p.response_code.clone());
    let error = body.error_information.as_ref();
    let code = response_code
        .clone()
        .or_else(|| error.and_then(|e| e.reason.clone()))
        .unwrap_or_else(|| raw_status.clone());
    let message = error
        .and_then(|e| e.message.clone())
        .or_else(|| {
            response_code
                .as_deref()
                .and_then(authorization_description)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| raw_status.clone());
    ProviderStatus {
        code,
        message,
        raw_status,
    }
}

/// What a `DECLINED` (or other unsuccessful) payment answer means.
pub fn decline(body: &Response) -> (PaymentStatus, Option<FailureReason>) {
    let code = body
        .processor_information
        .as_ref()
        .and_then(|p| p.response_code.as_deref());
    if let Some((status, reason)) = code.and_then(authorization_outcome)
        && status != PaymentStatus::Authorized
    {
        return (status, reason);
    }
    let reason = body
        .error_information
        .as_ref()
        .and_then(|e| e.reason.as_deref());
    let failure = match reason {
        Some("INSUFFICIENT_FUND") => FailureReason::InsufficientFunds,
        Some("EXPIRED_CARD") => FailureReason::CardExpired,
        Some("CONSUMER_AUTHENTICATION_REQUIRED") => FailureReason::AuthenticationRequired,
        Some("INVALID_ACCOUNT") | Some("INVALID_CARD") | Some("CARD_TYPE_NOT_ACCEPTED") => {
            FailureReason::InvalidCard
        }
        Some("INVALID_CVN") | Some("CV_FAILED") => FailureReason::IncorrectCvv,
        Some("STOLEN_LOST_CARD") | Some("BLOCKED_CARD") => FailureReason::CardBlocked,
        Some("EXCEEDS_CREDIT_LIMIT") => FailureReason::CardLimitExceeded,
        Some("DECISION_PROFILE_REJECT") | Some("SCORE_EXCEEDS_THRESHOLD") => {
            FailureReason::SuspectedFraud
        }
        Some("UNAUTHORIZED_CARD") => FailureReason::TransactionNotPermitted,
        Some("PROCESSOR_DECLINED") | Some("GENERAL_DECLINE") => FailureReason::DoNotHonour,
        Some("PROCESSOR_UNAVAILABLE") | Some("ISSUER_UNAVAILABLE") => {
            return (
                PaymentStatus::Failed,
                Some(FailureReason::IssuerUnavailable),
            );
        }
        _ => FailureReason::GenericDecline,
    };
    (PaymentStatus::Declined, Some(failure))
}

/// Minor units of a decimal amount in `like`'s currency (`None` when unreadable).
pub fn minor_units(amount: Option<&str>, like: Money) -> Option<i64> {
    Money::from_decimal_str(amount?, like.currency())
        .ok()
        .map(|m| m.minor_units())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Response {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn invalid_request_names_the_caller_field() {
        let b = body(
            r#"{"status":"INVALID_REQUEST","reason":"MISSING_FIELD","message":"Declined - missing","details":[{"field":"paymentInformation.card.securityCode","reason":"MISSING_FIELD"}]}"#,
        );
        let ConnectorError::Rejected {
            status,
            caller_field,
        } = error_answer(StatusCode::BAD_REQUEST, &b, "enrollment")
        else {
            panic!("not rejected");
        };
        assert_eq!(caller_field.as_deref(), Some("payment_method.card.cvv"));
        assert_eq!(status.code, "MISSING_FIELD");
        assert_eq!(status.raw_status, "INVALID_REQUEST");
        assert!(status.message.contains("securityCode"));
    }

    #[test]
    fn payorch_owned_fields_are_not_blamed_on_the_caller() {
        let b = body(
            r#"{"status":"INVALID_REQUEST","reason":"INVALID_DATA","details":[{"field":"processingInformation.commerceIndicator","reason":"INVALID_DATA"}]}"#,
        );
        assert!(matches!(
            error_answer(StatusCode::BAD_REQUEST, &b, "authorize"),
            ConnectorError::Rejected {
                caller_field: None,
                ..
            }
        ));
    }

    #[test]
    fn unauthorized_keeps_the_raw_message() {
        let b = body(r#"{"response":{"rmsg":"Authentication Failed"}}"#);
        let ConnectorError::Unauthorized(status) = error_answer(StatusCode::UNAUTHORIZED, &b, "x")
        else {
            panic!("not unauthorized");
        };
        assert_eq!(status.code, "401");
        assert_eq!(status.message, "Authentication Failed");
    }

    #[test]
    fn npci_results_map_with_limits() {
        let wrong = body(
            r#"{"status":"AUTHENTICATION_FAILED","consumerAuthenticationInformation":{"authenticationResult":"450","authenticationStatusMsg":"Invalid OTP"}}"#,
        );
        let o = authentication_failure(&wrong, 2, 3);
        assert_eq!(o.status, AuthenticationStatus::OtpRequired);
        assert_eq!(o.failure_reason, Some(FailureReason::InvalidOtp));
        assert_eq!(o.recommendation, Some(Recommendation::RetryOtp));
        assert_eq!(o.provider_status.as_ref().unwrap().code, "450");
        let o = authentication_failure(&wrong, 0, 3);
        assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));

        let unavailable = body(
            r#"{"status":"AUTHENTICATION_FAILED","consumerAuthenticationInformation":{"veresEnrolled":"U","authenticationResult":"412"}}"#,
        );
        let o = authentication_failure(&unavailable, 0, 0);
        assert_eq!(o.failure_reason, Some(FailureReason::IssuerUnavailable));
        let cancelled = body(
            r#"{"status":"AUTHENTICATION_FAILED","consumerAuthenticationInformation":{"authenticationResult":"ACCU200"}}"#,
        );
        let o = authentication_failure(&cancelled, 0, 0);
        assert_eq!(o.status, AuthenticationStatus::Cancelled);
        assert_eq!(o.failure_reason, Some(FailureReason::CancelledByPayer));
    }

    #[test]
    fn declines_use_the_response_code_table() {
        for (json, reason) in [
            (
                r#"{"status":"DECLINED","processorInformation":{"responseCode":"51"},"errorInformation":{"reason":"INSUFFICIENT_FUND"}}"#,
                FailureReason::InsufficientFunds,
            ),
            (
                r#"{"status":"DECLINED","processorInformation":{"responseCode":"54"}}"#,
                FailureReason::CardExpired,
            ),
            (
                r#"{"status":"DECLINED","processorInformation":{"responseCode":"05"}}"#,
                FailureReason::DoNotHonour,
            ),
            (
                r#"{"status":"DECLINED","errorInformation":{"reason":"CONSUMER_AUTHENTICATION_REQUIRED"}}"#,
                FailureReason::AuthenticationRequired,
            ),
        ] {
            assert_eq!(
                decline(&body(json)),
                (PaymentStatus::Declined, Some(reason)),
                "{json}"
            );
        }
    }
}
