//! Draining: after a shutdown request readiness answers 503 (the HTTP listener stays up) while
//! in-flight calls finish; calls that outlive the grace period make the stop an error (the
//! process exits non-zero) instead of a silent success, and hand their records to the
//! resolver so another replica settles them at once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use payorch::api::{AuthenticationStatus as AS, FlowPreference};
use payorch_store::SessionStore;
use support::flows::{self, Stack};
use support::matrix::CYBERSOURCE;

async fn in_flight_start(stack: &Stack) -> tokio::task::JoinHandle<Result<AS, tonic::Status>> {
    let mut auth = stack.auth().await;
    let call = tokio::spawn(async move {
        auth.start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .map(|a| a.into_inner().status())
    });
    // The armed latency holds the call at the provider.
    let arrived = support::eventually(Duration::from_secs(5), || {
        support::provider_holds_a_call(stack.sandbox, stack.connector)
    })
    .await;
    assert!(arrived, "the call is in flight");
    call
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_503_while_draining_and_a_cut_drain_is_an_error() {
    let stack = Stack::start(&CYBERSOURCE).await;
    stack.arm_fault("latency=2s", 1).await;
    let call = in_flight_start(&stack).await;
    let http = stack.payorch.http_addr;
    let trigger = stack.payorch.shutdown_trigger();
    trigger.send(true).unwrap();
    let readyz = format!("http://{http}/readyz");
    let draining = support::eventually(Duration::from_secs(2), || async {
        matches!(reqwest::get(&readyz).await, Ok(answer) if answer.status() == 503)
    })
    .await;
    assert!(draining, "readiness must answer 503 while calls drain");
    assert_eq!(
        call.await.unwrap().unwrap(),
        AS::OtpRequired,
        "the call finished"
    );
    // In the same test: the in-flight gauge is process-wide.
    calls_outliving_the_grace_period_make_the_stop_an_error().await;
}

async fn calls_outliving_the_grace_period_make_the_stop_an_error() {
    let redis = payorch_store::testing::RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    settings.merchants[0].connectors = vec!["cybersource".into()];
    settings.shutdown_grace_secs = 1;
    let payorch = support::start(settings).await;
    let sandbox = payorch.sandbox_addr.unwrap();
    let http = reqwest::Client::new();
    http.put(format!("http://{sandbox}/_sandbox/faults"))
        .json(&serde_json::json!({"connector": "cybersource", "fault": "latency=4s", "count": 1}))
        .send()
        .await
        .unwrap();
    let mut auth = support::authentications(payorch.grpc_addr).await;
    let _call = tokio::spawn(async move {
        auth.start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
    });
    let metrics = format!("http://{}/metrics", payorch.http_addr);
    let in_flight = support::eventually(Duration::from_secs(5), || async {
        let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
        text.lines().any(|l| {
            l.starts_with("payorch_grpc_requests_in_flight{method=\"StartAuthentication\"}")
                && l.ends_with(" 1")
        })
    })
    .await;
    assert!(in_flight, "the call is in flight");
    let stopped = payorch.shutdown().await;
    assert!(
        stopped.is_err(),
        "a drain cut short must not report success"
    );

    // The call it cut was handed to the resolver: UNKNOWN, its lease ended, due now.
    let store = support::redis_store(&redis).await;
    let ids = support::ids_in(&redis, "auth");
    assert_eq!(ids.len(), 1, "{ids:?}");
    let handed = store.get(&ids[0]).await.unwrap().unwrap();
    assert_eq!(
        handed.status,
        payorch_core::status::AuthenticationStatus::Unknown
    );
    assert_eq!(
        handed.provider_status.as_ref().unwrap().code,
        "REPLICA_STOPPED"
    );
    let claim = handed.claim.as_ref().expect("the claim says who held it");
    assert!(!claim.owner.is_empty());
    assert_eq!(
        claim.lease_until_ms, 0,
        "the lease was ended by the hand-over"
    );

    // Another replica settles it at once, although claims there last ten minutes: the
    // provider never finished the call, so past the (short) horizon it is not processed.
    let mut settings = support::redis_settings(&redis.url());
    settings.merchants[0].connectors = vec!["cybersource".into()];
    settings.sandbox.embedded = false;
    settings.connectors.point_at_sandbox(sandbox);
    settings.resolver.tick_ms = 100;
    settings.resolver.stale_claim_secs = 600;
    settings.resolver.horizon_secs = 2;
    let next = support::start(settings).await;
    let settled = support::eventually(Duration::from_secs(15), || async {
        store.get(&ids[0]).await.unwrap().is_some_and(|s| {
            use payorch_core::status::AuthenticationStatus::{Failed, OtpRequired};
            matches!(s.status, Failed | OtpRequired)
        })
    })
    .await;
    let status = store.get(&ids[0]).await.unwrap().unwrap().status;
    assert!(
        settled,
        "settled without waiting for a lease, got {status:?}"
    );
    drop(next);
}

/// The same through the real binary and a real SIGTERM, as Kubernetes stops a pod: while a
/// call waits for its provider, `/readyz` answers 503 (it does not refuse connections), and
/// when the call outlives the grace period the process exits non-zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_turns_readiness_red_and_a_cut_drain_exits_non_zero() {
    let mut payorch = support::examples::Binary::spawn(&[("PAYORCH_SHUTDOWN_GRACE_SECS", "2")]);
    payorch.wait_until_serving().await;
    reqwest::Client::new()
        .put(format!("http://{}/_sandbox/faults", payorch.sandbox))
        .json(&serde_json::json!({"fault": "latency=20s"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let grpc = payorch.grpc;
    let call = tokio::spawn(async move {
        support::authentications(grpc)
            .await
            .start_authentication(flows::start_request(
                flows::SEAMLESS,
                FlowPreference::Seamless,
            ))
            .await
    });
    let metrics = format!("http://{}/metrics", payorch.http);
    let waiting = support::eventually(Duration::from_secs(10), || async {
        let text = match reqwest::get(&metrics).await {
            Ok(answer) => answer.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        text.lines().any(|l| {
            l.starts_with("payorch_grpc_requests_in_flight{method=\"StartAuthentication\"}")
                && l.ends_with(" 1")
        })
    })
    .await;
    assert!(waiting, "the call is with the provider");

    let pid = payorch.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let readyz = format!("http://{}/readyz", payorch.http);
    let red = support::eventually(Duration::from_secs(2), || async {
        matches!(reqwest::get(&readyz).await, Ok(answer) if answer.status() == 503)
    })
    .await;
    assert!(red, "readiness must answer 503 while the call drains");

    let exited = support::eventually(Duration::from_secs(15), || {
        let done = matches!(payorch.child.try_wait(), Ok(Some(_)));
        async move { done }
    })
    .await;
    assert!(exited, "payorch did not stop after its grace period");
    let status = payorch.child.wait().unwrap();
    assert!(
        !status.success(),
        "a drain cut short must exit non-zero, got {status:?}:\n{}",
        payorch.output().join("\n")
    );
    assert!(call.await.unwrap().is_err(), "the cut call got no success");
}
