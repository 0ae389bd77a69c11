//! What one operation of each scenario is, and the clients that run it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use payorch::api::authentication_service_client::AuthenticationServiceClient;
use payorch::api::payment_service_client::PaymentServiceClient;
use payorch::api::{self, AuthenticationStatus, FlowPreference, StartAuthenticationRequest};
use serde::Serialize;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

pub const OWN_TIME_HEADER: &str = "payorch-own-time-us";
/// A sandbox card that authenticates by OTP without a redirect.
pub const SEAMLESS_CARD: &str = "5085000000000015";

/// What one operation did.
#[derive(Default)]
pub struct Outcome {
    pub rpcs: u64,
    pub own_us: Vec<u64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// The bare tonic health service in the same server: the ceiling.
    Health,
    /// GetAuthentication of one stored authentication, one call at a time.
    GetSeq,
    /// GetAuthentication of one stored authentication.
    Get,
    /// StartAuthentication with a fresh key (one provider call).
    Start,
    /// Start, the OTP from the sandbox hook, SubmitOtp, Authorize with capture.
    Flow,
    /// StartAuthentication again under the same key: the stored answer.
    Replay,
    All,
}

impl Scenario {
    pub const EACH: [Scenario; 6] = [
        Scenario::Health,
        Scenario::GetSeq,
        Scenario::Get,
        Scenario::Start,
        Scenario::Flow,
        Scenario::Replay,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::GetSeq => "get-seq",
            Scenario::Get => "get",
            Scenario::Start => "start",
            Scenario::Flow => "flow",
            Scenario::Replay => "replay",
            Scenario::All => "all",
        }
    }

    /// RPCs to payorch per operation.
    pub fn rpcs(self) -> u64 {
        if self == Scenario::Flow { 3 } else { 1 }
    }
}

/// Clients of one payorch, spread over several connections.
#[derive(Clone)]
pub struct Target {
    pub auth: Vec<AuthenticationServiceClient<Channel>>,
    pub payments: Vec<PaymentServiceClient<Channel>>,
    pub health: Vec<HealthClient<Channel>>,
    pub http: reqwest::Client,
    pub sandbox: SocketAddr,
    pub connector: String,
    /// The authentication `get` reads and the request `replay` repeats.
    pub stored_id: String,
    pub replayed: StartAuthenticationRequest,
}

pub fn key() -> String {
    format!("bench-{}", uuid::Uuid::new_v4().simple())
}

pub fn start_request() -> StartAuthenticationRequest {
    StartAuthenticationRequest {
        merchant_id: "demo".into(),
        idempotency_key: key(),
        amount: Some(api::Money {
            minor_units: 10_000,
            currency: "INR".into(),
        }),
        payment_method: Some(api::PaymentMethod {
            method: Some(api::payment_method::Method::Card(api::Card {
                number: SEAMLESS_CARD.into(),
                expiry_month: "12".into(),
                expiry_year: "2031".into(),
                cvv: "123".into(),
                holder_name: "A PAYER".into(),
            })),
        }),
        browser: Some(api::BrowserInfo {
            ip_address: "203.0.113.7".into(),
            user_agent: "Mozilla/5.0 (payorch-bench)".into(),
            accept_header: "text/html".into(),
            language: "en-IN".into(),
            ..Default::default()
        }),
        return_url: "https://merchant.example/return".into(),
        order_reference: format!("ORD-{}", uuid::Uuid::new_v4().simple()),
        preferred_flow: FlowPreference::Seamless.into(),
        capture: true,
        ..Default::default()
    }
}

