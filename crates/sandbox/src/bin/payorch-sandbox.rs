//! `payorch-sandbox --listen 127.0.0.1:8090`: the four provider simulators and the
//! `/_sandbox` hooks on one port.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;
use payorch_sandbox::{FaultSpec, SandboxConfig};

/// Simulators of Cybersource, Fiserv IPG, Mastercard Gateway and Juspay for RuPay flows.
///
/// Environment variables are spelt as payorch spells its sandbox settings
/// (`PAYORCH_SANDBOX__LISTEN`, with two underscores); the single-underscore names of earlier
/// versions still work, with a deprecation warning.
#[derive(Debug, Parser)]
#[command(name = "payorch-sandbox", version)]
struct Args {
    /// Address to listen on [default: 127.0.0.1:8090].
    #[arg(long, env = "PAYORCH_SANDBOX__LISTEN")]
    listen: Option<SocketAddr>,
    /// Base URL browsers use to reach the sandbox (ACS pages); defaults to http://<listen>.
    #[arg(long, env = "PAYORCH_SANDBOX__PUBLIC_URL")]
    public_url: Option<String>,
    /// Every OTP is this code (for load tests).
    #[arg(long, env = "PAYORCH_SANDBOX__FIXED_OTP")]
    fixed_otp: Option<String>,
    /// Fault applied to every provider request, e.g. `latency=20ms` or `status=503`.
    #[arg(long, env = "PAYORCH_SANDBOX__FAULT")]
    fault: Option<FaultSpec>,
    /// Maximum entries kept per in-memory table.
    #[arg(long, default_value_t = 100_000)]
    capacity: usize,
    /// Seconds between a Standing Instruction intimation and its debit (NPCI: 86400).
    #[arg(long, default_value_t = 86_400)]
    si_intimation_lead_secs: u64,
}

const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8090);

/// The value given on the command line or under the current name, else the one under the
/// deprecated single-underscore name (with a warning).
fn or_deprecated<T: FromStr>(value: Option<T>, old: &str, new: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    if value.is_some() {
        return Ok(value);
    }
    let Ok(raw) = std::env::var(old) else {
        return Ok(None);
    };
    eprintln!("payorch-sandbox: warning: {old} is deprecated; set {new} instead");
    raw.parse()
        .map(Some)
        .map_err(|e| format!("invalid value {raw:?} for {old}: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let resolved = (|| -> Result<_, String> {
        Ok((
            or_deprecated(
                args.listen,
                "PAYORCH_SANDBOX_LISTEN",
                "PAYORCH_SANDBOX__LISTEN",
            )?
            .unwrap_or(DEFAULT_LISTEN),
            or_deprecated(
                args.public_url,
                "PAYORCH_SANDBOX_PUBLIC_URL",
                "PAYORCH_SANDBOX__PUBLIC_URL",
            )?,
            or_deprecated(
                args.fixed_otp,
                "PAYORCH_SANDBOX_FIXED_OTP",
                "PAYORCH_SANDBOX__FIXED_OTP",
            )?,
            or_deprecated(
                args.fault,
                "PAYORCH_SANDBOX_FAULT",
                "PAYORCH_SANDBOX__FAULT",
            )?,
        ))
    })();
    let (listen, public_url, fixed_otp, fault) = match resolved {
        Ok(values) => values,
        Err(err) => {
            eprintln!("payorch-sandbox: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(code) = &fixed_otp {
        eprintln!(
            "payorch-sandbox: warning: FIXED OTP {code}: every authentication gets the same OTP (load runs only)"
        );
    }
    let config = SandboxConfig {
        public_url,
        fixed_otp,
        default_fault: fault,
        capacity: args.capacity,
        si_intimation_lead: Duration::from_secs(args.si_intimation_lead_secs),
        ..SandboxConfig::default()
    };
    match run(listen, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("payorch-sandbox: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(listen: SocketAddr, config: SandboxConfig) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!(
        "payorch-sandbox listening on http://{} (providers under /cybersource, /fiserv-ipg, /mpgs, /juspay; hooks under /_sandbox; test cards at /_sandbox/cards)",
        listener.local_addr()?
    );
    payorch_sandbox::serve(listener, config).await
}
