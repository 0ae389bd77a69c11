//! The chaos cases' shared steps: records in every state the eight state-changing RPCs start
//! from (on all four connectors at once), the calls on them, and the checks every case makes
//! afterwards: each record settles, no provider write is repeated, each retry with the same
//! key answers the settled outcome.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use payorch::api::{self, FlowPreference};
use payorch_store::testing::RedisServer;
use payorch_store::{RedisStore, SessionStore};

use super::flows;

pub const CONNECTORS: [&str; 4] = ["cybersource", "fiserv-ipg", "juspay", "mpgs"];

/// The resolver's timings shortened so a case settles in seconds: looks every 100 ms, first
/// look after 1 s, leases of 2 s, not found for 3 s is not processed. The horizon (60 s
/// from a record's creation) is longer than any case: while a fault is armed the resolver's
/// reads fail too (a read retried three times takes 9 s), and a record past its horizon
/// would be given up on instead of read once the provider answers.
pub fn fast_resolver(settings: &mut payorch::config::Settings) {
    settings.resolver.tick_ms = 100;
    settings.resolver.first_check_secs = 1;
    settings.resolver.stale_claim_secs = 2;
    settings.resolver.not_found_secs = 3;
    settings.resolver.horizon_secs = 60;
}

/// One connector's records, prepared through the survivor before the kill, and the calls
/// calls made on them while the provider misbehaves.
pub struct Prepared {
    pub connector: &'static str,
    pub submit: (api::Authentication, String),
    pub resend: api::Authentication,
    pub redirect: (api::Authentication, Vec<(String, String)>),
    pub authorize: api::Authentication,
    pub capture: api::Payment,
    pub void: api::Payment,
    pub refund: api::Payment,
}

/// A state-changing call, kept so that the caller's retry (same key, same request) can be
/// sent again afterwards.
#[derive(Clone)]
pub enum Call {
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
pub struct Outcome {
    pub id: String,
    pub status: String,
}

impl Call {
    pub fn name(&self) -> &'static str {
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

    pub async fn send(self, addr: SocketAddr) -> Result<Outcome, tonic::Status> {
        self.send_within(addr, Duration::from_secs(10)).await
    }

    /// The call with a caller's deadline of `deadline`.
    pub async fn send_within(
        self,
        addr: SocketAddr,
        deadline: Duration,
    ) -> Result<Outcome, tonic::Status> {
        fn within<T>(message: T, deadline: Duration) -> tonic::Request<T> {
            let mut request = tonic::Request::new(message);
            request.set_timeout(deadline);
            request
        }
        let (mut auth, mut pay) = (
            super::authentications(addr).await,
            super::payments(addr).await,
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
            Call::Start(r) => authentication(
                auth.start_authentication(within(r, deadline))
                    .await?
                    .into_inner(),
            ),
            Call::Submit(r) => {
                authentication(auth.submit_otp(within(r, deadline)).await?.into_inner())
            }
            Call::Resend(r) => {
                authentication(auth.resend_otp(within(r, deadline)).await?.into_inner())
            }
            Call::Redirect(r) => authentication(
                auth.complete_redirect(within(r, deadline))
                    .await?
                    .into_inner(),
            ),
            Call::Authorize(r) => payment(pay.authorize(within(r, deadline)).await?.into_inner()),
            Call::Capture(r) => payment(pay.capture(within(r, deadline)).await?.into_inner()),
            Call::Void(r) => payment(pay.void(within(r, deadline)).await?.into_inner()),
            Call::Refund(r) => payment(pay.refund(within(r, deadline)).await?.into_inner()),
        })
    }
}

