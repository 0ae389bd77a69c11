//! Routing across merchant connector accounts, through gRPC against the embedded sandbox,
//! with the shipped `deploy/examples/routing.toml`: each rule picks its account, the 70/30
//! split holds, an outage opens an account's breaker and new starts move on while started
//! sessions stay, no failover after an outcome-unknown answer, a refused connection fails
//! over within the call, two merchants never sign with each other's credentials, OTP-stage
//! counters move, and collapsing OTP success steers new starts away.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use payorch::api::{self, Authentication, AuthenticationStatus, GetAuthenticationRequest};
use payorch::app::Running;
use payorch::config::Settings;
use serde_json::Value;
use support::flows::{SEAMLESS, card, inr, key, start_request};

/// A card of the `mpgs-bins` rule's range (508520-508529).
const MPGS_BIN_CARD: &str = "5085200000000037";

fn routing_settings() -> Settings {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples/routing.toml");
    let mut settings = Settings::load(Some(&file)).expect("routing.toml loads");
    settings.grpc.listen = "127.0.0.1:0".parse().unwrap();
    settings.http.listen = "127.0.0.1:0".parse().unwrap();
    settings.sandbox.listen = "127.0.0.1:0".parse().unwrap();
    settings.shutdown_grace_secs = 5;
    settings
}

struct Routed {
    server: Running,
    sandbox: SocketAddr,
}

impl Routed {
    async fn start(settings: Settings) -> Routed {
        let server = support::start(settings).await;
        let sandbox = server.sandbox_addr.expect("embedded sandbox");
        Routed { server, sandbox }
    }

    async fn start_for(&self, merchant: &str, number: &str, amount: i64) -> Authentication {
        self.try_start(merchant, number, amount).await.unwrap()
    }

