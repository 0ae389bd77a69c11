//! What the adapter is configured with: where Juspay is, the merchant's API key and id,
//! the API version it speaks, timeouts, and the key that signs the browser's return.

use std::fmt;

use payorch_connector::http::Timeouts;

/// Configuration of one Juspay merchant account.
///
/// `Debug` never prints the API key or the response key.
#[derive(Clone)]
pub struct JuspayConfig {
    /// e.g. `https://sandbox.juspay.in` or `https://api.juspay.in` (the payorch sandbox:
    /// `http://<addr>/juspay`). Paths are appended to it.
    pub base_url: String,
    /// The API key: the Basic-auth user, with an empty password.
    pub api_key: String,
    /// `x-merchantid`, and `merchant_id` in `/txns`.
    pub merchant_id: String,
    /// The `version` header, e.g. `2023-06-30`.
    pub api_version: String,
    pub timeouts: Timeouts,
    /// The key Juspay signs the browser's return parameters with (HMAC-SHA256). When set,
    /// a return whose `signature` does not verify is refused before any lookup; when not,
    /// only the order-status lookup decides (it always does, signature or not).
    pub response_key: Option<String>,
    /// Digits in the issuer's OTP (NPCI sends six), for the merchant's OTP form.
    pub otp_length: u32,
    /// How long an OTP stays valid. Juspay does not report it; `None` leaves the
    /// authentication's expiry unset.
    pub otp_validity_ms: Option<i64>,
    /// OTP submissions and resends to report when Juspay's answer omits its counters
    /// (`current_attempt`/`max_attempts`, `times_otp_sent`/`max_otp_send_limit`; the seed
    /// lists them but its sample does not show them). Juspay's counters win when present.
    pub otp_attempts: i32,
    pub otp_resends: i32,
}

impl JuspayConfig {
    /// A configuration with the default timeouts, API version `2023-06-30`, no response
    /// key, six-digit OTPs, no OTP validity and 3 attempts / 3 resends as fallbacks.
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        merchant_id: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            merchant_id: merchant_id.into(),
            api_version: "2023-06-30".into(),
            timeouts: Timeouts::default(),
            response_key: None,
            otp_length: 6,
            otp_validity_ms: None,
            otp_attempts: 3,
            otp_resends: 3,
        }
    }
}

impl fmt::Debug for JuspayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JuspayConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("merchant_id", &self.merchant_id)
            .field("api_version", &self.api_version)
            .field("timeouts", &self.timeouts)
            .field(
                "response_key",
                &self.response_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("otp_length", &self.otp_length)
            .field("otp_validity_ms", &self.otp_validity_ms)
            .field("otp_attempts", &self.otp_attempts)
            .field("otp_resends", &self.otp_resends)
            .finish()
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("juspay {0} is empty")]
    Empty(&'static str),
    #[error("juspay base URL must start with http:// or https://")]
    BaseUrl,
    #[error("juspay {0} contains characters not allowed in an HTTP header")]
    HeaderValue(&'static str),
    #[error("juspay HTTP client: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn debug_hides_the_secrets() {
        let mut config = JuspayConfig::new("https://x", "key_secret_value", "m");
        config.response_key = Some("response_secret_value".into());
        let text = format!("{config:?}");
        assert!(!text.contains("key_secret_value"), "{text}");
        assert!(!text.contains("response_secret_value"), "{text}");
        assert!(text.contains("[REDACTED]"));
        assert!(text.contains("2023-06-30"));
    }
}
