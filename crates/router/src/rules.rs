//! Routing rules: what a call is (card brand, BIN, amount, currency, flow, who initiates
//! it) and the conditions a rule matches on, with the reason a rule did not match and the
//! check that an earlier rule does not make a later one unreachable.

use payorch_core::{CardBrand, Flow};

/// Who starts the payment: the payer (a one-off payment) or the merchant (debits on a
/// standing instruction; a mandate registration is routed as merchant-initiated, because
/// its account is the one that will carry those debits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    Customer,
    Merchant,
}

impl Initiator {
    pub fn parse(text: &str) -> Option<Initiator> {
        match text {
            "customer" | "cit" => Some(Initiator::Customer),
            "merchant" | "mit" => Some(Initiator::Merchant),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Initiator::Customer => "customer",
            Initiator::Merchant => "merchant",
        }
    }
}

/// What the router knows about a call when it chooses.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub brand: CardBrand,
    /// The card's first six digits.
    pub bin: &'a str,
    /// Minor units and ISO 4217 code, when the call has an amount.
    pub amount: Option<(i64, &'a str)>,
    /// The flow the caller prefers, if any.
    pub flow: Option<Flow>,
    pub initiator: Initiator,
}

/// A BIN range, both ends included, of one to six digits: a shorter range compares that
/// many leading digits (`6521-6531`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinRange {
    low: u32,
    high: u32,
    digits: usize,
    text: String,
}

impl BinRange {
    /// `"652150-653149"`, or one prefix (`"508500"`).
    pub fn parse(text: &str) -> Result<BinRange, String> {
        let (low, high) = text.split_once('-').unwrap_or((text, text));
        let (low, high) = (low.trim(), high.trim());
        let digits = low.len();
        let numeric =
            |s: &str| !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
        if !numeric(low) || !numeric(high) || high.len() != digits {
            return Err(format!(
                "BIN range {text:?} must be one to six digits, or two such numbers of the same length joined by '-'"
            ));
        }
        let (Ok(lo), Ok(hi)) = (low.parse::<u32>(), high.parse::<u32>()) else {
            return Err(format!("BIN range {text:?} is not numeric"));
        };
        if lo > hi {
            return Err(format!("BIN range {text:?} ends before it starts"));
        }
        Ok(BinRange {
            low: lo,
            high: hi,
            digits,
            text: if lo == hi {
                low.to_owned()
            } else {
                format!("{low}-{high}")
            },
        })
    }

    pub fn contains(&self, bin: &str) -> bool {
        bin.get(..self.digits)
            .and_then(|prefix| prefix.parse::<u32>().ok())
            .is_some_and(|p| (self.low..=self.high).contains(&p))
    }

    /// The range as six-digit bounds, for comparing ranges of different lengths.
    fn six_digit(&self) -> (u32, u32) {
        let scale = 10u32.pow(u32::try_from(6 - self.digits).unwrap_or(0));
        (self.low * scale, (self.high + 1) * scale - 1)
    }

    fn overlaps(&self, other: &BinRange) -> bool {
        let (a, b) = (self.six_digit(), other.six_digit());
        a.0 <= b.1 && b.0 <= a.1
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// What a rule matches: every condition given must hold (an empty list, or `None`, matches
/// anything).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub brands: Vec<CardBrand>,
    pub bin_ranges: Vec<BinRange>,
    /// ISO 4217 codes.
    pub currencies: Vec<String>,
    /// Minor units, both ends included (in the rule's one currency).
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    pub flow: Option<Flow>,
    pub initiator: Option<Initiator>,
}

/// The label a matched call's OTP counters are kept under when its rule names no range.
pub const ANY_BIN: &str = "any";

impl Conditions {
    /// The BIN range label when the call matches, or why it does not.
    pub fn check(&self, facts: &Facts<'_>) -> Result<String, String> {
        if !self.brands.is_empty() && !self.brands.contains(&facts.brand) {
            return Err(format!(
                "card brand {:?} not in {:?}",
                facts.brand, self.brands
            ));
        }
        let bin_label = if self.bin_ranges.is_empty() {
            ANY_BIN.to_owned()
        } else {
            match self.bin_ranges.iter().find(|r| r.contains(facts.bin)) {
                Some(range) => range.as_str().to_owned(),
                None => {
                    let ranges: Vec<&str> = self.bin_ranges.iter().map(BinRange::as_str).collect();
                    return Err(format!("BIN {} outside {}", facts.bin, ranges.join(", ")));
                }
            }
        };
        if !self.currencies.is_empty() || self.min_amount.is_some() || self.max_amount.is_some() {
            let Some((minor, currency)) = facts.amount else {
                return Err("the call has no amount".into());
            };
            if !self.currencies.is_empty() && !self.currencies.iter().any(|c| c == currency) {
                return Err(format!(
                    "currency {currency} not in {}",
                    self.currencies.join(", ")
                ));
            }
            if self.min_amount.is_some_and(|min| minor < min)
                || self.max_amount.is_some_and(|max| minor > max)
            {
                return Err(format!(
                    "amount {minor} outside {}..={}",
                    self.min_amount.map_or("".into(), |m| m.to_string()),
                    self.max_amount.map_or("".into(), |m| m.to_string())
                ));
            }
        }
        if let Some(flow) = self.flow.filter(|flow| facts.flow != Some(*flow)) {
            return Err(format!("flow {} not requested", flow.as_str()));
        }
        if self.initiator.is_some_and(|i| i != facts.initiator) {
            return Err(format!("{}-initiated call", facts.initiator.as_str()));
        }
        Ok(bin_label)
    }

