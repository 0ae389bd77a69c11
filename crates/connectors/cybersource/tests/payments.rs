//! Authorization, capture, reversal, refund and status lookups against the sandbox, and
//! the reliability rules under injected faults.

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
    let outcome = env.cs.authorize(&ctx(), &request).await?;
    Ok(apply_payment(&payment, outcome, None))
}

#[tokio::test]
async fn authorize_with_capture() {
    let env = env().await;
    let session = env.authenticated("auth_p1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_p1", true).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Captured, "{p:?}");
    assert_eq!(p.captured, inr(10_000));
    assert_eq!(p.approval_code.as_deref().map(str::len), Some(6));
    assert!(p.network_transaction_id.is_some());
    assert_eq!(p.provider_status.as_ref().unwrap().code, "00");
    assert_eq!(p.provider_reference.as_deref().map(str::len), Some(22));
    // A sale refunds by the payment's id.
    let o = env
        .cs
        .refund(&ctx(), &p, inr(4_000), "ref_1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    let p = apply_payment(&p, o, Some("refund"));
    let o = env
        .cs
        .refund(&ctx(), &p, inr(6_000), "ref_2")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::Refunded);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.cs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Refunded);
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
async fn partial_captures_then_refund_from_a_capture() {
    let env = env().await;
    let session = env.authenticated("auth_c1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_c1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized);
    let o = env.cs.capture(&ctx(), &p, inr(3_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(o.amount, Some(inr(3_000)));
    let p = apply_payment(&p, o, Some("capture"));
    let synced = env.cs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyCaptured);
    let o = env.cs.capture(&ctx(), &p, inr(7_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Captured);
    let p = apply_payment(&p, o, Some("capture"));
    assert_eq!(p.captured, inr(10_000));
    // Over-capture is refused and changes nothing.
    let err = env.cs.capture(&ctx(), &p, inr(1)).await.unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, "EXCEEDS_AUTH_AMOUNT");
    assert_eq!(caller_field, None);
    let o = env
        .cs
        .refund(&ctx(), &p, inr(5_000), "ref_c1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.cs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(env.calls("capture").await, 3);
    assert_eq!(env.calls("refund").await, 1);
}

#[tokio::test]
async fn void_reverses_the_authorization() {
    let env = env().await;
    let session = env.authenticated("auth_v1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_v1", false).await.unwrap();
    let o = env.cs.void(&ctx(), &p).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Voided);
    assert_eq!(o.provider_status.as_ref().unwrap().raw_status, "REVERSED");
    let p = apply_payment(&p, o, Some("void"));
    let synced = env.cs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Voided);
    assert_eq!(env.calls("reversal").await, 1);
}

#[tokio::test]
async fn sync_reports_an_authorized_payment() {
    let env = env().await;
    let session = env.authenticated("auth_y1", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_y1", false).await.unwrap();
    let synced = env.cs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Authorized);
    assert!(synced.approval_code.is_some());
    assert_eq!(synced.provider_status.unwrap().code, "00");
}

#[tokio::test]
async fn authorize_timeout_is_unknown_after_exactly_one_call() {
    let env = env().await;
    let session = env.authenticated("auth_t1", SEAMLESS, inr(10_000)).await;
    env.arm_fault("timeout", 1).await;
    let err = authorize(&env, &session, "pay_t1", true).await.unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(
        env.calls("authorization").await,
        1,
        "a write is never repeated"
    );
}

/// The authorization's answer was lost, so payorch does not know its id: it can only be
/// found by payorch's reference, through Cybersource's Transaction Search.
#[tokio::test]
async fn authorize_timeout_then_sync_finds_the_payment() {
    let env = env().await;
    let session = env.authenticated("auth_t2", SEAMLESS, inr(10_000)).await;
    env.arm_fault("timeout", 1).await;
    let err = authorize(&env, &session, "pay_t2", true).await.unwrap_err();
    assert!(err.outcome_unknown());
    let mut unknown = pending_payment("pay_t2", &session);
    unknown.status = PaymentStatus::Unknown;
    let synced = env.cs.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Captured);
    assert!(synced.provider_reference.is_some());
    assert_eq!(env.calls("authorization").await, 1);
}

#[tokio::test]
async fn capture_timeout_then_sync_resolves_it() {
    let env = env().await;
    let session = env.authenticated("auth_t3", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_t3", false).await.unwrap();
    env.arm_fault("timeout", 1).await;
    let err = env.cs.capture(&ctx(), &p, inr(10_000)).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("capture").await, 1);
    let mut unknown = p.clone();
    unknown.status = PaymentStatus::Unknown;
    let synced = env.cs.sync_payment(&ctx(), &unknown).await.unwrap();
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
    assert_eq!(env.calls("authorization").await, 1);
}

#[tokio::test]
async fn dropped_answer_to_otp_validation_is_unknown() {
    let env = env().await;
    let session = env.start("auth_m2", SEAMLESS, inr(10_000)).await;
    let code = env
        .otp(session.provider_reference.as_deref().unwrap())
        .await;
    env.arm_fault("drop", 1).await;
    let err = env
        .cs
        .submit_otp(&ctx(), &session, &code)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("validation").await, 1);
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
    let synced = env.cs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Authorized);
    assert_eq!(
        env.calls("transaction_details").await,
        1,
        "the 503 was not processed, the retry was"
    );
}

#[tokio::test]
async fn malformed_answer_to_a_read_is_an_error_not_a_panic() {
    let env = env().await;
    let session = env.authenticated("auth_m3", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_m3", false).await.unwrap();
    env.arm_fault("malformed", 1).await;
    let err = env.cs.sync_payment(&ctx(), &p).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
}

/// A refund whose answer was lost is not in payorch's state: Transaction Details finds it
/// among the authorization's related transactions (reads only, the refund is not repeated).
#[tokio::test]
async fn refund_timeout_then_sync_finds_it_through_transaction_details() {
    let env = env().await;
    let session = env.authenticated("auth_t4", SEAMLESS, inr(10_000)).await;
    let p = authorize(&env, &session, "pay_t4", true).await.unwrap();
    let o = env
        .cs
        .refund(&ctx(), &p, inr(4_000), "ref_t4a")
        .await
        .unwrap();
    let p = apply_payment(&p, o, Some("refund"));
    env.arm_fault("timeout", 1).await;
    let err = env
        .cs
        .refund(&ctx(), &p, inr(6_000), "ref_t4b")
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    let mut unknown = p.clone();
    unknown.status = PaymentStatus::Unknown;
    let synced = env.cs.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Refunded, "{synced:?}");
    assert_eq!(env.calls("refund").await, 2);
    assert_eq!(env.calls("transaction_details").await, 3);
}
