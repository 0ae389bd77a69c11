//! One store's run: payorch started in-process on it, every scenario driven in turn.

use std::net::SocketAddr;
use std::time::Duration;

use payorch::app::Running;
use payorch::config::{EncryptionSettings, Secret, Settings, StoreSettings};
use payorch_store::testing::RedisServer;

use crate::Args;
use crate::load::fixed_concurrency;
use crate::load::fixed_rate;
use crate::probes::{RedisInfo, rss_mib, store_round_trips};
use crate::report::{Memory, Row, ms};
use crate::scenario::{Scenario, Target, open_sessions};

/// Throwaway key for the Redis runs' card encryption (32 bytes, base64).
pub const BENCH_KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";

/// payorch started in-process on one store, with its clients connected.
struct Started {
    payorch: Running,
    /// Held so the bench's redis-server lives as long as payorch.
    _redis: Option<RedisServer>,
    info: Option<RedisInfo>,
    target: Target,
}

async fn start(args: &Args, store: &str) -> Result<Started, String> {
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
            cluster: false,
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
    let info = match &redis {
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
    Ok(Started {
        payorch,
        _redis: redis,
        info,
        target,
    })
}

impl Started {
    async fn stop(self) -> Result<(), String> {
        drop(self.target);
        self.payorch
            .shutdown()
            .await
            .map_err(|e| format!("payorch did not stop: {e}"))
    }
}

/// Every scenario `args` names, in turn, on one payorch.
pub async fn run_scenarios(args: &Args, store: &'static str) -> Result<Vec<Row>, String> {
    let mut started = start(args, store).await?;
    let (target, info) = (&started.target, &mut started.info);
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
        fixed_concurrency(target, scenario, concurrency, warm_up).await?;
        let round_trips_before = store_round_trips();
        let before = match info.as_mut() {
            Some(info) => Some(info.commands().await?),
            None => None,
        };
        let (stats, elapsed, mode) = match (args.rate, scenario) {
            (Some(rate), s) if s != Scenario::GetSeq => {
                let (stats, elapsed) = fixed_rate(target, scenario, rate, run_for).await?;
                (stats, elapsed, format!("rate {rate}/s"))
            }
            _ => {
                let (stats, elapsed) =
                    fixed_concurrency(target, scenario, concurrency, run_for).await?;
                (stats, elapsed, format!("conc {concurrency}"))
            }
        };
        let redis_commands = match (info.as_mut(), before) {
            (Some(info), Some(before)) => Some(info.commands().await?.saturating_sub(before)),
            _ => None,
        };
        let round_trips = store_round_trips().saturating_sub(round_trips_before);
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
            redis_round_trips_per_rpc: info
                .is_some()
                .then(|| round_trips as f64 / (stats.ops * scenario.rpcs()).max(1) as f64),
            rss_after_mib: rss_mib(),
        });
    }

    started.stop().await?;
    Ok(rows)
}

/// RSS of a payorch that has served nothing yet, then with `args.sessions` authentications
/// left open (OTP sent, never submitted). Run in a process of its own (`--memory-probe`), so
/// no earlier scenario's sessions or allocator pages count.
pub async fn probe_memory(args: &Args, store: &'static str) -> Result<Memory, String> {
    let mut started = start(args, store).await?;
    // Started, connected, two authentications stored, no load yet.
    let rss_idle = rss_mib();
    let redis_before = match &mut started.info {
        Some(info) => Some(info.used_memory().await?),
        None => None,
    };
    open_sessions(&started.target, args.sessions).await?;
    let rss_with_sessions = rss_mib();
    let redis_bytes_per_session = match (&mut started.info, redis_before) {
        (Some(info), Some(before)) => Some(
            info.used_memory().await?.saturating_sub(before) as f64 / args.sessions.max(1) as f64,
        ),
        _ => None,
    };
    started.stop().await?;
    Ok(Memory {
        store: store.to_owned(),
        rss_idle_mib: rss_idle,
        sessions: args.sessions,
        rss_with_sessions_mib: rss_with_sessions,
        redis_bytes_per_session,
    })
}
