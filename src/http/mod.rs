//! The HTTP side: liveness, readiness and Prometheus metrics (callbacks join it later).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

#[derive(Clone)]
pub struct HttpState {
    pub ready: Arc<AtomicBool>,
    pub metrics: PrometheusHandle,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if state.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: session store unreachable",
        )
    }
}

async fn metrics(State(state): State<HttpState>) -> String {
    state.metrics.render()
}
