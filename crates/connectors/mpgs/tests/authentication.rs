//! Payer authentication against the sandbox over HTTP: eligibility, seamless and redirect
//! flows, network tokens, error answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payorch_connector::Authenticator;
use payorch_connector::model::{EligibilityRequest, RedirectParams};
use payorch_connector::{Connector, ConnectorError};
use payorch_core::session::NextAction;
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn seamless_success() {
    let env = env().await;
    let session = env.start("auth_s1", SEAMLESS, inr(10_000)).await;
    assert_eq!(session.status, AuthenticationStatus::OtpRequired);
    assert_eq!(session.flow, Some(Flow::Seamless));
    assert_eq!(session.attempts_remaining, 3);
    assert_eq!(session.resends_remaining, 3);
    let Some(NextAction::CollectOtp {
        expires_at_ms,
        otp_length,
    }) = &session.next_action
    else {
        panic!("{:?}", session.next_action);
    };
    assert_eq!(*otp_length, 6);
    // The configured five minutes (the gateway does not report a validity).
    assert!((expires_at_ms.unwrap() - now_ms() - 300_000).abs() < 10_000);
    let reference = session.provider_reference.clone().unwrap();
    assert_eq!(
        reference.len(),
        30,
        "the RuPay authentication transaction id"
    );
    let status = session.provider_status.clone().unwrap();
    assert_eq!(status.code, "00");
    assert_eq!(status.raw_status, "AUTHENTICATION_PENDING");
    let state = session.connector_state.clone().unwrap().payload;
    assert!(state.contains("\"orderId\":\"auth_s1\""), "{state}");
    assert!(
        state.contains("/mpgs/api/callbackInterface/gateway/"),
        "{state}"
    );
    assert!(!state.contains(SEAMLESS), "no card data in the state");

    let code = env.otp(&reference).await;
    let o = env.mpgs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    assert_eq!(o.recommendation, Some(Recommendation::Proceed));
    let status = o.provider_status.unwrap();
    assert_eq!(status.code, "ACCU000");
    assert_eq!(status.raw_status, "AUTHENTICATION_SUCCESSFUL");
    assert_eq!(o.provider_reference.as_deref(), Some(reference.as_str()));
    assert_eq!(env.calls("initiate_authentication").await, 1);
    assert_eq!(env.calls("authenticate_payer").await, 1);
    assert_eq!(env.calls("callback_otp").await, 1);
    assert_eq!(env.calls("retrieve_transaction").await, 1);
    // Credentials are sent with every request: no 401 round trip.
    assert_eq!(env.calls("unauthenticated").await, 0);
}

#[tokio::test]
async fn wrong_otp_then_right_one() {
    let env = env().await;
    let session = env.start("auth_s2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let o = env
        .mpgs
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    assert_eq!(o.failure_reason, Some(FailureReason::InvalidOtp));
    assert_eq!(o.recommendation, Some(Recommendation::RetryOtp));
    assert_eq!(o.attempts_remaining, Some(2));
    let status = o.provider_status.clone().unwrap();
    assert_eq!(status.code, "450");
    assert_eq!(status.raw_status, "AUTHENTICATION_PENDING");
    let session = apply(&session, o);
    let o = env.mpgs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn attempts_exhausted() {
    let env = env().await;
    let mut session = env.start("auth_s3", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    for remaining in [2, 1] {
        let o = env
            .mpgs
            .submit_otp(&ctx(), &session, &wrong(&code))
            .await
            .unwrap();
        assert_eq!(o.status, AuthenticationStatus::OtpRequired);
        assert_eq!(o.attempts_remaining, Some(remaining));
        session = apply(&session, o);
    }
    let o = env
        .mpgs
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));
    assert_eq!(o.recommendation, Some(Recommendation::DoNotProceed));
    assert_eq!(o.attempts_remaining, Some(0));
    let status = o.provider_status.unwrap();
    assert_eq!(status.code, "452");
    assert_eq!(status.raw_status, "AUTHENTICATION_REJECTED");
}

#[tokio::test]
async fn adapter_budget_smaller_than_the_gateways_ends_first() {
    let env = env_with_adapter(sandbox_config(), |c| c.otp_attempts = 1).await;
    let session = env.start("auth_s3b", SEAMLESS, inr(10_000)).await;
    assert_eq!(session.attempts_remaining, 1);
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let o = env
        .mpgs
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));
    assert_eq!(o.attempts_remaining, Some(0));
}

