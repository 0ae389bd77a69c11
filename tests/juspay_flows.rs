//! The end-to-end matrix for connector `juspay` (see `support/matrix.rs`).
//!
//! Juspay authenticates and authorizes in one transaction: the OTP submission is the call that
//! charges (or authorizes), and Authorize confirms that transaction with a status read instead
//! of charging again. So the matrix's "authorization" call is Juspay's `authenticate`.
//!
//! Left out: `provider_timeout_leaves_unknown_and_refresh_resolves_it`. Juspay's Authorize is
//! a status read, and reads are retried, so a lost answer is simply asked again and Authorize
//! answers CAPTURED at once. The lost-write case for Juspay is the OTP submission, covered by
//! `otp_timeout_leaves_unknown_and_refresh_resolves_it`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::matrix::JUSPAY;

matrix!(JUSPAY;
    seamless_success_then_authorize_with_capture,
    wrong_otp_then_the_right_one,
    attempts_exhausted_fails_the_authentication,
    resend_replaces_the_otp_until_the_limit,
    expired_otp_is_reported,
    redirect_completed_through_complete_redirect,
    redirect_completed_through_the_http_callback,
    payer_cancels_on_the_issuer_page,
    not_enrolled_and_issuer_unavailable_fail_with_their_reasons,
    authorization_declines_carry_their_reasons,
    capture_partial_capture_void_and_refund,
    authorize_that_never_left_can_be_retried,
    otp_timeout_leaves_unknown_and_refresh_resolves_it,
    idempotency_replays_and_refuses_a_changed_request,
    twenty_concurrent_submissions_validate_once,
    started_on_one_replica_finished_on_another,
    cancel_stops_an_open_authentication,
    seamless_flow_on_the_in_memory_store,
    replayed_redirect_return_lands_on_the_return_url,
    authorize_with_capture_after_an_authentication_without_it,
);

/// Juspay captured when the OTP was accepted (the authentication was started with capture):
/// an authorize-only request cannot be honoured and is refused with nothing changed, so the
/// same authentication still authorizes with capture afterwards, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authorize_only_after_a_captured_authentication_changes_nothing() {
    use payorch::api::{
        AuthenticationStatus as AS, FlowPreference, GetPaymentRequest, PaymentStatus as PS,
    };
    use support::flows::{self, Stack};
    use tonic::Code;

    let stack = Stack::start(&JUSPAY).await;
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
    assert_eq!(done.status(), AS::Succeeded);
    let calls = stack.total_calls().await;
    let mut payments = stack.payments().await;
    let refused = payments
        .authorize(flows::authorize(&done, false))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(stack.total_calls().await, calls, "nothing sent to Juspay");
    let payment_id = done.id.replacen("auth_", "pay_", 1);
    let missing = payments
        .get_payment(GetPaymentRequest {
            id: payment_id,
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "no payment was recorded");
    let read = flows::eventually_status(&mut auth, &done.id).await;
    assert_eq!(
        read.status(),
        AS::Succeeded,
        "the authentication is not used up"
    );
    let payment = payments
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
}
