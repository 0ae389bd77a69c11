//! Payer authentication against the sandbox over HTTP: seamless and redirect flows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payorch_connector::Connector;
use payorch_connector::ConnectorError;
use payorch_connector::model::{EligibilityRequest, RedirectParams};
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
    let expires = expires_at_ms.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // validityPeriod "05": five minutes from now.
    assert!(
        (expires - now - 300_000).abs() < 10_000,
        "{expires} vs {now}"
    );
    assert_eq!(session.expires_at_ms, Some(expires));
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let outcome = env.cs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::Succeeded);
    assert_eq!(outcome.recommendation, Some(Recommendation::Proceed));
    let state = outcome.connector_state.clone().unwrap();
    assert!(
        state.payload.contains("transactionToken"),
        "{}",
        state.payload
    );
    assert!(
        state.payload.contains("\"indicator\":\"rpy\""),
        "{}",
        state.payload
    );
    assert_eq!(
        outcome.provider_status.unwrap().raw_status,
        "AUTHENTICATION_SUCCESSFUL"
    );
    assert_eq!(env.calls("enrollment").await, 1);
    assert_eq!(env.calls("validation").await, 1);
}

#[tokio::test]
async fn wrong_otp_then_right_one() {
    let env = env().await;
    let session = env.start("auth_s2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let outcome = env
        .cs
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(outcome.status, AuthenticationStatus::OtpRequired);
    assert_eq!(outcome.failure_reason, Some(FailureReason::InvalidOtp));
    assert_eq!(outcome.recommendation, Some(Recommendation::RetryOtp));
    assert_eq!(outcome.attempts_remaining, Some(2));
    assert_eq!(outcome.provider_status.as_ref().unwrap().code, "450");
    let session = apply(&session, outcome);
    let outcome = env.cs.submit_otp(&ctx(), &session, &code).await.unwrap();
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
            .cs
            .submit_otp(&ctx(), &session, &wrong(&code))
            .await
            .unwrap();
        assert_eq!(o.status, AuthenticationStatus::OtpRequired);
        assert_eq!(o.attempts_remaining, Some(remaining));
        session = apply(&session, o);
    }
    let o = env
        .cs
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpAttemptsExhausted));
    assert_eq!(o.recommendation, Some(Recommendation::DoNotProceed));
    assert_eq!(o.attempts_remaining, Some(0));
    assert_eq!(o.provider_status.unwrap().code, "452");
}

#[tokio::test]
async fn resend_then_limit() {
    let mut config = sandbox_config();
    config.cybersource.otp.max_resends = 2;
    let env = env_with(config).await;
    let mut session = env.start("auth_s4", SEAMLESS, inr(10_000)).await;
    // The adapter's configured budget (3) is larger than this sandbox's (2): the
    // provider's refusal decides.
    let reference = session.provider_reference.clone().unwrap();
    for left in [2, 1] {
        let before = env.otp(&reference).await;
        let o = env.cs.resend_otp(&ctx(), &session).await.unwrap();
        assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
        assert_eq!(o.resends_remaining, Some(left));
        assert!(o.expires_at_ms.is_some());
        assert!(matches!(o.next_action, Some(NextAction::CollectOtp { .. })));
        assert_eq!(o.provider_reference.as_deref(), Some(reference.as_str()));
        session = apply(&session, o);
        let after = env.otp(&reference).await;
        if before != after {
            let o = env.cs.submit_otp(&ctx(), &session, &before).await.unwrap();
            assert_eq!(
                o.failure_reason,
                Some(FailureReason::InvalidOtp),
                "old OTP dead"
            );
            session = apply(&session, o);
        }
    }
    assert_eq!(env.calls("resend").await, 2);
    let o = env.cs.resend_otp(&ctx(), &session).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed);
    assert_eq!(o.failure_reason, Some(FailureReason::ResendLimitReached));
    assert_eq!(o.resends_remaining, Some(0));
    assert_eq!(o.provider_status.unwrap().code, "453");
}

#[tokio::test]
async fn resend_without_the_card_is_invalid_state() {
    let env = env().await;
    let mut session = env.start("auth_s5", SEAMLESS, inr(10_000)).await;
    session.card = None;
    assert!(matches!(
        env.cs.resend_otp(&ctx(), &session).await,
        Err(ConnectorError::InvalidState(_))
    ));
    assert_eq!(env.calls("resend").await, 0);
}

