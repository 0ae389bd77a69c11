//! Test helpers: a sandbox on a free port, the adapter pointed at it, and the bits of
//! payorch's flows the tests stand in for (applying outcomes to sessions and payments).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use payorch_connector::model::{
    AuthenticationOutcome, AuthorizeRequest, Browser, PaymentOutcome, StartAuthentication,
};
use payorch_connector::{CallContext, Connector, ConnectorError};
use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::{AuthenticationSession, NextAction};
use payorch_core::status::{AuthenticationStatus, Flow, PaymentStatus};
use payorch_juspay::{JuspayConfig, JuspayConnector};
use payorch_sandbox::SandboxConfig;
use serde_json::{Value, json};

/// The sandbox's default Juspay credentials (`payorch_sandbox::JuspayConfig::default()`).
pub const API_KEY: &str = "payorch_sandbox_juspay_key";
pub const MERCHANT: &str = "payorch";

pub const SEAMLESS: &str = "5085000000000015";
pub const REDIRECT: &str = "5085100000000021";
pub const BOTH: &str = "5085200000000037";
pub const NOT_ENROLLED: &str = "6070000000000069";
pub const UNAVAILABLE: &str = "6071000000000076";
pub const DECLINE_51: &str = "6072000000000083";
pub const DECLINE_54: &str = "6521500000000097";
pub const DECLINE_05: &str = "6521600000000012";

pub const RETURN_URL: &str = "https://payorch.example/v1/callbacks/auth_1";

pub struct Env {
    pub addr: SocketAddr,
    pub jp: JuspayConnector,
    pub http: reqwest::Client,
}

pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        timeout_hold: Duration::from_secs(3),
        ..SandboxConfig::default()
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
    let addr = payorch_sandbox::spawn("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let mut adapter = adapter_config(addr);
    adjust(&mut adapter);
    let jp = JuspayConnector::new(adapter).unwrap();
    Env {
        addr,
        jp,
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
        connector: "juspay".into(),
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

pub fn start_request<'a>(
    session: &'a AuthenticationSession,
    card: &'a Card,
    browser: &'a Browser,
    preferred_flow: Option<Flow>,
    capture: bool,
) -> StartAuthentication<'a> {
    StartAuthentication {
        authentication_id: &session.id,
        card,
        amount: session.amount,
        browser,
        return_url: RETURN_URL,
        order_reference: "order-1",
        preferred_flow,
        capture,
    }
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
        let card = session.card.clone().unwrap();
        let browser = browser();
        let request = start_request(&session, &card, &browser, preferred_flow, capture);
        let outcome = self
            .jp
            .start_authentication(&ctx(), &request)
            .await
            .unwrap();
        apply(&session, outcome)
    }

    pub async fn start(&self, id: &str, number: &str, amount: Money) -> AuthenticationSession {
        self.start_with(id, number, amount, None, false).await
    }

    /// The OTP "sent by SMS" for a provider reference (the `txn_uuid`).
    pub async fn otp(&self, reference: &str) -> String {
        let v: Value = self
            .http
            .get(format!(
                "http://{}/_sandbox/otp/juspay/{reference}",
                self.addr
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["otp"].as_str().expect("open OTP challenge").to_owned()
    }

    /// Provider calls counted by the sandbox for Juspay.
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
        v["juspay"][operation].as_u64().unwrap_or(0)
    }

    /// Faults the next `count` Juspay requests.
    pub async fn fault(&self, fault: &str, count: u32) {
        let r = self
            .http
            .put(format!("http://{}/_sandbox/faults", self.addr))
            .json(&json!({"connector": "juspay", "fault": fault, "count": count}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
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
        assert_eq!(
            session.status,
            AuthenticationStatus::OtpRequired,
            "{session:?}"
        );
        let code = self
            .otp(session.provider_reference.as_deref().unwrap())
            .await;
        let outcome = self.jp.submit_otp(&ctx(), &session, &code).await.unwrap();
        let session = apply(&session, outcome);
        assert_eq!(
            session.status,
            AuthenticationStatus::Succeeded,
            "{session:?}"
        );
        session
    }

    /// The payer's browser on the sandbox ACS page: opens the page the redirect names,
    /// submits `form` there; returns where and what the page posts back.
    pub async fn through_acs(
        &self,
        session: &AuthenticationSession,
        form: &[(&str, &str)],
    ) -> BTreeMap<String, String> {
        let Some(NextAction::Redirect { url, method, .. }) = &session.next_action else {
            panic!("{:?}", session.next_action);
        };
        assert_eq!(method, "GET");
        let page = self.http.get(url).send().await.unwrap();
        assert!(page.status().is_success(), "{}", page.status());
        assert!(page.text().await.unwrap().contains("<form"));
        let answer: Value = self
            .http
            .post(format!("{url}/submit"))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "complete", "{answer}");
        assert_eq!(answer["action"], RETURN_URL, "back to payorch's callback");
        answer["fields"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect()
    }

    /// Authorize as payorch's flow calls it.
    pub async fn authorize(
        &self,
        session: &AuthenticationSession,
        payment_id: &str,
        capture: bool,
    ) -> Result<PaymentRecord, ConnectorError> {
        let payment = pending_payment(payment_id, session);
        let request = AuthorizeRequest {
            payment_id,
            amount: session.amount,
            capture,
            card: session.card.as_ref(),
            authentication_state: session.connector_state.as_ref(),
            authentication_reference: session.provider_reference.as_deref(),
            order_reference: &payment.order_reference,
        };
        let outcome = self.jp.authorize(&ctx(), &request).await?;
        Ok(apply_payment(&payment, outcome, None))
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
        connector: "juspay".into(),
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
