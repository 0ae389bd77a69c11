//! The end-to-end matrix every connector runs: a real gRPC client against the real server,
//! the embedded sandbox over real HTTP, and a real redis-server. Provider calls are counted
//! by the sandbox, so the cases assert how many happened. Each connector's test file expands
//! the cases its provider supports with `matrix!` and says why it leaves any out.

#![allow(dead_code)]

use std::time::Duration;

use api::{PaymentOperationKind as OK, PaymentOperationStatus as OS};
use payorch::api::{
    self, AuthenticationStatus as AS, CancelAuthenticationRequest, CaptureRequest,
    CompleteRedirectRequest, FailureReason as FR, FlowPreference, GetAuthenticationRequest,
    GetPaymentRequest, PaymentStatus as PS, Recommendation, RefundRequest, ResendOtpRequest,
    VoidRequest,
};
use tonic::Code;

use super::flows::{self, Stack};

/// What differs between connectors in the matrix: the id and the sandbox's counter names.
pub struct Profile {
    pub connector: &'static str,
    /// The call that starts an authentication (and sends the OTP).
    pub start_op: &'static str,
    /// The call that verifies an OTP.
    pub validate_op: &'static str,
    /// The call that authorizes (for providers that charge at OTP time, that call).
    pub authorize_op: &'static str,
    /// Whether the provider says how long an OTP stays valid (Juspay does not).
    pub reports_otp_expiry: bool,
}

pub const CYBERSOURCE: Profile = Profile {
    connector: "cybersource",
    start_op: "enrollment",
    validate_op: "validation",
    authorize_op: "authorization",
    reports_otp_expiry: true,
};

pub const FISERV_IPG: Profile = Profile {
    connector: "fiserv-ipg",
    start_op: "payer_auth",
    validate_op: "verify_otp",
    // The matrix authorizes with capture: a PaymentCardSaleTransaction.
    authorize_op: "sale",
    reports_otp_expiry: true,
};

pub const JUSPAY: Profile = Profile {
    connector: "juspay",
    start_op: "txn",
    validate_op: "authenticate",
    authorize_op: "authenticate",
    reports_otp_expiry: false,
};

pub const MPGS: Profile = Profile {
    connector: "mpgs",
    start_op: "authenticate_payer",
    validate_op: "callback_otp",
    // The matrix authorizes with capture: apiOperation PAY.
    authorize_op: "pay",
    reports_otp_expiry: true,
};

/// Every connector payorch has, as the matrix drives it.
pub const EVERY: [Profile; 4] = [CYBERSOURCE, FISERV_IPG, JUSPAY, MPGS];

/// Expands matrix cases into tests for one connector profile.
#[macro_export]
macro_rules! matrix {
    ($profile:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                support::matrix::$case(&$profile).await;
            }
        )+
    };
}

async fn seamless(stack: &Stack) -> api::Authentication {
    seamless_with(stack, true).await
}

/// A seamless authentication; `capture` says whether the later Authorize will capture
/// (providers that authorize during authentication need to know up front).
async fn seamless_with(stack: &Stack, capture: bool) -> api::Authentication {
    let mut auth = stack.auth().await;
    let mut request = flows::start_request(flows::SEAMLESS, FlowPreference::Seamless);
    request.capture = capture;
    let started = auth
        .start_authentication(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status(), AS::OtpRequired, "{started:?}");
    assert_eq!(started.flow(), api::Flow::Seamless);
    assert!(!started.provider_reference.is_empty());
    started
}

async fn succeeded(stack: &Stack) -> api::Authentication {
    succeeded_with(stack, true).await
}

async fn succeeded_with(stack: &Stack, capture: bool) -> api::Authentication {
    let started = seamless_with(stack, capture).await;
    let otp = stack.otp(&started).await;
    let done = stack
        .auth()
        .await
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AS::Succeeded, "{done:?}");
    done
}

/// This connector's OTP-stage counter (its account is named after it). Metrics are
/// process-wide and the matrix's cases run at once, so a case checks that its stage moved.
async fn otp_stage(stack: &Stack, stage: &str) -> f64 {
    let metrics = stack.metrics().await;
    crate::support::metric_sum(
        &metrics,
        "payorch_otp_stage_total",
        &[("account", stack.connector), ("stage", stage)],
    )
}

