//! README.md's examples, run as written: every `grpcurl` and `curl` command of its shell
//! blocks is parsed from the file and executed against the embedded server (a real tonic
//! client for gRPC, HTTP for the sandbox hooks), once per connector. Only what the README tells
//! the reader to substitute is substituted: `AUTH`, `REF` and `OTP` from earlier answers,
//! `ORDER` with a fresh order number, and `cybersource` in `"connector"` and the OTP URL. A
//! README that drifts (a field the API does not have, a step that no longer answers what its
//! `# ->` comment says) fails here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;

use payorch::api;
use payorch::config::Settings;
use serde_json::Value;
use support::examples::{self, Command};
use tokio_stream::StreamExt;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

/// The placeholders the README tells the reader to fill in.
const PLACEHOLDERS: [&str; 4] = ["AUTH", "REF", "OTP", "ORDER"];
/// The connector the README's requests pin.
const README_CONNECTOR: &str = "cybersource";

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// Every grpcurl and curl command of the README's shell blocks, in order.
fn request_examples(readme: &str) -> Vec<Command> {
    examples::fenced_blocks(readme)
        .into_iter()
        .filter(|b| b.lang == "sh")
        .flat_map(|b| {
            examples::shell_commands(&b.text).unwrap_or_else(|e| panic!("{e}:\n{}", b.text))
        })
        .filter(|c| matches!(c.program(), "grpcurl" | "curl"))
        .collect()
}

/// One run of the walk-through against a started payorch.
struct Walk {
    grpc: SocketAddr,
    sandbox: SocketAddr,
    connector: String,
    order: String,
    values: HashMap<&'static str, String>,
    http: reqwest::Client,
    /// What ran, e.g. "StartAuthentication", "GET /_sandbox/cards".
    ran: Vec<String>,
    catalogue: Vec<String>,
    cards_used: Vec<String>,
    final_payment: Option<api::Payment>,
}

