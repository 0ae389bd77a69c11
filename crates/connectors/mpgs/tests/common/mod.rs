//! Test helpers: a sandbox on a free port, the adapter pointed at it, and the bits of
//! payorch's flows the tests stand in for (applying outcomes to sessions and payments,
//! driving the payer's browser).

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
use payorch_core::status::{AuthenticationStatus, PaymentStatus};
use payorch_mpgs::{MpgsConfig, MpgsConnector};
use payorch_sandbox::SandboxConfig;
use serde_json::{Value, json};

/// The sandbox's default MPGS merchant and API password (`SandboxConfig::default().mpgs`).
pub const MERCHANT: &str = "TESTPAYORCH";
pub const PASSWORD: &str = "payorch-sandbox-mpgs-password";

pub const SEAMLESS: &str = "5085000000000015";
pub const REDIRECT: &str = "5085100000000021";
pub const NOT_ENROLLED: &str = "6070000000000069";
pub const UNAVAILABLE: &str = "6071000000000076";
pub const DECLINE_51: &str = "6072000000000083";
pub const DECLINE_54: &str = "6521500000000097";
pub const DECLINE_05: &str = "6521600000000012";
pub const CRYPTOGRAM: &str = "APJUR+bB46ysAAKYEAOYGgADFA==";

pub const RETURN_URL: &str = "https://payorch.example/v1/callbacks/auth_1";

pub struct Env {
    pub addr: SocketAddr,
    pub mpgs: MpgsConnector,
    pub http: reqwest::Client,
}

pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        timeout_hold: Duration::from_secs(3),
        ..SandboxConfig::default()
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
    let addr = payorch_sandbox::spawn("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let mut adapter = adapter_config(addr);
    tweak(&mut adapter);
    Env {
        addr,
        mpgs: MpgsConnector::new(adapter).unwrap(),
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

pub fn network_token(number: &str) -> Card {
    Card::parse(number, "08", "2031", None, None, 2026, 1)
        .unwrap()
        .into_network_token(CRYPTOGRAM.into())
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

pub fn pending_session(id: &str, card: Card, amount: Money) -> AuthenticationSession {
    AuthenticationSession {
        id: id.into(),
        merchant_id: "m1".into(),
        connector: "mpgs".into(),
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
    pub async fn try_start_card(
        &self,
        id: &str,
        card: Card,
        amount: Money,
    ) -> Result<AuthenticationSession, ConnectorError> {
        let session = pending_session(id, card.clone(), amount);
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
        let outcome = self.mpgs.start_authentication(&ctx(), &request).await?;
        Ok(apply(&session, outcome))
    }

    /// Starts an authentication and returns the session as payorch would store it.
    pub async fn start(&self, id: &str, number: &str, amount: Money) -> AuthenticationSession {
        self.try_start_card(id, card(number), amount).await.unwrap()
    }

    /// The OTP "sent by SMS" for a provider reference.
    pub async fn otp(&self, reference: &str) -> String {
        let v: Value = self
            .http
            .get(format!(
                "http://{}/_sandbox/otp/mpgs/{reference}",
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

    /// Provider calls counted by the sandbox for MPGS.
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
        v["mpgs"][operation].as_u64().unwrap_or(0)
    }

    /// Faults the next `count` MPGS requests.
    pub async fn fault(&self, fault: &str, count: u32) {
        let r = self
            .http
            .put(format!("http://{}/_sandbox/faults", self.addr))
            .json(&json!({"connector": "mpgs", "fault": fault, "count": count}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// A seamless session authenticated with the right OTP.
    pub async fn authenticated_card(
        &self,
        id: &str,
        card: Card,
        amount: Money,
    ) -> AuthenticationSession {
        let session = self.try_start_card(id, card, amount).await.unwrap();
        assert_eq!(
            session.status,
            AuthenticationStatus::OtpRequired,
            "{session:?}"
        );
        let code = self
            .otp(session.provider_reference.as_deref().unwrap())
            .await;
        let outcome = self.mpgs.submit_otp(&ctx(), &session, &code).await.unwrap();
        let session = apply(&session, outcome);
        assert_eq!(
            session.status,
            AuthenticationStatus::Succeeded,
            "{session:?}"
        );
        session
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
        let Some(NextAction::Redirect {
            url,
            method,
            form_fields,
            html,
        }) = &session.next_action
        else {
            panic!("{:?}", session.next_action);
        };
        assert_eq!(method, "POST");
        assert!(html.contains(&format!("action=\"{url}\"")), "{html}");
        assert!(html.contains("submit()"));
        let page = self.http.post(url).form(form_fields).send().await.unwrap();
        assert!(page.status().is_success());
        let acs: Value = self
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
        assert_eq!(acs["status"], "complete", "{acs}");
        assert_eq!(acs["action"], form_fields["AccuReturnURL"].as_str());
        let back: Vec<(String, String)> = fields(&acs["fields"]).into_iter().collect();
        let gateway: Value = self
            .http
            .post(acs["action"].as_str().unwrap())
            .header("accept", "application/json")
            .form(&back)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(gateway["status"], "complete", "{gateway}");
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
        let request = AuthorizeRequest {
            payment_id,
            amount: session.amount,
            capture,
            card: session.card.as_ref(),
            authentication_state: session.connector_state.as_ref(),
            authentication_reference: session.provider_reference.as_deref(),
            order_reference: &payment.order_reference,
        };
        let outcome = self.mpgs.authorize(&ctx(), &request).await?;
        Ok(apply_payment(&payment, outcome, None))
    }
}

fn fields(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
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
        connector: "mpgs".into(),
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
