//! The Juspay Express Checkout simulator over real HTTP, driven like a merchant server:
//! form-encoded bodies, Basic auth with the API key, `x-merchantid` and `version` headers.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use payorch_sandbox::SandboxConfig;
use payorch_sandbox::providers::juspay::redirect;
use reqwest::StatusCode;
use serde_json::Value;

const KEY: &str = "payorch_sandbox_juspay_key";
const MERCHANT: &str = "payorch";

const SEAMLESS: &str = "5085000000000015";
const REDIRECT: &str = "5085100000000021";
const BOTH: &str = "5085200000000037";
const NOT_ENROLLED: &str = "6070000000000069";
const UNAVAILABLE: &str = "6071000000000076";
const DECLINE_51: &str = "6072000000000083";
const DECLINE_54: &str = "6521500000000097";
const DECLINE_05: &str = "6521600000000012";

async fn start(config: SandboxConfig) -> SocketAddr {
    payorch_sandbox::spawn("127.0.0.1:0".parse().expect("addr"), config)
        .await
        .expect("sandbox starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn new_order_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "ord{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// A merchant server talking to the simulator.
struct Juspay {
    addr: SocketAddr,
    http: reqwest::Client,
    authorization: String,
    merchant: String,
}

impl Juspay {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            http: http(),
            authorization: format!("Basic {}", STANDARD.encode(format!("{KEY}:"))),
            merchant: MERCHANT.into(),
        }
    }

    fn with_authorization(addr: SocketAddr, authorization: String) -> Self {
        Self {
            addr,
            http: http(),
            authorization,
            merchant: MERCHANT.into(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("http://{}/juspay{path}", self.addr))
            .header("authorization", &self.authorization)
            .header("x-merchantid", &self.merchant)
            .header("version", "2019-05-07")
            .header("x-routing-id", "customer_1122")
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        read(
            self.request(reqwest::Method::POST, path)
                .form(form)
                .send()
                .await
                .expect("send"),
        )
        .await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(
            self.request(reqwest::Method::GET, path)
                .send()
                .await
                .expect("send"),
        )
        .await
    }

    /// Creates an order of 100.00 INR with `extra` fields; returns its id.
    async fn order(&self, extra: &[(&str, &str)]) -> String {
        let order_id = new_order_id();
        let mut form = vec![
            ("order_id", order_id.as_str()),
            ("amount", "100.00"),
            ("currency", "INR"),
            ("customer_id", "cust_1"),
            ("ip_address", "127.0.0.1"),
            ("user_agent", "Chrome"),
        ];
        form.extend_from_slice(extra);
        let (status, v) = self.post("/orders", &form).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "NEW");
        assert_eq!(v["order_id"], order_id.as_str());
        order_id
    }

    async fn txn(&self, order_id: &str, card: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form = vec![
            ("order_id", order_id),
            ("merchant_id", MERCHANT),
            ("payment_method_type", "CARD"),
            ("payment_method", "RUPAY"),
            ("card_number", card),
            ("card_exp_month", "12"),
            ("card_exp_year", "31"),
            ("card_security_code", "123"),
            ("name_on_card", "Test"),
            ("save_to_locker", "false"),
            ("format", "json"),
            ("auth_type", "OTP"),
        ];
        form.extend_from_slice(extra);
        self.post("/txns", &form).await
    }

    /// Order + Direct OTP txn on `card`; returns (order_id, txn answer).
    async fn direct_otp(&self, card: &str, order_extra: &[(&str, &str)]) -> (String, Value) {
        let order_id = self.order(order_extra).await;
        let (status, v) = self.txn(&order_id, card, &[]).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        (order_id, v)
    }

    async fn submit(&self, txn: &Value, otp: &str) -> (StatusCode, Value) {
        let uuid = s(&txn["txn_uuid"]);
        let challenge = s(&txn["payment"]["authentication"]["params"]["challenge_id"]);
        self.post(
            &format!("/v2/txns/{uuid}/authenticate"),
            &[("challenge_id", challenge), ("answer.otp", otp)],
        )
        .await
    }

    async fn resend(&self, txn: &Value) -> (StatusCode, Value) {
        let uuid = s(&txn["txn_uuid"]);
        let challenge = s(&txn["payment"]["authentication"]["params"]["challenge_id"]);
        self.post(
            &format!("/v2/txns/{uuid}/authenticate/{challenge}/resend"),
            &[],
        )
        .await
    }

    async fn otp(&self, txn_uuid: &str) -> String {
        let url = format!("http://{}/_sandbox/otp/juspay/{txn_uuid}", self.addr);
        let (status, v) = read(self.http.get(url).send().await.expect("send")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        s(&v["otp"]).to_owned()
    }

    /// Direct OTP with the right code; returns (order_id, txn_uuid, answer).
    async fn pay(&self, card: &str, order_extra: &[(&str, &str)]) -> (String, String, Value) {
        let (order_id, txn) = self.direct_otp(card, order_extra).await;
        let uuid = s(&txn["txn_uuid"]).to_owned();
        let code = self.otp(&uuid).await;
        let (status, v) = self.submit(&txn, &code).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        (order_id, uuid, v)
    }
}

fn wrong(otp: &str) -> &'static str {
    if otp == "000000" { "111111" } else { "000000" }
}

fn error_of(v: &Value) -> (&str, &str) {
    (s(&v["status"]), s(&v["error_code"]))
}

#[tokio::test]
async fn direct_otp_success_charges_the_order() {
    let addr = start(SandboxConfig::default()).await;
    let jp = Juspay::new(addr);
    let (order_id, txn) = jp
        .direct_otp(SEAMLESS, &[("udf1", "x"), ("some_unknown_field", "y")])
        .await;
    assert_eq!(txn["status"], "PENDING_VBV");
    assert_eq!(txn["order_id"], order_id.as_str());
    let uuid = s(&txn["txn_uuid"]).to_owned();
    assert!(uuid.starts_with("eul"), "{txn}");
    assert_eq!(txn["txn_id"], format!("{MERCHANT}-{order_id}-1"));
    let auth = &txn["payment"]["authentication"];
    assert_eq!(auth["method"], "POST");
    assert_eq!(
        auth["url"],
        format!("http://{addr}/juspay/v2/txns/{uuid}/authenticate")
    );
    let p = &auth["params"];
    assert_eq!(p["id"], uuid.as_str());
    assert!(s(&p["challenge_id"]).starts_with("ch_"));
    assert_eq!(p["auth_type"], "OTP");
    assert_eq!(p["card_isin"], "508500");
    assert!(p["card_issuer_bank_name"].is_string());
    assert_eq!(p["submit_otp_allowed"], true);
    assert_eq!(p["resend_otp_allowed"], true);
    assert_eq!(p["times_otp_sent"], "1");
    assert_eq!(p["max_otp_send_limit"], "4");
    assert_eq!(p["current_attempt"], "1");
    assert_eq!(p["max_attempts"], "4");
    assert!(s(&p["fallback_url"]).contains(&format!("/v2/pay/start/guest/{uuid}")));

    let code = jp.otp(&uuid).await;
    let (status, done) = jp.submit(&txn, &code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["status"], "CHARGED", "{done}");
    assert_eq!(done["status_id"], 21);
    // A repeated submit reports the same outcome without charging twice.
    let (_, again) = jp.submit(&txn, &code).await;
    assert_eq!(again["status"], "CHARGED");

    let (status, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order["status"], "CHARGED");
    assert_eq!(order["txn_uuid"], uuid.as_str());
    assert_eq!(order["amount"], 100.0);
    assert_eq!(order["currency"], "INR");
    assert_eq!(order["customer_id"], "cust_1");
    assert_eq!(order["udf1"], "x");
    assert_eq!(order["auth_type"], "OTP");
    assert_eq!(order["payment_method"], "RUPAY");
    assert_eq!(order["card"]["last_four_digits"], "0015");
    assert_eq!(order["payment_gateway_response"]["resp_code"], "00");
    assert_eq!(order["txn_detail"]["status"], "CHARGED");
    assert_eq!(order["refunded"], false);

    let calls = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("send"),
    )
    .await
    .1;
    assert_eq!(calls["juspay"]["txn"], 1);
    assert_eq!(calls["juspay"]["authenticate"], 2);
    assert_eq!(calls["juspay"]["order_create"], 1);
    assert_eq!(calls["juspay"]["order_status"], 1);
}

