//! No secret reaches payorch's logs. The real `payorch` binary runs at `RUST_LOG=trace` with
//! every connector pointed at a recording proxy in front of its embedded sandbox; a full flow
//! runs on each connector (seamless start, a wrong OTP, a resend, the right OTP, Authorize
//! with capture, Refund), a redirect flow with the payer's browser on the issuer's page, an
//! MPGS network-token payment, and a RuPay Standing Instruction on Cybersource (registration
//! by OTP, a notice, a debit). Then all of stdout and stderr is searched for every test
//! PAN (plain, spaced, dashed), the CVV, every OTP, the cryptogram, every token, CAVV or
//! other secret value the proxy saw on the wire, and every credential of the embedded
//! settings; and every sensitive field of every logged provider body must read
//! `[REDACTED]`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use payorch::api::authentication_service_client::AuthenticationServiceClient;
use payorch::api::mandate_service_client::MandateServiceClient;
use payorch::api::payment_service_client::PaymentServiceClient;
use payorch::api::{
    self, Authentication, AuthenticationStatus as AS, AuthorizeRequest, BrowserInfo,
    FlowPreference, Money, PaymentMethod, PaymentStatus as PS, RefundRequest, ResendOtpRequest,
    StartAuthenticationRequest, SubmitOtpRequest,
};
use serde_json::Value;
use tonic::transport::Channel;

const CONNECTORS: [&str; 4] = ["cybersource", "fiserv-ipg", "mpgs", "juspay"];
const SEAMLESS: &str = "5085000000000015";
const REDIRECT_ONLY: &str = "5085100000000021";
/// The sandbox's Standing Instruction card.
const SI_CARD: &str = "6531000000000021";
/// The mandate lead time the spawned payorch runs with (the sandbox's is a second shorter).
const MANDATE_LEAD_SECS: u64 = 2;
const CVV: &str = "739";
const CRYPTOGRAM: &str = "AgAAAAAABk4DWZ4C28yUQAAAAAA=";
const MASK: &str = "[REDACTED]";

/// The credentials of `Settings::embedded()`, as configured and as sent (Basic auth).
fn credentials() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=".into(),
        "payorch-sandbox-fiserv-key".into(),
        "payorch-sandbox-fiserv-secret".into(),
        "payorch_sandbox_juspay_key".into(),
        "payorch-sandbox-mpgs-password".into(),
        b64("merchant.TESTPAYORCH:payorch-sandbox-mpgs-password"),
        b64("payorch_sandbox_juspay_key:"),
        b64("payorch_sandbox_juspay_key"),
    ]
}

/// Field names (lower case, without `_`, `-`, `.`) whose values are secrets, decided
/// independently of the redactor under test.
fn secret_field(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    [
        "number",
        "cardnumber",
        "devicespecificnumber",
        "securitycode",
        "cardsecuritycode",
        "cvv",
        "otp",
        "answerotp",
        "verifyotp",
        "npciotpvalue",
        "pareq",
        "pares",
        "signedpares",
        "cavv",
        "authenticationvalue",
        "payerauthenticationrequest",
        "creq",
    ]
    .contains(&k.as_str())
        || k.ends_with("token")
        || k.ends_with("cryptogram")
        || k.ends_with("secret")
        || k.ends_with("password")
}

// ---------------------------------------------------------------------------------------
// A recording HTTP forward proxy (payorch's `HTTP_PROXY`): every provider call of payorch
// passes it on its way to the sandbox, and it keeps both bodies.

#[derive(Default)]
struct Wire {
    /// (path, request body, response body) of every exchange.
    exchanges: Vec<(String, Vec<u8>, Vec<u8>)>,
}

#[derive(Clone)]
struct Proxy {
    upstream: SocketAddr,
    client: reqwest::Client,
    wire: Arc<Mutex<Wire>>,
}

