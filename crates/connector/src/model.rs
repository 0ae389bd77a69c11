//! Requests adapters receive and outcomes they return: payorch's vocabulary, never a
//! provider's. Provider-specific state travels in `ConnectorState`, opaque to everything
//! but the adapter that wrote it.

use std::collections::BTreeMap;

use payorch_core::card::Card;
use payorch_core::mandate::Terms;
use payorch_core::mandate_record::{AlertPreference, MandateReference};
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

/// Which Standing Instruction operation the payer authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateAction {
    Register,
    Modify,
    Cancel,
}

/// Register, modify or cancel a RuPay Standing Instruction: each is an operation the payer
/// authenticates by OTP, answered like [`Authenticator::start_authentication`]
/// (`crate::Authenticator`) and completed with the same OTP, resend and redirect calls.
#[derive(Debug, Clone)]
pub struct MandateAuthentication<'a> {
    pub action: MandateAction,
    /// payorch's authentication id: the provider-side merchant reference.
    pub authentication_id: &'a str,
    pub mandate_id: &'a str,
    pub card: &'a Card,
    /// The terms registered, or requested (modification), or in force (cancellation).
    pub terms: &'a Terms,
    pub alert_preference: AlertPreference,
    /// The amount the payer sees in the authentication.
    pub amount: Money,
    pub browser: &'a Browser,
    /// Where the issuer's page returns the payer's browser (payorch's callback URL).
    pub return_url: &'a str,
    /// The registration being modified or cancelled; `None` when registering.
    pub reference: Option<&'a MandateReference>,
    pub customer_email: &'a str,
    pub customer_phone: &'a str,
}

/// The pre-debit intimation RuPay requires before each debit.
#[derive(Debug, Clone)]
pub struct MandateDebitNotice<'a> {
    pub notice_id: &'a str,
    pub reference: &'a MandateReference,
    pub card: &'a Card,
    pub terms: &'a Terms,
    pub alert_preference: AlertPreference,
    pub amount: Money,
    /// Unix milliseconds of the announced debit.
    pub debit_at_ms: i64,
    /// The debit's number within the mandate, from 1.
    pub sequence: u32,
}

/// What the provider said to an intimation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeOutcome {
    /// Accepted: the payer and the issuer were told.
    pub accepted: bool,
    pub provider_reference: Option<String>,
    pub provider_status: Option<ProviderStatus>,
    pub failure_reason: Option<FailureReason>,
}

/// A merchant-initiated debit under a Standing Instruction (payer not present, no
/// authentication).
#[derive(Debug, Clone)]
pub struct MandateCharge<'a> {
    pub payment_id: &'a str,
    pub reference: &'a MandateReference,
    pub card: &'a Card,
    pub amount: Money,
    pub capture: bool,
    pub order_reference: &'a str,
    pub sequence: u32,
    pub terms: &'a Terms,
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
