//! Logs (JSON by default) and the Prometheus recorder behind `/metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

/// Installs the global log subscriber. Safe to call more than once (later calls are no-ops),
/// which lets tests start several servers in one process.
pub fn init_logging(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _already_set = if settings.format == "pretty" {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    };
}

/// Installs the process-wide metrics recorder once and returns the handle that renders it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours still renders (empty).
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
