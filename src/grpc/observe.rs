//! Per-RPC observability: a span (exported over OTLP when configured), a request counter by
//! method and status code, and a latency histogram. Nothing from the request body is recorded.

use std::future::Future;
use std::time::Instant;

use tonic::{Code, Response, Status};
use tracing::Instrument;

pub async fn observed<T>(
    method: &'static str,
    call: impl Future<Output = Result<Response<T>, Status>>,
) -> Result<Response<T>, Status> {
    let started = Instant::now();
    let span = tracing::info_span!("rpc", rpc.method = method, rpc.code = tracing::field::Empty);
    let result = call.instrument(span.clone()).await;
    let code = match &result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    };
    span.record("rpc.code", tracing::field::debug(code));
    metrics::counter!("payorch_grpc_requests_total", "method" => method, "code" => format!("{code:?}"))
        .increment(1);
    metrics::histogram!("payorch_grpc_request_duration_seconds", "method" => method)
        .record(started.elapsed().as_secs_f64());
    result
}
