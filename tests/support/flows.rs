//! A payorch + sandbox + Redis stack for flow tests, and the steps a merchant takes.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use payorch::api::authentication_service_client::AuthenticationServiceClient;
use payorch::api::payment_service_client::PaymentServiceClient;
use payorch::api::{
    self, Authentication, AuthorizeRequest, BrowserInfo, Money, PaymentMethod,
    StartAuthenticationRequest, SubmitOtpRequest,
};
use payorch::app::Running;
use payorch::config::Settings;
use payorch_store::testing::RedisServer;
use serde_json::Value;
use tonic::transport::Channel;

/// Sandbox test cards (see `GET /_sandbox/cards`).
pub const SEAMLESS: &str = "5085000000000015";
pub const REDIRECT_ONLY: &str = "5085100000000021";
pub const NOT_ENROLLED: &str = "6070000000000069";
pub const ISSUER_UNAVAILABLE: &str = "6071000000000076";
pub const DECLINE_51: &str = "6072000000000083";
pub const DECLINE_54: &str = "6521500000000097";
pub const DECLINE_05: &str = "6521600000000012";

pub struct Stack {
    pub redis: RedisServer,
    pub payorch: Running,
    pub sandbox: SocketAddr,
    pub http: reqwest::Client,
    pub connector: &'static str,
}

impl Stack {
    /// payorch on Redis with the embedded sandbox, routing `demo` to the profile's connector.
    pub async fn start(profile: &super::matrix::Profile) -> Stack {
        let connector = profile.connector;
        let redis = RedisServer::start();
        let mut settings = super::redis_settings(&redis.url());
        pin(&mut settings, connector);
        let payorch = super::start(settings).await;
        let sandbox = payorch.sandbox_addr.expect("embedded sandbox");
        Stack {
            redis,
            payorch,
            sandbox,
            http: reqwest::Client::new(),
            connector,
        }
    }

    /// payorch's `/metrics` text (the process's registry: every stack of this test binary).
    pub async fn metrics(&self) -> String {
        let url = format!("http://{}/metrics", self.payorch.http_addr);
        let answer = self.http.get(url).send().await.unwrap();
        assert!(
            answer.status().is_success(),
            "/metrics: {}",
            answer.status()
        );
        answer.text().await.unwrap()
    }

    /// A second payorch replica on the same Redis and the same sandbox.
    pub async fn replica(&self) -> Running {
        let mut settings = super::redis_settings(&self.redis.url());
        pin(&mut settings, self.connector);
        settings.sandbox.embedded = false;
        settings.connectors.point_at_sandbox(self.sandbox);
        super::start(settings).await
    }

    pub async fn auth(&self) -> AuthenticationServiceClient<Channel> {
        super::authentications(self.payorch.grpc_addr).await
    }

    pub async fn payments(&self) -> PaymentServiceClient<Channel> {
        super::payments(self.payorch.grpc_addr).await
    }

    /// The OTP the payer's phone would show for this authentication.
    pub async fn otp(&self, authentication: &Authentication) -> String {
        otp(self.sandbox, self.connector, authentication).await
    }

    pub async fn expire_otp(&self, authentication: &Authentication) {
        let url = format!(
            "http://{}/_sandbox/otp/{}/{}/expire",
            self.sandbox, self.connector, authentication.provider_reference
        );
        let status = self.http.post(url).send().await.unwrap().status();
        assert!(status.is_success(), "expire hook answered {status}");
    }

    /// Provider calls the sandbox counted for this connector, by operation.
    pub async fn calls(&self, operation: &str) -> u64 {
        let url = format!("http://{}/_sandbox/calls", self.sandbox);
        let body: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body[self.connector][operation].as_u64().unwrap_or(0)
    }

