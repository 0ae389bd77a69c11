//! Per-connector, per-operation call counters, so tests can assert how many provider calls
//! payorch made (e.g. exactly one validation for twenty concurrent submits), and which
//! merchant's credentials each authenticated call carried.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Counts by connector, then operation.
#[derive(Debug, Default)]
pub struct CallCounters {
    counts: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    /// Authenticated calls by connector, then the merchant id (or API key id) that signed.
    merchants: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
}

impl CallCounters {
    pub fn record(&self, connector: &str, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts
            .entry(connector.to_owned())
            .or_default()
            .entry(operation.to_owned())
            .or_default() += 1;
    }

    /// One call authenticated with `merchant`'s credentials.
    pub fn record_merchant(&self, connector: &str, merchant: &str) {
        let mut counts = self.merchants.lock().unwrap_or_else(|p| p.into_inner());
        *counts
            .entry(connector.to_owned())
            .or_default()
            .entry(merchant.to_owned())
            .or_default() += 1;
    }

    pub fn merchants(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.merchants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn snapshot(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn reset(&self) {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.merchants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
