//! Redis lost mid-call after the provider acted: the caller is told the outcome is decided
//! but not yet stored (UNAVAILABLE, OUTCOME_NOT_STORED), not "nothing was written"; the
//! replica keeps the provider's answer and writes it when Redis returns (AOF: nothing
//! else is lost), and the retry with the same idempotency key gets that answer. The provider
//! acted once.
//! The matrix case crashes Redis under all eight state-changing RPCs on all four connectors
//! at once and prints how long after the restart each record was final.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use payorch::api::{self, AuthenticationStatus as AS, FlowPreference, PaymentStatus as PS};
use payorch_store::testing::RedisServer;
use support::chaos::{self, provider_calls};
use support::flows;
use support::reason;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_the_store_missed_is_kept_and_replayed() {
    let mut redis = RedisServer::start_persistent();
    let mut settings = support::redis_settings(&redis.url());
    settings.merchants[0].connectors = vec!["cybersource".into()];
    let payorch = support::start(settings).await;
    let sandbox = payorch.sandbox_addr.unwrap();
    let http = reqwest::Client::new();
    let arm = |fault: &'static str| {
        let http = http.clone();
        async move {
            http.put(format!("http://{sandbox}/_sandbox/faults"))
                .json(&serde_json::json!({"connector": "cybersource", "fault": fault, "count": 1}))
                .send()
                .await
                .unwrap();
        }
    };
    let calls = |op: &'static str| {
        let http = http.clone();
        async move {
            let body: serde_json::Value = http
                .get(format!("http://{sandbox}/_sandbox/calls"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["cybersource"][op].as_u64().unwrap_or(0)
        }
    };
    let mut auth = support::authentications(payorch.grpc_addr).await;
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let otp: serde_json::Value = http
        .get(format!(
            "http://{sandbox}/_sandbox/otp/cybersource/{}",
            started.provider_reference
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let submit = flows::submit(&started, otp["otp"].as_str().unwrap());

    // SubmitOtp: Redis dies while the provider validates.
    arm("latency=1500ms").await;
    let mut client = auth.clone();
    let request = submit.clone();
    let call = tokio::spawn(async move { client.submit_otp(request).await });
    // In flight (or already answered: then the assertions below say what it answered).
    assert!(
        support::eventually(Duration::from_secs(5), || async {
            call.is_finished() || support::provider_holds_a_call(sandbox, "cybersource").await
        })
        .await
    );
    redis.crash();
    let refused = call.await.unwrap().unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(reason(&refused), "OUTCOME_NOT_STORED", "{refused:?}");
    redis.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let replayed = loop {
        match auth.submit_otp(submit.clone()).await {
            Ok(answer) => break answer.into_inner(),
            Err(status) => {
                assert!(
                    matches!(status.code(), Code::Aborted | Code::Unavailable),
                    "{status:?}"
                );
                assert!(
                    std::time::Instant::now() < deadline,
                    "no answer: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };

    assert_eq!(replayed.status(), AS::Succeeded, "{replayed:?}");
    assert_eq!(calls("validation").await, 1, "the provider validated once");

    // Authorize: the same, and the payment's answer is the stored one.
    arm("latency=1500ms").await;
    let authorize = flows::authorize(&replayed, true);
    let mut payments = support::payments(payorch.grpc_addr).await;
    let mut client = payments.clone();
    let request = authorize.clone();
    let call = tokio::spawn(async move { client.authorize(request).await });
    // In flight (or already answered: then the assertions below say what it answered).
    assert!(
        support::eventually(Duration::from_secs(5), || async {
            call.is_finished() || support::provider_holds_a_call(sandbox, "cybersource").await
        })
        .await
    );
    redis.crash();
    let refused = call.await.unwrap().unwrap_err();
    assert_eq!(reason(&refused), "OUTCOME_NOT_STORED", "{refused:?}");
    redis.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let payment = loop {
        match payments.authorize(authorize.clone()).await {
            Ok(answer) => break answer.into_inner(),
            Err(status) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no answer: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(payment.status(), PS::Captured);
    assert_eq!(
        calls("authorization").await,
        1,
        "the provider authorized once"
    );
    let read = payments
        .get_payment(api::GetPaymentRequest {
            id: replayed.id.replacen("auth_", "pay_", 1),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.status(), PS::Captured, "stored, not only replayed");
}

/// Redis crashes while all eight state-changing RPCs on all four connectors wait for their
/// providers (each provider holds the call 2 s, then acts), and comes back from its
/// append-only file after every provider acted. Nothing stored is lost; every answer kept
/// while Redis was away is written when it returns; every record is final within the
/// resolver's horizon with the provider's outcome; no provider write is repeated; each retry
/// with the same key answers the stored outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_crashed_and_restarted_mid_run_loses_nothing() {
    let mut redis = RedisServer::start_persistent();
    let mut settings = support::redis_settings(&redis.url());
    chaos::fast_resolver(&mut settings);
    let payorch = support::start(settings).await;
    let sandbox = payorch.sandbox_addr.unwrap();
    let mut prepared = Vec::new();
    for connector in chaos::CONNECTORS {
        prepared.push(chaos::prepare(payorch.grpc_addr, sandbox, connector).await);
    }
    let before_ids = chaos::records(&redis);
    let calls = chaos::all_calls(&prepared);

    chaos::faults(sandbox, Some("latency=2s")).await;
    let before = provider_calls(sandbox).await;
    let pending = chaos::fire(payorch.grpc_addr, &calls, Duration::from_secs(10)).await;
    // Every call has claimed its record (and created it, for StartAuthentication and
    // Authorize) and waits for its provider.
    let created = |ids: &(Vec<String>, Vec<String>)| {
        ids.0.len() == before_ids.0.len() + chaos::CONNECTORS.len()
            && ids.1.len() == before_ids.1.len() + chaos::CONNECTORS.len()
    };
    assert!(
        support::eventually(Duration::from_secs(5), || async {
            created(&chaos::records(&redis))
        })
        .await,
        "every StartAuthentication and Authorize created its record"
    );
    {
        let store = support::redis_store(&redis).await;
        let targets = chaos::targets(&store, &redis, &before_ids, &calls).await;
        let claimed = support::eventually(Duration::from_secs(5), || async {
            for target in &targets {
                if !chaos::standing(&store, target.kind, &target.id).await.1 {
                    return false;
                }
            }
            true
        })
        .await;
        assert!(claimed, "every call claimed its record");
    }
    assert_eq!(
        provider_calls(sandbox).await,
        before,
        "no provider has acted yet"
    );
    redis.crash();

    let mut firsts = Vec::new();
    for (task, (connector, call)) in pending.into_iter().zip(&calls) {
        let answer = tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .unwrap_or_else(|_| panic!("{connector} {} never answered", call.name()))
            .unwrap();
        let status = answer
            .as_ref()
            .expect_err("an answer stored while Redis was down");
        assert_eq!(
            (status.code(), reason(status).as_str()),
            (Code::Unavailable, "OUTCOME_NOT_STORED"),
            "{connector} {}: {status:?}",
            call.name()
        );
        firsts.push(answer);
    }
    chaos::faults(sandbox, None).await;
    let at_crash = provider_calls(sandbox).await;
    redis.restart();
    let restarted_at = Instant::now();

    let after_ids = chaos::records(&redis);
    assert!(created(&after_ids), "{before_ids:?} -> {after_ids:?}");
    for id in before_ids.0.iter().chain(&before_ids.1) {
        assert!(
            after_ids.0.contains(id) || after_ids.1.contains(id),
            "{id} was lost"
        );
    }
    let store = support::redis_store(&redis).await;
    let targets = chaos::targets(&store, &redis, &before_ids, &calls).await;
    chaos::assert_settled(
        &store,
        &targets,
        restarted_at,
        Duration::from_secs(30),
        chaos::acted,
    )
    .await;
    chaos::assert_no_writes_since(sandbox, &at_crash).await;
    chaos::assert_retries_answer(payorch.grpc_addr, sandbox, &targets, &firsts, chaos::acted).await;
}

/// Redis down when payorch starts (a pod scheduled before its Redis): payorch stays up,
/// answers `/readyz` 503 and gRPC health NOT_SERVING, says why, and starts serving when Redis
/// comes up, without a restart. Exiting would crash-loop the pod.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_start_up_serves_not_ready_until_redis_answers() {
    let mut redis = RedisServer::start_persistent();
    redis.crash();
    let url = redis.url();
    let mut payorch = support::examples::Binary::spawn(&[
        ("REDIS_URL", url.as_str()),
        ("PAYORCH_ENCRYPTION__ACTIVE_KEY_ID", "k1"),
        ("PAYORCH_ENCRYPTION__KEYS__K1", support::ENCRYPTION_KEY),
    ]);
    payorch.wait_until_serving().await;
    assert_eq!(
        payorch.readyz().await,
        503,
        "{}",
        payorch.output().join("\n")
    );
    assert_eq!(
        support::health(payorch.grpc, "").await,
        tonic_health::pb::health_check_response::ServingStatus::NotServing as i32
    );
    assert!(
        payorch.child.try_wait().unwrap().is_none(),
        "payorch exited"
    );
    let output = payorch.output().join("\n");
    assert!(
        output.contains("Redis unreachable at start-up"),
        "does not say why it is not ready:\n{output}"
    );

    redis.restart();
    let serving = support::eventually(Duration::from_secs(15), || async {
        payorch.readyz().await == 200
    })
    .await;
    assert!(
        serving,
        "not ready after Redis came up:\n{}",
        payorch.output().join("\n")
    );
    let mut auth = support::authentications(payorch.grpc).await;
    let started = flows::start_seamless(&mut auth).await;
    assert_eq!(support::ids_in(&redis, "auth"), vec![started.id.clone()]);
}
