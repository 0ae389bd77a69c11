//! Fiserv IPG specifics of the adapter tests: the sandbox's credentials, the adapter
//! pointed at a sandbox on a free port, and the payer's way through IPG's ACS page. The
//! shared helpers (sandbox hooks, test cards, sessions and payments, applying outcomes)
//! come from `payorch_sandbox::testing` and `payorch_connector::testing`, re-exported here.

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

pub use payorch_connector::testing::*;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use payorch_fiserv_ipg::{FiservIpgConfig, FiservIpgConnector};
use payorch_sandbox::SandboxConfig;
pub use payorch_sandbox::testing::cards::*;
pub use payorch_sandbox::testing::{SandboxClient, fields, sandbox_config, wrong};

/// The connector id the sandbox hooks and the records use.
const CONNECTOR: &str = "fiserv-ipg";

/// The sandbox's default Fiserv IPG credentials.
pub const API_KEY: &str = "payorch-sandbox-fiserv-key";
pub const API_SECRET: &str = "payorch-sandbox-fiserv-secret";

/// A sandbox (its hooks through `Deref`) and the adapter pointed at it.
pub struct Env {
    pub sandbox: SandboxClient,
    pub ipg: FiservIpgConnector,
}

impl Deref for Env {
    type Target = SandboxClient;

    fn deref(&self) -> &SandboxClient {
        &self.sandbox
    }
}

pub fn adapter_config(addr: SocketAddr) -> FiservIpgConfig {
    let mut config = FiservIpgConfig::new(format!("http://{addr}/fiserv-ipg"), API_KEY, API_SECRET);
    config.timeouts.total = Duration::from_millis(1500);
    config
}

pub async fn env() -> Env {
    env_with(sandbox_config()).await
}

pub async fn env_with(config: SandboxConfig) -> Env {
    let sandbox = SandboxClient::spawn(CONNECTOR, config).await;
    let ipg = FiservIpgConnector::new(adapter_config(sandbox.addr)).unwrap();
    Env { sandbox, ipg }
}

pub fn pending_session(id: &str, number: &str, amount: Money) -> AuthenticationSession {
    new_session(CONNECTOR, id, card(number), amount)
}

/// The payment record before authorization.
pub fn pending_payment(id: &str, session: &AuthenticationSession) -> PaymentRecord {
    new_payment(CONNECTOR, id, session)
}

impl Env {
    /// Starts an authentication and returns the session as payorch would store it.
    pub async fn start(&self, id: &str, number: &str, amount: Money) -> AuthenticationSession {
        let session = pending_session(id, number, amount);
        start_session(&self.ipg, &session, None, false)
            .await
            .unwrap()
    }

    /// A seamless session authenticated with the right OTP.
    pub async fn authenticated(
        &self,
        id: &str,
        number: &str,
        amount: Money,
    ) -> AuthenticationSession {
        let session = self.start(id, number, amount).await;
        let code = self.otp(otp_reference(&session)).await;
        submit_right_otp(&self.ipg, &session, &code).await
    }

    /// The payer's browser: POSTs to the ACS as the redirect form says, then submits
    /// `form` there; returns what the ACS posts back to termURL.
    pub async fn through_acs(
        &self,
        session: &AuthenticationSession,
        form: &[(&str, &str)],
    ) -> BTreeMap<String, String> {
        let redirect = redirect_of(session);
        assert_eq!(redirect.method, "POST");
        assert!(redirect.html.contains("submit()"), "{}", redirect.html);
        self.open_acs_post(redirect.url, redirect.form_fields).await;
        let answer = self.submit_acs(redirect.url, form).await;
        assert_eq!(answer["action"], RETURN_URL);
        fields(&answer["fields"])
    }
}
