//! Promises of `proto/payorch/v1` that are the same whatever the connector: each test holds
//! one comment of the proto to what a real gRPC client gets from the real server (embedded
//! sandbox over HTTP, a real redis-server).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use payorch::api::{
    self, AuthenticationStatus as AS, CancelAuthenticationRequest, FlowPreference,
    GetPaymentRequest, PaymentStatus as PS,
};
use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::session::{AuthenticationSession, NextAction};
use payorch_core::status::{AuthenticationStatus, Flow};
use payorch_store::{CardCipher, Lifetimes, RedisStore, RedisTopology, SessionStore};
use support::flows::{self, Stack};
use support::matrix::{CYBERSOURCE, Profile};
use support::reason;
use tonic::Code;
use tonic_types::StatusExt;

async fn store_of(stack: &Stack) -> RedisStore {
    let cipher = CardCipher::from_base64_keys("k1", [("k1", support::ENCRYPTION_KEY)]).unwrap();
    RedisStore::connect(
        &RedisTopology::Single(stack.redis.url()),
        cipher,
        Lifetimes::default(),
    )
    .await
    .unwrap()
}

/// A session as another replica left it: `status`, last written `age_ms` ago.
fn session(id: &str, status: AuthenticationStatus, age_ms: i64) -> AuthenticationSession {
    let now = payorch_store::ttl::now_ms();
    AuthenticationSession {
        routing: None,
        id: id.into(),
        merchant_id: "demo".into(),
        connector: "cybersource".into(),
        status,
        flow: Some(Flow::Seamless),
        amount: Money::new(10_000, "INR").unwrap(),
        card_bin: "508500".into(),
        card_last4: "0015".into(),
        failure_reason: None,
        recommendation: None,
        provider_status: None,
        provider_reference: None,
        attempts_remaining: 3,
        resends_remaining: 2,
        expires_at_ms: Some(now + 300_000),
        next_action: Some(NextAction::CollectOtp {
            expires_at_ms: Some(now + 300_000),
            otp_length: 6,
        }),
        return_url: "https://merchant.example/return".into(),
        order_reference: "ORD-1".into(),
        connector_state: None,
        capture: true,
        completed_by: None,
        cancel_reason: None,
        claim: None,
        created_at_ms: now - age_ms,
        updated_at_ms: now - age_ms,
        version: 0,
        card: Some(Card::parse(flows::SEAMLESS, "12", "2031", Some("123"), None, 2026, 1).unwrap()),
    }
}

fn cancel(id: &str) -> CancelAuthenticationRequest {
    CancelAuthenticationRequest {
        authentication_id: id.into(),
        idempotency_key: flows::key(),
        merchant_id: "demo".into(),
        reason: "order abandoned".into(),
    }
}

/// "ABORTED (a verification is in flight)" for Cancel, and for SubmitOtp "ABORTED (another
/// call is verifying this authentication right now)"; a PENDING session whose start call is
/// still with the provider is not cancelled under it, but one its replica abandoned is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_sessions_are_not_cancelled_under_their_call() {
    let stack = Stack::start(&CYBERSOURCE).await;
    let store = store_of(&stack).await;
    let verifying = "auth_000000000000000000000000000000a1";
    let starting = "auth_000000000000000000000000000000a2";
    let abandoned = "auth_000000000000000000000000000000a3";
    store
        .create(session(verifying, AuthenticationStatus::Verifying, 0))
        .await
        .unwrap();
    store
        .create(session(starting, AuthenticationStatus::Pending, 0))
        .await
        .unwrap();
    store
        .create(session(abandoned, AuthenticationStatus::Pending, 120_000))
        .await
        .unwrap();
    let mut auth = stack.auth().await;
    for id in [verifying, starting] {
        let refused = auth.cancel_authentication(cancel(id)).await.unwrap_err();
        assert_eq!(refused.code(), Code::Aborted, "{id}: {refused:?}");
    }
    let mut submit = flows::submit(
        &api::Authentication {
            id: verifying.into(),
            ..Default::default()
        },
        "123456",
    );
    submit.merchant_id = "demo".into();
    let refused = auth.submit_otp(submit).await.unwrap_err();
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");
    let cancelled = auth
        .cancel_authentication(cancel(abandoned))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status(), AS::Cancelled);
    assert_eq!(
        cancelled.failure_reason(),
        api::FailureReason::CancelledByMerchant
    );
    assert!(
        store.get(abandoned).await.unwrap().unwrap().card.is_none(),
        "the card data is erased"
    );
    assert_eq!(
        store.get(starting).await.unwrap().unwrap().status,
        AuthenticationStatus::Pending,
        "the start call keeps its session"
    );
}