#[tokio::test]
async fn wrong_otp_then_right_one() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    let (_, txn) = jp.direct_otp(SEAMLESS, &[]).await;
    let code = jp.otp(s(&txn["txn_uuid"])).await;
    let (status, v) = jp.submit(&txn, wrong(&code)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "PENDING_VBV", "{v}");
    assert_eq!(v["bank_error_code"], "450");
    let p = &v["payment"]["authentication"]["params"];
    assert_eq!(p["current_attempt"], "2");
    assert_eq!(p["submit_otp_allowed"], true);
    let (_, v) = jp.submit(&txn, &code).await;
    assert_eq!(v["status"], "CHARGED", "{v}");
}

#[tokio::test]
async fn attempts_exhausted_fail_authentication() {
    let mut config = SandboxConfig::default();
    config.juspay.otp.max_attempts = 2;
    let jp = Juspay::new(start(config).await);
    let (order_id, txn) = jp.direct_otp(SEAMLESS, &[]).await;
    assert_eq!(
        txn["payment"]["authentication"]["params"]["max_attempts"],
        "2"
    );
    let code = jp.otp(s(&txn["txn_uuid"])).await;
    let (_, v) = jp.submit(&txn, wrong(&code)).await;
    assert_eq!(v["status"], "PENDING_VBV");
    assert_eq!(
        v["payment"]["authentication"]["params"]["current_attempt"],
        "2"
    );
    let (_, v) = jp.submit(&txn, wrong(&code)).await;
    assert_eq!(v["status"], "AUTHENTICATION_FAILED", "{v}");
    assert_eq!(v["bank_error_code"], "452");
    let (_, v) = jp.submit(&txn, &code).await;
    assert_eq!(
        v["status"], "AUTHENTICATION_FAILED",
        "the right code no longer helps"
    );
    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["status"], "AUTHENTICATION_FAILED");
    assert_eq!(order["bank_error_code"], "452");
    // A new payment attempt on the same order is allowed after a failure.
    let (status, retry) = jp.txn(&order_id, SEAMLESS, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(retry["status"], "PENDING_VBV");
    assert_eq!(retry["txn_id"], format!("{MERCHANT}-{order_id}-2"));
}

