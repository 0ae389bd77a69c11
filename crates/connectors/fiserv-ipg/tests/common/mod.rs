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
use payorch_fiserv_ipg::{FiservIpgConfig, FiservIpgConnector};
use payorch_sandbox::SandboxConfig;
use serde_json::{Value, json};

/// The sandbox's default Fiserv IPG credentials.
pub const API_KEY: &str = "payorch-sandbox-fiserv-key";
pub const API_SECRET: &str = "payorch-sandbox-fiserv-secret";

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
    pub ipg: FiservIpgConnector,
    pub http: reqwest::Client,
}

pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        timeout_hold: Duration::from_secs(3),
        ..SandboxConfig::default()
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
    let addr = payorch_sandbox::spawn("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let ipg = FiservIpgConnector::new(adapter_config(addr)).unwrap();
    Env {
        addr,
        ipg,
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
        connector: "fiserv-ipg".into(),
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
            .ipg
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
            .extend(["_sandbox", "otp", "fiserv-ipg", reference]);
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

    /// Provider calls counted by the sandbox for Fiserv IPG.
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
        v["fiserv-ipg"][operation].as_u64().unwrap_or(0)
    }

    /// Faults the next `count` Fiserv IPG requests.
    pub async fn fault(&self, fault: &str, count: u32) {
        let r = self
            .http
            .put(format!("http://{}/_sandbox/faults", self.addr))
            .json(&json!({"connector": "fiserv-ipg", "fault": fault, "count": count}))
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
        let outcome = self.ipg.submit_otp(&ctx(), &session, &code).await.unwrap();
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
        connector: "fiserv-ipg".into(),
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

impl Env {
    /// Makes the open OTP of `reference` expire (sandbox hook).
    pub async fn expire_otp(&self, reference: &str) {
        let r = self
            .http
            .post(format!(
                "http://{}/_sandbox/otp/fiserv-ipg/{reference}/expire",
                self.addr
            ))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// The payer's browser: POSTs to the ACS as the redirect form says, then submits
    /// `form` there; returns what the ACS posts back to termURL.
    pub async fn through_acs(
        &self,
        session: &AuthenticationSession,
        form: &[(&str, &str)],
    ) -> std::collections::BTreeMap<String, String> {
        let Some(payorch_core::session::NextAction::Redirect {
            url,
            method,
            form_fields,
            html,
        }) = &session.next_action
        else {
            panic!("{:?}", session.next_action);
        };
        assert_eq!(method, "POST");
        assert!(html.contains("submit()"), "{html}");
        let page = self.http.post(url).form(form_fields).send().await.unwrap();
        assert!(page.status().is_success());
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
        assert_eq!(answer["action"], RETURN_URL);
        answer["fields"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect()
    }
}
