//! payorch's benchmark harness: starts payorch in-process (embedded sandbox, free loopback
//! ports) on the in-memory store and on a redis-server of its own, drives it with tonic
//! clients, and prints one row per scenario (see docs/PERFORMANCE.md).
//!
//! ```text
//! cargo run --release -p payorch-bench -- --scenario all --seconds 5 [--rate 1000] [--json]
//! ```
//!
//! Fixed-concurrency mode (the default) keeps `--concurrency` operations in flight. With
//! `--rate`, operations start on a fixed schedule and latency is measured from when each was
//! due, not from when it started (coordinated-omission correction: a stalled server is
//! charged for the calls it kept from starting).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use payorch::api::authentication_service_client::AuthenticationServiceClient;
use payorch::api::payment_service_client::PaymentServiceClient;
use payorch::api::{self, AuthenticationStatus, FlowPreference, StartAuthenticationRequest};
use payorch::config::{EncryptionSettings, Secret, Settings, StoreSettings};
use payorch_store::testing::RedisServer;
use serde::Serialize;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const OWN_TIME_HEADER: &str = "payorch-own-time-us";
/// A sandbox card that authenticates by OTP without a redirect.
const SEAMLESS_CARD: &str = "5085000000000015";
/// Throwaway key for the Redis runs' card encryption (32 bytes, base64).
const BENCH_KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Scenario {
    /// The bare tonic health service in the same server: the ceiling.
    Health,
    /// GetAuthentication of one stored authentication, one call at a time.
    GetSeq,
    /// GetAuthentication of one stored authentication.
    Get,
    /// StartAuthentication with a fresh key (one provider call).
    Start,
    /// Start, the OTP from the sandbox hook, SubmitOtp, Authorize with capture.
    Flow,
    /// StartAuthentication again under the same key: the stored answer.
    Replay,
    All,
}

