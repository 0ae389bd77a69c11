//! Choosing the merchant connector account for a call, and finding the account a stored
//! record continues on.
//!
//! A merchant has accounts (a provider, its own credentials) and an ordered list of rules;
//! the first rule whose conditions hold gives the call's accounts in order (optionally one
//! of them picked by weight), else the merchant's default route. Accounts whose circuit
//! breaker is open, whose OTP success has collapsed, or that cannot serve the call are
//! passed over, and every step of that is written into the [`RoutingDecision`] the record
//! keeps. A new authentication moves on to the next account only when the first provably
//! did nothing ([`Plan::fail_over`]); every later step stays on the record's account.

pub mod breaker;
pub mod monitored;
pub mod otp_health;
pub mod rules;
pub mod split;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use payorch_connector::{Connector, ConnectorId};
use payorch_core::routing::{RouteCandidate, RoutingDecision, RuleMiss};

pub use breaker::{Breaker, BreakerSettings, BreakerState};
pub use monitored::Monitored;
pub use otp_health::{OtpHealth, OtpHealthSettings, OtpStage};
pub use rules::{BinRange, Conditions, Facts, Initiator};
pub use split::Split;

/// What a decision's `rule` says when no rule of the merchant's chose: its default route,
/// a pinned connector, or a step bound to an earlier record. No rule may take these names.
pub const RESERVED_RULE_NAMES: [&str; 3] = ["default", "pinned", "continuation"];

/// Why no account can serve a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("connector {0:?} is not enabled for this merchant")]
    PinnedNotEnabled(String),
    #[error("the merchant has no connector account")]
    NoConnector,
    #[error("no routing rule matched ({0}) and the merchant has no default route")]
    NoRuleMatched(String),
    /// A record names an account this deployment does not have.
    #[error("connector account {0:?} is not configured in this deployment")]
    NotConfigured(String),
    /// Every candidate was passed over; the text says why, account by account.
    #[error("no account can take the call now: {0}")]
    NoneAvailable(String),
}

/// A merchant connector account: one provider, its own credentials and addresses (inside
/// `adapter`), its breaker and its OTP health.
pub struct Account<A: ?Sized = dyn Connector> {
    pub name: String,
    pub connector: ConnectorId,
    pub adapter: Arc<A>,
    pub breaker: Arc<Breaker>,
    pub otp: OtpHealth,
}

/// One rule of a merchant's: its conditions and the accounts it routes to.
pub struct Rule {
    pub name: String,
    pub when: Conditions,
    pub route: Split,
}

/// A merchant's rules, in order, and its default route.
pub struct MerchantRoutes {
    pub rules: Vec<Rule>,
    pub default: Option<Split>,
}

impl MerchantRoutes {
    /// Every account the merchant may be routed to: its default route's, then its rules'.
    fn accounts(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        let splits = self
            .default
            .iter()
            .chain(self.rules.iter().map(|r| &r.route));
        for name in splits.flat_map(|s| s.accounts()) {
            if !all.contains(&name.as_str()) {
                all.push(name);
            }
        }
        all
    }
}

pub struct Router<A: ?Sized = dyn Connector> {
    accounts: HashMap<String, Arc<Account<A>>>,
    merchants: HashMap<String, MerchantRoutes>,
    /// The share of a ranked route's calls (percent) that go to its lowest-ranked account.
    explore_percent: u32,
}

