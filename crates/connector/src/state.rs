//! The versioned JSON an adapter keeps in a record's [`ConnectorState`] between calls. Each
//! adapter names its codec once (`StateCodec::new(ConnectorId::Juspay, 1)`); writers always
//! write that version, readers refuse a version this build does not know instead of guessing.

use payorch_core::session::ConnectorState;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ConnectorError;
use crate::id::ConnectorId;

#[derive(Debug, Clone, Copy)]
pub struct StateCodec {
    connector: ConnectorId,
    version: u32,
}

impl StateCodec {
    pub const fn new(connector: ConnectorId, version: u32) -> Self {
        Self { connector, version }
    }

    /// The version this adapter writes.
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// Serializes `state` as the current version.
    pub fn encode<T: Serialize>(&self, state: &T) -> Result<ConnectorState, ConnectorError> {
        let payload = serde_json::to_string(state).map_err(|e| {
            ConnectorError::InvalidState(format!("{} state not serializable: {e}", self.connector))
        })?;
        Ok(ConnectorState {
            version: self.version,
            payload,
        })
    }

    /// Reads a state this adapter wrote (`None`: the record carries none).
    pub fn decode<T: DeserializeOwned>(
        &self,
        state: Option<&ConnectorState>,
    ) -> Result<T, ConnectorError> {
        let connector = self.connector;
        let state = state.ok_or_else(|| {
            ConnectorError::InvalidState(format!("no {connector} state on this record"))
        })?;
        if state.version != self.version {
            return Err(ConnectorError::InvalidState(format!(
                "{connector} state version {} is not one this build understands",
                state.version
            )));
        }
        // The position only: the payload may hold references that are not for logs.
        serde_json::from_str(&state.payload).map_err(|e| {
            ConnectorError::InvalidState(format!(
                "unreadable {connector} state (line {}, column {})",
                e.line(),
                e.column()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Example {
        reference: String,
    }

    const CODEC: StateCodec = StateCodec::new(ConnectorId::Juspay, 1);

    #[test]
    fn round_trips_and_refuses_what_it_did_not_write() {
        let state = Example {
            reference: "eulabc".into(),
        };
        let encoded = CODEC.encode(&state).unwrap();
        assert_eq!(encoded.version, 1);
        assert_eq!(CODEC.decode::<Example>(Some(&encoded)).unwrap(), state);
        let future = ConnectorState {
            version: 2,
            payload: encoded.payload.clone(),
        };
        assert!(matches!(
            CODEC.decode::<Example>(Some(&future)),
            Err(ConnectorError::InvalidState(m)) if m.contains("version 2")
        ));
        let broken = ConnectorState {
            version: 1,
            payload: "{\"reference\":".into(),
        };
        assert!(CODEC.decode::<Example>(Some(&broken)).is_err());
        assert!(CODEC.decode::<Example>(None).is_err());
    }
}