async fn forward(
    axum::extract::State(proxy): axum::extract::State<Proxy>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    // A forward proxy is asked for the absolute URL; only the sandbox is reachable.
    let authority = parts.uri.authority().map(|a| a.as_str().to_owned());
    assert_eq!(
        authority,
        Some(proxy.upstream.to_string()),
        "payorch called something other than the sandbox: {}",
        parts.uri
    );
    let mut outbound = proxy
        .client
        .request(
            parts.method.clone(),
            format!("http://{}{path}", proxy.upstream),
        )
        .body(body.to_vec());
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            // Host is kept as signed (Cybersource signs it).
            outbound = outbound.header(name, value);
        }
    }
    let answer = outbound.send().await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let answer_body = answer.bytes().await.unwrap();
    proxy
        .wire
        .lock()
        .unwrap()
        .exchanges
        .push((path, body.to_vec(), answer_body.to_vec()));
    let mut response = axum::response::Response::new(axum::body::Body::from(answer_body));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

fn start_proxy(
    listener: tokio::net::TcpListener,
    upstream: SocketAddr,
) -> (SocketAddr, Arc<Mutex<Wire>>) {
    let wire = Arc::new(Mutex::new(Wire::default()));
    let proxy = Proxy {
        upstream,
        client: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        wire: wire.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, wire)
}