    /// Whether every call these conditions match is matched by `self` too (conservatively:
    /// `false` when unsure), so a rule with `other` after one with `self` can never match.
    pub fn covers(&self, other: &Conditions) -> bool {
        self.covers_apart_from_bins(other) && other.bins_covered_by([self])
    }

    /// Whether a BIN range of `self` overlaps one of `other`'s.
    pub fn overlaps_bins(&self, other: &Conditions) -> bool {
        self.bin_ranges
            .iter()
            .any(|a| other.bin_ranges.iter().any(|b| a.overlaps(b)))
    }

    /// [`Self::covers`] for every condition but the BIN ranges.
    pub fn covers_apart_from_bins(&self, other: &Conditions) -> bool {
        let list = |mine: &[CardBrand], theirs: &[CardBrand]| {
            mine.is_empty() || (!theirs.is_empty() && theirs.iter().all(|b| mine.contains(b)))
        };
        let currencies = self.currencies.is_empty()
            || (!other.currencies.is_empty()
                && other.currencies.iter().all(|c| self.currencies.contains(c)));
        let min = match (self.min_amount, other.min_amount) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a <= b,
        };
        let max = match (self.max_amount, other.max_amount) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a >= b,
        };
        let same = |a: Option<Flow>, b: Option<Flow>| a.is_none() || a == b;
        let initiator = self.initiator.is_none() || self.initiator == other.initiator;
        list(&self.brands, &other.brands)
            && currencies
            && min
            && max
            && same(self.flow, other.flow)
            && initiator
    }

    /// Whether the BIN ranges of `earlier` together (one with no ranges takes every BIN)
    /// leave none of these conditions' BINs over: `4000-4499` and `4500-4999` cover
    /// `4000-4999` although neither does alone.
    pub fn bins_covered_by<'a>(&self, earlier: impl IntoIterator<Item = &'a Conditions>) -> bool {
        let mut union: Vec<(u32, u32)> = Vec::new();
        for conditions in earlier {
            if conditions.bin_ranges.is_empty() {
                return true;
            }
            union.extend(conditions.bin_ranges.iter().map(BinRange::six_digit));
        }
        union.sort_unstable();
        let wanted: Vec<(u32, u32)> = if self.bin_ranges.is_empty() {
            vec![(0, 999_999)]
        } else {
            self.bin_ranges.iter().map(BinRange::six_digit).collect()
        };
        wanted.iter().all(|&(low, high)| {
            // Walk the sorted union from `low` until `high` is reached or a gap shows.
            let mut next = low;
            for &(a, b) in &union {
                if a > next {
                    break;
                }
                if b >= next {
                    if b >= high {
                        return true;
                    }
                    next = b + 1;
                }
            }
            false
        })
    }

    /// What makes these conditions unusable on their own, if anything.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let (Some(min), Some(max)) = (self.min_amount, self.max_amount)
            && min > max
        {
            problems.push(format!("min_amount {min} is above max_amount {max}"));
        }
        if (self.min_amount.is_some() || self.max_amount.is_some()) && self.currencies.len() != 1 {
            problems.push(
                "an amount range needs exactly one currency (amounts are minor units of it)".into(),
            );
        }
        for (i, a) in self.bin_ranges.iter().enumerate() {
            for b in &self.bin_ranges[i + 1..] {
                if a.overlaps(b) {
                    problems.push(format!(
                        "BIN ranges {} and {} overlap",
                        a.as_str(),
                        b.as_str()
                    ));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn facts(bin: &str, amount: i64) -> Facts<'_> {
        Facts {
            brand: CardBrand::from_bin(bin),
            bin,
            amount: Some((amount, "INR")),
            flow: Some(Flow::Seamless),
            initiator: Initiator::Customer,
        }
    }

    #[test]
    fn bin_ranges_compare_their_own_number_of_digits() {
        let range = BinRange::parse("6521-6531").unwrap();
        assert!(range.contains("652150"));
        assert!(range.contains("653199"));
        assert!(!range.contains("654000"));
        assert!(BinRange::parse("508500").unwrap().contains("508500"));
        assert!(BinRange::parse("65-6521").is_err());
        assert!(BinRange::parse("6531-6521").is_err());
        assert!(BinRange::parse("65215x").is_err());
    }

    #[test]
    fn a_miss_says_which_condition_failed() {
        let rule = Conditions {
            bin_ranges: vec![BinRange::parse("508500-508999").unwrap()],
            ..Conditions::default()
        };
        assert_eq!(rule.check(&facts("508510", 100)).unwrap(), "508500-508999");
        assert_eq!(
            rule.check(&facts("652150", 100)).unwrap_err(),
            "BIN 652150 outside 508500-508999"
        );
        let large = Conditions {
            currencies: vec!["INR".into()],
            min_amount: Some(1_000_000),
            ..Conditions::default()
        };
        assert!(large.check(&facts("652150", 1_000_000)).is_ok());
        assert!(
            large
                .check(&facts("652150", 999_999))
                .unwrap_err()
                .starts_with("amount 999999")
        );
        let mut no_amount = facts("652150", 1);
        no_amount.amount = None;
        assert_eq!(
            large.check(&no_amount).unwrap_err(),
            "the call has no amount"
        );
        let redirect = Conditions {
            flow: Some(Flow::Redirect),
            ..Conditions::default()
        };
        assert!(redirect.check(&facts("652150", 1)).is_err());
        let mit = Conditions {
            initiator: Some(Initiator::Merchant),
            ..Conditions::default()
        };
        assert_eq!(
            mit.check(&facts("652150", 1)).unwrap_err(),
            "customer-initiated call"
        );
    }

    #[test]
    fn a_broader_earlier_rule_covers_a_narrower_later_one() {
        let wide = Conditions {
            bin_ranges: vec![BinRange::parse("6521-6531").unwrap()],
            ..Conditions::default()
        };
        let narrow = Conditions {
            bin_ranges: vec![BinRange::parse("652150-652199").unwrap()],
            currencies: vec!["INR".into()],
            ..Conditions::default()
        };
        assert!(wide.covers(&narrow));
        assert!(!narrow.covers(&wide));
        assert!(Conditions::default().covers(&narrow));
        let amounts = |min, max| Conditions {
            currencies: vec!["INR".into()],
            min_amount: min,
            max_amount: max,
            ..Conditions::default()
        };
        assert!(amounts(Some(100), None).covers(&amounts(Some(500), Some(900))));
        let bins = |ranges: &[&str]| Conditions {
            bin_ranges: ranges.iter().map(|r| BinRange::parse(r).unwrap()).collect(),
            ..Conditions::default()
        };
        let (low, high) = (bins(&["4000-4499"]), bins(&["4500-4999"]));
        let whole = bins(&["400000-499999"]);
        assert!(!low.covers(&whole) && !high.covers(&whole));
        assert!(
            whole.bins_covered_by([&low, &high]),
            "together they leave nothing"
        );
        assert!(
            !whole.bins_covered_by([&low, &bins(&["4500-4998"])]),
            "4999 is left"
        );
        assert!(whole.bins_covered_by([&bins(&["4000-4499", "4500-4999"])]));
        assert!(!Conditions::default().bins_covered_by([&low, &high]));
        assert!(Conditions::default().bins_covered_by([&Conditions::default()]));
        assert!(!amounts(Some(100), Some(800)).covers(&amounts(Some(500), Some(900))));
    }

    #[test]
    fn unusable_conditions_are_named() {
        let bad = Conditions {
            bin_ranges: vec![
                BinRange::parse("652150-652999").unwrap(),
                BinRange::parse("6529").unwrap(),
            ],
            min_amount: Some(10),
            max_amount: Some(5),
            ..Conditions::default()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
