//! Fault injection for reliability tests: added latency, 5xx answers, withheld answers,
//! malformed JSON and connections dropped mid-answer.
//!
//! Syntax (header `X-Sandbox-Fault`, the `/_sandbox/faults` hook, or configuration): one or
//! more items separated by `,` or `;`: `latency=200ms` (or `=2s`), `status=500` (any 4xx/5xx),
//! `timeout`, `malformed`, `drop`. Example: `latency=50ms,status=503`.
//!
//! `status=...` answers without processing the request. `timeout`, `malformed` and `drop`
//! process it first (the provider's state changes) and lose the answer, which is what makes
//! "provider timed out, resolve by status query" testable.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::state::Sandbox;

/// Header carrying a per-request fault.
pub const FAULT_HEADER: &str = "x-sandbox-fault";

/// What replaces the normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status and a generic error body, without processing.
    Status(u16),
    /// Process, then hold the connection open and finally answer 504.
    Timeout,
    /// Process, then answer with broken JSON.
    Malformed,
    /// Process, then send part of the answer and drop the connection.
    Drop,
}

/// A parsed fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultSpec {
    pub latency: Option<Duration>,
    pub action: Option<FaultAction>,
}

/// Why a fault string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid fault item `{0}` (expected latency=NNms|NNs, status=4xx|5xx, timeout, malformed, drop)"
)]
pub struct FaultParseError(pub String);

impl FromStr for FaultSpec {
    type Err = FaultParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        for item in s.split([',', ';']).map(str::trim).filter(|i| !i.is_empty()) {
            let bad = || FaultParseError(item.to_owned());
            match item.split_once('=') {
                Some(("latency", v)) => spec.latency = Some(parse_duration(v).ok_or_else(bad)?),
                Some(("status", v)) => {
                    let code: u16 = v.parse().map_err(|_| bad())?;
                    if !(400..=599).contains(&code) {
                        return Err(bad());
                    }
                    spec.action = Some(FaultAction::Status(code));
                }
                None if item == "timeout" => spec.action = Some(FaultAction::Timeout),
                None if item == "malformed" => spec.action = Some(FaultAction::Malformed),
                None if item == "drop" => spec.action = Some(FaultAction::Drop),
                _ => return Err(bad()),
            }
        }
        Ok(spec)
    }
}

fn parse_duration(v: &str) -> Option<Duration> {
    if let Some(ms) = v.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else if let Some(s) = v.strip_suffix('s') {
        s.parse().ok().map(Duration::from_secs)
    } else {
        v.parse().ok().map(Duration::from_millis)
    }
}

/// A fault armed at run time through the hook.
#[derive(Debug, Clone, Copy)]
struct Armed {
    spec: FaultSpec,
    /// Requests left to affect; `None` = until cleared.
    remaining: Option<u32>,
}

/// Faults armed at run time, per connector (`*` = all).
#[derive(Debug, Default)]
pub struct FaultSwitch {
    armed: Mutex<HashMap<String, Armed>>,
}

/// Body of `PUT /_sandbox/faults`.
#[derive(Debug, Deserialize)]
pub struct ArmRequest {
    /// Connector id; absent = every connector.
    pub connector: Option<String>,
    pub fault: String,
    /// How many requests to affect; absent = until cleared.
    pub count: Option<u32>,
}

impl FaultSwitch {
    pub fn arm(&self, connector: Option<&str>, spec: FaultSpec, count: Option<u32>) {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        armed.insert(
            connector.unwrap_or("*").to_owned(),
            Armed {
                spec,
                remaining: count,
            },
        );
    }

    pub fn clear(&self) {
        self.armed.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The faults still armed: connector (`*` = all) and the requests left (`None`: until
    /// cleared). A counted fault gone from here has been taken by a request, which is then
    /// past the sandbox's door (held by its latency, if it has one).
    pub fn armed(&self) -> Vec<(String, Option<u32>)> {
        let armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = armed
            .iter()
            .map(|(connector, a)| (connector.clone(), a.remaining))
            .collect();
        all.sort();
        all
    }

    /// Takes one use of the fault armed for `connector` (or for all).
    fn take(&self, connector: &str) -> Option<FaultSpec> {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let key = if armed.contains_key(connector) {
            connector
        } else {
            "*"
        };
        let entry = armed.get_mut(key)?;
        let spec = entry.spec;
        match &mut entry.remaining {
            Some(0) => {
                armed.remove(key);
                return None;
            }
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    armed.remove(key);
                }
            }
            None => {}
        }
        Some(spec)
    }
}

/// Middleware in front of every provider simulator.
pub async fn inject(State(sandbox): State<Arc<Sandbox>>, request: Request, next: Next) -> Response {
    let connector = request
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if connector.is_empty() || connector.starts_with('_') {
        return next.run(request).await;
    }
    let from_header = request
        .headers()
        .get(FAULT_HEADER)
        .map(|v| v.to_str().unwrap_or("").parse::<FaultSpec>());
    let spec = match from_header {
        Some(Ok(spec)) => Some(spec),
        Some(Err(e)) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        None => sandbox
            .faults
            .take(&connector)
            .or(sandbox.config.default_fault),
    };
    let Some(spec) = spec else {
        return next.run(request).await;
    };
    if let Some(latency) = spec.latency {
        tokio::time::sleep(latency).await;
    }
    match spec.action {
        None => next.run(request).await,
        Some(FaultAction::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                format!(r#"{{"message":"sandbox injected fault","status":{code}}}"#),
            )
                .into_response()
        }
        Some(FaultAction::Timeout) => {
            let _processed = next.run(request).await;
            tokio::time::sleep(sandbox.config.timeout_hold).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(FaultAction::Malformed) => {
            let response = next.run(request).await;
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Response::from_parts(parts, Body::from(r#"{"status": "AUTHORIZED", "id": "#))
        }
        Some(FaultAction::Drop) => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
            parts.headers.remove(header::CONTENT_LENGTH);
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "sandbox drop fault",
                )),
            ];
            Response::from_parts(parts, Body::from_stream(tokio_stream::iter(chunks)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_combined_items() {
        let spec: FaultSpec = "latency=200ms, status=503".parse().expect("valid");
        assert_eq!(spec.latency, Some(Duration::from_millis(200)));
        assert_eq!(spec.action, Some(FaultAction::Status(503)));
        assert_eq!(
            "timeout".parse::<FaultSpec>().expect("valid").action,
            Some(FaultAction::Timeout)
        );
        assert_eq!(
            "latency=2s".parse::<FaultSpec>().expect("valid").latency,
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn refuses_unknown_items() {
        assert!("explode".parse::<FaultSpec>().is_err());
        assert!("status=200".parse::<FaultSpec>().is_err());
        assert!("latency=fast".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn counted_faults_run_out() {
        let switch = FaultSwitch::default();
        switch.arm(Some("mpgs"), "status=500".parse().expect("valid"), Some(2));
        assert!(switch.take("mpgs").is_some());
        assert!(switch.take("juspay").is_none());
        assert!(switch.take("mpgs").is_some());
        assert!(switch.take("mpgs").is_none());
    }
}
