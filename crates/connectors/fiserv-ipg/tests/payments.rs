//! Sale, pre-auth, post-auth, void, return and inquiries against the sandbox, and the
//! reliability rules under injected faults.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payorch_connector::ConnectorError;
use payorch_connector::model::AuthorizeRequest;
use payorch_connector::{Authenticator, Payments};
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use payorch_core::status::{FailureReason, PaymentStatus};

async fn authorize(
    env: &Env,
    session: &AuthenticationSession,
    payment_id: &str,
    capture: bool,
) -> Result<PaymentRecord, ConnectorError> {
    let payment = pending_payment(payment_id, session);
    let request = AuthorizeRequest {
        payment_id,
        amount: session.amount,
        capture,
        card: session.card.as_ref(),
        authentication_state: session.connector_state.as_ref(),
        authentication_reference: session.provider_reference.as_deref(),
        order_reference: &payment.order_reference,
    };
    let outcome = env.ipg.authorize(&ctx(), &request).await?;
    Ok(apply_payment(&payment, outcome, None))
}

#[tokio::test]
async fn authorize_with_capture_then_refunds() {
    let env = env().await;
    let session = env.authenticated("auth_p1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_p1", true).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Captured, "{p:?}");
    assert_eq!(p.captured, inr(10_000));
    assert_eq!(p.approval_code.as_deref().map(str::len), Some(6));
    assert!(p.network_transaction_id.is_some());
    let status = p.provider_status.clone().unwrap();
    assert_eq!(
        (status.code.as_str(), status.raw_status.as_str()),
        ("00", "APPROVED")
    );
    assert_eq!(env.calls("sale").await, 1);
    let o = env
        .ipg
        .refund(&ctx(), &p, inr(4_000), "ref_1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(o.amount, Some(inr(4_000)));
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.ipg.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyRefunded);
    let o = env
        .ipg
        .refund(&ctx(), &p, inr(6_000), "ref_2")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::Refunded);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.ipg.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Refunded);
    // Refunding more than was captured is refused and changes nothing.
    let err = env
        .ipg
        .refund(&ctx(), &p, inr(1), "ref_3")
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
        (status.code.as_str(), status.raw_status.as_str()),
        ("409", "GatewayDeclined")
    );
    assert_eq!(caller_field, None);
    assert_eq!(env.calls("return").await, 3);
}

#[tokio::test]
async fn declines_51_54_05() {
    let env = env().await;
    for (i, (number, code, reason)) in [
        (DECLINE_51, "51", FailureReason::InsufficientFunds),
        (DECLINE_54, "54", FailureReason::CardExpired),
        (DECLINE_05, "05", FailureReason::DoNotHonour),
    ]
    .into_iter()
    .enumerate()
    {
        let session = env
            .authenticated(&format!("auth_d{i}"), number, inr(10_000))
            .await;
        let p = authorize(&env, &session, &format!("pay_d{i}"), false)
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Declined, "{number}");
        assert_eq!(p.failure_reason, Some(reason), "{number}");
        assert_eq!(p.approval_code, None);
        let status = p.provider_status.unwrap();
        assert_eq!(status.code, code);
        assert_eq!(status.raw_status, "DECLINED");
    }
}