impl Walk {
    fn value(&self, name: &'static str) -> String {
        self.values
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} is used before any step of the README answered it"))
    }

    /// README addresses are the embedded defaults; the test's server listens on free ports.
    fn grpc_address(&self, readme_address: &str) -> SocketAddr {
        assert_eq!(
            readme_address,
            Settings::embedded().grpc.listen.to_string(),
            "the README's gRPC address is not the embedded default"
        );
        self.grpc
    }

    /// The JSON as the reader would send it: placeholders filled in, the connector pinned.
    fn substitute(&self, value: &Value, key: Option<&str>) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.substitute(v, Some(k))))
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.substitute(v, None)).collect())
            }
            Value::String(s) if key == Some("connector") && s == README_CONNECTOR => {
                Value::String(self.connector.clone())
            }
            Value::String(s) if s == "AUTH" || s == "REF" || s == "OTP" => {
                let name = PLACEHOLDERS.into_iter().find(|p| p == s).unwrap();
                Value::String(self.value(name))
            }
            Value::String(s) if s.contains("ORDER") => {
                Value::String(s.replace("ORDER", &self.order))
            }
            other => other.clone(),
        }
    }

    async fn run(&mut self, command: &Command) {
        match command.program() {
            "grpcurl" => self.grpcurl(command).await,
            "curl" => self.curl(command).await,
            other => unreachable!("{other}"),
        }
    }

    async fn grpcurl(&mut self, command: &Command) {
        let call =
            examples::parse_grpcurl(&command.words).unwrap_or_else(|e| panic!("{e}: {command:?}"));
        let addr = self.grpc_address(&call.address);
        let data = call.data.as_ref().map(|d| self.substitute(d, None));
        let needs_data = |method: &str| {
            data.clone()
                .unwrap_or_else(|| panic!("{method} example without -d"))
        };
        let channel = support::channel(addr).await;
        let expect = Expectation::of(&command.comment);
        match call.method.as_str() {
            "list" => {
                assert!(data.is_none());
                let services = list_services(channel).await;
                for service in [
                    "payorch.v1.AuthenticationService",
                    "payorch.v1.PaymentService",
                    "payorch.v1.MandateService",
                    "grpc.health.v1.Health",
                ] {
                    assert!(
                        services.iter().any(|s| s == service),
                        "{service} not listed: {services:?}"
                    );
                }
                expect.check("list", &[]);
            }
            "grpc.health.v1.Health/Check" => {
                let status = tonic_health::pb::health_client::HealthClient::new(channel)
                    .check(tonic_health::pb::HealthCheckRequest::default())
                    .await
                    .expect("Health/Check")
                    .into_inner()
                    .status();
                expect.check("Health/Check", &[status.as_str_name()]);
            }
            "payorch.v1.AuthenticationService/StartAuthentication" => {
                let request = examples::start_authentication(&needs_data("StartAuthentication"))
                    .unwrap_or_else(|e| panic!("StartAuthentication example: {e}"));
                if let Some(api::payment_method::Method::Card(card)) = request
                    .payment_method
                    .as_ref()
                    .and_then(|m| m.method.as_ref())
                {
                    self.cards_used.push(card.number.clone());
                }
                let answer =
                    api::authentication_service_client::AuthenticationServiceClient::new(channel)
                        .start_authentication(request)
                        .await
                        .unwrap_or_else(|s| {
                            panic!("StartAuthentication on {}: {s:?}", self.connector)
                        })
                        .into_inner();
                if command.comment.contains("next_action.collect_otp") {
                    assert!(
                        matches!(
                            answer.next_action.as_ref().and_then(|n| n.action.as_ref()),
                            Some(api::next_action::Action::CollectOtp(_))
                        ),
                        "{}: no collect_otp in {answer:?}",
                        self.connector
                    );
                }
                expect.check(
                    &format!("StartAuthentication on {}", self.connector),
                    &authentication_names(&answer),
                );
                assert!(
                    !answer.id.is_empty() && !answer.provider_reference.is_empty(),
                    "{answer:?}"
                );
                self.values.insert("AUTH", answer.id);
                self.values.insert("REF", answer.provider_reference);
                self.ran.push("StartAuthentication".into());
            }
            "payorch.v1.AuthenticationService/SubmitOtp" => {
                let request = examples::submit_otp(&needs_data("SubmitOtp"))
                    .unwrap_or_else(|e| panic!("SubmitOtp example: {e}"));
                let answer =
                    api::authentication_service_client::AuthenticationServiceClient::new(channel)
                        .submit_otp(request)
                        .await
                        .unwrap_or_else(|s| panic!("SubmitOtp on {}: {s:?}", self.connector))
                        .into_inner();
                expect.check(
                    &format!("SubmitOtp on {}", self.connector),
                    &authentication_names(&answer),
                );
                self.ran.push("SubmitOtp".into());
            }
            "payorch.v1.AuthenticationService/GetAuthentication" => {
                let request = examples::get_authentication(&needs_data("GetAuthentication"))
                    .unwrap_or_else(|e| panic!("GetAuthentication example: {e}"));
                let answer =
                    api::authentication_service_client::AuthenticationServiceClient::new(channel)
                        .get_authentication(request)
                        .await
                        .unwrap_or_else(|s| {
                            panic!("GetAuthentication on {}: {s:?}", self.connector)
                        })
                        .into_inner();
                expect.check(
                    &format!("GetAuthentication on {}", self.connector),
                    &authentication_names(&answer),
                );
                self.ran.push("GetAuthentication".into());
            }
            "payorch.v1.PaymentService/Authorize" => {
                let request = examples::authorize(&needs_data("Authorize"))
                    .unwrap_or_else(|e| panic!("Authorize example: {e}"));
                let answer = api::payment_service_client::PaymentServiceClient::new(channel)
                    .authorize(request)
                    .await
                    .unwrap_or_else(|s| panic!("Authorize on {}: {s:?}", self.connector))
                    .into_inner();
                expect.check(
                    &format!("Authorize on {}", self.connector),
                    &[answer.status().as_str_name()],
                );
                self.final_payment = Some(answer);
                self.ran.push("Authorize".into());
            }
            other => panic!(
                "the README calls {other}, which tests/readme_examples.rs does not run yet: \
                 map its JSON in tests/support/examples.rs"
            ),
        }
    }

    async fn curl(&mut self, command: &Command) {
        let url =
            examples::parse_curl(&command.words).unwrap_or_else(|e| panic!("{e}: {command:?}"));
        let (host, path) = url
            .trim_start_matches("http://")
            .split_once('/')
            .unwrap_or_else(|| panic!("no path in {url}"));
        assert_eq!(
            host,
            Settings::embedded().sandbox.listen.to_string(),
            "the README's sandbox address is not the embedded default"
        );
        // Path segments: the connector in the OTP URL and the REF placeholder.
        let segments: Vec<String> = path
            .split('/')
            .enumerate()
            .map(|(i, segment)| match segment {
                "REF" => self.value("REF"),
                s if i == 2 && path.starts_with("_sandbox/otp/") && s == README_CONNECTOR => {
                    self.connector.clone()
                }
                s => s.to_owned(),
            })
            .collect();
        let path = segments.join("/");
        let response = self
            .http
            .get(format!("http://{}/{path}", self.sandbox))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET /{path}: {e}"));
        assert_eq!(response.status(), 200, "GET /{path}");
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET /{path}: not JSON: {e}"));
        if path == "_sandbox/cards" {
            let cards = body.as_array().unwrap_or_else(|| panic!("cards: {body}"));
            self.catalogue = cards
                .iter()
                .map(|c| {
                    c["number"]
                        .as_str()
                        .unwrap_or_else(|| panic!("card {c}"))
                        .to_owned()
                })
                .collect();
            assert!(!self.catalogue.is_empty());
            self.ran.push("GET /_sandbox/cards".into());
        } else if path.starts_with("_sandbox/otp/") {
            let otp = body["otp"]
                .as_str()
                .unwrap_or_else(|| panic!("no otp in {body}"));
            assert!(
                otp.len() >= 4 && otp.bytes().all(|b| b.is_ascii_digit()),
                "{otp}"
            );
            self.values.insert("OTP", otp.to_owned());
            self.ran.push("GET /_sandbox/otp".into());
        } else {
            panic!("the README curls /{path}, which this test does not know");
        }
    }
}

