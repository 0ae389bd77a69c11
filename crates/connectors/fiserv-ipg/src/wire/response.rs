//! Answers: `TransactionResponse` (also the body of a 422 decline, with `error`),
//! `ErrorResponse`, and the order inquiry. Everything is optional and read leniently
//! (ids and codes as strings or numbers): a field IPG leaves out must not turn a
//! readable answer into an unknown outcome.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string or a number, as a string; anything else as absent.
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AmountView {
    #[serde(deserialize_with = "lenient")]
    pub total: Option<String>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Processor {
    pub reference_number: Option<String>,
    pub authorization_code: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub response_code: Option<String>,
    pub response_message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RedirectParams {
    #[serde(rename = "termURL")]
    pub term_url: Option<String>,
    #[serde(rename = "acsURL")]
    pub acs_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OtpVerification {
    #[serde(deserialize_with = "lenient")]
    pub otp_validity_in_minutes: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub response_code: Option<String>,
    pub response_description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthenticationResponse {
    pub params: Option<RedirectParams>,
    pub otp_verification_response: Option<OtpVerification>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    pub field: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorBody {
    #[serde(deserialize_with = "lenient")]
    pub code: Option<String>,
    pub message: Option<String>,
    pub details: Vec<ErrorDetail>,
}

/// `TransactionResponse` / `TransactionErrorResponse` / `ErrorResponse`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Response {
    pub client_request_id: Option<String>,
    pub api_trace_id: Option<String>,
    pub response_type: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub ipg_transaction_id: Option<String>,
    pub order_id: Option<String>,
    pub transaction_type: Option<String>,
    /// Deprecated in the spec in favour of `transactionResult`; seed 002's answers carry it.
    pub transaction_status: Option<String>,
    pub transaction_result: Option<String>,
    /// Where the transaction stands (`AUTHORIZED`, `CAPTURED`, `VOIDED`, ...).
    pub transaction_state: Option<String>,
    pub approval_code: Option<String>,
    pub approved_amount: Option<AmountView>,
    pub transaction_amount: Option<AmountView>,
    pub scheme_transaction_id: Option<String>,
    pub processor: Option<Processor>,
    pub authentication_response: Option<AuthenticationResponse>,
    pub error: Option<ErrorBody>,
}

impl Response {
    /// Whether this is a transaction (possibly declined) rather than a bare error.
    pub fn is_transaction(&self) -> bool {
        self.ipg_transaction_id.is_some()
            || self.transaction_status.is_some()
            || self.transaction_result.is_some()
    }

    pub fn otp(&self) -> Option<&OtpVerification> {
        self.authentication_response
            .as_ref()
            .and_then(|a| a.otp_verification_response.as_ref())
    }

    pub fn acs_url(&self) -> Option<&str> {
        self.authentication_response
            .as_ref()
            .and_then(|a| a.params.as_ref())
            .and_then(|p| p.acs_url.as_deref())
            .filter(|u| !u.trim().is_empty())
    }

    /// The result of the request (`APPROVED`, `WAITING`, `DECLINED`, `FAILED`, ...):
    /// `transactionResult`, else the deprecated `transactionStatus` it replaces.
    pub fn status(&self) -> &str {
        self.transaction_result
            .as_deref()
            .or(self.transaction_status.as_deref())
            .unwrap_or_default()
    }

    /// Whether the transaction was voided since (`transactionState: VOIDED`; neither
    /// result field has a VOIDED value).
    pub fn voided(&self) -> bool {
        self.transaction_state.as_deref() == Some("VOIDED")
    }

    pub fn kind(&self) -> &str {
        self.transaction_type.as_deref().unwrap_or_default()
    }
}

/// `GET /orders/{orderId}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderResponse {
    pub order_id: Option<String>,
    pub transactions: Vec<Response>,
}

/// `approvalCode` split: `Y:00:OTP verified successfully.` → (`Y`, `00`, text);
/// `N:452:Exhausted ...` → (`N`, `452`, text); `?:waiting authentication` → (`?`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalCode<'a> {
    pub verdict: char,
    pub code: &'a str,
    pub text: &'a str,
}

pub fn approval_code(raw: &str) -> Option<ApprovalCode<'_>> {
    let mut parts = raw.splitn(3, ':');
    let verdict = parts.next()?.trim().chars().next()?;
    let code = parts.next().unwrap_or_default().trim();
    let text = parts.next().unwrap_or_default().trim();
    Some(ApprovalCode {
        verdict,
        code,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_redirect_answer() {
        let body = r#"{"clientRequestId":"2838649","ipgTransactionId":"84439384258","orderId":"R-1",
            "transactionType":"PAYER_AUTH","transactionStatus":"WAITING","approvalCode":"?:waiting authentication",
            "transactionAmount":{"total":567.00,"currency":"INR","components":{"subtotal":567.00}},
            "authenticationResponse":{"params":{"termURL":" https://t","acsURL":"https://acs?rupayId=84439384258"}}}"#;
        let r: Response = serde_json::from_str(body).unwrap();
        assert_eq!(r.acs_url(), Some("https://acs?rupayId=84439384258"));
        assert_eq!(
            r.transaction_amount.as_ref().unwrap().total.as_deref(),
            Some("567.0")
        );
        assert!(r.otp().is_none());
    }

    #[test]
    fn reads_numbers_as_strings() {
        let r: Response = serde_json::from_str(
            r#"{"ipgTransactionId":84443535451,"authenticationResponse":{"otpVerificationResponse":{"otpValidityInMinutes":1}},"error":{"code":410}}"#,
        )
        .unwrap();
        assert_eq!(r.ipg_transaction_id.as_deref(), Some("84443535451"));
        assert_eq!(
            r.otp().unwrap().otp_validity_in_minutes.as_deref(),
            Some("1")
        );
        assert_eq!(r.error.unwrap().code.as_deref(), Some("410"));
    }

    #[test]
    fn approval_codes() {
        let a = approval_code("Y:00:OTP verified successfully.").unwrap();
        assert_eq!(
            (a.verdict, a.code, a.text),
            ('Y', "00", "OTP verified successfully.")
        );
        let a = approval_code("Y:145601:4439384617:PPX :315214384258").unwrap();
        assert_eq!((a.verdict, a.code), ('Y', "145601"));
        let a = approval_code("N:ACCU200:Cancelled by cardholder").unwrap();
        assert_eq!((a.verdict, a.code), ('N', "ACCU200"));
        let a = approval_code("?:waiting authentication").unwrap();
        assert_eq!((a.verdict, a.code), ('?', "waiting authentication"));
        assert_eq!(approval_code(""), None);
    }
}
