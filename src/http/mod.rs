//! The HTTP side: the issuers' redirect callbacks, liveness, readiness and Prometheus metrics.

pub mod callbacks;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::flows::Flows;

#[derive(Clone)]
pub struct HttpState {
    pub ready: Arc<AtomicBool>,
    pub metrics: PrometheusHandle,
    pub flows: Flows,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/v1/callbacks/{authentication_id}",
            post(callbacks::complete),
        )
        .with_state(state)
}

/// Ready while the session store answers. The accounts' breakers are listed as detail but
/// never make a replica unready: a provider's outage is routed around, not a reason to stop
/// serving the other accounts.
async fn readyz(State(state): State<HttpState>) -> (StatusCode, String) {
    let ready = state.ready.load(Ordering::Relaxed);
    let mut body = if ready {
        "ready\n".to_owned()
    } else {
        "not ready: session store unreachable\n".to_owned()
    };
    for (account, connector, breaker) in state.flows.router.health() {
        body.push_str(&format!(
            "account {account} ({}): breaker {}\n",
            connector.as_str(),
            breaker.as_str()
        ));
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

async fn metrics(State(state): State<HttpState>) -> String {
    state.flows.router.export_health();
    state.metrics.render()
}