impl Scenario {
    const EACH: [Scenario; 6] = [
        Scenario::Health,
        Scenario::GetSeq,
        Scenario::Get,
        Scenario::Start,
        Scenario::Flow,
        Scenario::Replay,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::GetSeq => "get-seq",
            Scenario::Get => "get",
            Scenario::Start => "start",
            Scenario::Flow => "flow",
            Scenario::Replay => "replay",
            Scenario::All => "all",
        }
    }

    /// RPCs to payorch per operation.
    fn rpcs(self) -> u64 {
        if self == Scenario::Flow { 3 } else { 1 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Stores {
    Memory,
    Redis,
    Both,
}

#[derive(Debug, Parser)]
#[command(about = "Benchmark payorch in-process against its embedded sandbox")]
struct Args {
    #[arg(long, value_enum, default_value = "all")]
    scenario: Scenario,
    /// Measured seconds per scenario (after a short warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Operations in flight (fixed-concurrency mode).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Operations started per second (fixed-rate mode, coordinated-omission corrected).
    #[arg(long)]
    rate: Option<u64>,
    /// HTTP/2 connections the clients spread over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    #[arg(long, value_enum, default_value = "both")]
    store: Stores,
    /// Authentications left open before reading RSS (and Redis memory) "with N in flight".
    #[arg(long, default_value_t = 10_000)]
    sessions: usize,
    /// The connector the `demo` merchant is routed to.
    #[arg(long, default_value = "cybersource")]
    connector: String,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Exit with failure when any call failed (for CI smoke runs; no throughput is asserted).
    #[arg(long)]
    fail_on_errors: bool,
}

#[derive(Debug, Serialize)]
struct Row {
    store: &'static str,
    scenario: &'static str,
    mode: String,
    ops: u64,
    ops_per_sec: f64,
    rpcs_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    errors: BTreeMap<String, u64>,
    ratio_to_health: Option<f64>,
    own_p50_us: Option<u64>,
    own_p99_us: Option<u64>,
    redis_commands_per_rpc: Option<f64>,
    rss_after_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Memory {
    store: &'static str,
    rss_idle_mib: Option<f64>,
    sessions: usize,
    rss_with_sessions_mib: Option<f64>,
    redis_bytes_per_session: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Report {
    command: String,
    rows: Vec<Row>,
    memory: Vec<Memory>,
}

/// What one operation did.
#[derive(Default)]
struct Outcome {
    rpcs: u64,
    own_us: Vec<u64>,
    error: Option<String>,
}

struct Stats {
    latency_us: Histogram<u64>,
    own_us: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    ops: u64,
    rpcs: u64,
}

impl Stats {
    fn new() -> Result<Self, String> {
        let histogram =
            || Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).map_err(|e| e.to_string());
        Ok(Self {
            latency_us: histogram()?,
            own_us: histogram()?,
            errors: BTreeMap::new(),
            ops: 0,
            rpcs: 0,
        })
    }

    fn record(&mut self, latency: Duration, outcome: Outcome) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.saturating_record(micros.max(1));
        for own in outcome.own_us {
            self.own_us.saturating_record(own.max(1));
        }
        self.ops += 1;
        self.rpcs += outcome.rpcs;
        if let Some(error) = outcome.error {
            *self.errors.entry(error).or_default() += 1;
        }
    }

    fn merge(&mut self, other: Stats) -> Result<(), String> {
        self.latency_us
            .add(&other.latency_us)
            .map_err(|e| e.to_string())?;
        self.own_us.add(&other.own_us).map_err(|e| e.to_string())?;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
        self.ops += other.ops;
        self.rpcs += other.rpcs;
        Ok(())
    }
}

/// Clients of one payorch, spread over several connections.
#[derive(Clone)]
struct Target {
    auth: Vec<AuthenticationServiceClient<Channel>>,
    payments: Vec<PaymentServiceClient<Channel>>,
    health: Vec<HealthClient<Channel>>,
    http: reqwest::Client,
    sandbox: SocketAddr,
    connector: String,
    /// The authentication `get` reads and the request `replay` repeats.
    stored_id: String,
    replayed: StartAuthenticationRequest,
}

fn key() -> String {
    format!("bench-{}", uuid::Uuid::new_v4().simple())
}

fn start_request() -> StartAuthenticationRequest {
    StartAuthenticationRequest {
        merchant_id: "demo".into(),
        idempotency_key: key(),
        amount: Some(api::Money {
            minor_units: 10_000,
            currency: "INR".into(),
        }),
        payment_method: Some(api::PaymentMethod {
            method: Some(api::payment_method::Method::Card(api::Card {
                number: SEAMLESS_CARD.into(),
                expiry_month: "12".into(),
                expiry_year: "2031".into(),
                cvv: "123".into(),
                holder_name: "A PAYER".into(),
            })),
        }),
        browser: Some(api::BrowserInfo {
            ip_address: "203.0.113.7".into(),
            user_agent: "Mozilla/5.0 (payorch-bench)".into(),
            accept_header: "text/html".into(),
            language: "en-IN".into(),
            ..Default::default()
        }),
        return_url: "https://merchant.example/return".into(),
        order_reference: format!("ORD-{}", uuid::Uuid::new_v4().simple()),
        preferred_flow: FlowPreference::Seamless.into(),
        capture: true,
        ..Default::default()
    }
}

fn own_time<T>(response: &tonic::Response<T>) -> Option<u64> {
    response
        .metadata()
        .get(OWN_TIME_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn code(status: &tonic::Status) -> String {
    format!("{:?}", status.code())
}

impl Target {
    async fn connect(
        grpc: SocketAddr,
        sandbox: SocketAddr,
        connections: usize,
        connector: &str,
    ) -> Result<Self, String> {
        let mut target = Target {
            auth: Vec::new(),
            payments: Vec::new(),
            health: Vec::new(),
            http: reqwest::Client::builder()
                .tcp_nodelay(true)
                .build()
                .map_err(|e| e.to_string())?,
            sandbox,
            connector: connector.to_owned(),
            stored_id: String::new(),
            replayed: start_request(),
        };
        for _ in 0..connections.max(1) {
            let channel = Channel::from_shared(format!("http://{grpc}"))
                .map_err(|e| e.to_string())?
                .tcp_nodelay(true)
                .timeout(Duration::from_secs(30))
                .connect()
                .await
                .map_err(|e| format!("connect to payorch: {e}"))?;
            target
                .auth
                .push(AuthenticationServiceClient::new(channel.clone()));
            target
                .payments
                .push(PaymentServiceClient::new(channel.clone()));
            target.health.push(HealthClient::new(channel));
        }
        let stored = target.auth[0]
            .clone()
            .start_authentication(start_request())
            .await
            .map_err(|e| format!("seeding an authentication: {e}"))?;
        target.stored_id = stored.into_inner().id;
        target.auth[0]
            .clone()
            .start_authentication(target.replayed.clone())
            .await
            .map_err(|e| format!("seeding the replayed call: {e}"))?;
        Ok(target)
    }

    async fn otp(&self, authentication: &api::Authentication) -> Result<String, String> {
        let url = format!(
            "http://{}/_sandbox/otp/{}/{}",
            self.sandbox, self.connector, authentication.provider_reference
        );
        let body: serde_json::Value = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        body["otp"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no open OTP challenge".to_owned())
    }

    /// One operation of `scenario`; `n` spreads calls over the connections.
    async fn run(&self, scenario: Scenario, n: usize) -> Outcome {
        let lane = n % self.auth.len();
        let mut out = Outcome::default();
        match scenario {
            Scenario::Health => {
                out.rpcs = 1;
                let request = HealthCheckRequest {
                    service: String::new(),
                };
                if let Err(status) = self.health[lane].clone().check(request).await {
                    out.error = Some(code(&status));
                }
            }
            Scenario::Get | Scenario::GetSeq => {
                out.rpcs = 1;
                let request = api::GetAuthenticationRequest {
                    id: self.stored_id.clone(),
                    refresh: false,
                    merchant_id: "demo".into(),
                };
                match self.auth[lane].clone().get_authentication(request).await {
                    Ok(response) => out.own_us.extend(own_time(&response)),
                    Err(status) => out.error = Some(code(&status)),
                }
            }
            Scenario::Start | Scenario::Replay => {
                out.rpcs = 1;
                let request = if scenario == Scenario::Start {
                    start_request()
                } else {
                    self.replayed.clone()
                };
                match self.auth[lane].clone().start_authentication(request).await {
                    Ok(response) => out.own_us.extend(own_time(&response)),
                    Err(status) => out.error = Some(code(&status)),
                }
            }
            Scenario::Flow => {
                if let Err(error) = self.flow(lane, &mut out).await {
                    out.error = Some(error);
                }
            }
            Scenario::All => {}
        }
        out
    }

    async fn flow(&self, lane: usize, out: &mut Outcome) -> Result<(), String> {
        let mut auth = self.auth[lane].clone();
        out.rpcs += 1;
        let started = auth
            .start_authentication(start_request())
            .await
            .map_err(|s| code(&s))?;
        out.own_us.extend(own_time(&started));
        let started = started.into_inner();
        if started.status() != AuthenticationStatus::OtpRequired {
            return Err(format!("start:{:?}", started.status()));
        }
        let otp = self.otp(&started).await.map_err(|_| "OtpHook".to_owned())?;
        out.rpcs += 1;
        let done = auth
            .submit_otp(api::SubmitOtpRequest {
                authentication_id: started.id.clone(),
                otp,
                idempotency_key: key(),
                merchant_id: "demo".into(),
            })
            .await
            .map_err(|s| code(&s))?;
        out.own_us.extend(own_time(&done));
        if done.get_ref().status() != AuthenticationStatus::Succeeded {
            return Err(format!("otp:{:?}", done.get_ref().status()));
        }
        out.rpcs += 1;
        let paid = self.payments[lane]
            .clone()
            .authorize(api::AuthorizeRequest {
                merchant_id: "demo".into(),
                idempotency_key: key(),
                authentication_id: started.id,
                amount: started.amount,
                capture: true,
                ..Default::default()
            })
            .await
            .map_err(|s| code(&s))?;
        out.own_us.extend(own_time(&paid));
        Ok(())
    }
}

/// `concurrency` loops, each starting its next operation when the last one answers.
async fn fixed_concurrency(
    target: &Target,
    scenario: Scenario,
    concurrency: usize,
    run_for: Duration,
) -> Result<(Stats, Duration), String> {
    let began = Instant::now();
    let until = began + run_for;
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            let mut stats = Stats::new()?;
            let mut n = worker;
            while Instant::now() < until {
                let sent = Instant::now();
                let outcome = target.run(scenario, n).await;
                stats.record(sent.elapsed(), outcome);
                n += concurrency;
            }
            Ok::<_, String>(stats)
        }));
    }
    let mut total = Stats::new()?;
    for worker in workers {
        let stats = worker.await.map_err(|e| e.to_string())??;
        total.merge(stats)?;
    }
    Ok((total, began.elapsed()))
}

/// Operations started `rate` times a second whatever the answers do; each operation's
/// latency counts from when it was due.
async fn fixed_rate(
    target: &Target,
    scenario: Scenario,
    rate: u64,
    run_for: Duration,
) -> Result<(Stats, Duration), String> {
    const MAX_IN_FLIGHT: usize = 10_000;
    let stats = Arc::new(Mutex::new(Stats::new()?));
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let began = Instant::now();
    let due_count = (run_for.as_secs_f64() * rate as f64) as u64;
    let mut tasks = Vec::new();
    for n in 0..due_count {
        let due = began + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        // Waiting for a slot delays the call, and the delay is charged to it.
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (target, stats) = (target.clone(), stats.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = target.run(scenario, n as usize).await;
            let latency = due.elapsed();
            if let Ok(mut stats) = stats.lock() {
                stats.record(latency, outcome);
            }
            drop(slot);
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = began.elapsed();
    let stats = Arc::try_unwrap(stats)
        .map_err(|_| "stats still shared".to_owned())?
        .into_inner()
        .map_err(|e| e.to_string())?;
    Ok((stats, elapsed))
}

/// This process's resident set (payorch and the load generator share it), in MiB.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Reads `INFO <section>` of the bench's own redis-server.
struct RedisInfo {
    connection: redis::aio::MultiplexedConnection,
}

impl RedisInfo {
    async fn connect(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self { connection })
    }

    async fn section(&mut self, section: &str) -> Result<String, String> {
        redis::cmd("INFO")
            .arg(section)
            .query_async(&mut self.connection)
            .await
            .map_err(|e| e.to_string())
    }

    /// Commands served so far, INFO itself excluded.
    async fn commands(&mut self) -> Result<u64, String> {
        let stats = self.section("commandstats").await?;
        Ok(stats
            .lines()
            .filter(|l| l.starts_with("cmdstat_") && !l.starts_with("cmdstat_info:"))
            .filter_map(|l| l.split("calls=").nth(1))
            .filter_map(|rest| rest.split(',').next())
            .filter_map(|calls| calls.parse::<u64>().ok())
            .sum())
    }

    async fn used_memory(&mut self) -> Result<u64, String> {
        let memory = self.section("memory").await?;
        memory
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| "no used_memory in INFO memory".to_owned())
    }
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

struct StoreRun {
    rows: Vec<Row>,
    memory: Memory,
}

async fn run_store(args: &Args, store: &'static str) -> Result<StoreRun, String> {
    let redis = (store == "redis").then(RedisServer::start);
    let mut settings = Settings::embedded();
    let loopback = |addr: &str| addr.parse::<SocketAddr>().map_err(|e| e.to_string());
    settings.grpc.listen = loopback("127.0.0.1:0")?;
    settings.http.listen = loopback("127.0.0.1:0")?;
    settings.sandbox.listen = loopback("127.0.0.1:0")?;
    settings.shutdown_grace_secs = 5;
    if let Some(merchant) = settings.merchants.first_mut() {
        merchant.connectors = vec![args.connector.clone()];
    }
    if let Some(redis) = &redis {
        settings.store = StoreSettings::Redis {
            url: Secret::new(redis.url()),
            tls: Default::default(),
        };
        settings.encryption = EncryptionSettings {
            active_key_id: "bench".into(),
            keys: [("bench".to_owned(), Secret::new(BENCH_KEY))].into(),
        };
    }
    let payorch = payorch::app::start(settings)
        .await
        .map_err(|e| format!("payorch did not start: {e}"))?;
    let sandbox = payorch
        .sandbox_addr
        .ok_or_else(|| "the embedded sandbox did not start".to_owned())?;
    let mut info = match &redis {
        Some(redis) => Some(RedisInfo::connect(&redis.url()).await?),
        None => None,
    };
    let target = Target::connect(
        payorch.grpc_addr,
        sandbox,
        args.connections,
        &args.connector,
    )
    .await?;
    // Started, connected, two authentications stored, no load yet.
    let rss_idle = rss_mib();

    let scenarios: Vec<Scenario> = match args.scenario {
        Scenario::All => Scenario::EACH.to_vec(),
        one => vec![one],
    };
    let run_for = Duration::from_secs(args.seconds.max(1));
    let warm_up = Duration::from_millis(300);
    let mut rows = Vec::new();
    let mut health_rate = None;
    for scenario in scenarios {
        let concurrency = if scenario == Scenario::GetSeq {
            1
        } else {
            args.concurrency
        };
        fixed_concurrency(&target, scenario, concurrency, warm_up).await?;
        let before = match &mut info {
            Some(info) => Some(info.commands().await?),
            None => None,
        };
        let (stats, elapsed, mode) = match (args.rate, scenario) {
            (Some(rate), s) if s != Scenario::GetSeq => {
                let (stats, elapsed) = fixed_rate(&target, scenario, rate, run_for).await?;
                (stats, elapsed, format!("rate {rate}/s"))
            }
            _ => {
                let (stats, elapsed) =
                    fixed_concurrency(&target, scenario, concurrency, run_for).await?;
                (stats, elapsed, format!("conc {concurrency}"))
            }
        };
        let redis_commands = match (&mut info, before) {
            (Some(info), Some(before)) => Some(info.commands().await?.saturating_sub(before)),
            _ => None,
        };
        let seconds = elapsed.as_secs_f64();
        let ops_per_sec = stats.ops as f64 / seconds;
        if scenario == Scenario::Health {
            health_rate = Some(ops_per_sec);
        }
        let has_own = !stats.own_us.is_empty();
        rows.push(Row {
            store,
            scenario: scenario.name(),
            mode,
            ops: stats.ops,
            ops_per_sec,
            rpcs_per_sec: stats.rpcs as f64 / seconds,
            p50_ms: ms(&stats.latency_us, 0.5),
            p99_ms: ms(&stats.latency_us, 0.99),
            p999_ms: ms(&stats.latency_us, 0.999),
            errors: stats.errors,
            ratio_to_health: health_rate.map(|h| ops_per_sec / h),
            own_p50_us: has_own.then(|| stats.own_us.value_at_quantile(0.5)),
            own_p99_us: has_own.then(|| stats.own_us.value_at_quantile(0.99)),
            redis_commands_per_rpc: redis_commands
                .map(|c| c as f64 / (stats.ops * scenario.rpcs()).max(1) as f64),
            rss_after_mib: rss_mib(),
        });
    }

    // Open authentications (OTP sent, never submitted) held by the store.
    let redis_before = match &mut info {
        Some(info) => Some(info.used_memory().await?),
        None => None,
    };
    open_sessions(&target, args.sessions).await?;
    let rss_with_sessions = rss_mib();
    let redis_bytes_per_session = match (&mut info, redis_before) {
        (Some(info), Some(before)) => Some(
            info.used_memory().await?.saturating_sub(before) as f64 / args.sessions.max(1) as f64,
        ),
        _ => None,
    };
    drop(target);
    payorch
        .shutdown()
        .await
        .map_err(|e| format!("payorch did not stop: {e}"))?;
    drop(redis);
    Ok(StoreRun {
        rows,
        memory: Memory {
            store,
            rss_idle_mib: rss_idle,
            sessions: args.sessions,
            rss_with_sessions_mib: rss_with_sessions,
            redis_bytes_per_session,
        },
    })
}

/// Starts `count` authentications, 64 at a time, and leaves them open.
async fn open_sessions(target: &Target, count: usize) -> Result<(), String> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for lane in 0..64 {
        let (target, next) = (target.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut auth = target.auth[lane % target.auth.len()].clone();
            let mut failed = 0usize;
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < count {
                if auth.start_authentication(start_request()).await.is_err() {
                    failed += 1;
                }
            }
            failed
        }));
    }
    let mut failed = 0;
    for worker in workers {
        failed += worker.await.map_err(|e| e.to_string())?;
    }
    if failed > 0 {
        return Err(format!("{failed} of {count} authentications did not start"));
    }
    Ok(())
}

