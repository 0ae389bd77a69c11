//! Payer authentication against the sandbox over HTTP: Direct OTP, the 3DS fallback, and
//! status lookups that resolve lost answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payorch_connector::Authenticator;
use payorch_connector::model::{EligibilityRequest, RedirectParams};
use payorch_connector::{Connector, ConnectorError};
use payorch_core::session::NextAction;
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};
use payorch_sandbox::SandboxConfig;

#[tokio::test]
async fn seamless_success() {
    let env = env().await;
    let session = env.start("auth_s1", SEAMLESS, inr(10_000)).await;
    assert_eq!(session.status, AuthenticationStatus::OtpRequired);
    assert_eq!(session.flow, Some(Flow::Seamless));
    // Juspay's counters: 1 of 4 attempts, 1 of 4 sends (the sandbox's default policy).
    assert_eq!(session.attempts_remaining, 4);
    assert_eq!(session.resends_remaining, 3);
    let Some(NextAction::CollectOtp { otp_length, .. }) = &session.next_action else {
        panic!("{:?}", session.next_action);
    };
    assert_eq!(*otp_length, 6);
    let reference = session.provider_reference.clone().unwrap();
    assert!(reference.starts_with("eul"), "the txn_uuid: {reference}");
    assert_eq!(
        session.provider_status.as_ref().unwrap().raw_status,
        "PENDING_VBV"
    );
    let code = env.otp(&reference).await;
    let outcome = env.jp.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::Succeeded);
    assert_eq!(outcome.recommendation, Some(Recommendation::Proceed));
    assert_eq!(outcome.provider_status.unwrap().raw_status, "AUTHORIZED");
    let state = session.connector_state.unwrap().payload;
    assert!(state.contains("\"order_id\":\"auth_s1\""), "{state}");
    assert!(state.contains("\"challenge_id\":\"ch_"), "{state}");
    assert_eq!(env.calls("order_create").await, 1);
    assert_eq!(env.calls("txn").await, 1);
    assert_eq!(env.calls("authenticate").await, 1);
}

#[tokio::test]
async fn wrong_otp_then_right_one() {
    let env = env().await;
    let session = env.start("auth_s2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let outcome = env
        .jp
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::OtpRequired);
    assert_eq!(outcome.failure_reason, Some(FailureReason::InvalidOtp));
    assert_eq!(outcome.recommendation, Some(Recommendation::RetryOtp));
    assert_eq!(outcome.attempts_remaining, Some(3));
    assert_eq!(outcome.resends_remaining, Some(3));
    assert_eq!(outcome.provider_status.as_ref().unwrap().code, "450");
    let session = apply(&session, outcome);
    let outcome = env.jp.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn attempts_exhausted() {
    let mut config = sandbox_config();
    config.juspay.otp.max_attempts = 2;
    let env = env_with(config, |_| {}).await;
    let mut session = env.start("auth_s3", SEAMLESS, inr(10_000)).await;
    assert_eq!(session.attempts_remaining, 2);
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let o = env
        .jp
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    assert_eq!(o.attempts_remaining, Some(1));
    session = apply(&session, o);
    let o = env
        .jp
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));
    assert_eq!(o.recommendation, Some(Recommendation::DoNotProceed));
    assert_eq!(o.attempts_remaining, Some(0));
    let status = o.provider_status.unwrap();
    assert_eq!(status.code, "452");
    assert_eq!(status.raw_status, "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn resend_then_limit() {
    let mut config = sandbox_config();
    config.juspay.otp.max_resends = 1;
    let env = env_with(config, |_| {}).await;
    let session = env.start("auth_s4", SEAMLESS, inr(10_000)).await;
    assert_eq!(session.resends_remaining, 1);
    let reference = session.provider_reference.clone().unwrap();
    let before = env.otp(&reference).await;
    let o = env.jp.resend_otp(&ctx(), &session).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
    assert_eq!(o.resends_remaining, Some(0));
    assert!(matches!(o.next_action, Some(NextAction::CollectOtp { .. })));
    let mut session = apply(&session, o);
    let after = env.otp(&reference).await;
    if before != after {
        let o = env.jp.submit_otp(&ctx(), &session, &before).await.unwrap();
        assert_eq!(
            o.failure_reason,
            Some(FailureReason::InvalidOtp),
            "old OTP dead"
        );
        session = apply(&session, o);
    }
    // Past the limit: refused, and the current OTP stays valid.
    let o = env.jp.resend_otp(&ctx(), &session).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    assert_eq!(o.failure_reason, Some(FailureReason::ResendLimitReached));
    assert_eq!(o.recommendation, Some(Recommendation::RetryOtp));
    assert_eq!(o.resends_remaining, Some(0));
    assert_eq!(
        o.provider_status.as_ref().unwrap().code,
        "max_limit_exceeded"
    );
    let session = apply(&session, o);
    assert_eq!(env.calls("resend").await, 2);
    let o = env.jp.submit_otp(&ctx(), &session, &after).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn expired_otp() {
    let env = env().await;
    let session = env.start("auth_s6", SEAMLESS, inr(10_000)).await;
    let reference = session.provider_reference.clone().unwrap();
    let code = env.otp(&reference).await;
    env.expire_otp(&reference).await;
    // Juspay ends the transaction on an expired OTP: nothing left to resend.
    let o = env.jp.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Expired);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpExpired));
    assert_eq!(o.recommendation, Some(Recommendation::DoNotProceed));
    assert_eq!(o.provider_status.unwrap().code, "451");
}

