//! Cybersource specifics of the adapter tests: the sandbox's credentials, the adapter
//! pointed at a sandbox on a free port, and the payer's way through the ACS page. The
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
use payorch_cybersource::{CybersourceConfig, CybersourceConnector};
use payorch_sandbox::SandboxConfig;
pub use payorch_sandbox::testing::cards::*;
pub use payorch_sandbox::testing::{SandboxClient, fields, sandbox_config, wrong};

/// The connector id the sandbox hooks and the records use.
const CONNECTOR: &str = "cybersource";

pub const MERCHANT: &str = "testrest";
pub const KEY_ID: &str = "08c94330-f618-42a3-b09d-e1e43be5efda";
pub const SECRET: &str = "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=";

/// A sandbox (its hooks through `Deref`) and the adapter pointed at it.
pub struct Env {
    pub sandbox: SandboxClient,
    pub cs: CybersourceConnector,
}

impl Deref for Env {
    type Target = SandboxClient;

    fn deref(&self) -> &SandboxClient {
        &self.sandbox
    }
}

pub fn adapter_config(addr: SocketAddr) -> CybersourceConfig {
    let mut config = CybersourceConfig::new(
        format!("http://{addr}/cybersource"),
        MERCHANT,
        KEY_ID,
        SECRET,
    );
    config.timeouts.total = Duration::from_millis(1500);
    config
}

pub async fn env() -> Env {
    env_with(sandbox_config()).await
}

pub async fn env_with(config: SandboxConfig) -> Env {
    let sandbox = SandboxClient::spawn(CONNECTOR, config).await;
    let cs = CybersourceConnector::new(adapter_config(sandbox.addr)).unwrap();
    Env { sandbox, cs }
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
        start_session(&self.cs, &session, None, false)
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
        submit_right_otp(&self.cs, &session, &code).await
    }

    /// The payer's browser: posts the redirect form to the ACS, then submits there; returns
    /// what the ACS posts back to TermUrl.
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
        let answer = self.submit_acs(url, form).await;
        assert_eq!(answer["action"], RETURN_URL);
        fields(&answer["fields"])
    }
}
