//! Shared HTTP plumbing for adapters: one pooled client per connector, connect and total
//! timeouts, the caller's deadline bounding every call, retries for reads only, and
//! request/response tracing with secrets redacted, and a measure of every provider call (see
//! [`on_provider_call`] and [`ProviderClock`]).

pub mod redact;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, Request, StatusCode};
use tracing::Instrument as _;

use crate::context::CallContext;
use crate::error::ConnectorError;
use crate::id::ConnectorId;

/// Whether repeating a call can change anything at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotence {
    /// A status lookup: retried on transport errors and 5xx.
    Read,
    /// Changes state at the provider: sent once; an unclear answer is `OutcomeUnknown`.
    Write,
}

#[derive(Debug, Clone)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
    /// Extra attempts for reads.
    pub read_retries: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(15),
            read_retries: 2,
        }
    }
}

/// How a provider call ended, as far as payorch can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The provider answered 2xx or 3xx.
    Ok,
    /// The provider answered 4xx: it refused the request.
    Rejected,
    /// A 5xx, a timeout or a connection lost after sending: the provider may have acted.
    OutcomeUnknown,
    /// Nothing reached the provider (no connection, or no time left to send).
    NotSent,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Rejected => "rejected",
            CallOutcome::OutcomeUnknown => "outcome_unknown",
            CallOutcome::NotSent => "not_sent",
        }
    }

    fn of_status(status: StatusCode) -> Self {
        if status.is_server_error() {
            CallOutcome::OutcomeUnknown
        } else if status.is_client_error() {
            CallOutcome::Rejected
        } else {
            CallOutcome::Ok
        }
    }

    fn of_error(err: &ConnectorError) -> Self {
        match err {
            ConnectorError::NotSent(_) => CallOutcome::NotSent,
            _ => CallOutcome::OutcomeUnknown,
        }
    }
}

/// One provider HTTP attempt, as handed to the observer installed with [`on_provider_call`].
#[derive(Debug, Clone, Copy)]
pub struct ProviderCall {
    pub connector: &'static str,
    pub operation: &'static str,
    pub outcome: CallOutcome,
    pub elapsed: Duration,
}

static OBSERVER: OnceLock<fn(&ProviderCall)> = OnceLock::new();

/// Installs the process-wide observer of provider calls (the metrics recorder does, at
/// start-up). Later calls are ignored.
pub fn on_provider_call(observer: fn(&ProviderCall)) {
    let _ = OBSERVER.set(observer);
}

/// Provider time spent on behalf of one RPC, so the RPC can report its own time apart from
/// the provider's. Scoped over the RPC's future with [`ProviderClock::scope`]; every provider
/// call made within adds its elapsed time. Work spawned into another task keeps counting when
/// it is wrapped with [`ProviderClock::carry`].
#[derive(Debug, Default)]
pub struct ProviderClock {
    nanos: AtomicU64,
}

tokio::task_local! {
    static PROVIDER_CLOCK: Arc<ProviderClock>;
    static ATTEMPTS: Arc<AtomicU64>;
}

/// Runs `work` and counts the provider HTTP attempts it made: an adapter may answer from
/// what it already knows without calling anyone, and such an answer says nothing about the
/// provider's health.
pub async fn counting_attempts<F: Future>(work: F) -> (F::Output, u64) {
    let counter = Arc::new(AtomicU64::new(0));
    let output = ATTEMPTS.scope(counter.clone(), work).await;
    (output, counter.load(Ordering::Relaxed))
}

impl ProviderClock {
    /// Runs `work` with `clock` counting its provider time.
    pub fn scope<F: Future>(clock: Arc<ProviderClock>, work: F) -> impl Future<Output = F::Output> {
        PROVIDER_CLOCK.scope(clock, work)
    }

