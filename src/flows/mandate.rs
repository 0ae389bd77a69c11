//! RuPay Standing Instructions (MandateService): what is decided before any provider call.
//! The lifecycle itself (registration, notices, debits) is issue #15's remaining work.

use payorch_core::card::{Card, CardBrand};
use payorch_router::Route;

use crate::flows::Flows;
use crate::flows::error::{ErrorKind, FlowError};

impl Flows {
    /// The connector a new mandate would be registered with: the route for the merchant (or
    /// the pinned connector), which must take Standing Instructions, for a RuPay card.
    pub fn mandate_route(
        &self,
        merchant_id: &str,
        pinned: &str,
        card: &Card,
    ) -> Result<Route, FlowError> {
        let takes = |id: &payorch_connector::ConnectorId| {
            self.router
                .adapter(id.as_str())
                .is_ok_and(|a| a.capabilities().standing_instructions)
        };
        // Not pinned: the merchant's first connector that takes mandates.
        let preferred = if pinned.is_empty() {
            self.router
                .connectors_of(merchant_id)
                .iter()
                .find(|id| takes(id))
                .map(|id| id.as_str())
                .unwrap_or_default()
        } else {
            pinned
        };
        let route = self.route(merchant_id, preferred)?;
        if !route.connector.capabilities().standing_instructions {
            let able: Vec<&str> = self
                .router
                .connectors_of(merchant_id)
                .iter()
                .filter(|id| takes(id))
                .map(|id| id.as_str())
                .collect();
            return Err(FlowError::new(
                ErrorKind::FailedPrecondition,
                "MANDATES_NOT_SUPPORTED",
                format!(
                    "connector {} does not take RuPay Standing Instructions; this merchant's \
                     connectors that do: {}",
                    route.id.as_str(),
                    if able.is_empty() {
                        "none".to_owned()
                    } else {
                        able.join(", ")
                    }
                ),
            ));
        }
        if card.brand() != CardBrand::RuPay {
            return Err(FlowError::new(
                ErrorKind::FailedPrecondition,
                "CARD_NOT_RUPAY",
                "Standing Instructions here are RuPay's: the card is not a RuPay card",
            ));
        }
        Ok(route)
    }
}
