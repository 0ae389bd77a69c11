//! What a newcomer sees from the real binary: start-up lines that say how to try it, help that
//! lists the connectors, `payorch serve` without a configuration refused with what to do, and
//! the fixed-OTP switch for load runs (off by default, loud when on).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use payorch::api::FlowPreference;
use payorch_connector::ConnectorId;
use serde_json::Value;
use support::examples::{self, Binary};

fn payorch(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_payorch"));
    command
        .args(args)
        .env_remove("PAYORCH_CONFIG")
        .env_remove("REDIS_URL");
    command
}

#[tokio::test]
async fn the_start_up_lines_say_how_to_try_it() {
    let mut payorch = Binary::spawn(&[]);
    payorch.wait_until_serving().await;
    // The banner is printed in one go; wait for its last line rather than racing it.
    let complete = support::eventually(Duration::from_secs(10), || {
        let done = payorch.output().iter().any(|l| l.contains("payorch demo"));
        async move { done }
    })
    .await;
    let output = payorch.output().join("\n");
    assert!(complete, "{output}");
    for expected in [
        format!("gRPC on {}", payorch.grpc),
        format!("grpcurl -plaintext {} list", payorch.grpc),
        format!("HTTP on http://{}", payorch.http),
        format!("provider sandbox on http://{}", payorch.sandbox),
        format!("curl -s http://{}/_sandbox/cards", payorch.sandbox),
        "merchants: demo".to_owned(),
        "payorch demo --connector".to_owned(),
    ] {
        assert!(
            output.contains(&expected),
            "start-up does not say {expected:?}:\n{output}"
        );
    }
    for connector in ConnectorId::ALL {
        assert!(
            output.contains(connector.as_str()),
            "{connector} not named:\n{output}"
        );
    }
    assert!(
        !output.contains("FIXED OTP"),
        "the fixed OTP must be off by default:\n{output}"
    );
    // The catalogue the banner points to answers.
    let cards: Vec<Value> = reqwest::get(format!("http://{}/_sandbox/cards", payorch.sandbox))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!cards.is_empty());
}

#[test]
fn serve_without_a_config_is_an_error_that_says_what_to_do() {
    let mut child = payorch(&["serve"])
        .env("PAYORCH_GRPC__LISTEN", support::free_addr().to_string())
        .env("PAYORCH_HTTP__LISTEN", support::free_addr().to_string())
        .env("PAYORCH_SANDBOX__LISTEN", support::free_addr().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It must exit on its own; a serving process would never do so.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("`payorch serve` without --config kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(2), "{stderr}");
    for hint in [
        "--config",
        "PAYORCH_CONFIG",
        "deploy/payorch.example.toml",
        "payorch demo",
    ] {
        assert!(
            stderr.contains(hint),
            "the error does not mention {hint}: {stderr}"
        );
    }
    assert!(!String::from_utf8_lossy(&output.stdout).contains("payorch serving"));
}

#[test]
fn help_lists_the_connectors() {
    for args in [&["--help"][..], &["demo", "--help"][..]] {
        let output = payorch(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&output.stdout);
        for connector in ConnectorId::ALL {
            assert!(
                help.contains(connector.as_str()),
                "{args:?} does not list {connector}:\n{help}"
            );
        }
    }
    // demo refuses a connector that does not exist, naming the ones that do.
    let output = payorch(&["demo", "--connector", "paypal"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("fiserv-ipg"), "{stderr}");
}

#[test]
fn a_fixed_otp_that_is_not_six_digits_is_refused_at_start_up() {
    let output = payorch(&[])
        .env("PAYORCH_GRPC__LISTEN", support::free_addr().to_string())
        .env("PAYORCH_HTTP__LISTEN", support::free_addr().to_string())
        .env("PAYORCH_SANDBOX__LISTEN", support::free_addr().to_string())
        .env("PAYORCH_SANDBOX__FIXED_OTP", "12ab56")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("six digits"), "{stdout}");
}

#[tokio::test]
async fn a_fixed_otp_with_a_leading_zero_keeps_it() {
    let mut payorch = Binary::spawn(&[("PAYORCH_SANDBOX__FIXED_OTP", "012345")]);
    payorch.wait_until_serving().await;
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/ghz/start-authentication.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut message = config["data"].clone();
    message["idempotency_key"] = Value::String("startup-leading-zero".into());
    let started = support::authentications(payorch.grpc)
        .await
        .start_authentication(examples::start_authentication(&message).unwrap())
        .await
        .unwrap()
        .into_inner();
    let hook: Value = reqwest::get(format!(
        "http://{}/_sandbox/otp/cybersource/{}",
        payorch.sandbox, started.provider_reference
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(hook["otp"], "012345", "{hook}");
}

/// `[connectors.fiserv-ipg]` cannot be spelled in an environment variable's name:
/// `PAYORCH_CONNECTORS__FISERV_IPG__API_SECRET` sets it (it once stopped start-up with a
/// duplicate field). A secret the sandbox does not know makes Fiserv refuse the credentials,
/// which shows the variable was read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fiserv_ipg_secret_can_come_from_the_environment() {
    let mut payorch = Binary::spawn(&[(
        "PAYORCH_CONNECTORS__FISERV_IPG__API_SECRET",
        "not-the-sandbox-secret",
    )]);
    payorch.wait_until_serving().await;
    let mut auth = support::authentications(payorch.grpc).await;
    let pinned = |connector: &str| {
        let mut request =
            support::flows::start_request(support::flows::SEAMLESS, FlowPreference::Seamless);
        request.connector = connector.to_owned();
        request
    };
    let refused = auth
        .start_authentication(pinned("fiserv-ipg"))
        .await
        .unwrap_err();
    assert_eq!(
        support::reason(&refused),
        "PROVIDER_CREDENTIALS_REFUSED",
        "{refused:?}"
    );
    let started = auth
        .start_authentication(pinned("cybersource"))
        .await
        .unwrap()
        .into_inner();
    assert!(!started.id.is_empty());
}