#[tokio::test]
async fn resend_then_limit() {
    let mut config = sandbox_config();
    config.mpgs.otp.max_resends = 2;
    let env = env_with(config).await;
    let mut session = env.start("auth_s4", SEAMLESS, inr(10_000)).await;
    // The adapter's configured budget (3) is larger than this sandbox's (2): the gateway's
    // refusal decides.
    let reference = session.provider_reference.clone().unwrap();
    for left in [2, 1] {
        let before = env.otp(&reference).await;
        let o = env.mpgs.resend_otp(&ctx(), &session).await.unwrap();
        assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
        assert_eq!(o.resends_remaining, Some(left));
        assert!(o.expires_at_ms.is_some());
        assert!(matches!(o.next_action, Some(NextAction::CollectOtp { .. })));
        assert_eq!(o.provider_reference.as_deref(), Some(reference.as_str()));
        session = apply(&session, o);
        let after = env.otp(&reference).await;
        if before != after {
            let o = env
                .mpgs
                .submit_otp(&ctx(), &session, &before)
                .await
                .unwrap();
            assert_eq!(
                o.failure_reason,
                Some(FailureReason::InvalidOtp),
                "old OTP dead"
            );
            session = apply(&session, o);
        }
    }
    assert_eq!(env.calls("callback_resend").await, 2);
    let o = env.mpgs.resend_otp(&ctx(), &session).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::ResendLimitReached));
    assert_eq!(o.resends_remaining, Some(0));
    assert_eq!(o.provider_status.unwrap().code, "453");
}

#[tokio::test]
async fn resend_then_the_new_otp_succeeds() {
    let env = env().await;
    let session = env.start("auth_s4b", SEAMLESS, inr(10_000)).await;
    let o = env.mpgs.resend_otp(&ctx(), &session).await.unwrap();
    let session = apply(&session, o);
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let o = env.mpgs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn expired_otp() {
    let env = env().await;
    let session = env.start("auth_s6", SEAMLESS, inr(10_000)).await;
    let reference = session.provider_reference.clone().unwrap();
    let code = env.otp(&reference).await;
    env.expire_otp(&reference).await;
    let o = env.mpgs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.failure_reason, Some(FailureReason::OtpExpired), "{o:?}");
    // Resends remain: the payer can ask for a new code; no attempt was spent.
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    assert_eq!(o.recommendation, Some(Recommendation::ResendOtp));
    assert_eq!(o.attempts_remaining, Some(3));
    assert_eq!(o.provider_status.clone().unwrap().code, "451");
    let mut spent = session.clone();
    spent.resends_remaining = 0;
    let o2 = env.mpgs.submit_otp(&ctx(), &spent, &code).await.unwrap();
    assert_eq!(o2.status, AuthenticationStatus::Expired);
    assert_eq!(o2.failure_reason, Some(FailureReason::OtpExpired));
    // And with resends left, a resend recovers.
    let session = apply(&session, o);
    let o = env.mpgs.resend_otp(&ctx(), &session).await.unwrap();
    let session = apply(&session, o);
    let fresh = env.otp(&reference).await;
    let o = env.mpgs.submit_otp(&ctx(), &session, &fresh).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn not_enrolled_and_issuer_unavailable() {
    let env = env().await;
    let s = env.start("auth_n1", NOT_ENROLLED, inr(10_000)).await;
    assert_eq!(s.status, AuthenticationStatus::Failed);
    assert_eq!(s.failure_reason, Some(FailureReason::CardNotEnrolled));
    assert_eq!(s.recommendation, Some(Recommendation::DoNotProceed));
    let status = s.provider_status.clone().unwrap();
    assert_eq!(status.code, "410");
    assert_eq!(status.raw_status, "AUTHENTICATION_NOT_SUPPORTED");
    assert_eq!(
        env.calls("authenticate_payer").await,
        0,
        "stopped at INITIATE"
    );

    let s = env.start("auth_n2", UNAVAILABLE, inr(10_000)).await;
    assert_eq!(s.status, AuthenticationStatus::Failed);
    assert_eq!(s.failure_reason, Some(FailureReason::IssuerUnavailable));
    let status = s.provider_status.unwrap();
    assert_eq!(status.code, "412");
    assert_eq!(status.raw_status, "AUTHENTICATION_UNAVAILABLE");
}

#[tokio::test]
async fn eligibility_asks_initiate_authentication() {
    let env = env().await;
    let check = |number: &'static str| {
        let env = &env;
        async move {
            let c = card(number);
            env.mpgs
                .check_eligibility(
                    &ctx(),
                    &EligibilityRequest {
                        card: &c,
                        amount: Some(inr(100)),
                    },
                )
                .await
                .unwrap()
        }
    };
    let e = check(SEAMLESS).await;
    assert!(e.available);
    assert_eq!(e.flows, vec![Flow::Seamless, Flow::Redirect]);
    let e = check(NOT_ENROLLED).await;
    assert!(!e.available);
    assert_eq!(e.failure_reason, Some(FailureReason::CardNotEnrolled));
    assert_eq!(e.provider_status.unwrap().code, "410");
    assert_eq!(env.calls("initiate_authentication").await, 2);
    // Not RuPay: answered without the gateway.
    let e = check("4111111111111111").await;
    assert!(!e.available);
    assert_eq!(
        e.failure_reason,
        Some(FailureReason::AuthenticationNotAvailable)
    );
    assert_eq!(env.calls("initiate_authentication").await, 2);
    assert_eq!(env.calls("authenticate_payer").await, 0, "no OTP sent");
}

