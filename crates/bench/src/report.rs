//! The table and the JSON the bench prints.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
pub struct Row {
    pub store: &'static str,
    pub scenario: &'static str,
    pub mode: String,
    pub ops: u64,
    pub ops_per_sec: f64,
    pub rpcs_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub errors: BTreeMap<String, u64>,
    pub ratio_to_health: Option<f64>,
    pub own_p50_us: Option<u64>,
    pub own_p99_us: Option<u64>,
    /// Commands Redis executed (`INFO commandstats`; a script's inner commands count too).
    pub redis_commands_per_rpc: Option<f64>,
    /// Requests payorch sent to Redis and waited for (a script is one).
    pub redis_round_trips_per_rpc: Option<f64>,
    pub rss_after_mib: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Memory {
    pub store: String,
    pub rss_idle_mib: Option<f64>,
    pub sessions: usize,
    pub rss_with_sessions_mib: Option<f64>,
    pub redis_bytes_per_session: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub command: String,
    pub rows: Vec<Row>,
    pub memory: Vec<Memory>,
    /// What choosing an account costs a call (see `routing.rs`).
    pub routing: Option<crate::routing::RoutingCost>,
}

pub fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

pub fn opt(value: Option<f64>, precision: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.precision$}"))
}

pub fn print_table(report: &Report) {
    println!("{}", report.command);
    println!(
        "{:<6} {:<8} {:<12} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>7} {:>7}  errors",
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
        "rt/rpc",
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
            "{:<6} {:<8} {:<12} {:>9.0} {:>9.0} {:>8.3} {:>8.3} {:>8.3} {:>7} {:>8} {:>8} {:>8} {:>7} {:>7}  {}",
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
            opt(row.redis_round_trips_per_rpc, 2),
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
