//! Fiserv IPG request signing (FACTS.md): every request carries `Api-Key`, a fresh
//! `Client-Request-Id` (a UUID the gateway refuses to see twice), `Timestamp` in epoch
//! milliseconds (stale ones are refused), and
//! `Message-Signature = base64(HMAC-SHA256(secret, apiKey + clientRequestId + timestamp + body))`
//! over the raw digest (the EMEA/India variant, not the older hex-then-base64 one).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The signature over one request.
pub fn signature(
    api_key: &str,
    secret: &str,
    client_request_id: &str,
    timestamp: &str,
    body: &[u8],
) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty string would simply
    // be refused by the gateway.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(api_key.as_bytes());
    mac.update(client_request_id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The four authentication headers of one request attempt.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub api_key: String,
    pub client_request_id: String,
    pub timestamp: String,
    pub message_signature: String,
}

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("client_request_id", &self.client_request_id)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// The API key and secret; `Debug` shows neither.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials([REDACTED])")
    }
}

impl Credentials {
    pub fn new(api_key: &str, secret: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// Headers for one attempt: a new `Client-Request-Id` and the current time every call,
    /// so no attempt ever reuses an id (the gateway refuses replays).
    pub fn sign_now(&self, body: &[u8]) -> SignedHeaders {
        let id = uuid::Uuid::new_v4().to_string();
        self.sign(&id, &now_ms().to_string(), body)
    }

    pub fn sign(&self, client_request_id: &str, timestamp: &str, body: &[u8]) -> SignedHeaders {
        SignedHeaders {
            api_key: self.api_key.clone(),
            client_request_id: client_request_id.to_owned(),
            timestamp: timestamp.to_owned(),
            message_signature: signature(
                &self.api_key,
                &self.secret,
                client_request_id,
                timestamp,
                body,
            ),
        }
    }

    /// The redirect return's `response_hash`: base64(HMAC-SHA256(secret,
    /// `approval_code|ipgTransactionId|oid|status`)), IPG's extended-hash check of the
    /// fields the browser brings back.
    pub fn response_hash(
        &self,
        approval_code: &str,
        id: &str,
        order: &str,
        status: &str,
    ) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes()) else {
            return String::new();
        };
        mac.update(format!("{approval_code}|{id}|{order}|{status}").as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Constant-time comparison of two strings (for hashes the browser brings back).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"requestType":"PaymentCardSaleTransaction","transactionAmount":{"total":"1.00","currency":"INR"}}"#;
    const ID: &str = "11111111-2222-4333-8444-555555555555";

    /// FACTS.md's known-answer vector (raw digest, base64).
    #[test]
    fn known_answer_vector() {
        assert_eq!(
            signature(
                "apikeyABC",
                "secretXYZ",
                ID,
                "1767225600000",
                BODY.as_bytes()
            ),
            "FCxkWEv3VrWFpHCIlVN0y+p6tGSDNukKRsbPm0+CJO8="
        );
        let headers =
            Credentials::new("apikeyABC", "secretXYZ").sign(ID, "1767225600000", BODY.as_bytes());
        assert_eq!(
            headers.message_signature,
            "FCxkWEv3VrWFpHCIlVN0y+p6tGSDNukKRsbPm0+CJO8="
        );
        // Not the hex-then-base64 variant of the older North-America document.
        assert_ne!(
            headers.message_signature,
            "MTQyYzY0NTg0YmY3NTZiNTg1YTQ3MDg4OTU1Mzc0Y2JlYTdhYjQ2NDgzMzZlOTBhNDZjNmNmOWI0ZjgyMjRlZg=="
        );
    }

    #[test]
    fn every_attempt_gets_a_fresh_request_id_and_millisecond_timestamp() {
        let creds = Credentials::new("k", "s");
        let a = creds.sign_now(b"{}");
        let b = creds.sign_now(b"{}");
        assert_ne!(a.client_request_id, b.client_request_id);
        assert!(uuid::Uuid::parse_str(&a.client_request_id).is_ok());
        assert_eq!(a.timestamp.len(), 13, "epoch milliseconds");
        assert_ne!(a.message_signature, b.message_signature);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let creds = Credentials::new("the-key", "the-secret");
        let text = format!("{creds:?} {:?}", creds.sign_now(b""));
        assert!(
            !text.contains("the-secret") && !text.contains("the-key"),
            "{text}"
        );
    }

    #[test]
    fn comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