/// Authorize: "unset means the authenticated amount"; "a second Authorize with another key
/// on the same authentication is FAILED_PRECONDITION"; `connector` must be empty or the
/// authentication's; `payment_method` must be unset with an authentication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_keeps_its_documented_promises() {
    let stack = Stack::start(&CYBERSOURCE).await;
    let mut auth = stack.auth().await;
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let otp = stack.otp(&started).await;
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    let mut payments = stack.payments().await;

    let mut pinned_elsewhere = flows::authorize(&done, true);
    pinned_elsewhere.connector = "mpgs".into();
    let mut with_card = flows::authorize(&done, true);
    with_card.payment_method = Some(flows::card(flows::SEAMLESS));
    for (request, field) in [
        (pinned_elsewhere, "connector"),
        (with_card, "payment_method"),
    ] {
        let refused = payments.authorize(request).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(
            support::violated_fields(&refused).contains(&field.to_owned()),
            "{refused:?}"
        );
    }
    assert_eq!(
        stack.calls("authorization").await,
        0,
        "refused before any call"
    );

    let mut without_amount = flows::authorize(&done, true);
    without_amount.amount = None;
    let payment = payments
        .authorize(without_amount)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
    assert_eq!(payment.amount.as_ref().map(|m| m.minor_units), Some(10_000));
    let twice = payments
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");
    assert_eq!(reason(&twice), "AUTHENTICATION_ALREADY_USED");
    let read = payments
        .get_payment(GetPaymentRequest {
            id: payment.id.clone(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.status(), PS::Captured);
}

/// "RuPay cards are refused (FAILED_PRECONDITION, ErrorInfo reason AUTHENTICATION_REQUIRED)"
/// for an Authorize without an authentication, before any provider call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rupay_without_authentication_is_authentication_required() {
    let stack = Stack::start(&CYBERSOURCE).await;
    let mut payments = stack.payments().await;
    let request = api::AuthorizeRequest {
        merchant_id: "demo".into(),
        idempotency_key: flows::key(),
        amount: flows::inr(10_000),
        capture: true,
        payment_method: Some(flows::card(flows::SEAMLESS)),
        ..Default::default()
    };
    let refused = payments.authorize(request).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(reason(&refused), "AUTHENTICATION_REQUIRED");
    assert_eq!(stack.total_calls().await, 0);
}

/// The unauthenticated callback endpoint answers an unknown id and a seamless session's id
/// alike (it must not reveal which ids exist), with a page for a person, not a bare error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_answers_unknown_and_seamless_ids_alike() {
    let stack = Stack::start(&CYBERSOURCE).await;
    let started = stack
        .auth()
        .await
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status(), AS::OtpRequired);
    let http = stack.payorch.http_addr;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut answers = Vec::new();
    for id in [started.id.as_str(), "auth_0123456789abcdef0123456789abcdef"] {
        let answer = client
            .post(format!("http://{http}/v1/callbacks/{id}"))
            .form(&[("PaRes", "x"), ("MD", "y")])
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let content_type = answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        answers.push((status, content_type, answer.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].1.starts_with("text/html"), "{:?}", answers[0]);
    let read = flows::eventually_status(&mut stack.auth().await, &started.id).await;
    assert_eq!(read.status(), AS::OtpRequired, "the session is untouched");
}

