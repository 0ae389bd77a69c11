//! What an adapter can do and what its provider needs, so flows can refuse early and
//! precisely: before any record is written or any provider is called.

use payorch_core::card::{Card, CardBrand};
use payorch_core::status::Flow;

use crate::model::Browser;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Payer-authentication flows the provider offers for RuPay.
    pub flows: Vec<Flow>,
    pub resend_otp: bool,
    pub network_tokens: bool,
    /// The provider authenticates and authorizes in one transaction (Juspay): `authorize`
    /// confirms that transaction instead of creating a new one.
    pub authorizes_during_authentication: bool,
    /// The card brands the provider authenticates payers of.
    pub card_brands: Vec<CardBrand>,
    /// StartAuthentication fields the provider requires although the API leaves them
    /// optional.
    pub requires: Vec<RequestField>,
    /// Whether the provider takes an IPv6 payer address (MPGS does not: seed 001).
    pub ipv6_payer_address: bool,
    /// RuPay Standing Instructions (MandateService) through this provider.
    pub standing_instructions: bool,
    /// The provider wants the card on every Standing Instruction message (modification,
    /// cancellation, intimation, debit), so the caller sends it each time.
    pub mandate_messages_need_card: bool,
}

/// An optional field of StartAuthentication that some provider requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestField {
    BrowserAcceptHeader,
    BrowserLanguage,
    /// The card's CVV (not asked of network tokens, which carry a cryptogram instead).
    CardCvv,
}

impl RequestField {
    /// The field's path in the API, as `BadRequest` names it.
    pub fn path(self) -> &'static str {
        match self {
            RequestField::BrowserAcceptHeader => "browser.accept_header",
            RequestField::BrowserLanguage => "browser.language",
            RequestField::CardCvv => "payment_method.card.cvv",
        }
    }

    fn present(self, card: &Card, browser: &Browser) -> bool {
        match self {
            RequestField::BrowserAcceptHeader => !browser.accept_header.is_empty(),
            RequestField::BrowserLanguage => !browser.language.is_empty(),
            RequestField::CardCvv => card.is_network_token() || card.cvv.is_some(),
        }
    }
}

impl Capabilities {
    /// Every field of a StartAuthentication this provider would refuse, as (API path,
    /// why): empty when the request can be sent.
    pub fn refusals(&self, card: &Card, browser: &Browser) -> Vec<(&'static str, &'static str)> {
        let mut refused: Vec<(&'static str, &'static str)> = self
            .requires
            .iter()
            .filter(|field| !field.present(card, browser))
            .map(|field| (field.path(), "required by the connector's provider"))
            .collect();
        let ipv6 = browser
            .ip_address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_ipv6());
        if ipv6 && !self.ipv6_payer_address {
            refused.push((
                "browser.ip_address",
                "the connector's provider takes only IPv4 payer addresses",
            ));
        }
        refused
    }

    /// Whether the provider authenticates payers of this card's brand.
    pub fn authenticates(&self, card: &Card) -> bool {
        self.card_brands.contains(&card.brand())
    }
}
