//! Connector ids: how callers and configuration name a provider.

use std::fmt;

/// A payment provider payorch can route to, by the id callers and configuration use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConnectorId {
    Mpgs,
    FiservIpg,
    Juspay,
    Cybersource,
}

impl ConnectorId {
    pub const ALL: [ConnectorId; 4] = [
        ConnectorId::Mpgs,
        ConnectorId::FiservIpg,
        ConnectorId::Juspay,
        ConnectorId::Cybersource,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorId::Mpgs => "mpgs",
            ConnectorId::FiservIpg => "fiserv-ipg",
            ConnectorId::Juspay => "juspay",
            ConnectorId::Cybersource => "cybersource",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == id)
    }
}

impl fmt::Display for ConnectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for id in ConnectorId::ALL {
            assert_eq!(ConnectorId::parse(id.as_str()), Some(id));
        }
    }

    #[test]
    fn unknown_id_is_refused() {
        assert_eq!(ConnectorId::parse("stripe"), None);
        assert_eq!(ConnectorId::parse("Cybersource"), None);
    }
}
