#![allow(clippy::unwrap_used)]

use std::time::Duration;

use payorch_core::{CardBrand, Flow};

use super::*;

/// Accounts stood for by their names: choosing never looks inside an adapter.
fn account(name: &str, connector: ConnectorId, threshold: u32) -> Account<str> {
    Account {
        name: name.to_owned(),
        connector,
        adapter: Arc::from(name),
        breaker: Arc::new(Breaker::new(BreakerSettings {
            failure_threshold: threshold,
            open_for: Duration::from_secs(60),
        })),
        otp: OtpHealth::new(OtpHealthSettings::default()),
    }
}

fn split(accounts: &[&str], weights: Option<Vec<u32>>) -> Split {
    Split::new(accounts.iter().map(|a| (*a).to_owned()).collect(), weights).unwrap()
}

fn rule(name: &str, when: Conditions, accounts: &[&str]) -> Rule {
    Rule {
        name: name.into(),
        when,
        route: split(accounts, None),
    }
}

fn bins(ranges: &[&str]) -> Conditions {
    Conditions {
        bin_ranges: ranges.iter().map(|r| BinRange::parse(r).unwrap()).collect(),
        ..Conditions::default()
    }
}

fn router() -> Router<str> {
    Router::new(
        [
            account("cs_a", ConnectorId::Cybersource, 2),
            account("cs_b", ConnectorId::Cybersource, 2),
            account("mpgs", ConnectorId::Mpgs, 2),
        ],
        [(
            "shop".to_owned(),
            MerchantRoutes {
                rules: vec![
                    rule("bins", bins(&["508500-508999"]), &["mpgs", "cs_a"]),
                    rule(
                        "large",
                        Conditions {
                            currencies: vec!["INR".into()],
                            min_amount: Some(1_000_000),
                            ..Conditions::default()
                        },
                        &["cs_b"],
                    ),
                ],
                default: Some(split(&["cs_a", "cs_b"], Some(vec![70, 30]))),
            },
        )],
    )
    .unwrap()
}

fn facts(bin: &str, amount: i64) -> Facts<'_> {
    Facts {
        brand: CardBrand::from_bin(bin),
        bin,
        amount: Some((amount, "INR")),
        flow: Some(Flow::Seamless),
        initiator: Initiator::Customer,
    }
}

fn eligible(_: &Account<str>) -> Option<String> {
    None
}

#[test]
fn the_first_matching_rule_routes_and_says_why_the_others_did_not() {
    let r = router();
    let plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    assert_eq!(plan.account().name, "mpgs");
    assert_eq!(plan.decision().rule, "bins");
    assert_eq!(plan.decision().bin_range, "508500-508999");
    let plan = r
        .plan("shop", "", &facts("652150", 2_000_000), eligible)
        .unwrap();
    assert_eq!(plan.account().name, "cs_b");
    assert_eq!(plan.decision().rule, "large");
    assert_eq!(
        plan.decision().rules_not_matched,
        vec![RuleMiss {
            rule: "bins".into(),
            reason: "BIN 652150 outside 508500-508999".into()
        }]
    );
}

#[test]
fn the_default_route_splits_by_weight() {
    let r = router();
    let mut on_a = 0;
    for _ in 0..1_000 {
        let plan = r.plan("shop", "", &facts("652150", 100), eligible).unwrap();
        assert_eq!(plan.decision().rule, "default");
        assert_eq!(plan.decision().candidates.len(), 2);
        if plan.account().name == "cs_a" {
            on_a += 1;
        }
    }
    assert_eq!(on_a, 700);
}

#[test]
fn a_pin_takes_the_merchants_accounts_of_that_connector() {
    let r = router();
    let plan = r
        .plan("shop", "mpgs", &facts("652150", 100), eligible)
        .unwrap();
    assert_eq!(plan.account().name, "mpgs");
    assert_eq!(plan.decision().rule, "pinned");
    assert_eq!(
        r.plan("shop", "juspay", &facts("652150", 100), eligible)
            .err(),
        Some(RouteError::PinnedNotEnabled("juspay".into()))
    );
    assert_eq!(
        r.plan("nobody", "", &facts("652150", 100), eligible).err(),
        Some(RouteError::NoConnector)
    );
}

#[test]
fn an_open_breaker_is_passed_over_with_its_reason() {
    let r = router();
    let mpgs = r.account("mpgs").unwrap().clone();
    mpgs.breaker.record_failure(Instant::now());
    mpgs.breaker.record_failure(Instant::now());
    let plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    assert_eq!(plan.account().name, "cs_a");
    let skipped = plan.decision().candidates[0].skipped.clone().unwrap();
    assert!(skipped.starts_with("circuit breaker open"), "{skipped}");
    let cs_a = r.account("cs_a").unwrap().clone();
    cs_a.breaker.record_failure(Instant::now());
    cs_a.breaker.record_failure(Instant::now());
    let Err(RouteError::NoneAvailable(why)) = r.plan("shop", "", &facts("508510", 100), eligible)
    else {
        panic!("expected no account");
    };
    assert!(why.contains("mpgs: circuit breaker open"), "{why}");
}