#[tokio::test]
async fn redirect_through_the_sandbox_acs() {
    let env = env().await;
    let session = env.start("auth_r1", REDIRECT, inr(10_000)).await;
    assert_eq!(session.status, AuthenticationStatus::RedirectRequired);
    assert_eq!(session.flow, Some(Flow::Redirect));
    let Some(NextAction::Redirect {
        url, form_fields, ..
    }) = &session.next_action
    else {
        panic!()
    };
    assert!(url.contains("/_sandbox/acs/mpgs/"), "{url}");
    for name in [
        "AccuCardholderId",
        "AccuGuid",
        "AccuReturnURL",
        "session",
        "AccuRequestId",
    ] {
        assert!(!form_fields[name].is_empty(), "{name}");
    }
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let params: RedirectParams = env.through_acs(&session, &[("otp", &code)]).await;
    assert_eq!(params["order.id"], "auth_r1");
    assert_eq!(params["authentication.status.code"], "ACCU000");
    let o = env
        .mpgs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    assert_eq!(o.provider_status.clone().unwrap().code, "ACCU000");
    assert_eq!(env.calls("retrieve_transaction").await, 1);

    // And it authorizes with the authentication transaction id.
    let session = apply(&session, o);
    let p = env.authorize(&session, "pay_r1", false).await.unwrap();
    assert_eq!(
        p.status,
        payorch_core::status::PaymentStatus::Authorized,
        "{p:?}"
    );
}

#[tokio::test]
async fn redirect_cancelled_by_payer() {
    let env = env().await;
    let session = env.start("auth_r2", REDIRECT, inr(10_000)).await;
    let params = env.through_acs(&session, &[("action", "cancel")]).await;
    let o = env
        .mpgs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Cancelled);
    assert_eq!(o.failure_reason, Some(FailureReason::CancelledByPayer));
    assert_eq!(o.provider_status.unwrap().code, "ACCU200");
}

#[tokio::test]
async fn redirect_return_is_verified_with_the_gateway() {
    let env = env().await;
    let session = env.start("auth_r3", REDIRECT, inr(10_000)).await;
    // Another authentication's ids are refused without asking the gateway.
    let params = RedirectParams::from([
        ("order.id".to_owned(), "auth_other".to_owned()),
        ("result".to_owned(), "SUCCESS".to_owned()),
    ]);
    let err = env
        .mpgs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Rejected { caller_field: Some(f), .. } if f == "params.order.id"),
        "{err:?}"
    );
    assert_eq!(env.calls("retrieve_transaction").await, 0);
    // A forged "success" before the payer finished: the gateway says pending.
    let params = RedirectParams::from([
        ("order.id".to_owned(), "auth_r3".to_owned()),
        ("result".to_owned(), "SUCCESS".to_owned()),
        (
            "authentication.status.code".to_owned(),
            "ACCU000".to_owned(),
        ),
    ]);
    let o = env
        .mpgs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::RedirectRequired);
    // A seamless session cannot be completed by a redirect return.
    let seamless = env.start("auth_r4", SEAMLESS, inr(10_000)).await;
    assert!(matches!(
        env.mpgs
            .complete_redirect(&ctx(), &seamless, &RedirectParams::new())
            .await,
        Err(ConnectorError::InvalidState(_))
    ));
    // Nor a redirect one take an OTP.
    assert!(matches!(
        env.mpgs.submit_otp(&ctx(), &session, "123456").await,
        Err(ConnectorError::InvalidState(_))
    ));
}

