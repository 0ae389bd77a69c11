//! Juspay specifics of the adapter tests: the sandbox's credentials, the adapter pointed
//! at a sandbox on a free port, cards with a holder name, capture decided when the
//! authentication starts, and the payer's way through the ACS page (a GET). The shared
//! helpers (sandbox hooks, test cards, sessions and payments, applying outcomes) come from
//! `payorch_sandbox::testing` and `payorch_connector::testing`, re-exported here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unused_imports
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Deref;
use std::time::Duration;

use payorch_connector::ConnectorError;
pub use payorch_connector::testing::*;
use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use payorch_core::status::Flow;
use payorch_juspay::{JuspayConfig, JuspayConnector};
use payorch_sandbox::SandboxConfig;
pub use payorch_sandbox::testing::cards::*;
pub use payorch_sandbox::testing::{SandboxClient, fields, sandbox_config, wrong};

/// The connector id the sandbox hooks and the records use.
const CONNECTOR: &str = "juspay";

/// The sandbox's default Juspay credentials (`payorch_sandbox::JuspayConfig::default()`).
pub const API_KEY: &str = "payorch_sandbox_juspay_key";
pub const MERCHANT: &str = "payorch";

/// A sandbox (its hooks through `Deref`) and the adapter pointed at it.
pub struct Env {
    pub sandbox: SandboxClient,
    pub jp: JuspayConnector,
}

impl Deref for Env {
    type Target = SandboxClient;

    fn deref(&self) -> &SandboxClient {
        &self.sandbox
    }
}

pub fn adapter_config(addr: SocketAddr) -> JuspayConfig {
    let mut config = JuspayConfig::new(format!("http://{addr}/juspay"), API_KEY, MERCHANT);
    config.timeouts.total = Duration::from_millis(1500);
    config
}

pub async fn env() -> Env {
    env_with(sandbox_config(), |_| {}).await
}

pub async fn env_with(config: SandboxConfig, adjust: impl FnOnce(&mut JuspayConfig)) -> Env {
    let sandbox = SandboxClient::spawn(CONNECTOR, config).await;
    let mut adapter = adapter_config(sandbox.addr);
    adjust(&mut adapter);
    let jp = JuspayConnector::new(adapter).unwrap();
    Env { sandbox, jp }
}

/// A test card with a holder name (Juspay's card transactions carry one).
pub fn card(number: &str) -> Card {
    Card::parse(
        number,
        "12",
        "2031",
        Some("123"),
        Some("Test Payer"),
        2026,
        1,
    )
    .unwrap()
}

pub fn pending_session(id: &str, number: &str, amount: Money) -> AuthenticationSession {
    new_session(CONNECTOR, id, card(number), amount)
}

/// The payment record before authorization.
pub fn pending_payment(id: &str, session: &AuthenticationSession) -> PaymentRecord {
    new_payment(CONNECTOR, id, session)
}

impl Env {
    /// Starts an authentication (capture decided now) and returns the session as payorch
    /// would store it.
    pub async fn start_with(
        &self,
        id: &str,
        number: &str,
        amount: Money,
        preferred_flow: Option<Flow>,
        capture: bool,
    ) -> AuthenticationSession {
        let session = pending_session(id, number, amount);
        start_session(&self.jp, &session, preferred_flow, capture)
            .await
            .unwrap()
    }

    pub async fn start(&self, id: &str, number: &str, amount: Money) -> AuthenticationSession {
        self.start_with(id, number, amount, None, false).await
    }

    /// A seamless session authenticated with the right OTP (which, at Juspay, also
    /// authorized the payment).
    pub async fn authenticated(
        &self,
        id: &str,
        number: &str,
        amount: Money,
        capture: bool,
    ) -> AuthenticationSession {
        let session = self.start_with(id, number, amount, None, capture).await;
        let code = self.otp(otp_reference(&session)).await;
        submit_right_otp(&self.jp, &session, &code).await
    }

    /// The payer's browser on the sandbox ACS page: opens the page the redirect names,
    /// submits `form` there; returns where and what the page posts back.
    pub async fn through_acs(
        &self,
        session: &AuthenticationSession,
        form: &[(&str, &str)],
    ) -> BTreeMap<String, String> {
        let redirect = redirect_of(session);
        assert_eq!(redirect.method, "GET");
        let page = self.open_acs_get(redirect.url).await;
        assert!(page.contains("<form"));
        let answer = self.submit_acs(redirect.url, form).await;
        assert_eq!(answer["action"], RETURN_URL, "back to payorch's callback");
        fields(&answer["fields"])
    }

    /// Authorize as payorch's flow calls it.
    pub async fn authorize(
        &self,
        session: &AuthenticationSession,
        payment_id: &str,
        capture: bool,
    ) -> Result<PaymentRecord, ConnectorError> {
        let payment = pending_payment(payment_id, session);
        authorize_payment(&self.jp, session, payment, capture).await
    }
}
