//! The independent client: the official Cybersource Python SDK (PyPI
//! `cybersource-rest-client-python`, pointed at the simulator with `IntermediateHost`)
//! enrolls and validates, and the simulator verifies its HTTP signatures.
//!
//! Needs the virtual environment of `tests/sdk/setup.sh`; the interpreter is taken from
//! `PAYORCH_CYBERSOURCE_SDK_PYTHON`, else `<workspace>/target/cybersource-sdk-venv/bin/python`.
//! `./scripts/test` creates it; without it the test fails, it never skips.

mod common;

use std::path::PathBuf;

use common::{start, test_config};

fn interpreter() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PAYORCH_CYBERSOURCE_SDK_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let default = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/cybersource-sdk-venv/bin/python");
    default.exists().then_some(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_enrolls_and_validates() {
    let Some(python) = interpreter() else {
        panic!(
            "the Cybersource SDK venv is missing: run ./scripts/test (or crates/sandbox/tests/sdk/setup.sh)"
        );
    };
    let addr = start(test_config()).await;
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/cybersource_sdk_oracle.py");
    let base = format!("http://{addr}");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(["-W", "ignore"])
            .arg(script)
            .arg(base)
            .output()
    })
    .await
    .expect("join")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "SDK oracle failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("\"validation\": \"AUTHENTICATION_SUCCESSFUL\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"wrong_secret\": 401"), "{stdout}");
}
