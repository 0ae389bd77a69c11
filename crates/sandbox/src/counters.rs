//! Per-connector, per-operation call counters, so tests can assert how many provider calls
//! payorch made (e.g. exactly one validation for twenty concurrent submits).

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Counts by connector, then operation.
#[derive(Debug, Default)]
pub struct CallCounters {
    counts: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
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
    }
}
