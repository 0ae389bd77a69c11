//! Claims: a record held by one replica for one provider call. The compare-and-set that
//! takes the claim is what keeps two replicas from making the same call; the claim itself
//! says who took it and until when, so a claim whose owner died is recovered once its
//! lease runs out (and at once when its owner hands it over on shutdown).

use serde::{Deserialize, Serialize};

/// Who holds a record and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The replica that took it (`PAYORCH_REPLICA_ID`, the pod name by default).
    pub owner: String,
    /// Until then no other replica touches the record; after it, the resolver may read the
    /// provider and settle it.
    pub lease_until_ms: i64,
    /// The idempotency key of the request that took the claim: should that request die with
    /// its replica, the resolver stores the settled record as its answer, so the caller's
    /// retry with the same key gets the outcome instead of running again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

impl Claim {
    pub fn new(owner: &str, now_ms: i64, lease_ms: i64) -> Self {
        Self {
            owner: owner.to_owned(),
            lease_until_ms: now_ms.saturating_add(lease_ms),
            idempotency_key: None,
        }
    }

    /// The request's idempotency key, when the claim ran out before that request ended: the
    /// request whose answer the resolver owes.
    pub fn orphaned_request(&self, now_ms: i64) -> Option<&str> {
        self.idempotency_key
            .as_deref()
            .filter(|_| self.lapsed(now_ms))
    }

    /// Whether the lease ran out.
    pub fn lapsed(&self, now_ms: i64) -> bool {
        now_ms >= self.lease_until_ms
    }
}

/// Whether the claim on a record that is in a claimed state was abandoned: its lease ran
/// out, or (a record written before claims carried leases) it was last written longer than
/// `lease_ms` ago.
pub fn abandoned(claim: Option<&Claim>, updated_at_ms: i64, now_ms: i64, lease_ms: i64) -> bool {
    match claim {
        Some(claim) => claim.lapsed(now_ms),
        None => now_ms - updated_at_ms > lease_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_runs_out_at_its_end() {
        let claim = Claim::new("pod-a", 1_000, 500);
        assert_eq!(claim.lease_until_ms, 1_500);
        assert!(!claim.lapsed(1_499));
        assert!(claim.lapsed(1_500));
    }

    #[test]
    fn a_handed_over_claim_is_abandoned_at_once() {
        let mut claim = Claim::new("pod-a", 1_000, 60_000);
        assert!(!abandoned(Some(&claim), 1_000, 2_000, 60_000));
        claim.lease_until_ms = 0;
        assert!(abandoned(Some(&claim), 1_000, 2_000, 60_000));
    }

    #[test]
    fn only_a_lapsed_claim_leaves_a_request_orphaned() {
        let mut claim = Claim::new("pod-a", 1_000, 500);
        assert_eq!(claim.orphaned_request(2_000), None, "no key, no request");
        claim.idempotency_key = Some("key-1".into());
        assert_eq!(claim.orphaned_request(1_200), None, "still leased");
        assert_eq!(claim.orphaned_request(1_500), Some("key-1"));
    }

    #[test]
    fn records_without_a_claim_fall_back_to_their_last_write() {
        assert!(!abandoned(None, 1_000, 2_000, 60_000));
        assert!(abandoned(None, 1_000, 62_000, 60_000));
    }
}
