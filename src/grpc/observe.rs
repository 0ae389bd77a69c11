//! Per-RPC observability: a span (exported over OTLP when configured), a request counter by
//! method and status code, a latency histogram, and payorch's own time (the RPC's minus the
//! providers') as a histogram and in the `payorch-own-time-us` response header. Nothing from
//! the request body is recorded.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use payorch_connector::http::ProviderClock;
use tonic::metadata::AsciiMetadataValue;
use tonic::{Code, Response, Status};
use tracing::Instrument;

/// Response header: microseconds payorch spent on the call, provider calls excluded.
pub const OWN_TIME_HEADER: &str = "payorch-own-time-us";

pub async fn observed<T>(
    method: &'static str,
    call: impl Future<Output = Result<Response<T>, Status>>,
) -> Result<Response<T>, Status> {
    let started = Instant::now();
    let _in_flight = InFlight::enter(method);
    let span = tracing::info_span!("rpc", rpc.method = method, rpc.code = tracing::field::Empty);
    let provider = Arc::new(ProviderClock::default());
    let result = ProviderClock::scope(provider.clone(), call.instrument(span.clone()))
        .await
        .map_err(|status| with_incident(method, status));
    let elapsed = started.elapsed();
    let own = own_time(elapsed, provider.total());
    let code = match &result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    };
    span.record("rpc.code", tracing::field::debug(code));
    metrics::counter!("payorch_grpc_requests_total", "method" => method, "code" => format!("{code:?}"))
        .increment(1);
    metrics::histogram!("payorch_grpc_request_duration_seconds", "method" => method)
        .record(elapsed.as_secs_f64());
    metrics::histogram!("payorch_grpc_own_duration_seconds", "method" => method)
        .record(own.as_secs_f64());
    result.map(|mut response| {
        let micros = u64::try_from(own.as_micros()).unwrap_or(u64::MAX);
        response
            .metadata_mut()
            .insert(OWN_TIME_HEADER, AsciiMetadataValue::from(micros));
        response
    })
}

/// The RPC's time minus its providers' (never below zero: concurrent provider calls may add
/// up to more than the RPC took).
fn own_time(elapsed: Duration, provider: Duration) -> Duration {
    elapsed.saturating_sub(provider)
}

/// Counts an RPC in `payorch_grpc_requests_in_flight` while it runs (also when the caller
/// goes away and the call's future is dropped).
struct InFlight(&'static str);

impl InFlight {
    fn enter(method: &'static str) -> Self {
        metrics::gauge!("payorch_grpc_requests_in_flight", "method" => method).increment(1.0);
        InFlight(method)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("payorch_grpc_requests_in_flight", "method" => self.0).decrement(1.0);
    }
}

/// INTERNAL is payorch's own bug: the caller gets an `incident_id` in the ErrorInfo, and the
/// log line with the cause carries the same id, so support can find one from the other.
fn with_incident(method: &'static str, status: Status) -> Status {
    if status.code() != Code::Internal {
        return status;
    }
    let incident = uuid::Uuid::new_v4().simple().to_string();
    tracing::error!(rpc.method = method, incident_id = %incident, cause = %status.message(), "internal error");
    let details = tonic_types::ErrorDetails::with_error_info(
        "INTERNAL",
        "payorch.dev",
        [("incident_id".to_owned(), incident)],
    );
    use tonic_types::StatusExt;
    Status::with_error_details(
        Code::Internal,
        "payorch failed to process the call; quote the incident_id to support",
        details,
    )
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[tokio::test]
    async fn internal_errors_carry_an_incident_id_and_no_cause() {
        let answer: Result<Response<()>, Status> = observed("Test", async {
            Err(Status::internal("validated request lost its card"))
        })
        .await;
        let Err(status) = answer else {
            panic!("expected an error");
        };
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("card"), "{}", status.message());
        let info = status.get_error_details().error_info().cloned();
        let incident = info.and_then(|i| i.metadata.get("incident_id").cloned());
        assert_eq!(incident.map(|id| id.len()), Some(32));
    }

    #[tokio::test]
    async fn answers_carry_the_own_time_header() {
        let answer: Result<Response<()>, Status> =
            observed("Test", async { Ok(Response::new(())) }).await;
        let Ok(response) = answer else {
            panic!("expected an answer");
        };
        let own = response.metadata().get(OWN_TIME_HEADER).cloned();
        let micros = own.and_then(|v| v.to_str().ok().and_then(|v| v.parse::<u64>().ok()));
        assert!(micros.is_some_and(|us| us < 1_000_000), "{micros:?}");
    }

    #[test]
    fn own_time_excludes_the_providers_and_never_goes_negative() {
        let ms = Duration::from_millis;
        assert_eq!(own_time(ms(10), ms(7)), ms(3));
        assert_eq!(own_time(ms(10), ms(12)), Duration::ZERO);
    }

    #[tokio::test]
    async fn other_errors_pass_unchanged() {
        let answer: Result<Response<()>, Status> = observed("Test", async {
            Err(Status::not_found("authentication not found"))
        })
        .await;
        let Err(status) = answer else {
            panic!("expected an error");
        };
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "authentication not found");
    }
}
