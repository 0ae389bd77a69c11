//! Real processes killed mid-call: a `payorch` replica (the real binary, on the same Redis
//! and the same provider sandbox as an in-process replica) is SIGKILLed while its calls wait
//! for the provider. The surviving replica's resolver settles every record it left open
//! within the horizon, with the provider's outcome; no state-changing provider call is made
//! twice; and the caller's retry with the same key, sent to the survivor, gets that outcome.
//!
//! The matrix case runs all eight state-changing RPCs on all four connectors at once, against
//! a provider that has acted and then never answers (the sandbox's `timeout` fault), and
//! prints how long after the kill each record settled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use payorch::api::FlowPreference;
use payorch_core::status::{AuthenticationStatus, FailureReason};
use payorch_store::SessionStore;
use payorch_store::testing::RedisServer;
use support::chaos::{self, provider_calls};
use support::flows;

struct Killable(Child);

impl Drop for Killable {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real binary as a second replica: Redis, no sandbox of its own, every connector
/// pointed at `sandbox`.
fn replica(
    redis: &RedisServer,
    sandbox: std::net::SocketAddr,
) -> (Killable, std::net::SocketAddr, std::net::SocketAddr) {
    let (grpc, http) = (support::free_addr(), support::free_addr());
    let mut command = Command::new(env!("CARGO_BIN_EXE_payorch"));
    command
        .env("REDIS_URL", redis.url())
        .env("PAYORCH_GRPC__LISTEN", grpc.to_string())
        .env("PAYORCH_HTTP__LISTEN", http.to_string())
        .env("PAYORCH_SANDBOX__EMBEDDED", "false")
        .env("PAYORCH_ENCRYPTION__ACTIVE_KEY_ID", "k1")
        .env("PAYORCH_ENCRYPTION__KEYS__K1", support::ENCRYPTION_KEY)
        .env("PAYORCH_RESOLVER__ENABLED", "false")
        .env("PAYORCH_RESOLVER__FIRST_CHECK_SECS", "1")
        // The lease its claims carry: the survivor recovers them after it.
        .env("PAYORCH_RESOLVER__STALE_CLAIM_SECS", "2")
        .env(
            "PAYORCH_MANDATES__LEAD_TIME_SECS",
            support::mandates::LEAD.as_secs().to_string(),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (connector, path) in [
        ("CYBERSOURCE", "cybersource"),
        ("FISERV-IPG", "fiserv-ipg"),
        ("JUSPAY", "juspay"),
        ("MPGS", "mpgs"),
    ] {
        command.env(
            format!("PAYORCH_CONNECTORS__{connector}__BASE_URL"),
            format!("http://{sandbox}/{path}"),
        );
    }
    (
        Killable(command.spawn().expect("spawn payorch")),
        grpc,
        http,
    )
}

async fn in_flight(http: std::net::SocketAddr, method: &str) -> bool {
    let Ok(answer) = reqwest::get(format!("http://{http}/metrics")).await else {
        return false;
    };
    let text = answer.text().await.unwrap_or_default();
    let prefix = format!("payorch_grpc_requests_in_flight{{method=\"{method}\"}}");
    text.lines()
        .any(|l| l.starts_with(&prefix) && l.ends_with(" 1"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_start_leaves_nothing_stuck() {
    let redis = RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    settings.resolver.tick_ms = 100;
    settings.resolver.first_check_secs = 1;
    settings.resolver.stale_claim_secs = 2;
    settings.resolver.horizon_secs = 6;
    let survivor = support::start(settings).await;
    let sandbox = survivor.sandbox_addr.unwrap();
    let (mut doomed, grpc, http) = replica(&redis, sandbox);
    let up = support::eventually(Duration::from_secs(20), || async {
        reqwest::get(format!("http://{http}/readyz"))
            .await
            .is_ok_and(|a| a.status().is_success())
    })
    .await;
    assert!(up, "the replica binary started");

    reqwest::Client::new()
        .put(format!("http://{sandbox}/_sandbox/faults"))
        .json(&serde_json::json!({"connector": "cybersource", "fault": "latency=10s", "count": 1}))
        .send()
        .await
        .unwrap();
    let call = tokio::spawn(async move {
        let mut auth = support::authentications(grpc).await;
        auth.start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
    });
    // In flight and its record written (the record is written before the provider is
    // called; the sandbox holds the call for 10 s).
    let waiting = support::eventually(Duration::from_secs(10), || async {
        in_flight(http, "StartAuthentication").await && support::ids_in(&redis, "auth").len() == 1
    })
    .await;
    assert!(waiting, "the call is with the provider");
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    assert!(
        call.await.unwrap().is_err(),
        "the caller saw the replica die"
    );

    let ids = support::ids_in(&redis, "auth");
    assert_eq!(ids.len(), 1, "{ids:?}");
    let store = support::redis_store(&redis).await;
    assert_eq!(
        store.get(&ids[0]).await.unwrap().unwrap().status,
        AuthenticationStatus::Pending,
        "the dead replica left its session PENDING"
    );
    let settled = support::eventually(Duration::from_secs(30), || async {
        store
            .get(&ids[0])
            .await
            .unwrap()
            .is_some_and(|s| s.is_terminal())
    })
    .await;
    assert!(
        settled,
        "the survivor's resolver settled it within the horizon"
    );
    let session = store.get(&ids[0]).await.unwrap().unwrap();
    assert_eq!(session.status, AuthenticationStatus::Failed);
    assert_eq!(session.failure_reason, Some(FailureReason::TimedOut));
    assert!(session.card.is_none(), "its card data is gone");
    let calls: serde_json::Value = reqwest::get(format!("http://{sandbox}/_sandbox/calls"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        calls["cybersource"]["enrollment"].as_u64().unwrap_or(0) <= 1,
        "the provider was never called twice: {calls}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_in_every_state_changing_call_leaves_nothing_stuck() {
    let redis = RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    chaos::fast_resolver(&mut settings);
    let survivor = support::start(settings).await;
    let sandbox = survivor.sandbox_addr.unwrap();
    let (mut doomed, grpc, http) = replica(&redis, sandbox);
    let mut prepared = Vec::new();
    for connector in chaos::CONNECTORS {
        prepared.push(chaos::prepare(survivor.grpc_addr, sandbox, connector).await);
    }
    let up = support::eventually(Duration::from_secs(20), || async {
        reqwest::get(format!("http://{http}/readyz"))
            .await
            .is_ok_and(|a| a.status().is_success())
    })
    .await;
    assert!(up, "the replica binary started");
    let before_ids = chaos::records(&redis);

    // Every provider processes and then never answers: each call is with the provider, which
    // has acted, when the replica dies.
    chaos::faults(sandbox, Some("timeout")).await;
    let before = provider_calls(sandbox).await;
    let calls = chaos::all_calls(&prepared);
    let answers = chaos::fire(grpc, &calls, Duration::from_secs(10)).await;
    let total = |m: &std::collections::BTreeMap<String, u64>| m.values().sum::<u64>();
    let reached = support::eventually(Duration::from_secs(20), || async {
        total(&provider_calls(sandbox).await) >= total(&before) + calls.len() as u64
    })
    .await;
    let during = provider_calls(sandbox).await;
    assert!(
        reached,
        "every call reached its provider: before {before:?}, now {during:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    let killed_at = std::time::Instant::now();
    let mut firsts = Vec::new();
    for answer in answers {
        let answer = answer.await.unwrap();
        assert!(answer.is_err(), "a call outlived its replica");
        firsts.push(answer);
    }
    chaos::faults(sandbox, None).await;
    let at_kill = provider_calls(sandbox).await;

    let store = support::redis_store(&redis).await;
    let targets = chaos::targets(&store, &redis, &before_ids, &calls).await;
    // Within the horizon every record is settled, by the survivor, with the provider's outcome;
    // the resolver only read; the caller's retry gets the outcome.
    chaos::assert_settled(
        &store,
        &targets,
        killed_at,
        Duration::from_secs(30),
        chaos::acted,
    )
    .await;
    chaos::assert_no_writes_since(sandbox, &at_kill).await;
    chaos::assert_retries_answer(survivor.grpc_addr, sandbox, &targets, &firsts, chaos::acted)
        .await;
}

/// A replica killed while its mandate debit waits for the provider (which has debited and
/// never answers): the survivor's resolver reads the debit back, the mandate counts it, and
/// the card was debited once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_debit_leaves_the_mandate_counting_one_debit() {
    use support::mandates::{LEAD, active_on, charge, get, notified, until_due};

    let redis = RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    chaos::fast_resolver(&mut settings);
    settings.mandates.lead_time_secs = LEAD.as_secs();
    settings.sandbox.si_intimation_lead_secs = Some(LEAD.as_secs() - 1);
    let survivor = support::start(settings).await;
    let sandbox = survivor.sandbox_addr.unwrap();
    let (mut doomed, grpc, http) = replica(&redis, sandbox);
    let up = support::eventually(Duration::from_secs(20), || async {
        reqwest::get(format!("http://{http}/readyz"))
            .await
            .is_ok_and(|a| a.status().is_success())
    })
    .await;
    assert!(up, "the replica binary started");

    let mut mandates = support::mandates(survivor.grpc_addr).await;
    let active = active_on(survivor.grpc_addr, sandbox, support::mandates::terms(3)).await;
    let notice = notified(&mut mandates, &active, 40_000).await;
    until_due(&notice).await;
    chaos::faults(sandbox, Some("timeout")).await;
    let request = charge(&active, &notice);
    let sent = request.clone();
    let call =
        tokio::spawn(async move { support::mandates(grpc).await.charge_mandate(sent).await });
    let waiting = support::eventually(Duration::from_secs(10), || async {
        in_flight(http, "ChargeMandate").await && support::ids_in(&redis, "pay").len() == 1
    })
    .await;
    assert!(waiting, "the debit is with the provider");
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    chaos::faults(sandbox, None).await;
    assert!(
        call.await.unwrap().is_err(),
        "the caller saw the replica die"
    );

    let counted = support::eventually(Duration::from_secs(30), || async {
        get(&mut support::mandates(survivor.grpc_addr).await, &active.id)
            .await
            .completed_count
            == 1
    })
    .await;
    assert!(
        counted,
        "the survivor settled the debit and the mandate counts it"
    );
    let calls = provider_calls(sandbox).await;
    assert_eq!(
        calls.get("cybersource/authorization").copied().unwrap_or(0),
        1,
        "one debit: {calls:?}"
    );
    // The caller's retry, on the survivor, debits nothing more.
    let retried = mandates.charge_mandate(request).await;
    assert!(
        retried
            .as_ref()
            .is_ok_and(|p| p.get_ref().status() == payorch::api::PaymentStatus::Captured)
            || retried
                .as_ref()
                .is_err_and(|s| s.code() == tonic::Code::FailedPrecondition),
        "{retried:?}"
    );
    assert_eq!(
        provider_calls(sandbox)
            .await
            .get("cybersource/authorization")
            .copied()
            .unwrap_or(0),
        1
    );
}
