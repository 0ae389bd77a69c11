//! Wires the service together: store, gRPC and HTTP servers, readiness, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use payorch_store::{CardCipher, MemoryStore, RedisStore, RedisTls, RedisTopology, SessionStore};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{RedisTlsSettings, Settings, StoreSettings};
use crate::error::StartupError;
use crate::grpc;
use crate::http::{self, HttpState};
use crate::telemetry;

/// A started payorch: its bound addresses, and the handle that stops it.
pub struct Running {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    /// Where the embedded provider sandbox listens, when it runs.
    pub sandbox_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), StartupError>>,
}

impl Running {
    /// Asks the servers to stop accepting calls and waits for in-flight calls to finish.
    pub async fn shutdown(self) -> Result<(), StartupError> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Waits until the servers stop (after a shutdown request).
    pub async fn wait(self) -> Result<(), StartupError> {
        self.task
            .await
            .map_err(|e| StartupError::Serve(format!("server task: {e}")))?
    }

    /// The sender that triggers a graceful shutdown (for signal handlers).
    pub fn shutdown_trigger(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

fn validate(settings: &Settings) -> Result<(), StartupError> {
    if let Some(code) = &settings.sandbox.fixed_otp {
        if !settings.sandbox.embedded {
            return Err(StartupError::Config(
                "sandbox.fixed_otp is set but the sandbox is not embedded (only `payorch` with \
                 no command embeds it)"
                    .into(),
            ));
        }
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StartupError::Config(
                "sandbox.fixed_otp must be six digits, like the sandbox's OTPs".into(),
            ));
        }
    }
    if settings.merchants.is_empty() {
        return Err(StartupError::Config(
            "at least one merchant is required".into(),
        ));
    }
    Ok(())
}

async fn open_store(settings: &Settings) -> Result<Arc<dyn SessionStore>, StartupError> {
    match &settings.store {
        StoreSettings::Memory => {
            tracing::warn!(
                "using the in-memory session store: sessions are lost on restart and not shared \
                 between replicas; configure Redis (REDIS_URL) for production"
            );
            Ok(Arc::new(MemoryStore::new(
                CardCipher::ephemeral(),
                settings.lifetimes(),
            )))
        }
        StoreSettings::Redis { url, cluster, tls } => {
            let keys = &settings.encryption;
            let cipher = CardCipher::from_base64_keys(
                &keys.active_key_id,
                keys.keys
                    .iter()
                    .map(|(id, key)| (id.as_str(), key.expose())),
            )
            .map_err(|e| StartupError::Config(format!("encryption: {e}")))?;
            let topology = RedisTopology::from_urls(url.expose(), *cluster);
            let tls = redis_tls(tls)?;
            let (store, unreachable) =
                RedisStore::open_with_tls(&topology, &tls, cipher, settings.lifetimes()).await?;
            match unreachable {
                None => tracing::info!(key_id = keys.active_key_id, "connected to Redis"),
                // Serving not-ready (readiness 503, gRPC health NOT_SERVING) until Redis
                // answers, rather than exiting into a crash loop.
                Some(err) => tracing::warn!(
                    error = %err,
                    "Redis unreachable at start-up: not ready; retrying every {} s",
                    READINESS_INTERVAL.as_secs()
                ),
            }
            Ok(Arc::new(store))
        }
    }
}

/// Reads the PEM files `settings` names; a file that cannot be read stops start-up.
fn redis_tls(settings: &RedisTlsSettings) -> Result<RedisTls, StartupError> {
    let read = |path: &Option<std::path::PathBuf>, what: &str| {
        path.as_ref()
            .map(|path| {
                std::fs::read(path).map_err(|e| {
                    StartupError::Config(format!("store.tls.{what} {}: {e}", path.display()))
                })
            })
            .transpose()
    };
    Ok(RedisTls {
        ca_pem: read(&settings.ca_file, "ca_file")?,
        client_cert_pem: read(&settings.client_cert_file, "client_cert_file")?,
        client_key_pem: read(&settings.client_key_file, "client_key_file")?,
    })
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Listen { addr, source })
}

/// How often readiness re-checks the store.
const READINESS_INTERVAL: Duration = Duration::from_secs(2);
/// How long a stop past its grace period spends handing its claims to the resolver.
const HAND_OVER_DEADLINE: Duration = Duration::from_secs(5);

