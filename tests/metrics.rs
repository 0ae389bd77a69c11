//! `/metrics` renders Prometheus histograms (with `_bucket` lines, not summaries) for RPC
//! latency, payorch's own time and provider calls, and answers carry payorch's own time in
//! the `payorch-own-time-us` header. A real gRPC flow against the embedded sandbox on Redis.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Instant;

use payorch::api::{self, AuthenticationStatus as AS, FlowPreference};
use support::flows::{self, Stack};
use support::matrix::MPGS;

const OWN_TIME: &str = "payorch-own-time-us";

/// The lines of a metric whose name and labels start as given.
fn lines<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// The value of the single sample line that starts with `prefix`.
fn value(text: &str, prefix: &str) -> f64 {
    let found = lines(text, prefix);
    assert_eq!(found.len(), 1, "{prefix}: {found:?}");
    found[0].rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn histograms_and_own_time_after_a_real_flow() {
    let stack = Stack::start(&MPGS).await;
    let mut auth = stack.auth().await;

    // CheckEligibility calls MPGS in the handler's own task: its own time excludes that call.
    let eligibility = auth
        .check_eligibility(api::CheckEligibilityRequest {
            merchant_id: "demo".into(),
            payment_method: Some(flows::card(flows::SEAMLESS)),
            amount: flows::inr(10000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(eligibility.metadata().get(OWN_TIME).is_some());

    let began = Instant::now();
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap();
    let wall = began.elapsed();
    let own_us: u128 = started
        .metadata()
        .get(OWN_TIME)
        .expect("StartAuthentication carries payorch-own-time-us")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        own_us < wall.as_micros(),
        "own time {own_us} µs, call took {wall:?}"
    );
    let started = started.into_inner();
    assert_eq!(started.status(), AS::OtpRequired, "{started:?}");

    let otp = stack.otp(&started).await;
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap();
    assert!(done.metadata().get(OWN_TIME).is_some());
    assert_eq!(done.into_inner().status(), AS::Succeeded);
    let paid = stack
        .payments()
        .await
        .authorize(flows::authorize(&started, true))
        .await
        .unwrap();
    assert!(paid.metadata().get(OWN_TIME).is_some());

    let text = stack.metrics().await;
    assert!(!text.contains("quantile="), "summaries rendered:\n{text}");
    for method in [
        "CheckEligibility",
        "StartAuthentication",
        "SubmitOtp",
        "Authorize",
    ] {
        for metric in [
            "payorch_grpc_request_duration_seconds",
            "payorch_grpc_own_duration_seconds",
        ] {
            let buckets = lines(&text, &format!("{metric}_bucket{{method=\"{method}\",le="));
            assert!(buckets.len() > 10, "{metric} {method}:\n{text}");
            assert!(
                buckets.iter().any(|l| l.contains("le=\"+Inf\"} 1")),
                "{metric} {method}: {buckets:?}"
            );
        }
    }
    let provider = lines(
        &text,
        "payorch_provider_request_duration_seconds_bucket{connector=\"mpgs\",",
    );
    for operation in ["authenticate_payer", "pay"] {
        let ok = format!("operation=\"{operation}\",outcome=\"ok\",le=\"+Inf\"}}");
        assert!(
            provider.iter().any(|l| l.contains(&ok)),
            "no {ok}:\n{provider:#?}"
        );
    }
    assert!(
        provider.iter().any(|l| l.contains("le=\"0.001\"")),
        "{provider:#?}"
    );

    // The eligibility call's provider time is not payorch's own.
    let total = value(
        &text,
        "payorch_grpc_request_duration_seconds_sum{method=\"CheckEligibility\"}",
    );
    let own = value(
        &text,
        "payorch_grpc_own_duration_seconds_sum{method=\"CheckEligibility\"}",
    );
    assert!(own < total, "own {own} s of {total} s");
}