/// The state decides before the amount: Refund on an AUTHORIZED payment and Capture with no
/// amount on a CAPTURED one are FAILED_PRECONDITION ("nothing captured", "status not
/// AUTHORIZED"), not a blamed `amount`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_state_is_checked_before_the_amount() {
    let stack = Stack::start(&CYBERSOURCE).await;
    let mut auth = stack.auth().await;
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let otp = stack.otp(&started).await;
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    let mut payments = stack.payments().await;
    let payment = payments
        .authorize(flows::authorize(&done, false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Authorized);
    let refund = |amount| api::RefundRequest {
        payment_id: payment.id.clone(),
        amount,
        idempotency_key: flows::key(),
        reason: String::new(),
        merchant_id: "demo".into(),
    };
    let capture = || api::CaptureRequest {
        payment_id: payment.id.clone(),
        amount: None,
        idempotency_key: flows::key(),
        merchant_id: "demo".into(),
    };
    for amount in [None, flows::inr(500)] {
        let refused = payments.refund(refund(amount)).await.unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    }
    let captured = payments.capture(capture()).await.unwrap().into_inner();
    assert_eq!(captured.status(), PS::Captured);
    let refused = payments.capture(capture()).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(reason(&refused), "PAYMENT_STATE");
}

fn profile(connector: &'static str) -> Profile {
    Profile {
        connector,
        start_op: "",
        validate_op: "",
        authorize_op: "",
        reports_otp_expiry: true,
    }
}

/// The README's browser (IP address and user agent only) on each connector: whatever the
/// connector's provider needs beyond it is named in one BadRequest, before anything is
/// recorded or sent (sandbox call counts stay zero).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_required_fields_are_named_before_any_call() {
    let cases: [(&'static str, &[&str]); 4] = [
        (
            "cybersource",
            &["browser.accept_header", "payment_method.card.cvv"],
        ),
        ("fiserv-ipg", &["browser.accept_header", "browser.language"]),
        ("mpgs", &["browser.accept_header", "browser.ip_address"]),
        ("juspay", &["payment_method.card.cvv"]),
    ];
    for (connector, expected) in cases {
        let stack = Stack::start(&profile(connector)).await;
        let mut request = flows::start_request(flows::SEAMLESS, FlowPreference::Seamless);
        let browser = request.browser.as_mut().unwrap();
        browser.accept_header.clear();
        browser.language.clear();
        if connector == "mpgs" {
            browser.ip_address = "2001:db8::7".into();
        }
        if let Some(api::payment_method::Method::Card(card)) = request
            .payment_method
            .as_mut()
            .and_then(|m| m.method.as_mut())
        {
            card.cvv.clear();
        }
        let refused = stack
            .auth()
            .await
            .start_authentication(request)
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{connector}: {refused:?}"
        );
        let mut named = support::violated_fields(&refused);
        named.sort();
        let mut expected: Vec<String> = expected.iter().map(|f| (*f).to_owned()).collect();
        expected.sort();
        assert_eq!(named, expected, "{connector}");
        assert_eq!(stack.total_calls().await, 0, "{connector}: nothing sent");
    }
}

/// A card this route cannot authenticate (a Visa card on RuPay-only connectors) is a normal
/// FAILED answer with AUTHENTICATION_NOT_AVAILABLE, without any provider order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_the_route_cannot_authenticate_creates_no_provider_order() {
    let stack = Stack::start(&profile("mpgs")).await;
    let mut auth = stack.auth().await;
    let request = flows::start_request("4111111111111111", FlowPreference::Seamless);
    let failed = auth
        .start_authentication(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(failed.status(), AS::Failed, "{failed:?}");
    assert_eq!(
        failed.failure_reason(),
        api::FailureReason::AuthenticationNotAvailable
    );
    assert_eq!(failed.recommendation(), api::Recommendation::DoNotProceed);
    assert_eq!(stack.total_calls().await, 0, "no provider order");
    let read = flows::eventually_status(&mut auth, &failed.id).await;
    assert_eq!(read, failed);
}

