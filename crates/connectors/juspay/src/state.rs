//! What the adapter remembers between calls, carried opaquely in the session or payment as
//! a versioned JSON [`ConnectorState`](payorch_core::session::ConnectorState). Readers
//! accept every version they know; writers always write the current one.

use payorch_connector::ConnectorId;
use payorch_connector::state::StateCodec;
use serde::{Deserialize, Serialize};

/// Version of both layouts below.
pub const STATE_VERSION: u32 = 1;

/// How the payer authenticates this transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthFlow {
    /// Direct OTP: payorch submits the OTP to `/v2/txns/{txn_uuid}/authenticate`.
    Seamless,
    /// The 3DS page Juspay sent the payer to.
    Redirect,
}

/// One authentication's provider state. Juspay authenticates and authorizes in one
/// transaction, so this is also everything the authorization needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthState {
    /// The merchant order id payorch created (derived from the authentication id).
    pub order_id: String,
    /// The payment attempt (`txn_uuid`): the OTP, capture and void calls name it.
    pub txn_uuid: String,
    #[serde(default)]
    pub txn_id: Option<String>,
    pub flow: AuthFlow,
    /// Direct OTP's `challenge_id` (the same across resends).
    #[serde(default)]
    pub challenge_id: Option<String>,
    /// Whether the order was created to capture at once (CHARGED) or to stop at
    /// AUTHORIZED: decided at the start, before the payer authenticated.
    pub auto_capture: bool,
}

/// One payment's provider state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    pub order_id: String,
    pub txn_uuid: String,
    pub auto_capture: bool,
}

/// This adapter's state, as the current version.
pub const CODEC: StateCodec = StateCodec::new(ConnectorId::Juspay, STATE_VERSION);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use payorch_connector::ConnectorError;
    use payorch_core::session::ConnectorState;

    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_versions() {
        let state = AuthState {
            order_id: "auth_1".into(),
            txn_uuid: "eulabc".into(),
            txn_id: None,
            flow: AuthFlow::Seamless,
            challenge_id: Some("ch_1".into()),
            auto_capture: false,
        };
        let encoded = CODEC.encode(&state).unwrap();
        assert_eq!(encoded.version, STATE_VERSION);
        assert_eq!(CODEC.decode::<AuthState>(Some(&encoded)).unwrap(), state);
        let future = ConnectorState {
            version: 2,
            payload: encoded.payload,
        };
        assert!(matches!(
            CODEC.decode::<AuthState>(Some(&future)),
            Err(ConnectorError::InvalidState(_))
        ));
        assert!(CODEC.decode::<PaymentState>(None).is_err());
    }
}
