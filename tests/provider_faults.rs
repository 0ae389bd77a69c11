//! Each provider fault on each state-changing RPC, on all four connectors at once: the
//! sandbox times out after acting, answers 503 without acting, sends broken JSON or drops
//! the connection after acting, or answers after the caller's deadline. Every call answers
//! (never hangs, never INTERNAL); every record is decided within the resolver's horizon,
//! with the provider's outcome; no provider write is repeated, by the flows, the resolver or
//! the caller's retry; the retry with the same key answers what the first call answered, or
//! (when the caller gave up first) the stored answer of the work it left running.
//! Real gRPC, a real redis-server, the sandbox over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use payorch_sandbox::SandboxConfig;
use payorch_store::testing::RedisServer;
use support::chaos::{self, Call, provider_calls};
use tonic::Code;

async fn provider_misbehaves(
    fault: &str,
    deadline: Duration,
    expected: fn(&Call) -> &'static [&'static str],
) {
    let redis = RedisServer::start();
    let sandbox = payorch_sandbox::spawn(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            timeout_hold: Duration::from_secs(3),
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap();
    let mut settings = support::redis_settings(&redis.url());
    settings.sandbox.embedded = false;
    settings.connectors.point_at_sandbox(sandbox);
    chaos::fast_resolver(&mut settings);
    let payorch = support::start(settings).await;
    let mut prepared = Vec::new();
    for connector in chaos::CONNECTORS {
        prepared.push(chaos::prepare(payorch.grpc_addr, sandbox, connector).await);
    }
    let before_ids = chaos::records(&redis);
    let calls = chaos::all_calls(&prepared);

    chaos::faults(sandbox, Some(fault)).await;
    let before = provider_calls(sandbox).await;
    let fired_at = Instant::now();
    let pending = chaos::fire(payorch.grpc_addr, &calls, deadline).await;
    let mut answers = Vec::new();
    for (task, (connector, call)) in pending.into_iter().zip(&calls) {
        let answer = tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .unwrap_or_else(|_| panic!("{connector} {} never answered", call.name()))
            .unwrap();
        if let Err(status) = &answer {
            assert!(
                matches!(
                    status.code(),
                    Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Aborted
                ),
                "{connector} {} under {fault}: {status:?}",
                call.name()
            );
        }
        answers.push(answer);
    }
    chaos::faults(sandbox, None).await;
    let during = provider_calls(sandbox).await;
    assert_each_write_at_most_once(&before, &during, fault);

    let store = support::redis_store(&redis).await;
    let targets = chaos::targets(&store, &redis, &before_ids, &calls).await;
    chaos::assert_settled(
        &store,
        &targets,
        Instant::now(),
        Duration::from_secs(30),
        expected,
    )
    .await;
    // A provider holding a request (latency) would act once the hold ends: wait it out, so a
    // late write would be counted. A negative cannot be polled for; this is the one wait.
    tokio::time::sleep_until((fired_at + Duration::from_secs(4)).into()).await;
    chaos::assert_no_writes_since(sandbox, &during).await;

    chaos::assert_retries_answer(payorch.grpc_addr, sandbox, &targets, &answers, expected).await;
}

/// Under the fault, each RPC made at most one provider write (eight RPCs per connector).
fn assert_each_write_at_most_once(
    before: &BTreeMap<String, u64>,
    during: &BTreeMap<String, u64>,
    fault: &str,
) {
    for connector in chaos::CONNECTORS {
        let writes: u64 = during
            .iter()
            .filter(|(op, _)| op.starts_with(&format!("{connector}/")) && !chaos::reads(op))
            .map(|(op, n)| n - before.get(op).copied().unwrap_or(0))
            .sum();
        assert!(
            writes <= 8,
            "{connector} made {writes} writes for 8 calls under {fault}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_acts_then_times_out() {
    provider_misbehaves("timeout", Duration::from_secs(10), chaos::acted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_acts_then_sends_broken_json() {
    provider_misbehaves("malformed", Duration::from_secs(10), chaos::acted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_acts_then_drops_the_connection() {
    provider_misbehaves("drop", Duration::from_secs(10), chaos::acted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_answers_503_without_acting() {
    provider_misbehaves("status=503", Duration::from_secs(10), chaos::not_acted).await;
}

/// The caller's deadline (1 s) passes while the provider waits (3 s) before acting: payorch
/// carries the deadline to the provider call and closes it, the provider never acts, and
/// every record is decided as not processed (and stays so: no write arrives later).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_slower_than_the_callers_deadline() {
    provider_misbehaves("latency=3s", Duration::from_secs(1), chaos::not_acted).await;
}
