//! Juspay authentication: HTTP Basic with the API key as user and an empty password.
//! Both `base64("key:")` (curl `-u key:`) and `base64("key")` (the official Node SDK) are
//! accepted; a non-empty password is refused. The key names the merchant (the sample one or
//! another the sandbox boarded); `x-merchantid`, when sent, must name that merchant; `version` is accepted as sent. `x-routing-id` is required on
//! every API call (Juspay's API reference marks it required and suggests the customer id,
//! or the order id for a guest): a request without it is refused with 400
//! `invalid_request` naming it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use super::CONNECTOR;
use super::errors::JpError;
use crate::state::Sandbox;

/// The API key a `Basic` header carries, if it is well formed with an empty password.
pub fn api_key_from(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let encoded = encoded.trim();
    let bytes = STANDARD
        .decode(encoded)
        .or_else(|_| STANDARD_NO_PAD.decode(encoded))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    match text.split_once(':') {
        Some((user, "")) => Some(user.to_owned()),
        Some(_) => None,
        None => Some(text),
    }
}

/// The merchant the headers authenticate as: the one whose API key the `Basic` header
/// carries; `x-merchantid`, when sent, must name that same merchant.
pub fn authorized(sandbox: &Sandbox, headers: &HeaderMap) -> Option<String> {
    let key = api_key_from(headers)?;
    let (merchant, _) = sandbox
        .config
        .juspay
        .merchants()
        .find(|(_, known)| constant_time_eq(key.as_bytes(), known.as_bytes()))?;
    let merchant_ok = match headers.get("x-merchantid") {
        None => true,
        Some(v) => v.to_str().is_ok_and(|m| m.trim() == merchant),
    };
    merchant_ok.then(|| merchant.to_owned())
}

/// Middleware in front of every API route.
pub async fn require(
    State(sandbox): State<Arc<Sandbox>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(merchant) = authorized(&sandbox, request.headers()) else {
        sandbox.calls.record(CONNECTOR, "unauthenticated");
        return JpError::AccessDenied.into_response();
    };
    sandbox.calls.record_merchant(CONNECTOR, &merchant);
    if routing_id(request.headers()).is_none() {
        sandbox.calls.record(CONNECTOR, "missing_routing_id");
        return JpError::Missing(vec![ROUTING_ID.to_owned()]).into_response();
    }
    crate::merchants::as_merchant(merchant, next.run(request)).await
}

/// The header Juspay routes a customer's calls by.
pub const ROUTING_ID: &str = "x-routing-id";

/// The request's non-empty `x-routing-id`.
pub fn routing_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(ROUTING_ID)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, auth.parse().expect("header"));
        h
    }

    #[test]
    fn with_and_without_the_colon() {
        let with = format!("Basic {}", STANDARD.encode("key:"));
        let without = format!("Basic {}", STANDARD.encode("key"));
        assert_eq!(api_key_from(&headers(&with)).as_deref(), Some("key"));
        assert_eq!(api_key_from(&headers(&without)).as_deref(), Some("key"));
    }

    #[test]
    fn refuses_a_password_and_other_schemes() {
        let with_password = format!("Basic {}", STANDARD.encode("key:secret"));
        assert_eq!(api_key_from(&headers(&with_password)), None);
        assert_eq!(api_key_from(&headers("Bearer key")), None);
        assert_eq!(api_key_from(&HeaderMap::new()), None);
    }
}
