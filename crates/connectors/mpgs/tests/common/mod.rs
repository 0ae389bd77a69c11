//! MPGS specifics of the adapter tests: the sandbox's merchant and password, the adapter
//! pointed at a sandbox on a free port, network tokens, and the payer's way through the
//! ACS and back through the gateway. The shared helpers (sandbox hooks, test cards,
//! sessions and payments, applying outcomes) come from `payorch_sandbox::testing` and
//! `payorch_connector::testing`, re-exported here.

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
use payorch_mpgs::{MpgsConfig, MpgsConnector};
use payorch_sandbox::SandboxConfig;
pub use payorch_sandbox::testing::cards::*;
pub use payorch_sandbox::testing::{SandboxClient, fields, sandbox_config, wrong};

/// The connector id the sandbox hooks and the records use.
const CONNECTOR: &str = "mpgs";

/// The sandbox's default MPGS merchant and API password (`SandboxConfig::default().mpgs`).
pub const MERCHANT: &str = "TESTPAYORCH";
pub const PASSWORD: &str = "payorch-sandbox-mpgs-password";

pub const CRYPTOGRAM: &str = "APJUR+bB46ysAAKYEAOYGgADFA==";

/// A sandbox (its hooks through `Deref`) and the adapter pointed at it.
pub struct Env {
    pub sandbox: SandboxClient,
    pub mpgs: MpgsConnector,
}

impl Deref for Env {
    type Target = SandboxClient;

    fn deref(&self) -> &SandboxClient {
        &self.sandbox
    }
}

pub fn adapter_config(addr: SocketAddr) -> MpgsConfig {
    let mut config = MpgsConfig::new(format!("http://{addr}/mpgs"), MERCHANT, PASSWORD);
    config.timeouts.total = Duration::from_millis(1500);
    config
}

pub async fn env() -> Env {
    env_with(sandbox_config()).await
}

pub async fn env_with(config: SandboxConfig) -> Env {
    env_with_adapter(config, |_| {}).await
}

pub async fn env_with_adapter(config: SandboxConfig, tweak: impl FnOnce(&mut MpgsConfig)) -> Env {
    let sandbox = SandboxClient::spawn(CONNECTOR, config).await;
    let mut adapter = adapter_config(sandbox.addr);
    tweak(&mut adapter);
    Env {
        sandbox,
        mpgs: MpgsConnector::new(adapter).unwrap(),
    }
}

pub fn network_token(number: &str) -> Card {
    Card::parse(number, "08", "2031", None, None, 2026, 1)
        .unwrap()
        .into_network_token(CRYPTOGRAM.into())
}

pub fn pending_session(id: &str, card: Card, amount: Money) -> AuthenticationSession {
    new_session(CONNECTOR, id, card, amount)
}

/// The payment record before authorization.
pub fn pending_payment(id: &str, session: &AuthenticationSession) -> PaymentRecord {
    new_payment(CONNECTOR, id, session)
}

impl Env {
    pub async fn try_start_card(
        &self,
        id: &str,
        card: Card,
        amount: Money,
    ) -> Result<AuthenticationSession, ConnectorError> {
        let session = pending_session(id, card, amount);
        start_session(&self.mpgs, &session, None, false).await
    }

    /// Starts an authentication and returns the session as payorch would store it.
    pub async fn start(&self, id: &str, number: &str, amount: Money) -> AuthenticationSession {
        self.try_start_card(id, card(number), amount).await.unwrap()
    }

    /// A seamless session authenticated with the right OTP.
    pub async fn authenticated_card(
        &self,
        id: &str,
        card: Card,
        amount: Money,
    ) -> AuthenticationSession {
        let session = self.try_start_card(id, card, amount).await.unwrap();
        let code = self.otp(otp_reference(&session)).await;
        submit_right_otp(&self.mpgs, &session, &code).await
    }

    pub async fn authenticated(
        &self,
        id: &str,
        number: &str,
        amount: Money,
    ) -> AuthenticationSession {
        self.authenticated_card(id, card(number), amount).await
    }

    /// The payer's browser: posts the redirect form to the ACS, submits `form` there, then
    /// follows the ACS's post back through the gateway; returns what the gateway posts to
    /// payorch's return URL.
    pub async fn through_acs(
        &self,
        session: &AuthenticationSession,
        form: &[(&str, &str)],
    ) -> BTreeMap<String, String> {
        let redirect = redirect_of(session);
        let url = redirect.url;
        assert_eq!(redirect.method, "POST");
        let html = redirect.html;
        assert!(html.contains(&format!("action=\"{url}\"")), "{html}");
        assert!(html.contains("submit()"));
        self.open_acs_post(url, redirect.form_fields).await;
        let acs = self.submit_acs(url, form).await;
        assert_eq!(
            acs["action"],
            redirect.form_fields["AccuReturnURL"].as_str()
        );
        let back: Vec<(String, String)> = fields(&acs["fields"]).into_iter().collect();
        let gateway = self.post_form(acs["action"].as_str().unwrap(), &back).await;
        assert_eq!(gateway["action"], RETURN_URL);
        fields(&gateway["fields"])
    }

    pub async fn authorize(
        &self,
        session: &AuthenticationSession,
        payment_id: &str,
        capture: bool,
    ) -> Result<PaymentRecord, ConnectorError> {
        let payment = pending_payment(payment_id, session);
        authorize_payment(&self.mpgs, session, payment, capture).await
    }
}