#[test]
fn fail_over_moves_on_and_records_why() {
    let r = router();
    let mut plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    assert_eq!(plan.account().name, "mpgs");
    assert_eq!(
        plan.fail_over("not sent: connection refused", eligible)
            .unwrap()
            .name,
        "cs_a"
    );
    assert_eq!(plan.decision().account, "cs_a");
    assert_eq!(
        plan.decision().candidates[0].skipped.as_deref(),
        Some("not sent: connection refused")
    );
    assert!(plan.fail_over("again", eligible).is_none());
    assert_eq!(plan.account().name, "cs_a", "no next: the plan stays");
}

#[test]
fn ineligible_accounts_are_named() {
    let r = router();
    let plan = r
        .plan("shop", "", &facts("508510", 100), |a: &Account<str>| {
            (a.connector == ConnectorId::Mpgs).then(|| "no standing instructions".to_owned())
        })
        .unwrap();
    assert_eq!(plan.account().name, "cs_a");
    assert_eq!(
        plan.decision().candidates[0].skipped.as_deref(),
        Some("not eligible: no standing instructions")
    );
}

#[test]
fn start_up_refuses_bad_routes() {
    let problems = Router::new(
        [account("cs_a", ConnectorId::Cybersource, 2)],
        [(
            "shop".to_owned(),
            MerchantRoutes {
                rules: vec![
                    rule("wide", bins(&["6521-6531"]), &["cs_a"]),
                    rule("narrow", bins(&["652150-652199"]), &["cs_a"]),
                    rule("low", bins(&["4000-4499"]), &["cs_a"]),
                    rule("high", bins(&["4500-4999"]), &["cs_a"]),
                    rule("visa", bins(&["400000-499999"]), &["cs_a"]),
                    rule("default", bins(&["3000"]), &["cs_a"]),
                    rule("ghost", Conditions::default(), &["nope"]),
                ],
                default: None,
            },
        )],
    )
    .err()
    .unwrap();
    let text = problems.join("\n");
    assert!(
        text.contains("unknown connector account \"nope\""),
        "{text}"
    );
    assert!(
        text.contains("rule \"narrow\" can never match: rule \"wide\""),
        "{text}"
    );
    // Neither earlier rule covers 4000-4999 alone; together they leave it nothing.
    assert!(
        text.contains("rule \"visa\" can never match: rules \"low\" and \"high\" before it match"),
        "{text}"
    );
    assert!(!text.contains("rule \"ghost\" can never match"), "{text}");
    assert!(
        text.contains("rule \"default\": \"default\" is what a decision says"),
        "{text}"
    );
}

#[test]
fn without_a_default_a_call_no_rule_matches_has_no_route() {
    let r = Router::new(
        [account("cs_a", ConnectorId::Cybersource, 2)],
        [(
            "shop".to_owned(),
            MerchantRoutes {
                rules: vec![rule("bins", bins(&["508500-508999"]), &["cs_a"])],
                default: None,
            },
        )],
    )
    .unwrap();
    let err = r
        .plan("shop", "", &facts("652150", 1), eligible)
        .err()
        .unwrap();
    assert!(
        matches!(err, RouteError::NoRuleMatched(ref why) if why.contains("BIN 652150")),
        "{err}"
    );
}

#[test]
fn a_record_continues_on_its_account() {
    let r = router();
    assert_eq!(&*r.adapter("cs_b").unwrap(), "cs_b");
    assert_eq!(
        r.adapter("stripe").err(),
        Some(RouteError::NotConfigured("stripe".into()))
    );
    assert_eq!(r.accounts_of("shop"), vec!["cs_a", "cs_b", "mpgs"]);
}

#[test]
fn fail_over_passes_over_an_account_unfit_for_the_call() {
    let r = router();
    let mut plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    assert!(
        plan.fail_over("not reached", |a: &Account<str>| {
            (a.name == "cs_a").then(|| "needs an IPv4 address".to_owned())
        })
        .is_none()
    );
    assert_eq!(plan.account().name, "mpgs", "nothing fit: the plan stays");
}

#[test]
fn a_preview_leaves_the_split_alone() {
    let r = router();
    let looked = r
        .preview("shop", "", &facts("652150", 100), eligible)
        .unwrap();
    let started = r.plan("shop", "", &facts("652150", 100), eligible).unwrap();
    assert_eq!(looked.account().name, started.account().name);
    let next = r.plan("shop", "", &facts("652150", 100), eligible).unwrap();
    assert_eq!(
        next.account().name,
        "cs_a",
        "slots 0 and 37 both fall in cs_a's 70"
    );
}