#[tokio::test]
async fn resend_replaces_the_otp_up_to_the_limit() {
    let mut config = SandboxConfig::default();
    config.juspay.otp.max_resends = 1;
    let jp = Juspay::new(start(config).await);
    let (_, txn) = jp.direct_otp(SEAMLESS, &[]).await;
    let uuid = s(&txn["txn_uuid"]).to_owned();
    assert_eq!(
        txn["payment"]["authentication"]["params"]["max_otp_send_limit"],
        "2"
    );
    let first = jp.otp(&uuid).await;
    let (status, v) = jp.resend(&txn).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "PENDING_VBV");
    let p = &v["payment"]["authentication"]["params"];
    assert_eq!(p["times_otp_sent"], "2");
    assert_eq!(p["resend_otp_allowed"], false);
    assert_eq!(
        p["challenge_id"],
        txn["payment"]["authentication"]["params"]["challenge_id"]
    );
    let second = jp.otp(&uuid).await;

    let (status, v) = jp.resend(&txn).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["status"], "Invalid Request");
    assert_eq!(v["error_code"], "max_limit_exceeded");
    assert_eq!(v["error_message"], "Max OTP send limit exceeded.");

    if first != second {
        let (_, v) = jp.submit(&txn, &first).await;
        assert_eq!(
            v["bank_error_code"], "450",
            "the replaced OTP no longer works"
        );
    }
    let (_, v) = jp.submit(&txn, &second).await;
    assert_eq!(v["status"], "CHARGED", "{v}");
    let (status, v) = jp.resend(&txn).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn expired_otp_fails_authentication() {
    let mut config = SandboxConfig::default();
    config.juspay.otp.validity = Duration::from_millis(200);
    let jp = Juspay::new(start(config).await);
    let (order_id, txn) = jp.direct_otp(SEAMLESS, &[]).await;
    let code = jp.otp(s(&txn["txn_uuid"])).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, v) = jp.submit(&txn, &code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "AUTHENTICATION_FAILED", "{v}");
    assert_eq!(v["bank_error_code"], "451");
    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["status"], "AUTHENTICATION_FAILED");
}

