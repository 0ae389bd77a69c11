//! Requests adapters receive and outcomes they return: payorch's vocabulary, never a
//! provider's. Provider-specific state travels in `ConnectorState`, opaque to everything
//! but the adapter that wrote it.

use std::collections::BTreeMap;

use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::session::{ConnectorState, NextAction, ProviderStatus};
use payorch_core::status::{
    AuthenticationStatus, FailureReason, Flow, PaymentStatus, Recommendation,
};

/// The payer's browser, as RuPay authentication requires it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Browser {
    pub ip_address: String,
    pub user_agent: String,
    pub accept_header: String,
    pub language: String,
}

/// Is payer authentication available for this card on this route?
#[derive(Debug, Clone)]
pub struct EligibilityRequest<'a> {
    pub card: &'a Card,
    pub amount: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    pub available: bool,
    pub flows: Vec<Flow>,
    pub failure_reason: Option<FailureReason>,
    pub provider_status: Option<ProviderStatus>,
}

impl Eligibility {
    /// Eligibility decided without the provider, from the card's BIN: a RuPay card may
    /// authenticate by the connector's `flows`; any other brand cannot here. For providers
    /// whose only eligibility check would already send the payer an OTP.
    pub fn by_card_brand(card: &Card, flows: &[Flow]) -> Eligibility {
        let rupay = card.brand() == payorch_core::card::CardBrand::RuPay;
        Eligibility {
            available: rupay,
            flows: if rupay { flows.to_vec() } else { Vec::new() },
            failure_reason: (!rupay).then_some(FailureReason::AuthenticationNotAvailable),
            provider_status: None,
        }
    }
}

/// Begin a payer authentication.
#[derive(Debug, Clone)]
pub struct StartAuthentication<'a> {
    /// payorch's authentication id: the provider-side merchant reference.
    pub authentication_id: &'a str,
    pub card: &'a Card,
    pub amount: Money,
    pub browser: &'a Browser,
    /// Where the issuer's page returns the payer's browser (payorch's callback URL).
    pub return_url: &'a str,
    pub order_reference: &'a str,
    pub preferred_flow: Option<Flow>,
    /// Capture at authorization (for providers that decide it up front).
    pub capture: bool,
}

/// What an authentication step produced. `None` fields leave the session's value as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationOutcome {
    pub status: AuthenticationStatus,
    pub flow: Option<Flow>,
    pub next_action: Option<NextAction>,
    pub failure_reason: Option<FailureReason>,
    pub recommendation: Option<Recommendation>,
    pub provider_status: Option<ProviderStatus>,
    pub provider_reference: Option<String>,
    pub attempts_remaining: Option<i32>,
    pub resends_remaining: Option<i32>,
    pub expires_at_ms: Option<i64>,
    pub connector_state: Option<ConnectorState>,
}

impl AuthenticationOutcome {
    /// An outcome that only sets the status; adapters fill in the rest.
    pub fn with_status(status: AuthenticationStatus) -> Self {
        Self {
            status,
            flow: None,
            next_action: None,
            failure_reason: None,
            recommendation: None,
            provider_status: None,
            provider_reference: None,
            attempts_remaining: None,
            resends_remaining: None,
            expires_at_ms: None,
            connector_state: None,
        }
    }
}

/// The payer's browser came back from the issuer with these parameters.
pub type RedirectParams = BTreeMap<String, String>;

/// A value from the browser's return parameters, by any of `names` (case-insensitive:
/// issuers and gateways spell them differently).
pub fn redirect_param<'a>(params: &'a RedirectParams, names: &[&str]) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .map(|(_, v)| v.as_str())
}

/// Authorize (and optionally capture) an authenticated card.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    pub payment_id: &'a str,
    pub amount: Money,
    pub capture: bool,
    pub card: Option<&'a Card>,
    /// The authentication's provider state (transaction ids, CAVV/XID, ...).
    pub authentication_state: Option<&'a ConnectorState>,
    pub authentication_reference: Option<&'a str>,
    pub order_reference: &'a str,
}

/// What a payment operation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOutcome {
    pub status: PaymentStatus,
    /// The amount this operation moved (captured or refunded), when it moved money.
    pub amount: Option<Money>,
    pub approval_code: Option<String>,
    pub network_transaction_id: Option<String>,
    pub failure_reason: Option<FailureReason>,
    pub provider_status: Option<ProviderStatus>,
    pub provider_reference: Option<String>,
    pub connector_state: Option<ConnectorState>,
}

/// The limits a payer agrees to for a RuPay Standing Instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateTerms {
    pub max_amount: Money,
    pub min_amount: Option<Money>,
    /// e.g. `MONTHLY`, `AS_PRESENTED`.
    pub frequency: String,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    pub end_date: Option<String>,
}

/// Register (or modify, or cancel) a Standing Instruction; each is authenticated by OTP.
#[derive(Debug, Clone)]
pub struct MandateRequest<'a> {
    pub mandate_id: &'a str,
    pub card: &'a Card,
    pub terms: &'a MandateTerms,
    pub browser: &'a Browser,
    pub return_url: &'a str,
    /// The provider's agreement id, for modify and cancel.
    pub provider_reference: Option<&'a str>,
}

/// The pre-debit intimation NPCI requires at least 24 hours before each debit.
#[derive(Debug, Clone)]
pub struct MandateDebitNotice<'a> {
    pub mandate_reference: &'a str,
    pub amount: Money,
    /// Unix milliseconds of the announced debit.
    pub debit_at_ms: i64,
}

/// What a mandate operation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateOutcome {
    /// The OTP step registering or changing the mandate, when the provider asks for one.
    pub authentication: Option<AuthenticationOutcome>,
    pub provider_reference: Option<String>,
    pub provider_status: Option<ProviderStatus>,
    pub failure_reason: Option<FailureReason>,
    pub active: bool,
}

#[cfg(test)]
mod redirect_param_tests {
    use super::*;

    #[test]
    fn params_are_found_case_insensitively() {
        let params = RedirectParams::from([("pares".to_owned(), "x".to_owned())]);
        assert_eq!(redirect_param(&params, &["MD", "PaRes"]), Some("x"));
        assert_eq!(redirect_param(&params, &["MD"]), None);
    }
}