pub async fn seamless_success_then_authorize_with_capture(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let (sent, succeeded) = (
        otp_stage(&stack, "sent").await,
        otp_stage(&stack, "succeeded").await,
    );
    let started = seamless(&stack).await;
    assert!(otp_stage(&stack, "sent").await > sent, "OTP sent counted");
    match started.next_action.as_ref().and_then(|a| a.action.as_ref()) {
        Some(api::next_action::Action::CollectOtp(otp)) => {
            assert_eq!(otp.otp_length, 6);
            assert_eq!(otp.expires_at.is_some(), profile.reports_otp_expiry);
        }
        other => panic!("expected collect_otp, got {other:?}"),
    }
    let otp = stack.otp(&started).await;
    let done = stack
        .auth()
        .await
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AS::Succeeded);
    assert_eq!(done.recommendation(), Recommendation::Proceed);
    assert!(otp_stage(&stack, "succeeded").await > succeeded);
    let payment = stack
        .payments()
        .await
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
    assert_eq!(
        payment.captured.as_ref().map(|m| m.minor_units),
        Some(10000)
    );
    assert!(!payment.approval_code.is_empty());
    assert_eq!(stack.calls(profile.authorize_op).await, 1);
}

pub async fn wrong_otp_then_the_right_one(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = seamless(&stack).await;
    let otp = stack.otp(&started).await;
    let mut auth = stack.auth().await;
    let retry = auth
        .submit_otp(flows::submit(&started, &flows::wrong(&otp)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.status(), AS::OtpRequired, "{retry:?}");
    assert_eq!(retry.failure_reason(), FR::InvalidOtp);
    assert_eq!(retry.recommendation(), Recommendation::RetryOtp);
    assert!(
        retry.attempts_remaining < started.attempts_remaining || started.attempts_remaining == 0
    );
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AS::Succeeded);
}

pub async fn attempts_exhausted_fails_the_authentication(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let exhausted = otp_stage(&stack, "exhausted").await;
    let started = seamless(&stack).await;
    let otp = stack.otp(&started).await;
    let mut auth = stack.auth().await;
    let mut last = started.clone();
    for _ in 0..10 {
        last = auth
            .submit_otp(flows::submit(&started, &flows::wrong(&otp)))
            .await
            .unwrap()
            .into_inner();
        if last.status() != AS::OtpRequired {
            break;
        }
    }
    assert_eq!(last.status(), AS::Failed, "{last:?}");
    assert_eq!(last.failure_reason(), FR::OtpAttemptsExhausted);
    assert_eq!(last.recommendation(), Recommendation::DoNotProceed);
    assert!(otp_stage(&stack, "exhausted").await > exhausted);
    // A terminal session refuses more OTPs without calling the provider.
    let before = stack.calls(profile.validate_op).await;
    let refused = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(stack.calls(profile.validate_op).await, before);
}

pub async fn resend_replaces_the_otp_until_the_limit(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let resends = otp_stage(&stack, "resent").await;
    let started = seamless(&stack).await;
    let first = stack.otp(&started).await;
    let mut auth = stack.auth().await;
    let resend = |id: &str| ResendOtpRequest {
        authentication_id: id.into(),
        idempotency_key: flows::key(),
        merchant_id: "demo".into(),
    };
    let resent = auth
        .resend_otp(resend(&started.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resent.status(), AS::OtpRequired, "{resent:?}");
    assert!(resent.resends_remaining < started.resends_remaining);
    assert!(
        otp_stage(&stack, "resent").await > resends,
        "resend counted"
    );
    let second = stack.otp(&resent).await;
    if second != first {
        let stale = auth
            .submit_otp(flows::submit(&started, &first))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            stale.status(),
            AS::OtpRequired,
            "the old OTP no longer works"
        );
    }
    let mut last = resent;
    for _ in 0..10 {
        match auth.resend_otp(resend(&started.id)).await {
            Ok(answer) => {
                last = answer.into_inner();
                if last.status() != AS::OtpRequired
                    || last.failure_reason() == FR::ResendLimitReached
                {
                    break;
                }
            }
            Err(status) => panic!("resend refused: {status:?}"),
        }
    }
    assert_eq!(last.failure_reason(), FR::ResendLimitReached, "{last:?}");
}

