//! The end-to-end matrix for connector `fiserv-ipg` (see `support/matrix.rs`). Fiserv IPG
//! supports every case: both flows, OTP verify/regenerate by PATCH, sale and pre-auth,
//! secondary transactions, and order inquiry to resolve lost answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::matrix::FISERV_IPG;

matrix!(FISERV_IPG;
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