pub fn pinned(
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

/// Sessions and payments in every state the eight state-changing RPCs start from, made
/// through the survivor (`addr`).
pub async fn prepare(addr: SocketAddr, sandbox: SocketAddr, connector: &'static str) -> Prepared {
    let mut auth = super::authentications(addr).await;
    let mut pay = super::payments(addr).await;
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
    let submit_otp = flows::otp(sandbox, connector, &sessions[0]).await;
    let mut succeeded = Vec::new();
    for session in &sessions[2..] {
        let otp = flows::otp(sandbox, connector, session).await;
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
    let otp = flows::otp(sandbox, connector, &redirect).await;
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
    pub fn calls(&self) -> Vec<Call> {
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
pub async fn provider_calls(sandbox: SocketAddr) -> BTreeMap<String, u64> {
    let body: serde_json::Value = reqwest::get(format!("http://{sandbox}/_sandbox/calls"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut calls = BTreeMap::new();
    for (connector, ops) in body.as_object().into_iter().flatten() {
        for (op, n) in ops.as_object().into_iter().flatten() {
            calls.insert(format!("{connector}/{op}"), n.as_u64().unwrap_or(0));
        }
    }
    calls
}

/// The sandbox's counters of provider operations that only read (status queries, lookups):
/// the only calls the resolver may make.
pub const READS: &[&str] = &[
    "inquiry",
    "information",
    "order_inquiry",
    "order_status",
    "retrieve_order",
    "retrieve_transaction",
    "transaction_details",
    "transaction_search",
];

pub fn reads(op: &str) -> bool {
    op.rsplit('/').next().is_some_and(|o| READS.contains(&o))
}

pub async fn find_session(store: &RedisStore, ids: &[String], connector: &str) -> String {
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

pub async fn find_payment(store: &RedisStore, ids: &[String], connector: &str) -> String {
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

/// A record's status name, and whether it is still short of a decision (`undecided`, or a
/// claim left on it).
pub async fn standing(store: &RedisStore, kind: &str, id: &str) -> (String, bool) {
    if kind == "auth" {
        let s = store.get(id).await.unwrap().unwrap();
        let open = s.undecided() || s.claim.is_some();
        (s.status.as_str().to_owned(), open)
    } else {
        let p = store.get_payment(id).await.unwrap().unwrap();
        let open = p.undecided() || p.claim.is_some();
        (p.status.as_str().to_owned(), open)
    }
}

/// Arms `fault` on every connector until cleared (`None` clears).
pub async fn faults(sandbox: SocketAddr, fault: Option<&str>) {
    let client = reqwest::Client::new();
    let url = format!("http://{sandbox}/_sandbox/faults");
    let request = match fault {
        Some(fault) => client.put(url).json(&serde_json::json!({ "fault": fault })),
        None => client.delete(url),
    };
    request.send().await.unwrap().error_for_status().unwrap();
}

/// The ids of every session and payment in `redis`.
pub fn records(redis: &RedisServer) -> (Vec<String>, Vec<String>) {
    (super::ids_in(redis, "auth"), super::ids_in(redis, "pay"))
}

/// A call and the record it is about.
pub struct Target {
    pub connector: &'static str,
    pub call: Call,
    pub kind: &'static str,
    pub id: String,
}

/// The records `calls` were about: the ones they name, and for StartAuthentication and
/// Authorize the one each created (not among `before`).
pub async fn targets(
    store: &RedisStore,
    redis: &RedisServer,
    before: &(Vec<String>, Vec<String>),
    calls: &[(&'static str, Call)],
) -> Vec<Target> {
    let (auth, pay) = records(redis);
    let new_auth: Vec<String> = auth
        .into_iter()
        .filter(|id| !before.0.contains(id))
        .collect();
    let new_pay: Vec<String> = pay
        .into_iter()
        .filter(|id| !before.1.contains(id))
        .collect();
    let mut targets = Vec::new();
    for (connector, call) in calls {
        let (kind, id) = match call {
            Call::Start(_) => ("auth", find_session(store, &new_auth, connector).await),
            Call::Authorize(_) => ("pay", find_payment(store, &new_pay, connector).await),
            Call::Submit(r) => ("auth", r.authentication_id.clone()),
            Call::Resend(r) => ("auth", r.authentication_id.clone()),
            Call::Redirect(r) => ("auth", r.authentication_id.clone()),
            Call::Capture(r) => ("pay", r.payment_id.clone()),
            Call::Void(r) => ("pay", r.payment_id.clone()),
            Call::Refund(r) => ("pay", r.payment_id.clone()),
        };
        targets.push(Target {
            connector,
            call: call.clone(),
            kind,
            id,
        });
    }
    targets
}

impl Target {
    /// The record as GetAuthentication / GetPayment (no refresh) shows it now.
    pub async fn current(&self, addr: SocketAddr) -> Outcome {
        if self.kind == "auth" {
            let a = super::authentications(addr)
                .await
                .get_authentication(api::GetAuthenticationRequest {
                    id: self.id.clone(),
                    refresh: false,
                    merchant_id: "demo".into(),
                })
                .await
                .unwrap()
                .into_inner();
            Outcome {
                status: a
                    .status()
                    .as_str_name()
                    .trim_start_matches("AUTHENTICATION_STATUS_")
                    .to_owned(),
                id: a.id,
            }
        } else {
            let p = super::payments(addr)
                .await
                .get_payment(api::GetPaymentRequest {
                    id: self.id.clone(),
                    refresh: false,
                    merchant_id: "demo".into(),
                })
                .await
                .unwrap()
                .into_inner();
            Outcome {
                status: p
                    .status()
                    .as_str_name()
                    .trim_start_matches("PAYMENT_STATUS_")
                    .to_owned(),
                id: p.id,
            }
        }
    }
}

/// Waits (up to `within`) until every target is decided; asserts each decided as `expected`
/// says, and prints one line per target with the time since `since`.
pub async fn assert_settled(
    store: &RedisStore,
    targets: &[Target],
    since: Instant,
    within: Duration,
    expected: impl Fn(&Call) -> &'static [&'static str],
) {
    let mut settled: Vec<Option<(String, u128)>> = vec![None; targets.len()];
    let mut last = vec![String::new(); targets.len()];
    let deadline = Instant::now() + within;
    while settled.iter().any(Option::is_none) && Instant::now() < deadline {
        for (i, target) in targets.iter().enumerate() {
            if settled[i].is_some() {
                continue;
            }
            let (status, open) = standing(store, target.kind, &target.id).await;
            if !open {
                settled[i] = Some((status.clone(), since.elapsed().as_millis()));
            }
            last[i] = status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut report = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let name = target.call.name();
        report.push(match &settled[i] {
            None => format!(
                "{} {name}: STILL OPEN ({}) after {within:?}",
                target.connector, last[i]
            ),
            Some((status, ms)) => {
                let verdict = if expected(&target.call).contains(&status.as_str()) {
                    "ok"
                } else {
                    "UNEXPECTED"
                };
                format!(
                    "{} {name} -> {status} in {ms} ms: {verdict}",
                    target.connector
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
}

/// No provider operation but a read was counted since `snapshot`.
pub async fn assert_no_writes_since(sandbox: SocketAddr, snapshot: &BTreeMap<String, u64>) {
    for (op, n) in &provider_calls(sandbox).await {
        let was = snapshot.get(op).copied().unwrap_or(0);
        assert!(
            *n == was || reads(op),
            "{op} was called again: {was} -> {n}"
        );
    }
}

/// Each call again, same key and request, to `addr`, after every target settled: the same
/// answer when the first call had one; when the caller never got one (its replica died, its
/// deadline passed, the store was down), the stored answer of the work it left running: the
/// outcome, or UNKNOWN when the provider call itself was cut (then the record, settled since,
/// says what happened). Never a provider call.
pub async fn assert_retries_answer(
    addr: SocketAddr,
    sandbox: SocketAddr,
    targets: &[Target],
    firsts: &[Result<Outcome, tonic::Status>],
    expected: impl Fn(&Call) -> &'static [&'static str],
) {
    let before = provider_calls(sandbox).await;
    for (target, first) in targets.iter().zip(firsts) {
        let name = target.call.name();
        let retry = target
            .call
            .clone()
            .send(addr)
            .await
            .unwrap_or_else(|e| panic!("{} {name} retry: {e:?}", target.connector));
        assert_eq!(retry.id, target.id, "{} {name}", target.connector);
        match first {
            Ok(first) => assert_eq!(
                &retry, first,
                "{} {name}: the stored answer",
                target.connector
            ),
            Err(_) => {
                let status = if retry.status == "UNKNOWN" {
                    target.current(addr).await.status
                } else {
                    retry.status.clone()
                };
                assert!(
                    expected(&target.call).contains(&status.as_str()),
                    "{} {name} retry answered {}, the record is {status}",
                    target.connector,
                    retry.status
                );
            }
        }
    }
    assert_eq!(
        provider_calls(sandbox).await,
        before,
        "the retries were answered from the store"
    );
}

/// Sends every call at once to `addr` with `deadline`; each must answer within 20 s.
pub async fn fire(
    addr: SocketAddr,
    calls: &[(&'static str, Call)],
    deadline: Duration,
) -> Vec<tokio::task::JoinHandle<Result<Outcome, tonic::Status>>> {
    calls
        .iter()
        .map(|(_, call)| tokio::spawn(call.clone().send_within(addr, deadline)))
        .collect()
}

/// The calls of every prepared connector, in order.
pub fn all_calls(prepared: &[Prepared]) -> Vec<(&'static str, Call)> {
    prepared
        .iter()
        .flat_map(|p| p.calls().into_iter().map(|c| (p.connector, c)))
        .collect()
}

/// What a call leaves once the resolver has read the provider, when the provider acted on it
/// (and its answer was lost): the provider's outcome, not a guess.
pub fn acted(call: &Call) -> &'static [&'static str] {
    match call {
        // The provider's answer (the OTP challenge) was lost: a connector that can look the
        // attempt up by its reference recovers the challenge (Fiserv IPG); the others cannot
        // send the payer on, so the session fails.
        Call::Start(_) => &["FAILED", "OTP_REQUIRED"],
        Call::Submit(_) | Call::Redirect(_) => &["SUCCEEDED"],
        Call::Resend(_) => &["OTP_REQUIRED"],
        Call::Authorize(_) => &["AUTHORIZED"],
        Call::Capture(_) => &["CAPTURED"],
        Call::Void(_) => &["VOIDED"],
        Call::Refund(_) => &["REFUNDED"],
    }
}

/// 503 without acting: nothing happened, so each record is where it was before the call.
pub fn not_acted(call: &Call) -> &'static [&'static str] {
    match call {
        Call::Start(_) => &["FAILED"],
        Call::Submit(_) | Call::Resend(_) => &["OTP_REQUIRED"],
        // The payer finished on the issuer's page; completing only reads that.
        Call::Redirect(_) => &["SUCCEEDED", "REDIRECT_REQUIRED"],
        // Not processed: PENDING with nothing in flight, the authentication free to authorize
        // again. Juspay authorized during the authentication, so its Authorize only reads.
        Call::Authorize(_) => &["PENDING", "AUTHORIZED"],
        Call::Capture(_) | Call::Void(_) => &["AUTHORIZED"],
        Call::Refund(_) => &["CAPTURED"],
    }
}
