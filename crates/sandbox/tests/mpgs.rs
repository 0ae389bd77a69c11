//! The Mastercard Gateway simulator over real HTTP, driven as seed 001 shows it.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use payorch_sandbox::SandboxConfig;
use payorch_sandbox::providers::mpgs::html::{ACTION_FIELD, OTP_FIELD, RESEND, SUBMIT};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MID: &str = "TESTPAYORCH";
const PASSWORD: &str = "payorch-sandbox-mpgs-password";
const RETURN_URL: &str = "https://merchant.example/mpgs/return";

struct Mpgs {
    addr: SocketAddr,
    http: reqwest::Client,
    user: String,
    password: String,
    version: u32,
}

impl Mpgs {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            http: http(),
            user: format!("merchant.{MID}"),
            password: PASSWORD.into(),
            version: 100,
        }
    }

    fn url(&self, order: &str, txn: Option<&str>) -> String {
        let base = format!(
            "http://{}/mpgs/api/rest/version/{}/merchant/{MID}/order/{order}",
            self.addr, self.version
        );
        match txn {
            Some(t) => format!("{base}/transaction/{t}"),
            None => base,
        }
    }

    async fn put(&self, order: &str, txn: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .http
            .put(self.url(order, Some(txn)))
            .basic_auth(&self.user, Some(&self.password))
            .json(body)
            .send()
            .await
            .expect("send");
        read(r).await
    }

    async fn get(&self, order: &str, txn: Option<&str>) -> (StatusCode, Value) {
        let r = self
            .http
            .get(self.url(order, txn))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .expect("send");
        read(r).await
    }

    async fn initiate(&self, order: &str, txn: &str, card: &str) -> Value {
        let (status, v) = self.put(order, txn, &initiate_body(card)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    async fn authenticate_payer(&self, order: &str, txn: &str, card: &str) -> Value {
        let (status, v) = self.put(order, txn, &authenticate_body(card, "8.00")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    /// INITIATE + AUTHENTICATE_PAYER; returns (answer, 3ds transaction id, callback URL or ACS action).
    async fn start_authentication(
        &self,
        order: &str,
        txn: &str,
        card: &str,
    ) -> (Value, String, String) {
        let i = self.initiate(order, txn, card).await;
        assert_eq!(i["response"]["gatewayRecommendation"], "PROCEED", "{i}");
        let a = self.authenticate_payer(order, txn, card).await;
        let reference = a["authentication"]["3ds"]["transactionId"]
            .as_str()
            .expect("3ds id")
            .to_owned();
        let html = a["authentication"]["redirect"]["html"]
            .as_str()
            .expect("html");
        let action = attribute(html, "action").expect("action");
        (a, reference, action)
    }

    async fn authorize(
        &self,
        order: &str,
        txn: &str,
        card: &str,
        auth_txn: Option<&str>,
        operation: &str,
    ) -> Value {
        let mut body = json!({
            "apiOperation": operation,
            "order": {"amount": "8.00", "currency": "INR"},
            "sourceOfFunds": {"type": "CARD", "provided": {"card": {"number": card, "expiry": {"month": "12", "year": "31"}, "securityCode": "123"}}},
            "device": {"ipAddress": "103.14.160.193", "browser": "MOZILLA/4.0 (COMPATIBLE; MSIE 5.0; WINDOWS 95)"},
        });
        if let Some(id) = auth_txn {
            body["authentication"] = json!({"transactionId": id});
        }
        let (status, v) = self.put(order, txn, &body).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }
}

fn initiate_body(card: &str) -> Value {
    json!({
        "apiOperation": "INITIATE_AUTHENTICATION",
        "order": {"currency": "INR"},
        "authentication": {"purpose": "PAYMENT_TRANSACTION", "channel": "PAYER_BROWSER", "acceptVersions": "RUPAY"},
        "sourceOfFunds": {"type": "CARD", "provided": {"card": {"number": card}}},
        "correlationId": "an-extra-field-the-gateway-ignores",
    })
}

fn authenticate_body(card: &str, amount: &str) -> Value {
    json!({
        "apiOperation": "AUTHENTICATE_PAYER",
        "order": {"amount": amount, "currency": "INR"},
        "sourceOfFunds": {"provided": {"card": {"number": card, "expiry": {"month": "12", "year": "31"}, "securityCode": "123"}}},
        "device": {
            "ipAddress": "103.14.160.193",
            "browser": "MOZILLA/4.0 (COMPATIBLE; MSIE 5.0; WINDOWS 95)",
            "browserDetails": {"acceptHeaders": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        },
        "authentication": {"redirectResponseUrl": RETURN_URL},
    })
}

/// The value of `name='...'`-style attribute `attr` (first occurrence).
fn attribute(html: &str, attr: &str) -> Option<String> {
    let start = html.find(&format!("{attr}='"))? + attr.len() + 2;
    let end = html[start..].find('\'')? + start;
    Some(html[start..end].to_owned())
}

/// The value of the hidden input `name`.
fn input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name='{name}' value='");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('\'')? + start;
    Some(html[start..end].to_owned())
}

/// Posts a form to a callback URL asking for JSON.
async fn post_form(url: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = http()
        .post(url)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("post");
    read(r).await
}

fn auth_status(v: &Value) -> (&str, &str, &str, &str) {
    (
        v["response"]["gatewayRecommendation"]
            .as_str()
            .unwrap_or_default(),
        v["transaction"]["authenticationStatus"]
            .as_str()
            .unwrap_or_default(),
        v["response"]["gatewayCode"].as_str().unwrap_or_default(),
        v["result"].as_str().unwrap_or_default(),
    )
}

fn status_code(v: &Value) -> &str {
    v["authentication"]["status"]["code"]
        .as_str()
        .unwrap_or_default()
}

fn config_with(f: impl FnOnce(&mut SandboxConfig)) -> SandboxConfig {
    let mut c = test_config();
    f(&mut c);
    c
}

#[tokio::test]
async fn information_is_operating_without_credentials() {
    let addr = start(test_config()).await;
    for version in [1, 71, 100] {
        let r = http()
            .get(format!(
                "http://{addr}/mpgs/api/rest/version/{version}/information"
            ))
            .send()
            .await
            .expect("send");
        let (status, v) = read(r).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["status"], "OPERATING");
    }
}

#[tokio::test]
async fn unauthenticated_request_gets_the_basic_challenge() {
    let addr = start(test_config()).await;
    let r = http()
        .put(format!(
            "http://{addr}/mpgs/api/rest/version/100/merchant/{MID}/order/o1/transaction/t1"
        ))
        .json(&initiate_body(SEAMLESS))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(challenge.starts_with("Basic realm=\""), "{challenge}");
    let (_, v) = read(r).await;
    assert_eq!(v["result"], "ERROR");
    assert_eq!(v["error"]["cause"], "INVALID_REQUEST");
}

#[tokio::test]
async fn wrong_credentials_and_bare_merchant_id_are_refused() {
    let addr = start(test_config()).await;
    let mut m = Mpgs::new(addr);
    m.password = "wrong".into();
    let (status, v) = m.put("o1", "t1", &initiate_body(SEAMLESS)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["result"], "ERROR");
    m.password = PASSWORD.into();
    m.user = MID.into();
    let (status, _) = m.put("o1", "t1", &initiate_body(SEAMLESS)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a bare <MID> username is refused"
    );
    m.user = format!("merchant.{MID}");
    let (status, _) = m.put("o1", "t1", &initiate_body(SEAMLESS)).await;
    assert_eq!(status, StatusCode::OK);
    let calls = read(
        http()
            .get(format!("http://{addr}/_sandbox/calls"))
            .send()
            .await
            .expect("calls"),
    )
    .await
    .1;
    assert_eq!(calls["mpgs"]["unauthenticated"], 2);
    assert_eq!(calls["mpgs"]["initiate_authentication"], 1);
}

#[tokio::test]
async fn versions_outside_71_to_100_are_refused() {
    let addr = start(test_config()).await;
    let mut m = Mpgs::new(addr);
    for (version, ok) in [(70, false), (71, true), (100, true), (101, false)] {
        m.version = version;
        let (status, v) = m
            .put(&format!("o{version}"), "t1", &initiate_body(SEAMLESS))
            .await;
        if ok {
            assert_eq!(status, StatusCode::OK, "{version}: {v}");
            assert_eq!(v["version"], version.to_string());
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{version}");
            assert_eq!(v["result"], "ERROR");
            assert_eq!(v["error"]["cause"], "INVALID_REQUEST");
        }
    }
}

#[tokio::test]
async fn missing_and_invalid_fields_answer_the_error_shape() {
    let m = Mpgs::new(start(test_config()).await);
    let mut body = initiate_body(SEAMLESS);
    body["order"] = json!({});
    let (status, v) = m.put("o1", "t1", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["result"], "ERROR");
    assert_eq!(v["error"]["cause"], "INVALID_REQUEST");
    assert_eq!(v["error"]["field"], "order.currency");
    assert_eq!(v["error"]["validationType"], "MISSING");
    assert!(v["error"]["explanation"].is_string());

    let mut body = initiate_body(SEAMLESS);
    body["apiOperation"] = json!("INITITATE_AUTHENTICATION");
    let (status, v) = m.put("o1", "t1", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "apiOperation");
    assert_eq!(v["error"]["validationType"], "INVALID");

    let (status, v) = m.put("o1", "t1", &initiate_body("5085000000000016")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "Luhn failure");
    assert_eq!(v["error"]["field"], "sourceOfFunds.provided.card.number");

    let mut body = authenticate_body(SEAMLESS, "8.00");
    body["device"]["ipAddress"] = json!("::1");
    m.initiate("o2", "t1", SEAMLESS).await;
    let (status, v) = m.put("o2", "t1", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "device.ipAddress");

    let mut body = authenticate_body(SEAMLESS, "8.00");
    body["authentication"] = json!({});
    let (_, v) = m.put("o2", "t1", &body).await;
    assert_eq!(v["error"]["field"], "authentication.redirectResponseUrl");
    assert_eq!(v["error"]["validationType"], "MISSING");

    let (status, v) = m.get("nope", Some("t1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["result"], "ERROR");
}

#[tokio::test]
async fn initiate_authentication_answers_as_the_seed() {
    let m = Mpgs::new(start(test_config()).await);
    let v = m.initiate("666933919", "239533306", SEAMLESS).await;
    assert_eq!(v["authentication"]["version"], "RUPAY");
    assert_eq!(
        v["authentication"]["redirect"]["html"],
        "<script id=\"initiate-authentication-script\"></script>"
    );
    assert_eq!(
        auth_status(&v),
        (
            "PROCEED",
            "AUTHENTICATION_AVAILABLE",
            "AUTHENTICATION_IN_PROGRESS",
            "SUCCESS"
        )
    );
    assert_eq!(
        v["order"]["authenticationStatus"],
        "AUTHENTICATION_AVAILABLE"
    );
    assert_eq!(v["order"]["status"], "AUTHENTICATION_INITIATED");
    assert_eq!(v["order"]["id"], "666933919");
    assert_eq!(v["transaction"]["id"], "239533306");
    assert_eq!(v["transaction"]["type"], "AUTHENTICATION");
    assert_eq!(v["sourceOfFunds"]["provided"]["card"]["scheme"], "RUPAY");
    assert_eq!(
        v["sourceOfFunds"]["provided"]["card"]["number"],
        "508500xxxxxx0015"
    );
    assert_eq!(v["merchant"], MID);
    assert_eq!(v["version"], "100");
}

#[tokio::test]
async fn not_enrolled_card_is_not_supported() {
    let m = Mpgs::new(start(test_config()).await);
    let v = m.initiate("o1", "t1", NOT_ENROLLED).await;
    assert_eq!(
        auth_status(&v),
        (
            "RESUBMIT_WITH_ALTERNATIVE_PAYMENT_DETAILS",
            "AUTHENTICATION_NOT_SUPPORTED",
            "DECLINED",
            "FAILURE"
        )
    );
    assert_eq!(status_code(&v), "410");
    assert_eq!(v["authentication"]["version"], "RUPAY");
}

#[tokio::test]
async fn issuer_unavailable_fails_at_authenticate_payer() {
    let m = Mpgs::new(start(test_config()).await);
    let i = m.initiate("o1", "t1", UNAVAILABLE).await;
    assert_eq!(
        i["transaction"]["authenticationStatus"],
        "AUTHENTICATION_AVAILABLE"
    );
    let a = m.authenticate_payer("o1", "t1", UNAVAILABLE).await;
    assert_eq!(
        auth_status(&a),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_UNAVAILABLE",
            "DECLINED",
            "FAILURE"
        )
    );
    assert_eq!(status_code(&a), "412");
}

#[tokio::test]
async fn seamless_success_then_authorize_capture_refund() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    let (a, reference, callback) = m.start_authentication("ord-1", "auth-1", SEAMLESS).await;
    assert_eq!(
        auth_status(&a),
        ("PROCEED", "AUTHENTICATION_PENDING", "PENDING", "PENDING")
    );
    assert_eq!(status_code(&a), "00");
    assert_eq!(a["authentication"]["payerInteraction"], "REQUIRED");
    assert_eq!(a["authentication"]["method"], "DYNAMIC");
    let html = a["authentication"]["redirect"]["html"]
        .as_str()
        .expect("html");
    assert!(html.contains("id='rupayOTP'"), "{html}");
    assert!(
        !html.contains("AccuGuid"),
        "seamless carries no Accu fields"
    );
    assert!(
        callback.starts_with(&format!(
            "http://{addr}/mpgs/api/callbackInterface/gateway/"
        )),
        "{callback}"
    );
    assert!(html.contains(&format!("name='{ACTION_FIELD}' value='{RESEND}'")));

    let code = otp(addr, "mpgs", &reference).await;
    let (status, done) = post_form(&callback, &[(OTP_FIELD, &code), (ACTION_FIELD, SUBMIT)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["action"], RETURN_URL);
    assert_eq!(done["fields"]["result"], "SUCCESS");
    assert_eq!(done["fields"]["order.id"], "ord-1");
    assert_eq!(done["fields"]["transaction.id"], "auth-1");
    assert_eq!(done["fields"]["response.gatewayRecommendation"], "PROCEED");
    assert_eq!(done["fields"]["authentication.status.code"], "ACCU000");

    let (_, r) = m.get("ord-1", Some("auth-1")).await;
    assert_eq!(
        auth_status(&r),
        (
            "PROCEED",
            "AUTHENTICATION_SUCCESSFUL",
            "APPROVED",
            "SUCCESS"
        )
    );
    assert_eq!(status_code(&r), "ACCU000");
    assert_eq!(
        r["authentication"]["status"]["description"],
        "AUTHENTICATION_SUCCESSFUL"
    );
    assert_eq!(
        r["authentication"]["3ds"]["transactionId"],
        reference.as_str()
    );
    assert_eq!(r["order"]["status"], "AUTHENTICATED");
    assert!(
        r["authentication"].get("redirect").is_none(),
        "redirect.html is not persisted"
    );

    let p = m
        .authorize("ord-1", "pay-1", SEAMLESS, Some("auth-1"), "AUTHORIZE")
        .await;
    assert_eq!(p["result"], "SUCCESS", "{p}");
    assert_eq!(p["response"]["gatewayCode"], "APPROVED");
    assert_eq!(p["response"]["acquirerCode"], "00");
    assert_eq!(p["response"]["gatewayRecommendation"], "NO_ACTION");
    assert_eq!(p["authentication"]["transactionId"], "auth-1");
    assert_eq!(p["transaction"]["type"], "AUTHORIZATION");
    assert_eq!(p["order"]["status"], "AUTHORIZED");
    assert_eq!(p["order"]["totalAuthorizedAmount"], 8.0);
    assert!(p["transaction"]["authorizationCode"].is_string());
    assert!(p["authorizationResponse"]["transactionIdentifier"].is_string());
    assert_eq!(p["sourceOfFunds"]["provided"]["card"]["brand"], "RUPAY");

    // The same authentication cannot authorize twice.
    let again = m
        .authorize("ord-1", "pay-2", SEAMLESS, Some("auth-1"), "AUTHORIZE")
        .await;
    assert_eq!(again["result"], "FAILURE");

    let (status, c) = m
        .put("ord-1", "cap-1", &json!({"apiOperation": "CAPTURE", "transaction": {"amount": "5.00", "currency": "INR"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["transaction"]["type"], "CAPTURE");
    assert_eq!(c["order"]["status"], "PARTIALLY_CAPTURED");
    let (status, over) = m
        .put("ord-1", "cap-2", &json!({"apiOperation": "CAPTURE", "transaction": {"amount": "5.00", "currency": "INR"}}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "capture beyond the authorization: {over}"
    );
    let (_, c) = m
        .put("ord-1", "cap-3", &json!({"apiOperation": "CAPTURE", "transaction": {"amount": "3.00", "currency": "INR"}}))
        .await;
    assert_eq!(c["order"]["status"], "CAPTURED");
    let (_, rf) = m
        .put("ord-1", "ref-1", &json!({"apiOperation": "REFUND", "transaction": {"amount": "2.00", "currency": "INR"}}))
        .await;
    assert_eq!(rf["result"], "SUCCESS", "{rf}");
    assert_eq!(rf["transaction"]["type"], "REFUND");
    assert_eq!(rf["order"]["status"], "PARTIALLY_REFUNDED");
    assert_eq!(rf["order"]["totalRefundedAmount"], 2.0);
    let (_, vr) = m
        .put(
            "ord-1",
            "void-1",
            &json!({"apiOperation": "VOID", "transaction": {"targetTransactionId": "ref-1"}}),
        )
        .await;
    assert_eq!(vr["transaction"]["type"], "VOID_REFUND", "{vr}");
    assert_eq!(vr["order"]["status"], "CAPTURED");

    let (status, o) = m.get("ord-1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(o["id"], "ord-1");
    assert_eq!(o["status"], "CAPTURED");
    assert_eq!(o["totalCapturedAmount"], 8.0);
    assert_eq!(o["authenticationStatus"], "AUTHENTICATION_SUCCESSFUL");
    let types: Vec<&str> = o["transaction"]
        .as_array()
        .expect("transactions")
        .iter()
        .filter_map(|t| t["transaction"]["type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "AUTHENTICATION",
            "AUTHORIZATION",
            "AUTHORIZATION",
            "CAPTURE",
            "CAPTURE",
            "REFUND",
            "VOID_REFUND"
        ]
    );
}

#[tokio::test]
async fn wrong_otp_then_right_one() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    let (_, reference, callback) = m.start_authentication("o1", "t1", SEAMLESS).await;
    let code = otp(addr, "mpgs", &reference).await;
    let (_, v) = post_form(&callback, &[(OTP_FIELD, &wrong(&code))]).await;
    assert_eq!(v["status"], "pending", "{v}");
    assert_eq!(
        auth_status(&v),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_INITIATED",
            "PENDING",
            "PENDING"
        )
    );
    assert_eq!(status_code(&v), "450");
    assert_eq!(v["authentication"]["status"]["description"], "Invalid OTP");
    assert_eq!(v["attemptsRemaining"], 2);
    // Seed 001, case 3: Retrieve shows a pending authentication, DO_NOT_PROCEED.
    let (_, r) = m.get("o1", Some("t1")).await;
    assert_eq!(
        auth_status(&r),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_PENDING",
            "PENDING",
            "PENDING"
        )
    );
    assert_eq!(r["order"]["status"], "AUTHENTICATION_INITIATED");
    let (_, v) = post_form(&callback, &[(OTP_FIELD, &code)]).await;
    assert_eq!(v["status"], "complete");
    assert_eq!(v["result"], "SUCCESS");
    let (_, r) = m.get("o1", Some("t1")).await;
    assert_eq!(
        r["transaction"]["authenticationStatus"],
        "AUTHENTICATION_SUCCESSFUL"
    );
}

#[tokio::test]
async fn seamless_callback_html_redisplays_the_form_then_returns_to_the_merchant() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    let (_, reference, callback) = m.start_authentication("o1", "t1", SEAMLESS).await;
    let code = otp(addr, "mpgs", &reference).await;
    let page = http()
        .post(&callback)
        .form(&[(OTP_FIELD, wrong(&code).as_str())])
        .send()
        .await
        .expect("post");
    let html = page.text().await.expect("html");
    assert!(
        html.contains("id='rupayOTP'") && html.contains("Invalid OTP"),
        "{html}"
    );
    assert!(
        html.contains("name=\"authentication.status.code\" value=\"450\""),
        "{html}"
    );
    let page = http()
        .post(&callback)
        .form(&[(OTP_FIELD, code.as_str())])
        .send()
        .await
        .expect("post");
    let html = page.text().await.expect("html");
    assert!(html.contains(&format!("action=\"{RETURN_URL}\"")), "{html}");
    assert!(html.contains("name=\"result\" value=\"SUCCESS\""), "{html}");
}

#[tokio::test]
async fn attempts_exhausted_after_the_configured_limit() {
    let addr = start(config_with(|c| c.mpgs.otp.max_attempts = 2)).await;
    let m = Mpgs::new(addr);
    let (_, reference, callback) = m.start_authentication("o1", "t1", SEAMLESS).await;
    let code = otp(addr, "mpgs", &reference).await;
    let (_, v) = post_form(&callback, &[(OTP_FIELD, &wrong(&code))]).await;
    assert_eq!(status_code(&v), "450");
    assert_eq!(v["attemptsRemaining"], 1);
    let (_, v) = post_form(&callback, &[(OTP_FIELD, &wrong(&code))]).await;
    assert_eq!(v["status"], "complete", "{v}");
    assert_eq!(
        auth_status(&v),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_REJECTED",
            "DECLINED",
            "FAILURE"
        )
    );
    assert_eq!(status_code(&v), "452");
    assert_eq!(v["fields"]["result"], "FAILURE");
    let (_, v) = post_form(&callback, &[(OTP_FIELD, &code)]).await;
    assert_eq!(status_code(&v), "452", "the right code no longer helps");
    // Seed 001, case 4.
    let (_, r) = m.get("o1", Some("t1")).await;
    assert_eq!(
        auth_status(&r),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_REJECTED",
            "DECLINED",
            "FAILURE"
        )
    );
    assert_eq!(r["order"]["status"], "AUTHENTICATION_UNSUCCESSFUL");
    assert_eq!(
        r["order"]["authenticationStatus"],
        "AUTHENTICATION_REJECTED"
    );
    let p = m.authorize("o1", "p1", SEAMLESS, Some("t1"), "PAY").await;
    assert_eq!(p["result"], "FAILURE");
    assert_eq!(p["response"]["acquirerCode"], "409");
}

#[tokio::test]
async fn resend_invalidates_the_old_otp_and_is_limited() {
    let addr = start(config_with(|c| c.mpgs.otp.max_resends = 2)).await;
    let m = Mpgs::new(addr);
    let (_, reference, callback) = m.start_authentication("o1", "t1", SEAMLESS).await;
    let mut old = otp(addr, "mpgs", &reference).await;
    for left in [1, 0] {
        let (_, v) = post_form(&callback, &[(ACTION_FIELD, RESEND)]).await;
        assert_eq!(v["status"], "pending", "{v}");
        assert_eq!(
            auth_status(&v),
            (
                "DO_NOT_PROCEED",
                "AUTHENTICATION_INITIATED",
                "PENDING",
                "PENDING"
            )
        );
        assert_eq!(v["resendsRemaining"], left);
        assert!(
            v.get("authentication").is_none(),
            "a resend carries no status code"
        );
        let new = otp(addr, "mpgs", &reference).await;
        if new != old {
            let (_, v) = post_form(&callback, &[(OTP_FIELD, &old)]).await;
            assert_eq!(status_code(&v), "450", "the old OTP stops working");
        }
        old = new;
    }
    // Seed 001, case 1: Retrieve after a resend.
    let (_, r) = m.get("o1", Some("t1")).await;
    assert_eq!(
        auth_status(&r),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_PENDING",
            "PENDING",
            "PENDING"
        )
    );
    let (_, v) = post_form(&callback, &[(ACTION_FIELD, RESEND)]).await;
    assert_eq!(v["status"], "complete");
    assert_eq!(
        auth_status(&v),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_REJECTED",
            "DECLINED",
            "FAILURE"
        )
    );
    assert_eq!(status_code(&v), "453");
    // Seed 001, case 2.
    let (_, r) = m.get("o1", Some("t1")).await;
    assert_eq!(
        auth_status(&r),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_REJECTED",
            "DECLINED",
            "FAILURE"
        )
    );
    assert_eq!(r["order"]["status"], "AUTHENTICATION_UNSUCCESSFUL");
}

