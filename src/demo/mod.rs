//! `payorch demo`: a whole RuPay flow against the embedded sandbox, narrated step by step —
//! the quickest way to see what a caller does. It starts its own payorch on free ports.
//! `payorch demo --mandate` walks a Standing Instruction instead ([`mandate`]).

mod mandate;

pub use mandate::run_mandate;

use std::time::Duration;

use tonic::transport::Channel;

use crate::api::authentication_service_client::AuthenticationServiceClient;
use crate::api::payment_service_client::PaymentServiceClient;
use crate::api::{self, FlowPreference};
use crate::app;
use crate::config::Settings;
use crate::error::StartupError;

/// The sandbox's seamless-enrolled test card.
const DEMO_CARD: &str = "5085000000000015";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Startup(#[from] StartupError),
    #[error("gRPC: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("{step}: {status}")]
    Rpc {
        step: &'static str,
        status: tonic::Status,
    },
    #[error("sandbox: {0}")]
    Sandbox(String),
}

fn rpc(step: &'static str) -> impl FnOnce(tonic::Status) -> DemoError {
    move |status| DemoError::Rpc { step, status }
}

/// The embedded defaults on free ports, adjusted by `adjust`, started; with a channel to it.
async fn start(
    adjust: impl FnOnce(&mut Settings),
) -> Result<(app::Running, std::net::SocketAddr, Channel), DemoError> {
    let mut settings = Settings::embedded();
    for listen in [
        &mut settings.grpc.listen,
        &mut settings.http.listen,
        &mut settings.sandbox.listen,
    ] {
        listen.set_port(0);
    }
    adjust(&mut settings);
    let payorch = app::start(settings).await?;
    let sandbox = payorch
        .sandbox_addr
        .ok_or_else(|| DemoError::Sandbox("the embedded sandbox did not start".into()))?;
    let channel = Channel::from_shared(format!("http://{}", payorch.grpc_addr))
        .map_err(|e| DemoError::Sandbox(e.to_string()))?
        .connect()
        .await?;
    Ok((payorch, sandbox, channel))
}

/// A fresh idempotency key for one step.
fn key(step: &str) -> String {
    format!("demo-{step}-{}", uuid::Uuid::new_v4().simple())
}

/// A sandbox test card (its number goes only into requests; the demo prints BIN and last 4).
fn card(number: &str) -> api::PaymentMethod {
    api::PaymentMethod {
        method: Some(api::payment_method::Method::Card(api::Card {
            number: number.into(),
            expiry_month: "12".into(),
            expiry_year: "2031".into(),
            cvv: "123".into(),
            holder_name: "DEMO PAYER".into(),
        })),
    }
}

fn browser() -> api::BrowserInfo {
    api::BrowserInfo {
        ip_address: "203.0.113.7".into(),
        user_agent: "payorch-demo".into(),
        accept_header: "text/html".into(),
        language: "en-IN".into(),
        ..Default::default()
    }
}

fn inr(minor_units: i64) -> Option<api::Money> {
    Some(api::Money {
        minor_units,
        currency: "INR".into(),
    })
}

/// Runs the demo for `connector` and prints each step.
pub async fn run(connector: &str) -> Result<(), DemoError> {
    let (payorch, sandbox, channel) = start(|_| {}).await?;
    let mut auth = AuthenticationServiceClient::new(channel.clone());
    let mut payments = PaymentServiceClient::new(channel);

    println!(
        "1. StartAuthentication: RuPay card {}******{} on {connector}",
        &DEMO_CARD[..6],
        &DEMO_CARD[12..]
    );
    let started = auth
        .start_authentication(api::StartAuthenticationRequest {
            merchant_id: "demo".into(),
            idempotency_key: key("start"),
            connector: connector.into(),
            amount: inr(10_000),
            payment_method: Some(card(DEMO_CARD)),
            browser: Some(browser()),
            return_url: "https://merchant.example/return".into(),
            order_reference: "DEMO-1".into(),
            preferred_flow: FlowPreference::Seamless.into(),
            capture: true,
            ..Default::default()
        })
        .await
        .map_err(rpc("StartAuthentication"))?
        .into_inner();
    println!(
        "   -> {} ({:?}), attempts left {}, resends left {}",
        started.status().as_str_name(),
        started.flow(),
        started.attempts_remaining,
        started.resends_remaining
    );

    let otp = sandbox_otp(sandbox, connector, &started.provider_reference).await?;
    println!("2. The payer's phone shows the OTP (read from the sandbox): {otp}");

    let done = auth
        .submit_otp(api::SubmitOtpRequest {
            authentication_id: started.id.clone(),
            otp,
            idempotency_key: key("otp"),
            merchant_id: "demo".into(),
        })
        .await
        .map_err(rpc("SubmitOtp"))?
        .into_inner();
    println!(
        "3. SubmitOtp -> {}, recommendation {}",
        done.status().as_str_name(),
        done.recommendation().as_str_name()
    );

    let payment = payments
        .authorize(api::AuthorizeRequest {
            merchant_id: "demo".into(),
            idempotency_key: key("pay"),
            authentication_id: done.id.clone(),
            amount: inr(10_000),
            capture: true,
            ..Default::default()
        })
        .await
        .map_err(rpc("Authorize"))?
        .into_inner();
    println!(
        "4. Authorize (capture) -> {} {}, approval code {}",
        payment.id,
        payment.status().as_str_name(),
        payment.approval_code
    );
    payorch.shutdown().await?;
    Ok(())
}

async fn sandbox_otp(
    sandbox: std::net::SocketAddr,
    connector: &str,
    reference: &str,
) -> Result<String, DemoError> {
    let url = format!("http://{sandbox}/_sandbox/otp/{connector}/{reference}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| DemoError::Sandbox(e.to_string()))?;
    let body: serde_json::Value = client
        .get(url)
        .send()
        .await
        .map_err(|e| DemoError::Sandbox(e.to_string()))?
        .json()
        .await
        .map_err(|e| DemoError::Sandbox(e.to_string()))?;
    body["otp"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| DemoError::Sandbox(format!("no OTP for {reference}")))
}