#[tokio::test]
async fn expired_otp() {
    let env = env().await;
    let session = env.start("auth_s6", SEAMLESS, inr(10_000)).await;
    let reference = session.provider_reference.clone().unwrap();
    let code = env.otp(&reference).await;
    env.expire_otp(&reference).await;
    let o = env.cs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.failure_reason, Some(FailureReason::OtpExpired));
    // Resends remain: the payer can ask for a new code.
    assert_eq!(o.status, AuthenticationStatus::OtpRequired);
    assert_eq!(o.recommendation, Some(Recommendation::ResendOtp));
    let mut spent = session.clone();
    spent.resends_remaining = 0;
    let o = env.cs.submit_otp(&ctx(), &spent, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Expired);
    assert_eq!(o.failure_reason, Some(FailureReason::OtpExpired));
}

#[tokio::test]
async fn not_enrolled_and_issuer_unavailable() {
    let env = env().await;
    let s = env.start("auth_n1", NOT_ENROLLED, inr(10_000)).await;
    assert_eq!(s.status, AuthenticationStatus::Failed);
    assert_eq!(s.failure_reason, Some(FailureReason::CardNotEnrolled));
    // The enrollment model documents no NPCI result field: the reason comes from
    // `veresEnrolled`, the provider's code from `errorInformation.reason`.
    assert_eq!(
        s.provider_status.as_ref().unwrap().code,
        "CONSUMER_AUTHENTICATION_FAILED"
    );
    assert_eq!(
        s.provider_status.as_ref().unwrap().raw_status,
        "AUTHENTICATION_FAILED"
    );
    let s = env.start("auth_n2", UNAVAILABLE, inr(10_000)).await;
    assert_eq!(s.status, AuthenticationStatus::Failed);
    assert_eq!(s.failure_reason, Some(FailureReason::IssuerUnavailable));
    assert_eq!(
        s.provider_status.as_ref().unwrap().code,
        "CONSUMER_AUTHENTICATION_FAILED"
    );
}

#[tokio::test]
async fn eligibility_is_decided_without_calling_the_provider() {
    let env = env().await;
    let rupay = card(SEAMLESS);
    let e = env
        .cs
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
        .cs
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
    assert_eq!(env.calls("enrollment").await, 0);
}

#[tokio::test]
async fn redirect_through_the_sandbox_acs() {
    let env = env().await;
    let session = env.start("auth_r1", REDIRECT, inr(10_000)).await;
    assert_eq!(session.status, AuthenticationStatus::RedirectRequired);
    assert_eq!(session.flow, Some(Flow::Redirect));
    let Some(NextAction::Redirect { form_fields, .. }) = &session.next_action else {
        panic!()
    };
    assert_eq!(form_fields["TermUrl"], RETURN_URL);
    // Seed 004: MD is the xid (which is also the authentication's provider reference).
    assert_eq!(
        Some(form_fields["MD"].as_str()),
        session.provider_reference.as_deref()
    );
    assert!(!form_fields["PaReq"].is_empty());
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let mut params: RedirectParams = env.through_acs(&session, &[("otp", &code)]).await;
    assert_eq!(params["MD"], form_fields["MD"]);
    // Line breaks a form may add to PaRes are removed before validation.
    let pares = params["PaRes"].clone();
    let (a, b) = pares.split_at(pares.len() / 2);
    params.insert("PaRes".into(), format!("{a}\r\n {b}"));
    let o = env
        .cs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    let state = o.connector_state.clone().unwrap().payload;
    assert!(state.contains("\"cavv\":\""), "{state}");
    assert!(state.contains("\"xid\":\""), "{state}");

    // And it authorizes with CAVV + XID.
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
    let p = env.cs.authorize(&ctx(), &request).await.unwrap();
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
        .cs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Cancelled);
    assert_eq!(o.failure_reason, Some(FailureReason::CancelledByPayer));
    assert_eq!(o.provider_status.unwrap().code, "ACCU200");
}