#[tokio::test]
async fn expired_otp_answers_451_and_a_resend_recovers() {
    let addr = start(config_with(|c| {
        c.mpgs.otp.validity = Duration::from_millis(300)
    }))
    .await;
    let m = Mpgs::new(addr);
    let (_, reference, callback) = m.start_authentication("o1", "t1", SEAMLESS).await;
    let code = otp(addr, "mpgs", &reference).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, v) = post_form(&callback, &[(OTP_FIELD, &code)]).await;
    assert_eq!(v["status"], "pending", "{v}");
    assert_eq!(status_code(&v), "451");
    assert_eq!(v["authentication"]["status"]["description"], "Expired OTP");
    let (_, v) = post_form(&callback, &[(ACTION_FIELD, RESEND)]).await;
    assert_eq!(v["status"], "pending");
    let fresh = otp(addr, "mpgs", &reference).await;
    let (_, v) = post_form(&callback, &[(OTP_FIELD, &fresh)]).await;
    assert_eq!(v["result"], "SUCCESS", "{v}");
}

/// AUTHENTICATE_PAYER for a redirect card, then the browser's auto-post to the ACS page.
async fn open_acs(m: &Mpgs, order: &str) -> (String, String, String) {
    let (a, reference, acs) = m.start_authentication(order, "t1", REDIRECT).await;
    assert_eq!(
        auth_status(&a),
        ("PROCEED", "AUTHENTICATION_PENDING", "PENDING", "PENDING")
    );
    let html = a["authentication"]["redirect"]["html"]
        .as_str()
        .expect("html")
        .to_owned();
    assert!(
        html.contains("id='redirectToNpciForm'") && html.contains("authenticate-payer-script"),
        "{html}"
    );
    assert!(
        acs.starts_with(&format!("http://{}/_sandbox/acs/mpgs/", m.addr)),
        "{acs}"
    );
    let names = [
        "AccuCardholderId",
        "AccuGuid",
        "AccuReturnURL",
        "session",
        "AccuRequestId",
    ];
    let form: Vec<(&str, String)> = names
        .iter()
        .map(|n| {
            (
                *n,
                input(&html, n).unwrap_or_else(|| panic!("{n} in {html}")),
            )
        })
        .collect();
    let return_url = form[2].1.clone();
    assert!(
        return_url.contains("/mpgs/api/callbackInterface/gateway/"),
        "{return_url}"
    );
    let page = http().post(&acs).form(&form).send().await.expect("acs");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("page").contains("name=\"otp\""));
    (acs, reference, return_url)
}

