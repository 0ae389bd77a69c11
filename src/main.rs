//! `payorch`: with no arguments, serve with embedded defaults; `payorch serve --config FILE`
//! for production.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use payorch::app;
use payorch::config::Settings;
use payorch::telemetry;

#[derive(Parser)]
#[command(
    name = "payorch",
    version,
    about = "RuPay payment orchestration over gRPC"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve with a configuration file (plus PAYORCH_* and REDIS_URL from the environment).
    Serve {
        #[arg(long, env = "PAYORCH_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Walk a whole RuPay OTP flow (start, OTP, authorize) against the embedded sandbox.
    Demo {
        /// cybersource, fiserv-ipg, mpgs or juspay.
        #[arg(long, default_value = "cybersource")]
        connector: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Serve { config }) => config,
        Some(Command::Demo { connector }) => {
            return match payorch::demo::run(&connector).await {
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
    let running = match app::start(settings).await {
        Ok(running) => running,
        Err(err) => {
            tracing::error!(error = %err, "payorch could not start");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "payorch: gRPC on {} (try: grpcurl -plaintext {} list), HTTP on http://{}/readyz",
        running.grpc_addr, running.grpc_addr, running.http_addr
    );
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
