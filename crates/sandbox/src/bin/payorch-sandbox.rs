//! `payorch-sandbox --listen 127.0.0.1:8090`: the four provider simulators and the
//! `/_sandbox` hooks on one port.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use payorch_sandbox::{FaultSpec, SandboxConfig};

/// Simulators of Cybersource, Fiserv IPG, Mastercard Gateway and Juspay for RuPay flows.
#[derive(Debug, Parser)]
#[command(name = "payorch-sandbox", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "PAYORCH_SANDBOX_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Base URL browsers use to reach the sandbox (ACS pages); defaults to http://<listen>.
    #[arg(long, env = "PAYORCH_SANDBOX_PUBLIC_URL")]
    public_url: Option<String>,
    /// Every OTP is this code (for load tests).
    #[arg(long, env = "PAYORCH_SANDBOX_FIXED_OTP")]
    fixed_otp: Option<String>,
    /// Fault applied to every provider request, e.g. `latency=20ms` or `status=503`.
    #[arg(long, env = "PAYORCH_SANDBOX_FAULT")]
    fault: Option<FaultSpec>,
    /// Maximum entries kept per in-memory table.
    #[arg(long, default_value_t = 100_000)]
    capacity: usize,
    /// Seconds between a Standing Instruction intimation and its debit (NPCI: 86400).
    #[arg(long, default_value_t = 86_400)]
    si_intimation_lead_secs: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = SandboxConfig {
        public_url: args.public_url,
        fixed_otp: args.fixed_otp,
        default_fault: args.fault,
        capacity: args.capacity,
        si_intimation_lead: Duration::from_secs(args.si_intimation_lead_secs),
        ..SandboxConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!(
        "payorch-sandbox listening on http://{} (providers under /cybersource, /fiserv-ipg, /mpgs, /juspay; hooks under /_sandbox)",
        listener.local_addr()?
    );
    payorch_sandbox::serve(listener, config).await
}
