//! Payer authentication against the sandbox over HTTP: seamless and redirect flows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payorch_connector::Connector;
use payorch_connector::ConnectorError;
use payorch_connector::model::{EligibilityRequest, RedirectParams, StartAuthentication};
use payorch_connector::{Authenticator, Payments};
use payorch_core::session::NextAction;
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};
use payorch_sandbox::SandboxConfig;

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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // otpValidityInMinutes 5: five minutes from now.
    let expires = expires_at_ms.unwrap();
    assert!(
        (expires - now - 300_000).abs() < 10_000,
        "{expires} vs {now}"
    );
    // The provider reference is the PAYER_AUTH ipgTransactionId (the OTP hook's key).
    let reference = session.provider_reference.clone().unwrap();
    assert!(reference.bytes().all(|b| b.is_ascii_digit()), "{reference}");
    let code = env.otp(&reference).await;
    let outcome = env.ipg.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::Succeeded);
    assert_eq!(outcome.recommendation, Some(Recommendation::Proceed));
    let status = outcome.provider_status.clone().unwrap();
    assert_eq!(status.code, "00");
    assert_eq!(status.raw_status, "WAITING");
    assert_eq!(env.calls("payer_auth").await, 1);
    assert_eq!(env.calls("verify_otp").await, 1);
    // An inquiry agrees.
    let session = apply(&session, outcome);
    let synced = env.ipg.sync_authentication(&ctx(), &session).await.unwrap();
    assert_eq!(synced.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn wrong_otp_then_right_one() {
    let env = env().await;
    let session = env.start("auth_s2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let outcome = env
        .ipg
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::OtpRequired);
    assert_eq!(outcome.failure_reason, Some(FailureReason::InvalidOtp));
    assert_eq!(outcome.recommendation, Some(Recommendation::RetryOtp));
    assert_eq!(outcome.attempts_remaining, Some(2));
    assert_eq!(outcome.provider_status.as_ref().unwrap().code, "450");
    let session = apply(&session, outcome);
    let outcome = env.ipg.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::Succeeded);
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
            .ipg
            .submit_otp(&ctx(), &session, &wrong(&code))
            .await
            .unwrap();
        assert_eq!(o.status, AuthenticationStatus::OtpRequired);
        assert_eq!(o.attempts_remaining, Some(remaining));
        session = apply(&session, o);
    }
    let o = env
        .ipg
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));
    assert_eq!(o.recommendation, Some(Recommendation::DoNotProceed));
    assert_eq!(o.attempts_remaining, Some(0));
    let status = o.provider_status.unwrap();
    assert_eq!(status.code, "452");
    assert_eq!(status.raw_status, "DECLINED");
}

#[tokio::test]
async fn resend_then_limit() {
    let mut config = sandbox_config();
    config.fiserv_ipg.otp = payorch_sandbox::OtpPolicy::new(5, 3, 2);
    let env = env_with(config).await;
    let mut session = env.start("auth_s4", SEAMLESS, inr(10_000)).await;
    // The adapter's configured budget (3) is larger than this sandbox's (2): the
    // provider's refusal decides.
    let reference = session.provider_reference.clone().unwrap();
    for left in [2, 1] {
        let before = env.otp(&reference).await;
        let o = env.ipg.resend_otp(&ctx(), &session).await.unwrap();
        assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
        assert_eq!(o.resends_remaining, Some(left));
        assert!(o.expires_at_ms.is_some());
        assert!(matches!(o.next_action, Some(NextAction::CollectOtp { .. })));
        assert_eq!(o.provider_reference.as_deref(), Some(reference.as_str()));
        session = apply(&session, o);
        let after = env.otp(&reference).await;
        if before != after {
            let o = env.ipg.submit_otp(&ctx(), &session, &before).await.unwrap();
            assert_eq!(
                o.failure_reason,
                Some(FailureReason::InvalidOtp),
                "old OTP dead"
            );
            session = apply(&session, o);
        }
    }
    assert_eq!(env.calls("regenerate_otp").await, 2);
    let o = env.ipg.resend_otp(&ctx(), &session).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::ResendLimitReached));
    assert_eq!(o.resends_remaining, Some(0));
    assert_eq!(o.provider_status.unwrap().code, "453");
}