pub async fn expired_otp_is_reported(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let expired = otp_stage(&stack, "expired").await;
    let started = seamless(&stack).await;
    let otp = stack.otp(&started).await;
    stack.expire_otp(&started).await;
    let answer = stack
        .auth()
        .await
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.failure_reason(), FR::OtpExpired, "{answer:?}");
    assert_ne!(answer.status(), AS::Succeeded);
    // Where the expired OTP ended the authentication, the stage is counted; where a resend
    // can still save it, it is not over yet.
    if matches!(answer.status(), AS::Failed | AS::Expired) {
        assert!(otp_stage(&stack, "expired").await > expired);
    }
}

/// A redirect-only authentication, started and waiting for the payer's browser.
pub async fn redirect(stack: &Stack) -> api::Authentication {
    let started = stack
        .auth()
        .await
        .start_authentication(flows::start_request(
            flows::REDIRECT_ONLY,
            FlowPreference::Redirect,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status(), AS::RedirectRequired, "{started:?}");
    assert_eq!(started.flow(), api::Flow::Redirect);
    started
}

pub async fn redirect_completed_through_complete_redirect(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = redirect(&stack).await;
    let otp = stack.otp(&started).await;
    let (_, fields) = stack.payer_at_acs(&started, &[("otp", &otp)]).await;
    let done = stack
        .auth()
        .await
        .complete_redirect(CompleteRedirectRequest {
            authentication_id: started.id.clone(),
            params: fields.into_iter().collect(),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AS::Succeeded, "{done:?}");
}

pub async fn redirect_completed_through_the_http_callback(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = redirect(&stack).await;
    let otp = stack.otp(&started).await;
    let (action, fields) = stack.payer_at_acs(&started, &[("otp", &otp)]).await;
    assert!(
        action.ends_with(&format!("/v1/callbacks/{}", started.id)),
        "{action}"
    );
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = no_redirects
        .post(&action)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://merchant.example/return?"),
        "{location}"
    );
    assert!(
        location.contains("status=AUTHENTICATION_STATUS_SUCCEEDED"),
        "{location}"
    );
    let read = flows::eventually_status(&mut stack.auth().await, &started.id).await;
    assert_eq!(read.status(), AS::Succeeded);
}

pub async fn payer_cancels_on_the_issuer_page(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = redirect(&stack).await;
    let (action, fields) = stack.payer_at_acs(&started, &[("action", "cancel")]).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = no_redirects
        .post(&action)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("status=AUTHENTICATION_STATUS_CANCELLED"),
        "{location}"
    );
    let read = flows::eventually_status(&mut stack.auth().await, &started.id).await;
    assert_eq!(read.status(), AS::Cancelled, "{read:?}");
    assert_eq!(read.failure_reason(), FR::CancelledByPayer);
}

pub async fn not_enrolled_and_issuer_unavailable_fail_with_their_reasons(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let mut auth = stack.auth().await;
    for (card, reason) in [
        (flows::NOT_ENROLLED, FR::CardNotEnrolled),
        (flows::ISSUER_UNAVAILABLE, FR::IssuerUnavailable),
    ] {
        let answer = auth
            .start_authentication(flows::start_request(card, FlowPreference::Any))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.status(), AS::Failed, "{answer:?}");
        assert_eq!(answer.failure_reason(), reason);
        assert!(answer.provider_status.is_some(), "raw provider code kept");
    }
}

pub async fn authorization_declines_carry_their_reasons(profile: &Profile) {
    let stack = Stack::start(profile).await;
    for (card, reason) in [
        (flows::DECLINE_51, FR::InsufficientFunds),
        (flows::DECLINE_54, FR::CardExpired),
        (flows::DECLINE_05, FR::DoNotHonour),
    ] {
        let mut auth = stack.auth().await;
        let started = auth
            .start_authentication({
                let mut request = flows::start_request(card, FlowPreference::Seamless);
                request.capture = false;
                request
            })
            .await
            .unwrap()
            .into_inner();
        let otp = stack.otp(&started).await;
        let done = auth
            .submit_otp(flows::submit(&started, &otp))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.status(), AS::Succeeded);
        let payment = stack
            .payments()
            .await
            .authorize(flows::authorize(&done, false))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(payment.status(), PS::Declined, "{payment:?}");
        assert_eq!(payment.failure_reason(), reason);
    }
}