#[tokio::test]
async fn authorization_without_a_successful_authentication_is_declined() {
    let env = env().await;
    let session = env.start("auth_x1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_x1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Declined);
    assert_eq!(
        p.failure_reason,
        Some(FailureReason::AuthenticationRequired)
    );
}

#[tokio::test]
async fn preauth_partial_captures_then_refund() {
    let env = env().await;
    let session = env.authenticated("auth_c1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_c1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized);
    assert_eq!(env.calls("preauth").await, 1);
    let o = env.ipg.capture(&ctx(), &p, inr(3_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(o.amount, Some(inr(3_000)));
    let p = apply_payment(&p, o, Some("capture"));
    let synced = env.ipg.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyCaptured);
    let o = env.ipg.capture(&ctx(), &p, inr(7_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Captured);
    let p = apply_payment(&p, o, Some("capture"));
    assert_eq!(p.captured, inr(10_000));
    // Over-capture is refused and changes nothing.
    let err = env.ipg.capture(&ctx(), &p, inr(1)).await.unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.raw_status, "GatewayDeclined");
    assert_eq!(caller_field, None);
    let o = env
        .ipg
        .refund(&ctx(), &p, inr(5_000), "ref_c1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.ipg.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(env.calls("postauth").await, 3);
    assert_eq!(env.calls("return").await, 1);
}

#[tokio::test]
async fn void_cancels_the_preauth() {
    let env = env().await;
    let session = env.authenticated("auth_v1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_v1", false).await.unwrap();
    let o = env.ipg.void(&ctx(), &p).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Voided);
    assert_eq!(o.provider_status.as_ref().unwrap().raw_status, "APPROVED");
    let p = apply_payment(&p, o, Some("void"));
    let synced = env.ipg.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Voided);
    assert_eq!(env.calls("void").await, 1);
    // Nothing can be captured after a void.
    assert!(matches!(
        env.ipg.capture(&ctx(), &p, inr(100)).await,
        Err(ConnectorError::Rejected { .. })
    ));
}

#[tokio::test]
async fn sync_reports_an_authorized_payment() {
    let env = env().await;
    let session = env.authenticated("auth_y1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_y1", false).await.unwrap();
    let synced = env.ipg.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Authorized);
    assert!(synced.approval_code.is_some());
    assert_eq!(synced.provider_status.unwrap().code, "00");
    assert_eq!(env.calls("order_inquiry").await, 1);
}

#[tokio::test]
async fn authorize_timeout_is_unknown_after_exactly_one_call_then_sync_resolves() {
    let env = env().await;
    let session = env.authenticated("auth_t1", SEAMLESS, inr(10_000)).await;
    env.arm_fault("timeout", 1).await;
    let err = authorize(&env, &session, "pay_t1", true).await.unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(env.calls("sale").await, 1, "a write is never repeated");
    // The answer was lost, so payorch does not know the sale's id: the order (named
    // after the authentication) finds it.
    let mut unknown = pending_payment("pay_t1", &session);
    unknown.status = PaymentStatus::Unknown;
    let synced = env.ipg.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Captured);
    assert!(synced.provider_reference.is_some());
    assert!(
        synced.connector_state.is_some(),
        "later operations can use it"
    );
    assert_eq!(env.calls("sale").await, 1);
    // And a refund works from the synced payment.
    let mut p = apply_payment(&unknown, synced, None);
    p.captured = p.amount;
    let o = env
        .ipg
        .refund(&ctx(), &p, inr(10_000), "ref_t1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::Refunded);
}

#[tokio::test]
async fn capture_timeout_then_sync_resolves_it() {
    let env = env().await;
    let session = env.authenticated("auth_t3", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_t3", false).await.unwrap();
    env.arm_fault("timeout", 1).await;
    let err = env.ipg.capture(&ctx(), &p, inr(10_000)).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("postauth").await, 1);
    let mut unknown = p.clone();
    unknown.status = PaymentStatus::Unknown;
    let synced = env.ipg.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(
        synced.status,
        PaymentStatus::Captured,
        "the capture happened"
    );
}

#[tokio::test]
async fn malformed_answer_to_a_write_is_unknown() {
    let env = env().await;
    let session = env.authenticated("auth_m1", SEAMLESS, inr(10_000)).await;
    env.arm_fault("malformed", 1).await;
    let err = authorize(&env, &session, "pay_m1", false)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(env.calls("preauth").await, 1);
}

#[tokio::test]
async fn dropped_answer_to_otp_verification_is_unknown_and_sync_resolves_it() {
    let env = env().await;
    let session = env.start("auth_m2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    env.arm_fault("drop", 1).await;
    let err = env
        .ipg
        .submit_otp(&ctx(), &session, &code)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("verify_otp").await, 1);
    let mut unknown = session.clone();
    unknown.status = payorch_core::status::AuthenticationStatus::Unknown;
    let o = env.ipg.sync_authentication(&ctx(), &unknown).await.unwrap();
    assert_eq!(
        o.status,
        payorch_core::status::AuthenticationStatus::Succeeded
    );
}

#[tokio::test]
async fn server_errors_are_unknown_for_writes_and_retried_for_reads() {
    let env = env().await;
    let session = env.authenticated("auth_e1", SEAMLESS, inr(10_000)).await;
    env.arm_fault("status=502", 1).await;
    let err = authorize(&env, &session, "pay_e1", false)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    // The 502 was answered without processing: the authentication is still unused.
    let p = authorize(&env, &session, "pay_e1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized);
    env.arm_fault("status=503", 1).await;
    let synced = env.ipg.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Authorized);
    assert_eq!(
        env.calls("order_inquiry").await,
        1,
        "the 503 was not processed, the retry was (with a fresh Client-Request-Id)"
    );
    assert_eq!(env.calls("replayed").await, 0);
}

#[tokio::test]
async fn malformed_answer_to_a_read_is_an_error_not_a_panic() {
    let env = env().await;
    let session = env.authenticated("auth_m3", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_m3", false).await.unwrap();
    env.arm_fault("malformed", 1).await;
    let err = env.ipg.sync_payment(&ctx(), &p).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
}