#[tokio::test]
async fn otp_steps_without_the_card_are_invalid_state() {
    let env = env().await;
    let mut session = env.start("auth_s5", SEAMLESS, inr(10_000)).await;
    session.card = None;
    assert!(matches!(
        env.ipg.resend_otp(&ctx(), &session).await,
        Err(ConnectorError::InvalidState(_))
    ));
    assert!(matches!(
        env.ipg.submit_otp(&ctx(), &session, "123456").await,
        Err(ConnectorError::InvalidState(_))
    ));
    assert_eq!(env.calls("regenerate_otp").await, 0);
    assert_eq!(env.calls("verify_otp").await, 0);
}

#[tokio::test]
async fn expired_otp_then_resend() {
    let env = env().await;
    let session = env.start("auth_s6", SEAMLESS, inr(10_000)).await;
    let reference = session.provider_reference.clone().unwrap();
    let code = env.otp(&reference).await;
    env.expire_otp(&reference).await;
    let o = env.ipg.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.failure_reason, Some(FailureReason::OtpExpired));
    assert_eq!(o.provider_status.as_ref().unwrap().code, "451");
    // Resends remain: the payer can ask for a new code.
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    assert_eq!(o.recommendation, Some(Recommendation::ResendOtp));
    let mut spent = session.clone();
    spent.resends_remaining = 0;
    let o = env.ipg.submit_otp(&ctx(), &spent, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Expired);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpExpired));
    // With resends left, a new OTP works.
    let o = env.ipg.resend_otp(&ctx(), &session).await.unwrap();
    let session = apply(&session, o);
    let code = env.otp(&reference).await;
    let o = env.ipg.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
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
    assert_eq!(status.raw_status, "DECLINED");
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
        .ipg
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
        .ipg
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
    assert_eq!(env.calls("payer_auth").await, 0);
}

#[tokio::test]
async fn redirect_through_the_sandbox_acs() {
    let env = env().await;
    let session = env.start("auth_r1", REDIRECT, inr(10_000)).await;
    assert_eq!(session.status, AuthenticationStatus::RedirectRequired);
    assert_eq!(session.flow, Some(Flow::Redirect));
    let Some(NextAction::Redirect { url, html, .. }) = &session.next_action else {
        panic!()
    };
    assert!(url.contains("/_sandbox/acs/fiserv-ipg/"), "{url}");
    assert!(html.contains(&format!("action=\"{url}\"")), "{html}");
    let reference = session.provider_reference.clone().unwrap();
    // Back before finishing at the ACS: the inquiry says it is still waiting.
    let o = env
        .ipg
        .complete_redirect(&ctx(), &session, &RedirectParams::new())
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::RedirectRequired);
    let code = env.otp(&reference).await;
    let params = env.through_acs(&session, &[("otp", &code)]).await;
    assert_eq!(params["ipgTransactionId"], reference);
    assert_eq!(params["oid"], "auth_r1", "payorch names the order");
    let before = env.calls("inquiry").await;
    let o = env
        .ipg
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    assert_eq!(
        env.calls("inquiry").await,
        before + 1,
        "confirmed by inquiry"
    );

    // And it authorizes with the payer authentication's id and order.
    let session = apply(&session, o);
    let payment = pending_payment("pay_r1", &session);
    let card = card(REDIRECT);
    let request = payorch_connector::model::AuthorizeRequest {
        payment_id: "pay_r1",
        amount: session.amount,
        capture: false,
        card: Some(&card),
        authentication_state: session.connector_state.as_ref(),
        authentication_reference: session.provider_reference.as_deref(),
        order_reference: &payment.order_reference,
    };
    let p = env.ipg.authorize(&ctx(), &request).await.unwrap();
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
        .ipg
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Cancelled);
    assert_eq!(o.failure_reason, Some(FailureReason::CancelledByPayer));
    assert_eq!(o.provider_status.unwrap().code, "ACCU200");
}