pub fn own_time<T>(response: &tonic::Response<T>) -> Option<u64> {
    response
        .metadata()
        .get(OWN_TIME_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

pub fn code(status: &tonic::Status) -> String {
    format!("{:?}", status.code())
}

impl Target {
    pub async fn connect(
        grpc: SocketAddr,
        sandbox: SocketAddr,
        connections: usize,
        connector: &str,
    ) -> Result<Self, String> {
        let mut target = Target {
            auth: Vec::new(),
            payments: Vec::new(),
            health: Vec::new(),
            http: reqwest::Client::builder()
                .tcp_nodelay(true)
                .build()
                .map_err(|e| e.to_string())?,
            sandbox,
            connector: connector.to_owned(),
            stored_id: String::new(),
            replayed: start_request(),
        };
        for _ in 0..connections.max(1) {
            let channel = Channel::from_shared(format!("http://{grpc}"))
                .map_err(|e| e.to_string())?
                .tcp_nodelay(true)
                .timeout(Duration::from_secs(30))
                .connect()
                .await
                .map_err(|e| format!("connect to payorch: {e}"))?;
            target
                .auth
                .push(AuthenticationServiceClient::new(channel.clone()));
            target
                .payments
                .push(PaymentServiceClient::new(channel.clone()));
            target.health.push(HealthClient::new(channel));
        }
        let stored = target.auth[0]
            .clone()
            .start_authentication(start_request())
            .await
            .map_err(|e| format!("seeding an authentication: {e}"))?;
        target.stored_id = stored.into_inner().id;
        target.auth[0]
            .clone()
            .start_authentication(target.replayed.clone())
            .await
            .map_err(|e| format!("seeding the replayed call: {e}"))?;
        Ok(target)
    }

    pub async fn otp(&self, authentication: &api::Authentication) -> Result<String, String> {
        let url = format!(
            "http://{}/_sandbox/otp/{}/{}",
            self.sandbox, self.connector, authentication.provider_reference
        );
        let body: serde_json::Value = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        body["otp"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no open OTP challenge".to_owned())
    }

    /// One operation of `scenario`; `n` spreads calls over the connections.
    pub async fn run(&self, scenario: Scenario, n: usize) -> Outcome {
        let lane = n % self.auth.len();
        let mut out = Outcome::default();
        match scenario {
            Scenario::Health => {
                out.rpcs = 1;
                let request = HealthCheckRequest {
                    service: String::new(),
                };
                if let Err(status) = self.health[lane].clone().check(request).await {
                    out.error = Some(code(&status));
                }
            }
            Scenario::Get | Scenario::GetSeq => {
                out.rpcs = 1;
                let request = api::GetAuthenticationRequest {
                    id: self.stored_id.clone(),
                    refresh: false,
                    merchant_id: "demo".into(),
                };
                match self.auth[lane].clone().get_authentication(request).await {
                    Ok(response) => out.own_us.extend(own_time(&response)),
                    Err(status) => out.error = Some(code(&status)),
                }
            }
            Scenario::Start | Scenario::Replay => {
                out.rpcs = 1;
                let request = if scenario == Scenario::Start {
                    start_request()
                } else {
                    self.replayed.clone()
                };
                match self.auth[lane].clone().start_authentication(request).await {
                    Ok(response) => out.own_us.extend(own_time(&response)),
                    Err(status) => out.error = Some(code(&status)),
                }
            }
            Scenario::Flow => {
                if let Err(error) = self.flow(lane, &mut out).await {
                    out.error = Some(error);
                }
            }
            Scenario::All => {}
        }
        out
    }

    pub async fn flow(&self, lane: usize, out: &mut Outcome) -> Result<(), String> {
        let mut auth = self.auth[lane].clone();
        out.rpcs += 1;
        let started = auth
            .start_authentication(start_request())
            .await
            .map_err(|s| code(&s))?;
        out.own_us.extend(own_time(&started));
        let started = started.into_inner();
        if started.status() != AuthenticationStatus::OtpRequired {
            return Err(format!("start:{:?}", started.status()));
        }
        let otp = self.otp(&started).await.map_err(|_| "OtpHook".to_owned())?;
        out.rpcs += 1;
        let done = auth
            .submit_otp(api::SubmitOtpRequest {
                authentication_id: started.id.clone(),
                otp,
                idempotency_key: key(),
                merchant_id: "demo".into(),
            })
            .await
            .map_err(|s| code(&s))?;
        out.own_us.extend(own_time(&done));
        if done.get_ref().status() != AuthenticationStatus::Succeeded {
            return Err(format!("otp:{:?}", done.get_ref().status()));
        }
        out.rpcs += 1;
        let paid = self.payments[lane]
            .clone()
            .authorize(api::AuthorizeRequest {
                merchant_id: "demo".into(),
                idempotency_key: key(),
                authentication_id: started.id,
                amount: started.amount,
                capture: true,
                ..Default::default()
            })
            .await
            .map_err(|s| code(&s))?;
        out.own_us.extend(own_time(&paid));
        Ok(())
    }
}

/// Starts `count` authentications, 64 at a time, and leaves them open.
pub async fn open_sessions(target: &Target, count: usize) -> Result<(), String> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for lane in 0..64 {
        let (target, next) = (target.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut auth = target.auth[lane % target.auth.len()].clone();
            let mut failed = 0usize;
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < count {
                if auth.start_authentication(start_request()).await.is_err() {
                    failed += 1;
                }
            }
            failed
        }));
    }
    let mut failed = 0;
    for worker in workers {
        failed += worker.await.map_err(|e| e.to_string())?;
    }
    if failed > 0 {
        return Err(format!("{failed} of {count} authentications did not start"));
    }
    Ok(())
}
