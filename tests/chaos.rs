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

use payorch::api::{self, FlowPreference};
use payorch_core::status::{AuthenticationStatus, FailureReason};
use payorch_store::testing::RedisServer;
use payorch_store::{CardCipher, Lifetimes, RedisStore, RedisTopology, SessionStore};
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

fn sessions_in(redis: &RedisServer) -> Vec<String> {
    let out = Command::new("redis-cli")
        .args([
            "-p",
            &redis.port().to_string(),
            "--scan",
            "--pattern",
            "payorch:{auth:*",
        ])
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|key| {
            key.strip_prefix("payorch:{auth:")
                .and_then(|k| k.strip_suffix('}'))
                .map(str::to_owned)
        })
        .collect()
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
    let waiting = support::eventually(Duration::from_secs(10), || {
        in_flight(http, "StartAuthentication")
    })
    .await;
    assert!(waiting, "the call is with the provider");
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    assert!(
        call.await.unwrap().is_err(),
        "the caller saw the replica die"
    );

    let ids = sessions_in(&redis);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let cipher = CardCipher::from_base64_keys("k1", [("k1", support::ENCRYPTION_KEY)]).unwrap();
    let store = RedisStore::connect(
        &RedisTopology::Single(redis.url()),
        cipher,
        Lifetimes::default(),
    )
    .await
    .unwrap();
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

/// One connector's records, prepared through the survivor before the kill, and the calls
/// the doomed replica was making on them when it died.
struct Prepared {
    connector: &'static str,
    submit: (api::Authentication, String),
    resend: api::Authentication,
    redirect: (api::Authentication, Vec<(String, String)>),
    authorize: api::Authentication,
    capture: api::Payment,
    void: api::Payment,
    refund: api::Payment,
}

/// A call fired at the doomed replica, kept so that the caller's retry (same key, same
/// request) can be sent to the survivor afterwards.
#[derive(Clone)]
enum Call {
    Start(api::StartAuthenticationRequest),
    Submit(api::SubmitOtpRequest),
    Resend(api::ResendOtpRequest),
    Redirect(api::CompleteRedirectRequest),
    Authorize(api::AuthorizeRequest),
    Capture(api::CaptureRequest),
    Void(api::VoidRequest),
    Refund(api::RefundRequest),
}

/// What a call's answer says: the record it is about and its status name.
#[derive(Debug, PartialEq)]
struct Outcome {
    id: String,
    status: String,
}

impl Call {
    fn name(&self) -> &'static str {
        match self {
            Call::Start(_) => "StartAuthentication",
            Call::Submit(_) => "SubmitOtp",
            Call::Resend(_) => "ResendOtp",
            Call::Redirect(_) => "CompleteRedirect",
            Call::Authorize(_) => "Authorize",
            Call::Capture(_) => "Capture",
            Call::Void(_) => "Void",
            Call::Refund(_) => "Refund",
        }
    }

    async fn send(self, addr: std::net::SocketAddr) -> Result<Outcome, tonic::Status> {
        let (mut auth, mut pay) = (
            support::authentications(addr).await,
            support::payments(addr).await,
        );
        let authentication = |a: api::Authentication| Outcome {
            status: a
                .status()
                .as_str_name()
                .trim_start_matches("AUTHENTICATION_STATUS_")
                .to_owned(),
            id: a.id,
        };
        let payment = |p: api::Payment| Outcome {
            status: p
                .status()
                .as_str_name()
                .trim_start_matches("PAYMENT_STATUS_")
                .to_owned(),
            id: p.id,
        };
        Ok(match self {
            Call::Start(r) => authentication(auth.start_authentication(r).await?.into_inner()),
            Call::Submit(r) => authentication(auth.submit_otp(r).await?.into_inner()),
            Call::Resend(r) => authentication(auth.resend_otp(r).await?.into_inner()),
            Call::Redirect(r) => authentication(auth.complete_redirect(r).await?.into_inner()),
            Call::Authorize(r) => payment(pay.authorize(r).await?.into_inner()),
            Call::Capture(r) => payment(pay.capture(r).await?.into_inner()),
            Call::Void(r) => payment(pay.void(r).await?.into_inner()),
            Call::Refund(r) => payment(pay.refund(r).await?.into_inner()),
        })
    }
}

fn pinned(
    connector: &str,
    card: &str,
    flow: FlowPreference,
    capture: bool,
) -> api::StartAuthenticationRequest {
    api::StartAuthenticationRequest {
        connector: connector.into(),
        capture,
        ..flows::start_request(card, flow)
    }
}

