//! A sequential unary call on loopback answers in about a millisecond, not after the
//! client's delayed ACK (about 40 ms, when accepted sockets keep Nagle's algorithm). The
//! bound is generous so it never flakes on a loaded machine: the point is 40 ms against 1 ms.
//! Throughput and percentiles are the benchmark's job, not a test's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use payorch::api::{FlowPreference, GetAuthenticationRequest};
use support::flows;

const CALLS: usize = 25;
const MEDIAN_BOUND: Duration = Duration::from_millis(15);

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_unary_calls_do_not_wait_for_delayed_acks() {
    let mut settings = support::settings();
    settings.merchants[0].connectors = vec!["cybersource".into()];
    let payorch = support::start(settings).await;
    let mut auth = support::authentications(payorch.grpc_addr).await;
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let request = GetAuthenticationRequest {
        id: started.id.clone(),
        refresh: false,
        merchant_id: "demo".into(),
    };
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let began = Instant::now();
        auth.get_authentication(request.clone()).await.unwrap();
        samples.push(began.elapsed());
    }
    let grpc = median(samples);
    assert!(grpc < MEDIAN_BOUND, "median gRPC call took {grpc:?}");

    let http = reqwest::Client::new();
    let url = format!("http://{}/healthz", payorch.http_addr);
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let began = Instant::now();
        let answer = http.get(&url).send().await.unwrap();
        assert!(answer.status().is_success());
        answer.text().await.unwrap();
        samples.push(began.elapsed());
    }
    let healthz = median(samples);
    assert!(healthz < MEDIAN_BOUND, "median HTTP call took {healthz:?}");
    payorch.shutdown().await.unwrap();
}
