//! The shared state behind every route: configuration, the issuer, counters, faults,
//! ACS challenges and each simulator's own tables.

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use rand::Rng;

use crate::acs::AcsStore;
use crate::config::SandboxConfig;
use crate::counters::CallCounters;
use crate::faults::FaultSwitch;
use crate::npci::Issuer;
use crate::providers::{cybersource, fiserv_ipg, juspay};

/// One running sandbox.
#[derive(Debug)]
pub struct Sandbox {
    pub config: SandboxConfig,
    pub issuer: Issuer,
    pub calls: CallCounters,
    pub faults: FaultSwitch,
    pub acs: AcsStore,
    /// Key for values only the sandbox must be able to mint (PaRes, callback hashes).
    pub secret: [u8; 32],
    pub cybersource: cybersource::Merchants,
    /// Fiserv IPG's tables per store, by the API key that identifies it.
    pub fiserv_ipg: fiserv_ipg::Merchants,
    /// Juspay's tables per merchant id.
    pub juspay: juspay::Merchants,
    pub mpgs: crate::providers::mpgs::Store,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Arc<Self> {
        let capacity = config.capacity;
        let mut secret = [0u8; 32];
        rand::rng().fill(&mut secret);
        Arc::new(Self {
            issuer: Issuer::new(capacity, config.fixed_otp.clone()),
            calls: CallCounters::default(),
            faults: FaultSwitch::default(),
            acs: AcsStore::new(capacity),
            secret,
            cybersource: cybersource::Merchants::new(
                capacity,
                &config.cybersource.merchant_id,
                cybersource::Store::new,
            ),
            fiserv_ipg: fiserv_ipg::Merchants::new(
                capacity,
                &config.fiserv_ipg.api_key,
                fiserv_ipg::Store::new,
            ),
            juspay: juspay::Merchants::new(
                capacity,
                &config.juspay.merchant_id,
                juspay::Store::new,
            ),
            mpgs: crate::providers::mpgs::Store::new(capacity),
            config,
        })
    }

    /// The base URL browsers use to reach this sandbox (no trailing slash).
    pub fn public_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.config.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1:8090");
        format!("http://{host}")
    }
}
