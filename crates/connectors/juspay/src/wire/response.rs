//! Juspay's JSON answers, lenient: every field optional, unknown fields ignored, numbers
//! accepted where strings are documented and the other way round (the seed types the OTP
//! counters as strings; amounts come as JSON numbers).

use serde::Deserialize;
use serde_json::{Map, Value};

/// A scalar Juspay may print as a string, a number or a boolean.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    /// The value as text (`100.0` for the number 100.0).
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.trim().to_owned(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Scalar::Text(s) => s.trim().parse().ok(),
            Scalar::Number(n) => n.as_i64(),
            Scalar::Bool(_) => None,
        }
    }
}

/// A value of the dynamic `params` object, read as text.
pub fn param_text(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A boolean of `params` (`true`, or the string `"true"`).
pub fn param_bool(params: &Map<String, Value>, name: &str) -> Option<bool> {
    match params.get(name)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// An integer of `params` (the counters: strings in the seed, numbers elsewhere).
pub fn param_i64(params: &Map<String, Value>, name: &str) -> Option<i64> {
    param_text(params, name)?.trim().parse().ok()
}

/// `payment.authentication`: where and how the payer authenticates. `params` is dynamic
/// by Juspay's own warning, so it is kept whole.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Authentication {
    pub method: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub params: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Payment {
    pub authentication: Option<Authentication>,
}

/// The answer of `/txns`, `/authenticate` and `/resend`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TxnResponse {
    pub order_id: Option<String>,
    pub txn_id: Option<String>,
    pub txn_uuid: Option<String>,
    /// Older answers name the txn_uuid `id`.
    pub id: Option<String>,
    pub status: Option<String>,
    pub status_id: Option<Scalar>,
    pub payment: Option<Payment>,
    pub bank_error_code: Option<String>,
    pub bank_error_message: Option<String>,
}

impl TxnResponse {
    pub fn authentication(&self) -> Option<&Authentication> {
        self.payment.as_ref()?.authentication.as_ref()
    }

    pub fn txn_uuid(&self) -> Option<&str> {
        self.txn_uuid
            .as_deref()
            .or(self.id.as_deref())
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TxnDetail {
    pub status: Option<String>,
    pub txn_amount: Option<Scalar>,
    pub captured_amount: Option<Scalar>,
    pub auto_capture: Option<bool>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GatewayResponse {
    pub resp_code: Option<String>,
    pub resp_message: Option<String>,
    pub auth_id_code: Option<String>,
    pub rrn: Option<String>,
    pub epg_txn_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RefundView {
    pub id: Option<String>,
    pub unique_request_id: Option<String>,
    pub amount: Option<Scalar>,
    pub status: Option<String>,
    pub error_message: Option<String>,
}

/// The Order Status API's view (also the answer of capture, void and refund).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderStatus {
    pub order_id: Option<String>,
    pub status: Option<String>,
    pub status_id: Option<Scalar>,
    pub amount: Option<Scalar>,
    pub currency: Option<String>,
    pub amount_refunded: Option<Scalar>,
    pub txn_uuid: Option<String>,
    pub txn_id: Option<String>,
    pub bank_error_code: Option<String>,
    pub bank_error_message: Option<String>,
    pub auth_type: Option<String>,
    pub txn_detail: Option<TxnDetail>,
    pub payment_gateway_response: Option<GatewayResponse>,
    #[serde(default)]
    pub refunds: Vec<RefundView>,
}

/// `{"status", "error_code", "error_message"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    pub status: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reads_the_seeds_direct_otp_answer() {
        let body = r#"{
           "order_id" : "o1", "txn_id" : "t1", "status" : "PENDING_VBV",
           "payment"  : { "authentication": { "method": "POST",
               "url": "https://api.juspay.in/v2/txns/eul5/authenticate",
               "params": { "id": "eul5", "challenge_id": "ch_xyz", "auth_type": "OTP",
                  "submit_otp_allowed": true, "resend_otp_allowed": "true",
                  "times_otp_sent": "1", "max_otp_send_limit": 4,
                  "current_attempt": "1", "max_attempts": "4" } } } }"#;
        let txn: TxnResponse = serde_json::from_str(body).unwrap();
        assert_eq!(
            txn.txn_uuid(),
            None,
            "the seed's first sample has no txn_uuid"
        );
        let params = txn.authentication().unwrap().params.clone().unwrap();
        assert_eq!(
            param_text(&params, "challenge_id").as_deref(),
            Some("ch_xyz")
        );
        assert_eq!(param_bool(&params, "resend_otp_allowed"), Some(true));
        assert_eq!(param_i64(&params, "max_otp_send_limit"), Some(4));
        assert_eq!(param_i64(&params, "times_otp_sent"), Some(1));
    }

    #[test]
    fn amounts_as_numbers_or_strings() {
        let o: OrderStatus = serde_json::from_str(
            r#"{"amount": 100.0, "amount_refunded": "20.50", "status_id": 21}"#,
        )
        .unwrap();
        assert_eq!(o.amount.unwrap().text(), "100.0");
        assert_eq!(o.amount_refunded.unwrap().text(), "20.50");
        assert_eq!(o.status_id.unwrap().as_i64(), Some(21));
    }
}
