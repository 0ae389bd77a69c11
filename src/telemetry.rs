//! Logs (JSON by default), OpenTelemetry traces over OTLP when configured, and the
//! Prometheus recorder behind `/metrics`.
//!
//! Spans and log lines carry ids and statuses only: card data, OTPs and credentials are never
//! recorded (adapters log provider bodies through the redactor in `payorch-connector`).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use payorch_connector::http::ProviderCall;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogSettings;

/// Keeps the trace exporter alive; flushes buffered spans when dropped.
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// The OTLP endpoint: the settings', else the standard `OTEL_EXPORTER_OTLP_ENDPOINT`.
fn otlp_endpoint(settings: &LogSettings) -> Option<String> {
    settings
        .otlp_endpoint
        .clone()
        .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
        .filter(|e| !e.is_empty())
}

fn tracer_provider(endpoint: &str) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| e.to_string())?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("payorch")
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Installs the global log (and, when configured, trace) subscriber. Later calls are no-ops,
/// which lets tests start several servers in one process.
pub fn init(settings: &LogSettings) -> TelemetryGuard {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (provider, otel_error) = match otlp_endpoint(settings) {
        Some(endpoint) => match tracer_provider(&endpoint) {
            Ok(provider) => (Some(provider), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    let otel_layer = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("payorch")));
    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    let _already_set = if settings.format == "pretty" {
        registry.with(tracing_subscriber::fmt::layer()).try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init()
    };
    if let Some(error) = otel_error {
        tracing::error!(%error, "OTLP trace export not started");
    }
    TelemetryGuard {
        tracer_provider: provider,
    }
}

/// Histogram buckets (seconds) of every `*_duration_seconds` metric: from 100 µs (payorch's
/// own time per RPC is tens of µs) to 10 s (a slow provider). Buckets make the exporter
/// render Prometheus histograms, which aggregate across pods, instead of summaries.
pub const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Installs the process-wide metrics recorder once and returns the handle that renders it.
/// Provider calls made through `payorch_connector::http` are recorded from then on.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Fails only on empty buckets (not these); then summaries are rendered.
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_duration_seconds".into()),
                    DURATION_BUCKETS,
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours still renders (empty).
            let _ = metrics::set_global_recorder(recorder);
            describe_metrics();
            payorch_connector::http::on_provider_call(record_provider_call);
            handle
        })
        .clone()
}

/// The `# HELP` line of every metric payorch exports (Prometheus' linter asks for one).
fn describe_metrics() {
    metrics::describe_counter!(
        "payorch_grpc_requests_total",
        "RPCs answered, by method and gRPC status code."
    );
    metrics::describe_gauge!(
        "payorch_grpc_requests_in_flight",
        "RPCs being served now, by method."
    );
    metrics::describe_histogram!(
        "payorch_grpc_request_duration_seconds",
        "RPC latency as payorch sees it, by method."
    );
    metrics::describe_histogram!(
        "payorch_grpc_own_duration_seconds",
        "RPC latency without the RPC's provider calls: payorch's own time, by method."
    );
    metrics::describe_histogram!(
        "payorch_provider_request_duration_seconds",
        "Provider HTTP attempts, by connector, operation and outcome."
    );
    metrics::describe_histogram!(
        "payorch_store_request_duration_seconds",
        "Redis round trips, by store operation and outcome."
    );
    metrics::describe_gauge!(
        "payorch_account_breaker_state",
        "Circuit breaker of each merchant connector account on this replica: 0 closed, 1 half-open, 2 open."
    );
    metrics::describe_counter!(
        "payorch_account_breaker_opened_total",
        "Times each account's circuit breaker opened on this replica."
    );
    metrics::describe_counter!(
        "payorch_otp_stage_total",
        "OTP authentications by account, BIN range and stage (sent, resent, expired, exhausted, succeeded; failed when the provider or issuer could not carry it)."
    );
    metrics::describe_counter!(
        "payorch_routing_decisions_total",
        "New calls routed, by merchant, matched rule and chosen account."
    );
    metrics::describe_counter!(
        "payorch_routing_failovers_total",
        "Starts moved to the next account because the first provably was not reached."
    );
    metrics::describe_gauge!(
        "payorch_ready",
        "1 while this replica serves (its session store answers and it is not stopping), else 0."
    );
}

/// `payorch_provider_request_duration_seconds` by connector, operation and outcome (one
/// observation per HTTP attempt).
fn record_provider_call(call: &ProviderCall) {
    metrics::histogram!(
        "payorch_provider_request_duration_seconds",
        "connector" => call.connector,
        "operation" => call.operation,
        "outcome" => call.outcome.as_str(),
    )
    .record(call.elapsed.as_secs_f64());
}