/// Starts payorch with these settings and returns once both ports are listening.
pub async fn start(mut settings: Settings) -> Result<Running, StartupError> {
    validate(&settings)?;
    let store = open_store(&settings).await?;
    let grpc_listener = bind(settings.grpc.listen).await?;
    let http_listener = bind(settings.http.listen).await?;
    let grpc_addr = grpc_listener
        .local_addr()
        .map_err(|e| StartupError::Serve(e.to_string()))?;
    let http_addr = http_listener
        .local_addr()
        .map_err(|e| StartupError::Serve(e.to_string()))?;

    if settings.http.public_url.is_none() {
        // Port 0 binds a free port: callbacks must name the one actually bound.
        settings.http.public_url = Some(format!("http://{http_addr}"));
    }

    let (shutdown, shutdown_rx) = watch::channel(false);
    let ready = Arc::new(AtomicBool::new(false));
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    // tonic's reporter starts SERVING; not until the store has answered.
    grpc::health::set_not_serving(&health_reporter).await;
    let readiness = tokio::spawn(grpc::health::watch_store(
        store.clone(),
        health_reporter.clone(),
        ready.clone(),
        READINESS_INTERVAL,
        shutdown_rx.clone(),
    ));

    let sandbox_addr = start_sandbox(&settings).await?;
    let router = Arc::new(crate::connectors::router(&settings, sandbox_addr)?);
    let services = grpc::Services::new(Arc::new(settings.clone()), store, router);
    let flows = services.flows();
    let resolver = settings.resolver.enabled.then(|| {
        tokio::spawn(crate::flows::resolver::run(
            flows.clone(),
            shutdown_rx.clone(),
        ))
    });
    let grpc_server = grpc::server(services, health_service)?;
    let grpc_stop = stopped(shutdown_rx.clone());
    let grpc_task = tokio::spawn(async move {
        grpc_server
            .serve_with_incoming_shutdown(crate::sockets::grpc_incoming(grpc_listener), grpc_stop)
            .await
            .map_err(|e| StartupError::Serve(format!("gRPC: {e}")))
    });

    let held = flows.clone();
    let http_state = HttpState {
        ready: ready.clone(),
        metrics: telemetry::metrics_handle(),
        flows,
    };
    // The HTTP listener outlives the gRPC drain, so probes read 503 (not a refused
    // connection) while in-flight calls finish.
    let (http_stop_tx, http_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let http_task = tokio::spawn(async move {
        axum::serve(
            crate::sockets::http_incoming(http_listener),
            http::router(http_state),
        )
        .with_graceful_shutdown(async move {
            let _ = http_stop_rx.await;
        })
        .await
        .map_err(|e| StartupError::Serve(format!("HTTP: {e}")))
    });

    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    let mut drain_rx = shutdown_rx;
    let task = tokio::spawn(async move {
        let _ = drain_rx.wait_for(|stop| *stop).await;
        // Not ready any more: load balancers stop sending while in-flight calls finish.
        grpc::health::set_ready(&ready, false);
        grpc::health::set_not_serving(&health_reporter).await;
        let drained = tokio::time::timeout(grace, grpc_task).await;
        let _ = http_stop_tx.send(());
        let http = tokio::time::timeout(Duration::from_secs(5), http_task).await;
        readiness.abort();
        if let Some(resolver) = resolver {
            resolver.abort();
        }
        match drained {
            Ok(grpc) => {
                grpc.map_err(|e| StartupError::Serve(e.to_string()))??;
                if let Ok(http) = http {
                    http.map_err(|e| StartupError::Serve(e.to_string()))??;
                }
                tracing::info!("drained; stopped");
                Ok(())
            }
            Err(_) => {
                // The calls still running die with the process: their records go to the
                // resolver now rather than when their leases end.
                let handed = tokio::time::timeout(HAND_OVER_DEADLINE, held.hand_over()).await;
                tracing::warn!(
                    grace_secs = grace.as_secs(),
                    handed_over = handed.unwrap_or(0),
                    "in-flight calls outlived the grace period"
                );
                Err(StartupError::Serve(format!(
                    "in-flight calls outlived the {} s grace period",
                    grace.as_secs()
                )))
            }
        }
    });

    tracing::info!(%grpc_addr, %http_addr, "payorch serving");
    Ok(Running {
        grpc_addr,
        http_addr,
        sandbox_addr,
        shutdown,
        task,
    })
}

/// A build without the `sandbox` feature (the production image) has no simulators to serve.
#[cfg(not(feature = "sandbox"))]
async fn start_sandbox(settings: &Settings) -> Result<Option<SocketAddr>, StartupError> {
    if settings.sandbox.embedded {
        return Err(StartupError::Config(
            "this build has no provider sandbox (built without the `sandbox` feature): \
             run `payorch serve --config <file>` with real connectors, or use a build with \
             the sandbox for local tries"
                .into(),
        ));
    }
    Ok(None)
}

/// Serves the provider simulators in-process when configured (the embedded default).
#[cfg(feature = "sandbox")]
async fn start_sandbox(settings: &Settings) -> Result<Option<SocketAddr>, StartupError> {
    if !settings.sandbox.embedded {
        return Ok(None);
    }
    let defaults = payorch_sandbox::SandboxConfig::default();
    let mut config = payorch_sandbox::SandboxConfig {
        fixed_otp: settings.sandbox.fixed_otp.clone(),
        si_intimation_lead: settings
            .sandbox
            .si_intimation_lead_secs
            .map_or(defaults.si_intimation_lead, Duration::from_secs),
        ..defaults
    };
    sandbox_merchants(settings, &mut config);
    let addr = payorch_sandbox::spawn(settings.sandbox.listen, config)
        .await
        .map_err(|source| StartupError::Listen {
            addr: settings.sandbox.listen,
            source,
        })?;
    tracing::warn!(%addr, "embedded provider sandbox serving: every connector talks to simulators");
    if settings.sandbox.fixed_otp.is_some() {
        tracing::warn!(
            %addr,
            "FIXED OTP: the embedded sandbox sends the same OTP for every authentication \
             (sandbox.fixed_otp / PAYORCH_SANDBOX__FIXED_OTP); for load runs only"
        );
    }
    Ok(Some(addr))
}

/// The embedded sandbox knows the merchants of the accounts pointed at it (no `base_url`)
/// besides its sample ones, as a provider knows every merchant it boarded: Cybersource,
/// Mastercard Gateway and Juspay accounts by their merchant ids, Fiserv IPG stores by their
/// API keys. A known merchant keeps its sample credentials, so wrong credentials are still
/// refused.
#[cfg(feature = "sandbox")]
fn sandbox_merchants(settings: &Settings, config: &mut payorch_sandbox::SandboxConfig) {
    use crate::config::AccountSettings;
    for account in settings.all_accounts().values() {
        if account.base_url().is_some() {
            continue;
        }
        match account {
            AccountSettings::Cybersource(c) => {
                let known = &config.cybersource;
                let boarded = c.merchant_id == known.merchant_id
                    || known
                        .other_merchants
                        .iter()
                        .any(|m| m.merchant_id == c.merchant_id);
                if !boarded {
                    config.cybersource.other_merchants.push(
                        payorch_sandbox::config::CybersourceMerchant {
                            merchant_id: c.merchant_id.clone(),
                            key_id: c.key_id.clone(),
                            shared_secret: c.shared_secret.expose().to_owned(),
                        },
                    );
                }
            }
            AccountSettings::Mpgs(c) => {
                let known = &config.mpgs;
                let boarded = c.merchant_id == known.merchant_id
                    || known
                        .other_merchants
                        .iter()
                        .any(|(mid, _)| *mid == c.merchant_id);
                if !boarded {
                    config
                        .mpgs
                        .other_merchants
                        .push((c.merchant_id.clone(), c.api_password.expose().to_owned()));
                }
            }
            AccountSettings::FiservIpg(c) => {
                // Fiserv names the store by its API key.
                let known = &config.fiserv_ipg;
                if known.secret_of(&c.api_key).is_none() {
                    config
                        .fiserv_ipg
                        .other_merchants
                        .push((c.api_key.clone(), c.api_secret.expose().to_owned()));
                }
            }
            AccountSettings::Juspay(c) => {
                if config.juspay.key_of(&c.merchant_id).is_none() {
                    config
                        .juspay
                        .other_merchants
                        .push((c.merchant_id.clone(), c.api_key.expose().to_owned()));
                }
            }
        }
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}