/// What a `# -> ...` comment promises: enum values (as their proto suffixes, e.g. CAPTURED).
struct Expectation(Vec<String>);

impl Expectation {
    fn of(comment: &str) -> Self {
        let Some((_, promise)) = comment.split_once("->") else {
            return Self(Vec::new());
        };
        let tokens = promise
            .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .filter(|t| t.len() >= 3 && !PLACEHOLDERS.contains(t))
            .map(str::to_owned)
            .collect();
        Self(tokens)
    }

    fn check(&self, step: &str, names: &[&str]) {
        for token in &self.0 {
            assert!(
                names
                    .iter()
                    .any(|n| *n == token || n.ends_with(&format!("_{token}"))),
                "{step}: the README promises {token}, the answer was {names:?}"
            );
        }
    }
}

fn authentication_names(answer: &api::Authentication) -> Vec<&'static str> {
    vec![
        answer.status().as_str_name(),
        answer.recommendation().as_str_name(),
        answer.flow().as_str_name(),
    ]
}

async fn list_services(channel: tonic::transport::Channel) -> Vec<String> {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    match stream.next().await {
        Some(Ok(reply)) => match reply.message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection answer {other:?}"),
        },
        other => panic!("no reflection answer: {other:?}"),
    }
}

/// Runs every request example of the README for `connector` on a fresh embedded server.
async fn walk_through(connector: &str) -> Walk {
    let payorch = support::start(support::settings()).await;
    let order = format!("order-{}", uuid::Uuid::new_v4().simple());
    let walk = walk_on(&payorch, connector, &order).await;
    payorch.shutdown().await.unwrap();
    walk
}

/// Runs every request example of the README for `connector` against `payorch`, with `ORDER`
/// standing for `order`.
async fn walk_on(payorch: &payorch::app::Running, connector: &str, order: &str) -> Walk {
    let readme = readme();
    for placeholder in PLACEHOLDERS {
        assert!(
            readme.contains(&format!("`{placeholder}`")),
            "the README no longer tells the reader what {placeholder} is"
        );
    }
    let commands = request_examples(&readme);
    let mut walk = Walk {
        grpc: payorch.grpc_addr,
        sandbox: payorch.sandbox_addr.expect("embedded sandbox"),
        connector: connector.to_owned(),
        order: order.to_owned(),
        values: HashMap::new(),
        http: reqwest::Client::new(),
        ran: Vec::new(),
        catalogue: Vec::new(),
        cards_used: Vec::new(),
        final_payment: None,
    };
    for command in &commands {
        walk.run(command).await;
    }
    for step in [
        "GET /_sandbox/cards",
        "StartAuthentication",
        "GET /_sandbox/otp",
        "SubmitOtp",
        "Authorize",
    ] {
        assert!(
            walk.ran.iter().any(|r| r == step),
            "the README no longer shows {step}: {:?}",
            walk.ran
        );
    }
    for card in &walk.cards_used {
        assert!(
            walk.catalogue.contains(card),
            "{card} is not in the sandbox's catalogue"
        );
    }
    let payment = walk.final_payment.as_ref().unwrap();
    assert_eq!(payment.connector, connector, "{payment:?}");
    walk
}