impl<A: ?Sized> Router<A> {
    /// Checks every merchant's routes against the accounts: unknown accounts, duplicate rule
    /// names, unusable conditions, and rules an earlier rule leaves nothing to match.
    pub fn new(
        accounts: impl IntoIterator<Item = Account<A>>,
        merchants: impl IntoIterator<Item = (String, MerchantRoutes)>,
    ) -> Result<Self, Vec<String>> {
        let accounts: HashMap<String, Arc<Account<A>>> = accounts
            .into_iter()
            .map(|a| (a.name.clone(), Arc::new(a)))
            .collect();
        let merchants: HashMap<String, MerchantRoutes> = merchants.into_iter().collect();
        let mut problems = Vec::new();
        let mut ids: Vec<&String> = merchants.keys().collect();
        ids.sort();
        for id in ids {
            let routes = &merchants[id];
            for name in routes.accounts() {
                if !accounts.contains_key(name) {
                    problems.push(format!(
                        "merchant {id:?}: unknown connector account {name:?}"
                    ));
                }
            }
            for (i, rule) in routes.rules.iter().enumerate() {
                let at = format!("merchant {id:?}, rule {:?}", rule.name);
                for problem in rule.when.problems() {
                    problems.push(format!("{at}: {problem}"));
                }
                let earlier = &routes.rules[..i];
                if earlier.iter().any(|r| r.name == rule.name) {
                    problems.push(format!("{at}: a rule of that name comes earlier"));
                }
                if RESERVED_RULE_NAMES.contains(&rule.name.as_str()) {
                    problems.push(format!(
                        "{at}: {:?} is what a decision says when no rule chose; give the rule another name",
                        rule.name
                    ));
                }
                // Earlier rules that match whatever this one does, BIN ranges apart: together
                // their ranges may leave this one nothing.
                let before: Vec<&Rule> = earlier
                    .iter()
                    .filter(|r| r.when.covers_apart_from_bins(&rule.when))
                    .collect();
                if rule.when.bins_covered_by(before.iter().map(|r| &r.when)) {
                    let names: Vec<String> = before
                        .iter()
                        .filter(|r| {
                            r.when.bin_ranges.is_empty()
                                || rule.when.bin_ranges.is_empty()
                                || r.when.overlaps_bins(&rule.when)
                        })
                        .map(|r| format!("{:?}", r.name))
                        .collect();
                    let (rules, match_) = if names.len() == 1 {
                        ("rule", "matches")
                    } else {
                        ("rules", "match")
                    };
                    problems.push(format!(
                        "{at} can never match: {rules} {} before it {match_} every call it would",
                        names.join(" and ")
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(Self {
                accounts,
                merchants,
                explore_percent: 5,
            })
        } else {
            Err(problems)
        }
    }

    /// The share of a ranked route's calls (percent, default 5) that explore.
    pub fn with_exploration(mut self, percent: u32) -> Self {
        self.explore_percent = percent.min(100);
        self
    }

    /// The merchant's accounts, default route first.
    pub fn accounts_of(&self, merchant_id: &str) -> Vec<&str> {
        self.merchants
            .get(merchant_id)
            .map(MerchantRoutes::accounts)
            .unwrap_or_default()
    }

    /// Every account, by name.
    pub fn accounts(&self) -> impl Iterator<Item = &Arc<Account<A>>> {
        self.accounts.values()
    }

    pub fn account(&self, name: &str) -> Result<&Arc<Account<A>>, RouteError> {
        self.accounts
            .get(name)
            .ok_or_else(|| RouteError::NotConfigured(name.to_owned()))
    }

    /// The adapter of the account a stored record continues on.
    pub fn adapter(&self, account: &str) -> Result<Arc<A>, RouteError> {
        self.account(account).map(|a| a.adapter.clone())
    }

    /// The route of a merchant's new call: the pinned connector's accounts (an empty pin is
    /// no pin), else the first matching rule's, else the default route; `ineligible` names
    /// why an account cannot serve this call at all. The first account that is eligible
    /// and healthy is chosen. The call takes its slot of a weighted split.
    pub fn plan(
        &self,
        merchant_id: &str,
        pinned: &str,
        facts: &Facts<'_>,
        ineligible: impl Fn(&Account<A>) -> Option<String>,
    ) -> Result<Plan<A>, RouteError> {
        self.choose(merchant_id, pinned, facts, ineligible, true)
    }

    /// [`Self::plan`] for a call that only asks (CheckEligibility): the same rules and
    /// health, and a weighted split is left as it was.
    pub fn preview(
        &self,
        merchant_id: &str,
        pinned: &str,
        facts: &Facts<'_>,
        ineligible: impl Fn(&Account<A>) -> Option<String>,
    ) -> Result<Plan<A>, RouteError> {
        self.choose(merchant_id, pinned, facts, ineligible, false)
    }

    fn choose(
        &self,
        merchant_id: &str,
        pinned: &str,
        facts: &Facts<'_>,
        ineligible: impl Fn(&Account<A>) -> Option<String>,
        advance: bool,
    ) -> Result<Plan<A>, RouteError> {
        let routes = self
            .merchants
            .get(merchant_id)
            .ok_or(RouteError::NoConnector)?;
        let mut rules_not_matched = Vec::new();
        let mut ranking = None;
        let (rule, bin_range, names, weights): (String, String, Vec<&str>, Vec<Option<u32>>) =
            if pinned.is_empty() {
                let mut found = None;
                for rule in &routes.rules {
                    match rule.when.check(facts) {
                        Ok(bin) => {
                            found = Some((rule.name.clone(), bin, &rule.route));
                            break;
                        }
                        Err(reason) => rules_not_matched.push(RuleMiss {
                            rule: rule.name.clone(),
                            reason,
                        }),
                    }
                }
                let (rule, bin, split) = match (found, &routes.default) {
                    (Some(found), _) => found,
                    (None, Some(default)) => {
                        ("default".to_owned(), rules::ANY_BIN.to_owned(), default)
                    }
                    (None, None) => {
                        let misses: Vec<String> = rules_not_matched
                            .iter()
                            .map(|m| format!("{}: {}", m.rule, m.reason))
                            .collect();
                        return Err(RouteError::NoRuleMatched(misses.join("; ")));
                    }
                };
                let order = split.order(advance);
                let mut names: Vec<&str> = order
                    .iter()
                    .map(|i| split.accounts()[*i].as_str())
                    .collect();
                if split.ranks() {
                    let explores = split.explores(advance, self.explore_percent);
                    ranking = Some(self.rank(&mut names, &bin, explores));
                }
                let weights = order.iter().map(|i| split.weight(*i)).collect();
                (rule, bin, names, weights)
            } else {
                let names: Vec<&str> = routes
                    .accounts()
                    .into_iter()
                    .filter(|name| {
                        self.accounts
                            .get(*name)
                            .is_some_and(|a| a.connector.as_str() == pinned)
                    })
                    .collect();
                if names.is_empty() {
                    return Err(RouteError::PinnedNotEnabled(pinned.to_owned()));
                }
                let weights = vec![None; names.len()];
                (
                    "pinned".to_owned(),
                    rules::ANY_BIN.to_owned(),
                    names,
                    weights,
                )
            };
        if names.is_empty() {
            return Err(RouteError::NoConnector);
        }
        let mut accounts = Vec::with_capacity(names.len());
        let mut candidates = Vec::with_capacity(names.len());
        let mut unfit = Vec::with_capacity(names.len());
        for (name, weight) in names.iter().zip(weights) {
            let account = self.account(name)?.clone();
            unfit.push(ineligible(&account).map(|why| format!("not eligible: {why}")));
            candidates.push(RouteCandidate {
                account: account.name.clone(),
                connector: account.connector.as_str().to_owned(),
                weight,
                skipped: None,
            });
            accounts.push(account);
        }
        let mut plan = Plan {
            decision: RoutingDecision {
                rule,
                rules_not_matched,
                bin_range,
                ranking,
                candidates,
                account: String::new(),
            },
            accounts,
            unfit,
            at: None,
            bound: false,
        };
        plan.advance()?;
        Ok(plan)
    }

    /// Orders a ranked route's accounts by their recent OTP success in `bin_range`, best
    /// first; an account without enough figures yet goes first (so it gets some), and ties
    /// keep the configured order. An exploring call reverses it. Says how it ranked.
    fn rank(&self, names: &mut [&str], bin_range: &str, explores: bool) -> String {
        let score = |name: &str| {
            self.accounts
                .get(name)
                .and_then(|a| a.otp.success_in(bin_range))
        };
        // Unknown first (2.0 beats any share), then the higher share.
        let key = |name: &str| score(name).map_or(2.0, |(share, _)| share);
        names.sort_by(|a, b| key(b).total_cmp(&key(a)));
        if explores {
            names.reverse();
        }
        let each: Vec<String> = names
            .iter()
            .map(|name| match score(name) {
                Some((share, samples)) => format!("{name} {:.0}% of {samples}", share * 100.0),
                None => format!("{name} too few yet"),
            })
            .collect();
        format!(
            "by OTP success in {bin_range}: {}{}",
            each.join(", "),
            if explores {
                "; exploring: lowest-ranked first"
            } else {
                ""
            }
        )
    }

    /// Counts a decision a new record was made with.
    pub fn count_decision(&self, merchant_id: &str, decision: &RoutingDecision) {
        metrics::counter!(
            "payorch_routing_decisions_total",
            "merchant" => merchant_id.to_owned(),
            "rule" => decision.rule.clone(),
            "account" => decision.account.clone(),
        )
        .increment(1);
    }

    /// Counts an OTP stage of an authentication on `account`, under its BIN range.
    pub fn record_otp_stage(&self, account: &str, bin_range: &str, stage: OtpStage) {
        let Some(account) = self.accounts.get(account) else {
            return;
        };
        account.otp.record_in(bin_range, stage, Instant::now());
        metrics::counter!(
            "payorch_otp_stage_total",
            "account" => account.name.clone(),
            "connector" => account.connector.as_str(),
            "bin_range" => bin_range.to_owned(),
            "stage" => stage.as_str(),
        )
        .increment(1);
    }

    /// Every account's breaker state, by account name (sorted).
    pub fn health(&self) -> Vec<(String, ConnectorId, BreakerState)> {
        let now = Instant::now();
        let mut all: Vec<_> = self
            .accounts
            .values()
            .map(|a| (a.name.clone(), a.connector, a.breaker.state(now)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Writes every account's breaker state into the metrics (before a scrape renders).
    pub fn export_health(&self) {
        for account in self.accounts.values() {
            let state = account.breaker.state(Instant::now());
            metrics::gauge!(
                "payorch_account_breaker_state",
                "account" => account.name.clone(),
                "connector" => account.connector.as_str(),
            )
            .set(state.level());
            metrics::counter!(
                "payorch_account_breaker_opened_total",
                "account" => account.name.clone(),
                "connector" => account.connector.as_str(),
            )
            .absolute(account.breaker.times_opened());
        }
    }
}

/// A new call's candidates in order, and the one it is on.
pub struct Plan<A: ?Sized = dyn Connector> {
    decision: RoutingDecision,
    accounts: Vec<Arc<Account<A>>>,
    unfit: Vec<Option<String>>,
    at: Option<usize>,
    /// Bound to an earlier record's account ([`Plan::only`]): never held back, never moved.
    bound: bool,
}

impl<A: ?Sized> Plan<A> {
    /// A plan of one account: a new authentication bound to an existing record's account
    /// (a mandate's modification), counted under that record's BIN range.
    pub fn only(account: Arc<Account<A>>, bin_range: &str) -> Self {
        let mut decision = RoutingDecision::continuation(&account.name, account.connector.as_str());
        decision.bin_range = bin_range.to_owned();
        Self {
            decision,
            accounts: vec![account],
            unfit: vec![None],
            at: Some(0),
            bound: true,
        }
    }

    /// Whether the plan is bound to an earlier record's account ([`Plan::only`]).
    pub fn is_bound(&self) -> bool {
        self.bound
    }

    /// The account the call is on.
    pub fn account(&self) -> &Arc<Account<A>> {
        &self.accounts[self.at.unwrap_or(0)]
    }

    pub fn decision(&self) -> &RoutingDecision {
        &self.decision
    }

    /// Moves to the next usable account after the current one provably did nothing
    /// (`why`), passing over those `unfit` names a reason against (a provider that cannot
    /// take this call's card or browser); `None` when there is none, and the plan stays
    /// where it was.
    pub fn fail_over(
        &mut self,
        why: &str,
        unfit: impl Fn(&Account<A>) -> Option<String>,
    ) -> Option<&Arc<Account<A>>> {
        let next = self.past_current(why.to_owned(), &unfit).ok()?;
        metrics::counter!(
            "payorch_routing_failovers_total",
            "from" => self.decision.account.clone(),
            "to" => next.decision.account.clone(),
        )
        .increment(1);
        *self = next;
        Some(self.account())
    }

    /// Before anything is sent: passes over the chosen account when `unfit` names a reason
    /// it cannot serve this call at all (its provider cannot authenticate the card), to the
    /// next eligible, healthy account. When no account of the route could serve it, the plan
    /// stays, so the chosen account's own answer is given (AUTHENTICATION_NOT_AVAILABLE);
    /// when one could but is passed over for its health now, the call is refused as
    /// [`RouteError::NoneAvailable`] (a retry may find it healthy), never given that final
    /// answer. A bound plan stays.
    pub fn pass_over_unfit(
        &mut self,
        unfit: impl Fn(&Account<A>) -> Option<String>,
    ) -> Result<(), RouteError> {
        let Some(at) = self.at.filter(|_| !self.bound) else {
            return Ok(());
        };
        let Some(why) = unfit(self.account()) else {
            return Ok(());
        };
        let refused = match self.past_current(format!("not eligible: {why}"), &unfit) {
            Ok(next) => {
                *self = next;
                return Ok(());
            }
            Err(refused) => refused,
        };
        let fits_elsewhere = (0..self.accounts.len())
            .any(|i| i != at && self.unfit[i].is_none() && unfit(&self.accounts[i]).is_none());
        if fits_elsewhere { Err(refused) } else { Ok(()) }
    }

    /// Why the call cannot go anywhere now, the current account passed over for `why`.
    pub fn unavailable(&self, why: &str) -> RouteError {
        let mut candidates = self.decision.candidates.clone();
        if let Some(at) = self.at {
            candidates[at].skipped = Some(why.to_owned());
        }
        none_available(&candidates)
    }

    /// This plan moved past its current account (skipped for `why`) to the next one no
    /// `unfit` reason or health rules out, or why there is none.
    fn past_current(
        &self,
        why: String,
        unfit: &impl Fn(&Account<A>) -> Option<String>,
    ) -> Result<Self, RouteError> {
        let Some(at) = self.at else {
            return Err(none_available(&self.decision.candidates));
        };
        let mut next = Self {
            decision: self.decision.clone(),
            accounts: self.accounts.clone(),
            unfit: self.unfit.clone(),
            at: self.at,
            bound: self.bound,
        };
        next.decision.candidates[at].skipped = Some(why);
        for i in at + 1..next.accounts.len() {
            if next.unfit[i].is_none() {
                next.unfit[i] = unfit(&next.accounts[i]).map(|w| format!("not eligible: {w}"));
            }
        }
        next.advance()?;
        Ok(next)
    }

    /// Chooses the first eligible, healthy account after the current one.
    fn advance(&mut self) -> Result<(), RouteError> {
        let now = Instant::now();
        let start = self.at.map_or(0, |at| at + 1);
        for i in start..self.accounts.len() {
            let account = &self.accounts[i];
            let skip = self.unfit[i]
                .clone()
                .or_else(|| account.breaker.admit(now).err())
                .or_else(|| account.otp.admit(now).err());
            match skip {
                Some(why) => self.decision.candidates[i].skipped = Some(why),
                None => {
                    self.at = Some(i);
                    self.decision.account = account.name.clone();
                    return Ok(());
                }
            }
        }
        Err(none_available(&self.decision.candidates))
    }
}

/// Every candidate passed over, each with its reason.
fn none_available(candidates: &[RouteCandidate]) -> RouteError {
    let reasons: Vec<String> = candidates
        .iter()
        .map(|c| {
            format!(
                "{}: {}",
                c.account,
                c.skipped.as_deref().unwrap_or("not tried")
            )
        })
        .collect();
    RouteError::NoneAvailable(reasons.join("; "))
}

#[cfg(test)]
mod tests;
