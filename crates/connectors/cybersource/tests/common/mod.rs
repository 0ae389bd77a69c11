//! Test helpers: a sandbox on a free port, the adapter pointed at it, and the bits of
//! payorch's flows the tests stand in for (applying outcomes to sessions and payments).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use payorch_connector::CallContext;
use payorch_connector::Connector;
use payorch_connector::model::{
    AuthenticationOutcome, Browser, PaymentOutcome, StartAuthentication,
};
use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use payorch_core::status::{AuthenticationStatus, PaymentStatus};
use payorch_cybersource::{CybersourceConfig, CybersourceConnector};
use payorch_sandbox::SandboxConfig;
use serde_json::{Value, json};

pub const MERCHANT: &str = "testrest";
pub const KEY_ID: &str = "08c94330-f618-42a3-b09d-e1e43be5efda";
pub const SECRET: &str = "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=";

pub const SEAMLESS: &str = "5085000000000015";
pub const REDIRECT: &str = "5085100000000021";
pub const NOT_ENROLLED: &str = "6070000000000069";
pub const UNAVAILABLE: &str = "6071000000000076";
pub const DECLINE_51: &str = "6072000000000083";
pub const DECLINE_54: &str = "6521500000000097";
pub const DECLINE_05: &str = "6521600000000012";

pub const RETURN_URL: &str = "https://payorch.example/v1/callbacks/auth_1";

pub struct Env {
    pub addr: SocketAddr,
    pub cs: CybersourceConnector,
    pub http: reqwest::Client,
}

pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        timeout_hold: Duration::from_secs(3),
        ..SandboxConfig::default()
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
    let addr = payorch_sandbox::spawn("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let cs = CybersourceConnector::new(adapter_config(addr)).unwrap();
    Env {
        addr,
        cs,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
    }
}

pub fn ctx() -> CallContext {
    CallContext::new("test", Some(Duration::from_secs(10)))
}

pub fn card(number: &str) -> Card {
    Card::parse(number, "12", "2031", Some("123"), None, 2026, 1).unwrap()
}

pub fn inr(minor: i64) -> Money {
    Money::new(minor, "INR").unwrap()
}

pub fn browser() -> Browser {
    Browser {
        ip_address: "10.0.0.1".into(),
        user_agent: "Mozilla/5.0 (test)".into(),
        accept_header: "text/html".into(),
        language: "en-IN".into(),
    }
}

/// The session payorch would hold after `outcome` (a stand-in for the flows' `apply`).
pub fn apply(session: &AuthenticationSession, o: AuthenticationOutcome) -> AuthenticationSession {
    let mut next = session.clone();
    next.status = o.status;
    next.flow = o.flow.or(session.flow);
    next.next_action = o.next_action.or(next.next_action);
    next.failure_reason = o.failure_reason;
    next.recommendation = o.recommendation;
    next.provider_status = o.provider_status.or(next.provider_status);
    next.provider_reference = o.provider_reference.or(next.provider_reference);
    next.attempts_remaining = o.attempts_remaining.unwrap_or(session.attempts_remaining);
    next.resends_remaining = o.resends_remaining.unwrap_or(session.resends_remaining);
    next.expires_at_ms = o.expires_at_ms.or(session.expires_at_ms);
    next.connector_state = o.connector_state.or(next.connector_state);
    next
}

pub fn pending_session(id: &str, number: &str, amount: Money) -> AuthenticationSession {
    let card = card(number);
    AuthenticationSession {
        id: id.into(),
        merchant_id: "m1".into(),
        connector: "cybersource".into(),
        status: AuthenticationStatus::Pending,
        flow: None,
        amount,
        card_bin: card.bin().into(),
        card_last4: card.last4().into(),
        failure_reason: None,
        recommendation: None,
        provider_status: None,
        provider_reference: None,
        attempts_remaining: 0,
        resends_remaining: 0,
        expires_at_ms: None,
        next_action: None,
        return_url: RETURN_URL.into(),
        order_reference: "order-1".into(),
        connector_state: None,
        created_at_ms: 0,
        updated_at_ms: 0,
        version: 0,
        card: Some(card),
    }
}

