//! The records this replica holds a claim on while it calls their provider, so that a stop
//! past its grace period can hand them to the resolver at once instead of leaving them
//! until their leases run out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use payorch_store::Unsettled;

/// This replica's claimed records (a count per record: a sale's authorize and capture may
/// overlap in one call).
#[derive(Clone, Default)]
pub struct Holdings {
    held: Arc<Mutex<HashMap<Unsettled, usize>>>,
}

/// One hold; dropped when the call that took it ends, however it ends.
pub struct Held {
    holdings: Holdings,
    record: Unsettled,
}

impl Holdings {
    pub fn hold(&self, record: Unsettled) -> Held {
        *self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(record.clone())
            .or_default() += 1;
        Held {
            holdings: self.clone(),
            record,
        }
    }

    /// The records held right now.
    pub fn records(&self) -> Vec<Unsettled> {
        let mut records: Vec<Unsettled> = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        records.sort();
        records
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self
            .holdings
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.record) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.record);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_held_until_its_last_hold_ends() {
        let holdings = Holdings::default();
        let record = Unsettled::Payment("pay_1".into());
        let first = holdings.hold(record.clone());
        let second = holdings.hold(record.clone());
        assert_eq!(holdings.records(), vec![record.clone()]);
        drop(first);
        assert_eq!(holdings.records(), vec![record]);
        drop(second);
        assert!(holdings.records().is_empty());
    }
}
