//! The README's run command, as a newcomer runs it: the real `payorch` binary with no
//! arguments embeds the provider sandbox, answers gRPC health SERVING, lists the three services over reflection (v1 and
//! v1alpha), serves /healthz, /readyz and /metrics, and drains on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio_stream::StreamExt;
use tonic_reflection::pb::v1::ServerReflectionRequest as ReflectionV1;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient as ClientV1;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest as RequestV1;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse as ResponseV1;
use tonic_reflection::pb::v1alpha::ServerReflectionRequest as ReflectionV1Alpha;
use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as ClientV1Alpha;
use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as RequestV1Alpha;
use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as ResponseV1Alpha;

const SERVICES: [&str; 3] = [
    "payorch.v1.AuthenticationService",
    "payorch.v1.PaymentService",
    "payorch.v1.MandateService",
];

struct Payorch(Child);

impl Drop for Payorch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(
    grpc: std::net::SocketAddr,
    http: std::net::SocketAddr,
    sandbox: std::net::SocketAddr,
) -> Payorch {
    let child = Command::new(env!("CARGO_BIN_EXE_payorch"))
        .env("PAYORCH_GRPC__LISTEN", grpc.to_string())
        .env("PAYORCH_HTTP__LISTEN", http.to_string())
        .env("PAYORCH_SANDBOX__LISTEN", sandbox.to_string())
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn payorch");
    Payorch(child)
}

async fn list_v1(addr: std::net::SocketAddr) -> Vec<String> {
    let mut client = ClientV1::new(support::channel(addr).await);
    let request = ReflectionV1 {
        host: String::new(),
        message_request: Some(RequestV1::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1")
        .into_inner();
    match stream.next().await {
        Some(Ok(reply)) => match reply.message_response {
            Some(ResponseV1::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection answer {other:?}"),
        },
        other => panic!("no reflection answer: {other:?}"),
    }
}

async fn list_v1alpha(addr: std::net::SocketAddr) -> Vec<String> {
    let mut client = ClientV1Alpha::new(support::channel(addr).await);
    let request = ReflectionV1Alpha {
        host: String::new(),
        message_request: Some(RequestV1Alpha::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1alpha")
        .into_inner();
    match stream.next().await {
        Some(Ok(reply)) => match reply.message_response {
            Some(ResponseV1Alpha::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection answer {other:?}"),
        },
        other => panic!("no reflection answer: {other:?}"),
    }
}

async fn get_sandbox(
    client: &reqwest::Client,
    sandbox: std::net::SocketAddr,
    path: &str,
) -> Vec<serde_json::Value> {
    client
        .get(format!("http://{sandbox}{path}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_binary_serves_health_reflection_and_http_then_drains_on_sigterm() {
    let (grpc, http, sandbox) = (
        support::free_addr(),
        support::free_addr(),
        support::free_addr(),
    );
    let mut payorch = spawn(grpc, http, sandbox);

    let up = support::eventually(Duration::from_secs(30), || async {
        tonic::transport::Endpoint::from_shared(format!("http://{grpc}"))
            .unwrap()
            .connect()
            .await
            .is_ok()
    })
    .await;
    assert!(up, "payorch did not listen on {grpc}");
    let serving = support::eventually(Duration::from_secs(10), || async {
        support::health(grpc, "").await == 1
    })
    .await;
    assert!(serving, "gRPC health never answered SERVING");
    assert_eq!(
        support::health(grpc, "payorch.v1.AuthenticationService").await,
        1
    );

    for listing in [list_v1(grpc).await, list_v1alpha(grpc).await] {
        for service in SERVICES {
            assert!(
                listing.iter().any(|s| s == service),
                "{service} not in {listing:?}"
            );
        }
        assert!(
            listing.iter().any(|s| s == "grpc.health.v1.Health"),
            "{listing:?}"
        );
    }

    let http_client = reqwest::Client::new();
    let get = |path: &str| http_client.get(format!("http://{http}{path}")).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.is_empty() || metrics.contains("payorch_"),
        "{metrics}"
    );

    // The embedded sandbox serves its test card catalogue.
    let cards: Vec<serde_json::Value> = get_sandbox(&http_client, sandbox, "/_sandbox/cards").await;
    assert!(cards.len() >= 9, "{cards:?}");
    assert!(
        cards
            .iter()
            .all(|c| c["number"].as_str().is_some_and(|n| n.len() >= 12))
    );

    // One RPC later the request counter shows it.
    let mut auth = support::authentications(grpc).await;
    let _ = auth
        .get_authentication(payorch::api::GetAuthenticationRequest {
            id: "auth_0123456789abcdef0123456789abcdef".into(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await;
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(
            "payorch_grpc_requests_total{method=\"GetAuthentication\",code=\"NotFound\"} 1"
        ),
        "{metrics}"
    );

    let pid = payorch.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let exited = support::eventually(Duration::from_secs(10), || {
        let done = matches!(payorch.0.try_wait(), Ok(Some(_)));
        async move { done }
    })
    .await;
    assert!(exited, "payorch did not stop within 10 s of SIGTERM");
    let status = payorch.0.wait().unwrap();
    assert!(
        status.success(),
        "payorch exited with {status:?} after SIGTERM"
    );
}
