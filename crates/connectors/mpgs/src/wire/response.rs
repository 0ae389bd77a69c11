//! Answers: the transaction view (every PUT and Retrieve Transaction), Retrieve Order, and
//! the error shape `{"result":"ERROR","error":{...}}`. Everything is optional: the gateway
//! adds and omits fields by operation and version, and unknown fields are ignored.
//!
//! Codes are read leniently (a string or a number) and amounts as JSON numbers or strings.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A transaction answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TransactionResponse {
    /// `SUCCESS`, `PENDING`, `FAILURE`, `ERROR`, `UNKNOWN`.
    pub result: Option<String>,
    pub error: Option<ErrorBody>,
    pub authentication: Option<AuthenticationBody>,
    pub order: Option<OrderBody>,
    pub response: Option<ResponseBody>,
    pub transaction: Option<TransactionBody>,
    pub authorization_response: Option<AuthorizationResponse>,
}

/// `error` of an `ERROR` answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorBody {
    /// `INVALID_REQUEST`, `REQUEST_REJECTED`, `SERVER_BUSY`, `SERVER_FAILED`, ...
    pub cause: Option<String>,
    pub explanation: Option<String>,
    pub field: Option<String>,
    pub validation_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthenticationBody {
    /// The RuPay authentication transaction id (`tran_ID`).
    #[serde(rename = "3ds")]
    pub three_ds: Option<ThreeDs>,
    pub redirect: Option<Redirect>,
    pub status: Option<AuthStatus>,
    pub version: Option<String>,
    pub payer_interaction: Option<String>,
    /// AUTHORIZE / PAY echo: the authentication transaction used.
    pub transaction_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ThreeDs {
    #[serde(deserialize_with = "lenient_string")]
    pub transaction_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Redirect {
    pub html: Option<String>,
}

/// `authentication.status`: NPCI's code (`00`, `450`...) or the ACS's (`ACCU000`...).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AuthStatus {
    #[serde(deserialize_with = "lenient_string")]
    pub code: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderBody {
    pub id: Option<String>,
    /// `AUTHENTICATION_INITIATED`, `AUTHENTICATED`, `AUTHORIZED`, `CAPTURED`, `CANCELLED`...
    pub status: Option<String>,
    pub authentication_status: Option<String>,
    pub currency: Option<String>,
    pub amount: Option<Value>,
    pub total_authorized_amount: Option<Value>,
    pub total_captured_amount: Option<Value>,
    pub total_refunded_amount: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResponseBody {
    /// `APPROVED`, `PENDING`, `DECLINED`, `INSUFFICIENT_FUNDS`, `EXPIRED_CARD`, ...
    pub gateway_code: Option<String>,
    /// `PROCEED`, `DO_NOT_PROCEED`, `RESUBMIT_WITH_ALTERNATIVE_PAYMENT_DETAILS`, `NO_ACTION`.
    pub gateway_recommendation: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub acquirer_code: Option<String>,
    pub acquirer_message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TransactionBody {
    #[serde(deserialize_with = "lenient_string")]
    pub id: Option<String>,
    /// `AUTHENTICATION`, `AUTHORIZATION`, `PAYMENT`, `CAPTURE`, `REFUND`, `VOID_*`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub authentication_status: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub authorization_code: Option<String>,
    pub amount: Option<Value>,
    pub currency: Option<String>,
    pub target_transaction_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthorizationResponse {
    #[serde(deserialize_with = "lenient_string")]
    pub transaction_identifier: Option<String>,
}

/// Retrieve Order: the order's own fields at the top level, and every transaction.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderResponse {
    pub result: Option<String>,
    pub error: Option<ErrorBody>,
    pub id: Option<String>,
    pub status: Option<String>,
    pub authentication_status: Option<String>,
    pub currency: Option<String>,
    pub total_authorized_amount: Option<Value>,
    pub total_captured_amount: Option<Value>,
    pub total_refunded_amount: Option<Value>,
    pub transaction: Vec<TransactionResponse>,
}

impl TransactionResponse {
    pub fn gateway_code(&self) -> Option<&str> {
        self.response.as_ref()?.gateway_code.as_deref()
    }

    pub fn recommendation(&self) -> Option<&str> {
        self.response.as_ref()?.gateway_recommendation.as_deref()
    }

    /// `transaction.authenticationStatus`, else `order.authenticationStatus`.
    pub fn authentication_status(&self) -> Option<&str> {
        self.transaction
            .as_ref()
            .and_then(|t| t.authentication_status.as_deref())
            .or_else(|| self.order.as_ref()?.authentication_status.as_deref())
    }

    /// `authentication.status.code`.
    pub fn status_code(&self) -> Option<&str> {
        self.authentication
            .as_ref()?
            .status
            .as_ref()?
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
    }

    pub fn status_description(&self) -> Option<&str> {
        self.authentication
            .as_ref()?
            .status
            .as_ref()?
            .description
            .as_deref()
    }

    /// `authentication.3ds.transactionId`: the RuPay authentication transaction id.
    pub fn rupay_transaction_id(&self) -> Option<&str> {
        self.authentication
            .as_ref()?
            .three_ds
            .as_ref()?
            .transaction_id
            .as_deref()
    }

    pub fn redirect_html(&self) -> Option<&str> {
        self.authentication
            .as_ref()?
            .redirect
            .as_ref()?
            .html
            .as_deref()
    }

    pub fn transaction_id(&self) -> Option<&str> {
        self.transaction.as_ref()?.id.as_deref()
    }

    pub fn acquirer_code(&self) -> Option<&str> {
        self.response.as_ref()?.acquirer_code.as_deref()
    }
}

/// A string, or a number read as its decimal text (codes such as `"00"` or `0`).
fn lenient_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(de)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_authenticate_payer_answer() {
        let v: TransactionResponse = serde_json::from_str(
            r#"{"authentication":{"3ds":{"transactionId":"001236894402496821710745316111"},
                "redirect":{"html":"<div></div>"},"status":{"code":"00","description":"Request was successful"},
                "version":"RUPAY"},
                "order":{"amount":980.00,"authenticationStatus":"AUTHENTICATION_PENDING","id":"o1"},
                "response":{"gatewayCode":"PENDING","gatewayRecommendation":"PROCEED"},
                "result":"PENDING","transaction":{"authenticationStatus":"AUTHENTICATION_PENDING","id":"t1","stan":0}}"#,
        )
        .unwrap();
        assert_eq!(
            v.rupay_transaction_id(),
            Some("001236894402496821710745316111")
        );
        assert_eq!(v.status_code(), Some("00"));
        assert_eq!(v.gateway_code(), Some("PENDING"));
        assert_eq!(v.authentication_status(), Some("AUTHENTICATION_PENDING"));
        assert_eq!(v.redirect_html(), Some("<div></div>"));
    }

    #[test]
    fn numeric_codes_are_read_as_text() {
        let v: TransactionResponse = serde_json::from_str(
            r#"{"response":{"acquirerCode":5},"authentication":{"status":{"code":0}}}"#,
        )
        .unwrap();
        assert_eq!(v.acquirer_code(), Some("5"));
        assert_eq!(v.status_code(), Some("0"));
    }
}
