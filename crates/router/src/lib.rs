//! Choosing the connector for a call. For now: the merchant's configured connectors in
//! order of preference, or the one the caller pinned. Rules (brand, BIN range, amount),
//! weights, health and failover arrive with the routing issue.

/// Why no connector can serve a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("connector {0:?} is not enabled for this merchant")]
    PinnedNotEnabled(String),
    #[error("the merchant has no connector enabled")]
    NoConnector,
}

/// The connectors one merchant may use, most preferred first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRoutes {
    pub connectors: Vec<String>,
}

impl MerchantRoutes {
    /// The connector for a call: the pinned one if the merchant has it, else the first.
    pub fn choose(&self, pinned: Option<&str>) -> Result<&str, RouteError> {
        match pinned.filter(|p| !p.is_empty()) {
            Some(wanted) => self
                .connectors
                .iter()
                .find(|c| c.as_str() == wanted)
                .map(String::as_str)
                .ok_or_else(|| RouteError::PinnedNotEnabled(wanted.to_owned())),
            None => self
                .connectors
                .first()
                .map(String::as_str)
                .ok_or(RouteError::NoConnector),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> MerchantRoutes {
        MerchantRoutes {
            connectors: vec!["cybersource".into(), "mpgs".into()],
        }
    }

    #[test]
    fn unpinned_call_takes_the_first_preference() {
        assert_eq!(routes().choose(None), Ok("cybersource"));
        assert_eq!(routes().choose(Some("")), Ok("cybersource"));
    }

    #[test]
    fn pinned_call_takes_the_pinned_connector() {
        assert_eq!(routes().choose(Some("mpgs")), Ok("mpgs"));
    }

    #[test]
    fn pinned_connector_must_be_enabled() {
        assert_eq!(
            routes().choose(Some("juspay")),
            Err(RouteError::PinnedNotEnabled("juspay".into()))
        );
    }

    #[test]
    fn merchant_without_connectors_has_no_route() {
        let empty = MerchantRoutes { connectors: vec![] };
        assert_eq!(empty.choose(None), Err(RouteError::NoConnector));
    }
}
