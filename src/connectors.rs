//! Builds the merchant connector accounts this deployment is configured for (each provider
//! adapter with its own credentials, addresses and timeouts, behind its circuit breaker)
//! and the router over every merchant's rules and default route.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use payorch_connector::{Connector, ConnectorId};
use payorch_core::CardBrand;
use payorch_cybersource::{CybersourceConfig, CybersourceConnector};
use payorch_fiserv_ipg::{FiservIpgConfig, FiservIpgConnector};
use payorch_juspay::{JuspayConfig, JuspayConnector};
use payorch_mpgs::{MpgsConfig, MpgsConnector};
use payorch_router::{
    Account, BinRange, Breaker, Conditions, Initiator, MerchantRoutes, Monitored, OtpHealth,
    Router, Rule, Split,
};

use crate::config::{AccountSettings, Merchant, RoutingSettings, RuleSettings, Settings};
use crate::error::StartupError;

/// The base URL of an account: its configured one, or the embedded sandbox's mount point.
pub fn base_url(
    configured: Option<&str>,
    sandbox: Option<SocketAddr>,
    connector: ConnectorId,
    account: &str,
) -> Result<String, StartupError> {
    match (configured, sandbox) {
        (Some(url), _) => Ok(url.to_owned()),
        (None, Some(addr)) => Ok(format!("http://{addr}/{}", connector.as_str())),
        (None, None) => Err(StartupError::Config(format!(
            "account {account:?}: base_url is required when the sandbox is not embedded"
        ))),
    }
}

/// The router over every account and merchant in the settings. Every problem with the
/// routes is refused here, at start-up, all of them in one error: an account that does not
/// exist, a merchant listed twice, an `[accounts.*]` account two merchants share (its
/// credentials are one merchant's), unusable rules and rules that can never match.
pub fn router(settings: &Settings, sandbox: Option<SocketAddr>) -> Result<Router, StartupError> {
    let accounts = settings
        .all_accounts()
        .into_iter()
        .map(|(name, account)| build_account(&name, &account, &settings.routing, sandbox))
        .collect::<Result<Vec<_>, _>>()?;
    let mut problems = ownership_problems(settings);
    let mut merchants = Vec::with_capacity(settings.merchants.len());
    for merchant in &settings.merchants {
        // A merchant's usable rules are checked on even when some of its rules are not.
        let (routes, mut found) = merchant_routes(merchant);
        problems.append(&mut found);
        merchants.push((merchant.id.clone(), routes));
    }
    match Router::new(accounts, merchants) {
        Ok(router) if problems.is_empty() => {
            Ok(router.with_exploration(settings.routing.ranking_explore_percent))
        }
        Ok(_) => Err(routing_error(&problems)),
        Err(mut found) => {
            problems.append(&mut found);
            Err(routing_error(&problems))
        }
    }
}

fn routing_error(problems: &[String]) -> StartupError {
    StartupError::Config(format!("routing: {}", problems.join("; ")))
}

