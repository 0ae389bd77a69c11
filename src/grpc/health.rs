//! gRPC health that means something: SERVING only while the session store answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use payorch_store::SessionStore;
use tokio::sync::watch;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::api::authentication_service_server::AuthenticationServiceServer;
use crate::api::mandate_service_server::MandateServiceServer;
use crate::api::payment_service_server::PaymentServiceServer;
use crate::grpc::{Authentications, Mandates, Payments};

async fn set_all(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    reporter
        .set_service_status(
            <AuthenticationServiceServer<Authentications> as tonic::server::NamedService>::NAME,
            status,
        )
        .await;
    reporter
        .set_service_status(
            <PaymentServiceServer<Payments> as tonic::server::NamedService>::NAME,
            status,
        )
        .await;
    reporter
        .set_service_status(
            <MandateServiceServer<Mandates> as tonic::server::NamedService>::NAME,
            status,
        )
        .await;
}

/// Readiness as `/readyz` answers it and as the `payorch_ready` gauge reports it.
pub fn set_ready(ready: &AtomicBool, serving: bool) {
    ready.store(serving, Ordering::Relaxed);
    metrics::gauge!("payorch_ready").set(if serving { 1.0 } else { 0.0 });
}

pub async fn set_not_serving(reporter: &HealthReporter) {
    set_all(reporter, ServingStatus::NotServing).await;
}

/// Pings the store every `interval` and mirrors the answer into gRPC health and `/readyz`,
/// until shutdown starts.
pub async fn watch_store(
    store: Arc<dyn SessionStore>,
    reporter: HealthReporter,
    ready: Arc<AtomicBool>,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last: Option<bool> = None;
    loop {
        let healthy = store.ping().await.is_ok();
        if *shutdown.borrow() {
            return;
        }
        if last != Some(healthy) {
            if healthy {
                tracing::info!("session store reachable: serving");
            } else {
                tracing::warn!("session store unreachable: not serving");
            }
            set_ready(&ready, healthy);
            let status = if healthy {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            set_all(&reporter, status).await;
            last = Some(healthy);
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => return,
        }
    }
}