/// Completes an ACS page with `form` (JSON answer); returns the return step.
async fn acs_submit(url: &str, form: &[(&str, &str)]) -> Value {
    let (status, page) = (http().get(url).send().await.expect("open"))
        .status_and_text()
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<form"), "{page}");
    let (status, v) = read(
        http()
            .post(format!("{url}/submit"))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("submit"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

trait StatusAndText {
    async fn status_and_text(self) -> (StatusCode, String);
}

impl StatusAndText for reqwest::Response {
    async fn status_and_text(self) -> (StatusCode, String) {
        let status = self.status();
        (status, self.text().await.unwrap_or_default())
    }
}

fn field<'a>(ret: &'a Value, name: &str) -> &'a str {
    s(&ret["fields"][name])
}

fn assert_signed(ret: &Value) {
    let params: Vec<(String, String)> = ["order_id", "status", "status_id"]
        .iter()
        .map(|k| ((*k).to_owned(), field(ret, k).to_owned()))
        .collect();
    assert_eq!(field(ret, "signature"), redirect::sign(KEY, &params));
    assert_eq!(field(ret, "signature_algorithm"), "HMAC-SHA256");
}

#[tokio::test]
async fn redirect_only_card_falls_back_to_3ds_through_the_acs_page() {
    let addr = start(SandboxConfig::default()).await;
    let jp = Juspay::new(addr);
    let order_id = jp
        .order(&[("return_url", "https://merchant.example/return")])
        .await;
    let (status, txn) = jp.txn(&order_id, REDIRECT, &[]).await;
    assert_eq!(status, StatusCode::OK, "{txn}");
    assert_eq!(txn["status"], "PENDING_VBV");
    let uuid = s(&txn["txn_uuid"]).to_owned();
    let auth = &txn["payment"]["authentication"];
    assert_eq!(auth["method"], "GET");
    let url = s(&auth["url"]).to_owned();
    assert_eq!(url, format!("http://{addr}/_sandbox/acs/juspay/{uuid}"));
    // No Direct OTP step on this transaction.
    let challenge = "ch_none";
    let (status, v) = jp
        .post(
            &format!("/v2/txns/{uuid}/authenticate"),
            &[("challenge_id", challenge), ("answer.otp", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    let code = jp.otp(&uuid).await;
    let ret = acs_submit(&url, &[("otp", code.as_str())]).await;
    assert_eq!(ret["status"], "complete");
    assert_eq!(ret["action"], "https://merchant.example/return");
    assert_eq!(field(&ret, "order_id"), order_id);
    assert_eq!(field(&ret, "status"), "CHARGED");
    assert_eq!(field(&ret, "status_id"), "21");
    assert_signed(&ret);

    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["status"], "CHARGED");
    assert_eq!(order["auth_type"], "THREE_DS");
    assert_eq!(order["txn_detail"]["redirect"], true);
}

#[tokio::test]
async fn standard_3ds_request_and_cancel_on_the_acs_page() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    let order_id = jp
        .order(&[("return_url", "https://merchant.example/r")])
        .await;
    // Without auth_type=OTP the merchant asks for the 3DS page, even on a both-flows card.
    let form = [("auth_type", "THREE_DS")];
    let (_, txn) = jp.txn(&order_id, BOTH, &form).await;
    assert_eq!(txn["payment"]["authentication"]["method"], "GET", "{txn}");
    let ret = acs_submit(
        s(&txn["payment"]["authentication"]["url"]),
        &[("action", "cancel")],
    )
    .await;
    assert_eq!(field(&ret, "status"), "AUTHENTICATION_FAILED");
    assert_eq!(field(&ret, "status_id"), "26");
    assert_signed(&ret);
    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["status"], "AUTHENTICATION_FAILED");
    assert_eq!(order["bank_error_code"], "ACCU200");
}

#[tokio::test]
async fn fallback_url_sends_a_direct_otp_payer_to_the_acs_page() {
    let addr = start(SandboxConfig::default()).await;
    let jp = Juspay::new(addr);
    let (order_id, txn) = jp
        .direct_otp(SEAMLESS, &[("return_url", "https://merchant.example/r")])
        .await;
    let uuid = s(&txn["txn_uuid"]).to_owned();
    let fallback = s(&txn["payment"]["authentication"]["params"]["fallback_url"]).to_owned();
    // A browser follows it: no API key.
    let response = http().get(&fallback).send().await.expect("fallback");
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(
        location,
        format!("http://{addr}/_sandbox/acs/juspay/{uuid}")
    );
    let code = jp.otp(&uuid).await;
    let ret = acs_submit(&location, &[("otp", code.as_str())]).await;
    assert_eq!(field(&ret, "status"), "CHARGED");
    assert_eq!(field(&ret, "order_id"), order_id);
}

#[tokio::test]
async fn not_enrolled_and_issuer_unavailable_fail_authentication() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    for (card, code) in [(NOT_ENROLLED, "410"), (UNAVAILABLE, "412")] {
        let order_id = jp.order(&[]).await;
        let (status, v) = jp.txn(&order_id, card, &[]).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "AUTHENTICATION_FAILED", "{v}");
        assert_eq!(v["bank_error_code"], code);
        assert!(v.get("payment").is_none());
        let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
        assert_eq!(order["status"], "AUTHENTICATION_FAILED");
        assert_eq!(order["status_id"], 26);
        assert_eq!(order["bank_error_code"], code);
    }
}