    /// Every provider call the sandbox counted for this connector.
    pub async fn total_calls(&self) -> u64 {
        let url = format!("http://{}/_sandbox/calls", self.sandbox);
        let body: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body[self.connector]
            .as_object()
            .map(|ops| ops.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    }

    /// The next `count` provider requests of this connector meet `fault`.
    pub async fn arm_fault(&self, fault: &str, count: u32) {
        let url = format!("http://{}/_sandbox/faults", self.sandbox);
        let body = serde_json::json!({"connector": self.connector, "fault": fault, "count": count});
        let status = self
            .http
            .put(url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "arming a fault answered {status}");
    }

    /// The payer's browser on the issuer's page: see [`payer_at_acs`].
    pub async fn payer_at_acs(
        &self,
        authentication: &Authentication,
        submit: &[(&str, &str)],
    ) -> (String, Vec<(String, String)>) {
        payer_at_acs(&self.http, authentication, submit).await
    }
}

/// The payer's browser on the issuer's page: opens the redirect, then submits the form
/// (`otp=...` or `action=cancel`). Returns where the page posts back, and the fields.
pub async fn payer_at_acs(
    http: &reqwest::Client,
    authentication: &Authentication,
    submit: &[(&str, &str)],
) -> (String, Vec<(String, String)>) {
    let Some(api::next_action::Action::Redirect(redirect)) = authentication
        .next_action
        .as_ref()
        .and_then(|a| a.action.clone())
    else {
        panic!(
            "expected a redirect action, got {:?}",
            authentication.next_action
        );
    };
    let open = http
        .post(&redirect.url)
        .form(&redirect.form_fields)
        .send()
        .await
        .unwrap();
    assert!(
        open.status().is_success(),
        "ACS page answered {}",
        open.status()
    );
    let reply: Value = http
        .post(format!(
            "{}/submit",
            redirect.url.split('?').next().unwrap_or_default()
        ))
        .header("accept", "application/json")
        .form(submit)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (mut action, mut fields) = complete_hop(&reply);
    // Some gateways (MPGS) take the issuer's answer first and then send the browser on:
    // follow those hops, as a browser would, until the page posts to payorch.
    for _ in 0..3 {
        if action.contains("/v1/callbacks/") {
            break;
        }
        let reply: Value = http
            .post(&action)
            .header("accept", "application/json")
            .form(&fields)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (action, fields) = complete_hop(&reply);
    }
    (action, fields)
}

/// The OTP the payer's phone would show for `authentication` on `connector`.
pub async fn otp(sandbox: SocketAddr, connector: &str, authentication: &Authentication) -> String {
    let url = format!(
        "http://{sandbox}/_sandbox/otp/{connector}/{}",
        authentication.provider_reference
    );
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    body["otp"]
        .as_str()
        .expect("an open OTP challenge")
        .to_owned()
}

/// The next page a browser is sent to, from a `{"status":"complete","action","fields"}` answer.
fn complete_hop(reply: &Value) -> (String, Vec<(String, String)>) {
    assert_eq!(reply["status"], "complete", "{reply}");
    let action = reply["action"].as_str().unwrap().to_owned();
    let fields = reply["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    (action, fields)
}

fn pin(settings: &mut Settings, connector: &str) {
    settings.merchants[0].connectors = vec![connector.to_owned()];
}

pub fn card(number: &str) -> PaymentMethod {
    PaymentMethod {
        method: Some(api::payment_method::Method::Card(api::Card {
            number: number.into(),
            expiry_month: "12".into(),
            expiry_year: "2031".into(),
            cvv: "123".into(),
            holder_name: "A PAYER".into(),
        })),
    }
}

pub fn inr(minor_units: i64) -> Option<Money> {
    Some(Money {
        minor_units,
        currency: "INR".into(),
    })
}

pub fn key() -> String {
    format!("key-{}", uuid::Uuid::new_v4().simple())
}

pub fn start_request(number: &str, flow: api::FlowPreference) -> StartAuthenticationRequest {
    StartAuthenticationRequest {
        merchant_id: "demo".into(),
        idempotency_key: key(),
        amount: inr(10000),
        payment_method: Some(card(number)),
        browser: Some(BrowserInfo {
            ip_address: "203.0.113.7".into(),
            user_agent: "Mozilla/5.0 (payorch tests)".into(),
            accept_header: "text/html".into(),
            language: "en-IN".into(),
            ..Default::default()
        }),
        return_url: "https://merchant.example/return".into(),
        order_reference: format!("ORD-{}", uuid::Uuid::new_v4().simple()),
        preferred_flow: flow.into(),
        // Authorize captures unless a case says otherwise.
        capture: true,
        ..Default::default()
    }
}

/// Every provider call the sandbox counted, all connectors together.
pub async fn sandbox_calls(sandbox: SocketAddr) -> u64 {
    let body: Value = reqwest::get(format!("http://{sandbox}/_sandbox/calls"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body.as_object()
        .into_iter()
        .flat_map(|connectors| connectors.values())
        .filter_map(Value::as_object)
        .flat_map(|operations| operations.values())
        .filter_map(Value::as_u64)
        .sum()
}

/// A seamless authentication of the SEAMLESS card, started and waiting for its OTP.
pub async fn start_seamless(auth: &mut AuthenticationServiceClient<Channel>) -> Authentication {
    let started = auth
        .start_authentication(start_request(SEAMLESS, api::FlowPreference::Seamless))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        started.status(),
        api::AuthenticationStatus::OtpRequired,
        "{started:?}"
    );
    started
}

pub fn submit(authentication: &Authentication, otp: &str) -> SubmitOtpRequest {
    SubmitOtpRequest {
        authentication_id: authentication.id.clone(),
        otp: otp.into(),
        idempotency_key: key(),
        merchant_id: "demo".into(),
    }
}

pub fn authorize(authentication: &Authentication, capture: bool) -> AuthorizeRequest {
    AuthorizeRequest {
        merchant_id: "demo".into(),
        idempotency_key: key(),
        authentication_id: authentication.id.clone(),
        amount: inr(10000),
        capture,
        ..Default::default()
    }
}

pub fn wrong(otp: &str) -> String {
    otp.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

pub async fn eventually_status(
    client: &mut AuthenticationServiceClient<Channel>,
    id: &str,
) -> Authentication {
    tokio::time::sleep(Duration::from_millis(10)).await;
    client
        .get_authentication(api::GetAuthenticationRequest {
            id: id.into(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner()
}
