//! Shared pieces of the end-to-end tests: start payorch (in-process or as the real binary),
//! connect real gRPC clients, read `google.rpc` details.

#![allow(dead_code)]

pub mod chaos;
pub mod examples;
pub mod flows;
pub mod mandates;
pub mod matrix;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use payorch::api::authentication_service_client::AuthenticationServiceClient;
use payorch::api::mandate_service_client::MandateServiceClient;
use payorch::api::payment_service_client::PaymentServiceClient;
use payorch::app::{self, Running};
use payorch::config::{EncryptionSettings, Secret, Settings, StoreSettings};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

pub const ENCRYPTION_KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";

pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Embedded defaults on free loopback ports (port 0: the OS picks).
pub fn settings() -> Settings {
    let mut settings = Settings::embedded();
    settings.grpc.listen = "127.0.0.1:0".parse().unwrap();
    settings.http.listen = "127.0.0.1:0".parse().unwrap();
    settings.sandbox.listen = "127.0.0.1:0".parse().unwrap();
    settings.shutdown_grace_secs = 5;
    settings
}

pub fn redis_settings(redis_url: &str) -> Settings {
    let mut settings = settings();
    settings.store = StoreSettings::Redis {
        cluster: false,
        url: Secret::new(redis_url),
        tls: Default::default(),
    };
    settings.encryption = EncryptionSettings {
        active_key_id: "k1".into(),
        keys: [("k1".to_owned(), Secret::new(ENCRYPTION_KEY))].into(),
    };
    settings
}

pub async fn start(settings: Settings) -> Running {
    app::start(settings).await.expect("payorch starts")
}

pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect to payorch")
}

pub async fn authentications(addr: SocketAddr) -> AuthenticationServiceClient<Channel> {
    AuthenticationServiceClient::new(channel(addr).await)
}

pub async fn payments(addr: SocketAddr) -> PaymentServiceClient<Channel> {
    PaymentServiceClient::new(channel(addr).await)
}

pub async fn mandates(addr: SocketAddr) -> MandateServiceClient<Channel> {
    MandateServiceClient::new(channel(addr).await)
}

/// The overall gRPC health status ("" service).
pub async fn health(addr: SocketAddr, service: &str) -> i32 {
    let mut client = HealthClient::new(channel(addr).await);
    client
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .expect("health check answers")
        .into_inner()
        .status
}

/// Whether the provider holds a call now: the counted fault armed on this sandbox for
/// `connector` was taken by a request, which its latency keeps waiting. (Not the in-flight
/// gauge: metrics are the test process's, shared with the tests running beside.)
pub async fn provider_holds_a_call(sandbox: std::net::SocketAddr, connector: &str) -> bool {
    let Ok(answer) = reqwest::get(format!("http://{sandbox}/_sandbox/faults")).await else {
        return false;
    };
    let armed: serde_json::Value = answer.json().await.unwrap_or_default();
    armed.is_object() && armed.get(connector).is_none()
}

/// Polls `probe` until it returns true or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut probe: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if probe().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The `ErrorInfo` reason of a refused call (empty when it has none).
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// What each field violation of a status's `BadRequest` details says.
pub fn violation_descriptions(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| v.description.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The fields named in a status's `BadRequest` details.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// A store on `redis` with the tests' encryption key: reads what the replicas wrote.
pub async fn redis_store(redis: &payorch_store::testing::RedisServer) -> payorch_store::RedisStore {
    let cipher =
        payorch_store::CardCipher::from_base64_keys("k1", [("k1", ENCRYPTION_KEY)]).unwrap();
    payorch_store::RedisStore::connect(
        &payorch_store::RedisTopology::Single(redis.url()),
        cipher,
        payorch_store::Lifetimes::default(),
    )
    .await
    .unwrap()
}

/// The ids of the records of one kind (`auth` or `pay`) in `redis`.
pub fn ids_in(redis: &payorch_store::testing::RedisServer, kind: &str) -> Vec<String> {
    let prefix = format!("payorch:{{{kind}:");
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port().to_string(), "--scan", "--pattern"])
        .arg(format!("{prefix}*"))
        .output()
        .expect("redis-cli runs");
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|key| {
            key.strip_prefix(&prefix)
                .and_then(|k| k.strip_suffix('}'))
                .map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids
}

/// The sum of a Prometheus metric's samples whose labels include every `(name, value)` of
/// `labels` (e.g. `payorch_otp_stage_total` with `stage="sent"`).
pub fn metric_sum(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
