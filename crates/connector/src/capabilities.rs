//! What an adapter can do, so routing and handlers can refuse early and precisely.

use payorch_core::status::Flow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Payer-authentication flows the provider offers for RuPay.
    pub flows: Vec<Flow>,
    pub resend_otp: bool,
    pub partial_capture: bool,
    pub partial_refund: bool,
    pub void: bool,
    pub network_tokens: bool,
    pub mandates: bool,
    /// The provider authenticates and authorizes in one transaction (Juspay): `authorize`
    /// confirms that transaction instead of creating a new one.
    pub authorizes_during_authentication: bool,
}