#[test]
fn routing_to_a_half_open_account_takes_no_probe() {
    let r = Router::new(
        [Account {
            name: "cs_a".into(),
            connector: ConnectorId::Cybersource,
            adapter: Arc::from("cs_a"),
            breaker: Arc::new(Breaker::new(BreakerSettings {
                failure_threshold: 1,
                open_for: Duration::ZERO,
            })),
            otp: OtpHealth::new(OtpHealthSettings::default()),
        }],
        [(
            "shop".to_owned(),
            MerchantRoutes {
                rules: Vec::new(),
                default: Some(split(&["cs_a"], None)),
            },
        )],
    )
    .unwrap();
    let account = r.account("cs_a").unwrap().clone();
    account.breaker.record_failure(Instant::now());
    for _ in 0..3 {
        assert!(r.preview("shop", "", &facts("652150", 1), eligible).is_ok());
        assert!(r.plan("shop", "", &facts("652150", 1), eligible).is_ok());
    }
    assert!(account.breaker.begin_call(Instant::now()).is_ok());
}

#[test]
fn a_ranked_route_puts_the_best_otp_success_first_and_says_so() {
    let ranked = split(&["cs_a", "cs_b"], None).ranked().unwrap();
    let otp = || {
        OtpHealth::new(OtpHealthSettings {
            min_samples: 2,
            ..OtpHealthSettings::default()
        })
    };
    let mut a = account("cs_a", ConnectorId::Cybersource, 5);
    a.otp = otp();
    let mut b = account("cs_b", ConnectorId::Cybersource, 5);
    b.otp = otp();
    let r = Router::new(
        [a, b],
        [(
            "shop".to_owned(),
            MerchantRoutes {
                rules: Vec::new(),
                default: Some(ranked),
            },
        )],
    )
    .unwrap()
    .with_exploration(0);
    let first = r.plan("shop", "", &facts("652150", 1), eligible).unwrap();
    assert_eq!(
        first.account().name,
        "cs_a",
        "no figures yet: the configured order"
    );
    for _ in 0..2 {
        r.record_otp_stage("cs_a", "any", OtpStage::Exhausted);
        r.record_otp_stage("cs_b", "any", OtpStage::Succeeded);
    }
    let ranked = r.plan("shop", "", &facts("652150", 1), eligible).unwrap();
    assert_eq!(ranked.account().name, "cs_b");
    assert_eq!(
        ranked.decision().ranking.as_deref(),
        Some("by OTP success in any: cs_b 100% of 2, cs_a 0% of 2")
    );
    let r = r.with_exploration(100);
    let explored = r.plan("shop", "", &facts("652150", 1), eligible).unwrap();
    assert_eq!(
        explored.account().name,
        "cs_a",
        "exploring: the lowest-ranked first"
    );
    assert!(
        explored
            .decision()
            .ranking
            .as_deref()
            .is_some_and(|r| r.ends_with("exploring: lowest-ranked first"))
    );
}

/// A card the chosen account cannot take moves the plan on before anything is sent; when
/// the only account that could take it is unhealthy now, the call waits (NoneAvailable)
/// rather than getting the chosen account's final "not available"; when none could, the
/// chosen account stays and answers.
#[test]
fn an_unfit_account_is_passed_over_or_the_call_waits_for_the_fit_one() {
    let r = router();
    let not_cybersource = |a: &Account<str>| {
        (a.connector == ConnectorId::Cybersource).then(|| "does not take network tokens".into())
    };
    let mut plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    assert_eq!(plan.account().name, "mpgs");
    plan.pass_over_unfit(not_cybersource).unwrap();
    assert_eq!(
        plan.account().name,
        "mpgs",
        "it can take the card: it stays"
    );

    let mut plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    let only_cybersource = |a: &Account<str>| {
        (a.connector != ConnectorId::Cybersource).then(|| "does not take this card".into())
    };
    plan.pass_over_unfit(only_cybersource).unwrap();
    assert_eq!(plan.account().name, "cs_a");
    assert_eq!(
        plan.decision().candidates[0].skipped.as_deref(),
        Some("not eligible: does not take this card")
    );

    // The fit account's breaker opens: the call waits for it.
    let cs_a = r.account("cs_a").unwrap().clone();
    cs_a.breaker.record_failure(std::time::Instant::now());
    cs_a.breaker.record_failure(std::time::Instant::now());
    let mut plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    assert_eq!(plan.account().name, "mpgs");
    let Err(RouteError::NoneAvailable(why)) = plan.pass_over_unfit(only_cybersource) else {
        panic!("the call was given mpgs's answer");
    };
    assert!(why.contains("cs_a: circuit breaker open"), "{why}");
    assert!(
        why.contains("mpgs: not eligible: does not take this card"),
        "{why}"
    );

    // No account of the route could take it: the chosen one stays and answers.
    let mut plan = r.plan("shop", "", &facts("508510", 100), eligible).unwrap();
    plan.pass_over_unfit(|_| Some("no RuPay".into())).unwrap();
    assert_eq!(plan.account().name, "mpgs");
}