async fn acs_submit(acs: &str, form: &[(&str, &str)]) -> Value {
    post_form(&format!("{acs}/submit"), form).await.1
}

#[tokio::test]
async fn redirect_flow_through_the_acs_page_and_the_return() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    let (acs, reference, return_url) = open_acs(&m, "o1").await;
    let code = otp(addr, "mpgs", &reference).await;
    let retry = acs_submit(&acs, &[("otp", &wrong(&code))]).await;
    assert_eq!(retry["status"], "pending");
    let done = acs_submit(&acs, &[("otp", &code)]).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["action"], return_url.as_str());
    assert_eq!(done["fields"]["AccuResponseCode"], "ACCU000");
    // The browser carries the ACS's answer to the gateway, which returns it to the merchant.
    let fields: Vec<(String, String)> = done["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, back) = post_form(&return_url, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(back["status"], "complete", "{back}");
    assert_eq!(back["action"], RETURN_URL);
    assert_eq!(back["fields"]["order.id"], "o1");
    assert_eq!(back["fields"]["transaction.id"], "t1");
    assert_eq!(back["fields"]["result"], "SUCCESS");
    assert_eq!(back["fields"]["authentication.status.code"], "ACCU000");
    let (_, r) = m.get("o1", Some("t1")).await;
    assert_eq!(
        auth_status(&r),
        (
            "PROCEED",
            "AUTHENTICATION_SUCCESSFUL",
            "APPROVED",
            "SUCCESS"
        )
    );
    assert_eq!(status_code(&r), "ACCU000");
    let p = m
        .authorize("o1", "p1", REDIRECT, Some("t1"), "AUTHORIZE")
        .await;
    assert_eq!(p["result"], "SUCCESS", "{p}");

    // A return that does not carry the form's session is refused.
    let (status, _) = post_form(
        &return_url,
        &[("AccuResponseCode", "ACCU000"), ("session", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn redirect_cancelled_by_the_payer() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    let (acs, _, return_url) = open_acs(&m, "o1").await;
    let done = acs_submit(&acs, &[("action", "cancel")]).await;
    assert_eq!(done["fields"]["AccuResponseCode"], "ACCU200");
    let session = done["fields"]["session"]
        .as_str()
        .expect("session")
        .to_owned();
    let (_, back) = post_form(
        &return_url,
        &[("AccuResponseCode", "ACCU200"), ("session", &session)],
    )
    .await;
    assert_eq!(back["fields"]["result"], "FAILURE", "{back}");
    assert_eq!(back["fields"]["authentication.status.code"], "ACCU200");
    let (_, r) = m.get("o1", Some("t1")).await;
    assert_eq!(
        auth_status(&r),
        (
            "DO_NOT_PROCEED",
            "AUTHENTICATION_FAILED",
            "DECLINED",
            "FAILURE"
        )
    );
}

#[tokio::test]
async fn rupay_without_authentication_is_declined() {
    let m = Mpgs::new(start(test_config()).await);
    let p = m.authorize("o1", "p1", SEAMLESS, None, "PAY").await;
    assert_eq!(p["result"], "FAILURE", "{p}");
    assert_eq!(p["response"]["gatewayCode"], "DECLINED");
    assert_eq!(p["response"]["acquirerCode"], "409");
    assert_eq!(p["order"]["status"], "FAILED");
    // An authentication id the order does not hold is an invalid request.
    let mut body = json!({
        "apiOperation": "PAY",
        "order": {"amount": "8.00", "currency": "INR"},
        "sourceOfFunds": {"provided": {"card": {"number": SEAMLESS, "expiry": {"month": "12", "year": "31"}}}},
        "authentication": {"transactionId": "nope"},
    });
    let (status, v) = m.put("o1", "p2", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "authentication.transactionId");
    body["authentication"] = json!({});
    body["sourceOfFunds"]["provided"]["card"]["expiry"] = json!({});
    let (_, v) = m.put("o1", "p3", &body).await;
    assert_eq!(
        v["error"]["field"],
        "sourceOfFunds.provided.card.expiry.month"
    );
}

#[tokio::test]
async fn authenticated_decline_cards_answer_the_acquirer_codes() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    for (card, acquirer, gateway) in [
        (DECLINE_51, "51", "INSUFFICIENT_FUNDS"),
        (DECLINE_54, "54", "EXPIRED_CARD"),
        (DECLINE_05, "05", "DECLINED"),
    ] {
        let order = format!("o-{acquirer}");
        let (_, reference, callback) = m.start_authentication(&order, "t1", card).await;
        let code = otp(addr, "mpgs", &reference).await;
        let (_, v) = post_form(&callback, &[(OTP_FIELD, &code)]).await;
        assert_eq!(v["result"], "SUCCESS");
        let p = m
            .authorize(&order, "p1", card, Some("t1"), "AUTHORIZE")
            .await;
        assert_eq!(p["result"], "FAILURE", "{p}");
        assert_eq!(p["response"]["acquirerCode"], acquirer);
        assert_eq!(p["response"]["gatewayCode"], gateway);
        assert!(p["response"]["acquirerMessage"].is_string());
        let (_, r) = m.get(&order, Some("p1")).await;
        assert_eq!(r["response"]["acquirerCode"], acquirer);
    }
}

#[tokio::test]
async fn scheme_token_with_cryptogram_pays_and_voids() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    let mut initiate = initiate_body(SEAMLESS);
    initiate["sourceOfFunds"]["type"] = json!("SCHEME_TOKEN");
    let (_, i) = m.put("o1", "t1", &initiate).await;
    assert_eq!(i["sourceOfFunds"]["type"], "SCHEME_TOKEN");
    let mut auth = authenticate_body(SEAMLESS, "8");
    auth["sourceOfFunds"]["type"] = json!("SCHEME_TOKEN");
    auth["sourceOfFunds"]["provided"]["card"]["devicePayment"] =
        json!({"onlinePaymentCryptogram": "APJUR+bB46ysAAKYEAOYGgADFA=="});
    let (_, a) = m.put("o1", "t1", &auth).await;
    let reference = a["authentication"]["3ds"]["transactionId"]
        .as_str()
        .expect("ref")
        .to_owned();
    let callback = attribute(
        a["authentication"]["redirect"]["html"]
            .as_str()
            .expect("html"),
        "action",
    )
    .expect("action");
    let code = otp(addr, "mpgs", &reference).await;
    post_form(&callback, &[(OTP_FIELD, &code)]).await;
    let mut pay = json!({
        "apiOperation": "AUTHORIZE",
        "order": {"amount": "8.00", "currency": "INR"},
        "sourceOfFunds": {"type": "SCHEME_TOKEN", "provided": {"card": {
            "number": SEAMLESS,
            "expiry": {"month": "08", "year": "26"},
            "storedOnFile": "TO_BE_STORED",
        }}},
        "authentication": {"transactionId": "t1"},
    });
    let (status, v) = m.put("o1", "p1", &pay).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a scheme token needs its cryptogram"
    );
    assert_eq!(
        v["error"]["field"],
        "sourceOfFunds.provided.card.devicePayment.onlinePaymentCryptogram"
    );
    pay["sourceOfFunds"]["provided"]["card"]["devicePayment"] =
        json!({"onlinePaymentCryptogram": "APJUR+bB46ysAAKYEAOYGgADFA=="});
    let (status, p) = m.put("o1", "p2", &pay).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["result"], "SUCCESS", "{p}");
    assert_eq!(p["sourceOfFunds"]["type"], "SCHEME_TOKEN");
    let (_, v) = m
        .put(
            "o1",
            "v1",
            &json!({"apiOperation": "VOID", "transaction": {"targetTransactionId": "p2"}}),
        )
        .await;
    assert_eq!(v["result"], "SUCCESS", "{v}");
    assert_eq!(v["transaction"]["type"], "VOID_AUTHORIZATION");
    assert_eq!(v["transaction"]["targetTransactionId"], "p2");
    assert_eq!(v["order"]["status"], "CANCELLED");
    let (status, _) = m
        .put("o1", "c1", &json!({"apiOperation": "CAPTURE", "transaction": {"amount": "8.00", "currency": "INR"}}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "nothing left to capture after the void"
    );
    let (status, _) = m
        .put(
            "o1",
            "v2",
            &json!({"apiOperation": "VOID", "transaction": {"targetTransactionId": "p2"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "voided once only");
}

#[tokio::test]
async fn repeated_authenticate_payer_does_not_send_a_new_otp() {
    let addr = start(test_config()).await;
    let m = Mpgs::new(addr);
    let (_, reference, callback) = m.start_authentication("o1", "t1", SEAMLESS).await;
    let first = otp(addr, "mpgs", &reference).await;
    let again = m.authenticate_payer("o1", "t1", SEAMLESS).await;
    assert_eq!(
        again["authentication"]["3ds"]["transactionId"],
        reference.as_str()
    );
    assert_eq!(otp(addr, "mpgs", &reference).await, first);
    let html = again["authentication"]["redirect"]["html"]
        .as_str()
        .expect("html");
    assert_eq!(
        attribute(html, "action").as_deref(),
        Some(callback.as_str())
    );
    let (_, dup) = m.put("o1", "t1", &initiate_body(SEAMLESS)).await;
    assert_eq!(dup["error"]["field"], "transaction.id");
}