#[tokio::test]
async fn not_enrolled_and_issuer_unavailable() {
    let env = env().await;
    let s = env.start("auth_n1", NOT_ENROLLED, inr(10_000)).await;
    assert_eq!(s.status, AuthenticationStatus::Failed);
    assert_eq!(s.failure_reason, Some(FailureReason::CardNotEnrolled));
    assert_eq!(s.recommendation, Some(Recommendation::DoNotProceed));
    let status = s.provider_status.as_ref().unwrap();
    assert_eq!(status.code, "410");
    assert_eq!(status.raw_status, "AUTHENTICATION_FAILED");
    let s = env.start("auth_n2", UNAVAILABLE, inr(10_000)).await;
    assert_eq!(s.status, AuthenticationStatus::Failed);
    assert_eq!(s.failure_reason, Some(FailureReason::IssuerUnavailable));
    assert_eq!(s.provider_status.as_ref().unwrap().code, "412");
}

#[tokio::test]
async fn eligibility_is_decided_without_calling_the_provider() {
    let env = env().await;
    let rupay = card(SEAMLESS);
    let e = env
        .jp
        .check_eligibility(
            &ctx(),
            &EligibilityRequest {
                card: &rupay,
                amount: None,
            },
        )
        .await
        .unwrap();
    assert!(e.available);
    assert_eq!(e.flows, vec![Flow::Seamless, Flow::Redirect]);
    let visa = card("4111111111111111");
    let e = env
        .jp
        .check_eligibility(
            &ctx(),
            &EligibilityRequest {
                card: &visa,
                amount: None,
            },
        )
        .await
        .unwrap();
    assert!(!e.available);
    assert!(env.jp.capabilities().authorizes_during_authentication);
    assert_eq!(env.calls("order_create").await, 0);
}

#[tokio::test]
async fn redirect_fallback_through_the_sandbox_acs() {
    // The sandbox signs the return with the API key (it has no separate response key).
    let env = env_with(sandbox_config(), |c| c.response_key = Some(API_KEY.into())).await;
    let session = env.start("auth_r1", REDIRECT, inr(10_000)).await;
    assert_eq!(session.status, AuthenticationStatus::RedirectRequired);
    assert_eq!(session.flow, Some(Flow::Redirect));
    let Some(NextAction::Redirect {
        url, method, html, ..
    }) = &session.next_action
    else {
        panic!("{:?}", session.next_action)
    };
    assert_eq!(method, "GET");
    let reference = session.provider_reference.clone().unwrap();
    assert_eq!(
        url,
        &format!("http://{}/_sandbox/acs/juspay/{reference}", env.addr)
    );
    assert!(html.contains("method=\"get\"") && html.contains("submit()"));
    let code = env.otp(&reference).await;
    let params: RedirectParams = env.through_acs(&session, &[("otp", &code)]).await;
    assert_eq!(params["order_id"], "auth_r1");
    assert_eq!(params["status"], "AUTHORIZED");
    assert!(params.contains_key("signature"));

    // A forged status does not verify, and nothing is asked of Juspay.
    let mut forged = params.clone();
    forged.insert("status".into(), "CHARGED".into());
    let err = env
        .jp
        .complete_redirect(&ctx(), &session, &forged)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Rejected { caller_field: Some(f), .. } if f == "params.signature"),
        "{err:?}"
    );
    assert_eq!(env.calls("order_status").await, 0);

    let o = env
        .jp
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    assert_eq!(env.calls("order_status").await, 1, "confirmed with Juspay");
    let session = apply(&session, o);
    let p = env.authorize(&session, "pay_r1", false).await.unwrap();
    assert_eq!(p.status, payorch_core::status::PaymentStatus::Authorized);
}

#[tokio::test]
async fn redirect_result_is_read_from_juspay_not_the_browser() {
    let env = env().await;
    let session = env.start("auth_r4", REDIRECT, inr(10_000)).await;
    // The browser claims success before the payer did anything.
    let params = RedirectParams::from([
        ("order_id".to_owned(), "auth_r4".to_owned()),
        ("status".to_owned(), "CHARGED".to_owned()),
    ]);
    let o = env
        .jp
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::RedirectRequired, "{o:?}");
    assert_eq!(o.provider_status.unwrap().raw_status, "PENDING_VBV");
    // Another order's return is refused without a lookup.
    let params = RedirectParams::from([("order_id".to_owned(), "auth_other".to_owned())]);
    let err = env
        .jp
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Rejected { caller_field: Some(f), .. } if f == "params.order_id"),
        "{err:?}"
    );
    assert_eq!(env.calls("order_status").await, 1);
}

