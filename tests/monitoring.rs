//! deploy/monitoring (Prometheus alert rules, their promtool unit tests, the Grafana
//! dashboard) checked against a real scrape of payorch after a flow on every connector. Its own
//! test binary: the metrics registry is per process, and this test fills it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::flows::Stack;
use support::matrix::{self, MPGS};

/// deploy/monitoring's alert rules and Grafana dashboard hold against what payorch really
/// exports: `deploy/monitoring/check.sh` runs promtool (rules, their unit tests, the scrape's
/// lint) and checks every metric, label and label value the queries use against a scrape
/// taken after a real flow on every connector.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alerts_and_dashboard_fit_what_payorch_exports() {
    for profile in &matrix::EVERY {
        matrix::seamless_success_then_authorize_with_capture(profile).await;
    }
    // The metrics registry is the process's: any stack's /metrics renders all of it.
    let stack = Stack::start(&MPGS).await;
    let text = stack.metrics().await;
    // Kept for a look after the run (the last scrape the checks saw).
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("monitoring-scrape.txt");
    std::fs::write(&file, &text).unwrap();
    let out = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/monitoring/check.sh"
        ))
        .arg(&file)
        .output()
        .expect("bash runs deploy/monitoring/check.sh");
    assert!(
        out.status.success(),
        "deploy/monitoring/check.sh failed ({}; promtool comes from scripts/test):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}
