//! What the adapter is configured with: where the gateway is, the merchant's API
//! credentials, the REST version, timeouts and the OTP budgets and validity the gateway does
//! not report (NPCI fixes no public numbers; FACTS.md says configure them).

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use payorch_connector::http::Timeouts;

/// REST API versions this adapter speaks (FACTS.md: 71 to 100).
pub const API_VERSIONS: RangeInclusive<u32> = 71..=100;

/// Configuration of one Mastercard Gateway merchant.
///
/// `Debug` never prints the API password.
#[derive(Clone)]
pub struct MpgsConfig {
    /// e.g. `https://in-gateway.mastercard.com` (the sandbox: `http://<addr>/mpgs`);
    /// `/api/rest/version/{N}/...` is appended.
    pub base_url: String,
    /// The gateway merchant id (`{MID}` in paths; the Basic username is `merchant.<MID>`).
    pub merchant_id: String,
    /// The integration API password (the Basic password).
    pub api_password: String,
    /// REST version in every path, 71 to 100.
    pub api_version: u32,
    pub timeouts: Timeouts,
    /// Wrong OTPs the issuer tolerates (the one reaching it is final: NPCI 452).
    pub otp_attempts: i32,
    /// OTP resends allowed after the first send (one more is NPCI 453).
    pub otp_resends: i32,
    /// How long an OTP stays usable; the gateway does not say, so `expires_at` is estimated
    /// from this.
    pub otp_validity: Duration,
}

impl MpgsConfig {
    /// A configuration with API version 100, the default timeouts, OTP budgets of 3
    /// attempts and 3 resends and a 5-minute OTP validity (the sandbox's defaults).
    pub fn new(
        base_url: impl Into<String>,
        merchant_id: impl Into<String>,
        api_password: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            merchant_id: merchant_id.into(),
            api_password: api_password.into(),
            api_version: 100,
            timeouts: Timeouts::default(),
            otp_attempts: 3,
            otp_resends: 3,
            otp_validity: Duration::from_secs(5 * 60),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(ConfigError::BaseUrl);
        }
        if self.merchant_id.trim().is_empty() {
            return Err(ConfigError::Empty("merchant id"));
        }
        // The id goes into every path: keep it to what a path segment carries as is.
        if !self
            .merchant_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ConfigError::MerchantId);
        }
        if self.api_password.is_empty() {
            return Err(ConfigError::Empty("API password"));
        }
        if !API_VERSIONS.contains(&self.api_version) {
            return Err(ConfigError::ApiVersion(self.api_version));
        }
        Ok(())
    }
}

impl fmt::Debug for MpgsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpgsConfig")
            .field("base_url", &self.base_url)
            .field("merchant_id", &self.merchant_id)
            .field("api_password", &"[REDACTED]")
            .field("api_version", &self.api_version)
            .field("timeouts", &self.timeouts)
            .field("otp_attempts", &self.otp_attempts)
            .field("otp_resends", &self.otp_resends)
            .field("otp_validity", &self.otp_validity)
            .finish()
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("mpgs {0} is empty")]
    Empty(&'static str),
    #[error("mpgs merchant id may only hold letters, digits, '_' and '-'")]
    MerchantId,
    #[error("mpgs base URL must start with http:// or https://")]
    BaseUrl,
    #[error("mpgs API version {0} is outside 71..=100")]
    ApiVersion(u32),
    #[error("mpgs HTTP client: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let config = MpgsConfig::new("https://x", "M1", "s3cr3t-password");
        let text = format!("{config:?}");
        assert!(!text.contains("s3cr3t-password"), "{text}");
        assert!(text.contains("[REDACTED]"));
    }

    #[test]
    fn validation() {
        assert_eq!(MpgsConfig::new("https://x", "M1", "p").validate(), Ok(()));
        let mut c = MpgsConfig::new("https://x", "M1", "p");
        c.api_version = 70;
        assert_eq!(c.validate(), Err(ConfigError::ApiVersion(70)));
        c.api_version = 101;
        assert_eq!(c.validate(), Err(ConfigError::ApiVersion(101)));
        c.api_version = 71;
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(
            MpgsConfig::new("x", "M1", "p").validate(),
            Err(ConfigError::BaseUrl)
        );
        assert_eq!(
            MpgsConfig::new("https://x", "M 1", "p").validate(),
            Err(ConfigError::MerchantId)
        );
        assert_eq!(
            MpgsConfig::new("https://x", "M1", "").validate(),
            Err(ConfigError::Empty("API password"))
        );
    }
}
