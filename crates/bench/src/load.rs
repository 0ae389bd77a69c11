//! The two load shapes (fixed concurrency; fixed rate, coordinated-omission corrected) and
//! the latency histograms they fill.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::scenario::{Outcome, Scenario, Target};

pub struct Stats {
    pub latency_us: Histogram<u64>,
    pub own_us: Histogram<u64>,
    pub errors: BTreeMap<String, u64>,
    pub ops: u64,
    pub rpcs: u64,
}

impl Stats {
    pub fn new() -> Result<Self, String> {
        let histogram =
            || Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).map_err(|e| e.to_string());
        Ok(Self {
            latency_us: histogram()?,
            own_us: histogram()?,
            errors: BTreeMap::new(),
            ops: 0,
            rpcs: 0,
        })
    }

    pub fn record(&mut self, latency: Duration, outcome: Outcome) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.saturating_record(micros.max(1));
        for own in outcome.own_us {
            self.own_us.saturating_record(own.max(1));
        }
        self.ops += 1;
        self.rpcs += outcome.rpcs;
        if let Some(error) = outcome.error {
            *self.errors.entry(error).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: Stats) -> Result<(), String> {
        self.latency_us
            .add(&other.latency_us)
            .map_err(|e| e.to_string())?;
        self.own_us.add(&other.own_us).map_err(|e| e.to_string())?;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
        self.ops += other.ops;
        self.rpcs += other.rpcs;
        Ok(())
    }
}

/// `concurrency` loops, each starting its next operation when the last one answers.
pub async fn fixed_concurrency(
    target: &Target,
    scenario: Scenario,
    concurrency: usize,
    run_for: Duration,
) -> Result<(Stats, Duration), String> {
    let began = Instant::now();
    let until = began + run_for;
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            let mut stats = Stats::new()?;
            let mut n = worker;
            while Instant::now() < until {
                let sent = Instant::now();
                let outcome = target.run(scenario, n).await;
                stats.record(sent.elapsed(), outcome);
                n += concurrency;
            }
            Ok::<_, String>(stats)
        }));
    }
    let mut total = Stats::new()?;
    for worker in workers {
        let stats = worker.await.map_err(|e| e.to_string())??;
        total.merge(stats)?;
    }
    Ok((total, began.elapsed()))
}

/// Operations started `rate` times a second whatever the answers do; each operation's
/// latency counts from when it was due.
pub async fn fixed_rate(
    target: &Target,
    scenario: Scenario,
    rate: u64,
    run_for: Duration,
) -> Result<(Stats, Duration), String> {
    const MAX_IN_FLIGHT: usize = 10_000;
    let stats = Arc::new(Mutex::new(Stats::new()?));
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let began = Instant::now();
    let due_count = (run_for.as_secs_f64() * rate as f64) as u64;
    let mut tasks = Vec::new();
    for n in 0..due_count {
        let due = began + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        // Waiting for a slot delays the call, and the delay is charged to it.
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (target, stats) = (target.clone(), stats.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = target.run(scenario, n as usize).await;
            let latency = due.elapsed();
            if let Ok(mut stats) = stats.lock() {
                stats.record(latency, outcome);
            }
            drop(slot);
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = began.elapsed();
    let stats = Arc::try_unwrap(stats)
        .map_err(|_| "stats still shared".to_owned())?
        .into_inner()
        .map_err(|e| e.to_string())?;
    Ok((stats, elapsed))
}