#[tokio::test]
async fn redirect_cancelled_by_payer() {
    let env = env().await;
    let session = env.start("auth_r2", REDIRECT, inr(10_000)).await;
    let params = env.through_acs(&session, &[("action", "cancel")]).await;
    let o = env
        .jp
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Cancelled);
    assert_eq!(o.failure_reason, Some(FailureReason::CancelledByPayer));
    assert_eq!(o.provider_status.unwrap().code, "ACCU200");
}

#[tokio::test]
async fn preferred_redirect_asks_for_the_3ds_page() {
    let env = env().await;
    let session = env
        .start_with("auth_r3", BOTH, inr(10_000), Some(Flow::Redirect), true)
        .await;
    assert_eq!(session.status, AuthenticationStatus::RedirectRequired);
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let params = env.through_acs(&session, &[("otp", &code)]).await;
    assert_eq!(params["status"], "CHARGED", "started with capture");
    let o = env
        .jp
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
    // Direct OTP calls make no sense on a 3DS authentication.
    assert!(matches!(
        env.jp.submit_otp(&ctx(), &session, "123456").await,
        Err(ConnectorError::InvalidState(_))
    ));
}

#[tokio::test]
async fn missing_cvv_is_the_callers_field() {
    let env = env().await;
    let session = pending_session("auth_c1", SEAMLESS, inr(10_000));
    let mut card = session.card.clone().unwrap();
    card.cvv = None;
    let browser = browser();
    let request = start_request(&session, &card, &browser, None, true);
    let err = env
        .jp
        .start_authentication(&ctx(), &request)
        .await
        .unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(caller_field.as_deref(), Some("payment_method.card.cvv"));
    assert_eq!(status.raw_status, "invalid_request_error");
    assert!(!status.message.contains("123"));
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let addr = payorch_sandbox::spawn("127.0.0.1:0".parse().unwrap(), SandboxConfig::default())
        .await
        .unwrap();
    let mut config = adapter_config(addr);
    config.api_key = "not_the_key".into();
    let jp = payorch_juspay::JuspayConnector::new(config).unwrap();
    let session = pending_session("auth_u1", SEAMLESS, inr(10_000));
    let card = session.card.clone().unwrap();
    let browser = browser();
    let request = start_request(&session, &card, &browser, None, true);
    let err = jp.start_authentication(&ctx(), &request).await.unwrap_err();
    let ConnectorError::Unauthorized(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, "access_denied");
    assert_eq!(status.message, "Invalid Authentication");
}

/// The OTP submission is the call that authorizes at Juspay: its lost answer is UNKNOWN
/// after exactly one call, and the order status resolves it.
#[tokio::test]
async fn submit_timeout_is_unknown_then_sync_resolves_it() {
    let env = env().await;
    let session = env
        .start_with("auth_t1", SEAMLESS, inr(10_000), None, true)
        .await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    env.arm_fault("timeout", 1).await;
    let err = env
        .jp
        .submit_otp(&ctx(), &session, &code)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(
        env.calls("authenticate").await,
        1,
        "a write is never repeated"
    );
    let mut unknown = session.clone();
    unknown.status = AuthenticationStatus::Unknown;
    let o = env.jp.sync_authentication(&ctx(), &unknown).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    assert_eq!(o.provider_status.unwrap().raw_status, "CHARGED");
    assert_eq!(env.calls("authenticate").await, 1);
}

#[tokio::test]
async fn dropped_answer_to_otp_submission_is_unknown() {
    let env = env().await;
    let session = env.start("auth_t2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    env.arm_fault("drop", 1).await;
    let err = env
        .jp
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    // The wrong OTP was processed: still pending, and the session can go on.
    let o = env.jp.sync_authentication(&ctx(), &session).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    let o = env.jp.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn lost_start_is_resolved_by_the_order_status() {
    let env = env().await;
    // The order was created but its answer lost: no payment attempt exists.
    let session = pending_session("auth_t4", SEAMLESS, inr(10_000));
    let card = session.card.clone().unwrap();
    let browser = browser();
    let request = start_request(&session, &card, &browser, None, true);
    env.arm_fault("timeout", 1).await;
    let err = env
        .jp
        .start_authentication(&ctx(), &request)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("order_create").await, 1);
    assert_eq!(env.calls("txn").await, 0);
    let mut unknown = session.clone();
    unknown.status = AuthenticationStatus::Unknown;
    let o = env.jp.sync_authentication(&ctx(), &unknown).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::ProviderError));
    assert_eq!(o.provider_status.unwrap().raw_status, "NEW");
    // An authentication Juspay never heard of is no more than that.
    let never = pending_session("auth_t5", SEAMLESS, inr(10_000));
    let o = env.jp.sync_authentication(&ctx(), &never).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
}