#[tokio::test]
async fn redirect_return_is_never_trusted_alone() {
    let env = env().await;
    let session = env.start("auth_r3", REDIRECT, inr(10_000)).await;
    let reference = session.provider_reference.clone().unwrap();
    // A foreign transaction id is refused without calling IPG.
    let params = RedirectParams::from([("ipgTransactionId".to_owned(), "81234567890".to_owned())]);
    let err = env
        .ipg
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Rejected { caller_field: Some(f), .. } if f == "params.ipgTransactionId"),
        "{err:?}"
    );
    // A forged "approved" return with a bad hash is refused.
    let forged = RedirectParams::from([
        ("ipgTransactionId".to_owned(), reference.clone()),
        ("oid".to_owned(), "auth_r3".to_owned()),
        ("status".to_owned(), "APPROVED".to_owned()),
        (
            "approval_code".to_owned(),
            "Y:00:Authentication successful".to_owned(),
        ),
        ("response_hash".to_owned(), "Zm9yZ2Vk".to_owned()),
    ]);
    let err = env
        .ipg
        .complete_redirect(&ctx(), &session, &forged)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Rejected { caller_field: Some(f), .. } if f == "params.response_hash"),
        "{err:?}"
    );
    assert_eq!(env.calls("inquiry").await, 0);
    // Without a hash the fields decide nothing: the inquiry says the payer is not done.
    let mut unsigned = forged.clone();
    unsigned.remove("response_hash");
    let o = env
        .ipg
        .complete_redirect(&ctx(), &session, &unsigned)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::RedirectRequired);
}

#[tokio::test]
async fn invalid_card_is_the_callers_field() {
    let env = env().await;
    let session = pending_session("auth_c1", SEAMLESS, inr(10_000));
    let card = session.card.clone().unwrap();
    let mut browser = browser();
    browser.ip_address = String::new();
    let request = StartAuthentication {
        authentication_id: "auth_c1",
        card: &card,
        amount: inr(10_000),
        browser: &browser,
        return_url: RETURN_URL,
        order_reference: "o",
        preferred_flow: None,
        capture: false,
    };
    let err = env
        .ipg
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
    assert_eq!(caller_field.as_deref(), Some("browser.ip_address"));
    assert_eq!(status.raw_status, "BadRequest");
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let addr = payorch_sandbox::spawn("127.0.0.1:0".parse().unwrap(), SandboxConfig::default())
        .await
        .unwrap();
    let mut config = adapter_config(addr);
    config.api_secret = "some other secret".into();
    let ipg = payorch_fiserv_ipg::FiservIpgConnector::new(config).unwrap();
    let session = pending_session("auth_u1", SEAMLESS, inr(10_000));
    let card = session.card.clone().unwrap();
    let browser = browser();
    let request = StartAuthentication {
        authentication_id: "auth_u1",
        card: &card,
        amount: inr(10_000),
        browser: &browser,
        return_url: RETURN_URL,
        order_reference: "o",
        preferred_flow: None,
        capture: false,
    };
    let err = ipg
        .start_authentication(&ctx(), &request)
        .await
        .unwrap_err();
    let ConnectorError::Unauthorized(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, "401");
    assert_eq!(status.raw_status, "Unauthenticated");
}

#[tokio::test]
async fn start_timeout_is_unknown_then_sync_finds_the_challenge() {
    let env = env().await;
    let session = pending_session("auth_t9", SEAMLESS, inr(10_000));
    let card = session.card.clone().unwrap();
    let browser = browser();
    let request = StartAuthentication {
        authentication_id: "auth_t9",
        card: &card,
        amount: inr(10_000),
        browser: &browser,
        return_url: RETURN_URL,
        order_reference: "o",
        preferred_flow: None,
        capture: false,
    };
    env.arm_fault("timeout", 1).await;
    let err = env
        .ipg
        .start_authentication(&ctx(), &request)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("payer_auth").await, 1);
    let mut unknown = session.clone();
    unknown.status = AuthenticationStatus::Unknown;
    let o = env.ipg.sync_authentication(&ctx(), &unknown).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
    assert!(matches!(o.next_action, Some(NextAction::CollectOtp { .. })));
    let session = apply(&unknown, o);
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let o = env.ipg.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
    // A start that never reached IPG left no order: it did not happen.
    let mut never = pending_session("auth_t10", SEAMLESS, inr(10_000));
    never.status = AuthenticationStatus::Unknown;
    let o = env.ipg.sync_authentication(&ctx(), &never).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
}
