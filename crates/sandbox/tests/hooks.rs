//! The `/_sandbox` hooks and fault injection, over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn cards_catalogue_lists_every_behaviour() {
    let addr = start(test_config()).await;
    let (status, cards) = read(
        http()
            .get(format!("http://{addr}/_sandbox/cards"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cards = cards.as_array().expect("array");
    let behaviours: Vec<&str> = cards
        .iter()
        .filter_map(|c| c["behaviour"].as_str())
        .collect();
    for b in [
        "seamless_enrolled",
        "redirect_only",
        "both_flows",
        "not_enrolled",
        "issuer_unavailable",
        "decline_insufficient_funds",
        "decline_expired_card",
        "decline_do_not_honour",
        "standing_instruction",
    ] {
        assert!(behaviours.contains(&b), "{b} missing");
    }
    for c in cards {
        for key in [
            "number",
            "expiry_month",
            "expiry_year",
            "cvv",
            "flows",
            "providers",
        ] {
            assert!(!c[key].is_null(), "{key} missing in {c}");
        }
    }
    assert_eq!(
        cards[0]["providers"],
        json!(["cybersource", "fiserv-ipg", "mpgs", "juspay"])
    );
}

#[tokio::test]
async fn unknown_otp_reference_is_404() {
    let addr = start(test_config()).await;
    let r = http()
        .get(format!("http://{addr}/_sandbox/otp/cybersource/nope"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fixed_otp_for_load_tests() {
    let mut config = test_config();
    config.fixed_otp = Some("123456".into());
    let addr = start(config).await;
    let cs = Cybersource::new(addr);
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, ctx) = seamless_ids(&e);
    assert_eq!(otp(addr, "cybersource", &id).await, "123456");
    let (_, v) = cs.validate_otp(&id, &ctx, "123456").await;
    assert_eq!(v["status"], "AUTHENTICATION_SUCCESSFUL");
}

#[tokio::test]
async fn calls_are_counted_and_reset() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    cs.authenticate(SEAMLESS).await;
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, _) = seamless_ids(&e);
    cs.resend(SEAMLESS, &id).await;
    let (_, calls) = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(calls["cybersource"]["enrollment"], 2);
    assert_eq!(calls["cybersource"]["validation"], 1);
    assert_eq!(calls["cybersource"]["resend"], 1);
    let r = http()
        .delete(format!("http://{addr}/_sandbox/calls"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, calls) = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(calls, json!({}));
}

#[tokio::test]
async fn fault_header_status_skips_processing() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let r = cs
        .request("GET", "/tss/v2/transactions/1", None)
        .header("x-sandbox-fault", "status=503")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (_, calls) = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert!(
        calls.get("cybersource").is_none(),
        "a 5xx fault never reaches the simulator: {calls}"
    );
}

#[tokio::test]
async fn fault_header_latency_delays() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let started = Instant::now();
    let r = cs
        .request("GET", "/tss/v2/transactions/1", None)
        .header("x-sandbox-fault", "latency=200ms")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn malformed_fault_breaks_the_json_after_processing() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let bytes = serde_json::to_vec(&enrollment_body(SEAMLESS)).expect("json");
    let r = cs
        .request("POST", "/risk/v1/authentications", Some(&bytes))
        .header("x-sandbox-fault", "malformed")
        .send()
        .await
        .expect("send");
    let text = r.text().await.expect("text");
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );
    let (_, calls) = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(calls["cybersource"]["enrollment"], 1);
}

#[tokio::test]
async fn drop_fault_cuts_the_answer() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let bytes = serde_json::to_vec(&enrollment_body(SEAMLESS)).expect("json");
    let r = cs
        .request("POST", "/risk/v1/authentications", Some(&bytes))
        .header("x-sandbox-fault", "drop")
        .send()
        .await;
    let body = match r {
        Ok(r) => r.bytes().await,
        Err(e) => Err(e),
    };
    assert!(body.is_err(), "the body must not arrive whole");
}

#[tokio::test]
async fn timeout_fault_withholds_the_answer() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let r = cs
        .request("GET", "/tss/v2/transactions/1", None)
        .header("x-sandbox-fault", "timeout")
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
}

#[tokio::test]
async fn armed_fault_hits_the_next_requests_only() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let r = http()
        .put(format!("http://{addr}/_sandbox/faults"))
        .json(&json!({"connector": "cybersource", "fault": "status=500", "count": 1}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let armed = || async {
        http()
            .get(format!("http://{addr}/_sandbox/faults"))
            .send()
            .await
            .expect("send")
            .json::<serde_json::Value>()
            .await
            .expect("json")
    };
    assert_eq!(armed().await, json!({"cybersource": 1}));
    assert_eq!(
        cs.get("/tss/v2/transactions/1").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(armed().await, json!({}), "taken by that request");
    assert_eq!(
        cs.get("/tss/v2/transactions/1").await.0,
        StatusCode::NOT_FOUND
    );
    let bad = http()
        .put(format!("http://{addr}/_sandbox/faults"))
        .json(&json!({"fault": "explode"}))
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn configured_default_fault_applies_to_providers_not_hooks() {
    let mut config = test_config();
    config.default_fault = Some("status=503".parse().expect("fault"));
    let addr = start(config).await;
    let cs = Cybersource::new(addr);
    assert_eq!(
        cs.get("/tss/v2/transactions/1").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let r = http()
        .get(format!("http://{addr}/_sandbox/health"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
}
