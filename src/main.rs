//! `payorch`: with no arguments, serve with embedded defaults (in-memory store, provider
//! sandbox, merchant `demo`); `payorch serve --config FILE` for production; `payorch demo` to
//! watch one whole flow.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};
use payorch::app::{self, Running};
use payorch::config::Settings;
use payorch::telemetry;
use payorch_connector::ConnectorId;

/// glibc's malloc serializes tokio's worker threads on its arena locks under load (a fifth
/// of the CPU in a `start` profile, docs/PERFORMANCE.md); mimalloc keeps per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Kept in step with `ConnectorId::ALL` by `tests/startup.rs`.
const CONNECTORS_HELP: &str = "Connectors: cybersource, fiserv-ipg, mpgs, juspay \
(Cybersource, Fiserv IPG, Mastercard Gateway, Juspay).\n\n\
With no command, payorch serves with embedded defaults: gRPC on 127.0.0.1:50051, HTTP on \
127.0.0.1:8080, the provider sandbox on 127.0.0.1:8090 and one merchant, `demo`.";

#[derive(Parser)]
#[command(
    name = "payorch",
    version,
    about = "RuPay payment orchestration over gRPC",
    after_help = CONNECTORS_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve with a configuration file (plus PAYORCH_* and REDIS_URL from the environment).
    Serve {
        /// The TOML configuration (see deploy/payorch.example.toml). Required.
        #[arg(long, env = "PAYORCH_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Walk a whole RuPay OTP flow (start, OTP, authorize) against the embedded sandbox.
    Demo {
        /// The connector to route the flow to.
        #[arg(
            long,
            default_value = "cybersource",
            value_parser = PossibleValuesParser::new(ConnectorId::ALL.map(ConnectorId::as_str))
        )]
        connector: String,
        /// Walk a RuPay Standing Instruction instead: registration by OTP, a pre-debit
        /// notice and a debit (on Cybersource).
        #[arg(long, conflicts_with = "connector")]
        mandate: bool,
    },
}

/// What `payorch serve` without a configuration answers.
const SERVE_NEEDS_CONFIG: &str = "payorch serve: --config FILE (or PAYORCH_CONFIG) is required: \
it starts from production defaults (no sandbox, no connectors) and needs the file that \
configures them; see deploy/payorch.example.toml. To try payorch locally, run `payorch` with \
no command (embedded sandbox, merchant `demo`) or `payorch demo`.";

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Serve { config: Some(file) }) => Some(file),
        Some(Command::Serve { config: None }) => {
            eprintln!("{SERVE_NEEDS_CONFIG}");
            return ExitCode::from(2);
        }
        Some(Command::Demo { connector, mandate }) => {
            let walked = if mandate {
                payorch::demo::run_mandate().await
            } else {
                payorch::demo::run(&connector).await
            };
            return match walked {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("payorch demo: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        None => None,
    };
    let settings = match Settings::load(config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("payorch: {err}");
            return ExitCode::FAILURE;
        }
    };
    let _telemetry = telemetry::init(&settings.log);
    let merchants: Vec<String> = settings.merchants.iter().map(|m| m.id.clone()).collect();
    let running = match app::start(settings).await {
        Ok(running) => running,
        Err(err) => {
            tracing::error!(error = %err, "payorch could not start");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("{}", banner(&running, running.sandbox_addr, &merchants));
    let trigger = running.shutdown_trigger();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested: draining in-flight calls");
        let _ = trigger.send(true);
    });
    match running.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "payorch stopped with an error");
            ExitCode::FAILURE
        }
    }
}

/// How to try the server that just started.
fn banner(running: &Running, sandbox: Option<SocketAddr>, merchants: &[String]) -> String {
    let grpc = running.grpc_addr;
    let http = running.http_addr;
    let mut lines = vec![
        format!("payorch: gRPC on {grpc} (try: grpcurl -plaintext {grpc} list)"),
        format!("payorch: HTTP on http://{http} (/healthz, /readyz, /metrics)"),
        format!("payorch: merchants: {}", merchants.join(", ")),
    ];
    if let Some(sandbox) = sandbox {
        lines.push(format!(
            "payorch: provider sandbox on http://{sandbox}; test cards: curl -s http://{sandbox}/_sandbox/cards"
        ));
        lines.push(format!(
            "payorch: the OTP a payer would receive: curl -s http://{sandbox}/_sandbox/otp/<connector>/<provider_reference>"
        ));
        let connectors = ConnectorId::ALL.map(ConnectorId::as_str).join("|");
        lines.push(format!(
            "payorch: a whole RuPay OTP flow, narrated: payorch demo --connector <{connectors}>; \
             the grpcurl walk-through is in README.md"
        ));
    }
    lines.join("\n")
}

/// SIGTERM (Kubernetes) or Ctrl-C.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
