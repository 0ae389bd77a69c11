//! Choosing the connector for a call, and finding the adapter a stored record continues
//! with. For now a merchant's route is its configured connectors in order of preference, or
//! the one the caller pinned; rules (brand, BIN range, amount), weights, health and failover
//! arrive with the routing issue, behind the same [`Router::route`].

use std::collections::HashMap;
use std::sync::Arc;

use payorch_connector::{Connector, ConnectorId};

/// Why no connector can serve a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("connector {0:?} is not enabled for this merchant")]
    PinnedNotEnabled(String),
    #[error("the merchant has no connector enabled")]
    NoConnector,
    /// A merchant is routed to (or a record was made on) a connector this deployment has
    /// no adapter for.
    #[error("connector {0:?} is not configured in this deployment")]
    NotConfigured(String),
}

/// The route of a new call: the connector chosen and its adapter.
pub struct Route<A: ?Sized = dyn Connector> {
    pub id: ConnectorId,
    pub connector: Arc<A>,
}

impl<A: ?Sized> Clone for Route<A> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            connector: self.connector.clone(),
        }
    }
}

/// Every merchant's connectors (most preferred first) and the adapters this process runs.
/// Generic over what an adapter is, because choosing does not depend on it: production
/// routes to `dyn Connector`.
pub struct Router<A: ?Sized = dyn Connector> {
    merchants: HashMap<String, Vec<ConnectorId>>,
    adapters: HashMap<ConnectorId, Arc<A>>,
}

impl<A: ?Sized> Router<A> {
    pub fn new(
        merchants: impl IntoIterator<Item = (String, Vec<ConnectorId>)>,
        adapters: impl IntoIterator<Item = (ConnectorId, Arc<A>)>,
    ) -> Self {
        Self {
            merchants: merchants.into_iter().collect(),
            adapters: adapters.into_iter().collect(),
        }
    }

    /// The merchant's connectors, most preferred first.
    pub fn connectors_of(&self, merchant_id: &str) -> &[ConnectorId] {
        self.merchants.get(merchant_id).map_or(&[], Vec::as_slice)
    }

    /// The route for a merchant's new call: the pinned connector if the merchant has it
    /// (an empty pin is no pin), else its first preference.
    pub fn route(&self, merchant_id: &str, pinned: &str) -> Result<Route<A>, RouteError> {
        let enabled = self.connectors_of(merchant_id);
        let id = if pinned.is_empty() {
            *enabled.first().ok_or(RouteError::NoConnector)?
        } else {
            *enabled
                .iter()
                .find(|c| c.as_str() == pinned)
                .ok_or_else(|| RouteError::PinnedNotEnabled(pinned.to_owned()))?
        };
        Ok(Route {
            id,
            connector: self.adapter(id.as_str())?,
        })
    }

    /// The adapter a stored record (which names its connector) continues with.
    pub fn adapter(&self, connector: &str) -> Result<Arc<A>, RouteError> {
        ConnectorId::parse(connector)
            .and_then(|id| self.adapters.get(&id))
            .cloned()
            .ok_or_else(|| RouteError::NotConfigured(connector.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Adapters stood for by their names: choosing never looks inside one.
    fn router(adapters: &[ConnectorId]) -> Router<str> {
        Router::new(
            [
                (
                    "demo".to_owned(),
                    vec![ConnectorId::Cybersource, ConnectorId::Mpgs],
                ),
                ("empty".to_owned(), vec![]),
            ],
            adapters.iter().map(|id| (*id, Arc::from(id.as_str()))),
        )
    }

    #[test]
    fn unpinned_call_takes_the_first_preference() {
        let r = router(&ConnectorId::ALL);
        assert_eq!(r.route("demo", "").unwrap().id, ConnectorId::Cybersource);
    }

    #[test]
    fn pinned_call_takes_the_pinned_connector() {
        let r = router(&ConnectorId::ALL);
        let route = r.route("demo", "mpgs").unwrap();
        assert_eq!(route.id, ConnectorId::Mpgs);
        assert_eq!(&*route.connector, "mpgs");
    }

    #[test]
    fn pinned_connector_must_be_enabled() {
        let r = router(&ConnectorId::ALL);
        assert_eq!(
            r.route("demo", "juspay").err(),
            Some(RouteError::PinnedNotEnabled("juspay".into()))
        );
    }

    #[test]
    fn merchant_without_connectors_has_no_route() {
        let r = router(&ConnectorId::ALL);
        assert_eq!(r.route("empty", "").err(), Some(RouteError::NoConnector));
        assert_eq!(r.route("nobody", "").err(), Some(RouteError::NoConnector));
    }

    #[test]
    fn a_connector_without_an_adapter_is_not_configured() {
        let r = router(&[ConnectorId::Mpgs]);
        assert_eq!(
            r.route("demo", "").err(),
            Some(RouteError::NotConfigured("cybersource".into()))
        );
        assert!(r.adapter("mpgs").is_ok());
        assert_eq!(
            r.adapter("stripe").err(),
            Some(RouteError::NotConfigured("stripe".into()))
        );
    }
}