    async fn try_start(
        &self,
        merchant: &str,
        number: &str,
        amount: i64,
    ) -> Result<Authentication, tonic::Status> {
        let mut request = start_request(number, api::FlowPreference::Seamless);
        request.merchant_id = merchant.into();
        request.amount = inr(amount);
        let mut auth = support::authentications(self.server.grpc_addr).await;
        auth.start_authentication(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn otp(&self, authentication: &Authentication) -> String {
        support::flows::otp(self.sandbox, &authentication.connector, authentication).await
    }

    async fn submit(&self, authentication: &Authentication, otp: &str) -> Authentication {
        let mut request = support::flows::submit(authentication, otp);
        request.merchant_id = authentication.merchant_id.clone();
        let mut auth = support::authentications(self.server.grpc_addr).await;
        auth.submit_otp(request).await.unwrap().into_inner()
    }

    async fn pay(&self, authentication: &Authentication) -> api::Payment {
        let mut request = support::flows::authorize(authentication, true);
        request.merchant_id = authentication.merchant_id.clone();
        request.amount = authentication.amount.clone();
        let mut payments = support::payments(self.server.grpc_addr).await;
        payments.authorize(request).await.unwrap().into_inner()
    }

    async fn refresh(&self, authentication: &Authentication) -> Authentication {
        let mut auth = support::authentications(self.server.grpc_addr).await;
        auth.get_authentication(GetAuthenticationRequest {
            id: authentication.id.clone(),
            merchant_id: authentication.merchant_id.clone(),
            refresh: true,
        })
        .await
        .unwrap()
        .into_inner()
    }

    async fn get(&self, path: &str) -> String {
        let url = format!("http://{}{path}", self.server.http_addr);
        reqwest::get(url).await.unwrap().text().await.unwrap()
    }

    async fn sandbox_json(&self, path: &str) -> Value {
        let url = format!("http://{}/_sandbox/{path}", self.sandbox);
        reqwest::get(url).await.unwrap().json().await.unwrap()
    }

    /// Which merchant ids signed the calls each connector received.
    async fn signers(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        serde_json::from_value(self.sandbox_json("merchants").await).unwrap()
    }

    async fn reset_calls(&self) {
        let url = format!("http://{}/_sandbox/calls/reset", self.sandbox);
        let status = reqwest::Client::new()
            .post(url)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }

    async fn arm(&self, connector: &str, fault: &str) {
        let url = format!("http://{}/_sandbox/faults", self.sandbox);
        let body = serde_json::json!({"connector": connector, "fault": fault});
        let status = reqwest::Client::new()
            .put(url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "arming {fault} answered {status}");
    }

    async fn calls(&self, connector: &str, operation: &str) -> u64 {
        self.sandbox_json("calls").await[connector][operation]
            .as_u64()
            .unwrap_or(0)
    }
}

fn decision(authentication: &Authentication) -> &api::RoutingDecision {
    authentication.routing.as_ref().expect("a routing decision")
}

#[tokio::test]
async fn each_rule_picks_its_account_and_explains_itself() {
    let stack = Routed::start(routing_settings()).await;

    let by_bin = stack.start_for("bookshop", MPGS_BIN_CARD, 10_000).await;
    assert_eq!(by_bin.account, "mpgs_bookshop");
    assert_eq!(by_bin.connector, "mpgs");
    let why = decision(&by_bin);
    assert_eq!(why.rule, "mpgs-bins");
    assert_eq!(why.bin_range, "508520-508529");
    assert_eq!(why.account, "mpgs_bookshop");
    assert!(why.rules_not_matched.is_empty());
    assert_eq!(
        why.candidates
            .iter()
            .map(|c| c.account.as_str())
            .collect::<Vec<_>>(),
        vec!["mpgs_bookshop", "cs_bookshop"]
    );

    let large = stack.start_for("bookshop", SEAMLESS, 6_000_000).await;
    assert_eq!(large.account, "cs_bookshop");
    let why = decision(&large);
    assert_eq!(why.rule, "large-baskets");
    assert_eq!(why.rules_not_matched.len(), 1);
    assert_eq!(why.rules_not_matched[0].rule, "mpgs-bins");
    assert_eq!(
        why.rules_not_matched[0].reason,
        "BIN 508500 outside 508520-508529"
    );

    let small = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    let why = decision(&small);
    assert_eq!(why.rule, "default");
    assert_eq!(why.rules_not_matched.len(), 2);
    assert!(
        why.rules_not_matched[1]
            .reason
            .starts_with("amount 10000 outside"),
        "{why:?}"
    );
    let weights: Vec<u32> = why.candidates.iter().map(|c| c.weight).collect();
    assert!(
        weights == vec![70, 30] || weights == vec![30, 70],
        "{weights:?}"
    );

    let travel = stack.start_for("travel", SEAMLESS, 10_000).await;
    assert_eq!(travel.account, "cs_travel");
    assert_eq!(decision(&travel).rule, "default");

    // The payment stays on the account that authenticated it, and says so.
    let otp = stack.otp(&by_bin).await;
    let done = stack.submit(&by_bin, &otp).await;
    assert_eq!(done.status(), AuthenticationStatus::Succeeded, "{done:?}");
    assert_eq!(done.account, "mpgs_bookshop");
    let payment = stack.pay(&done).await;
    assert_eq!(payment.account, "mpgs_bookshop");
    assert_eq!(payment.routing.as_ref().unwrap().rule, "mpgs-bins");

    // CheckEligibility answers from the same router.
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let eligibility = auth
        .check_eligibility(api::CheckEligibilityRequest {
            merchant_id: "bookshop".into(),
            connector: String::new(),
            payment_method: Some(card(MPGS_BIN_CARD)),
            amount: inr(10_000),
            preferred_flow: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(eligibility.account, "mpgs_bookshop");
    assert_eq!(eligibility.connector, "mpgs");
    assert_eq!(eligibility.routing.unwrap().rule, "mpgs-bins");
    stack.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_70_30_split_holds_over_1000_starts() {
    let stack = Routed::start(routing_settings()).await;
    let mut tasks = tokio::task::JoinSet::new();
    let grpc = stack.server.grpc_addr;
    for worker in 0..8 {
        tasks.spawn(async move {
            let mut auth = support::authentications(grpc).await;
            let mut accounts = Vec::new();
            for _ in 0..125 {
                let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
                request.merchant_id = "bookshop".into();
                let started = auth.start_authentication(request).await;
                let started = started.unwrap_or_else(|e| panic!("worker {worker}: {e:?}"));
                accounts.push(started.into_inner().account);
            }
            accounts
        });
    }
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    while let Some(accounts) = tasks.join_next().await {
        for account in accounts.unwrap() {
            *counts.entry(account).or_default() += 1;
        }
    }
    let on_cybersource = counts.get("cs_bookshop").copied().unwrap_or(0);
    let on_mpgs = counts.get("mpgs_bookshop").copied().unwrap_or(0);
    assert_eq!(on_cybersource + on_mpgs, 1_000, "{counts:?}");
    assert!(
        (670..=730).contains(&on_cybersource),
        "70/30 split landed {on_cybersource}/{on_mpgs}"
    );
    stack.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn two_merchants_never_sign_with_each_others_credentials() {
    let stack = Routed::start(routing_settings()).await;
    for (merchant, account, mid) in [
        ("travel", "cs_travel", "payorch_travel"),
        ("bookshop", "cs_bookshop", "payorch_bookshop"),
    ] {
        stack.reset_calls().await;
        let started = stack.start_for(merchant, SEAMLESS, 6_000_000).await;
        assert_eq!(started.account, account);
        let otp = stack.otp(&started).await;
        let done = stack.submit(&started, &otp).await;
        assert_eq!(done.status(), AuthenticationStatus::Succeeded);
        let payment = stack.pay(&done).await;
        assert_eq!(
            payment.status(),
            api::PaymentStatus::Captured,
            "{payment:?}"
        );
        let signers = stack.signers().await;
        let cybersource = signers.get("cybersource").cloned().unwrap_or_default();
        assert_eq!(
            cybersource.keys().collect::<Vec<_>>(),
            vec![mid],
            "{merchant}'s calls were signed by {signers:?}"
        );
        assert!(cybersource[mid] >= 3, "start, OTP and payment: {signers:?}");
        assert_eq!(
            signers.len(),
            1,
            "no other provider was called: {signers:?}"
        );
    }
    stack.server.shutdown().await.unwrap();
}

/// The settings of one of the example's Cybersource accounts.
fn cybersource_account<'a>(
    settings: &'a mut Settings,
    name: &str,
) -> &'a mut payorch::config::CybersourceSettings {
    match settings.accounts.get_mut(name) {
        Some(payorch::config::AccountSettings::Cybersource(cs)) => cs,
        _ => panic!("{name} is not a Cybersource account"),
    }
}

/// Bookshop's default route in a fixed order (Cybersource first, then the Mastercard
/// Gateway), with a breaker that opens after three failures. Its accounts are renamed
/// `<name>_<tag>`: metrics are process-wide, and each test reads its own accounts' series.
fn ordered_settings(tag: &str) -> Settings {
    let mut settings = routing_settings();
    let renamed = |name: &str| format!("{name}_{tag}");
    settings.accounts = std::mem::take(&mut settings.accounts)
        .into_iter()
        .map(|(name, account)| (renamed(&name), account))
        .collect();
    for merchant in &mut settings.merchants {
        for name in merchant.accounts.iter_mut() {
            *name = renamed(name);
        }
        for rule in &mut merchant.rules {
            for name in rule.accounts.iter_mut() {
                *name = renamed(name);
            }
        }
    }
    settings.merchants[0].weights = None;
    settings.routing.breaker.failure_threshold = 3;
    settings.routing.breaker.open_secs = 300;
    settings
}

#[tokio::test]
async fn an_outage_opens_the_breaker_and_moves_new_starts_while_started_sessions_stay() {
    let mut settings = ordered_settings("outage");
    // Long enough for the checks below, short enough to wait for the probe.
    settings.routing.breaker.open_secs = 8;
    let stack = Routed::start(settings).await;
    let started = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(started.account, "cs_bookshop_outage");
    assert_eq!(started.status(), AuthenticationStatus::OtpRequired);

    stack.arm("cybersource", "status=503").await;
    for _ in 0..3 {
        let unknown = stack.start_for("bookshop", SEAMLESS, 10_000).await;
        assert_eq!(
            unknown.status(),
            AuthenticationStatus::Unknown,
            "{unknown:?}"
        );
        assert_eq!(
            unknown.account, "cs_bookshop_outage",
            "a 5xx start never fails over"
        );
    }
    let readiness = stack.get("/readyz").await;
    assert!(
        readiness.contains("account cs_bookshop_outage (cybersource): breaker open"),
        "{readiness}"
    );
    let metrics = stack.get("/metrics").await;
    let open = support::metric_sum(
        &metrics,
        "payorch_account_breaker_state",
        &[("account", "cs_bookshop_outage")],
    );
    assert_eq!(open, 2.0, "{metrics}");

    let mpgs_before = stack.calls("mpgs", "initiate_authentication").await;
    let moved = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(moved.account, "mpgs_bookshop_outage");
    assert_eq!(
        moved.status(),
        AuthenticationStatus::OtpRequired,
        "{moved:?}"
    );
    let why = decision(&moved);
    let skipped = &why.candidates[0];
    assert_eq!(skipped.account, "cs_bookshop_outage");
    assert!(
        skipped
            .skipped_reason
            .starts_with("circuit breaker open after 3 failures"),
        "{why:?}"
    );
    assert!(stack.calls("mpgs", "initiate_authentication").await > mpgs_before);

    // Asking about the account pinned answers from the same health: none to offer now.
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let asked = auth
        .check_eligibility(api::CheckEligibilityRequest {
            merchant_id: "bookshop".into(),
            connector: "cybersource".into(),
            payment_method: Some(card(SEAMLESS)),
            amount: inr(10_000),
            preferred_flow: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(asked.code(), tonic::Code::Unavailable, "{asked:?}");
    assert_eq!(support::reason(&asked), "NO_HEALTHY_ACCOUNT");
    let readiness = stack.get("/readyz").await;
    assert!(
        readiness.contains("account cs_bookshop_outage (cybersource): breaker open"),
        "{readiness}"
    );

    // The session started before the outage continues on its own account once the
    // provider is back. Its success does not close the breaker: a pending OTP that verifies
    // says nothing about new authentications. New starts still go elsewhere until the wait
    // is over; then one probes, and its success closes the breaker.
    reqwest::Client::new()
        .delete(format!("http://{}/_sandbox/faults", stack.sandbox))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let otp = stack.otp(&started).await;
    let done = stack.submit(&started, &otp).await;
    assert_eq!(done.status(), AuthenticationStatus::Succeeded, "{done:?}");
    assert_eq!(done.account, "cs_bookshop_outage");
    let readiness = stack.get("/readyz").await;
    assert!(
        readiness.contains("account cs_bookshop_outage (cybersource): breaker open"),
        "{readiness}"
    );
    let still_moved = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(still_moved.account, "mpgs_bookshop_outage");
    let half_open = support::eventually(std::time::Duration::from_secs(15), || async {
        stack
            .get("/readyz")
            .await
            .contains("account cs_bookshop_outage (cybersource): breaker half_open")
    })
    .await;
    assert!(half_open, "the wait never ended");
    let back = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(back.account, "cs_bookshop_outage", "the probe");
    assert_eq!(back.status(), AuthenticationStatus::OtpRequired);
    let readiness = stack.get("/readyz").await;
    assert!(
        readiness.contains("account cs_bookshop_outage (cybersource): breaker closed"),
        "{readiness}"
    );
    stack.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn no_failover_after_an_outcome_unknown_answer() {
    let stack = Routed::start(ordered_settings("unknown")).await;
    stack.reset_calls().await;
    stack.arm("cybersource", "timeout").await;
    let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
    request.merchant_id = "bookshop".into();
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let mut call = tonic::Request::new(request);
    call.set_timeout(std::time::Duration::from_secs(2));
    let unknown = auth.start_authentication(call).await.unwrap().into_inner();
    assert_eq!(
        unknown.status(),
        AuthenticationStatus::Unknown,
        "{unknown:?}"
    );
    assert_eq!(unknown.account, "cs_bookshop_unknown");
    assert_eq!(stack.calls("cybersource", "enrollment").await, 1);
    let mpgs_calls: u64 = stack.sandbox_json("calls").await["mpgs"]
        .as_object()
        .map(|ops| ops.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert_eq!(mpgs_calls, 0, "the start never moved to the next account");

    reqwest::Client::new()
        .delete(format!("http://{}/_sandbox/faults", stack.sandbox))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let refreshed = stack.refresh(&unknown).await;
    assert_eq!(refreshed.account, "cs_bookshop_unknown");
    assert_eq!(refreshed.connector, "cybersource");
    assert_eq!(
        stack.calls("cybersource", "enrollment").await,
        1,
        "never started again"
    );
    // Cybersource cannot continue a challenge whose enrollment answer was lost: the
    // refresh settles it FAILED, which counts against the account's OTP success (its
    // timeout let the payer down), not as an OTP sent.
    assert_eq!(
        refreshed.status(),
        AuthenticationStatus::Failed,
        "{refreshed:?}"
    );
    let metrics = stack.get("/metrics").await;
    let stage = |stage: &str| {
        support::metric_sum(
            &metrics,
            "payorch_otp_stage_total",
            &[("account", "cs_bookshop_unknown"), ("stage", stage)],
        )
    };
    assert_eq!(stage("failed"), 1.0, "{metrics}");
    assert_eq!(stage("sent"), 0.0, "{metrics}");
    stack.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_refused_connection_fails_over_within_the_call() {
    let mut settings = ordered_settings("refused");
    // Nothing listens on port 1: every connection is refused, nothing is sent.
    let cs = cybersource_account(&mut settings, "cs_bookshop_refused");
    cs.base_url = Some("http://127.0.0.1:1/cybersource".into());
    let stack = Routed::start(settings).await;
    let moved = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(
        moved.status(),
        AuthenticationStatus::OtpRequired,
        "{moved:?}"
    );
    assert_eq!(moved.account, "mpgs_bookshop_refused");
    let why = decision(&moved);
    assert_eq!(why.rule, "default");
    assert_eq!(why.candidates[0].account, "cs_bookshop_refused");
    assert!(
        why.candidates[0].skipped_reason.starts_with("not reached:"),
        "{why:?}"
    );
    assert!(why.candidates[1].skipped_reason.is_empty());
    let otp = stack.otp(&moved).await;
    let done = stack.submit(&moved, &otp).await;
    assert_eq!(done.status(), AuthenticationStatus::Succeeded);
    let payment = stack.pay(&done).await;
    assert_eq!(payment.account, "mpgs_bookshop_refused");
    let metrics = stack.get("/metrics").await;
    let failovers = support::metric_sum(
        &metrics,
        "payorch_routing_failovers_total",
        &[
            ("from", "cs_bookshop_refused"),
            ("to", "mpgs_bookshop_refused"),
        ],
    );
    assert_eq!(failovers, 1.0, "{metrics}");
    stack.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn otp_stage_counters_move_and_collapsing_success_steers_new_starts() {
    let mut settings = ordered_settings("otp");
    settings.routing.otp_health.min_success_rate = 0.5;
    settings.routing.otp_health.window = 3;
    settings.routing.otp_health.min_samples = 3;
    let stack = Routed::start(settings).await;

    let good = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    let otp = stack.otp(&good).await;
    assert_eq!(
        stack.submit(&good, &otp).await.status(),
        AuthenticationStatus::Succeeded
    );
    // Two payers whose OTP never works: every attempt is wrong.
    for _ in 0..2 {
        let lost = stack.start_for("bookshop", SEAMLESS, 10_000).await;
        assert_eq!(lost.account, "cs_bookshop_otp");
        let otp = stack.otp(&lost).await;
        let mut last = lost.clone();
        while last.status() == AuthenticationStatus::OtpRequired {
            last = stack.submit(&last, &support::flows::wrong(&otp)).await;
        }
        assert_eq!(last.status(), AuthenticationStatus::Failed, "{last:?}");
        assert_eq!(
            last.failure_reason(),
            api::FailureReason::OtpAttemptsExhausted
        );
    }
    let metrics = stack.get("/metrics").await;
    let stage = |stage: &str| {
        support::metric_sum(
            &metrics,
            "payorch_otp_stage_total",
            &[
                ("account", "cs_bookshop_otp"),
                ("bin_range", "any"),
                ("stage", stage),
            ],
        )
    };
    assert_eq!(stage("sent"), 3.0, "{metrics}");
    assert_eq!(stage("succeeded"), 1.0, "{metrics}");
    assert_eq!(stage("exhausted"), 2.0, "{metrics}");

    // One success in three is below the 50% floor: the next start avoids the account
    // although every HTTP answer it gave was fine.
    let steered = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(steered.account, "mpgs_bookshop_otp");
    let why = decision(&steered);
    assert!(
        why.candidates[0]
            .skipped_reason
            .starts_with("OTP success collapsed to 33% (below 50%)"),
        "{why:?}"
    );
    stack.server.shutdown().await.unwrap();
}

/// The example is runnable as its comment says: the real binary, `serve --config`.
#[tokio::test]
async fn the_example_runs_with_serve_config() {
    let ports: Vec<SocketAddr> = (0..3)
        .map(|_| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        })
        .collect();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples/routing.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_payorch"))
        .arg("serve")
        .arg("--config")
        .arg(&file)
        .env("PAYORCH_GRPC__LISTEN", ports[0].to_string())
        .env("PAYORCH_HTTP__LISTEN", ports[1].to_string())
        .env("PAYORCH_SANDBOX__LISTEN", ports[2].to_string())
        .env_remove("REDIS_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn payorch serve");
    let ready = support::eventually(std::time::Duration::from_secs(30), || async {
        let url = format!("http://{}/readyz", ports[1]);
        reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(
        ready,
        "payorch serve --config routing.toml never became ready"
    );
    let mut auth = support::authentications(ports[0]).await;
    let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
    request.merchant_id = "travel".into();
    request.idempotency_key = key();
    let started = auth.start_authentication(request).await;
    let _ = child.kill();
    let _ = child.wait();
    let started = started.expect("travel starts").into_inner();
    assert_eq!(started.account, "cs_travel");
    assert_eq!(started.status(), AuthenticationStatus::OtpRequired);
}

fn rule(name: &str, accounts: &[&str]) -> payorch::config::RuleSettings {
    payorch::config::RuleSettings {
        name: name.into(),
        brands: Vec::new(),
        bin_ranges: Vec::new(),
        currencies: Vec::new(),
        min_amount: None,
        max_amount: None,
        flow: None,
        initiator: None,
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        weights: None,
        rank_by_otp_success: false,
    }
}

/// A mandate is routed as merchant-initiated (its debits will be): a rule sends `demo`'s
/// registrations to their own Cybersource account, whose merchant id signs the registration,
/// the notice and the debit, while `demo`'s one-off payments stay on its default account.
#[tokio::test]
async fn a_mandate_and_its_debits_stay_on_the_account_its_rule_chose() {
    use support::mandates::{LEAD, active_on, charge, notified, terms, until_due};

    let mut settings = support::settings();
    settings.merchants[0].connectors = vec!["cybersource".into()];
    settings.accounts.insert(
        "cs_subscriptions".into(),
        payorch::config::AccountSettings::Cybersource(payorch::config::CybersourceSettings {
            base_url: None,
            merchant_id: "payorch_subscriptions".into(),
            key_id: "0d6c5a3e-8f1b-4e5a-9b7c-3a2d1e0f9c03".into(),
            shared_secret: payorch::config::Secret::new(
                "bm9u4K9TfdvYoeO7J77B+uVwHf5lC21TsIyqP7XxnTM=",
            ),
            timeouts: Default::default(),
        }),
    );
    let mut subscriptions = rule("subscriptions", &["cs_subscriptions"]);
    subscriptions.initiator = Some("merchant".into());
    settings.merchants[0].rules = vec![subscriptions];
    settings.mandates.lead_time_secs = LEAD.as_secs();
    settings.sandbox.si_intimation_lead_secs = Some(LEAD.as_secs() - 1);
    let stack = Routed::start(settings).await;

    let mandate = active_on(stack.server.grpc_addr, stack.sandbox, terms(3)).await;
    assert_eq!(mandate.account, "cs_subscriptions");
    let why = mandate
        .routing
        .as_ref()
        .expect("the mandate's routing decision");
    assert_eq!(why.rule, "subscriptions");

    let one_off = stack.start_for("demo", SEAMLESS, 10_000).await;
    assert_eq!(one_off.account, "cybersource");
    let why = decision(&one_off);
    assert_eq!(why.rule, "default");
    assert_eq!(why.rules_not_matched[0].reason, "customer-initiated call");

    stack.reset_calls().await;
    let mut mandates = support::mandates(stack.server.grpc_addr).await;
    let notice = notified(&mut mandates, &mandate, 10_000).await;
    until_due(&notice).await;
    let debit = mandates
        .charge_mandate(charge(&mandate, &notice))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(debit.status(), api::PaymentStatus::Captured, "{debit:?}");
    assert_eq!(debit.account, "cs_subscriptions");
    let signers = stack.signers().await;
    assert_eq!(
        signers["cybersource"].keys().collect::<Vec<_>>(),
        vec!["payorch_subscriptions"],
        "{signers:?}"
    );
    stack.server.shutdown().await.unwrap();
}

/// Two replicas on one Redis: a session started on one continues on its account on the
/// other, which signs with that account's credentials.
#[tokio::test]
async fn a_session_continues_on_its_account_on_another_replica() {
    let redis = payorch_store::testing::RedisServer::start();
    let on_redis = |mut settings: Settings| {
        let shared = support::redis_settings(&redis.url());
        settings.store = shared.store;
        settings.encryption = shared.encryption;
        settings
    };
    let first = Routed::start(on_redis(routing_settings())).await;
    let mut second_settings = on_redis(routing_settings());
    second_settings.sandbox.embedded = false;
    second_settings.point_at_sandbox(first.sandbox);
    let second = Routed {
        server: support::start(second_settings).await,
        sandbox: first.sandbox,
    };

    let started = first.start_for("bookshop", MPGS_BIN_CARD, 10_000).await;
    assert_eq!(started.account, "mpgs_bookshop");
    first.reset_calls().await;
    let otp = second.otp(&started).await;
    let done = second.submit(&started, &otp).await;
    assert_eq!(done.status(), AuthenticationStatus::Succeeded, "{done:?}");
    assert_eq!(done.account, "mpgs_bookshop");
    assert_eq!(decision(&done).rule, "mpgs-bins");
    let payment = second.pay(&done).await;
    assert_eq!(payment.account, "mpgs_bookshop");
    let signers = first.signers().await;
    assert_eq!(
        signers.keys().collect::<Vec<_>>(),
        vec!["mpgs"],
        "only the session's provider was called: {signers:?}"
    );
    assert_eq!(
        signers["mpgs"].keys().collect::<Vec<_>>(),
        vec!["PAYORCHBOOKS"]
    );
    second.server.shutdown().await.unwrap();
    first.server.shutdown().await.unwrap();
}

/// With every account of a merchant behind an open breaker, a new start is UNAVAILABLE
/// (`NO_HEALTHY_ACCOUNT`, each account's reason given), but a retry of a start that was
/// answered still gets its answer.
#[tokio::test]
async fn with_every_breaker_open_new_starts_are_unavailable_and_retries_get_their_answer() {
    let stack = Routed::start(ordered_settings("replay")).await;
    let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
    request.merchant_id = "travel".into();
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let answered = auth
        .start_authentication(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.account, "cs_travel_replay");

    stack.arm("cybersource", "status=503").await;
    for _ in 0..3 {
        let unknown = stack.start_for("travel", SEAMLESS, 10_000).await;
        assert_eq!(unknown.status(), AuthenticationStatus::Unknown);
    }
    let refused = stack
        .try_start("travel", SEAMLESS, 10_000)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert_eq!(support::reason(&refused), "NO_HEALTHY_ACCOUNT");
    assert!(
        refused
            .message()
            .contains("cs_travel_replay: circuit breaker open"),
        "{refused:?}"
    );
    let replayed = auth
        .start_authentication(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replayed.id, answered.id);
    stack.server.shutdown().await.unwrap();
}

/// A rule on the requested flow: StartAuthentication and CheckEligibility match it alike.
#[tokio::test]
async fn a_flow_rule_routes_starts_and_eligibility_alike() {
    let mut settings = routing_settings();
    let mut redirects = rule("redirects", &["cs_bookshop"]);
    redirects.flow = Some("redirect".into());
    settings.merchants[0].rules.insert(0, redirects);
    let stack = Routed::start(settings).await;
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let ask = |flow: api::FlowPreference| api::CheckEligibilityRequest {
        merchant_id: "bookshop".into(),
        connector: String::new(),
        payment_method: Some(card(MPGS_BIN_CARD)),
        amount: inr(10_000),
        preferred_flow: flow.into(),
    };
    let redirect = auth
        .check_eligibility(ask(api::FlowPreference::Redirect))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(redirect.account, "cs_bookshop");
    assert_eq!(redirect.routing.unwrap().rule, "redirects");
    let seamless = auth
        .check_eligibility(ask(api::FlowPreference::Seamless))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seamless.account, "mpgs_bookshop");
    let seamless_why = seamless.routing.unwrap();
    assert_eq!(
        seamless_why.rules_not_matched[0].reason,
        "flow REDIRECT not requested"
    );

    let mut request = start_request(MPGS_BIN_CARD, api::FlowPreference::Redirect);
    request.merchant_id = "bookshop".into();
    let started = auth
        .start_authentication(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.account, "cs_bookshop");
    assert_eq!(decision(&started).rule, "redirects");
    stack.server.shutdown().await.unwrap();
}

/// A route ranked by OTP success: the account whose payers' OTPs keep failing drops behind
/// the one without such a record, and the decision says by what figures.
#[tokio::test]
async fn a_ranked_route_moves_the_account_whose_otps_fail_behind() {
    let mut settings = ordered_settings("ranked");
    settings.merchants[0].rank_by_otp_success = true;
    settings.routing.otp_health.min_samples = 2;
    settings.routing.otp_health.window = 2;
    settings.routing.ranking_explore_percent = 0;
    let stack = Routed::start(settings).await;
    for _ in 0..2 {
        let lost = stack.start_for("bookshop", SEAMLESS, 10_000).await;
        assert_eq!(lost.account, "cs_bookshop_ranked");
        let otp = stack.otp(&lost).await;
        let mut last = lost.clone();
        while last.status() == AuthenticationStatus::OtpRequired {
            last = stack.submit(&last, &support::flows::wrong(&otp)).await;
        }
        assert_eq!(
            last.failure_reason(),
            api::FailureReason::OtpAttemptsExhausted
        );
    }
    let ranked = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(ranked.account, "mpgs_bookshop_ranked");
    let why = decision(&ranked);
    assert_eq!(
        why.ranking,
        "by OTP success in any: mpgs_bookshop_ranked too few yet, cs_bookshop_ranked 0% of 2"
    );
    assert!(
        why.candidates.iter().all(|c| c.skipped_reason.is_empty()),
        "{why:?}"
    );
    stack.server.shutdown().await.unwrap();
}

/// A request answered on one account, retried when the route names another whose provider
/// needs a field the request lacks (MPGS: an IPv4 address), gets its answer, not the
/// refusal: the route of a retry is not the route of the answer.
#[tokio::test]
async fn a_retry_routed_elsewhere_now_still_gets_its_answer() {
    let stack = Routed::start(ordered_settings("reroute")).await;
    let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
    request.merchant_id = "bookshop".into();
    if let Some(browser) = request.browser.as_mut() {
        browser.ip_address = "2001:db8::7".into();
    }
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let answered = auth
        .start_authentication(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.account, "cs_bookshop_reroute");

    stack.arm("cybersource", "status=503").await;
    for _ in 0..3 {
        let unknown = stack.start_for("bookshop", SEAMLESS, 10_000).await;
        assert_eq!(unknown.status(), AuthenticationStatus::Unknown);
    }
    // A new request like it is refused: its route is now MPGS, which needs IPv4.
    let mut fresh = request.clone();
    fresh.idempotency_key = key();
    let refused = auth.start_authentication(fresh).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert_eq!(
        support::violated_fields(&refused),
        vec!["browser.ip_address".to_owned()]
    );
    let replayed = auth
        .start_authentication(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replayed.id, answered.id);
    assert_eq!(replayed.account, "cs_bookshop_reroute");
    stack.server.shutdown().await.unwrap();
}

/// A card the first account's provider cannot take (a network token: the Cybersource
/// adapter sends cards only) starts on the next account that can, before anything is sent,
/// and the decision says why the first was passed over.
#[tokio::test]
async fn a_card_the_first_account_cannot_take_starts_on_the_next() {
    let stack = Routed::start(ordered_settings("token")).await;
    stack.reset_calls().await;
    let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
    request.merchant_id = "bookshop".into();
    request.payment_method = Some(api::PaymentMethod {
        method: Some(api::payment_method::Method::NetworkToken(
            api::NetworkToken {
                number: SEAMLESS.into(),
                cryptogram: "AgAAAAAABk4DWZ4C28yUQAAAAAA=".into(),
                expiry_month: "12".into(),
                expiry_year: "2031".into(),
            },
        )),
    });
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let started = auth
        .start_authentication(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        started.status(),
        AuthenticationStatus::OtpRequired,
        "{started:?}"
    );
    assert_eq!(started.account, "mpgs_bookshop_token");
    let why = decision(&started);
    assert_eq!(why.candidates[0].account, "cs_bookshop_token");
    assert_eq!(
        why.candidates[0].skipped_reason,
        "not eligible: does not take network tokens"
    );
    let cybersource_calls: u64 = stack.sandbox_json("calls").await["cybersource"]
        .as_object()
        .map(|ops| ops.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert_eq!(
        cybersource_calls, 0,
        "nothing was sent to the first account"
    );
    let metrics = stack.get("/metrics").await;
    // Metrics are the test process's: only this test's accounts count.
    let failovers = support::metric_sum(
        &metrics,
        "payorch_routing_failovers_total",
        &[("from", "cs_bookshop_token")],
    );
    assert_eq!(failovers, 0.0, "passing over before a call is no failover");

    // The one account that takes tokens goes down: a token start waits for it (UNAVAILABLE,
    // retryable), never the first account's final answer.
    stack.arm("mpgs", "status=503").await;
    for _ in 0..3 {
        let mut again = request.clone();
        again.idempotency_key = key();
        let unknown = auth.start_authentication(again).await.unwrap().into_inner();
        assert_eq!(
            unknown.status(),
            AuthenticationStatus::Unknown,
            "{unknown:?}"
        );
    }
    let mut again = request.clone();
    again.idempotency_key = key();
    let waiting = auth.start_authentication(again).await.unwrap_err();
    assert_eq!(waiting.code(), tonic::Code::Unavailable, "{waiting:?}");
    assert_eq!(support::reason(&waiting), "NO_HEALTHY_ACCOUNT");
    assert!(
        waiting
            .message()
            .contains("mpgs_bookshop_token: circuit breaker open"),
        "{waiting:?}"
    );
    stack.server.shutdown().await.unwrap();
}

/// An account whose credentials the provider refuses did nothing: the start moves to the
/// next account within the call, and the refusal counts against the first one's breaker.
#[tokio::test]
async fn refused_credentials_fail_over_within_the_call() {
    let mut settings = ordered_settings("creds");
    let cs = cybersource_account(&mut settings, "cs_bookshop_creds");
    // The sandbox's sample merchant, signed with another merchant's secret.
    cs.merchant_id = "testrest".into();
    cs.shared_secret = payorch::config::Secret::new("N0zLo8CEtZgaEbnG/TceMIJVZAMs0gJpUyMocLxg/nk=");
    settings.routing.breaker.failure_threshold = 1;
    let stack = Routed::start(settings).await;
    let moved = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(
        moved.status(),
        AuthenticationStatus::OtpRequired,
        "{moved:?}"
    );
    assert_eq!(moved.account, "mpgs_bookshop_creds");
    let why = decision(&moved);
    assert_eq!(why.candidates[0].account, "cs_bookshop_creds");
    assert!(
        why.candidates[0]
            .skipped_reason
            .starts_with("not reached: provider refused the credentials"),
        "{why:?}"
    );
    assert!(stack.calls("cybersource", "unauthenticated").await >= 1);
    let readiness = stack.get("/readyz").await;
    assert!(
        readiness.contains("account cs_bookshop_creds (cybersource): breaker open"),
        "{readiness}"
    );
    stack.server.shutdown().await.unwrap();
}

/// Starts the issuer could not carry are answers, not outages: the breaker stays closed
/// however many there are. They count as `failed` OTP authentications, so a ranked route
/// puts an account whose every start fails this way behind one it knows nothing about.
#[tokio::test]
async fn failed_starts_keep_the_breaker_closed_and_rank_the_account_last() {
    use support::flows::{ISSUER_UNAVAILABLE, NOT_ENROLLED};
    let mut settings = ordered_settings("failing");
    settings.merchants[0].rank_by_otp_success = true;
    settings.routing.otp_health.min_samples = 3;
    settings.routing.otp_health.window = 3;
    settings.routing.ranking_explore_percent = 0;
    // Lower than the number of failures below: declines must not count at all.
    settings.routing.breaker.failure_threshold = 2;
    let stack = Routed::start(settings).await;
    let not_enrolled = stack.start_for("bookshop", NOT_ENROLLED, 10_000).await;
    assert_eq!(not_enrolled.status(), AuthenticationStatus::Failed);
    for _ in 0..3 {
        let failed = stack
            .start_for("bookshop", ISSUER_UNAVAILABLE, 10_000)
            .await;
        assert_eq!(failed.account, "cs_bookshop_failing");
        assert_eq!(failed.status(), AuthenticationStatus::Failed, "{failed:?}");
        assert_eq!(
            failed.failure_reason(),
            api::FailureReason::IssuerUnavailable
        );
    }
    let readiness = stack.get("/readyz").await;
    assert!(
        readiness.contains("account cs_bookshop_failing (cybersource): breaker closed"),
        "{readiness}"
    );
    let metrics = stack.get("/metrics").await;
    let stage = |stage: &str| {
        support::metric_sum(
            &metrics,
            "payorch_otp_stage_total",
            &[("account", "cs_bookshop_failing"), ("stage", stage)],
        )
    };
    assert_eq!(
        stage("failed"),
        3.0,
        "a card not enrolled is the card's doing: {metrics}"
    );
    let ranked = stack.start_for("bookshop", SEAMLESS, 10_000).await;
    assert_eq!(ranked.account, "mpgs_bookshop_failing");
    assert_eq!(
        decision(&ranked).ranking,
        "by OTP success in any: mpgs_bookshop_failing too few yet, cs_bookshop_failing 0% of 3"
    );
    stack.server.shutdown().await.unwrap();
}

/// A start whose caller's time is all but spent when its first account turns out
/// unreachable stays there: the next account could not be reached in time either, and
/// would only lose its probe. (The first account refuses the connection at once; with
/// under 20 ms of the caller's 19 left, the decision is counted on it, with no failover.)
#[tokio::test]
async fn no_failover_once_the_callers_time_is_spent() {
    let mut settings = ordered_settings("spent");
    let cs = cybersource_account(&mut settings, "cs_bookshop_spent");
    // Nothing listens on port 1: the connection is refused, nothing is sent.
    cs.base_url = Some("http://127.0.0.1:1/cybersource".into());
    let stack = Routed::start(settings).await;
    let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
    request.merchant_id = "bookshop".into();
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    let mut call = tonic::Request::new(request);
    call.set_timeout(std::time::Duration::from_millis(19));
    // The caller gives up at once; the start goes on in its own task.
    let _ = auth.start_authentication(call).await;
    let decided = |metrics: &str, account: &str| {
        support::metric_sum(
            metrics,
            "payorch_routing_decisions_total",
            &[("merchant", "bookshop"), ("account", account)],
        )
    };
    let settled = support::eventually(std::time::Duration::from_secs(10), || async {
        let metrics = stack.get("/metrics").await;
        decided(&metrics, "cs_bookshop_spent") + decided(&metrics, "mpgs_bookshop_spent") >= 1.0
    })
    .await;
    assert!(settled, "the start was never decided");
    let metrics = stack.get("/metrics").await;
    assert_eq!(decided(&metrics, "cs_bookshop_spent"), 1.0, "{metrics}");
    assert_eq!(
        support::metric_sum(
            &metrics,
            "payorch_routing_failovers_total",
            &[("from", "cs_bookshop_spent")]
        ),
        0.0,
        "{metrics}"
    );
    stack.server.shutdown().await.unwrap();
}

/// Two merchants with their own Fiserv IPG store and Juspay merchant account, both on the
/// embedded sandbox (which boards them as the providers would): every call is signed with
/// its own merchant's credentials, seamless and redirect alike, and the payer's return
/// from the issuer's page is signed with that merchant's key, which its adapter checks.
#[tokio::test]
async fn fiserv_and_juspay_accounts_of_two_merchants_keep_their_own_credentials() {
    let file = std::env::temp_dir().join(format!("payorch-two-stores-{}.toml", std::process::id()));
    let mut text = String::from("[sandbox]\nembedded = true\n");
    for shop in ["shop_a", "shop_b"] {
        text.push_str(&format!(
            "[accounts.fiserv_{shop}]\nconnector = \"fiserv-ipg\"\napi_key = \"{shop}-fiserv-key\"\n\
             api_secret = \"{shop}-fiserv-secret\"\n\
             [accounts.juspay_{shop}]\nconnector = \"juspay\"\nmerchant_id = \"{shop}\"\n\
             api_key = \"{shop}_juspay_key\"\n\
             [[merchants]]\nid = \"{shop}\"\naccounts = [\"fiserv_{shop}\", \"juspay_{shop}\"]\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
    let loaded = Settings::load(Some(&file));
    let _ = std::fs::remove_file(&file);
    let mut settings = loaded.unwrap();
    settings.grpc.listen = "127.0.0.1:0".parse().unwrap();
    settings.http.listen = "127.0.0.1:0".parse().unwrap();
    settings.sandbox.listen = "127.0.0.1:0".parse().unwrap();
    let stack = Routed::start(settings).await;
    let http = reqwest::Client::new();
    let mut auth = support::authentications(stack.server.grpc_addr).await;
    for shop in ["shop_a", "shop_b"] {
        stack.reset_calls().await;
        for connector in ["fiserv-ipg", "juspay"] {
            let mut request = start_request(SEAMLESS, api::FlowPreference::Seamless);
            request.merchant_id = shop.into();
            request.connector = connector.into();
            let started = auth
                .start_authentication(request)
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                started.account,
                format!("{}_{shop}", connector.replace("-ipg", ""))
            );
            let otp = stack.otp(&started).await;
            let done = stack.submit(&started, &otp).await;
            assert_eq!(done.status(), AuthenticationStatus::Succeeded, "{done:?}");
            let payment = stack.pay(&done).await;
            assert_eq!(
                payment.status(),
                api::PaymentStatus::Captured,
                "{payment:?}"
            );

            let mut request =
                start_request(support::flows::REDIRECT_ONLY, api::FlowPreference::Redirect);
            request.merchant_id = shop.into();
            request.connector = connector.into();
            let started = auth
                .start_authentication(request)
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                started.status(),
                AuthenticationStatus::RedirectRequired,
                "{started:?}"
            );
            let otp = stack.otp(&started).await;
            let (_, fields) = support::flows::payer_at_acs(&http, &started, &[("otp", &otp)]).await;
            let done = auth
                .complete_redirect(api::CompleteRedirectRequest {
                    authentication_id: started.id.clone(),
                    params: fields.into_iter().collect(),
                    idempotency_key: key(),
                    merchant_id: shop.into(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                done.status(),
                AuthenticationStatus::Succeeded,
                "{connector} for {shop}: {done:?}"
            );
        }
        let signers = stack.signers().await;
        let signed_by = |connector: &str| -> Vec<String> {
            signers
                .get(connector)
                .map(|by| by.keys().cloned().collect())
                .unwrap_or_default()
        };
        assert_eq!(signed_by("fiserv-ipg"), vec![format!("{shop}-fiserv-key")]);
        assert_eq!(signed_by("juspay"), vec![shop.to_owned()]);
    }
    stack.server.shutdown().await.unwrap();
}
