//! What the adapter remembers between calls, carried opaquely in the session or payment as
//! a versioned JSON [`ConnectorState`](payorch_core::session::ConnectorState). Readers
//! accept every version they know; writers always write the current one.

use payorch_connector::ConnectorId;
use payorch_connector::state::StateCodec;
use serde::{Deserialize, Serialize};

/// Version of both layouts below.
pub const STATE_VERSION: u32 = 1;

/// How the payer authenticates at Cybersource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthFlow {
    Seamless,
    Redirect,
}

/// One authentication's provider state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthState {
    pub flow: Option<AuthFlow>,
    /// `authenticationTransactionId` (for redirect it equals the xid).
    pub transaction_id: String,
    /// Seamless: `authenticationTransactionContext`.
    #[serde(default)]
    pub transaction_context: Option<String>,
    #[serde(default)]
    pub xid: Option<String>,
    /// The payer's browser, which validation and authorization send again.
    #[serde(default)]
    pub ip_address: String,
    #[serde(default)]
    pub accept_header: String,
    #[serde(default)]
    pub user_agent: String,
    /// Proof of a successful authentication.
    #[serde(default)]
    pub cavv: Option<String>,
    #[serde(default)]
    pub eci: Option<String>,
    /// The e-commerce indicator (`rpy`).
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub transaction_token: Option<String>,
    /// Cybersource's `token` of the last answer.
    #[serde(default)]
    pub token: Option<String>,
    /// Seamless: how long an OTP stays usable (`validityPeriod`, minutes).
    #[serde(default)]
    pub validity_minutes: Option<i64>,
    /// Ids of the payer authentication answers payorch has read (enrollment, resends,
    /// validations), so Transaction Search results can tell a lost answer from known ones.
    #[serde(default)]
    pub answered: Vec<String>,
    /// A billing agreement's authentication: the agreement's id.
    #[serde(default)]
    pub agreement_id: Option<String>,
    /// The SI registration id (`installmentInformation.identifier`) the debits carry,
    /// returned once the registration is authenticated.
    #[serde(default)]
    pub installment_identifier: Option<String>,
}

/// How many answer ids [`AuthState::answered`] keeps.
const ANSWERED_KEPT: usize = 32;

impl AuthState {
    /// Remembers that payorch read the answer with this id.
    pub fn remember(&mut self, id: Option<&str>) {
        if let Some(id) = id
            && !self.answered.iter().any(|a| a == id)
        {
            self.answered.push(id.to_owned());
            if self.answered.len() > ANSWERED_KEPT {
                self.answered.remove(0);
            }
        }
    }
}

/// A capture, so refunds can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRef {
    pub id: String,
    pub amount_minor: i64,
    #[serde(default)]
    pub refunded_minor: i64,
}

/// One payment's provider state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentState {
    /// The authorization's id (`/pts/v2/payments/{id}`).
    pub authorization_id: String,
    /// Authorized with `capture=true` (a sale).
    #[serde(default)]
    pub sale: bool,
    #[serde(default)]
    pub captures: Vec<CaptureRef>,
    #[serde(default)]
    pub refund_ids: Vec<String>,
    #[serde(default)]
    pub reversal_id: Option<String>,
}

/// This adapter's state, as the current version.
pub const CODEC: StateCodec = StateCodec::new(ConnectorId::Cybersource, STATE_VERSION);

#[cfg(test)]
mod tests {
    use payorch_connector::ConnectorError;
    use payorch_core::session::ConnectorState;

    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_versions() {
        let state = AuthState {
            flow: Some(AuthFlow::Seamless),
            transaction_id: "t".into(),
            transaction_context: Some("c".into()),
            ip_address: "10.0.0.1".into(),
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
