//! What the adapter is configured with: where Fiserv IPG is, the API key and secret behind
//! `Message-Signature`, the optional store (outlet) id, timeouts, and the OTP budgets IPG
//! does not report (NPCI publishes no numbers; FACTS.md says configure them).

use std::fmt;

use payorch_connector::http::Timeouts;

/// Configuration of one Fiserv IPG API client.
///
/// `Debug` never prints the API secret.
#[derive(Clone)]
pub struct FiservIpgConfig {
    /// e.g. `https://prod.emea.api.fiservapps.com/sandbox/ipp/payments-gateway/v2`
    /// (the payorch sandbox: `http://<addr>/fiserv-ipg`). Paths are appended to it.
    pub base_url: String,
    /// `Api-Key` header, also the first part of the signed message.
    pub api_key: String,
    /// The HMAC key of `Message-Signature` (and of the redirect return's `response_hash`).
    pub api_secret: String,
    /// `storeId`, for API clients serving several stores; `None` uses the key's default.
    pub store_id: Option<String>,
    pub timeouts: Timeouts,
    /// Wrong OTPs the issuer tolerates (the one reaching the limit is final).
    pub otp_attempts: i32,
    /// OTP regenerations allowed after the first send.
    pub otp_resends: i32,
}

impl FiservIpgConfig {
    /// A configuration with default timeouts and OTP budgets (3 attempts, 3 resends).
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            store_id: None,
            timeouts: Timeouts::default(),
            otp_attempts: 3,
            otp_resends: 3,
        }
    }
}

impl fmt::Debug for FiservIpgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FiservIpgConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("api_secret", &"[REDACTED]")
            .field("store_id", &self.store_id)
            .field("timeouts", &self.timeouts)
            .field("otp_attempts", &self.otp_attempts)
            .field("otp_resends", &self.otp_resends)
            .finish()
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("fiserv-ipg {0} is empty")]
    Empty(&'static str),
    #[error("fiserv-ipg base URL must start with http:// or https://")]
    BaseUrl,
    #[error("fiserv-ipg HTTP client: {0}")]
    Client(String),
}

impl FiservIpgConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(ConfigError::BaseUrl);
        }
        if self.api_key.trim().is_empty() {
            return Err(ConfigError::Empty("API key"));
        }
        if self.api_secret.is_empty() {
            return Err(ConfigError::Empty("API secret"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let config = FiservIpgConfig::new("https://x", "key-1", "very-secret-value");
        let text = format!("{config:?}");
        assert!(!text.contains("very-secret-value"), "{text}");
        assert!(text.contains("[REDACTED]") && text.contains("key-1"));
    }

    #[test]
    fn validation() {
        assert_eq!(
            FiservIpgConfig::new("ftp://x", "k", "s").validate(),
            Err(ConfigError::BaseUrl)
        );
        assert_eq!(
            FiservIpgConfig::new("https://x", " ", "s").validate(),
            Err(ConfigError::Empty("API key"))
        );
        assert!(
            FiservIpgConfig::new("https://x", "k", "s")
                .validate()
                .is_ok()
        );
    }
}