pub async fn capture_partial_capture_void_and_refund(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let mut payments = stack.payments().await;

    let done = succeeded_with(&stack, false).await;
    let authorized = payments
        .authorize(flows::authorize(&done, false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(authorized.status(), PS::Authorized, "{authorized:?}");
    let partial = payments
        .capture(CaptureRequest {
            payment_id: authorized.id.clone(),
            amount: flows::inr(4000),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(partial.status(), PS::PartiallyCaptured, "{partial:?}");
    assert_eq!(partial.captured.as_ref().map(|m| m.minor_units), Some(4000));
    let refunded = payments
        .refund(RefundRequest {
            payment_id: authorized.id.clone(),
            amount: flows::inr(1000),
            idempotency_key: flows::key(),
            reason: "customer return".into(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        refunded.refunded.as_ref().map(|m| m.minor_units),
        Some(1000),
        "{refunded:?}"
    );
    let too_much = payments
        .refund(RefundRequest {
            payment_id: authorized.id.clone(),
            amount: flows::inr(9000),
            idempotency_key: flows::key(),
            reason: String::new(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(too_much.code(), Code::InvalidArgument);

    let done = succeeded_with(&stack, false).await;
    let authorized = payments
        .authorize(flows::authorize(&done, false))
        .await
        .unwrap()
        .into_inner();
    let voided = payments
        .void(VoidRequest {
            payment_id: authorized.id.clone(),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
            reason: "order cancelled".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(voided.status(), PS::Voided, "{voided:?}");
    let after_void = payments
        .capture(CaptureRequest {
            payment_id: authorized.id.clone(),
            amount: None,
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(after_void.code(), Code::FailedPrecondition);
}

pub async fn provider_timeout_leaves_unknown_and_refresh_resolves_it(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let done = succeeded(&stack).await;
    stack.arm_fault("timeout", 1).await;
    let mut request = tonic::Request::new(flows::authorize(&done, true));
    request.set_timeout(Duration::from_secs(3));
    let payment = stack
        .payments()
        .await
        .authorize(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Unknown, "{payment:?}");
    assert_eq!(
        operation_log(&payment),
        vec![(OK::Authorization, OS::Unknown)]
    );
    assert_eq!(
        stack.calls(profile.authorize_op).await,
        1,
        "never repeated blindly"
    );
    let resolved = stack
        .payments()
        .await
        .get_payment(GetPaymentRequest {
            id: payment.id.clone(),
            refresh: true,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.status(), PS::Captured, "{resolved:?}");
    assert_eq!(
        operation_log(&resolved),
        vec![(OK::Authorization, OS::Succeeded)],
        "the refresh settles the operation too"
    );
    assert_eq!(stack.calls(profile.authorize_op).await, 1);
}

/// A payment's operations as (kind, status), oldest first.
fn operation_log(payment: &api::Payment) -> Vec<(OK, OS)> {
    payment
        .operations
        .iter()
        .map(|op| (op.kind(), op.status()))
        .collect()
}

pub async fn idempotency_replays_and_refuses_a_changed_request(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let mut auth = stack.auth().await;
    let request = flows::start_request(flows::SEAMLESS, FlowPreference::Seamless);
    let first = auth
        .start_authentication(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = auth
        .start_authentication(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again, "same key, same request: the stored answer");
    assert_eq!(stack.calls(profile.start_op).await, 1, "one provider call");
    let mut changed = request.clone();
    changed.amount = flows::inr(20000);
    let refused = auth.start_authentication(changed).await.unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists);

    // A second Authorize of the same authentication, under another key, never charges again.
    let otp = stack.otp(&first).await;
    let done = auth
        .submit_otp(flows::submit(&first, &otp))
        .await
        .unwrap()
        .into_inner();
    let mut payments = stack.payments().await;
    payments
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap();
    let twice = payments
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");
    assert_eq!(stack.calls(profile.authorize_op).await, 1);
}

pub async fn twenty_concurrent_submissions_validate_once(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = seamless(&stack).await;
    let otp = stack.otp(&started).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut auth = stack.auth().await;
        let request = flows::submit(&started, &otp);
        tasks.push(tokio::spawn(async move { auth.submit_otp(request).await }));
    }
    let mut succeeded = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(answer) if answer.get_ref().status() == AS::Succeeded => succeeded += 1,
            Ok(answer) => panic!("unexpected answer {answer:?}"),
            Err(status) => assert!(
                matches!(status.code(), Code::Aborted | Code::FailedPrecondition),
                "{status:?}"
            ),
        }
    }
    assert_eq!(succeeded, 1);
    assert_eq!(
        stack.calls(profile.validate_op).await,
        1,
        "exactly one provider validation"
    );
}

pub async fn started_on_one_replica_finished_on_another(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = seamless(&stack).await;
    let other = stack.replica().await;
    let otp = stack.otp(&started).await;
    let mut auth = super::authentications(other.grpc_addr).await;
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AS::Succeeded, "{done:?}");
    let read = auth
        .get_authentication(GetAuthenticationRequest {
            id: started.id.clone(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.status(), AS::Succeeded);
    other.shutdown().await.unwrap();
}

pub async fn cancel_stops_an_open_authentication(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = seamless(&stack).await;
    let mut auth = stack.auth().await;
    let cancelled = auth
        .cancel_authentication(CancelAuthenticationRequest {
            authentication_id: started.id.clone(),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
            reason: "payer left".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status(), AS::Cancelled);
    assert_eq!(cancelled.failure_reason(), FR::CancelledByMerchant);
    assert_eq!(cancelled.recommendation(), Recommendation::DoNotProceed);
    // Documented: cancelling a cancelled authentication returns it unchanged.
    let again = auth
        .cancel_authentication(CancelAuthenticationRequest {
            authentication_id: started.id.clone(),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, cancelled);
    let otp = stack.otp(&started).await;
    let refused = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
}

/// The same seamless flow on the in-memory store (the embedded default).
pub async fn seamless_flow_on_the_in_memory_store(profile: &Profile) {
    let mut settings = super::settings();
    settings.merchants[0].connectors = vec![profile.connector.to_owned()];
    let payorch = super::start(settings).await;
    let sandbox = payorch.sandbox_addr.expect("embedded sandbox");
    let mut auth = super::authentications(payorch.grpc_addr).await;
    let started = auth
        .start_authentication(flows::start_request(
            flows::SEAMLESS,
            FlowPreference::Seamless,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status(), AS::OtpRequired, "{started:?}");
    let url = format!(
        "http://{sandbox}/_sandbox/otp/{}/{}",
        profile.connector, started.provider_reference
    );
    let otp: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let done = auth
        .submit_otp(flows::submit(&started, otp["otp"].as_str().unwrap()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AS::Succeeded);
    let payment = super::payments(payorch.grpc_addr)
        .await
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
    payorch.shutdown().await.unwrap();
}

/// The answer to an OTP validation is lost: UNKNOWN, one provider call, and a refresh asks
/// the provider what happened instead of validating again.
pub async fn otp_timeout_leaves_unknown_and_refresh_resolves_it(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = seamless(&stack).await;
    let otp = stack.otp(&started).await;
    stack.arm_fault("timeout", 1).await;
    let mut request = tonic::Request::new(flows::submit(&started, &otp));
    request.set_timeout(Duration::from_secs(3));
    let lost = stack
        .auth()
        .await
        .submit_otp(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lost.status(), AS::Unknown, "{lost:?}");
    assert_eq!(stack.calls(profile.validate_op).await, 1);
    let resolved = stack
        .auth()
        .await
        .get_authentication(GetAuthenticationRequest {
            id: started.id.clone(),
            refresh: true,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.status(), AS::Succeeded, "{resolved:?}");
    assert_eq!(
        stack.calls(profile.validate_op).await,
        1,
        "never validated twice"
    );
    let payment = stack
        .payments()
        .await
        .authorize(flows::authorize(&resolved, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
}

/// An Authorize cut short before it reached the provider does not burn the authentication:
/// a later Authorize goes through, and the provider authorizes exactly once.
pub async fn authorize_that_never_left_can_be_retried(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let done = succeeded(&stack).await;
    // A deadline too short for any provider call: payorch refuses to send rather than guess.
    let mut rushed = tonic::Request::new(flows::authorize(&done, true));
    rushed.set_timeout(Duration::from_millis(2));
    let first = stack.payments().await.authorize(rushed).await;
    assert!(first.is_err(), "{first:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let payment = stack
        .payments()
        .await
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
    assert_eq!(stack.calls(profile.authorize_op).await, 1);
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where payorch's callback sent the browser (asserting it was a 303).
async fn posted_return(action: &str, fields: &[(String, String)]) -> String {
    let back = no_redirects()
        .post(action)
        .form(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303, "{:?}", back.text().await);
    back.headers()["location"].to_str().unwrap().to_owned()
}

/// The payer's browser posts its return more than once (two tabs at once, a replay from
/// history): every post lands on the merchant's return URL with the stored status, the
/// provider verifies once, and CompleteRedirect with the same parameters returns the stored
/// authentication.
pub async fn replayed_redirect_return_lands_on_the_return_url(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let started = redirect(&stack).await;
    let otp = stack.otp(&started).await;
    let (action, fields) = stack.payer_at_acs(&started, &[("otp", &otp)]).await;
    let (a, b) = tokio::join!(
        posted_return(&action, &fields),
        posted_return(&action, &fields)
    );
    for location in [&a, &b] {
        assert!(
            location.starts_with("https://merchant.example/return?"),
            "{location}"
        );
        assert!(
            location.contains("status=AUTHENTICATION_STATUS_SUCCEEDED"),
            "{location}"
        );
    }
    let calls = stack.total_calls().await;
    let replay = posted_return(&action, &fields).await;
    assert_eq!(replay, a, "a replay gets the same answer");
    let mut auth = stack.auth().await;
    let stored = flows::eventually_status(&mut auth, &started.id).await;
    let completed = auth
        .complete_redirect(CompleteRedirectRequest {
            authentication_id: started.id.clone(),
            params: fields.iter().cloned().collect(),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(completed, stored, "the stored authentication");
    assert_eq!(
        stack.total_calls().await,
        calls,
        "replays never reach the provider"
    );
    // A browser posting other parameters to a finished session still lands on the merchant's
    // return URL with the stored status, and the provider is not asked.
    let mut other_fields = fields.clone();
    other_fields.push(("payorch_test_extra".into(), "1".into()));
    assert_eq!(posted_return(&action, &other_fields).await, a);
    assert_eq!(stack.total_calls().await, calls);
    // Other parameters cannot re-open a finished authentication.
    let mut forged: std::collections::BTreeMap<String, String> = fields.iter().cloned().collect();
    forged.insert("payorch_test_extra".into(), "1".into());
    let refused = auth
        .complete_redirect(CompleteRedirectRequest {
            authentication_id: started.id.clone(),
            params: forged,
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
}

/// Authorize's `capture` means the same on every connector: an authentication started
/// without capture and authorized with capture ends CAPTURED (a connector that authorized
/// during authentication confirms that authorization, then captures it), and a final status
/// never changes on refresh.
pub async fn authorize_with_capture_after_an_authentication_without_it(profile: &Profile) {
    let stack = Stack::start(profile).await;
    let done = succeeded_with(&stack, false).await;
    let mut payments = stack.payments().await;
    let payment = payments
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
    assert_eq!(
        payment.captured.as_ref().map(|m| m.minor_units),
        Some(10000)
    );
    let read = |refresh| GetPaymentRequest {
        id: payment.id.clone(),
        refresh,
        merchant_id: "demo".into(),
    };
    let refreshed = payments.get_payment(read(true)).await.unwrap().into_inner();
    assert_eq!(refreshed.status(), PS::Captured, "{refreshed:?}");
    let refunded = payments
        .refund(RefundRequest {
            payment_id: payment.id.clone(),
            amount: None,
            idempotency_key: flows::key(),
            reason: "customer returned the goods".into(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let last = refunded.operations.last().unwrap();
    assert_eq!(
        (last.kind(), last.reason.as_str()),
        (OK::Refund, "customer returned the goods"),
        "the call's operation is the last entry, with the caller's reason"
    );
    if refunded.status() == PS::Refunded {
        let calls = stack.total_calls().await;
        let after = payments.get_payment(read(true)).await.unwrap().into_inner();
        assert_eq!(after.status(), PS::Refunded, "{after:?}");
        assert_eq!(
            stack.total_calls().await,
            calls,
            "a final status is not re-read"
        );
    }
}