/// A connector payorch does not know is INVALID_ARGUMENT and one the merchant has not
/// enabled is FAILED_PRECONDITION; both messages list the merchant's connectors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_connector_lists_the_merchants_connectors() {
    let stack = Stack::start(&CYBERSOURCE).await;
    let mut auth = stack.auth().await;
    for (pinned, code) in [
        ("stripe", Code::InvalidArgument),
        ("mpgs", Code::FailedPrecondition),
    ] {
        let mut request = flows::start_request(flows::SEAMLESS, FlowPreference::Seamless);
        request.connector = pinned.into();
        let refused = auth.start_authentication(request).await.unwrap_err();
        assert_eq!(refused.code(), code, "{pinned}: {refused:?}");
        let text = format!(
            "{} {:?}",
            refused.message(),
            refused.get_error_details().bad_request()
        );
        assert!(text.contains("cybersource"), "{pinned}: {text}");
    }
}

/// "After `expires_at` the status becomes EXPIRED": a session whose window passed while it
/// waited for the payer reads EXPIRED with its reason (OTP_EXPIRED seamless, TIMED_OUT
/// redirect) on any replica, and accepts no OTP or return any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_window_reads_expired() {
    let redis = payorch_store::testing::RedisServer::start();
    let mut settings = support::redis_settings(&redis.url());
    settings.merchants[0].connectors = vec!["cybersource".into()];
    settings.retention.authentication_window_secs = 2;
    let payorch = support::start(settings).await;
    let mut auth = support::authentications(payorch.grpc_addr).await;
    let seamless = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let redirect = auth
        .start_authentication(flows::start_request(
            flows::REDIRECT_ONLY,
            FlowPreference::Redirect,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seamless.status(), AS::OtpRequired);
    assert_eq!(redirect.status(), AS::RedirectRequired);
    let window_end = seamless.expires_at.unwrap();
    let created = seamless.created_at.unwrap();
    assert_eq!(window_end.seconds - created.seconds, 2, "{seamless:?}");
    for (started, reason) in [
        (&seamless, api::FailureReason::OtpExpired),
        (&redirect, api::FailureReason::TimedOut),
    ] {
        let mut read = flows::eventually_status(&mut auth, &started.id).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while read.status() != AS::Expired && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            read = flows::eventually_status(&mut auth, &started.id).await;
        }
        assert_eq!(read.status(), AS::Expired, "{read:?}");
        assert_eq!(read.failure_reason(), reason);
        assert!(read.next_action.is_none());
    }
    let refused = auth
        .submit_otp(flows::submit(&seamless, "123456"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
}

/// "With refresh, an unreachable provider leaves the stored state unchanged and is not an
/// error" (GetPayment; GetAuthentication alike, reported in `provider_status`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_with_the_provider_down_answers_the_stored_state() {
    let stack = Stack::start(&CYBERSOURCE).await;
    let mut auth = stack.auth().await;
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    let otp = stack.otp(&started).await;
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    let mut payments = stack.payments().await;
    let payment = payments
        .authorize(flows::authorize(&done, false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Authorized);
    stack.arm_fault("status=503", 20).await;
    let read = payments
        .get_payment(GetPaymentRequest {
            id: payment.id.clone(),
            refresh: true,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.status(), PS::Authorized);
    assert_eq!(
        read.provider_status.as_ref().map(|p| p.code.as_str()),
        Some("PROVIDER_UNREACHABLE"),
        "{read:?}"
    );
    assert_eq!(read.updated_at, payment.updated_at, "nothing was written");
}
