//! The end-to-end matrix for connector `mpgs` (see `support/matrix.rs`), plus the seed's
//! network-token (SCHEME_TOKEN with cryptogram) variant.
//!
//! MPGS runs every case. Its requests cannot choose the flow (the issuer decides), so the
//! redirect cases use the redirect-only test card; OTP validity is not reported by the
//! gateway, so `expires_at` is payorch's estimate from the configured validity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use payorch::api::{self, AuthenticationStatus as AS, FlowPreference, PaymentStatus as PS};
use support::flows::{self, Stack};
use support::matrix::MPGS;

matrix!(MPGS;
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
    provider_timeout_leaves_unknown_and_refresh_resolves_it,
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

/// A network token (SCHEME_TOKEN with its cryptogram) authenticates by OTP and pays.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn network_token_authenticates_and_pays() {
    let stack = Stack::start(&MPGS).await;
    let mut request = flows::start_request(flows::SEAMLESS, FlowPreference::Seamless);
    request.payment_method = Some(api::PaymentMethod {
        method: Some(api::payment_method::Method::NetworkToken(
            api::NetworkToken {
                number: flows::SEAMLESS.into(),
                cryptogram: "AgAAAAAABk4DWZ4C28yUQAAAAAA=".into(),
                expiry_month: "12".into(),
                expiry_year: "2031".into(),
            },
        )),
    });
    let mut auth = stack.auth().await;
    let started = auth
        .start_authentication(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status(), AS::OtpRequired, "{started:?}");
    let otp = stack.otp(&started).await;
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AS::Succeeded, "{done:?}");
    let payment = stack
        .payments()
        .await
        .authorize(flows::authorize(&done, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.status(), PS::Captured, "{payment:?}");
}