/// Merchants listed twice, and `[accounts.*]` accounts more than one merchant routes to.
/// An account named after its provider (`[connectors.*]`) is the older, shared spelling.
fn ownership_problems(settings: &Settings) -> Vec<String> {
    let mut problems = Vec::new();
    let mut owners: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (i, merchant) in settings.merchants.iter().enumerate() {
        if settings.merchants[..i].iter().any(|m| m.id == merchant.id) {
            problems.push(format!("merchant {:?} is listed twice", merchant.id));
            continue;
        }
        let routes = merchant.rules.iter().map(|r| &r.accounts);
        let mut named: Vec<&str> = merchant
            .default_route_names()
            .chain(routes.flatten().map(String::as_str))
            .collect();
        named.sort_unstable();
        named.dedup();
        for account in named {
            if settings.accounts.contains_key(account) {
                owners.entry(account).or_default().push(&merchant.id);
            }
        }
    }
    for (account, merchants) in owners {
        if merchants.len() > 1 {
            problems.push(format!(
                "account {account:?} is routed to by merchants {}: an account's credentials \
                 are one merchant's (give each merchant its own [accounts.*])",
                merchants
                    .iter()
                    .map(|m| format!("{m:?}"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
    }
    problems
}

fn build_account(
    name: &str,
    settings: &AccountSettings,
    routing: &RoutingSettings,
    sandbox: Option<SocketAddr>,
) -> Result<Account, StartupError> {
    let breaker = Arc::new(Breaker::new(payorch_router::BreakerSettings {
        failure_threshold: routing.breaker.failure_threshold,
        open_for: Duration::from_secs(routing.breaker.open_secs),
    }));
    let otp = &routing.otp_health;
    let inner = adapter(name, settings, sandbox)?;
    Ok(Account {
        name: name.to_owned(),
        connector: settings.connector(),
        adapter: Arc::new(Monitored::new(inner, breaker.clone(), name)),
        breaker,
        otp: OtpHealth::new(payorch_router::OtpHealthSettings {
            min_success_rate: otp.min_success_rate,
            window: otp.window,
            min_samples: otp.min_samples,
            cooldown: Duration::from_secs(otp.cooldown_secs),
        }),
    })
}

/// One account's provider adapter, with that account's credentials.
fn adapter(
    name: &str,
    settings: &AccountSettings,
    sandbox: Option<SocketAddr>,
) -> Result<Arc<dyn Connector>, StartupError> {
    let base = base_url(settings.base_url(), sandbox, settings.connector(), name)?;
    let refused =
        |e: &dyn std::fmt::Display| StartupError::Config(format!("account {name:?}: {e}"));
    Ok(match settings {
        AccountSettings::Cybersource(c) => {
            let mut config = CybersourceConfig::new(
                base,
                c.merchant_id.clone(),
                c.key_id.clone(),
                c.shared_secret.expose(),
            );
            c.timeouts.apply(&mut config.timeouts);
            Arc::new(CybersourceConnector::new(config).map_err(|e| refused(&e))?)
        }
        AccountSettings::FiservIpg(c) => {
            let mut config = FiservIpgConfig::new(base, c.api_key.clone(), c.api_secret.expose());
            config.store_id = c.store_id.clone();
            c.timeouts.apply(&mut config.timeouts);
            Arc::new(FiservIpgConnector::new(config).map_err(|e| refused(&e))?)
        }
        AccountSettings::Juspay(c) => {
            let mut config = JuspayConfig::new(base, c.api_key.expose(), c.merchant_id.clone());
            config.response_key = c.response_key.as_ref().map(|k| k.expose().to_owned());
            c.timeouts.apply(&mut config.timeouts);
            Arc::new(JuspayConnector::new(config).map_err(|e| refused(&e))?)
        }
        AccountSettings::Mpgs(c) => {
            let mut config = MpgsConfig::new(base, c.merchant_id.clone(), c.api_password.expose());
            if let Some(version) = c.api_version {
                config.api_version = version;
            }
            c.timeouts.apply(&mut config.timeouts);
            Arc::new(MpgsConnector::new(config).map_err(|e| refused(&e))?)
        }
    })
}

/// A merchant's rules and default route, without those that cannot be built, and every
/// problem found in them.
fn merchant_routes(merchant: &Merchant) -> (MerchantRoutes, Vec<String>) {
    let at = |what: &str, problem: String| format!("merchant {:?}, {what}: {problem}", merchant.id);
    let mut problems = Vec::new();
    let route = merchant.default_route();
    let default = if route.is_empty() {
        None
    } else {
        Split::new(route, merchant.weights.clone())
            .and_then(|s| ranked(s, merchant.rank_by_otp_success))
            .map_err(|p| problems.push(at("default route", p)))
            .ok()
    };
    let mut rules = Vec::with_capacity(merchant.rules.len());
    for rule in &merchant.rules {
        let what = format!("rule {:?}", rule.name);
        let when = conditions(rule).map_err(|p| problems.push(at(&what, p)));
        let route = Split::new(rule.accounts.clone(), rule.weights.clone())
            .and_then(|s| ranked(s, rule.rank_by_otp_success))
            .map_err(|p| problems.push(at(&what, p)));
        if let (Ok(when), Ok(route)) = (when, route) {
            rules.push(Rule {
                name: rule.name.clone(),
                when,
                route,
            });
        }
    }
    (MerchantRoutes { rules, default }, problems)
}

fn ranked(split: Split, rank: bool) -> Result<Split, String> {
    if rank { split.ranked() } else { Ok(split) }
}

fn conditions(rule: &RuleSettings) -> Result<Conditions, String> {
    let brands = rule
        .brands
        .iter()
        .map(|b| match b.to_ascii_uppercase().as_str() {
            "RUPAY" => Ok(CardBrand::RuPay),
            "VISA" => Ok(CardBrand::Visa),
            "MASTERCARD" => Ok(CardBrand::Mastercard),
            "AMEX" => Ok(CardBrand::Amex),
            _ => Err(format!(
                "unknown card brand {b:?} (RUPAY, VISA, MASTERCARD, AMEX)"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bin_ranges = rule
        .bin_ranges
        .iter()
        .map(|r| BinRange::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    for currency in &rule.currencies {
        payorch_core::Currency::parse(currency)
            .map_err(|_| format!("unknown currency {currency:?} (ISO 4217, upper case)"))?;
    }
    let flow = match rule.flow.as_deref() {
        None => None,
        Some("redirect") => Some(payorch_core::Flow::Redirect),
        Some("seamless") => Some(payorch_core::Flow::Seamless),
        Some(other) => return Err(format!("unknown flow {other:?} (redirect, seamless)")),
    };
    let initiator = match rule.initiator.as_deref() {
        None => None,
        Some(text) => Some(
            Initiator::parse(text)
                .ok_or_else(|| format!("unknown initiator {text:?} (customer, merchant)"))?,
        ),
    };
    Ok(Conditions {
        brands,
        bin_ranges,
        currencies: rule.currencies.clone(),
        min_amount: rule.min_amount,
        max_amount: rule.max_amount,
        flow,
        initiator,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn load(file: &str) -> Settings {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        match Settings::load(Some(&path)) {
            Ok(settings) => settings,
            Err(e) => panic!("{file}: {e}"),
        }
    }

    fn sandbox() -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 8090)))
    }

    #[test]
    fn the_shipped_configurations_build_their_routers() {
        for file in [
            "deploy/payorch.example.toml",
            "deploy/kubernetes/payorch.toml",
            "deploy/examples/routing.toml",
        ] {
            let mut settings = load(file);
            // As the deployment supplies it, from a Secret in the environment.
            if let Some(c) = settings.connectors.cybersource.as_mut() {
                c.shared_secret =
                    crate::config::Secret::new("bm9u4K9TfdvYoeO7J77B+uVwHf5lC21TsIyqP7XxnTM=");
            }
            if let Err(e) = router(&settings, sandbox()) {
                panic!("{file}: {e}");
            }
        }
        let routing = router(&load("deploy/examples/routing.toml"), sandbox())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            routing.accounts_of("bookshop"),
            vec!["cs_bookshop", "mpgs_bookshop"]
        );
        assert_eq!(routing.accounts_of("travel"), vec!["cs_travel"]);
    }

    fn refusal(edit: impl FnOnce(&mut Settings)) -> String {
        let mut settings = load("deploy/examples/routing.toml");
        edit(&mut settings);
        match router(&settings, sandbox()) {
            Ok(_) => panic!("routes accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_routes_are_refused_at_start_up_with_what_is_wrong() {
        let unknown = refusal(|s| s.merchants[0].rules[0].accounts = vec!["cs_nowhere".into()]);
        assert!(
            unknown.contains("merchant \"bookshop\": unknown connector account \"cs_nowhere\""),
            "{unknown}"
        );
        let weights = refusal(|s| s.merchants[0].weights = Some(vec![70, 20]));
        assert!(
            weights.contains("default route: has weights summing to 90"),
            "{weights}"
        );
        let shadowed = refusal(|s| {
            let mut narrower = s.merchants[0].rules[0].clone();
            narrower.name = "narrower".into();
            narrower.bin_ranges = vec!["508521".into()];
            s.merchants[0].rules.push(narrower);
        });
        assert!(
            shadowed.contains("rule \"narrower\" can never match: rule \"mpgs-bins\""),
            "{shadowed}"
        );
        let bin = refusal(|s| s.merchants[0].rules[0].bin_ranges = vec!["5085x".into()]);
        assert!(
            bin.contains("rule \"mpgs-bins\": BIN range \"5085x\""),
            "{bin}"
        );
        let amount = refusal(|s| s.merchants[0].rules[1].currencies = Vec::new());
        assert!(amount.contains("needs exactly one currency"), "{amount}");
        let both = refusal(|s| s.merchants[0].rank_by_otp_success = true);
        assert!(
            both.contains("default route: cannot both split by weight and rank by OTP success"),
            "{both}"
        );
        let flow = refusal(|s| s.merchants[0].rules[1].flow = Some("popup".into()));
        assert!(flow.contains("unknown flow \"popup\""), "{flow}");
        let overflow = refusal(|s| s.merchants[0].weights = Some(vec![u32::MAX, 101]));
        assert!(
            overflow.contains("has weights summing to 4294967396, not 100"),
            "{overflow}"
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let all = refusal(|s| {
            s.merchants[0].weights = Some(vec![70, 20]);
            s.merchants[0].rules[1].flow = Some("popup".into());
            s.merchants[0].rules[0].accounts = vec!["mpgs_nowhere".into()];
            s.merchants[1].accounts = vec!["cs_nowhere".into()];
        });
        for part in [
            "default route: has weights summing to 90",
            "unknown flow \"popup\"",
            "merchant \"bookshop\": unknown connector account \"mpgs_nowhere\"",
            "merchant \"travel\": unknown connector account \"cs_nowhere\"",
        ] {
            assert!(all.contains(part), "{part} missing from: {all}");
        }
    }

    #[test]
    fn an_account_belongs_to_one_merchant_and_a_merchant_is_listed_once() {
        let shared = refusal(|s| s.merchants[1].accounts.push("cs_bookshop".into()));
        assert!(
            shared.contains(
                "account \"cs_bookshop\" is routed to by merchants \"bookshop\" and \"travel\""
            ),
            "{shared}"
        );
        let twice = refusal(|s| {
            let copy = s.merchants[1].clone();
            s.merchants.push(copy);
        });
        assert!(
            twice.contains("merchant \"travel\" is listed twice"),
            "{twice}"
        );
        // The older one-account spelling stays shareable, as it always was.
        let mut settings = load("deploy/payorch.example.toml");
        if let Some(c) = settings.connectors.cybersource.as_mut() {
            c.shared_secret =
                crate::config::Secret::new("bm9u4K9TfdvYoeO7J77B+uVwHf5lC21TsIyqP7XxnTM=");
        }
        let first = settings.merchants[0].clone();
        let mut second = first.clone();
        second.id = format!("{}-2", first.id);
        settings.merchants.push(second);
        if let Err(e) = router(&settings, sandbox()) {
            panic!("{e}");
        }
    }
}
