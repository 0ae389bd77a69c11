//! A route's accounts in order, optionally split by weight: the account taking this call
//! first, the rest after it as fall-backs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Coprime with 100: successive calls visit the 100 slots in a spread-out order, so every
/// hundred calls of one replica land exactly on the weights, without bursts.
const STRIDE: u64 = 37;

#[derive(Debug)]
pub struct Split {
    accounts: Vec<String>,
    weights: Option<Vec<u32>>,
    /// Ordered by recent OTP success instead of as configured (see `Router`).
    rank: bool,
    calls: AtomicU64,
}

impl Split {
    /// `weights`, when given, are percentages, one per account, summing to 100.
    pub fn new(accounts: Vec<String>, weights: Option<Vec<u32>>) -> Result<Split, String> {
        if accounts.is_empty() {
            return Err("names no accounts".into());
        }
        if let Some(weights) = &weights {
            if weights.len() != accounts.len() {
                return Err(format!(
                    "has {} weights for {} accounts",
                    weights.len(),
                    accounts.len()
                ));
            }
            let sum: u64 = weights.iter().map(|w| u64::from(*w)).sum();
            if sum != 100 {
                return Err(format!("has weights summing to {sum}, not 100"));
            }
        }
        for (i, account) in accounts.iter().enumerate() {
            if accounts[..i].contains(account) {
                return Err(format!("names account {account:?} twice"));
            }
        }
        Ok(Split {
            accounts,
            weights,
            rank: false,
            calls: AtomicU64::new(0),
        })
    }

    /// This route's accounts ordered by their recent OTP success for the call's BIN range
    /// (a weighted split cannot also be ranked).
    pub fn ranked(mut self) -> Result<Split, String> {
        if self.weights.is_some() {
            return Err("cannot both split by weight and rank by OTP success".into());
        }
        self.rank = true;
        Ok(self)
    }

    pub fn ranks(&self) -> bool {
        self.rank
    }

    /// Whether this call of a ranked route explores (one in `100 / percent`, spread out):
    /// its lowest-ranked account goes first, so every account's figures stay current.
    pub fn explores(&self, advance: bool, percent: u32) -> bool {
        let n = if advance {
            self.calls.fetch_add(1, Ordering::Relaxed)
        } else {
            self.calls.load(Ordering::Relaxed)
        };
        ((n.wrapping_mul(STRIDE) % 100) as u32) < percent
    }

    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    pub fn weight(&self, index: usize) -> Option<u32> {
        self.weights.as_ref().and_then(|w| w.get(index).copied())
    }

    /// Indexes into [`Self::accounts`] for this call: the weighted pick first (or the first
    /// account, without weights), then the others in their configured order.
    /// `advance`: this call takes its slot (a start); else the next call's order is only
    /// looked at (CheckEligibility), and the split is left as it was.
    pub fn order(&self, advance: bool) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.accounts.len()).collect();
        if let Some(weights) = &self.weights {
            let n = if advance {
                self.calls.fetch_add(1, Ordering::Relaxed)
            } else {
                self.calls.load(Ordering::Relaxed)
            };
            let slot = (n.wrapping_mul(STRIDE) % 100) as u32;
            let mut upto = 0;
            let pick = weights
                .iter()
                .position(|w| {
                    upto += w;
                    slot < upto
                })
                .unwrap_or(0);
            order.remove(pick);
            order.insert(0, pick);
        }
        order
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn weights_hold_over_every_hundred_calls() {
        let split = Split::new(names(&["a", "b"]), Some(vec![70, 30])).unwrap();
        let mut firsts = [0; 2];
        for _ in 0..1_000 {
            let order = split.order(true);
            assert_eq!(order.len(), 2);
            firsts[order[0]] += 1;
        }
        assert_eq!(firsts, [700, 300]);
    }

    #[test]
    fn the_weighted_pick_is_spread_out() {
        let split = Split::new(names(&["a", "b"]), Some(vec![50, 50])).unwrap();
        let firsts: Vec<usize> = (0..10).map(|_| split.order(true)[0]).collect();
        let longest_run = firsts
            .chunk_by(|a, b| a == b)
            .map(<[usize]>::len)
            .max()
            .unwrap();
        assert!(longest_run <= 3, "{firsts:?}");
    }

    #[test]
    fn without_weights_the_order_is_the_configured_one() {
        let split = Split::new(names(&["a", "b", "c"]), None).unwrap();
        assert_eq!(split.order(true), vec![0, 1, 2]);
    }

    #[test]
    fn looking_leaves_the_split_as_it_was() {
        let split = Split::new(names(&["a", "b"]), Some(vec![50, 50])).unwrap();
        let looked = split.order(false);
        assert_eq!(split.order(false), looked);
        assert_eq!(
            split.order(true),
            looked,
            "the next start takes the slot looked at"
        );
    }

    #[test]
    fn a_ranked_route_explores_its_share() {
        let split = Split::new(names(&["a", "b"]), None)
            .unwrap()
            .ranked()
            .unwrap();
        let explored = (0..1_000).filter(|_| split.explores(true, 5)).count();
        assert_eq!(explored, 50);
        assert!(
            Split::new(names(&["a", "b"]), Some(vec![50, 50]))
                .unwrap()
                .ranked()
                .is_err()
        );
    }

    #[test]
    fn bad_splits_are_refused() {
        assert!(Split::new(vec![], None).is_err());
        assert!(
            Split::new(names(&["a", "b"]), Some(vec![70, 20]))
                .unwrap_err()
                .contains("90")
        );
        assert!(Split::new(names(&["a", "b"]), Some(vec![100])).is_err());
        assert!(
            Split::new(names(&["a", "a"]), None)
                .unwrap_err()
                .contains("twice")
        );
    }
}
