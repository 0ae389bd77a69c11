//! The shared HTTP plumbing against a real local HTTP server: reads retried, writes sent
//! once, deadlines honoured, and failures classified by whether the provider may have acted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use payorch_connector::http::{Idempotence, ProviderHttp, Timeouts};
use payorch_connector::{CallContext, ConnectorError, ConnectorId};

async fn server(hits: Arc<AtomicU32>) -> String {
    let flaky = hits.clone();
    let failing = hits.clone();
    let slow = hits.clone();
    let app = Router::new()
        .route(
            "/flaky",
            get(move || {
                let n = flaky.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        (StatusCode::SERVICE_UNAVAILABLE, "busy")
                    } else {
                        (StatusCode::OK, "{\"status\":\"OK\"}")
                    }
                }
            }),
        )
        .route(
            "/fail",
            post(move || {
                failing.fetch_add(1, Ordering::SeqCst);
                async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") }
            }),
        )
        .route(
            "/slow",
            post(move || {
                slow.fetch_add(1, Ordering::SeqCst);
                async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "late"
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn http(base: &str) -> ProviderHttp {
    let timeouts = Timeouts {
        connect: Duration::from_millis(500),
        total: Duration::from_secs(5),
        read_retries: 2,
    };
    ProviderHttp::new(ConnectorId::Cybersource, base, timeouts).unwrap()
}

fn ctx(timeout: Option<Duration>) -> CallContext {
    CallContext::new("test", timeout)
}

#[tokio::test]
async fn reads_are_retried_after_a_5xx() {
    let hits = Arc::new(AtomicU32::new(0));
    let base = server(hits.clone()).await;
    let http = http(&base);
    let url = http.url("/flaky");
    let response = http
        .send(&ctx(None), Idempotence::Read, "lookup", |c| {
            c.get(&url)
                .build()
                .map_err(|e| ConnectorError::NotSent(e.to_string()))
        })
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn writes_are_sent_once_and_a_5xx_leaves_the_outcome_unknown() {
    let hits = Arc::new(AtomicU32::new(0));
    let base = server(hits.clone()).await;
    let http = http(&base);
    let url = http.url("/fail");
    let err = http
        .send(&ctx(None), Idempotence::Write, "authorize", |c| {
            c.post(&url)
                .body("{}")
                .build()
                .map_err(|e| ConnectorError::NotSent(e.to_string()))
        })
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_callers_deadline_bounds_a_slow_write() {
    let hits = Arc::new(AtomicU32::new(0));
    let base = server(hits.clone()).await;
    let http = http(&base);
    let url = http.url("/slow");
    let started = Instant::now();
    let err = http
        .send(
            &ctx(Some(Duration::from_millis(300))),
            Idempotence::Write,
            "validate",
            |c| {
                c.post(&url)
                    .body("{}")
                    .build()
                    .map_err(|e| ConnectorError::NotSent(e.to_string()))
            },
        )
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unreachable_provider_was_not_sent_anything() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let http = http(&format!("http://127.0.0.1:{port}"));
    let url = http.url("/anything");
    let err = http
        .send(&ctx(None), Idempotence::Write, "authorize", |c| {
            c.post(&url)
                .build()
                .map_err(|e| ConnectorError::NotSent(e.to_string()))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::NotSent(_)), "{err:?}");
}

#[tokio::test]
async fn a_spent_deadline_sends_nothing() {
    let hits = Arc::new(AtomicU32::new(0));
    let base = server(hits.clone()).await;
    let http = http(&base);
    let url = http.url("/fail");
    let err = http
        .send(
            &ctx(Some(Duration::ZERO)),
            Idempotence::Write,
            "authorize",
            |c| {
                c.post(&url)
                    .build()
                    .map_err(|e| ConnectorError::NotSent(e.to_string()))
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::NotSent(_)), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[test]
fn host_is_the_base_urls_authority() {
    let http = http("http://127.0.0.1:8090/cybersource");
    assert_eq!(http.host(), "127.0.0.1:8090");
    assert_eq!(
        http.url("/pts/v2/payments"),
        "http://127.0.0.1:8090/cybersource/pts/v2/payments"
    );
}
