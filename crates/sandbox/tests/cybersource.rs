//! The Cybersource simulator over real HTTP, signed like the official SDK.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn auth_result(v: &Value) -> &str {
    v["consumerAuthenticationInformation"]["authenticationResult"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn seamless_enrollment_answers_as_the_seed() {
    let cs = Cybersource::new(start(test_config()).await);
    let (status, e) = cs.enroll(SEAMLESS).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(e["status"], "PENDING_AUTHENTICATION");
    let cai = &e["consumerAuthenticationInformation"];
    assert_eq!(cai["authenticationType"], "20");
    assert_eq!(cai["validityPeriod"], "05");
    assert_eq!(cai["veresEnrolled"], "Y");
    assert_eq!(cai["specificationVersion"], "rupay");
    assert!(cai["authenticationTransactionContextId"].is_string());
    assert_eq!(
        cai["authenticationTransactionContextId"],
        cai["authenticationTransactionContext"]
    );
    assert_eq!(
        e["errorInformation"]["reason"],
        "CONSUMER_AUTHENTICATION_REQUIRED"
    );
    assert_eq!(e["clientReferenceInformation"]["code"], "cybs_test");
    assert_eq!(e["id"].as_str().map(str::len), Some(22));
}

#[tokio::test]
async fn seamless_success_then_sale() {
    let cs = Cybersource::new(start(test_config()).await);
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (status, p) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), true)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(p["status"], "AUTHORIZED", "{p}");
    assert_eq!(p["processorInformation"]["responseCode"], "00");
    assert_eq!(
        p["orderInformation"]["amountDetails"]["authorizedAmount"],
        "100.00"
    );
    assert_eq!(p["paymentAccountInformation"]["card"]["type"], "061");
    // A sale's answer is documented without `processingInformation.capture` or links to
    // follow-ons.
    assert!(p["processingInformation"]["capture"].is_null(), "{p}");
    assert_eq!(p["_links"].as_object().map(|l| l.len()), Some(1), "{p}");
    // The same authentication cannot authorize twice.
    let (_, again) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), true)
        .await;
    assert_eq!(again["status"], "DECLINED");
}

#[tokio::test]
async fn wrong_otp_then_right_one() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, ctx) = seamless_ids(&e);
    let code = otp(addr, "cybersource", &id).await;
    let (status, v) = cs.validate_otp(&id, &ctx, &wrong(&code)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["status"], "AUTHENTICATION_FAILED");
    assert_eq!(auth_result(&v), "450");
    assert_eq!(
        v["errorInformation"]["reason"],
        "CONSUMER_AUTHENTICATION_FAILED"
    );
    let (_, v) = cs.validate_otp(&id, &ctx, &code).await;
    assert_eq!(v["status"], "AUTHENTICATION_SUCCESSFUL", "{v}");
    assert_eq!(v["consumerAuthenticationInformation"]["indicator"], "rpy");
    assert_eq!(
        v["consumerAuthenticationInformation"]["authenticationResult"],
        "0"
    );
}

#[tokio::test]
async fn attempts_exhausted_after_the_configured_limit() {
    let mut config = test_config();
    config.cybersource.otp.max_attempts = 2;
    let addr = start(config).await;
    let cs = Cybersource::new(addr);
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, ctx) = seamless_ids(&e);
    let code = otp(addr, "cybersource", &id).await;
    let (_, v) = cs.validate_otp(&id, &ctx, &wrong(&code)).await;
    assert_eq!(auth_result(&v), "450");
    let (_, v) = cs.validate_otp(&id, &ctx, &wrong(&code)).await;
    assert_eq!(auth_result(&v), "452");
    let (_, v) = cs.validate_otp(&id, &ctx, &code).await;
    assert_eq!(auth_result(&v), "452", "the right code no longer helps");
}

#[tokio::test]
async fn resend_invalidates_the_old_otp_and_is_limited() {
    let mut config = test_config();
    config.cybersource.otp.max_resends = 2;
    let addr = start(config).await;
    let cs = Cybersource::new(addr);
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, ctx) = seamless_ids(&e);
    let mut old = otp(addr, "cybersource", &id).await;
    for _ in 0..2 {
        let (status, r) = cs.resend(SEAMLESS, &id).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(r["status"], "PENDING_AUTHENTICATION", "{r}");
        assert_eq!(
            r["consumerAuthenticationInformation"]["authenticationTransactionId"],
            id.as_str()
        );
        let new = otp(addr, "cybersource", &id).await;
        if new != old {
            let (_, v) = cs.validate_otp(&id, &ctx, &old).await;
            assert_eq!(auth_result(&v), "450", "old OTP must stop working");
        }
        old = new;
    }
    let (_, r) = cs.resend(SEAMLESS, &id).await;
    assert_eq!(r["status"], "AUTHENTICATION_FAILED");
    assert_eq!(auth_result(&r), "453");
}

#[tokio::test]
async fn resend_of_unknown_transaction_is_invalid_data() {
    let cs = Cybersource::new(start(test_config()).await);
    let (status, r) = cs.resend(SEAMLESS, "00000000000000000000000000").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(r["reason"], "INVALID_DATA");
    assert_eq!(
        r["details"][0]["field"],
        "consumerAuthenticationInformation.authenticationTransactionId"
    );
}

#[tokio::test]
async fn expired_otp_is_refused() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, ctx) = seamless_ids(&e);
    let code = otp(addr, "cybersource", &id).await;
    let url = format!("http://{addr}/_sandbox/otp/cybersource/{id}/expire");
    assert_eq!(
        http().post(url).send().await.expect("send").status(),
        StatusCode::NO_CONTENT
    );
    let (_, v) = cs.validate_otp(&id, &ctx, &code).await;
    assert_eq!(auth_result(&v), "451");
}

#[tokio::test]
async fn configured_validity_is_reported() {
    let mut config = test_config();
    config.cybersource.otp = payorch_sandbox::OtpPolicy::new(10, 3, 3);
    let cs = Cybersource::new(start(config).await);
    let (_, e) = cs.enroll(SEAMLESS).await;
    assert_eq!(
        e["consumerAuthenticationInformation"]["validityPeriod"],
        "10"
    );
}

#[tokio::test]
async fn wrong_context_is_invalid_data() {
    let cs = Cybersource::new(start(test_config()).await);
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, _) = seamless_ids(&e);
    let (status, v) = cs.validate_otp(&id, "999", "123456").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["details"][0]["field"],
        "consumerAuthenticationInformation.authenticationTransactionContext"
    );
}