impl Env {
    /// Starts an authentication and returns the session as payorch would store it.
    pub async fn start(&self, id: &str, number: &str, amount: Money) -> AuthenticationSession {
        let session = pending_session(id, number, amount);
        let card = session.card.clone().unwrap();
        let browser = browser();
        let request = StartAuthentication {
            authentication_id: id,
            card: &card,
            amount,
            browser: &browser,
            return_url: RETURN_URL,
            order_reference: "order-1",
            preferred_flow: None,
            capture: false,
        };
        let outcome = self
            .cs
            .start_authentication(&ctx(), &request)
            .await
            .unwrap();
        apply(&session, outcome)
    }

    /// The OTP "sent by SMS" for a provider reference.
    pub async fn otp(&self, reference: &str) -> String {
        let mut url = reqwest::Url::parse(&format!("http://{}/", self.addr)).unwrap();
        url.path_segments_mut()
            .unwrap()
            .extend(["_sandbox", "otp", "cybersource", reference]);
        let v: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["otp"].as_str().expect("open OTP challenge").to_owned()
    }

    /// Provider calls counted by the sandbox for Cybersource.
    pub async fn calls(&self, operation: &str) -> u64 {
        let v: Value = self
            .http
            .get(format!("http://{}/_sandbox/calls", self.addr))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["cybersource"][operation].as_u64().unwrap_or(0)
    }

    /// Faults the next `count` Cybersource requests.
    pub async fn fault(&self, fault: &str, count: u32) {
        let r = self
            .http
            .put(format!("http://{}/_sandbox/faults", self.addr))
            .json(&json!({"connector": "cybersource", "fault": fault, "count": count}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// A seamless session authenticated with the right OTP.
    pub async fn authenticated(
        &self,
        id: &str,
        number: &str,
        amount: Money,
    ) -> AuthenticationSession {
        let session = self.start(id, number, amount).await;
        assert_eq!(
            session.status,
            AuthenticationStatus::OtpRequired,
            "{session:?}"
        );
        let code = self
            .otp(session.provider_reference.as_deref().unwrap())
            .await;
        let outcome = self.cs.submit_otp(&ctx(), &session, &code).await.unwrap();
        let session = apply(&session, outcome);
        assert_eq!(
            session.status,
            AuthenticationStatus::Succeeded,
            "{session:?}"
        );
        session
    }
}

/// A six-digit code different from `otp`.
pub fn wrong(otp: &str) -> String {
    if otp == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

/// The payment record before authorization.
pub fn pending_payment(id: &str, session: &AuthenticationSession) -> PaymentRecord {
    PaymentRecord {
        id: id.into(),
        merchant_id: "m1".into(),
        authentication_id: Some(session.id.clone()),
        connector: "cybersource".into(),
        status: PaymentStatus::Pending,
        amount: session.amount,
        captured: Money::zero(session.amount.currency()),
        refunded: Money::zero(session.amount.currency()),
        approval_code: None,
        network_transaction_id: None,
        provider_status: None,
        failure_reason: None,
        provider_reference: None,
        order_reference: session.order_reference.clone(),
        card_bin: session.card_bin.clone(),
        card_last4: session.card_last4.clone(),
        connector_state: None,
        in_flight: None,
        created_at_ms: 0,
        updated_at_ms: 0,
        version: 0,
    }
}

/// The payment after an operation's outcome (a stand-in for the flows' `apply`).
pub fn apply_payment(p: &PaymentRecord, o: PaymentOutcome, op: Option<&str>) -> PaymentRecord {
    let mut next = p.clone();
    next.status = o.status;
    if let Some(moved) = o.amount {
        match op {
            Some("capture") => next.captured = next.captured.checked_add(moved).unwrap(),
            Some("refund") => next.refunded = next.refunded.checked_add(moved).unwrap(),
            _ => {}
        }
    }
    if op.is_none() && o.status == PaymentStatus::Captured {
        next.captured = next.amount;
    }
    next.approval_code = o.approval_code.or(next.approval_code);
    next.network_transaction_id = o.network_transaction_id.or(next.network_transaction_id);
    next.failure_reason = o.failure_reason;
    next.provider_status = o.provider_status.or(next.provider_status);
    next.provider_reference = next.provider_reference.or(o.provider_reference);
    next.connector_state = o.connector_state.or(next.connector_state);
    next
}