#[tokio::test]
async fn issuer_declines_are_authorization_failed_with_the_bank_code() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    for (card, code, message) in [
        (DECLINE_51, "51", "Insufficient funds"),
        (DECLINE_54, "54", "Expired card"),
        (DECLINE_05, "05", "Do not honour"),
    ] {
        let (order_id, _, v) = jp.pay(card, &[]).await;
        assert_eq!(v["status"], "AUTHORIZATION_FAILED", "{v}");
        assert_eq!(v["status_id"], 27);
        assert_eq!(v["bank_error_code"], code);
        assert_eq!(v["bank_error_message"], message);
        let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
        assert_eq!(order["status"], "AUTHORIZATION_FAILED");
        assert_eq!(order["bank_error_code"], code);
        assert_eq!(order["payment_gateway_response"]["resp_code"], code);
    }
}

#[tokio::test]
async fn expired_card_is_juspay_declined() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    let order_id = jp.order(&[]).await;
    let form = [
        ("order_id", order_id.as_str()),
        ("merchant_id", MERCHANT),
        ("payment_method_type", "CARD"),
        ("card_number", SEAMLESS),
        ("card_exp_month", "01"),
        ("card_exp_year", "20"),
        ("card_security_code", "123"),
        ("format", "json"),
        ("auth_type", "OTP"),
    ];
    let (status, v) = jp.post("/txns", &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "JUSPAY_DECLINED", "{v}");
    assert_eq!(v["status_id"], 22);
}