#[tokio::test]
async fn redirect_with_foreign_md_or_forged_pares_is_rejected() {
    let env = env().await;
    let session = env.start("auth_r3", REDIRECT, inr(10_000)).await;
    let params = RedirectParams::from([
        ("PaRes".to_owned(), "Zm9vfGJhcg==".to_owned()),
        ("MD".to_owned(), "auth_other".to_owned()),
    ]);
    let err = env
        .cs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Rejected { caller_field: Some(f), .. } if f == "params.MD"),
        "{err:?}"
    );
    assert_eq!(env.calls("validation").await, 0);
    let params = RedirectParams::from([("PaRes".to_owned(), "Zm9vfGJhcg==".to_owned())]);
    let err = env
        .cs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!()
    };
    assert_eq!(status.raw_status, "INVALID_REQUEST");
    assert_eq!(caller_field.as_deref(), Some("params.PaRes"));
}

#[tokio::test]
async fn missing_cvv_is_the_callers_field() {
    let env = env().await;
    let mut session = pending_session("auth_c1", SEAMLESS, inr(10_000));
    let mut card = session.card.take().unwrap();
    card.cvv = None;
    let browser = browser();
    let request = payorch_connector::model::StartAuthentication {
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
        .cs
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
    assert_eq!(status.code, "MISSING_FIELD");
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let addr = payorch_sandbox::spawn("127.0.0.1:0".parse().unwrap(), SandboxConfig::default())
        .await
        .unwrap();
    let mut config = adapter_config(addr);
    config.shared_secret = "c29tZSBvdGhlciBzZWNyZXQ=".into();
    let cs = payorch_cybersource::CybersourceConnector::new(config).unwrap();
    let session = pending_session("auth_u1", SEAMLESS, inr(10_000));
    let card = session.card.clone().unwrap();
    let browser = browser();
    let request = payorch_connector::model::StartAuthentication {
        authentication_id: "auth_u1",
        card: &card,
        amount: inr(10_000),
        browser: &browser,
        return_url: RETURN_URL,
        order_reference: "o",
        preferred_flow: None,
        capture: false,
    };
    let err = cs.start_authentication(&ctx(), &request).await.unwrap_err();
    let ConnectorError::Unauthorized(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, "401");
}

/// The session payorch stores when a call's answer was lost (the flows' `after_error`).
fn unknown(
    session: &payorch_core::session::AuthenticationSession,
) -> payorch_core::session::AuthenticationSession {
    let mut next = session.clone();
    next.status = AuthenticationStatus::Unknown;
    next.recommendation = None;
    next
}

async fn authorize_with(
    env: &Env,
    session: &payorch_core::session::AuthenticationSession,
    payment_id: &str,
) -> payorch_core::status::PaymentStatus {
    let payment = pending_payment(payment_id, session);
    let request = payorch_connector::model::AuthorizeRequest {
        payment_id,
        amount: session.amount,
        capture: false,
        card: session.card.as_ref(),
        authentication_state: session.connector_state.as_ref(),
        authentication_reference: session.provider_reference.as_deref(),
        order_reference: &payment.order_reference,
    };
    env.cs.authorize(&ctx(), &request).await.unwrap().status
}

#[tokio::test]
async fn lost_validation_is_resolved_by_transaction_search() {
    let env = env().await;
    let session = env.start("auth_l1", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    env.arm_fault("timeout", 1).await;
    let err = env
        .cs
        .submit_otp(&ctx(), &session, &code)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(
        env.calls("validation").await,
        1,
        "a write is never repeated"
    );
    let lost = unknown(&session);
    let o = env.cs.sync_authentication(&ctx(), &lost).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    assert_eq!(o.recommendation, Some(Recommendation::Proceed));
    assert_eq!(
        o.provider_status.as_ref().unwrap().raw_status,
        "AUTHENTICATION_SUCCESSFUL"
    );
    assert_eq!(env.calls("transaction_search").await, 1);
    assert_eq!(env.calls("validation").await, 1, "sync only reads");
    let session = apply(&lost, o);
    assert_eq!(
        authorize_with(&env, &session, "pay_l1").await,
        payorch_core::status::PaymentStatus::Authorized
    );
}

#[tokio::test]
async fn lost_wrong_otp_costs_an_attempt() {
    let env = env().await;
    let session = env.start("auth_l2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    // A wrong OTP answered normally, then another whose answer is lost.
    let o = env
        .cs
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap();
    let session = apply(&session, o);
    assert_eq!(session.attempts_remaining, 2);
    env.arm_fault("malformed", 1).await;
    let err = env
        .cs
        .submit_otp(&ctx(), &session, &wrong(&code))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let lost = unknown(&session);
    let o = env.cs.sync_authentication(&ctx(), &lost).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
    assert_eq!(o.failure_reason, Some(FailureReason::InvalidOtp));
    assert_eq!(o.attempts_remaining, Some(1));
    assert_eq!(o.provider_status.as_ref().unwrap().code, "450");
    // The payer can still authenticate with the right OTP.
    let session = apply(&lost, o);
    let o = env.cs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn lost_resend_gives_the_new_otp_prompt() {
    let env = env().await;
    let session = env.start("auth_l3", SEAMLESS, inr(10_000)).await;
    let reference = session.provider_reference.clone().unwrap();
    env.arm_fault("drop", 1).await;
    let err = env.cs.resend_otp(&ctx(), &session).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("resend").await, 1);
    let lost = unknown(&session);
    let o = env.cs.sync_authentication(&ctx(), &lost).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
    assert_eq!(o.resends_remaining, Some(2));
    let expires = o.expires_at_ms.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(
        (expires - now - 300_000).abs() < 10_000,
        "{expires} vs {now}"
    );
    assert!(matches!(
        o.next_action,
        Some(NextAction::CollectOtp { expires_at_ms: Some(e), .. }) if e == expires
    ));
    let session = apply(&lost, o);
    let code = env.otp(&reference).await;
    let o = env.cs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn validation_that_never_ran_goes_back_to_the_otp_prompt() {
    let env = env().await;
    let session = env.start("auth_l4", SEAMLESS, inr(10_000)).await;
    // Nothing indexed under another id yet: the stored status stands (search lag).
    let mut elsewhere = unknown(&session);
    elsewhere.id = "auth_not_indexed".into();
    let o = env
        .cs
        .sync_authentication(&ctx(), &elsewhere)
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Unknown);
    // A 503 from a proxy: the validation never reached Cybersource.
    env.arm_fault("status=503", 1).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let err = env
        .cs
        .submit_otp(&ctx(), &session, &code)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let lost = unknown(&session);
    let o = env.cs.sync_authentication(&ctx(), &lost).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::OtpRequired, "{o:?}");
    assert_eq!(o.attempts_remaining, None, "no attempt spent");
    let session = apply(&lost, o);
    let o = env.cs.submit_otp(&ctx(), &session, &code).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded);
}

#[tokio::test]
async fn lost_redirect_validation_is_resolved_with_cavv_and_xid() {
    let env = env().await;
    let session = env.start("auth_l5", REDIRECT, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    let params: RedirectParams = env.through_acs(&session, &[("otp", &code)]).await;
    env.arm_fault("timeout", 1).await;
    let err = env
        .cs
        .complete_redirect(&ctx(), &session, &params)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let lost = unknown(&session);
    let o = env.cs.sync_authentication(&ctx(), &lost).await.unwrap();
    assert_eq!(o.status, AuthenticationStatus::Succeeded, "{o:?}");
    let state = o.connector_state.clone().unwrap().payload;
    assert!(state.contains("\"cavv\":\""), "{state}");
    assert!(state.contains("\"xid\":\""), "{state}");
    let session = apply(&lost, o);
    assert_eq!(
        authorize_with(&env, &session, "pay_l5").await,
        payorch_core::status::PaymentStatus::Authorized
    );
}

#[tokio::test]
async fn lost_enrollment_cannot_be_continued() {
    let env = env().await;
    let pending = pending_session("auth_l6", SEAMLESS, inr(10_000));
    let card = pending.card.clone().unwrap();
    let browser = browser();
    let request = payorch_connector::model::StartAuthentication {
        authentication_id: "auth_l6",
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
        .cs
        .start_authentication(&ctx(), &request)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let o = env
        .cs
        .sync_authentication(&ctx(), &unknown(&pending))
        .await
        .unwrap();
    assert_eq!(o.status, AuthenticationStatus::Failed, "{o:?}");
    assert_eq!(o.failure_reason, Some(FailureReason::ProviderError));
    assert!(o.provider_reference.is_some());
}
