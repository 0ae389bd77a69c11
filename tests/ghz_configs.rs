//! The ghz load configurations in `deploy/ghz`, run the way `deploy/ghz/README.md` says:
//! each configuration's `data` is rendered with ghz's call template fields into the request
//! message of its `call`, and sent a few dozen times (concurrently, like ghz's workers) to the
//! embedded server. Every call must succeed, and answer what the load run is meant to measure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use payorch::api;
use payorch::api::authentication_service_client::AuthenticationServiceClient;
use payorch::config::Settings;
use serde_json::Value;
use support::examples;
use tonic::transport::Channel;

/// How many calls a test makes at most (ghz runs make thousands).
const CALLS: u64 = 40;
/// How many concurrent workers at most.
const WORKERS: u64 = 8;

fn ghz_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/ghz")
}

fn ghz_readme() -> String {
    std::fs::read_to_string(ghz_dir().join("README.md")).unwrap()
}

/// A ghz configuration file: the options the ones here use, and no others.
#[derive(Debug, Clone)]
struct GhzConfig {
    call: String,
    total: u64,
    concurrency: u64,
    data: Value,
}

impl GhzConfig {
    fn load(name: &str) -> Self {
        let path = ghz_dir().join(name);
        let raw: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| {
                panic!("{}: {e}", path.display());
            });
        let object = raw
            .as_object()
            .unwrap_or_else(|| panic!("{name}: not an object"));
        for key in object.keys() {
            assert!(
                ["call", "host", "insecure", "total", "concurrency", "data"]
                    .contains(&key.as_str()),
                "{name}: option {key} is not understood by tests/ghz_configs.rs"
            );
        }
        assert_eq!(
            raw["host"],
            Settings::embedded().grpc.listen.to_string(),
            "{name}: host is not the embedded gRPC address"
        );
        assert_eq!(
            raw["insecure"], true,
            "{name}: payorch's embedded gRPC is plaintext"
        );
        let total = raw["total"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: total"));
        let concurrency = raw["concurrency"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: concurrency"));
        assert!(
            total >= concurrency,
            "{name}: ghz needs total >= concurrency"
        );
        Self {
            call: raw["call"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: call"))
                .to_owned(),
            total,
            concurrency,
            data: raw["data"].clone(),
        }
    }
}

/// ghz's call template data for one call.
struct CallTemplate {
    request_number: u64,
    worker_id: u64,
}

impl CallTemplate {
    /// Renders `{{.Field}}` actions as ghz does; anything else is refused, so a configuration
    /// using a template feature this test does not implement fails instead of being sent raw.
    fn render(&self, text: &str) -> Result<String, String> {
        let now = time::OffsetDateTime::now_utc();
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed {{{{ in {text}"))?;
            let action = after[..end].trim();
            let value = match action {
                ".RequestNumber" => self.request_number.to_string(),
                ".WorkerID" => format!("g{}c0", self.worker_id),
                ".UUID" => uuid::Uuid::new_v4().to_string(),
                ".TimestampUnix" => now.unix_timestamp().to_string(),
                ".TimestampUnixMilli" => (now.unix_timestamp_nanos() / 1_000_000).to_string(),
                ".TimestampUnixNano" => now.unix_timestamp_nanos().to_string(),
                ".Timestamp" => now
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|e| e.to_string())?,
                other => {
                    return Err(format!(
                        "ghz template action {{{{{other}}}}} is not implemented here"
                    ));
                }
            };
            out.push_str(&value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// One rendered call's answer, reduced to what the tests check.
#[derive(Debug)]
struct Answer {
    id: String,
    status: api::AuthenticationStatus,
}

/// Sends the rendered message of `call` once.
async fn send(channel: Channel, call: &str, message: &Value) -> Result<Answer, String> {
    let mut client = AuthenticationServiceClient::new(channel);
    let answer = match call {
        "payorch.v1.AuthenticationService/StartAuthentication" => {
            client
                .start_authentication(examples::start_authentication(message)?)
                .await
        }
        "payorch.v1.AuthenticationService/GetAuthentication" => {
            client
                .get_authentication(examples::get_authentication(message)?)
                .await
        }
        "payorch.v1.AuthenticationService/SubmitOtp" => {
            client.submit_otp(examples::submit_otp(message)?).await
        }
        other => {
            return Err(format!(
                "{other}: a call tests/ghz_configs.rs does not know"
            ));
        }
    }
    .map_err(|status| format!("{call}: {status:?}"))?
    .into_inner();
    Ok(Answer {
        status: answer.status(),
        id: answer.id,
    })
}

/// What ghz does with `data` (one message, or an array sent round-robin): `calls` calls over
/// `workers` concurrent workers sharing one connection, each message rendered per call.
/// Returns every answer; any failed call fails the test.
async fn run_ghz(grpc: SocketAddr, config: &GhzConfig, data: &Value, calls: u64) -> Vec<Answer> {
    let messages: Vec<String> = match data {
        Value::Array(items) => items.iter().map(Value::to_string).collect(),
        single => vec![single.to_string()],
    };
    assert!(!messages.is_empty());
    let channel = support::channel(grpc).await;
    let next = Arc::new(AtomicU64::new(0));
    let messages = Arc::new(messages);
    let workers = config.concurrency.clamp(1, WORKERS).min(calls);
    let mut tasks = tokio::task::JoinSet::new();
    for worker_id in 0..workers {
        let (channel, next, messages, call) = (
            channel.clone(),
            next.clone(),
            messages.clone(),
            config.call.clone(),
        );
        tasks.spawn(async move {
            let mut answers = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= calls {
                    return answers;
                }
                let template = CallTemplate {
                    request_number: n,
                    worker_id,
                };
                let raw = &messages[(n as usize) % messages.len()];
                let rendered = template.render(raw).unwrap_or_else(|e| panic!("{e}"));
                let message: Value = serde_json::from_str(&rendered)
                    .unwrap_or_else(|e| panic!("rendered data is not JSON ({e}): {rendered}"));
                match send(channel.clone(), &call, &message).await {
                    Ok(answer) => answers.push(answer),
                    Err(e) => panic!("call {n} failed: {e}\nmessage: {rendered}"),
                }
            }
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        answers.extend(done.expect("worker"));
    }
    assert_eq!(answers.len() as u64, calls);
    answers
}

/// Step 1 of both recipes: start-authentication.json's message under a key of its own.
async fn seed_authentication(grpc: SocketAddr, n: usize) -> String {
    let start = GhzConfig::load("start-authentication.json");
    let mut message = start.data.clone();
    message["idempotency_key"] = Value::String(format!(
        "ghz-seed-{n}-{}",
        time::OffsetDateTime::now_utc().unix_timestamp()
    ));
    let answers = run_ghz(
        grpc,
        &GhzConfig {
            concurrency: 1,
            ..start
        },
        &message,
        1,
    )
    .await;
    assert_eq!(
        answers[0].status,
        api::AuthenticationStatus::OtpRequired,
        "{answers:?}"
    );
    answers[0].id.clone()
}

#[tokio::test]
async fn start_authentication_json_succeeds_on_every_call_with_a_fresh_authentication_each() {
    let config = GhzConfig::load("start-authentication.json");
    assert!(config.total >= CALLS);
    let payorch = support::start(support::settings()).await;
    let answers = run_ghz(payorch.grpc_addr, &config, &config.data, CALLS).await;
    for answer in &answers {
        assert_eq!(
            answer.status,
            api::AuthenticationStatus::OtpRequired,
            "{answer:?}"
        );
    }
    let ids: HashSet<&str> = answers.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids.len() as u64,
        CALLS,
        "the template must make every call a new authentication"
    );
    payorch.shutdown().await.unwrap();
}

#[tokio::test]
async fn get_authentication_recipe_reads_the_started_authentication_on_every_call() {
    let readme = ghz_readme();
    for step in [
        "'.data | .idempotency_key = \"ghz-seed-\\(now)\"' deploy/ghz/start-authentication.json",
        "payorch.v1.AuthenticationService/StartAuthentication",
        "jq --arg id \"$AUTH\" '.data.id = $id' deploy/ghz/get-authentication.json",
    ] {
        assert!(
            readme.contains(step),
            "deploy/ghz/README.md no longer says {step}"
        );
    }
    let config = GhzConfig::load("get-authentication.json");
    assert_eq!(config.data["id"], "AUTH", "the recipe fills in AUTH");
    let payorch = support::start(support::settings()).await;
    let auth = seed_authentication(payorch.grpc_addr, 1).await;
    let mut filled = config.clone();
    filled.data["id"] = Value::String(auth.clone());
    let answers = run_ghz(payorch.grpc_addr, &filled, &filled.data, CALLS).await;
    for answer in &answers {
        assert_eq!(answer.id, auth);
        assert_eq!(answer.status, api::AuthenticationStatus::OtpRequired);
    }
    payorch.shutdown().await.unwrap();
}

/// The fixed OTP the recipe starts payorch with, from its `PAYORCH_SANDBOX__FIXED_OTP=` line.
fn recipe_fixed_otp(readme: &str) -> String {
    let (_, after) = readme
        .split_once("PAYORCH_SANDBOX__FIXED_OTP=")
        .expect("the recipe starts payorch with PAYORCH_SANDBOX__FIXED_OTP");
    after.chars().take_while(char::is_ascii_digit).collect()
}

#[tokio::test]
async fn submit_otp_recipe_completes_every_authentication_once_with_the_fixed_otp() {
    let readme = ghz_readme();
    for step in [
        "PAYORCH_SANDBOX__FIXED_OTP=",
        "'.data | .idempotency_key = $key' deploy/ghz/start-authentication.json",
        "--slurpfile config deploy/ghz/submit-otp.json '$config[0].data + {authentication_id: .}'",
        "ghz --config deploy/ghz/submit-otp.json -D /tmp/submit-otp-data.json -n",
    ] {
        assert!(
            readme.contains(step),
            "deploy/ghz/README.md no longer says {step}"
        );
    }
    let fixed = recipe_fixed_otp(&readme);
    let config = GhzConfig::load("submit-otp.json");
    assert_eq!(
        config.data["otp"],
        fixed.as_str(),
        "submit-otp.json's otp is not the recipe's fixed OTP"
    );
    assert!(
        Settings::embedded().sandbox.fixed_otp.is_none(),
        "the fixed OTP must be off by default"
    );

    // 0. The real binary, as the recipe starts it.
    let mut payorch = examples::Binary::spawn(&[("PAYORCH_SANDBOX__FIXED_OTP", &fixed)]);
    payorch.wait_until_serving().await;
    let output = payorch.output();
    assert!(
        output
            .iter()
            .any(|l| l.contains("\"WARN\"") && l.contains("FIXED OTP")),
        "no FIXED OTP warning at start-up:\n{}",
        output.join("\n")
    );
    assert!(
        output
            .iter()
            .any(|l| l.contains(&format!("provider sandbox on http://{}", payorch.sandbox))),
        "the fixed-OTP sandbox is not where PAYORCH_SANDBOX__LISTEN put it:\n{}",
        output.join("\n")
    );

    // 1. Start the authentications and keep their ids.
    let count = (CALLS as usize).min(config.total as usize);
    let mut ids = Vec::new();
    for n in 1..=count {
        ids.push(seed_authentication(payorch.grpc, n).await);
    }
    // The sandbox really sends the fixed code (the environment's 123456 is read as a number).
    let hook: Value = reqwest::get(format!(
        "http://{}/_sandbox/otp/cybersource/{}",
        payorch.sandbox,
        provider_reference(payorch.grpc, &ids[0]).await
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(hook["otp"], fixed.as_str(), "{hook}");

    // 2. One SubmitOtp message per id.
    let data = Value::Array(
        ids.iter()
            .map(|id| {
                let mut message = config.data.clone();
                message["authentication_id"] = Value::String(id.clone());
                message
            })
            .collect(),
    );
    // 3. -n is the number of ids: each message once, round-robin.
    let answers = run_ghz(payorch.grpc, &config, &data, ids.len() as u64).await;
    for answer in &answers {
        assert_eq!(
            answer.status,
            api::AuthenticationStatus::Succeeded,
            "{answer:?}"
        );
    }
    let completed: HashSet<&str> = answers.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        completed.len(),
        ids.len(),
        "every authentication completed exactly once"
    );
}

async fn provider_reference(grpc: SocketAddr, id: &str) -> String {
    AuthenticationServiceClient::new(support::channel(grpc).await)
        .get_authentication(api::GetAuthenticationRequest {
            id: id.to_owned(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .provider_reference
}

#[test]
fn the_template_renderer_refuses_what_it_does_not_implement() {
    let template = CallTemplate {
        request_number: 7,
        worker_id: 0,
    };
    assert_eq!(
        template
            .render("k-{{.RequestNumber}}-{{ .RequestNumber }}")
            .unwrap(),
        "k-7-7"
    );
    let key = template.render("{{.UUID}}").unwrap();
    assert!(uuid::Uuid::parse_str(&key).is_ok(), "{key}");
    assert!(template.render("{{randomString 8}}").is_err());
    assert!(template.render("{{.id}}").is_err());
}

/// The configurations the tests above run; a new one needs its test (and its recipe).
const COVERED: [&str; 3] = [
    "start-authentication.json",
    "get-authentication.json",
    "submit-otp.json",
];

#[test]
fn every_ghz_configuration_is_run_by_a_test_and_documented() {
    let readme = ghz_readme();
    let mut found: Vec<String> = std::fs::read_dir(ghz_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json") || name.ends_with(".toml"))
        .collect();
    found.sort();
    let mut covered: Vec<String> = COVERED.iter().map(|s| (*s).to_owned()).collect();
    covered.sort();
    assert_eq!(
        found, covered,
        "deploy/ghz holds a configuration no test runs"
    );
    for name in COVERED {
        GhzConfig::load(name);
        assert!(
            readme.contains(&format!("deploy/ghz/{name}")),
            "deploy/ghz/README.md does not say how to run {name}"
        );
    }
}