/// Enrolls a redirect card and opens the ACS page like the merchant's auto-post form.
async fn open_acs(addr: std::net::SocketAddr, cs: &Cybersource) -> (String, String) {
    let (status, e) = cs.enroll(REDIRECT).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(e["status"], "PENDING_AUTHENTICATION");
    let cai = &e["consumerAuthenticationInformation"];
    let acs = cai["acsUrl"].as_str().expect("acsUrl").to_owned();
    let xid = cai["xid"].as_str().expect("xid").to_owned();
    assert!(cai["pareq"].is_string());
    assert!(cai.get("authenticationType").is_none());
    assert!(
        acs.starts_with(&format!("http://{addr}/_sandbox/acs/cybersource/")),
        "{acs}"
    );
    let page = http()
        .post(&acs)
        .form(&[
            ("PaReq", cai["pareq"].as_str().expect("pareq")),
            ("TermUrl", "https://merchant.example/return"),
            ("MD", &xid),
        ])
        .send()
        .await
        .expect("acs");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("name=\"otp\""));
    (acs, xid)
}

async fn acs_submit(acs: &str, form: &[(&str, &str)]) -> Value {
    let r = http()
        .post(format!("{acs}/submit"))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("submit");
    read(r).await.1
}

/// Seed 004's form posts the xid as MD: any other MD, or none, is refused (ACCU600).
#[tokio::test]
async fn the_acs_wants_the_xid_as_md() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let (_, e) = cs.enroll(REDIRECT).await;
    let cai = &e["consumerAuthenticationInformation"];
    let acs = cai["acsUrl"].as_str().expect("acsUrl").to_owned();
    let pareq = cai["pareq"].as_str().expect("pareq");
    for md in [Some("auth_payorch_1"), None] {
        let mut form = vec![
            ("PaReq", pareq),
            ("TermUrl", "https://merchant.example/return"),
        ];
        form.extend(md.map(|md| ("MD", md)));
        let page = http().post(&acs).form(&form).send().await.expect("acs");
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{md:?}");
        assert!(page.text().await.expect("html").contains("ACCU600"));
    }
}

#[tokio::test]
async fn redirect_flow_through_the_acs_page() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let (acs, xid) = open_acs(addr, &cs).await;
    let code = otp(addr, "cybersource", &xid).await;
    let retry = acs_submit(&acs, &[("otp", &wrong(&code))]).await;
    assert_eq!(retry["status"], "pending");
    let done = acs_submit(&acs, &[("otp", &code)]).await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["action"], "https://merchant.example/return");
    assert_eq!(done["fields"]["MD"], xid.as_str());
    let pares = done["fields"]["PaRes"].as_str().expect("PaRes");
    let (status, v) = cs
        .post(
            "/risk/v1/authentication-results",
            &json!({"clientReferenceInformation": {"code": "x"}, "consumerAuthenticationInformation": {"signedPares": pares}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["status"], "AUTHENTICATION_SUCCESSFUL", "{v}");
    let cai = &v["consumerAuthenticationInformation"];
    assert_eq!(cai["xid"], xid.as_str());
    assert_eq!(cai["paresStatus"], "Y");
    let cavv = cai["cavv"].as_str().expect("cavv");
    let (_, p) = cs
        .authorize(REDIRECT, json!({"cavv": cavv, "xid": xid}), false)
        .await;
    assert_eq!(p["status"], "AUTHORIZED", "{p}");
}

#[tokio::test]
async fn acs_html_auto_posts_to_the_term_url() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let (acs, xid) = open_acs(addr, &cs).await;
    let code = otp(addr, "cybersource", &xid).await;
    let html = http()
        .post(format!("{acs}/submit"))
        .form(&[("otp", code.as_str())])
        .send()
        .await
        .expect("submit")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("action=\"https://merchant.example/return\""),
        "{html}"
    );
    assert!(html.contains("name=\"PaRes\""));
    assert!(html.contains("name=\"MD\""));
}

#[tokio::test]
async fn redirect_cancelled_by_payer() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let (acs, _) = open_acs(addr, &cs).await;
    let done = acs_submit(&acs, &[("action", "cancel")]).await;
    let pares = done["fields"]["PaRes"].as_str().expect("PaRes");
    let (_, v) = cs
        .post(
            "/risk/v1/authentication-results",
            &json!({"consumerAuthenticationInformation": {"signedPares": pares}}),
        )
        .await;
    assert_eq!(v["status"], "AUTHENTICATION_FAILED");
    assert_eq!(auth_result(&v), "ACCU200");
}

