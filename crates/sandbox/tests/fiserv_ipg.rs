//! The Fiserv IPG simulator over real HTTP, following seed 002.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

fn otp_code(v: &serde_json::Value) -> &str {
    v["authenticationResponse"]["otpVerificationResponse"]["responseCode"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn seamless_payer_auth_verify_then_sale() {
    let addr = start(test_config()).await;
    let ipg = Fiserv::new(addr);
    let (status, p) = ipg.payer_auth(SEAMLESS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["transactionType"], "PAYER_AUTH");
    assert_eq!(p["transactionStatus"], "WAITING");
    assert_eq!(p["approvalCode"], "?:waiting authentication");
    assert_eq!(
        p["authenticationResponse"]["otpVerificationResponse"]["otpValidityInMinutes"],
        5
    );
    assert_eq!(p["paymentMethodDetails"]["paymentCard"]["brand"], "RUPAY");
    assert!(p["clientRequestId"].is_string() && p["apiTraceId"].is_string());
    let id = p["ipgTransactionId"].as_str().expect("id").to_owned();
    let code = otp(addr, "fiserv-ipg", &id).await;
    let (_, v) = ipg.update(&id, "verifyOtp", json!(wrong(&code))).await;
    assert_eq!(otp_code(&v), "450");
    assert_eq!(v["transactionStatus"], "WAITING");
    let (_, v) = ipg.update(&id, "verifyOtp", json!(code)).await;
    assert_eq!(otp_code(&v), "00");
    assert_eq!(v["approvalCode"], "Y:00:OTP verified successfully.");
    let (status, s) = ipg
        .sale(Some(&id), Some(SEAMLESS), "PaymentCardSaleTransaction")
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["transactionType"], "SALE");
    assert_eq!(s["transactionStatus"], "APPROVED");
    assert_eq!(s["processor"]["responseCode"], "00");
    assert_eq!(s["orderId"], p["orderId"]);
    let sid = s["ipgTransactionId"].as_str().expect("id");
    let (status, r) = ipg
        .call("POST", &format!("/payments/{sid}"), Some(&json!({"requestType": "ReturnTransaction", "transactionAmount": {"total": "23.50", "currency": "INR"}})))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["transactionType"], "RETURN");
    let (status, _) = ipg
        .call("POST", &format!("/payments/{sid}"), Some(&json!({"requestType": "ReturnTransaction", "transactionAmount": {"total": "100.01", "currency": "INR"}})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let order = p["orderId"].as_str().expect("order");
    let (status, o) = ipg.call("GET", &format!("/orders/{order}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(o["transactions"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn attempts_exhausted_and_regenerate_limit() {
    let mut config = test_config();
    config.fiserv_ipg.otp = payorch_sandbox::OtpPolicy::new(5, 2, 1);
    let addr = start(config).await;
    let ipg = Fiserv::new(addr);
    let (_, p) = ipg.payer_auth(SEAMLESS).await;
    let id = p["ipgTransactionId"].as_str().expect("id").to_owned();
    let (status, r) = ipg.update(&id, "regenerateOtp", json!("true")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        r["authenticationResponse"]["otpVerificationResponse"]["otpValidityInMinutes"],
        5
    );
    let (status, r) = ipg.update(&id, "regenerateOtp", json!("true")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(otp_code(&r), "453");
    assert_eq!(r["transactionStatus"], "DECLINED");

    let (_, p) = ipg.payer_auth(SEAMLESS).await;
    let id = p["ipgTransactionId"].as_str().expect("id").to_owned();
    let code = otp(addr, "fiserv-ipg", &id).await;
    let (status, v) = ipg.update(&id, "verifyOtp", json!(wrong(&code))).await;
    assert_eq!((status, otp_code(&v)), (StatusCode::OK, "450"));
    let (status, v) = ipg.update(&id, "verifyOtp", json!(wrong(&code))).await;
    assert_eq!(
        (status, otp_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "452")
    );
    let (_, inquiry) = ipg.call("GET", &format!("/payments/{id}"), None).await;
    assert_eq!(inquiry["transactionStatus"], "DECLINED");
}

#[tokio::test]
async fn expired_otp_then_regenerate() {
    let addr = start(test_config()).await;
    let ipg = Fiserv::new(addr);
    let (_, p) = ipg.payer_auth(SEAMLESS).await;
    let id = p["ipgTransactionId"].as_str().expect("id").to_owned();
    let code = otp(addr, "fiserv-ipg", &id).await;
    http()
        .post(format!("http://{addr}/_sandbox/otp/fiserv-ipg/{id}/expire"))
        .send()
        .await
        .expect("expire");
    let (_, v) = ipg.update(&id, "verifyOtp", json!(code)).await;
    assert_eq!(otp_code(&v), "451");
    ipg.update(&id, "regenerateOtp", json!(true)).await;
    let code = otp(addr, "fiserv-ipg", &id).await;
    let (_, v) = ipg.update(&id, "verifyOtp", json!(code)).await;
    assert_eq!(otp_code(&v), "00");
}

#[tokio::test]
async fn redirect_flow_returns_to_term_url() {
    let addr = start(test_config()).await;
    let ipg = Fiserv::new(addr);
    let (status, p) = ipg.payer_auth(REDIRECT).await;
    assert_eq!(status, StatusCode::OK);
    let params = &p["authenticationResponse"]["params"];
    assert_eq!(params["termURL"], "https://merchant.example/fiserv/return");
    let acs = params["acsURL"].as_str().expect("acsURL").to_owned();
    let id = p["ipgTransactionId"].as_str().expect("id").to_owned();
    assert_eq!(
        http().post(&acs).send().await.expect("acs").status(),
        StatusCode::OK
    );
    let code = otp(addr, "fiserv-ipg", &id).await;
    let done = read(
        http()
            .post(format!("{acs}/submit"))
            .header("accept", "application/json")
            .form(&[("otp", code.as_str())])
            .send()
            .await
            .expect("submit"),
    )
    .await
    .1;
    assert_eq!(done["action"], "https://merchant.example/fiserv/return");
    assert_eq!(done["fields"]["ipgTransactionId"], id.as_str());
    assert_eq!(done["fields"]["status"], "APPROVED");
    assert!(done["fields"]["response_hash"].is_string());
    let (_, inquiry) = ipg.call("GET", &format!("/payments/{id}"), None).await;
    assert_eq!(inquiry["approvalCode"], "Y:00:OTP verified successfully.");
    let (status, s) = ipg
        .sale(Some(&id), None, "PaymentCardSaleTransaction")
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
}

#[tokio::test]
async fn not_enrolled_and_declines() {
    let ipg = Fiserv::new(start(test_config()).await);
    let (status, p) = ipg.payer_auth(NOT_ENROLLED).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["error"]["code"], "410");
    assert_eq!(p["responseType"], "EndpointDeclined");
    for (card, code) in [(DECLINE_51, "51"), (DECLINE_54, "54"), (DECLINE_05, "05")] {
        let id = ipg.authenticate(card).await;
        let (status, s) = ipg
            .sale(Some(&id), Some(card), "PaymentCardSaleTransaction")
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(s["transactionStatus"], "DECLINED");
        assert_eq!(s["processor"]["responseCode"], code);
    }
    let (status, s) = ipg
        .sale(None, Some(SEAMLESS), "PaymentCardSaleTransaction")
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "RuPay without authentication: {s}"
    );
}

#[tokio::test]
async fn preauth_capture_and_void() {
    let ipg = Fiserv::new(start(test_config()).await);
    let id = ipg.authenticate(SEAMLESS).await;
    let (status, a) = ipg
        .sale(Some(&id), None, "PaymentCardPreAuthTransaction")
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["transactionType"], "PREAUTH");
    let aid = a["ipgTransactionId"].as_str().expect("id");
    let (status, c) = ipg
        .call("POST", &format!("/payments/{aid}"), Some(&json!({"requestType": "PostAuthTransaction", "transactionAmount": {"total": "100.00", "currency": "INR"}})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["transactionType"], "POSTAUTH");
    let (status, _) = ipg
        .call("POST", &format!("/payments/{aid}"), Some(&json!({"requestType": "PostAuthTransaction", "transactionAmount": {"total": "30.00", "currency": "INR"}})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "over-capture");
    let cid = c["ipgTransactionId"].as_str().expect("id");
    let (status, v) = ipg
        .call(
            "POST",
            &format!("/payments/{cid}"),
            Some(&json!({"requestType": "VoidTransaction"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["transactionType"], "VOID");
}

#[tokio::test]
async fn authentication_failures() {
    let addr = start(test_config()).await;
    let mut ipg = Fiserv::new(addr);
    // A replayed Client-Request-Id is refused.
    let body = json!({"requestType": "PaymentCardSaleTransaction"});
    let first = ipg
        .request(
            "POST",
            "/payments",
            Some(&body),
            Some("11111111-2222-4333-8444-555555555555"),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(
        first.status(),
        StatusCode::BAD_REQUEST,
        "missing fields, but accepted for processing"
    );
    let (status, replay) = read(
        ipg.request(
            "POST",
            "/payments",
            Some(&body),
            Some("11111111-2222-4333-8444-555555555555"),
        )
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        replay["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Client-Request-Id")
    );
    assert_eq!(
        replay["clientRequestId"],
        "11111111-2222-4333-8444-555555555555"
    );
    // Wrong secret.
    ipg.secret = "other".into();
    let (status, v) = ipg.call("GET", "/payments/1", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["responseType"], "Unauthenticated");
    // Stale timestamp.
    let r = http()
        .get(format!("http://{addr}/fiserv-ipg/payments/1"))
        .header("Api-Key", FISERV_KEY)
        .header("Client-Request-Id", "x-1")
        .header("Timestamp", "1767225600000")
        .header(
            "Message-Signature",
            payorch_sandbox::providers::fiserv_ipg::signature::sign(
                FISERV_KEY,
                FISERV_SECRET,
                "x-1",
                "1767225600000",
                b"",
            ),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_fields_are_named() {
    let ipg = Fiserv::new(start(test_config()).await);
    let body = json!({
        "requestType": "PaymentCardPayerAuthTransaction",
        "transactionAmount": {"total": "1.00", "currency": "INR"},
        "paymentMethod": {"paymentCard": {"number": SEAMLESS, "expiryDate": {"month": "12", "year": "31"}}},
        "authenticationRequest": {"authenticationType": "RupayAuthenticationRequest", "termURL": "https://m.example/r"},
        "unknownExtra": {"accepted": true}
    });
    let (status, v) = ipg.call("POST", "/payments", Some(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["responseType"], "BadRequest");
    let fields: Vec<&str> = v["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"authenticationRequest.cardHolderBrowserParams.browserIP"),
        "{v}"
    );
    let (status, _) = ipg.call("GET", "/payments/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every operation's `Content-Type` is a required `application/json` header (the spec's
/// `ContentTypeParam`, with 415 `UnsupportedMediaType` among each operation's answers).
#[tokio::test]
async fn a_body_needs_content_type_json() {
    let ipg = Fiserv::new(start(test_config()).await);
    let body =
        serde_json::to_vec(&json!({"requestType": "PaymentCardSaleTransaction"})).expect("json");
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let (status, v) = read(
            ipg.signed("POST", "/payments", Some(body.clone()), content_type, None)
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}: {v}"
        );
        assert_eq!(v["responseType"], "UnsupportedMediaType");
        assert!(
            v["error"]["code"].is_string() && v["clientRequestId"].is_string(),
            "{v}"
        );
    }
    let (status, v) = read(
        ipg.signed(
            "POST",
            "/payments",
            Some(body),
            Some("application/json; charset=utf-8"),
            None,
        )
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "JSON with a charset is JSON: {v}"
    );
    // A GET has no body to describe.
    let (status, _) = ipg.call("GET", "/payments/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// `Expiration`: month `MM`, year `YY` (`^([0-9]{2})$`); four digits are refused.
#[tokio::test]
async fn expiry_year_has_two_digits() {
    let ipg = Fiserv::new(start(test_config()).await);
    let four = json!({"paymentCard": {"number": SEAMLESS, "securityCode": "123", "expiryDate": {"month": "12", "year": "2031"}}});
    let field = |v: &serde_json::Value| {
        v["error"]["details"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let mut payer_auth = json!({
        "requestType": "PaymentCardPayerAuthTransaction",
        "transactionAmount": {"total": "123.50", "currency": "INR"},
        "paymentMethod": four,
        "authenticationRequest": {
            "authenticationType": "RupayAuthenticationRequest",
            "termURL": "https://merchant.example/fiserv/return",
            "cardHolderBrowserParams": {
                "browserAcceptHeaders": "text/html", "browserIP": "189.6.239.59",
                "browserLanguage": "en", "browserUserAgent": "Mozilla/5.0"
            }
        }
    });
    let (status, v) = ipg.call("POST", "/payments", Some(&payer_auth)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(field(&v), "paymentMethod.paymentCard.expiryDate.year");
    payer_auth["paymentMethod"]["paymentCard"]["expiryDate"] = json!({"month": "7", "year": "31"});
    let (status, v) = ipg.call("POST", "/payments", Some(&payer_auth)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(field(&v), "paymentMethod.paymentCard.expiryDate.month");

    let id = ipg.authenticate(SEAMLESS).await;
    let sale = json!({
        "requestType": "PaymentCardSaleTransaction",
        "transactionAmount": {"total": "123.50", "currency": "INR"},
        "paymentMethod": four,
        "ipgTransactionId": id,
    });
    let (status, v) = ipg.call("POST", "/payments", Some(&sale)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(field(&v), "paymentMethod.paymentCard.expiryDate.year");
    let update = json!({
        "authenticationType": "RupayAuthenticationUpdateRequest",
        "paymentMethod": four,
        "regenerateOtp": "true",
    });
    let (status, v) = ipg
        .call("PATCH", &format!("/payments/{id}"), Some(&update))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(field(&v), "paymentMethod.paymentCard.expiryDate.year");
    // Answers print the year as seed 002's answers do.
    let (status, s) = ipg
        .sale(Some(&id), Some(SEAMLESS), "PaymentCardSaleTransaction")
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        s["paymentMethodDetails"]["paymentCard"]["expiryDate"],
        json!({"month": "12", "year": "2031"})
    );
}

/// Where a transaction stands is the spec's `transactionState` (VOIDED among its values);
/// `transactionStatus` only takes its own enum's values, and a transaction inside an
/// order inquiry (`TransactionResponse`) carries no `error`.
#[tokio::test]
async fn void_is_a_transaction_state_and_orders_carry_no_errors() {
    let ipg = Fiserv::new(start(test_config()).await);
    let statuses = [
        "APPROVED",
        "WAITING",
        "PARTIAL",
        "VALIDATION_FAILED",
        "PROCESSING_FAILED",
        "DECLINED",
    ];
    let id = ipg.authenticate(SEAMLESS).await;
    let (status, a) = ipg
        .sale(Some(&id), None, "PaymentCardPreAuthTransaction")
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["transactionState"], "AUTHORIZED");
    let aid = a["ipgTransactionId"].as_str().expect("id").to_owned();
    let (status, v) = ipg
        .call(
            "POST",
            &format!("/payments/{aid}"),
            Some(&json!({"requestType": "VoidTransaction"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, inquiry) = ipg.call("GET", &format!("/payments/{aid}"), None).await;
    assert_eq!(inquiry["transactionState"], "VOIDED", "{inquiry}");
    assert_eq!(inquiry["transactionStatus"], "APPROVED", "{inquiry}");

    let id = ipg.authenticate(DECLINE_51).await;
    let (status, d) = ipg
        .sale(Some(&id), Some(DECLINE_51), "PaymentCardSaleTransaction")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{d}");
    assert!(
        d["error"].is_object(),
        "the 422 answer is a TransactionErrorResponse: {d}"
    );
    assert_eq!(d["transactionState"], "DECLINED");
    let did = d["ipgTransactionId"].as_str().expect("id").to_owned();
    let (status, inquiry) = ipg.call("GET", &format!("/payments/{did}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(inquiry.get("error").is_none(), "{inquiry}");
    for answer in [&a, &inquiry] {
        assert!(statuses.contains(&answer["transactionStatus"].as_str().unwrap_or_default()));
    }
    for order in [&a, &d] {
        let order = order["orderId"].as_str().expect("order");
        let (status, o) = ipg.call("GET", &format!("/orders/{order}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let transactions = o["transactions"].as_array().expect("transactions");
        assert!(!transactions.is_empty());
        for t in transactions {
            assert!(
                t.get("error").is_none() && t.get("responseType").is_none(),
                "{t}"
            );
            assert!(
                statuses.contains(&t["transactionStatus"].as_str().unwrap_or_default()),
                "{t}"
            );
        }
    }
}

/// Each store (API key) has its own transactions: another store's id is not found, and a
/// store's key signed with another's secret is refused.
#[tokio::test]
async fn stores_are_kept_apart() {
    let mut config = test_config();
    config
        .fiserv_ipg
        .other_merchants
        .push(("other-store-key".into(), "other-store-secret".into()));
    let addr = start(config).await;
    let first = Fiserv::new(addr);
    let mut other = Fiserv::new(addr);
    other.key = "other-store-key".into();
    other.secret = "other-store-secret".into();
    let (status, p) = first.payer_auth(SEAMLESS).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let path = format!("/payments/{}", p["ipgTransactionId"].as_str().expect("id"));
    let (status, mine) = first.call("GET", &path, None).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let (status, theirs) = other.call("GET", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{theirs}");
    let (status, theirs) = other.payer_auth(SEAMLESS).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");

    let mut forged = Fiserv::new(addr);
    forged.key = "other-store-key".into();
    let (status, _) = forged.call("GET", &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let signers = signers(addr).await;
    assert!(
        signers["fiserv-ipg"][FISERV_KEY].as_u64().unwrap_or(0) >= 2,
        "{signers}"
    );
    assert_eq!(signers["fiserv-ipg"]["other-store-key"], 2, "{signers}");
}