async fn sandbox_otp(
    sandbox: std::net::SocketAddr,
    connector: &str,
    a: &api::Authentication,
) -> String {
    let body: serde_json::Value = reqwest::get(format!(
        "http://{sandbox}/_sandbox/otp/{connector}/{}",
        a.provider_reference
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    body["otp"]
        .as_str()
        .expect("an open OTP challenge")
        .to_owned()
}

/// Sessions and payments in every state the eight state-changing RPCs start from, made
/// through the survivor (`addr`).
async fn prepare(
    addr: std::net::SocketAddr,
    sandbox: std::net::SocketAddr,
    connector: &'static str,
) -> Prepared {
    let mut auth = support::authentications(addr).await;
    let mut pay = support::payments(addr).await;
    let mut sessions = Vec::new();
    for capture in [false, false, false, false, false, true] {
        let started = auth
            .start_authentication(pinned(
                connector,
                flows::SEAMLESS,
                FlowPreference::Seamless,
                capture,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            started.status(),
            api::AuthenticationStatus::OtpRequired,
            "{connector}: {started:?}"
        );
        sessions.push(started);
    }
    let submit_otp = sandbox_otp(sandbox, connector, &sessions[0]).await;
    let mut succeeded = Vec::new();
    for session in &sessions[2..] {
        let otp = sandbox_otp(sandbox, connector, session).await;
        let done = auth
            .submit_otp(flows::submit(session, &otp))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            done.status(),
            api::AuthenticationStatus::Succeeded,
            "{connector}: {done:?}"
        );
        succeeded.push(done);
    }
    let mut authorized = Vec::new();
    for (session, capture) in [
        (&succeeded[1], false),
        (&succeeded[2], false),
        (&succeeded[3], true),
    ] {
        let payment = pay
            .authorize(flows::authorize(session, capture))
            .await
            .unwrap()
            .into_inner();
        let expected = if capture {
            api::PaymentStatus::Captured
        } else {
            api::PaymentStatus::Authorized
        };
        assert_eq!(payment.status(), expected, "{connector}: {payment:?}");
        authorized.push(payment);
    }
    let redirect = auth
        .start_authentication(pinned(
            connector,
            flows::REDIRECT_ONLY,
            FlowPreference::Redirect,
            false,
        ))
        .await
        .unwrap()
        .into_inner();
    let otp = sandbox_otp(sandbox, connector, &redirect).await;
    let (_, fields) =
        flows::payer_at_acs(&reqwest::Client::new(), &redirect, &[("otp", &otp)]).await;
    Prepared {
        connector,
        submit: (sessions[0].clone(), submit_otp),
        resend: sessions[1].clone(),
        redirect: (redirect, fields),
        authorize: succeeded[0].clone(),
        capture: authorized[0].clone(),
        void: authorized[1].clone(),
        refund: authorized[2].clone(),
    }
}

impl Prepared {
    /// The eight calls, each with a fresh idempotency key.
    fn calls(&self) -> Vec<Call> {
        let merchant_id = || "demo".to_owned();
        vec![
            Call::Start(pinned(
                self.connector,
                flows::SEAMLESS,
                FlowPreference::Seamless,
                false,
            )),
            Call::Submit(flows::submit(&self.submit.0, &self.submit.1)),
            Call::Resend(api::ResendOtpRequest {
                authentication_id: self.resend.id.clone(),
                idempotency_key: flows::key(),
                merchant_id: merchant_id(),
            }),
            Call::Redirect(api::CompleteRedirectRequest {
                authentication_id: self.redirect.0.id.clone(),
                params: self.redirect.1.iter().cloned().collect(),
                idempotency_key: flows::key(),
                merchant_id: merchant_id(),
            }),
            Call::Authorize(flows::authorize(&self.authorize, false)),
            Call::Capture(api::CaptureRequest {
                payment_id: self.capture.id.clone(),
                amount: None,
                idempotency_key: flows::key(),
                merchant_id: merchant_id(),
            }),
            Call::Void(api::VoidRequest {
                payment_id: self.void.id.clone(),
                idempotency_key: flows::key(),
                merchant_id: merchant_id(),
                reason: "chaos".into(),
            }),
            Call::Refund(api::RefundRequest {
                payment_id: self.refund.id.clone(),
                amount: None,
                idempotency_key: flows::key(),
                reason: "chaos".into(),
                merchant_id: merchant_id(),
            }),
        ]
    }
}

/// Every provider call the sandbox counted, over all connectors, by `connector/operation`.
async fn provider_calls(sandbox: std::net::SocketAddr) -> std::collections::BTreeMap<String, u64> {
    let body: serde_json::Value = reqwest::get(format!("http://{sandbox}/_sandbox/calls"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut calls = std::collections::BTreeMap::new();
    for (connector, ops) in body.as_object().into_iter().flatten() {
        for (op, n) in ops.as_object().into_iter().flatten() {
            calls.insert(format!("{connector}/{op}"), n.as_u64().unwrap_or(0));
        }
    }
    calls
}

/// The sandbox's counters of provider operations that only read (status queries, lookups):
/// the only calls the resolver may make.
const READS: &[&str] = &[
    "inquiry",
    "information",
    "order_inquiry",
    "order_status",
    "retrieve_order",
    "retrieve_transaction",
    "transaction_details",
    "transaction_search",
];

fn reads(op: &str) -> bool {
    op.rsplit('/').next().is_some_and(|o| READS.contains(&o))
}

/// What each call leaves once the resolver has read the provider: the provider acted on every
/// one of them before the replica died (the sandbox's `timeout` fault processes, then holds
/// the answer), so the outcome is the provider's, not a guess.
fn settled_as(call: &Call) -> &'static [&'static str] {
    match call {
        // The provider's answer (the OTP challenge) was lost with the replica: a connector
        // that can look the attempt up by its reference recovers the challenge (Fiserv IPG);
        // the others cannot send the payer on, so the session fails.
        Call::Start(_) => &["FAILED", "OTP_REQUIRED"],
        Call::Submit(_) | Call::Redirect(_) => &["SUCCEEDED"],
        Call::Resend(_) => &["OTP_REQUIRED"],
        Call::Authorize(_) => &["AUTHORIZED"],
        Call::Capture(_) => &["CAPTURED"],
        Call::Void(_) => &["VOIDED"],
        Call::Refund(_) => &["REFUNDED"],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_in_every_state_changing_call_leaves_nothing_stuck() {
    let redis = RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    settings.resolver.tick_ms = 100;
    settings.resolver.first_check_secs = 1;
    settings.resolver.stale_claim_secs = 2;
    settings.resolver.not_found_secs = 3;
    settings.resolver.horizon_secs = 10;
    let survivor = support::start(settings).await;
    let sandbox = survivor.sandbox_addr.unwrap();
    let (mut doomed, grpc, http) = replica(&redis, sandbox);
    let mut prepared = Vec::new();
    for connector in ["cybersource", "fiserv-ipg", "juspay", "mpgs"] {
        prepared.push(prepare(survivor.grpc_addr, sandbox, connector).await);
    }
    let up = support::eventually(Duration::from_secs(20), || async {
        reqwest::get(format!("http://{http}/readyz"))
            .await
            .is_ok_and(|a| a.status().is_success())
    })
    .await;
    assert!(up, "the replica binary started");
    let before_ids = (
        support::ids_in(&redis, "auth"),
        support::ids_in(&redis, "pay"),
    );

    // Every provider processes and then never answers: each call is with the provider, which
    // has acted, when the replica dies.
    let client = reqwest::Client::new();
    client
        .put(format!("http://{sandbox}/_sandbox/faults"))
        .json(&serde_json::json!({"fault": "timeout"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let before = provider_calls(sandbox).await;
    let calls: Vec<(&'static str, Call)> = prepared
        .iter()
        .flat_map(|p| p.calls().into_iter().map(|c| (p.connector, c)))
        .collect();
    let mut answers = Vec::new();
    for (_, call) in &calls {
        answers.push(tokio::spawn(call.clone().send(grpc)));
    }
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
    for answer in answers {
        assert!(
            answer.await.unwrap().is_err(),
            "a call outlived its replica"
        );
    }
    client
        .delete(format!("http://{sandbox}/_sandbox/faults"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let at_kill = provider_calls(sandbox).await;

    // The records the calls were about, as the store has them.
    let store = support::redis_store(&redis).await;
    let new_auth: Vec<String> = support::ids_in(&redis, "auth")
        .into_iter()
        .filter(|id| !before_ids.0.contains(id))
        .collect();
    let new_pay: Vec<String> = support::ids_in(&redis, "pay")
        .into_iter()
        .filter(|id| !before_ids.1.contains(id))
        .collect();
    assert_eq!(
        new_auth.len(),
        4,
        "one new session per connector: {new_auth:?}"
    );
    assert_eq!(
        new_pay.len(),
        4,
        "one new payment per connector: {new_pay:?}"
    );
    let mut targets = Vec::new();
    for (connector, call) in &calls {
        let (kind, id) = match call {
            Call::Start(_) => ("auth", find_session(&store, &new_auth, connector).await),
            Call::Authorize(_) => ("pay", find_payment(&store, &new_pay, connector).await),
            Call::Submit(r) => ("auth", r.authentication_id.clone()),
            Call::Resend(r) => ("auth", r.authentication_id.clone()),
            Call::Redirect(r) => ("auth", r.authentication_id.clone()),
            Call::Capture(r) => ("pay", r.payment_id.clone()),
            Call::Void(r) => ("pay", r.payment_id.clone()),
            Call::Refund(r) => ("pay", r.payment_id.clone()),
        };
        targets.push((*connector, call.clone(), kind, id));
    }

    // Within the horizon every record is settled, by the survivor, with the provider's outcome.
    let mut standings: Vec<Option<(String, u128)>> = vec![None; targets.len()];
    let mut last = vec![String::new(); targets.len()];
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while standings.iter().any(Option::is_none) && std::time::Instant::now() < deadline {
        for (i, (_, _, kind, id)) in targets.iter().enumerate() {
            if standings[i].is_some() {
                continue;
            }
            let (status, open) = standing(&store, kind, id).await;
            if !open {
                standings[i] = Some((status.clone(), killed_at.elapsed().as_millis()));
            }
            last[i] = status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut report = Vec::new();
    for (i, (connector, call, _, _)) in targets.iter().enumerate() {
        report.push(match &standings[i] {
            None => format!(
                "{connector} {}: STILL OPEN ({}) after 30 s",
                call.name(),
                last[i]
            ),
            Some((status, ms)) => {
                let verdict = if settled_as(call).contains(&status.as_str()) {
                    "ok"
                } else {
                    "UNEXPECTED"
                };
                format!(
                    "{connector} {} -> {status} {ms} ms after the kill: {verdict}",
                    call.name()
                )
            }
        });
    }
    let report = report.join("\n");
    println!("{report}");
    assert!(
        !report.contains("OPEN") && !report.contains("UNEXPECTED"),
        "{report}"
    );

    // No state-changing provider call was repeated after the replica died: only reads.
    let after = provider_calls(sandbox).await;
    for (op, n) in &after {
        let was = at_kill.get(op).copied().unwrap_or(0);
        assert!(
            *n == was || reads(op),
            "{op} was called again after the kill: {was} -> {n}"
        );
    }

    // The caller's retry with the same key, to the survivor, answers the settled outcome.
    for (connector, call, _, id) in &targets {
        let answer = call.clone().send(survivor.grpc_addr).await;
        let outcome = answer.unwrap_or_else(|e| panic!("{connector} {} retry: {e:?}", call.name()));
        assert_eq!(&outcome.id, id, "{connector} {}", call.name());
        assert!(
            settled_as(call).contains(&outcome.status.as_str()),
            "{connector} {} retry answered {}",
            call.name(),
            outcome.status
        );
    }
    assert_eq!(
        provider_calls(sandbox).await,
        after,
        "the retries were answered from the store"
    );
}

async fn find_session(store: &RedisStore, ids: &[String], connector: &str) -> String {
    for id in ids {
        if store
            .get(id)
            .await
            .unwrap()
            .is_some_and(|s| s.connector == connector)
        {
            return id.clone();
        }
    }
    panic!("no new {connector} session among {ids:?}")
}

async fn find_payment(store: &RedisStore, ids: &[String], connector: &str) -> String {
    for id in ids {
        if store
            .get_payment(id)
            .await
            .unwrap()
            .is_some_and(|p| p.connector == connector)
        {
            return id.clone();
        }
    }
    panic!("no new {connector} payment among {ids:?}")
}

/// A record's status name, and whether it is still short of a decision (PENDING, VERIFYING,
/// UNKNOWN, or claimed).
async fn standing(store: &RedisStore, kind: &str, id: &str) -> (String, bool) {
    if kind == "auth" {
        let s = store.get(id).await.unwrap().unwrap();
        let open = matches!(
            s.status,
            AuthenticationStatus::Pending
                | AuthenticationStatus::Verifying
                | AuthenticationStatus::Unknown
        ) || s.claim.is_some();
        (s.status.as_str().to_owned(), open)
    } else {
        let p = store.get_payment(id).await.unwrap().unwrap();
        let open = matches!(
            p.status,
            payorch_core::status::PaymentStatus::Unknown
                | payorch_core::status::PaymentStatus::Pending
        ) || p.in_flight.is_some();
        (p.status.as_str().to_owned(), open)
    }
}
