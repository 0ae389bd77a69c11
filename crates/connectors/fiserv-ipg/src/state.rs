//! What the adapter remembers between calls, carried opaquely in the session or payment as
//! a versioned JSON [`ConnectorState`](payorch_core::session::ConnectorState). Readers
//! accept every version they know; writers always write the current one.

use payorch_connector::ConnectorId;
use payorch_connector::state::StateCodec;
use serde::{Deserialize, Serialize};

/// Version of both layouts below.
pub const STATE_VERSION: u32 = 1;

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
    /// The PAYER_AUTH transaction's `ipgTransactionId`: OTP updates go to it, the sale
    /// names it as proof.
    pub ipg_transaction_id: String,
    /// The order the payer authentication opened; the sale joins it.
    pub order_id: String,
}

/// A secondary transaction (capture or return) on the payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxnRef {
    pub id: String,
    pub amount_minor: i64,
}

/// One payment's provider state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentState {
    /// The SALE or PREAUTH transaction's `ipgTransactionId`.
    pub transaction_id: String,
    pub order_id: String,
    /// Authorized with capture (a sale).
    #[serde(default)]
    pub sale: bool,
    #[serde(default)]
    pub captures: Vec<TxnRef>,
    #[serde(default)]
    pub returns: Vec<TxnRef>,
    #[serde(default)]
    pub void_id: Option<String>,
}

/// This adapter's state, as the current version.
pub const CODEC: StateCodec = StateCodec::new(ConnectorId::FiservIpg, STATE_VERSION);

#[cfg(test)]
mod tests {
    use payorch_connector::ConnectorError;
    use payorch_core::session::ConnectorState;

    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_versions() {
        let state = AuthState {
            flow: Some(AuthFlow::Seamless),
            ipg_transaction_id: "84443535451".into(),
            order_id: "auth_1".into(),
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
        assert!(CODEC.decode::<AuthState>(None).is_err());
    }

    #[test]
    fn payment_state_reads_older_minimal_payloads() {
        let state = ConnectorState {
            version: 1,
            payload: r#"{"transactionId":"8123","orderId":"o"}"#.into(),
        };
        let read: PaymentState = CODEC.decode(Some(&state)).unwrap();
        assert_eq!(read.transaction_id, "8123");
        assert!(read.captures.is_empty() && !read.sale);
    }
}