    /// `work` counting into the current task's clock, if any, wherever it is later polled
    /// (wrap a future with this before `tokio::spawn`ing it).
    pub fn carry<F: Future>(work: F) -> impl Future<Output = F::Output> {
        let clock = PROVIDER_CLOCK.try_with(Arc::clone).ok();
        async move {
            match clock {
                Some(clock) => PROVIDER_CLOCK.scope(clock, work).await,
                None => work.await,
            }
        }
    }

    /// Provider time counted so far.
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }

    fn add(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Tells the observer and the current RPC's clock about one attempt.
fn record(
    connector: ConnectorId,
    operation: &'static str,
    outcome: CallOutcome,
    elapsed: Duration,
) {
    let _ = PROVIDER_CLOCK.try_with(|clock| clock.add(elapsed));
    let _ = ATTEMPTS.try_with(|attempts| attempts.fetch_add(1, Ordering::Relaxed));
    if let Some(observer) = OBSERVER.get() {
        observer(&ProviderCall {
            connector: connector.as_str(),
            operation,
            outcome,
            elapsed,
        });
    }
}

/// A provider's answer, fully read.
#[derive(Debug, Clone)]
pub struct ProviderResponse {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// One connector's HTTP client, bound to its base URL.
#[derive(Debug, Clone)]
pub struct ProviderHttp {
    connector: ConnectorId,
    client: Client,
    base_url: String,
    timeouts: Timeouts,
}

impl ProviderHttp {
    pub fn new(
        connector: ConnectorId,
        base_url: &str,
        timeouts: Timeouts,
    ) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .pool_idle_timeout(Duration::from_secs(90))
            // A small request must not wait for the provider's delayed ACK (Nagle).
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(60))
            .user_agent(concat!("payorch/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            connector,
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            timeouts,
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The absolute URL of a path relative to the base URL (signatures cover the path).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The base URL's authority (`host[:port]`), which providers sign as `Host`.
    pub fn host(&self) -> &str {
        let without_scheme = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        without_scheme.split('/').next().unwrap_or(without_scheme)
    }

    /// Sends a request built (and signed) afresh for each attempt by `build`, within the
    /// caller's deadline. Reads are retried on transport errors and 5xx; writes never are.
    /// A final 5xx is `OutcomeUnknown`; other statuses are returned for the adapter to map.
    pub async fn send<F>(
        &self,
        ctx: &CallContext,
        kind: Idempotence,
        operation: &'static str,
        build: F,
    ) -> Result<ProviderResponse, ConnectorError>
    where
        F: Fn(&Client) -> Result<Request, ConnectorError>,
    {
        let attempts = match kind {
            Idempotence::Read => 1 + self.timeouts.read_retries,
            Idempotence::Write => 1,
        };
        let mut last_error = ConnectorError::NotSent("no attempt made".into());
        for attempt in 1..=attempts {
            let budget = match ctx.remaining() {
                Some(left) if left < Duration::from_millis(5) => {
                    record(
                        self.connector,
                        operation,
                        CallOutcome::NotSent,
                        Duration::ZERO,
                    );
                    return Err(match kind {
                        Idempotence::Write => {
                            ConnectorError::NotSent("caller deadline already passed".into())
                        }
                        Idempotence::Read => last_error,
                    });
                }
                // Keep a slice of the caller's time to store the answer and reply.
                Some(left) => {
                    (left - (left / 5).min(Duration::from_millis(500))).min(self.timeouts.total)
                }
                None => self.timeouts.total,
            };
            let mut request = build(&self.client)?;
            *request.timeout_mut() = Some(budget);
            let span = tracing::info_span!(
                "provider",
                provider.connector = %self.connector,
                provider.operation = operation,
                provider.attempt = attempt,
            );
            match self
                .attempt(request, operation, attempt)
                .instrument(span)
                .await
            {
                // A 5xx says nothing reliable about whether the provider acted.
                Ok(response) if response.status.is_server_error() => {
                    last_error = ConnectorError::OutcomeUnknown(format!(
                        "{operation}: provider answered {}",
                        response.status
                    ));
                    if kind == Idempotence::Write {
                        return Err(last_error);
                    }
                }
                Ok(response) => return Ok(response),
                Err(err) => {
                    last_error = err;
                    if kind == Idempotence::Write {
                        return Err(last_error);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
        }
        Err(last_error)
    }

    async fn attempt(
        &self,
        request: Request,
        operation: &'static str,
        attempt: u32,
    ) -> Result<ProviderResponse, ConnectorError> {
        let method: Method = request.method().clone();
        let path = request.url().path().to_owned();
        // Redacting walks the whole body: only done when the debug line is written.
        let request_body = if tracing::enabled!(tracing::Level::DEBUG) {
            request
                .body()
                .and_then(|b| b.as_bytes())
                .map(redact::redact_body)
                .unwrap_or_default()
        } else {
            String::new()
        };
        let started = Instant::now();
        let result = self.client.execute(request).await;
        let response = match result {
            Ok(response) => response,
            Err(err) => {
                let classified = classify(&err, operation);
                record(
                    self.connector,
                    operation,
                    CallOutcome::of_error(&classified),
                    started.elapsed(),
                );
                tracing::warn!(
                    connector = %self.connector, operation, %method, path, attempt,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    error = %classified, "provider call failed"
                );
                return Err(classified);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => {
                record(
                    self.connector,
                    operation,
                    CallOutcome::OutcomeUnknown,
                    started.elapsed(),
                );
                return Err(ConnectorError::OutcomeUnknown(format!(
                    "{operation}: answer cut short: {}",
                    short(&e)
                )));
            }
        };
        record(
            self.connector,
            operation,
            CallOutcome::of_status(status),
            started.elapsed(),
        );
        tracing::debug!(
            connector = %self.connector, operation, %method, path, attempt,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            request = %request_body,
            response = %redact::redact_body(&body),
            "provider call"
        );
        Ok(ProviderResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// A connection that was never established cannot have changed anything; anything later
/// might have.
fn classify(err: &reqwest::Error, operation: &str) -> ConnectorError {
    if err.is_connect() {
        ConnectorError::NotSent(format!("{operation}: cannot connect: {}", short(err)))
    } else if err.is_timeout() {
        ConnectorError::OutcomeUnknown(format!("{operation}: provider timed out"))
    } else {
        ConnectorError::OutcomeUnknown(format!("{operation}: {}", short(err)))
    }
}

/// An error's own text without the URL (which may carry ids, never secrets, but is noise).
fn short(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_clock_counts_in_its_scope_and_across_a_carried_spawn() {
        let clock = Arc::new(ProviderClock::default());
        ProviderClock::scope(clock.clone(), async {
            record(
                ConnectorId::Mpgs,
                "pay",
                CallOutcome::Ok,
                Duration::from_millis(3),
            );
            let carried = tokio::spawn(ProviderClock::carry(async {
                record(
                    ConnectorId::Mpgs,
                    "pay",
                    CallOutcome::Ok,
                    Duration::from_millis(4),
                );
            }));
            let _ = carried.await;
            // Not carried: another task's calls are not this RPC's.
            let _ = tokio::spawn(async {
                record(
                    ConnectorId::Mpgs,
                    "pay",
                    CallOutcome::Ok,
                    Duration::from_millis(100),
                );
            })
            .await;
        })
        .await;
        assert_eq!(clock.total(), Duration::from_millis(7));
    }

    #[test]
    fn outcomes_by_status() {
        assert_eq!(CallOutcome::of_status(StatusCode::OK), CallOutcome::Ok);
        assert_eq!(
            CallOutcome::of_status(StatusCode::BAD_REQUEST),
            CallOutcome::Rejected
        );
        assert_eq!(
            CallOutcome::of_status(StatusCode::BAD_GATEWAY),
            CallOutcome::OutcomeUnknown
        );
        assert_eq!(
            CallOutcome::of_error(&ConnectorError::NotSent("x".into())).as_str(),
            "not_sent"
        );
    }
}
