//! Shared HTTP plumbing for adapters: one pooled client per connector, connect and total
//! timeouts, the caller's deadline bounding every call, retries for reads only, and
//! request/response tracing with secrets redacted.

pub mod redact;

use std::time::{Duration, Instant};

use reqwest::{Client, Method, Request, StatusCode};

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
            match self.attempt(request, operation, attempt).await {
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
        let request_body = request
            .body()
            .and_then(|b| b.as_bytes())
            .map(redact::redact_body)
            .unwrap_or_default();
        let started = Instant::now();
        let result = self.client.execute(request).await;
        let response = match result {
            Ok(response) => response,
            Err(err) => {
                let classified = classify(&err, operation);
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
        let body = response.bytes().await.map_err(|e| {
            ConnectorError::OutcomeUnknown(format!("{operation}: answer cut short: {}", short(&e)))
        })?;
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
