//! Sandbox configuration: credentials each simulator accepts, OTP rules per provider,
//! state bounds and default faults. `SandboxConfig::default()` is what `payorch` embeds.

use std::time::Duration;

use crate::faults::FaultSpec;
use crate::npci::OtpPolicy;

/// Everything the sandbox can be told at start-up.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Absolute base URL where browsers reach this sandbox (for ACS pages), e.g.
    /// `http://127.0.0.1:8090`. `serve` fills it from the listener when unset; an embedding
    /// router without it falls back to the request's `Host` header.
    pub public_url: Option<String>,
    /// Maximum entries per in-memory table (sessions, payments, ...); the oldest go first.
    pub capacity: usize,
    /// Every OTP is this code instead of a random one (load tests).
    pub fixed_otp: Option<String>,
    /// A fault applied to every provider request (the `X-Sandbox-Fault` header overrides it).
    pub default_fault: Option<FaultSpec>,
    /// How long a `timeout` fault holds the request before giving up with a 504.
    pub timeout_hold: Duration,
    /// Minimum gap between a Standing Instruction intimation and its debit (NPCI: 24 h).
    pub si_intimation_lead: Duration,
    pub cybersource: CybersourceConfig,
    pub fiserv_ipg: FiservIpgConfig,
    pub mpgs: MpgsConfig,
    pub juspay: JuspayConfig,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            capacity: 100_000,
            fixed_otp: None,
            default_fault: None,
            timeout_hold: Duration::from_secs(300),
            si_intimation_lead: Duration::from_secs(24 * 3600),
            cybersource: CybersourceConfig::default(),
            fiserv_ipg: FiservIpgConfig::default(),
            mpgs: MpgsConfig::default(),
            juspay: JuspayConfig::default(),
        }
    }
}

/// Cybersource REST: HTTP Signature credentials (FACTS.md sample merchant).
#[derive(Debug, Clone)]
pub struct CybersourceConfig {
    pub merchant_id: String,
    pub key_id: String,
    /// Base64 shared secret, as Cybersource issues it.
    pub shared_secret: String,
    /// Largest accepted difference between the `Date` header and now; `None` skips the check.
    pub max_clock_skew: Option<Duration>,
    pub otp: OtpPolicy,
    /// More merchants the simulator knows (each with its own key), as Cybersource serves
    /// many merchant ids; a request is checked against its `v-c-merchant-id`'s credentials.
    pub other_merchants: Vec<CybersourceMerchant>,
}

#[derive(Debug, Clone)]
pub struct CybersourceMerchant {
    pub merchant_id: String,
    pub key_id: String,
    pub shared_secret: String,
}

impl Default for CybersourceConfig {
    fn default() -> Self {
        Self {
            merchant_id: "testrest".into(),
            key_id: "08c94330-f618-42a3-b09d-e1e43be5efda".into(),
            shared_secret: "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=".into(),
            max_clock_skew: Some(Duration::from_secs(15 * 60)),
            otp: OtpPolicy::new(5, 3, 3),
            other_merchants: Vec::new(),
        }
    }
}

/// Fiserv IPG: Api-Key and the secret behind Message-Signature.
#[derive(Debug, Clone)]
pub struct FiservIpgConfig {
    pub api_key: String,
    pub api_secret: String,
    /// Requests whose `Timestamp` is further than this from now are refused.
    pub timestamp_window: Duration,
    pub otp: OtpPolicy,
    /// More stores the gateway knows: (API key, API secret), each with its own tables.
    pub other_merchants: Vec<(String, String)>,
}

impl FiservIpgConfig {
    /// The API secret of the store this API key identifies, if the gateway knows it.
    pub fn secret_of(&self, api_key: &str) -> Option<&str> {
        if api_key == self.api_key {
            return Some(&self.api_secret);
        }
        self.other_merchants
            .iter()
            .find(|(key, _)| key == api_key)
            .map(|(_, secret)| secret.as_str())
    }
}

impl Default for FiservIpgConfig {
    fn default() -> Self {
        Self {
            api_key: "payorch-sandbox-fiserv-key".into(),
            api_secret: "payorch-sandbox-fiserv-secret".into(),
            timestamp_window: Duration::from_secs(5 * 60),
            otp: OtpPolicy::new(5, 3, 3),
            other_merchants: Vec::new(),
        }
    }
}

/// Mastercard Gateway: merchant id and API password (Basic `merchant.<MID>`).
#[derive(Debug, Clone)]
pub struct MpgsConfig {
    pub merchant_id: String,
    pub api_password: String,
    pub otp: OtpPolicy,
    /// More merchants the gateway knows: (merchant id, API password).
    pub other_merchants: Vec<(String, String)>,
}

impl Default for MpgsConfig {
    fn default() -> Self {
        Self {
            merchant_id: "TESTPAYORCH".into(),
            api_password: "payorch-sandbox-mpgs-password".into(),
            otp: OtpPolicy::new(5, 3, 3),
            other_merchants: Vec::new(),
        }
    }
}

/// Juspay: API key (Basic user) and merchant id (`x-merchantid`).
#[derive(Debug, Clone)]
pub struct JuspayConfig {
    pub api_key: String,
    pub merchant_id: String,
    pub otp: OtpPolicy,
    /// More merchants Juspay knows: (merchant id, API key), each with its own tables.
    pub other_merchants: Vec<(String, String)>,
}

impl JuspayConfig {
    /// Every (merchant id, API key) pair, the sample merchant first.
    pub fn merchants(&self) -> impl Iterator<Item = (&str, &str)> {
        std::iter::once((self.merchant_id.as_str(), self.api_key.as_str())).chain(
            self.other_merchants
                .iter()
                .map(|(id, key)| (id.as_str(), key.as_str())),
        )
    }

    /// The API key of a merchant Juspay knows.
    pub fn key_of(&self, merchant_id: &str) -> Option<&str> {
        self.merchants()
            .find(|(id, _)| *id == merchant_id)
            .map(|(_, key)| key)
    }
}

impl Default for JuspayConfig {
    fn default() -> Self {
        Self {
            api_key: "payorch_sandbox_juspay_key".into(),
            merchant_id: "payorch".into(),
            // Juspay's example shows 4/4 for both counters.
            otp: OtpPolicy::new(5, 4, 3),
            other_merchants: Vec::new(),
        }
    }
}