#[tokio::test]
async fn forged_pares_is_invalid_data() {
    let cs = Cybersource::new(start(test_config()).await);
    let (status, v) = cs
        .post(
            "/risk/v1/authentication-results",
            &json!({"consumerAuthenticationInformation": {"signedPares": "Zm9vfGJhcg=="}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["details"][0]["field"],
        "consumerAuthenticationInformation.signedPares"
    );
}

#[tokio::test]
async fn not_enrolled_and_issuer_unavailable() {
    let cs = Cybersource::new(start(test_config()).await);
    let (status, v) = cs.enroll(NOT_ENROLLED).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["status"], "AUTHENTICATION_FAILED");
    assert_eq!(v["consumerAuthenticationInformation"]["veresEnrolled"], "N");
    // Only what the SDK's enrollment model documents: no NPCI result field.
    assert_eq!(auth_result(&v), "");
    assert_eq!(
        v["errorInformation"]["reason"],
        "CONSUMER_AUTHENTICATION_FAILED"
    );
    let (_, v) = cs.enroll(UNAVAILABLE).await;
    assert_eq!(v["status"], "AUTHENTICATION_FAILED");
    assert_eq!(v["consumerAuthenticationInformation"]["veresEnrolled"], "U");
}

#[tokio::test]
async fn authorization_declines_51_54_05() {
    let cs = Cybersource::new(start(test_config()).await);
    for (card, code, reason) in [
        (DECLINE_51, "51", "INSUFFICIENT_FUND"),
        (DECLINE_54, "54", "EXPIRED_CARD"),
        (DECLINE_05, "05", "PROCESSOR_DECLINED"),
    ] {
        let (_, token) = cs.authenticate(card).await;
        let (status, p) = cs
            .authorize(card, json!({"transactionToken": token}), false)
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(p["status"], "DECLINED");
        assert_eq!(p["processorInformation"]["responseCode"], code);
        assert_eq!(p["errorInformation"]["reason"], reason);
    }
}

#[tokio::test]
async fn rupay_authorization_without_authentication_is_declined() {
    let cs = Cybersource::new(start(test_config()).await);
    let (status, p) = cs
        .authorize(SEAMLESS, json!({"cavv": "bm90LWEtY2F2dg=="}), false)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(p["status"], "DECLINED");
    assert_eq!(
        p["errorInformation"]["reason"],
        "CONSUMER_AUTHENTICATION_REQUIRED"
    );
}

#[tokio::test]
async fn rupay_authorization_requires_commerce_indicator_rpy() {
    let cs = Cybersource::new(start(test_config()).await);
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let body = json!({
        "processingInformation": {"commerceIndicator": "internet"},
        "paymentInformation": {"card": {"number": SEAMLESS, "expirationMonth": "12", "expirationYear": "2031", "type": "061"}},
        "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
        "consumerAuthenticationInformation": {"transactionToken": token},
    });
    let (status, v) = cs.post("/pts/v2/payments", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["status"], "INVALID_REQUEST");
    assert_eq!(
        v["details"][0]["field"],
        "processingInformation.commerceIndicator"
    );
}

#[tokio::test]
async fn capture_refund_void_and_reversal() {
    let cs = Cybersource::new(start(test_config()).await);
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, p) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), false)
        .await;
    let pid = p["id"].as_str().expect("id").to_owned();
    let amount = |a: &str| json!({"orderInformation": {"amountDetails": {"totalAmount": a, "currency": "INR"}}});
    let (status, over) = cs
        .post(
            &format!("/pts/v2/payments/{pid}/captures"),
            &amount("100.01"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(over["reason"], "EXCEEDS_AUTH_AMOUNT");
    let (status, c) = cs
        .post(
            &format!("/pts/v2/payments/{pid}/captures"),
            &amount("60.00"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(c["status"], "PENDING");
    let cid = c["id"].as_str().expect("id").to_owned();
    let (_, c2) = cs
        .post(
            &format!("/pts/v2/payments/{pid}/captures"),
            &amount("40.00"),
        )
        .await;
    assert_eq!(c2["status"], "PENDING");
    let (status, r) = cs
        .post(&format!("/pts/v2/captures/{cid}/refunds"), &amount("60.00"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(r["status"], "PENDING");
    let (_, too_much) = cs
        .post(&format!("/pts/v2/payments/{pid}/refunds"), &amount("50.00"))
        .await;
    assert_eq!(too_much["reason"], "INVALID_AMOUNT");
    let rid = r["id"].as_str().expect("id");
    let (_, v) = cs
        .post(
            &format!("/pts/v2/refunds/{rid}/voids"),
            &json!({"clientReferenceInformation": {"code": "v"}}),
        )
        .await;
    assert_eq!(v["status"], "VOIDED");
    // Transaction Details: no running totals, the follow-ons as related transactions.
    let (status, g) = cs.get(&format!("/tss/v2/transactions/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        g["applicationInformation"]["applications"][0]["name"],
        "ics_auth"
    );
    assert_eq!(g["applicationInformation"]["applications"][0]["rCode"], "1");
    assert_eq!(g["rootId"], pid.as_str());
    assert_eq!(
        g["orderInformation"]["amountDetails"],
        json!({"totalAmount": "100.00", "authorizedAmount": "100.00", "currency": "INR"})
    );
    let related = |g: &Value| -> Vec<String> {
        g["_links"]["relatedTransactions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["href"].as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .map(|mut hrefs| {
                hrefs.sort();
                hrefs
            })
            .unwrap_or_default()
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let c2id = c2["id"].as_str().expect("id");
    assert_eq!(
        related(&g),
        sorted(vec![
            format!("/tss/v2/transactions/{cid}"),
            format!("/tss/v2/transactions/{c2id}")
        ])
    );
    let (_, cd) = cs.get(&format!("/tss/v2/transactions/{cid}")).await;
    assert_eq!(
        cd["applicationInformation"]["applications"][0]["name"],
        "ics_bill"
    );
    assert_eq!(cd["rootId"], pid.as_str());
    assert_eq!(
        related(&cd),
        sorted(vec![
            format!("/tss/v2/transactions/{pid}"),
            format!("/tss/v2/transactions/{rid}")
        ])
    );
    let (_, rd) = cs.get(&format!("/tss/v2/transactions/{rid}")).await;
    assert_eq!(
        rd["applicationInformation"]["applications"][0]["name"],
        "ics_credit"
    );
    assert_eq!(
        rd["orderInformation"]["amountDetails"]["totalAmount"],
        "60.00"
    );
    let vid = v["id"].as_str().expect("id");
    assert_eq!(
        related(&rd),
        sorted(vec![
            format!("/tss/v2/transactions/{cid}"),
            format!("/tss/v2/transactions/{vid}")
        ])
    );
    let (_, vd) = cs.get(&format!("/tss/v2/transactions/{vid}")).await;
    assert_eq!(
        vd["applicationInformation"]["applications"][0]["name"],
        "ics_void"
    );
    assert_eq!(related(&vd), [format!("/tss/v2/transactions/{rid}")]);
    let (_, rev) = cs
        .post(&format!("/pts/v2/payments/{pid}/reversals"), &json!({"reversalInformation": {"amountDetails": {"totalAmount": "100.00"}, "reason": "x"}}))
        .await;
    assert_eq!(
        rev["status"], "INVALID_REQUEST",
        "a captured authorization cannot be reversed"
    );

    // A fresh authorization can be reversed once.
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, p) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), false)
        .await;
    let pid = p["id"].as_str().expect("id").to_owned();
    let reversal = json!({"reversalInformation": {"amountDetails": {"totalAmount": "100.00"}, "reason": "cancelled"}});
    let (status, rev) = cs
        .post(&format!("/pts/v2/payments/{pid}/reversals"), &reversal)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(rev["status"], "REVERSED");
    let (_, again) = cs
        .post(&format!("/pts/v2/payments/{pid}/reversals"), &reversal)
        .await;
    assert_eq!(again["reason"], "AUTH_ALREADY_REVERSED");
    let (_, g) = cs.get(&format!("/tss/v2/transactions/{pid}")).await;
    let rev_id = rev["id"].as_str().expect("id");
    assert_eq!(
        g["_links"]["relatedTransactions"],
        json!([{"href": format!("/tss/v2/transactions/{rev_id}"), "method": "GET"}])
    );
    let (_, rd) = cs.get(&format!("/tss/v2/transactions/{rev_id}")).await;
    assert_eq!(
        rd["applicationInformation"]["applications"][0]["name"],
        "ics_auth_reversal"
    );
    // Cybersource documents no read of a payment under /pts/v2.
    let (status, _) = cs.get(&format!("/pts/v2/payments/{pid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_payment_is_404() {
    let cs = Cybersource::new(start(test_config()).await);
    let (status, v) = cs.get("/tss/v2/transactions/7000000000000000000001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["reason"], "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn missing_fields_are_named() {
    let cs = Cybersource::new(start(test_config()).await);
    let mut body = enrollment_body(SEAMLESS);
    body["deviceInformation"] = json!({"ipAddress": "10.0.0.1"});
    body["paymentInformation"]["card"]
        .as_object_mut()
        .expect("card")
        .remove("number");
    let (status, v) = cs.post("/risk/v1/authentications", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["status"], "INVALID_REQUEST");
    assert_eq!(v["reason"], "MISSING_FIELD");
    assert!(v["submitTimeUtc"].is_string());
    assert!(v["message"].is_string());
    let fields: Vec<&str> = v["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert!(fields.contains(&"paymentInformation.card.number"), "{v}");
    assert!(
        fields.contains(&"deviceInformation.httpAcceptBrowserValue"),
        "{v}"
    );
    assert!(
        fields.contains(&"deviceInformation.userAgentBrowserValue"),
        "{v}"
    );
    assert_eq!(v["details"][0]["reason"], "MISSING_FIELD");
}

#[tokio::test]
async fn wrong_types_and_bad_card_numbers_are_invalid_data() {
    let cs = Cybersource::new(start(test_config()).await);
    let mut body = enrollment_body(SEAMLESS);
    body["orderInformation"]["amountDetails"]["totalAmount"] = json!({"value": 1});
    let (status, v) = cs.post("/risk/v1/authentications", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["reason"], "INVALID_DATA");
    assert_eq!(
        v["details"][0]["field"],
        "orderInformation.amountDetails.totalAmount"
    );
    let (_, v) = cs.enroll("5085000000000016").await;
    assert_eq!(v["details"][0]["field"], "paymentInformation.card.number");
    let bytes = b"{not json".to_vec();
    let r = cs
        .request("POST", "/risk/v1/authentications", Some(&bytes))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn signature_failures_are_401() {
    let addr = start(test_config()).await;
    let mut cs = Cybersource::new(addr);
    cs.secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    let (status, v) = cs.enroll(SEAMLESS).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["response"]["rmsg"], "Authentication Failed");

    let mut cs = Cybersource::new(addr);
    cs.merchant = "othermerchant".into();
    assert_eq!(cs.enroll(SEAMLESS).await.0, StatusCode::UNAUTHORIZED);

    // Body changed after signing: the Digest no longer matches.
    let cs = Cybersource::new(addr);
    let signed = serde_json::to_vec(&enrollment_body(SEAMLESS)).expect("json");
    let mut sent = signed.clone();
    sent.push(b' ');
    let rb = cs
        .request("POST", "/risk/v1/authentications", Some(&signed))
        .body(sent);
    assert_eq!(
        rb.send().await.expect("send").status(),
        StatusCode::UNAUTHORIZED
    );

    // No signature at all.
    let r = http()
        .get(format!("http://{addr}/cybersource/tss/v2/transactions/1"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn path_signed_with_the_mount_prefix_is_refused() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    // Sign "/cybersource/pts/..." but send to the same URL: the provider sees "/pts/...".
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let lines = format!(
        "host: {addr}\ndate: {date}\nrequest-target: get /cybersource/tss/v2/transactions/1\nv-c-merchant-id: testrest"
    );
    let sig =
        payorch_sandbox::providers::cybersource::signature::sign(SECRET, &lines).expect("sign");
    let r = cs
        .http
        .get(format!("http://{addr}/cybersource/tss/v2/transactions/1"))
        .header("v-c-merchant-id", "testrest")
        .header("date", date)
        .header(
            "signature",
            format!(r#"keyid="{KEY_ID}", algorithm="HmacSHA256", headers="host date request-target v-c-merchant-id", signature="{sig}""#),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn intermediate_host_is_verified_over_the_received_host_header() {
    let mut cs = Cybersource::new(start(test_config()).await);
    cs.host_override = Some("apitest.cybersource.com".into());
    let (status, v) = cs.enroll(SEAMLESS).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn standing_instruction_register_intimate_debit_cancel() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let mut body = enrollment_body(SI);
    body["installmentInformation"] = json!({
        "paymentType": "1", "firstInstallmentDate": "01012026", "lastInstallmentDate": "01012027",
        "totalCount": "12", "minAmount": "10", "maxAmount": "1000", "preferredDay": "05",
        "frequency": "1", "alertPreference": "SMS", "sequence": "2"
    });
    let (status, reg) = cs.post("/pts/v2/billing-agreements", &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(reg["status"], "PENDING_AUTHENTICATION", "{reg}");
    let agreement = reg["id"].as_str().expect("id").to_owned();
    let (id, ctx) = seamless_ids(&reg);
    let code = otp(addr, "cybersource", &id).await;
    let (_, v) = cs.validate_otp(&id, &ctx, &code).await;
    assert_eq!(v["status"], "AUTHENTICATION_SUCCESSFUL");
    let identifier = v["installmentInformation"]["identifier"]
        .as_str()
        .expect("identifier")
        .to_owned();
    let (_, g) = cs
        .get(&format!("/pts/v2/billing-agreements/{agreement}"))
        .await;
    assert_eq!(g["status"], "ACTIVE");

    let debit = json!({
        "processingInformation": {"commerceIndicator": "RECURRING"},
        "paymentInformation": {"card": {"number": SI, "expirationMonth": "12", "expirationYear": "2031"}},
        "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
        "installmentInformation": {"identifier": identifier, "paymentType": "1"},
    });
    let (_, p) = cs.post("/pts/v2/payments", &debit).await;
    assert_eq!(p["status"], "DECLINED", "no intimation yet: {p}");

    let intimation = json!({
        "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
        "installmentInformation": {"identifier": identifier, "alertPreference": "SMS", "preferredDay": "1"},
    });
    let (status, i) = cs
        .post(
            &format!("/pts/v2/billing-agreements/{agreement}/intimations"),
            &intimation,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(i["status"], "SUCCESS");
    let (_, p) = cs.post("/pts/v2/payments", &debit).await;
    assert_eq!(p["status"], "AUTHORIZED", "{p}");

    let mut over = debit.clone();
    over["orderInformation"]["amountDetails"]["totalAmount"] = json!("1000.01");
    cs.post(
        &format!("/pts/v2/billing-agreements/{agreement}/intimations"),
        &intimation,
    )
    .await;
    let (_, p) = cs.post("/pts/v2/payments", &over).await;
    assert_eq!(p["status"], "DECLINED", "above the registered maximum");

    let mut cancel = enrollment_body(SI);
    cancel["processingInformation"] = json!({"actionList": ["CANCEL_AGREEMENT"]});
    let (_, c) = cs
        .patch(&format!("/pts/v2/billing-agreements/{agreement}"), &cancel)
        .await;
    assert_eq!(c["status"], "PENDING_AUTHENTICATION", "{c}");
    let (id, ctx) = seamless_ids(&c);
    let code = otp(addr, "cybersource", &id).await;
    cs.validate_otp(&id, &ctx, &code).await;
    let (_, g) = cs
        .get(&format!("/pts/v2/billing-agreements/{agreement}"))
        .await;
    assert_eq!(g["status"], "REVOKED");
}

#[tokio::test]
async fn standing_instruction_refused_for_other_cards() {
    let cs = Cybersource::new(start(test_config()).await);
    let mut body = enrollment_body(SEAMLESS);
    body["installmentInformation"] = json!({
        "firstInstallmentDate": "01012026", "lastInstallmentDate": "01012027",
        "preferredDay": "05", "frequency": "1", "alertPreference": "SMS"
    });
    let (_, reg) = cs.post("/pts/v2/billing-agreements", &body).await;
    assert_eq!(reg["status"], "FAILED");
}

#[tokio::test]
async fn sale_can_be_refunded_or_voided() {
    let cs = Cybersource::new(start(test_config()).await);
    let amount = |a: &str| json!({"orderInformation": {"amountDetails": {"totalAmount": a, "currency": "INR"}}});
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, sale) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), true)
        .await;
    let sid = sale["id"].as_str().expect("id").to_owned();
    assert!(
        sale["_links"]["capture"].is_null(),
        "a sale offers no capture link"
    );
    let (_, cap) = cs
        .post(&format!("/pts/v2/payments/{sid}/captures"), &amount("1.00"))
        .await;
    assert_eq!(
        cap["reason"], "EXCEEDS_AUTH_AMOUNT",
        "a sale is already captured"
    );
    let (status, r) = cs
        .post(
            &format!("/pts/v2/payments/{sid}/refunds"),
            &amount("100.00"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(r["refundAmountDetails"]["refundAmount"], "100.00");

    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, sale) = cs
        .authorize(SEAMLESS, json!({"transactionToken": token}), true)
        .await;
    let sid = sale["id"].as_str().expect("id").to_owned();
    let (status, v) = cs
        .post(&format!("/pts/v2/payments/{sid}/voids"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["status"], "VOIDED");
    let (_, again) = cs
        .post(&format!("/pts/v2/payments/{sid}/voids"), &json!({}))
        .await;
    assert_eq!(again["reason"], "NOT_VOIDABLE");
    let (_, g) = cs.get(&format!("/tss/v2/transactions/{sid}")).await;
    let vid = v["id"].as_str().expect("id");
    assert_eq!(
        g["_links"]["relatedTransactions"],
        json!([{"href": format!("/tss/v2/transactions/{vid}"), "method": "GET"}])
    );
}

#[tokio::test]
async fn concurrent_validations_of_one_session_all_see_success_and_authorize_once() {
    let addr = start(test_config()).await;
    let cs = std::sync::Arc::new(Cybersource::new(addr));
    let (_, e) = cs.enroll(SEAMLESS).await;
    let (id, ctx) = seamless_ids(&e);
    let code = otp(addr, "cybersource", &id).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (cs, id, ctx, code) = (cs.clone(), id.clone(), ctx.clone(), code.clone());
            tokio::spawn(async move { cs.validate_otp(&id, &ctx, &code).await.1 })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        let v = t.await.expect("task");
        assert_eq!(v["status"], "AUTHENTICATION_SUCCESSFUL", "{v}");
        tokens.push(
            v["consumerAuthenticationInformation"]["transactionToken"]
                .as_str()
                .expect("token")
                .to_owned(),
        );
    }
    let mut approved = 0;
    for token in tokens.iter().take(3) {
        let (_, p) = cs
            .authorize(SEAMLESS, json!({"transactionToken": token}), false)
            .await;
        approved += usize::from(p["status"] == "AUTHORIZED");
    }
    assert_eq!(approved, 1, "one authentication authorizes one payment");
}

#[tokio::test]
async fn standing_instruction_debit_within_24_hours_of_intimation_is_declined() {
    let mut config = test_config();
    config.si_intimation_lead = std::time::Duration::from_secs(24 * 3600);
    let addr = start(config).await;
    let cs = Cybersource::new(addr);
    let mut body = enrollment_body(SI);
    body["installmentInformation"] = json!({
        "firstInstallmentDate": "01012026", "lastInstallmentDate": "01012027",
        "preferredDay": "05", "frequency": "1", "alertPreference": "SMS"
    });
    let (_, reg) = cs.post("/pts/v2/billing-agreements", &body).await;
    let agreement = reg["id"].as_str().expect("id").to_owned();
    let (id, ctx) = seamless_ids(&reg);
    let code = otp(addr, "cybersource", &id).await;
    let (_, v) = cs.validate_otp(&id, &ctx, &code).await;
    let identifier = v["installmentInformation"]["identifier"]
        .as_str()
        .expect("identifier")
        .to_owned();
    let intimation =
        json!({"installmentInformation": {"alertPreference": "SMS", "preferredDay": "1"}});
    let (_, i) = cs
        .post(
            &format!("/pts/v2/billing-agreements/{agreement}/intimations"),
            &intimation,
        )
        .await;
    assert_eq!(i["status"], "SUCCESS");
    let debit = json!({
        "processingInformation": {"commerceIndicator": "RECURRING"},
        "paymentInformation": {"card": {"number": SI, "expirationMonth": "12", "expirationYear": "2031"}},
        "orderInformation": {"amountDetails": {"totalAmount": "4999.00", "currency": "INR"}},
        "installmentInformation": {"identifier": identifier},
    });
    let (_, p) = cs.post("/pts/v2/payments", &debit).await;
    assert_eq!(
        p["status"], "DECLINED",
        "intimated less than 24 hours ago: {p}"
    );
}

#[tokio::test]
async fn transaction_search_finds_payments_by_client_reference() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let payment = |card: &str, code: &str, token: &str, capture: bool| {
        json!({
            "clientReferenceInformation": {"code": code},
            "processingInformation": {"commerceIndicator": "rpy", "capture": capture},
            "paymentInformation": {"card": {"number": card, "expirationMonth": "12", "expirationYear": "2031", "type": "061"}},
            "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
            "consumerAuthenticationInformation": {"transactionToken": token},
        })
    };
    // An authorization, its capture and a refund under "pay_s1"; a sale under another code.
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, auth) = cs
        .post(
            "/pts/v2/payments",
            &payment(SEAMLESS, "pay_s1", &token, false),
        )
        .await;
    let auth_id = auth["id"].as_str().expect("id").to_owned();
    let follow_on = json!({
        "clientReferenceInformation": {"code": "pay_s1"},
        "orderInformation": {"amountDetails": {"totalAmount": "60.00", "currency": "INR"}},
    });
    let (_, capture) = cs
        .post(&format!("/pts/v2/payments/{auth_id}/captures"), &follow_on)
        .await;
    let capture_id = capture["id"].as_str().expect("id").to_owned();
    let (_, refund) = cs
        .post(
            &format!("/pts/v2/captures/{capture_id}/refunds"),
            &follow_on,
        )
        .await;
    let refund_id = refund["id"].as_str().expect("id").to_owned();
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let (_, sale) = cs
        .post(
            "/pts/v2/payments",
            &payment(SEAMLESS, "pay_s2", &token, true),
        )
        .await;
    let sale_id = sale["id"].as_str().expect("id").to_owned();

    let search = |query: &str, sort: &str| {
        json!({
            "save": false, "name": "payorch pay_s1", "timezone": "UTC",
            "query": query, "offset": 0, "limit": 10, "sort": sort,
        })
    };
    let (status, s) = cs
        .post(
            "/tss/v2/searches",
            &search(
                "clientReferenceInformation.code:pay_s1",
                "id:asc,submitTimeUtc:asc",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["searchId"].as_str().map(str::len), Some(36), "{s}");
    assert_eq!(s["save"], false);
    assert_eq!(s["name"], "payorch pay_s1");
    assert_eq!(s["timezone"], "UTC");
    assert_eq!(s["query"], "clientReferenceInformation.code:pay_s1");
    assert_eq!(s["sort"], "id:asc,submitTimeUtc:asc");
    assert_eq!(
        (s["offset"].as_u64(), s["limit"].as_u64()),
        (Some(0), Some(10))
    );
    assert_eq!(
        (s["count"].as_u64(), s["totalCount"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(s["submitTimeUtc"].is_string());
    assert_eq!(s["_links"]["self"]["method"], "GET");
    let summaries = s["_embedded"]["transactionSummaries"]
        .as_array()
        .expect("summaries");
    let ids: Vec<&str> = summaries.iter().filter_map(|t| t["id"].as_str()).collect();
    let mut expected = vec![auth_id.as_str(), capture_id.as_str(), refund_id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "sorted by id");
    let by_id = |id: &str| {
        summaries
            .iter()
            .find(|t| t["id"] == id)
            .expect("summary")
            .clone()
    };
    let apps = |t: &Value| -> Vec<String> {
        t["applicationInformation"]["applications"]
            .as_array()
            .expect("applications")
            .iter()
            .filter_map(|a| a["name"].as_str().map(str::to_owned))
            .collect()
    };
    let a = by_id(&auth_id);
    assert_eq!(apps(&a), ["ics_auth"]);
    assert_eq!(
        a["applicationInformation"]["applications"][0],
        json!({"name": "ics_auth", "reasonCode": "100", "rCode": "1", "rFlag": "SOK"})
    );
    assert_eq!(a["clientReferenceInformation"]["code"], "pay_s1");
    assert_eq!(a["submitTimeUtc"], auth["submitTimeUtc"]);
    assert_eq!(
        a["orderInformation"]["amountDetails"],
        json!({"totalAmount": "100.00", "currency": "INR"})
    );
    assert_eq!(a["merchantId"], MERCHANT);
    assert_eq!(a["paymentInformation"]["card"]["suffix"], "0015");
    assert_eq!(
        a["_links"]["transactionDetail"]["href"],
        format!("/tss/v2/transactions/{auth_id}")
    );
    assert_eq!(apps(&by_id(&capture_id)), ["ics_bill"]);
    assert_eq!(apps(&by_id(&refund_id)), ["ics_credit"]);
    assert_eq!(
        by_id(&refund_id)["orderInformation"]["amountDetails"]["totalAmount"],
        "60.00"
    );

    // A sale ran both services; a quoted value is accepted; paging.
    let (_, s) = cs
        .post(
            "/tss/v2/searches",
            &search(
                "clientReferenceInformation.code:\"pay_s2\"",
                "submitTimeUtc:desc",
            ),
        )
        .await;
    assert_eq!(s["totalCount"], 1, "{s}");
    let t = &s["_embedded"]["transactionSummaries"][0];
    assert_eq!(t["id"], sale_id.as_str());
    assert_eq!(apps(t), ["ics_auth", "ics_bill"]);
    let mut paged = search("clientReferenceInformation.code:pay_s1", "id:desc");
    paged["offset"] = json!(1);
    paged["limit"] = json!(1);
    let (_, s) = cs.post("/tss/v2/searches", &paged).await;
    assert_eq!(
        (s["count"].as_u64(), s["totalCount"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(s["_embedded"]["transactionSummaries"][0]["id"], expected[1]);

    // Nothing found is still 201, with no summaries.
    let (status, s) = cs
        .post(
            "/tss/v2/searches",
            &search("clientReferenceInformation.code:nobody", "id:asc"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (s["count"].as_u64(), s["totalCount"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(s["_embedded"]["transactionSummaries"], json!([]));
}

#[tokio::test]
async fn transaction_search_reports_declines_and_refuses_other_queries() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let (_, token) = cs.authenticate(DECLINE_51).await;
    let (_, p) = cs
        .authorize(DECLINE_51, json!({"transactionToken": token}), false)
        .await;
    assert_eq!(p["status"], "DECLINED");
    let body = |query: &str| json!({"query": query, "sort": "submitTimeUtc:desc"});
    let (status, s) = cs
        .post(
            "/tss/v2/searches",
            &body("clientReferenceInformation.code:ORD1"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The helper validated the OTP under the same code: that summary is there too.
    let app = &s["_embedded"]["transactionSummaries"]
        .as_array()
        .expect("summaries")
        .iter()
        .find(|t| t["applicationInformation"]["applications"][0]["name"] == "ics_auth")
        .expect("the authorization")["applicationInformation"];
    assert_eq!(app["applications"][0]["name"], "ics_auth", "{s}");
    assert_eq!(app["applications"][0]["rCode"], "0");
    assert_eq!(app["reasonCode"], "204");

    for query in [
        "paymentInformation.card.number:6072000000000083",
        "clientReferenceInformation.code:ORD1 AND submitTimeUtc:[NOW/DAY-7DAYS TO NOW/DAY+1DAY}",
        "ORD1",
    ] {
        let (status, e) = cs.post("/tss/v2/searches", &body(query)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(e["status"], "INVALID_REQUEST");
        assert_eq!(e["reason"], "INVALID_DATA");
        assert_eq!(
            e["details"][0],
            json!({"field": "query", "reason": "INVALID_DATA"})
        );
    }
    let (status, e) = cs
        .post("/tss/v2/searches", &json!({"sort": "id:asc"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["reason"], "MISSING_FIELD");
    assert_eq!(e["details"][0]["field"], "query");
    let mut bad_limit = body("clientReferenceInformation.code:ORD1");
    bad_limit["limit"] = json!(0);
    let (_, e) = cs.post("/tss/v2/searches", &bad_limit).await;
    assert_eq!(e["details"][0]["field"], "limit");

    // Signed like every other route.
    let mut forged = Cybersource::new(addr);
    forged.secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    let (status, _) = forged
        .post(
            "/tss/v2/searches",
            &body("clientReferenceInformation.code:ORD1"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let calls: Value = http()
        .get(format!("http://{addr}/_sandbox/calls"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(calls["cybersource"]["transaction_search"], 6);
    assert_eq!(calls["cybersource"]["unauthenticated"], 1);
}

#[tokio::test]
async fn transaction_search_reports_payer_authentication() {
    let addr = start(test_config()).await;
    let cs = Cybersource::new(addr);
    let with_code = |mut body: Value, code: &str| {
        body["clientReferenceInformation"] = json!({"code": code});
        body
    };
    let search = |code: &str| {
        json!({
            "save": false, "name": "pa", "timezone": "UTC", "offset": 0, "limit": 10,
            "query": format!("clientReferenceInformation.code:{code}"),
            "sort": "submitTimeUtc:asc",
        })
    };
    let summaries = |s: &Value| -> Vec<Value> {
        s["_embedded"]["transactionSummaries"]
            .as_array()
            .expect("summaries")
            .clone()
    };
    let by_id = |all: &[Value], id: &Value| -> Value {
        all.iter()
            .find(|t| &t["id"] == id)
            .expect("summary")
            .clone()
    };

    // Seamless: enrollment, a wrong OTP, then the right one, all under "auth_pa1".
    let (_, e) = cs
        .post(
            "/risk/v1/authentications",
            &with_code(enrollment_body(SEAMLESS), "auth_pa1"),
        )
        .await;
    let (id, ctx) = seamless_ids(&e);
    let code = otp(addr, "cybersource", &id).await;
    let validation = |otp: &str| {
        json!({
            "clientReferenceInformation": {"code": "auth_pa1"},
            "consumerAuthenticationInformation": {
                "authenticationTransactionId": id, "authenticationTransactionContext": ctx, "otpToken": otp,
            },
            "deviceInformation": {"ipAddress": "10.0.0.1"},
        })
    };
    let (_, bad) = cs
        .post(
            "/risk/v1/authentication-results",
            &validation(&wrong(&code)),
        )
        .await;
    let (_, good) = cs
        .post("/risk/v1/authentication-results", &validation(&code))
        .await;
    assert_eq!(good["status"], "AUTHENTICATION_SUCCESSFUL", "{good}");

    let (status, s) = cs.post("/tss/v2/searches", &search("auth_pa1")).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["totalCount"], 3, "{s}");
    let all = summaries(&s);
    let enroll = by_id(&all, &e["id"]);
    assert_eq!(
        enroll["applicationInformation"]["applications"][0],
        json!({"name": "ics_pa_enroll", "reasonCode": "475", "rCode": "0", "rFlag": "DAUTHENTICATE"})
    );
    assert_eq!(
        enroll["consumerAuthenticationInformation"]["transactionId"],
        id.as_str()
    );
    assert_eq!(enroll["clientReferenceInformation"]["code"], "auth_pa1");
    assert_eq!(enroll["submitTimeUtc"], e["submitTimeUtc"]);
    assert_eq!(
        enroll["orderInformation"]["amountDetails"],
        json!({"totalAmount": "100.00", "currency": "INR"})
    );
    assert_eq!(enroll["paymentInformation"]["card"]["suffix"], "0015");
    let failed = by_id(&all, &bad["id"]);
    assert_eq!(
        failed["applicationInformation"]["applications"][0],
        json!({"name": "ics_pa_validate", "reasonCode": "476", "rCode": "0", "rFlag": "DAUTHENTICATIONFAILED"})
    );
    let cai = &failed["consumerAuthenticationInformation"];
    assert_eq!(cai["authenticationResult"], "450");
    assert_eq!(cai["paresStatus"], "N");
    assert!(cai["cavv"].is_null(), "{cai}");
    assert_eq!(
        failed["errorInformation"]["reason"],
        "CONSUMER_AUTHENTICATION_FAILED"
    );
    let ok = by_id(&all, &good["id"]);
    assert_eq!(
        ok["applicationInformation"]["applications"][0],
        json!({"name": "ics_pa_validate", "reasonCode": "100", "rCode": "1", "rFlag": "SOK"})
    );
    assert_eq!(ok["applicationInformation"]["rCode"], "1");
    let cai = &ok["consumerAuthenticationInformation"];
    assert_eq!(cai["transactionId"], id.as_str());
    assert_eq!(cai["eciRaw"], "05");
    assert_eq!(cai["paresStatus"], "Y");
    assert_eq!(cai["authenticationResult"], "0");
    // The CAVV the search shows proves the authentication for authorization.
    let cavv = cai["cavv"].as_str().expect("cavv").to_owned();
    let (_, p) = cs.authorize(SEAMLESS, json!({"cavv": cavv}), false).await;
    assert_eq!(p["status"], "AUTHORIZED", "{p}");

    // A resend is another ics_pa_enroll; a card that is not enrolled fails enrollment.
    let (_, e2) = cs
        .post(
            "/risk/v1/authentications",
            &with_code(enrollment_body(SEAMLESS), "auth_pa2"),
        )
        .await;
    let (id2, _) = seamless_ids(&e2);
    let mut resend = with_code(enrollment_body(SEAMLESS), "auth_pa2");
    resend["consumerAuthenticationInformation"] = json!({"authenticationTransactionId": id2});
    let (_, r) = cs.post("/risk/v1/authentications", &resend).await;
    assert_eq!(r["status"], "PENDING_AUTHENTICATION", "{r}");
    let (_, s) = cs.post("/tss/v2/searches", &search("auth_pa2")).await;
    let all = summaries(&s);
    assert_eq!(all.len(), 2, "{s}");
    let resent = by_id(&all, &r["id"]);
    assert_eq!(
        resent["applicationInformation"]["applications"][0]["name"],
        "ics_pa_enroll"
    );
    assert_eq!(
        resent["consumerAuthenticationInformation"]["transactionId"],
        id2.as_str()
    );

    let (_, n) = cs
        .post(
            "/risk/v1/authentications",
            &with_code(enrollment_body(NOT_ENROLLED), "auth_pa3"),
        )
        .await;
    assert_eq!(n["status"], "AUTHENTICATION_FAILED", "{n}");
    let (_, s) = cs.post("/tss/v2/searches", &search("auth_pa3")).await;
    let t = &summaries(&s)[0];
    assert_eq!(
        t["applicationInformation"]["applications"][0],
        json!({"name": "ics_pa_enroll", "reasonCode": "476", "rCode": "0", "rFlag": "DAUTHENTICATIONFAILED"})
    );
    assert!(
        t["consumerAuthenticationInformation"]["authenticationResult"].is_null(),
        "a failed enrollment carries no NPCI result to index: {t}"
    );

    // Redirect: the validation's summary carries the xid and CAVV.
    let (_, e3) = cs
        .post(
            "/risk/v1/authentications",
            &with_code(enrollment_body(REDIRECT), "auth_pa4"),
        )
        .await;
    let xid = e3["consumerAuthenticationInformation"]["xid"]
        .as_str()
        .expect("xid")
        .to_owned();
    let acs = e3["consumerAuthenticationInformation"]["acsUrl"]
        .as_str()
        .expect("acsUrl")
        .to_owned();
    let pareq = e3["consumerAuthenticationInformation"]["pareq"]
        .as_str()
        .expect("pareq")
        .to_owned();
    http()
        .post(&acs)
        .form(&[
            ("PaReq", pareq.as_str()),
            ("TermUrl", "https://merchant.example/return"),
            ("MD", xid.as_str()),
        ])
        .send()
        .await
        .expect("acs");
    let code = otp(addr, "cybersource", &xid).await;
    let (_, done) = read(
        http()
            .post(format!("{acs}/submit"))
            .header("accept", "application/json")
            .form(&[("otp", code.as_str())])
            .send()
            .await
            .expect("submit"),
    )
    .await;
    let pares = done["fields"]["PaRes"].as_str().expect("PaRes");
    let (_, v) = cs
        .post(
            "/risk/v1/authentication-results",
            &json!({"clientReferenceInformation": {"code": "auth_pa4"}, "consumerAuthenticationInformation": {"signedPares": pares}}),
        )
        .await;
    assert_eq!(v["status"], "AUTHENTICATION_SUCCESSFUL", "{v}");
    let (_, s) = cs.post("/tss/v2/searches", &search("auth_pa4")).await;
    let all = summaries(&s);
    let t = by_id(&all, &v["id"]);
    let cai = &t["consumerAuthenticationInformation"];
    assert_eq!(cai["xid"], xid.as_str());
    assert_eq!(cai["transactionId"], xid.as_str());
    assert_eq!(cai["cavv"], v["consumerAuthenticationInformation"]["cavv"]);
    assert_eq!(cai["eciRaw"], "05");
}

/// RuPay's card type code is `061` (seed 004, FACTS.md): a RuPay card sent as Visa (`001`)
/// is refused, at enrollment and at authorization.
#[tokio::test]
async fn a_rupay_card_under_another_brands_type_is_refused() {
    let cs = Cybersource::new(start(test_config()).await);
    let mut body = enrollment_body(SEAMLESS);
    body["paymentInformation"]["card"]["type"] = json!("001");
    let (status, v) = cs.post("/risk/v1/authentications", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["details"][0]["field"], "paymentInformation.card.type");
    let (_, token) = cs.authenticate(SEAMLESS).await;
    let payment = json!({
        "clientReferenceInformation": {"code": "ORD1"},
        "processingInformation": {"commerceIndicator": "rpy"},
        "paymentInformation": {"card": {"number": SEAMLESS, "expirationMonth": "12", "expirationYear": "2031", "securityCode": "123", "type": "001"}},
        "orderInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
        "consumerAuthenticationInformation": {"transactionToken": token},
    });
    let (status, v) = cs.post("/pts/v2/payments", &payment).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["details"][0]["field"], "paymentInformation.card.type");
}

/// Cybersource serves many merchant ids, each with its own key; what one made is not found
/// under another's, and the authenticated signer of every call is recorded.
#[tokio::test]
async fn merchants_are_kept_apart() {
    const OTHER_SECRET: &str = "bm9u4K9TfdvYoeO7J77B+uVwHf5lC21TsIyqP7XxnTM=";
    let mut config = test_config();
    config
        .cybersource
        .other_merchants
        .push(payorch_sandbox::config::CybersourceMerchant {
            merchant_id: "other_mid".into(),
            key_id: KEY_ID.into(),
            shared_secret: OTHER_SECRET.into(),
        });
    let addr = start(config).await;
    let first = Cybersource::new(addr);
    let mut other = Cybersource::new(addr);
    other.merchant = "other_mid".into();
    other.secret = OTHER_SECRET.into();

    let (_, token) = first.authenticate(SEAMLESS).await;
    let (status, p) = first
        .authorize(SEAMLESS, json!({"transactionToken": token}), false)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let path = format!("/tss/v2/transactions/{}", p["id"].as_str().unwrap());
    let (status, mine) = first.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let (status, theirs) = other.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{theirs}");

    // Another merchant's id with the first one's secret is refused.
    let mut forged = Cybersource::new(addr);
    forged.merchant = "other_mid".into();
    let (status, _) = forged.get(&path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let signers = signers(addr).await;
    assert!(
        signers["cybersource"]["testrest"].as_u64().unwrap() >= 4,
        "{signers}"
    );
    assert_eq!(signers["cybersource"]["other_mid"], 1, "{signers}");
}
