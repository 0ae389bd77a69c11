//! Cybersource HTTP Signature and Digest, as both official SDKs sign (FACTS.md):
//!
//! - `Digest: SHA-256=<base64(SHA-256(exact body bytes))>` on POST/PUT/PATCH;
//! - signing string: one `name: value` line per header in
//!   `host date request-target [digest] v-c-merchant-id`, joined by `\n`, where
//!   `request-target` is `<lower-case method> <path?query>`;
//! - `signature = base64(HMAC-SHA256(base64-decode(shared secret), signing string))`;
//! - `Signature: keyid="..", algorithm="HmacSHA256", headers="..", signature=".."`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::config::ConfigError;

/// The decoded signing key and the ids that go with it. `Debug` hides the key.
#[derive(Clone)]
pub struct SigningKey {
    merchant_id: String,
    key_id: String,
    secret: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("merchant_id", &self.merchant_id)
            .field("key_id", &self.key_id)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

/// The headers a signed request carries (besides `Host`, which the client sets from the
/// URL and which is signed as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub merchant_id: String,
    pub date: String,
    pub digest: Option<String>,
    pub signature: String,
}

impl SigningKey {
    pub fn new(
        merchant_id: &str,
        key_id: &str,
        shared_secret_b64: &str,
    ) -> Result<Self, ConfigError> {
        if merchant_id.is_empty() {
            return Err(ConfigError::Empty("merchant id"));
        }
        if key_id.is_empty() {
            return Err(ConfigError::Empty("key id"));
        }
        let secret = STANDARD
            .decode(shared_secret_b64.trim())
            .map_err(|_| ConfigError::SharedSecret)?;
        if secret.is_empty() {
            return Err(ConfigError::Empty("shared secret"));
        }
        Ok(Self {
            merchant_id: merchant_id.to_owned(),
            key_id: key_id.to_owned(),
            secret,
        })
    }

    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// Signs one request. `path_and_query` is relative to the base URL; `body` is `Some`
    /// for methods that carry one (and is hashed exactly as it will be sent).
    pub fn sign(
        &self,
        method: &str,
        host: &str,
        path_and_query: &str,
        date: &str,
        body: Option<&[u8]>,
    ) -> SignedHeaders {
        let digest = body.map(digest);
        let target = format!("{} {path_and_query}", method.to_ascii_lowercase());
        let mut names = vec!["host", "date", "request-target"];
        let mut lines = vec![
            format!("host: {host}"),
            format!("date: {date}"),
            format!("request-target: {target}"),
        ];
        if let Some(digest) = &digest {
            names.push("digest");
            lines.push(format!("digest: {digest}"));
        }
        names.push("v-c-merchant-id");
        lines.push(format!("v-c-merchant-id: {}", self.merchant_id));
        let signing_string = lines.join("\n");
        let signature = format!(
            "keyid=\"{}\", algorithm=\"HmacSHA256\", headers=\"{}\", signature=\"{}\"",
            self.key_id,
            names.join(" "),
            self.hmac(&signing_string)
        );
        SignedHeaders {
            merchant_id: self.merchant_id.clone(),
            date: date.to_owned(),
            digest,
            signature,
        }
    }

    fn hmac(&self, message: &str) -> String {
        // HMAC takes keys of any length: this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(mut mac) => {
                mac.update(message.as_bytes());
                STANDARD.encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }
}

/// `SHA-256=` + base64(SHA-256(body)).
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// The current time as an RFC 7231 HTTP-date.
pub fn http_date_now() -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MERCHANT: &str = "testrest";
    const KEY_ID: &str = "08c94330-f618-42a3-b09d-e1e43be5efda";
    const SECRET: &str = "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=";
    const HOST: &str = "apitest.cybersource.com";
    const DATE: &str = "Thu, 01 Jan 2026 00:00:00 GMT";

    fn key() -> SigningKey {
        SigningKey::new(MERCHANT, KEY_ID, SECRET).unwrap()
    }

    fn signature_value(header: &str) -> &str {
        header
            .rsplit_once("signature=\"")
            .and_then(|(_, rest)| rest.strip_suffix('"'))
            .unwrap()
    }

    #[test]
    fn post_with_digest_matches_the_facts_vector() {
        let body = br#"{"clientReferenceInformation":{"code":"ORD1"},"consumerAuthenticationInformation":{"authenticationTransactionId":"AbCdEf123","otpToken":"123456"}}"#;
        let signed = key().sign(
            "POST",
            HOST,
            "/risk/v1/authentication-results",
            DATE,
            Some(body),
        );
        assert_eq!(
            signed.digest.as_deref(),
            Some("SHA-256=sCKYa8BmccM6zuBzD3D+9md7vWx5w7eBxGxo62CMdmE=")
        );
        assert_eq!(
            signature_value(&signed.signature),
            "mVsPSmvK8ZaSCcGj1dooT+bdbf3t8eTh/xjbPBAEEqY="
        );
        assert_eq!(
            signed.signature,
            format!(
                "keyid=\"{KEY_ID}\", algorithm=\"HmacSHA256\", headers=\"host date request-target digest v-c-merchant-id\", signature=\"mVsPSmvK8ZaSCcGj1dooT+bdbf3t8eTh/xjbPBAEEqY=\""
            )
        );
    }

    #[test]
    fn get_without_digest_matches_the_facts_vector() {
        let signed = key().sign(
            "GET",
            HOST,
            "/pts/v2/payments/7000000000000000000001",
            DATE,
            None,
        );
        assert_eq!(signed.digest, None);
        assert!(
            signed
                .signature
                .contains("headers=\"host date request-target v-c-merchant-id\"")
        );
        assert_eq!(
            signature_value(&signed.signature),
            "LbU3NTqx67AvObjnD08Nl2YCL9ATLL7SVTuQqwspPA8="
        );
    }

    #[test]
    fn bad_secrets_are_refused_and_never_printed() {
        assert_eq!(
            SigningKey::new(MERCHANT, KEY_ID, "not base64!").unwrap_err(),
            ConfigError::SharedSecret
        );
        assert!(!format!("{:?}", key()).contains(SECRET));
    }
}
