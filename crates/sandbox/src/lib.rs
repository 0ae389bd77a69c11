//! payorch-sandbox: faithful, in-memory simulators of the four payment providers payorch
//! talks to (Cybersource, Fiserv IPG, Mastercard Gateway, Juspay) and of the NPCI RuPay
//! issuer behaviour behind them.
//!
//! Mount points on one listener: `/cybersource`, `/fiserv-ipg`, `/mpgs`, `/juspay` (each
//! connector's base URL), and the hooks under `/_sandbox` (see [`hooks`]). Every provider
//! request passes through [`faults`] first.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! payorch_sandbox::serve(listener, payorch_sandbox::SandboxConfig::default()).await
//! # }
//! ```

pub mod acs;
pub mod config;
pub mod counters;
pub mod faults;
pub mod hooks;
pub mod merchants;
pub mod npci;
pub mod providers;
pub mod state;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;

pub use config::{CybersourceConfig, FiservIpgConfig, JuspayConfig, MpgsConfig, SandboxConfig};
pub use faults::{FAULT_HEADER, FaultAction, FaultSpec};
pub use npci::{Behaviour, CATALOGUE, Flow, OtpPolicy, TestCard};
pub use state::Sandbox;

/// The whole sandbox as one router (for embedding in another server).
pub fn router(config: SandboxConfig) -> Router {
    router_for(Sandbox::new(config))
}

/// The router over an existing sandbox state (lets a caller keep a handle on the state).
pub fn router_for(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .nest(
            "/cybersource",
            providers::cybersource::router(sandbox.clone()),
        )
        .nest(
            "/fiserv-ipg",
            providers::fiserv_ipg::router(sandbox.clone()),
        )
        .nest("/juspay", providers::juspay::router(sandbox.clone()))
        .nest("/mpgs", providers::mpgs::router(sandbox.clone()))
        .nest("/_sandbox", hooks::router(sandbox.clone()))
        .layer(from_fn_with_state(sandbox, faults::inject))
}

/// Serves the sandbox on `listener` until the task is dropped or the listener fails.
/// When `config.public_url` is unset, it becomes `http://<listener address>` (127.0.0.1 for a
/// wildcard bind).
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut config: SandboxConfig,
) -> std::io::Result<()> {
    if config.public_url.is_none() {
        let mut addr = listener.local_addr()?;
        // A wildcard bind is not an address a browser can open.
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        config.public_url = Some(format!("http://{addr}"));
    }
    axum::serve(listener, router(config)).await
}

/// Binds `addr`, spawns the sandbox on the current runtime and returns its address
/// (tests bind `127.0.0.1:0`).
pub async fn spawn(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = serve(listener, config).await {
            tracing::error!(error = %e, "sandbox stopped");
        }
    });
    Ok(local)
}
