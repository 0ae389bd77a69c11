//! The payer's real browser through the redirect flow of every connector: headless Debian
//! Chromium, driven by Playwright (`tests/browser/payer.py`, installed by `scripts/test`),
//! renders payorch's `next_action.redirect.html` as the merchant's checkout page, which
//! auto-posts to the issuer's page; the payer types the OTP (read from the sandbox's hook, as
//! from an SMS) and submits; the browser follows the auto-posting pages to payorch's callback
//! and its 303 to the merchant's return URL. Then the browser posts the same callback again
//! (back, submit again): it lands on the return URL again, and nothing changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use payorch::api::{self, AuthenticationStatus as AS};
use serde_json::{Value, json};
use support::flows::{self, Stack};
use support::matrix::{self, Profile};

const RETURN_URL: &str = "https://merchant.example/return";

fn payer(spec: &Value) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = format!("{root}/target/browser-venv/bin/python");
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: ./scripts/test installs Chromium and Playwright (ensure_browser)"
    );
    let mut child = Command::new(&python)
        .arg(format!("{root}/tests/browser/payer.py"))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the browser script starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the payer's browser failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn pays_through_the_browser(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let mut auth = stack.auth().await;
    let started = matrix::redirect(&stack).await;
    let Some(api::next_action::Action::Redirect(redirect)) =
        started.next_action.as_ref().and_then(|a| a.action.clone())
    else {
        panic!("no redirect: {started:?}");
    };
    assert!(!redirect.html.is_empty(), "no checkout page to render");
    let otp = stack.otp(&started).await;
    let fields: Vec<(String, String)> = redirect.form_fields.clone().into_iter().collect();
    let spec = json!({
        "url": redirect.url,
        "method": redirect.method,
        "fields": fields,
        "html": redirect.html,
        "otp": otp,
        "return_url_prefix": RETURN_URL,
    });
    let seen = tokio::task::spawn_blocking(move || payer(&spec))
        .await
        .unwrap();
    let connector = profile.connector;

    let landed = seen["landed"].as_str().unwrap_or_default();
    assert!(
        landed.starts_with(&format!("{RETURN_URL}?")),
        "{connector}: landed on {landed}: {seen:#}"
    );
    assert!(
        landed.contains("status=AUTHENTICATION_STATUS_SUCCEEDED")
            && landed.contains(&format!("authentication_id={}", started.id)),
        "{connector}: {landed}"
    );
    assert_eq!(seen["callback_status"], 303, "{connector}: {seen:#}");
    assert!(
        seen["callback_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/v1/callbacks/{}", started.id))),
        "{connector}: {seen:#}"
    );
    assert_eq!(seen["replay_status"], 303, "{connector}: {seen:#}");
    assert_eq!(
        seen["replay_landed"], seen["landed"],
        "{connector}: the replayed callback lands where the first did"
    );
    // What a real issuer page shows the payer, and the sandbox's hint.
    let acs = seen["acs_text"].as_str().unwrap_or_default();
    let last4 = &flows::REDIRECT_ONLY[flows::REDIRECT_ONLY.len() - 4..];
    for shown in [
        "Merchant",
        "INR 100.00",
        &format!("\u{2022}\u{2022}\u{2022}\u{2022} {last4}"),
        " attempt(s) left; ",
        "Resend OTP",
        "Cancel",
        &format!("/_sandbox/otp/{connector}/"),
    ] {
        assert!(
            acs.contains(shown),
            "{connector}: the ACS page lacks {shown:?}:\n{acs}"
        );
    }
    assert!(
        !acs.contains(&otp),
        "{connector}: the ACS page shows the OTP"
    );

    let calls = stack.total_calls().await;
    let stored = flows::eventually_status(&mut auth, &started.id).await;
    assert_eq!(stored.status(), AS::Succeeded, "{connector}: {stored:?}");
    assert_eq!(
        stack.total_calls().await,
        calls,
        "{connector}: reading the authentication back calls no provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payer_completes_the_redirect_flow_in_chromium_on_every_connector() {
    for profile in &matrix::EVERY {
        pays_through_the_browser(profile).await;
    }
}
