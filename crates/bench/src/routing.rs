//! What routing adds to a start: the time the router takes to choose an account (rules in
//! order, the weighted split, breaker and OTP-health checks, the card-fitness pass, the
//! decision the record keeps), take that account's turn at its breaker and count the
//! decision in the metrics, over the shipped `deploy/examples/routing.toml` with its
//! large-basket rule ranked by OTP success, and the Prometheus recorder installed as in
//! production. Calls cycle through a BIN-rule card, a large basket (the ranked route) and
//! the weighted default route, from two threads at once.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use payorch::config::Settings;
use payorch_core::CardBrand;
use payorch_router::{Facts, Initiator};
use serde::Serialize;

/// The target the routing issue sets for the routing step, p99.
pub const TARGET_P99_US: f64 = 50.0;

#[derive(Debug, Serialize)]
pub struct RoutingCost {
    pub decisions: u64,
    pub threads: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

const CALLS: [(&str, i64); 3] = [
    ("508520", 10_000),
    ("508500", 6_000_000),
    ("508500", 10_000),
];

pub fn measure(decisions_per_thread: u64, threads: usize) -> Result<RoutingCost, String> {
    let _ = payorch::telemetry::metrics_handle();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/examples/routing.toml"
    );
    let mut settings =
        Settings::load(Some(std::path::Path::new(file))).map_err(|e| e.to_string())?;
    // A ranked route too: ranking sorts the accounts by their figures on every call.
    let large = settings
        .merchants
        .iter_mut()
        .flat_map(|m| m.rules.iter_mut())
        .find(|r| r.name == "large-baskets")
        .ok_or("routing.toml has no large-baskets rule")?;
    large.accounts = vec!["cs_bookshop".into(), "mpgs_bookshop".into()];
    large.rank_by_otp_success = true;
    let sandbox = std::net::SocketAddr::from(([127, 0, 0, 1], 8090));
    let router =
        payorch::connectors::router(&settings, Some(sandbox)).map_err(|e| e.to_string())?;
    let router = std::sync::Arc::new(router);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let router = router.clone();
            std::thread::spawn(move || -> Result<Histogram<u64>, String> {
                let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
                    .map_err(|e| e.to_string())?;
                for i in 0..decisions_per_thread {
                    let (bin, amount) = CALLS[(i % 3) as usize];
                    let facts = Facts {
                        brand: CardBrand::from_bin(bin),
                        bin,
                        amount: Some((amount, "INR")),
                        flow: None,
                        initiator: Initiator::Customer,
                    };
                    let started = Instant::now();
                    // The card-fitness pass asks each account's provider about the card, as
                    // a start does (every shipped account takes RuPay: none is passed over).
                    let fits = |account: &payorch_router::Account| {
                        let brands = &account.adapter.capabilities().card_brands;
                        (!brands.contains(&facts.brand)).then(|| "brand".to_owned())
                    };
                    let decision =
                        router
                            .plan("bookshop", "", &facts, |_| None)
                            .and_then(|mut plan| {
                                plan.pass_over_unfit(fits)?;
                                let turn = plan.account().breaker.begin_call(Instant::now());
                                router.count_decision("bookshop", plan.decision());
                                Ok((turn, plan.decision().clone()))
                            });
                    let elapsed = started.elapsed();
                    let (turn, decision) =
                        std::hint::black_box(decision).map_err(|e| e.to_string())?;
                    // Nothing is open in the bench: every turn is taken.
                    turn?;
                    std::hint::black_box(decision);
                    histogram
                        .record(nanos(elapsed).max(1))
                        .map_err(|e| e.to_string())?;
                }
                Ok(histogram)
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    for worker in workers {
        let histogram = worker
            .join()
            .map_err(|_| "a routing thread panicked".to_owned())??;
        all.add(&histogram).map_err(|e| e.to_string())?;
    }
    let us = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
    Ok(RoutingCost {
        decisions: all.len(),
        threads,
        p50_us: us(0.5),
        p99_us: us(0.99),
        p999_us: us(0.999),
        max_us: all.max() as f64 / 1000.0,
    })
}

fn nanos(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
}

pub fn print(cost: &RoutingCost) {
    println!(
        "routing: {} decisions on {} threads (deploy/examples/routing.toml): p50 {:.2} µs, \
         p99 {:.2} µs, p99.9 {:.2} µs, max {:.1} µs; target p99 ≤ {TARGET_P99_US} µs: {}",
        cost.decisions,
        cost.threads,
        cost.p50_us,
        cost.p99_us,
        cost.p999_us,
        cost.max_us,
        if cost.p99_us <= TARGET_P99_US {
            "met"
        } else {
            "MISSED"
        },
    );
}
