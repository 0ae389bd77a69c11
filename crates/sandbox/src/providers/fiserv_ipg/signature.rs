//! Fiserv IPG request authentication: `Api-Key`, a fresh `Client-Request-Id`, a
//! `Timestamp` (epoch milliseconds) inside the window, and
//! `Message-Signature = base64(HMAC-SHA256(secret, apiKey + clientRequestId + timestamp + body))`
//! over the raw digest (the EMEA/India variant; FACTS.md).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing header {0}")]
    Missing(&'static str),
    #[error("invalid API key")]
    ApiKey,
    #[error("Timestamp is not epoch milliseconds or is outside the accepted window")]
    Timestamp,
    #[error("Message-Signature does not match")]
    Signature,
}

/// The signature a request must carry.
pub fn sign(
    api_key: &str,
    secret: &str,
    client_request_id: &str,
    timestamp: &str,
    body: &[u8],
) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(api_key.as_bytes());
    mac.update(client_request_id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Headers of one request.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub api_key: Option<&'a str>,
    pub client_request_id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// Checks key, timestamp window and signature (replay is checked by the caller).
pub fn verify(
    expected_key: &str,
    secret: &str,
    request: &Signed<'_>,
    now: SystemTime,
    window: Option<Duration>,
) -> Result<(), AuthError> {
    let key = request.api_key.ok_or(AuthError::Missing("Api-Key"))?;
    if key != expected_key {
        return Err(AuthError::ApiKey);
    }
    let id = request
        .client_request_id
        .ok_or(AuthError::Missing("Client-Request-Id"))?;
    let ts = request.timestamp.ok_or(AuthError::Missing("Timestamp"))?;
    let sig = request
        .signature
        .ok_or(AuthError::Missing("Message-Signature"))?;
    let millis: u64 = ts.parse().map_err(|_| AuthError::Timestamp)?;
    if let Some(window) = window {
        let sent = UNIX_EPOCH + Duration::from_millis(millis);
        let skew = now.duration_since(sent).unwrap_or_else(|e| e.duration());
        if skew > window {
            return Err(AuthError::Timestamp);
        }
    }
    let expected = sign(key, secret, id, ts, request.body);
    let same = expected.len() == sig.len()
        && expected
            .bytes()
            .zip(sig.bytes())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0;
    if same {
        Ok(())
    } else {
        Err(AuthError::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"requestType":"PaymentCardSaleTransaction","transactionAmount":{"total":"1.00","currency":"INR"}}"#;
    const ID: &str = "11111111-2222-4333-8444-555555555555";

    #[test]
    fn known_answer_vector() {
        assert_eq!(
            sign(
                "apikeyABC",
                "secretXYZ",
                ID,
                "1767225600000",
                BODY.as_bytes()
            ),
            "FCxkWEv3VrWFpHCIlVN0y+p6tGSDNukKRsbPm0+CJO8="
        );
    }

    fn request<'a>(sig: &'a str, body: &'a [u8]) -> Signed<'a> {
        Signed {
            api_key: Some("apikeyABC"),
            client_request_id: Some(ID),
            timestamp: Some("1767225600000"),
            signature: Some(sig),
            body,
        }
    }

    #[test]
    fn vector_verifies_and_one_bit_change_is_refused() {
        let good = "FCxkWEv3VrWFpHCIlVN0y+p6tGSDNukKRsbPm0+CJO8=";
        let now = UNIX_EPOCH + Duration::from_millis(1_767_225_600_000 + 1_000);
        let window = Some(Duration::from_secs(300));
        assert_eq!(
            verify(
                "apikeyABC",
                "secretXYZ",
                &request(good, BODY.as_bytes()),
                now,
                window
            ),
            Ok(())
        );
        let mut body = BODY.as_bytes().to_vec();
        body[3] ^= 1;
        assert_eq!(
            verify("apikeyABC", "secretXYZ", &request(good, &body), now, window),
            Err(AuthError::Signature)
        );
        let mut raw = STANDARD.decode(good).expect("b64");
        raw[31] ^= 1;
        let flipped = STANDARD.encode(raw);
        assert_eq!(
            verify(
                "apikeyABC",
                "secretXYZ",
                &request(&flipped, BODY.as_bytes()),
                now,
                window
            ),
            Err(AuthError::Signature)
        );
        // The hex-then-base64 variant of an older North-America document is not accepted.
        let hex = "MTQyYzY0NTg0YmY3NTZiNTg1YTQ3MDg4OTU1Mzc0Y2JlYTdhYjQ2NDgzMzZlOTBhNDZjNmNmOWI0ZjgyMjRlZg==";
        assert_eq!(
            verify(
                "apikeyABC",
                "secretXYZ",
                &request(hex, BODY.as_bytes()),
                now,
                window
            ),
            Err(AuthError::Signature)
        );
    }

    #[test]
    fn stale_timestamp_and_wrong_key_are_refused() {
        let good = "FCxkWEv3VrWFpHCIlVN0y+p6tGSDNukKRsbPm0+CJO8=";
        let late = UNIX_EPOCH + Duration::from_millis(1_767_225_600_000 + 301_000);
        assert_eq!(
            verify(
                "apikeyABC",
                "secretXYZ",
                &request(good, BODY.as_bytes()),
                late,
                Some(Duration::from_secs(300))
            ),
            Err(AuthError::Timestamp)
        );
        assert_eq!(
            verify(
                "other",
                "secretXYZ",
                &request(good, BODY.as_bytes()),
                late,
                None
            ),
            Err(AuthError::ApiKey)
        );
    }
}