/// The first time through, nothing needs substituting in the keys: `ORDER` stays `ORDER`.
#[tokio::test]
async fn the_walk_through_runs_as_written_on_cybersource() {
    let payorch = support::start(support::settings()).await;
    walk_on(&payorch, README_CONNECTOR, "ORDER").await;
    payorch.shutdown().await.unwrap();
}

/// What the README warns about: another connector under the same keys is ALREADY_EXISTS, and
/// a new order number makes the same steps work.
#[tokio::test]
async fn another_attempt_needs_a_new_order_number() {
    let payorch = support::start(support::settings()).await;
    walk_on(&payorch, README_CONNECTOR, "ORDER").await;
    let readme = readme();
    let start = request_examples(&readme)
        .into_iter()
        .find(|c| c.words.iter().any(|w| w.ends_with("/StartAuthentication")))
        .expect("a StartAuthentication example");
    let mut data = examples::parse_grpcurl(&start.words).unwrap().data.unwrap();
    data["connector"] = Value::String("mpgs".into());
    let refused = support::authentications(payorch.grpc_addr)
        .await
        .start_authentication(examples::start_authentication(&data).unwrap())
        .await
        .expect_err("the same key for another request");
    assert_eq!(refused.code(), tonic::Code::AlreadyExists, "{refused:?}");
    walk_on(&payorch, "mpgs", "order-43").await;
    payorch.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_walk_through_runs_as_written_on_fiserv_ipg() {
    walk_through("fiserv-ipg").await;
}

#[tokio::test]
async fn the_walk_through_runs_as_written_on_mpgs() {
    walk_through("mpgs").await;
}

#[tokio::test]
async fn the_walk_through_runs_as_written_on_juspay() {
    walk_through("juspay").await;
}

#[test]
fn the_walk_through_pins_the_readme_connector_and_no_literal_otp() {
    let readme = readme();
    let commands = request_examples(&readme);
    let submit = commands
        .iter()
        .find(|c| c.words.iter().any(|w| w.ends_with("/SubmitOtp")))
        .expect("a SubmitOtp example");
    let call = examples::parse_grpcurl(&submit.words).unwrap();
    let data = call.data.unwrap();
    assert_eq!(
        data["otp"], "OTP",
        "SubmitOtp must take the OTP from the sandbox hook"
    );
    let start = commands
        .iter()
        .find(|c| c.words.iter().any(|w| w.ends_with("/StartAuthentication")))
        .expect("a StartAuthentication example");
    let data = examples::parse_grpcurl(&start.words).unwrap().data.unwrap();
    assert_eq!(data["connector"], README_CONNECTOR);
    let browser = &data["browser"];
    for field in ["ip_address", "user_agent", "accept_header", "language"] {
        assert!(
            browser[field].as_str().is_some_and(|v| !v.is_empty()),
            "browser.{field}"
        );
    }
    // Every mutating example's key carries ORDER, so a fresh order number makes it fresh.
    for command in &commands {
        if let Ok(call) = examples::parse_grpcurl(&command.words)
            && let Some(key) = call
                .data
                .as_ref()
                .and_then(|d| d["idempotency_key"].as_str())
        {
            assert!(key.contains("ORDER"), "{key}: not made fresh by ORDER");
        }
    }
}

#[test]
fn the_example_mapping_refuses_fields_it_does_not_know() {
    let json: Value = serde_json::from_str(
        r#"{"merchant_id": "demo", "idempotency_key": "k", "browser": {"ip_address": "1.2.3.4", "langauge": "en"}}"#,
    )
    .unwrap();
    let err = examples::start_authentication(&json).unwrap_err();
    assert!(err.contains("browser.langauge"), "{err}");
    let json: Value = serde_json::from_str(r#"{"merchant_id": "demo", "otp": 123456}"#).unwrap();
    assert!(examples::submit_otp(&json).unwrap_err().contains("otp"));
}

#[test]
fn the_shell_reader_keeps_quotes_continuations_and_comments() {
    let commands = examples::shell_commands(
        "grpcurl -plaintext -d '{\"a\": \"b c\"}' \\\n  host:1 svc/M   # -> OK\n# and more\n\ncurl -s x/y\n",
    )
    .unwrap();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(
        commands[0].words,
        [
            "grpcurl",
            "-plaintext",
            "-d",
            "{\"a\": \"b c\"}",
            "host:1",
            "svc/M"
        ]
    );
    assert_eq!(commands[0].comment, "-> OK and more");
    assert_eq!(commands[1].words, ["curl", "-s", "x/y"]);
    assert!(examples::shell_commands("curl $URL").is_err());
}