fn opt(value: Option<f64>, precision: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.precision$}"))
}

fn print_table(report: &Report) {
    println!("{}", report.command);
    println!(
        "{:<6} {:<8} {:<12} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>7}  errors",
        "store",
        "scenario",
        "mode",
        "ops/s",
        "rpc/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "×health",
        "own p50",
        "own p99",
        "redis/rpc",
        "RSS MiB",
    );
    for row in &report.rows {
        let errors = if row.errors.is_empty() {
            "-".to_owned()
        } else {
            row.errors
                .iter()
                .map(|(code, n)| format!("{code}:{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "{:<6} {:<8} {:<12} {:>9.0} {:>9.0} {:>8.3} {:>8.3} {:>8.3} {:>7} {:>8} {:>8} {:>8} {:>7}  {}",
            row.store,
            row.scenario,
            row.mode,
            row.ops_per_sec,
            row.rpcs_per_sec,
            row.p50_ms,
            row.p99_ms,
            row.p999_ms,
            opt(row.ratio_to_health, 3),
            row.own_p50_us
                .map_or_else(|| "-".to_owned(), |us| format!("{us}µs")),
            row.own_p99_us
                .map_or_else(|| "-".to_owned(), |us| format!("{us}µs")),
            opt(row.redis_commands_per_rpc, 2),
            opt(row.rss_after_mib, 1),
            errors,
        );
    }
    for memory in &report.memory {
        println!(
            "{}: RSS idle {} MiB; with {} open authentications {} MiB{}",
            memory.store,
            opt(memory.rss_idle_mib, 1),
            memory.sessions,
            opt(memory.rss_with_sessions_mib, 1),
            memory
                .redis_bytes_per_session
                .map_or_else(String::new, |b| format!(
                    "; Redis used_memory {b:.0} bytes per authentication"
                )),
        );
    }
}

async fn bench(args: Args) -> Result<(), String> {
    let stores: &[&'static str] = match args.store {
        Stores::Memory => &["memory"],
        Stores::Redis => &["redis"],
        Stores::Both => &["memory", "redis"],
    };
    let mut report = Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        rows: Vec::new(),
        memory: Vec::new(),
    };
    for store in stores {
        let run = run_store(&args, store).await?;
        report.rows.extend(run.rows);
        report.memory.push(run.memory);
    }
    let failed: u64 = report.rows.iter().flat_map(|row| row.errors.values()).sum();
    if args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print_table(&report);
    }
    if args.fail_on_errors && failed > 0 {
        return Err(format!("{failed} operations failed"));
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("payorch-bench: no tokio runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("payorch-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
