//! What the adapter remembers between calls, carried opaquely in the session or payment as
//! a versioned JSON [`ConnectorState`](payorch_core::session::ConnectorState). Readers
//! accept every version they know; writers always write the current one. Nothing secret
//! goes in here (the callback URL is a capability for one payer's OTP form, as the payer's
//! own browser would hold it).

use payorch_connector::ConnectorId;
use payorch_connector::state::StateCodec;
use serde::{Deserialize, Serialize};

/// Version of both layouts below.
pub const STATE_VERSION: u32 = 1;

/// How the payer authenticates at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthFlow {
    Seamless,
    Redirect,
}

/// One authentication's gateway state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthState {
    /// `order.id`.
    pub order_id: String,
    /// The AUTHENTICATION transaction's `transaction.id` (what AUTHORIZE names in
    /// `authentication.transactionId`).
    pub transaction_id: String,
    #[serde(default)]
    pub flow: Option<AuthFlow>,
    /// `authentication.3ds.transactionId`, the RuPay authentication transaction id.
    #[serde(default)]
    pub rupay_transaction_id: Option<String>,
    /// Seamless: the form's action, where OTPs and resends are posted.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Seamless: the OTP form as the gateway sent it (its OTP input, hidden inputs and
    /// controls), which every OTP submission and resend reproduces.
    #[serde(default)]
    pub otp_form: Option<crate::html::OtpForm>,
    /// The card was a network token (SCHEME_TOKEN).
    #[serde(default)]
    pub scheme_token: bool,
    /// The payer's browser, which AUTHORIZE sends again.
    #[serde(default)]
    pub ip_address: String,
    #[serde(default)]
    pub user_agent: String,
}

/// One follow-on transaction (capture or refund) and what it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowOn {
    pub transaction_id: String,
    pub amount_minor: i64,
}

/// One payment's gateway state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentState {
    pub order_id: String,
    /// The AUTHORIZE or PAY transaction.
    pub transaction_id: String,
    /// Authorized with PAY (authorization and capture at once).
    #[serde(default)]
    pub sale: bool,
    #[serde(default)]
    pub captures: Vec<FollowOn>,
    #[serde(default)]
    pub refunds: Vec<FollowOn>,
    #[serde(default)]
    pub void_transaction_id: Option<String>,
}

/// This adapter's state, as the current version.
pub const CODEC: StateCodec = StateCodec::new(ConnectorId::Mpgs, STATE_VERSION);

#[cfg(test)]
mod tests {
    use payorch_connector::ConnectorError;
    use payorch_core::session::ConnectorState;

    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_versions() {
        let state = AuthState {
            order_id: "o".into(),
            transaction_id: "t".into(),
            flow: Some(AuthFlow::Seamless),
            callback_url: Some("https://g/cb".into()),
            ..AuthState::default()
        };
        let encoded = CODEC.encode(&state).unwrap();
        assert_eq!(encoded.version, STATE_VERSION);
        assert_eq!(CODEC.decode::<AuthState>(Some(&encoded)).unwrap(), state);
        let future = ConnectorState {
            version: 99,
            payload: encoded.payload,
        };
        assert!(matches!(
            CODEC.decode::<AuthState>(Some(&future)),
            Err(ConnectorError::InvalidState(_))
        ));
        assert!(CODEC.decode::<AuthState>(None).is_err());
    }
}
