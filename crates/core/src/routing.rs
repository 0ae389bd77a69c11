//! The routing decision a record carries: which rule matched, the merchant connector accounts
//! considered in order, why each one passed over was passed over, and the account chosen.
//! Every later step of the record (OTP, redirect return, capture, refund, refresh, a mandate's
//! debits) goes to that account, on any replica.

use serde::{Deserialize, Serialize};

/// How the router chose the account a record was made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingDecision {
    /// The rule that matched (`default` for the merchant's default route, `pinned` when the
    /// caller pinned a connector, `continuation` for a step bound to an earlier record's
    /// account).
    pub rule: String,
    /// Earlier rules that did not match, and why (e.g. `BIN 652100 outside 508500-508999`).
    #[serde(default)]
    pub rules_not_matched: Vec<RuleMiss>,
    /// The card's BIN range as the matched rule names it (`any` when the rule has no BIN
    /// condition): the label OTP-stage counters are kept under.
    pub bin_range: String,
    /// How a ranked route ordered its accounts (by recent OTP success in this BIN range),
    /// when the rule ranks.
    #[serde(default)]
    pub ranking: Option<String>,
    /// The accounts considered, in order.
    pub candidates: Vec<RouteCandidate>,
    /// The account chosen (one of `candidates`).
    pub account: String,
}

/// A rule passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMiss {
    pub rule: String,
    pub reason: String,
}

/// One account the router considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCandidate {
    pub account: String,
    pub connector: String,
    /// Its share of the rule's traffic, in percent, when the rule splits by weight.
    #[serde(default)]
    pub weight: Option<u32>,
    /// Why it was passed over (circuit breaker open, not eligible for the card, not
    /// reached); `None` for the chosen account and for those after it, never tried.
    #[serde(default)]
    pub skipped: Option<String>,
}

impl RoutingDecision {
    /// The decision for a step that must go to an existing record's account.
    pub fn continuation(account: &str, connector: &str) -> Self {
        Self {
            rule: "continuation".into(),
            rules_not_matched: Vec::new(),
            bin_range: "any".into(),
            ranking: None,
            candidates: vec![RouteCandidate {
                account: account.to_owned(),
                connector: connector.to_owned(),
                weight: None,
                skipped: None,
            }],
            account: account.to_owned(),
        }
    }
}

/// The account a record continues on: the one its routing decision chose, or, for records
/// written before accounts existed, the account named after its connector.
pub fn account_of<'a>(routing: Option<&'a RoutingDecision>, connector: &'a str) -> &'a str {
    routing.map_or(connector, |r| r.account.as_str())
}
