//! The stored form of a session, shared by every store so they behave identically:
//! a versioned JSON document without card data, plus the card sealed on its own.

use payorch_core::mandate_record::MandateRecord;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::{AuthenticationSession, SESSION_SCHEMA_VERSION};
use payorch_core::status::AuthenticationStatus;
use serde::{Deserialize, Serialize};

use crate::cipher::CardCipher;
use crate::error::StoreError;

/// A session as it lies in a store.
#[derive(Debug, Clone)]
pub struct EncodedSession {
    pub version: u64,
    pub document: String,
    pub sealed_card: Option<String>,
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    schema: u32,
    session: &'a AuthenticationSession,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    schema: u32,
    session: AuthenticationSession,
}

pub fn encode(
    cipher: &CardCipher,
    session: &AuthenticationSession,
) -> Result<EncodedSession, StoreError> {
    let document = serde_json::to_string(&EnvelopeOut {
        schema: SESSION_SCHEMA_VERSION,
        session,
    })
    .map_err(|e| StoreError::Corrupt(format!("encode session: {e}")))?;
    let sealed_card = match &session.card {
        Some(card) if keeps_card(session) => Some(cipher.seal(&session.id, card)?),
        _ => None,
    };
    Ok(EncodedSession {
        version: session.version,
        document,
        sealed_card,
    })
}

/// Card data is kept while the flow may still need it: until a terminal state, and after a
/// successful authentication until the authorization has used it (then `release_card`).
pub fn keeps_card(session: &AuthenticationSession) -> bool {
    !session.is_terminal() || session.status == AuthenticationStatus::Succeeded
}

pub fn decode(
    cipher: &CardCipher,
    version: u64,
    document: &str,
    sealed_card: Option<&str>,
) -> Result<AuthenticationSession, StoreError> {
    let envelope: EnvelopeIn = serde_json::from_str(document).map_err(|e| {
        StoreError::Corrupt(format!(
            "decode session (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if envelope.schema != SESSION_SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "session schema {} is not {SESSION_SCHEMA_VERSION}",
            envelope.schema
        )));
    }
    let mut session = envelope.session;
    session.version = version;
    session.card = match sealed_card {
        Some(sealed) => Some(cipher.open(&session.id, sealed)?),
        None => None,
    };
    Ok(session)
}

#[derive(Serialize)]
struct PaymentOut<'a> {
    schema: u32,
    payment: &'a PaymentRecord,
}

#[derive(Deserialize)]
struct PaymentIn {
    schema: u32,
    payment: PaymentRecord,
}

/// A payment's stored document (payments hold no card data).
pub fn encode_payment(payment: &PaymentRecord) -> Result<String, StoreError> {
    serde_json::to_string(&PaymentOut {
        schema: SESSION_SCHEMA_VERSION,
        payment,
    })
    .map_err(|e| StoreError::Corrupt(format!("encode payment: {e}")))
}

pub fn decode_payment(version: u64, document: &str) -> Result<PaymentRecord, StoreError> {
    let envelope: PaymentIn = serde_json::from_str(document).map_err(|e| {
        StoreError::Corrupt(format!(
            "decode payment (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if envelope.schema != SESSION_SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "payment schema {} is not {SESSION_SCHEMA_VERSION}",
            envelope.schema
        )));
    }
    let mut payment = envelope.payment;
    payment.version = version;
    Ok(payment)
}

#[derive(Serialize)]
struct MandateOut<'a> {
    schema: u32,
    mandate: &'a MandateRecord,
}

#[derive(Deserialize)]
struct MandateIn {
    schema: u32,
    mandate: MandateRecord,
}

/// A mandate's stored document (mandates hold no card data).
pub fn encode_mandate(mandate: &MandateRecord) -> Result<String, StoreError> {
    serde_json::to_string(&MandateOut {
        schema: SESSION_SCHEMA_VERSION,
        mandate,
    })
    .map_err(|e| StoreError::Corrupt(format!("encode mandate: {e}")))
}

pub fn decode_mandate(version: u64, document: &str) -> Result<MandateRecord, StoreError> {
    let envelope: MandateIn = serde_json::from_str(document).map_err(|e| {
        StoreError::Corrupt(format!(
            "decode mandate (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if envelope.schema != SESSION_SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "mandate schema {} is not {SESSION_SCHEMA_VERSION}",
            envelope.schema
        )));
    }
    let mut mandate = envelope.mandate;
    mandate.version = version;
    Ok(mandate)
}
