//! Per-RPC metrics: a request counter by method and status code, and a latency histogram.

use std::future::Future;
use std::time::Instant;

use tonic::{Code, Response, Status};

pub async fn observed<T>(
    method: &'static str,
    call: impl Future<Output = Result<Response<T>, Status>>,
) -> Result<Response<T>, Status> {
    let started = Instant::now();
    let result = call.await;
    let code = match &result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    };
    metrics::counter!("payorch_grpc_requests_total", "method" => method, "code" => format!("{code:?}"))
        .increment(1);
    metrics::histogram!("payorch_grpc_request_duration_seconds", "method" => method)
        .record(started.elapsed().as_secs_f64());
    result
}
