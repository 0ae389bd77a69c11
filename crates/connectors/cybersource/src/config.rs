//! What the adapter is configured with: where Cybersource is, the merchant's REST
//! credentials (HTTP Signature key id and shared secret), timeouts and the OTP budgets that
//! Cybersource does not report (NPCI fixes no public numbers; FACTS.md says configure them).

use std::fmt;

use payorch_connector::http::Timeouts;

/// Configuration of one Cybersource merchant account.
///
/// `Debug` never prints the shared secret.
#[derive(Clone)]
pub struct CybersourceConfig {
    /// e.g. `https://apitest.cybersource.com` (the sandbox: `http://<addr>/cybersource`).
    /// Paths are appended to it and signed relative to it.
    pub base_url: String,
    /// `v-c-merchant-id`.
    pub merchant_id: String,
    /// The REST shared-secret key's id (`keyid` in the Signature header).
    pub key_id: String,
    /// The REST shared secret, base64 as Cybersource issues it.
    pub shared_secret: String,
    pub timeouts: Timeouts,
    /// Wrong OTPs the issuer tolerates before it gives up (the one reaching it is final).
    pub otp_attempts: i32,
    /// OTP resends allowed after the first send.
    pub otp_resends: i32,
    /// RuPay `transactionFlowIndicator` (01 domestic merchant .. 07 international in-app).
    pub transaction_flow_indicator: u8,
}

impl CybersourceConfig {
    /// A configuration with the default timeouts, OTP budgets (3 attempts, 3 resends) and
    /// transaction flow indicator 1 (domestic merchant).
    pub fn new(
        base_url: impl Into<String>,
        merchant_id: impl Into<String>,
        key_id: impl Into<String>,
        shared_secret: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            merchant_id: merchant_id.into(),
            key_id: key_id.into(),
            shared_secret: shared_secret.into(),
            timeouts: Timeouts::default(),
            otp_attempts: 3,
            otp_resends: 3,
            transaction_flow_indicator: 1,
        }
    }
}

impl fmt::Debug for CybersourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CybersourceConfig")
            .field("base_url", &self.base_url)
            .field("merchant_id", &self.merchant_id)
            .field("key_id", &self.key_id)
            .field("shared_secret", &"[REDACTED]")
            .field("timeouts", &self.timeouts)
            .field("otp_attempts", &self.otp_attempts)
            .field("otp_resends", &self.otp_resends)
            .field(
                "transaction_flow_indicator",
                &self.transaction_flow_indicator,
            )
            .finish()
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("cybersource shared secret is not valid base64")]
    SharedSecret,
    #[error("cybersource {0} is empty")]
    Empty(&'static str),
    #[error("cybersource base URL must start with http:// or https://")]
    BaseUrl,
    #[error("cybersource HTTP client: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let config = CybersourceConfig::new("https://x", "m", "k", "c2VjcmV0LXZhbHVl");
        let text = format!("{config:?}");
        assert!(!text.contains("c2VjcmV0LXZhbHVl"), "{text}");
        assert!(text.contains("[REDACTED]"));
    }
}