#[tokio::test]
async fn network_token_authenticates_and_authorizes_as_scheme_token() {
    let env = env().await;
    assert!(env.mpgs.capabilities().network_tokens);
    let session = env
        .authenticated_card("auth_t1", network_token(SEAMLESS), inr(10_000))
        .await;
    assert!(
        session
            .connector_state
            .as_ref()
            .unwrap()
            .payload
            .contains("\"schemeToken\":true")
    );
    let p = env.authorize(&session, "pay_t1", true).await.unwrap();
    assert_eq!(
        p.status,
        payorch_core::status::PaymentStatus::Captured,
        "{p:?}"
    );
    assert_eq!(p.provider_status.unwrap().code, "00");
}

#[tokio::test]
async fn network_token_without_cryptogram_is_the_callers_field() {
    let env = env().await;
    let mut token = network_token(SEAMLESS);
    token.token_cryptogram = Some("not base64 !".into());
    let err = env
        .try_start_card("auth_t2", token, inr(10_000))
        .await
        .unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        caller_field.as_deref(),
        Some("payment_method.network_token.cryptogram")
    );
    assert_eq!(status.code, "INVALID_REQUEST");
    assert_eq!(status.raw_status, "ERROR");
}

#[tokio::test]
async fn ipv6_browser_is_the_callers_field() {
    let env = env().await;
    let c = card(SEAMLESS);
    let mut b = browser();
    b.ip_address = "::1".into();
    let request = payorch_connector::model::StartAuthentication {
        authentication_id: "auth_c1",
        card: &c,
        amount: inr(10_000),
        browser: &b,
        return_url: RETURN_URL,
        order_reference: "o",
        preferred_flow: None,
        capture: false,
    };
    let err = env
        .mpgs
        .start_authentication(&ctx(), &request)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Rejected { caller_field: Some(f), .. } if f == "browser.ip_address"),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let env = env_with_adapter(sandbox_config(), |c| c.api_password = "wrong".into()).await;
    let err = env
        .try_start_card("auth_u1", card(SEAMLESS), inr(10_000))
        .await
        .unwrap_err();
    let ConnectorError::Unauthorized(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, "401");
    assert_eq!(status.raw_status, "ERROR");
}

#[tokio::test]
async fn oldest_supported_api_version_works() {
    let env = env_with_adapter(sandbox_config(), |c| c.api_version = 71).await;
    let s = env.authenticated("auth_v71", SEAMLESS, inr(800)).await;
    let p = env.authorize(&s, "pay_v71", false).await.unwrap();
    assert_eq!(p.status, payorch_core::status::PaymentStatus::Authorized);
}

#[tokio::test]
async fn dropped_otp_answer_is_unknown_then_sync_resolves_it() {
    let env = env().await;
    let session = env.start("auth_m2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    env.arm_fault("drop", 1).await;
    let err = env
        .mpgs
        .submit_otp(&ctx(), &session, &code)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("callback_otp").await, 1, "never posted twice");
    let mut unknown = session.clone();
    unknown.status = AuthenticationStatus::Unknown;
    let o = env
        .mpgs
        .sync_authentication(&ctx(), &unknown)
        .await
        .unwrap();
    assert_eq!(
        o.status,
        AuthenticationStatus::Succeeded,
        "the OTP went through"
    );
    assert_eq!(env.calls("callback_otp").await, 1);
}

#[tokio::test]
async fn sync_reports_a_waiting_challenge_and_a_lost_start() {
    let env = env().await;
    let session = env.start("auth_y1", SEAMLESS, inr(10_000)).await;
    let o = env
        .mpgs
        .sync_authentication(&ctx(), &session)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    // INITIATE's answer lost (processed, then timed out): payorch holds no state and the
    // gateway holds an authentication no payer can continue.
    env.arm_fault("timeout", 1).await;
    let lost = env
        .try_start_card("auth_y2", card(SEAMLESS), inr(10_000))
        .await;
    assert!(lost.unwrap_err().outcome_unknown());
    let mut unknown = pending_session("auth_y2", card(SEAMLESS), inr(10_000));
    unknown.status = AuthenticationStatus::Unknown;
    let o = env
        .mpgs
        .sync_authentication(&ctx(), &unknown)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::ProviderError));
    // A start that never reached the gateway at all.
    let mut never = pending_session("auth_y3", card(SEAMLESS), inr(10_000));
    never.status = AuthenticationStatus::Unknown;
    let o = env.mpgs.sync_authentication(&ctx(), &never).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
}
