//! HTTP Basic authentication as the gateway does it (username `merchant.<MID>`, password the
//! API password) and the API version check (71 to 100).

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::MpgsError;
use crate::config::MpgsConfig;

/// Lowest and highest REST versions the simulator serves.
pub const VERSIONS: std::ops::RangeInclusive<u32> = 71..=100;

/// The version in the URL, if supported.
pub fn version(raw: &str) -> Result<u32, MpgsError> {
    raw.parse::<u32>()
        .ok()
        .filter(|v| VERSIONS.contains(v))
        .ok_or_else(|| MpgsError::UnsupportedVersion(raw.to_owned()))
}

/// Checks the `Authorization` header against the configured merchant and the URL's `{MID}`.
pub fn check(
    config: &MpgsConfig,
    headers: &HeaderMap,
    url_merchant: &str,
) -> Result<(), MpgsError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(MpgsError::Unauthenticated);
    };
    let value = value.to_str().map_err(|_| MpgsError::InvalidCredentials)?;
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(MpgsError::InvalidCredentials)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(MpgsError::Unauthenticated);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(MpgsError::InvalidCredentials)?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or(MpgsError::InvalidCredentials)?;
    // A bare `<MID>` username is refused: the gateway wants `merchant.<MID>`.
    let merchant = user
        .strip_prefix("merchant.")
        .ok_or(MpgsError::InvalidCredentials)?;
    let expected = if merchant == config.merchant_id {
        Some(config.api_password.as_str())
    } else {
        config
            .other_merchants
            .iter()
            .find(|(mid, _)| mid == merchant)
            .map(|(_, password)| password.as_str())
    };
    let good = url_merchant == merchant
        && expected
            .is_some_and(|expected| constant_time_eq(password.as_bytes(), expected.as_bytes()));
    if good {
        Ok(())
    } else {
        Err(MpgsError::InvalidCredentials)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(user: &str, password: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&v).expect("header"),
        );
        h
    }

    #[test]
    fn accepts_merchant_prefix_only() {
        let cfg = MpgsConfig::default();
        let mid = cfg.merchant_id.clone();
        let pw = cfg.api_password.clone();
        assert_eq!(
            check(&cfg, &headers(&format!("merchant.{mid}"), &pw), &mid),
            Ok(())
        );
        assert_eq!(
            check(&cfg, &headers(&mid, &pw), &mid),
            Err(MpgsError::InvalidCredentials)
        );
        assert_eq!(
            check(&cfg, &headers(&format!("merchant.{mid}"), "nope"), &mid),
            Err(MpgsError::InvalidCredentials)
        );
        assert_eq!(
            check(&cfg, &headers(&format!("merchant.{mid}"), &pw), "OTHER"),
            Err(MpgsError::InvalidCredentials)
        );
        assert_eq!(
            check(&cfg, &HeaderMap::new(), &mid),
            Err(MpgsError::Unauthenticated)
        );
    }

    #[test]
    fn versions() {
        assert!(version("70").is_err());
        assert_eq!(version("71"), Ok(71));
        assert_eq!(version("100"), Ok(100));
        assert!(version("101").is_err());
        assert!(version("x").is_err());
    }
}
