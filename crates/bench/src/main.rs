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

mod load;
mod probes;
mod report;
mod routing;
mod run;
mod scenario;

use clap::{Parser, ValueEnum};

use crate::report::{Memory, Report, print_table};
use crate::run::{probe_memory, run_scenarios};
use crate::scenario::Scenario;

/// glibc's malloc serializes tokio's worker threads on its arena locks under load (a fifth
/// of the CPU in a `start` profile, docs/PERFORMANCE.md); mimalloc keeps per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Routing decisions timed per thread (two threads) for the routing-overhead figure.
    #[arg(long, default_value_t = 200_000)]
    routing_decisions: u64,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Exit with failure when any call failed (for CI smoke runs; no throughput is asserted).
    #[arg(long)]
    fail_on_errors: bool,
    /// Only the memory figures, as JSON (what the bench runs in a child process of its own).
    #[arg(long, hide = true)]
    memory_probe: bool,
}

async fn bench(args: Args) -> Result<(), String> {
    let stores: &[&'static str] = match args.store {
        Stores::Memory => &["memory"],
        Stores::Redis => &["redis"],
        Stores::Both => &["memory", "redis"],
    };
    if args.memory_probe {
        let mut memory = Vec::new();
        for store in stores {
            memory.push(probe_memory(&args, store).await?);
        }
        let text = serde_json::to_string(&memory).map_err(|e| e.to_string())?;
        println!("{text}");
        return Ok(());
    }
    let mut report = Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        rows: Vec::new(),
        memory: Vec::new(),
        routing: Some(routing::measure(args.routing_decisions, 2)?),
    };
    for store in stores {
        report.rows.extend(run_scenarios(&args, store).await?);
        report
            .memory
            .extend(memory_in_a_fresh_process(&args, store)?);
    }
    let failed: u64 = report.rows.iter().flat_map(|row| row.errors.values()).sum();
    if args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print_table(&report);
        if let Some(cost) = &report.routing {
            routing::print(cost);
        }
    }
    if args.fail_on_errors && failed > 0 {
        return Err(format!("{failed} operations failed"));
    }
    Ok(())
}

/// Runs this binary again with `--memory-probe` for one store and reads its figures.
fn memory_in_a_fresh_process(args: &Args, store: &str) -> Result<Vec<Memory>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = std::process::Command::new(exe)
        .args([
            "--memory-probe",
            "--store",
            store,
            "--connector",
            &args.connector,
        ])
        .args(["--sessions", &args.sessions.to_string()])
        .args(["--connections", &args.connections.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("memory probe did not run: {e}"))?;
    if !output.status.success() {
        return Err(format!("memory probe failed: {}", output.status));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("memory probe answered: {e}"))
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
