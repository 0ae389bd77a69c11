//! The independent client: the official Cybersource Python SDK (PyPI
//! `cybersource-rest-client-python`, pointed at the simulator with `IntermediateHost`)
//! enrolls and validates, and the simulator verifies its HTTP signatures.
//!
//! Needs the virtual environment of `tests/sdk/setup.sh`; the interpreter is taken from
//! `PAYORCH_CYBERSOURCE_SDK_PYTHON`, else `<workspace>/target/cybersource-sdk-venv/bin/python`.
//! `./scripts/test` creates it; without it the test fails, it never skips.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::{Value, json};

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

/// Every answer shape of the simulator, held to the SDK model that documents it
/// (`tests/sdk/cybersource_shapes.py`): a field the model does not define fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_shape_is_documented_by_the_sdk_models() {
    let Some(python) = interpreter() else {
        panic!(
            "the Cybersource SDK venv is missing: run ./scripts/test (or crates/sandbox/tests/sdk/setup.sh)"
        );
    };
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let mut cases: Vec<Value> = Vec::new();
    let mut case = |label: &str, model: &str, body: &Value| {
        cases.push(json!({"label": label, "model": model, "body": body}));
    };
    const ENROLL: &str = "RiskV1AuthenticationsPost201Response";
    const VALIDATE: &str = "RiskV1AuthenticationResultsPost201Response";

    // Payer authentication: seamless (enrollment, resend, wrong and right OTP), redirect,
    // not enrolled.
    let (_, e) = cs.enroll(SEAMLESS).await;
    case("enrollment.seamless", ENROLL, &e);
    let (id, ctx) = seamless_ids(&e);
    let (_, r) = cs.resend(SEAMLESS, &id).await;
    case("enrollment.resend", ENROLL, &r);
    let code = otp(addr, "cybersource", &id).await;
    let (_, w) = cs.validate_otp(&id, &ctx, &wrong(&code)).await;
    case("validation.wrong_otp", VALIDATE, &w);
    let (_, v) = cs.validate_otp(&id, &ctx, &code).await;
    case("validation.seamless", VALIDATE, &v);
    let (_, e) = cs.enroll(REDIRECT).await;
    case("enrollment.redirect", ENROLL, &e);
    let (_, e) = cs.enroll(NOT_ENROLLED).await;
    case("enrollment.not_enrolled", ENROLL, &e);

    // Payments: authorization, sale, decline, and the follow-ons.
    let amount = json!({"clientReferenceInformation": {"code": "ORD1"}, "orderInformation": {"amountDetails": {"totalAmount": "40.00", "currency": "INR"}}});
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, auth) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), false)
        .await;
    case("authorization", "PtsV2PaymentsPost201Response", &auth);
    let auth_id = auth["id"].as_str().expect("id").to_owned();
    let (_, capture) = cs
        .post(&format!("/pts/v2/payments/{auth_id}/captures"), &amount)
        .await;
    case("capture", "PtsV2PaymentsCapturesPost201Response", &capture);
    let capture_id = capture["id"].as_str().expect("id").to_owned();
    let (_, refund) = cs
        .post(&format!("/pts/v2/captures/{capture_id}/refunds"), &amount)
        .await;
    case(
        "refund.capture",
        "PtsV2PaymentsRefundPost201Response",
        &refund,
    );
    let refund_id = refund["id"].as_str().expect("id").to_owned();
    let (_, void) = cs
        .post(
            &format!("/pts/v2/refunds/{refund_id}/voids"),
            &json!({"clientReferenceInformation": {"code": "ORD1"}}),
        )
        .await;
    case("void.refund", "PtsV2PaymentsVoidsPost201Response", &void);
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, sale) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), true)
        .await;
    case("sale", "PtsV2PaymentsPost201Response", &sale);
    let sale_id = sale["id"].as_str().expect("id").to_owned();
    let (_, refund) = cs
        .post(&format!("/pts/v2/payments/{sale_id}/refunds"), &amount)
        .await;
    case("refund.sale", "PtsV2PaymentsRefundPost201Response", &refund);
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, other) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), false)
        .await;
    let other_id = other["id"].as_str().expect("id").to_owned();
    let (_, reversal) = cs
        .post(
            &format!("/pts/v2/payments/{other_id}/reversals"),
            &json!({"clientReferenceInformation": {"code": "ORD1"}, "reversalInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}}}),
        )
        .await;
    case(
        "reversal",
        "PtsV2PaymentsReversalsPost201Response",
        &reversal,
    );
    let (_, declined) = cs.authorize(DECLINE_51, json!({}), false).await;
    case(
        "authorization.declined",
        "PtsV2PaymentsPost201Response",
        &declined,
    );

    // Reads: Transaction Details of every kind, and Transaction Search.
    for (label, id) in [
        ("details.authorization", &auth_id),
        ("details.capture", &capture_id),
        ("details.refund", &refund_id),
        ("details.sale", &sale_id),
        ("details.reversed", &other_id),
    ] {
        let (_, d) = cs.get(&format!("/tss/v2/transactions/{id}")).await;
        case(label, "TssV2TransactionsGet200Response", &d);
    }
    if let Some(id) = declined["id"].as_str() {
        let (_, d) = cs.get(&format!("/tss/v2/transactions/{id}")).await;
        case("details.declined", "TssV2TransactionsGet200Response", &d);
    }
    let (_, found) = cs
        .post(
            "/tss/v2/searches",
            &json!({"save": false, "name": "n", "timezone": "UTC", "query": "clientReferenceInformation.code:ORD1", "offset": 0, "limit": 100, "sort": "id:asc"}),
        )
        .await;
    case("search", "TssV2TransactionsPost201Response", &found);

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/cybersource_shapes.py");
    let input = serde_json::to_vec(&cases).expect("json");
    let output = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(python)
            .args(["-W", "ignore"])
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        child.stdin.take().expect("stdin").write_all(&input)?;
        child.wait_with_output()
    })
    .await
    .expect("join")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "answers carry fields the SDK models do not define:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("\"undocumented\": 0"), "{stdout}");
}