#[tokio::test]
async fn authorize_only_then_partial_capture_and_idempotent_refunds() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    let (order_id, uuid, v) = jp
        .pay(SEAMLESS, &[("metadata.txns.auto_capture", "false")])
        .await;
    assert_eq!(v["status"], "AUTHORIZED", "{v}");
    // Nothing to refund before capture.
    let (status, _) = jp
        .post(
            &format!("/orders/{order_id}/refunds"),
            &[("unique_request_id", "r0"), ("amount", "1.00")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, v) = jp
        .post(&format!("/v2/txns/{uuid}/capture"), &[("amount", "60.00")])
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "CHARGED");
    assert_eq!(v["txn_detail"]["captured_amount"], 60.0);
    let (status, v) = jp.post(&format!("/v2/txns/{uuid}/void"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&v), ("invalid_request_error", "invalid"));
    assert_eq!(v["error_message"], "Cannot Void CHARGED Transaction");

    let refund = [("unique_request_id", "r1"), ("amount", "20.00")];
    let (status, v) = jp
        .post(&format!("/orders/{order_id}/refunds"), &refund)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["refunds"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["refunds"][0]["status"], "PENDING");
    assert_eq!(v["refunds"][0]["unique_request_id"], "r1");
    assert_eq!(v["refunds"][0]["amount"], 20.0);
    let (status, v) = jp
        .post(&format!("/orders/{order_id}/refunds"), &refund)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v["refunds"].as_array().map(Vec::len),
        Some(1),
        "same unique_request_id, no second refund"
    );
    assert_eq!(v["amount_refunded"], 20.0);
    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["refunds"][0]["status"], "SUCCESS");
    assert_eq!(order["refunded"], true);
    assert_eq!(order["status"], "CHARGED");
    // 60 captured, 20 refunded: 41 more is too much, 40 is fine.
    let (status, v) = jp
        .post(
            &format!("/orders/{order_id}/refunds"),
            &[("unique_request_id", "r2"), ("amount", "41.00")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = jp
        .post(
            &format!("/orders/{order_id}/refunds"),
            &[("unique_request_id", "r2"), ("amount", "40.00")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["amount_refunded"], 60.0);
}

#[tokio::test]
async fn void_an_authorization_and_refuse_capture_afterwards() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    let (order_id, uuid, v) = jp
        .pay(SEAMLESS, &[("metadata.txns.auto_capture", "false")])
        .await;
    assert_eq!(v["status"], "AUTHORIZED");
    let (status, v) = jp.post(&format!("/v2/txns/{uuid}/void"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "VOIDED");
    let (status, v) = jp.post(&format!("/v2/txns/{uuid}/capture"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error_message"], "Cannot Capture VOIDED Transaction");
    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["status"], "VOIDED");
    // Capture of a full authorization.
    let (_, uuid, _) = jp.pay(SEAMLESS, &[("auto_capture", "false")]).await;
    let (_, v) = jp.post(&format!("/v2/txns/{uuid}/capture"), &[]).await;
    assert_eq!(v["status"], "CHARGED");
    assert_eq!(v["txn_detail"]["captured_amount"], 100.0);
}

#[tokio::test]
async fn basic_auth_with_and_without_the_trailing_colon() {
    let addr = start(SandboxConfig::default()).await;
    let with_colon = Juspay::with_authorization(
        addr,
        format!("Basic {}", STANDARD.encode(format!("{KEY}:"))),
    );
    let without = Juspay::with_authorization(addr, format!("Basic {}", STANDARD.encode(KEY)));
    let order_id = with_colon.order(&[]).await;
    let (status, v) = without.get(&format!("/orders/{order_id}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "NEW");
    // reqwest's own basic_auth (what many merchant clients use).
    let (status, _) = read(
        http()
            .get(format!("http://{addr}/juspay/orders/{order_id}"))
            .basic_auth(KEY, Some(""))
            .header("x-routing-id", "customer_1122")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_credentials_are_access_denied() {
    let addr = start(SandboxConfig::default()).await;
    let order_id = Juspay::new(addr).order(&[]).await;
    let path = format!("/orders/{order_id}");
    for authorization in [
        format!("Basic {}", STANDARD.encode("wrong_key:")),
        format!("Basic {}", STANDARD.encode(format!("{KEY}:password"))),
        format!("Bearer {KEY}"),
    ] {
        let (status, v) = Juspay::with_authorization(addr, authorization)
            .get(&path)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(v["status"], "error");
        assert_eq!(v["error_code"], "access_denied");
        assert_eq!(v["error_message"], "Invalid Authentication");
    }
    let (status, _) = read(
        http()
            .get(format!("http://{addr}/juspay{path}"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no credentials");
    let jp = Juspay::new(addr);
    let (status, v) = read(
        jp.http
            .get(format!("http://{addr}/juspay{path}"))
            .header("authorization", &jp.authorization)
            .header("x-merchantid", "someone_else")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error_code"], "access_denied");
    let calls = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("send"),
    )
    .await
    .1;
    assert_eq!(calls["juspay"]["unauthenticated"], 5);
}

/// Juspay's API reference marks `x-routing-id` required on every call.
#[tokio::test]
async fn requests_without_a_routing_id_are_refused() {
    let addr = start(SandboxConfig::default()).await;
    let jp = Juspay::new(addr);
    for routing in [None, Some(" ")] {
        let mut request = jp
            .http
            .post(format!("http://{addr}/juspay/orders"))
            .header("authorization", &jp.authorization)
            .header("x-merchantid", MERCHANT)
            .header("version", "2019-05-07");
        if let Some(value) = routing {
            request = request.header("x-routing-id", value);
        }
        let (status, v) = read(
            request
                .form(&[("order_id", "o_routing"), ("amount", "1.00")])
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{routing:?}");
        assert_eq!(error_of(&v), ("invalid_request_error", "invalid_request"));
        assert!(s(&v["error_message"]).contains("x-routing-id"), "{v}");
    }
    let (status, _) = jp.get("/orders/o_routing").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no order was created");
}

#[tokio::test]
async fn missing_and_invalid_fields_are_invalid_request_errors() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    let (status, v) = jp
        .post("/orders", &[("order_id", "o_missing_amount")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&v), ("invalid_request_error", "invalid_request"));
    assert!(s(&v["error_message"]).contains("amount"), "{v}");

    let order_id = jp.order(&[]).await;
    let form = [
        ("order_id", order_id.as_str()),
        ("merchant_id", MERCHANT),
        ("payment_method_type", "CARD"),
        ("card_exp_month", "12"),
        ("card_exp_year", "31"),
        ("format", "json"),
        ("auth_type", "OTP"),
    ];
    let (status, v) = jp.post("/txns", &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["status"], "invalid_request_error");
    let message = s(&v["error_message"]);
    assert!(
        message.contains("card_number") && message.contains("card_security_code"),
        "{v}"
    );

    for (name, value) in [
        ("card_number", "5085000000000016"),
        ("card_exp_year", "2031"),
        ("card_exp_month", "13"),
        ("merchant_id", "someone_else"),
        ("payment_method_type", "NB"),
    ] {
        let (status, v) = jp.txn(&order_id, SEAMLESS, &[(name, value)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}={value}: {v}");
        assert_eq!(error_of(&v), ("invalid_request_error", "invalid"), "{name}");
    }
    let (status, v) = jp.txn("no_such_order", SEAMLESS, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    let (status, v) = jp.get("/orders/no_such_order").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["status"], "invalid_request_error");
    let (status, _) = jp
        .post(
            "/v2/txns/eulnosuchtxn/authenticate",
            &[("challenge_id", "ch_x"), ("answer.otp", "123456")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = jp.post("/v2/txns/eulnosuchtxn/capture", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Wrong challenge id, and a submit without the OTP.
    let (_, txn) = jp.txn(&order_id, SEAMLESS, &[]).await;
    let uuid = s(&txn["txn_uuid"]);
    let (status, v) = jp
        .post(
            &format!("/v2/txns/{uuid}/authenticate"),
            &[("challenge_id", "ch_wrong"), ("answer.otp", "123456")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error_message"], "Invalid challenge_id");
    let challenge = s(&txn["payment"]["authentication"]["params"]["challenge_id"]);
    let (status, v) = jp
        .post(
            &format!("/v2/txns/{uuid}/authenticate"),
            &[("challenge_id", challenge)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(s(&v["error_message"]).contains("answer.otp"), "{v}");
}

#[tokio::test]
async fn paid_order_refuses_a_second_payment() {
    let jp = Juspay::new(start(SandboxConfig::default()).await);
    let (order_id, _, v) = jp.pay(SEAMLESS, &[]).await;
    assert_eq!(v["status"], "CHARGED");
    let (status, v) = jp.txn(&order_id, SEAMLESS, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    // Re-creating the order is refused once a payment was attempted.
    let (status, _) = jp
        .post(
            "/orders",
            &[("order_id", order_id.as_str()), ("amount", "5.00")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn concurrent_submits_charge_exactly_once() {
    let addr = start(SandboxConfig::default()).await;
    let jp = std::sync::Arc::new(Juspay::new(addr));
    let (order_id, txn) = jp.direct_otp(SEAMLESS, &[]).await;
    let code = jp.otp(s(&txn["txn_uuid"])).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (jp, txn, code) = (jp.clone(), txn.clone(), code.clone());
            tokio::spawn(async move { jp.submit(&txn, &code).await })
        })
        .collect();
    for task in tasks {
        let (status, v) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["status"], "CHARGED", "{v}");
    }
    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["status"], "CHARGED");
    let calls = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("send"),
    )
    .await
    .1;
    assert_eq!(calls["juspay"]["authenticate"], 20);
}

#[tokio::test]
async fn faults_apply_to_juspay_and_json_bodies_are_accepted() {
    let addr = start(SandboxConfig::default()).await;
    let jp = Juspay::new(addr);
    let (status, _) = read(
        jp.request(reqwest::Method::GET, "/orders/anything")
            .header("x-sandbox-fault", "status=503")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    let order_id = new_order_id();
    let body = serde_json::json!({
        "order_id": order_id,
        "amount": 10.5,
        "metadata": {"txns": {"auto_capture": false}},
    });
    let (status, v) = read(
        jp.request(reqwest::Method::POST, "/orders")
            .json(&body)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, order) = jp.get(&format!("/orders/{order_id}")).await;
    assert_eq!(order["amount"], 10.5);
    assert_eq!(order["status"], "NEW");
    assert_eq!(order["status_id"], 10);
}

/// Another merchant's key finds nothing of the first merchant's, and a key is its own
/// merchant's only: naming another merchant with it is refused.
#[tokio::test]
async fn merchants_are_kept_apart() {
    let mut config = SandboxConfig::default();
    config
        .juspay
        .other_merchants
        .push(("other_shop".into(), "other_shop_key".into()));
    let addr = start(config).await;
    let first = Juspay::new(addr);
    let other_key = format!("Basic {}", STANDARD.encode("other_shop_key:"));
    let mut other = Juspay::with_authorization(addr, other_key.clone());
    other.merchant = "other_shop".into();
    let order_id = first.order(&[]).await;
    let path = format!("/orders/{order_id}");
    let (status, mine) = first.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["merchant_id"], MERCHANT);
    let (status, theirs) = other.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{theirs}");
    let other_order = other.order(&[]).await;
    let (_, view) = other.get(&format!("/orders/{other_order}")).await;
    assert_eq!(view["merchant_id"], "other_shop", "{view}");

    // The other merchant's key naming the first merchant is refused.
    let forged = Juspay::with_authorization(addr, other_key);
    let (status, _) = forged.get(&path).await;
    assert!(
        status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN,
        "{status}"
    );

    let signers = common::signers(addr).await;
    assert!(
        signers["juspay"][MERCHANT].as_u64().unwrap() >= 2,
        "{signers}"
    );
    assert_eq!(signers["juspay"]["other_shop"], 3, "{signers}");
}