/// Every string under a secret field of a JSON or form body, with its field name.
fn secret_values(body: &[u8], found: &mut BTreeMap<String, String>) {
    fn walk(value: &Value, in_token: bool, found: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match child {
                        Value::String(s)
                            if secret_field(key)
                                || (in_token && matches!(key.as_str(), "value" | "id")) =>
                        {
                            found.insert(s.clone(), key.clone());
                        }
                        _ => walk(
                            child,
                            in_token || key.to_lowercase().contains("token"),
                            found,
                        ),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, in_token, found)),
            _ => {}
        }
    }
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        walk(&json, false, found);
    } else if let Ok(text) = std::str::from_utf8(body) {
        for (key, value) in url::form_urlencoded::parse(text.as_bytes()) {
            if secret_field(&key) {
                found.insert(value.into_owned(), key.into_owned());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The binary.

struct Payorch {
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// Distinct free loopback addresses (all held while they are chosen).
fn free_addrs<const N: usize>() -> [SocketAddr; N] {
    let held: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| held[i].local_addr().unwrap())
}

fn spawn(grpc: SocketAddr, http: SocketAddr, sandbox: SocketAddr, proxy: SocketAddr) -> Payorch {
    let mut command = Command::new(env!("CARGO_BIN_EXE_payorch"));
    command
        .env("PAYORCH_GRPC__LISTEN", grpc.to_string())
        .env("PAYORCH_HTTP__LISTEN", http.to_string())
        .env("PAYORCH_SANDBOX__LISTEN", sandbox.to_string())
        .env("RUST_LOG", "trace")
        .env(
            "PAYORCH_MANDATES__LEAD_TIME_SECS",
            MANDATE_LEAD_SECS.to_string(),
        )
        .env(
            "PAYORCH_SANDBOX__SI_INTIMATION_LEAD_SECS",
            (MANDATE_LEAD_SECS - 1).to_string(),
        )
        .env_remove("REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The connectors keep their sandbox base URLs (the sandbox's pages and callbacks name
    // its own address, which MPGS checks); the proxy sits on the way.
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        command.env(var, format!("http://{proxy}"));
    }
    for var in ["NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy"] {
        command.env_remove(var);
    }
    let mut child = command.spawn().expect("spawn payorch");
    let output = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    let streams: [Box<dyn Read + Send>; 2] = [
        Box::new(child.stdout.take().unwrap()),
        Box::new(child.stderr.take().unwrap()),
    ];
    for mut stream in streams {
        let output = output.clone();
        readers.push(std::thread::spawn(move || {
            let mut chunk = [0u8; 64 * 1024];
            loop {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => output.lock().unwrap().extend_from_slice(&chunk[..n]),
                }
            }
        }));
    }
    Payorch {
        child,
        output,
        readers,
    }
}

impl Payorch {
    fn child_exited(&mut self) -> std::io::Result<bool> {
        Ok(self.child.try_wait()?.is_some())
    }

    /// Stops the process (SIGTERM, so its writers flush) and returns everything it printed.
    fn finish(mut self) -> String {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }
}

impl Drop for Payorch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// The merchant's and the payer's steps.

struct Merchant {
    auth: AuthenticationServiceClient<Channel>,
    payments: PaymentServiceClient<Channel>,
    mandates: MandateServiceClient<Channel>,
    http: reqwest::Client,
    sandbox: SocketAddr,
    otps: BTreeSet<String>,
}

fn key() -> String {
    format!("key-{}", uuid::Uuid::new_v4().simple())
}

fn inr(minor_units: i64) -> Option<Money> {
    Some(Money {
        minor_units,
        currency: "INR".into(),
    })
}

fn card(number: &str) -> PaymentMethod {
    PaymentMethod {
        method: Some(api::payment_method::Method::Card(api::Card {
            number: number.into(),
            expiry_month: "12".into(),
            expiry_year: "2031".into(),
            cvv: CVV.into(),
            holder_name: "A PAYER".into(),
        })),
    }
}

fn start_request(
    connector: &str,
    method: PaymentMethod,
    flow: FlowPreference,
) -> StartAuthenticationRequest {
    StartAuthenticationRequest {
        merchant_id: "demo".into(),
        idempotency_key: key(),
        connector: connector.into(),
        amount: inr(10000),
        payment_method: Some(method),
        browser: Some(BrowserInfo {
            ip_address: "203.0.113.7".into(),
            user_agent: "Mozilla/5.0 (payorch tests)".into(),
            accept_header: "text/html".into(),
            language: "en-IN".into(),
            ..Default::default()
        }),
        return_url: "https://merchant.example/return".into(),
        order_reference: format!("ORD-{}", uuid::Uuid::new_v4().simple()),
        preferred_flow: flow.into(),
        capture: true,
        ..Default::default()
    }
}

fn wrong(otp: &str) -> String {
    otp.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

impl Merchant {
    async fn otp(&mut self, connector: &str, authentication: &Authentication) -> String {
        let url = format!(
            "http://{}/_sandbox/otp/{connector}/{}",
            self.sandbox, authentication.provider_reference
        );
        let body: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let otp = body["otp"]
            .as_str()
            .unwrap_or_else(|| panic!("no open OTP challenge: {body}"))
            .to_owned();
        self.otps.insert(otp.clone());
        otp
    }

    async fn submit(&mut self, authentication: &Authentication, otp: &str) -> Authentication {
        self.auth
            .submit_otp(SubmitOtpRequest {
                authentication_id: authentication.id.clone(),
                otp: otp.into(),
                idempotency_key: key(),
                merchant_id: "demo".into(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    async fn authorize_and_refund(&mut self, authentication: &Authentication) {
        let payment = self
            .payments
            .authorize(AuthorizeRequest {
                merchant_id: "demo".into(),
                idempotency_key: key(),
                authentication_id: authentication.id.clone(),
                amount: inr(10000),
                capture: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(payment.status(), PS::Captured, "{payment:?}");
        let refunded = self
            .payments
            .refund(RefundRequest {
                payment_id: payment.id.clone(),
                amount: inr(2500),
                idempotency_key: key(),
                reason: "customer return".into(),
                merchant_id: "demo".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            refunded.refunded.as_ref().map(|m| m.minor_units),
            Some(2500),
            "{refunded:?}"
        );
    }

    /// Seamless start, a wrong OTP, a resend, the right OTP, Authorize with capture, Refund.
    async fn seamless(&mut self, connector: &str) {
        let started = self
            .auth
            .start_authentication(start_request(
                connector,
                card(SEAMLESS),
                FlowPreference::Seamless,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            started.status(),
            AS::OtpRequired,
            "{connector}: {started:?}"
        );
        let first = self.otp(connector, &started).await;
        let retry = self.submit(&started, &wrong(&first)).await;
        assert_eq!(retry.status(), AS::OtpRequired, "{connector}: {retry:?}");
        let resent = self
            .auth
            .resend_otp(ResendOtpRequest {
                authentication_id: started.id.clone(),
                idempotency_key: key(),
                merchant_id: "demo".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resent.status(), AS::OtpRequired, "{connector}: {resent:?}");
        let second = self.otp(connector, &resent).await;
        let done = self.submit(&started, &second).await;
        assert_eq!(done.status(), AS::Succeeded, "{connector}: {done:?}");
        self.authorize_and_refund(&done).await;
    }

    /// The redirect flow: the payer's browser opens the issuer's page, enters the OTP and is
    /// sent back to payorch's HTTP callback.
    async fn redirect(&mut self, connector: &str) {
        let started = self
            .auth
            .start_authentication(start_request(
                connector,
                card(REDIRECT_ONLY),
                FlowPreference::Redirect,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            started.status(),
            AS::RedirectRequired,
            "{connector}: {started:?}"
        );
        let otp = self.otp(connector, &started).await;
        let (action, fields) = self.payer_at_acs(&started, &[("otp", &otp)]).await;
        assert!(action.contains("/v1/callbacks/"), "{connector}: {action}");
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let back = no_redirects
            .post(&action)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 303, "{connector}");
        let read = self
            .auth
            .get_authentication(api::GetAuthenticationRequest {
                id: started.id.clone(),
                refresh: false,
                merchant_id: "demo".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.status(), AS::Succeeded, "{connector}: {read:?}");
        self.authorize_and_refund(&read).await;
    }

    /// A Standing Instruction on Cybersource: registration by OTP, a notice, a debit.
    async fn mandate(&mut self) {
        let ist = time::UtcOffset::from_hms(5, 30, 0).unwrap();
        let today = time::OffsetDateTime::now_utc().to_offset(ist).date();
        let iso =
            |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
        let registered = self
            .mandates
            .register_mandate(api::RegisterMandateRequest {
                merchant_id: "demo".into(),
                idempotency_key: key(),
                connector: "cybersource".into(),
                payment_method: Some(card(SI_CARD)),
                browser: start_request("cybersource", card(SI_CARD), FlowPreference::Any).browser,
                return_url: "https://merchant.example/si".into(),
                terms: Some(api::MandateTerms {
                    max_amount: inr(500_000),
                    frequency: api::MandateFrequency::AsPresented.into(),
                    start_date: iso(today),
                    end_date: iso(today.saturating_add(time::Duration::days(30))),
                    ..Default::default()
                }),
                customer_phone: "+919876543210".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let authentication = registered.authentication.clone().unwrap();
        let otp = self.otp("cybersource", &authentication).await;
        let done = self.submit(&authentication, &otp).await;
        assert_eq!(done.status(), AS::Succeeded, "{done:?}");
        let lead_ms = i64::try_from(MANDATE_LEAD_SECS * 1000).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let debit_at = i64::try_from(now.as_millis()).unwrap() + lead_ms + 200;
        let notice = self
            .mandates
            .notify_mandate_debit(api::NotifyMandateDebitRequest {
                mandate_id: registered.id.clone(),
                idempotency_key: key(),
                merchant_id: "demo".into(),
                amount: inr(20_000),
                debit_at: Some(prost_types::Timestamp {
                    seconds: debit_at / 1000,
                    nanos: i32::try_from(debit_at % 1000).unwrap() * 1_000_000,
                }),
                payment_method: Some(card(SI_CARD)),
            })
            .await
            .unwrap()
            .into_inner();
        tokio::time::sleep(Duration::from_millis(u64::try_from(lead_ms).unwrap() + 400)).await;
        let paid = self
            .mandates
            .charge_mandate(api::ChargeMandateRequest {
                mandate_id: registered.id.clone(),
                notification_id: notice.id.clone(),
                idempotency_key: key(),
                merchant_id: "demo".into(),
                capture: true,
                payment_method: Some(card(SI_CARD)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(paid.status(), PS::Captured, "{paid:?}");
    }

    /// MPGS with a network token (SCHEME_TOKEN and its cryptogram).
    async fn network_token(&mut self) {
        let method = PaymentMethod {
            method: Some(api::payment_method::Method::NetworkToken(
                api::NetworkToken {
                    number: SEAMLESS.into(),
                    cryptogram: CRYPTOGRAM.into(),
                    expiry_month: "12".into(),
                    expiry_year: "2031".into(),
                },
            )),
        };
        let started = self
            .auth
            .start_authentication(start_request("mpgs", method, FlowPreference::Seamless))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(started.status(), AS::OtpRequired, "{started:?}");
        let otp = self.otp("mpgs", &started).await;
        let done = self.submit(&started, &otp).await;
        assert_eq!(done.status(), AS::Succeeded, "{done:?}");
        self.authorize_and_refund(&done).await;
    }

    /// The payer's browser on the issuer's page (as `tests/support/flows.rs` does it).
    async fn payer_at_acs(
        &self,
        authentication: &Authentication,
        submit: &[(&str, &str)],
    ) -> (String, Vec<(String, String)>) {
        let Some(api::next_action::Action::Redirect(redirect)) = authentication
            .next_action
            .as_ref()
            .and_then(|a| a.action.clone())
        else {
            panic!("expected a redirect, got {:?}", authentication.next_action);
        };
        let open = self
            .http
            .post(&redirect.url)
            .form(&redirect.form_fields)
            .send()
            .await
            .unwrap();
        assert!(open.status().is_success(), "ACS page: {}", open.status());
        let submit_url = format!(
            "{}/submit",
            redirect.url.split('?').next().unwrap_or_default()
        );
        let mut reply: Value = self
            .http
            .post(submit_url)
            .header("accept", "application/json")
            .form(submit)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for _ in 0..4 {
            assert_eq!(reply["status"], "complete", "{reply}");
            let action = reply["action"].as_str().unwrap().to_owned();
            let fields: Vec<(String, String)> = reply["fields"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            if action.contains("/v1/callbacks/") {
                return (action, fields);
            }
            reply = self
                .http
                .post(&action)
                .header("accept", "application/json")
                .form(&fields)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        }
        panic!("the issuer's page never sent the payer back: {reply}");
    }
}

// ---------------------------------------------------------------------------------------
// Searching the output.

/// Occurrences of `needle` not touching a letter, digit or base64 character on either side.
fn standalone(haystack: &str, needle: &str) -> usize {
    let bytes = haystack.as_bytes();
    let glued = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    haystack
        .match_indices(needle)
        .filter(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + needle.len()).copied();
            !before.is_some_and(glued) && !after.is_some_and(glued)
        })
        .count()
}

fn spellings(pan: &str) -> Vec<String> {
    let groups: Vec<String> = pan
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    vec![pan.to_owned(), groups.join(" "), groups.join("-")]
}

/// Every sensitive field in a logged provider body that is not the mask.
fn unmasked_fields(body: &str, leaks: &mut Vec<String>, masked: &mut usize) {
    fn walk(value: &Value, path: &str, leaks: &mut Vec<String>, masked: &mut usize) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let here = format!("{path}.{key}");
                    match child {
                        Value::String(s) if secret_field(key) => {
                            if s == MASK {
                                *masked += 1;
                            } else {
                                leaks.push(format!("{here}={s}"));
                            }
                        }
                        _ => walk(child, &here, leaks, masked),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, path, leaks, masked)),
            _ => {}
        }
    }
    if let Ok(json) = serde_json::from_str::<Value>(body) {
        walk(&json, "", leaks, masked);
    } else {
        for (key, value) in url::form_urlencoded::parse(body.as_bytes()) {
            if secret_field(&key) {
                if value == MASK {
                    *masked += 1;
                } else {
                    leaks.push(format!("{key}={value}"));
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trace_logs_of_every_flow_hold_no_secret() {
    let started_at = Instant::now();
    // The proxy's port is held before the others are chosen, so none of them collide.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let [grpc, http, sandbox] = free_addrs();
    let (proxy, wire) = start_proxy(listener, sandbox);
    let mut payorch = spawn(grpc, http, sandbox, proxy);

    let deadline = Instant::now() + Duration::from_secs(20);
    let channel = loop {
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{grpc}"))
            .unwrap()
            .timeout(Duration::from_secs(10));
        match endpoint.connect().await {
            Ok(channel) => break channel,
            Err(e) if Instant::now() > deadline => {
                panic!("payorch never listened ({e}): {}", payorch.finish())
            }
            Err(e) if !matches!(payorch.child_exited(), Ok(false)) => {
                panic!("payorch exited ({e}): {}", payorch.finish())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let merchant = Merchant {
        auth: AuthenticationServiceClient::new(channel.clone()),
        payments: PaymentServiceClient::new(channel.clone()),
        mandates: MandateServiceClient::new(channel),
        http: reqwest::Client::new(),
        sandbox,
        otps: BTreeSet::new(),
    };
    let flows = tokio::spawn(async move {
        let mut merchant = merchant;
        for connector in CONNECTORS {
            merchant.seamless(connector).await;
            merchant.redirect(connector).await;
        }
        merchant.network_token().await;
        merchant.mandate().await;
        merchant.otps
    })
    .await;
    let otps = match flows {
        Ok(otps) => otps,
        Err(failed) => {
            let log = payorch.finish();
            let problems: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("\"WARN\"") || l.contains("\"ERROR\""))
                .collect();
            panic!(
                "a flow failed ({failed}); warnings and errors:\n{}",
                problems.join("\n")
            );
        }
    };

    let log = payorch.finish();

    // The log is the one that could fail: trace lines, and provider bodies for each connector.
    let lines: Vec<&str> = log.lines().collect();
    let parsed: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let trace_lines = parsed.iter().filter(|l| l["level"] == "TRACE").count();
    assert!(
        trace_lines > 0,
        "no TRACE line: RUST_LOG=trace did not take"
    );
    let provider_calls: Vec<&Value> = parsed
        .iter()
        .filter(|l| l["message"] == "provider call")
        .collect();
    for connector in CONNECTORS {
        let calls = provider_calls
            .iter()
            .filter(|l| l["connector"] == connector)
            .count();
        assert!(calls >= 5, "{connector}: only {calls} provider call lines");
    }
    assert!(
        log.contains("\\\"transactionToken\\\":"),
        "no Cybersource transactionToken in any logged body: the token path was not logged"
    );

    // Every sensitive field of every logged provider body is the mask.
    let mut leaks = Vec::new();
    let mut masked = 0;
    for line in &provider_calls {
        for side in ["request", "response"] {
            if let Some(body) = line[side].as_str() {
                unmasked_fields(body, &mut leaks, &mut masked);
            }
        }
    }
    assert!(leaks.is_empty(), "sensitive fields logged: {leaks:#?}");
    assert!(masked > 50, "only {masked} masked fields");

    // What went over the wire under a secret field, plus the fixed secrets.
    let mut on_the_wire = BTreeMap::new();
    let exchanges = wire.lock().unwrap().exchanges.len();
    for (_, request, response) in &wire.lock().unwrap().exchanges {
        secret_values(request, &mut on_the_wire);
        secret_values(response, &mut on_the_wire);
    }
    assert!(
        exchanges > 40,
        "only {exchanges} provider exchanges proxied"
    );
    on_the_wire.retain(|v, _| v.len() >= 3 && v != MASK);
    let mut found = Vec::new();
    let mut checked = 0;
    let mut check = |what: &str, secret: &str, count: usize| {
        checked += 1;
        if count > 0 {
            found.push(format!("{what} {secret:?} ({count}x)"));
        }
    };
    for pan in [SEAMLESS, REDIRECT_ONLY, SI_CARD] {
        for spelling in spellings(pan) {
            check("PAN", &spelling, log.matches(spelling.as_str()).count());
        }
    }
    check("CVV", CVV, standalone(&log, CVV));
    for otp in &otps {
        check("OTP", otp, standalone(&log, otp));
    }
    check("cryptogram", CRYPTOGRAM, log.matches(CRYPTOGRAM).count());
    for credential in credentials() {
        check(
            "credential",
            &credential,
            log.matches(credential.as_str()).count(),
        );
    }
    let wire_values = on_the_wire.len();
    let wire_fields: BTreeSet<&str> = on_the_wire.values().map(String::as_str).collect();
    for (value, field) in &on_the_wire {
        let count = if value.len() <= 6 || value.chars().all(|c| c.is_ascii_digit()) {
            standalone(&log, value)
        } else {
            log.matches(value.as_str()).count()
        };
        check(&format!("wire secret ({field})"), value, count);
    }
    let mut context = String::new();
    for item in &found {
        let needle = item.split('"').nth(1).unwrap_or_default();
        if let Some(line) = lines.iter().find(|l| l.contains(needle)) {
            let at = line.find(needle).unwrap_or(0).saturating_sub(300);
            let end = (at + 600).min(line.len());
            context.push_str(&format!("\n{item}\n  in: ...{}", &line[at..end]));
        }
    }
    assert!(found.is_empty(), "secrets in the log: {found:#?}{context}");
    assert!(otps.len() >= 13, "only {} OTPs fetched", otps.len());
    assert!(
        wire_values > 20,
        "only {wire_values} secret values on the wire"
    );
    eprintln!(
        "scanned {} log lines ({} bytes, {trace_lines} TRACE, {} provider calls, {masked} masked fields); \
         {checked} secrets checked ({} OTPs, {wire_values} secret values from {exchanges} proxied exchanges, fields {wire_fields:?}); {:?}",
        lines.len(),
        log.len(),
        provider_calls.len(),
        otps.len(),
        started_at.elapsed()
    );
}
