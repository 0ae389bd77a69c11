//! The payment the authentication created, against the sandbox: confirming it (authorize),
//! capture, void, refund, status lookups, and the reliability rules under injected faults.
//!
//! Juspay authorizes while authenticating (the right OTP charges or authorizes the order),
//! so "authorize" here never creates a transaction: it reads the order. The cases the
//! other adapters test on the authorization call (a write whose answer is lost) are tested
//! on the OTP submission, the call that authorizes at Juspay (see authentication.rs), and
//! on capture, which is a write here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payorch_connector::ConnectorError;
use payorch_connector::Payments;
use payorch_core::status::{FailureReason, PaymentStatus};

#[tokio::test]
async fn authorize_with_capture_confirms_the_charge() {
    let env = env().await;
    let session = env
        .authenticated("auth_p1", SEAMLESS, inr(10_000), true)
        .await;
    let p = env.authorize(&session, "pay_p1", true).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Captured, "{p:?}");
    assert_eq!(p.captured, inr(10_000));
    assert_eq!(p.approval_code.as_deref().map(str::len), Some(6));
    assert!(p.network_transaction_id.is_some(), "the RRN");
    let status = p.provider_status.clone().unwrap();
    assert_eq!(
        (status.code.as_str(), status.raw_status.as_str()),
        ("00", "CHARGED")
    );
    assert_eq!(
        p.provider_reference, session.provider_reference,
        "the txn_uuid"
    );
    assert_eq!(env.calls("txn").await, 1, "no second transaction");
    assert_eq!(env.calls("order_status").await, 1);

    let o = env
        .jp
        .refund(&ctx(), &p, inr(4_000), "ref_1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(o.amount, Some(inr(4_000)));
    assert_eq!(o.provider_status.as_ref().unwrap().code, "PENDING");
    let p = apply_payment(&p, o, Some("refund"));
    let o = env
        .jp
        .refund(&ctx(), &p, inr(6_000), "ref_2")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::Refunded);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.jp.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Refunded);
}

#[tokio::test]
async fn capture_mode_is_fixed_at_the_start() {
    let env = env().await;
    let session = env
        .authenticated("auth_p2", SEAMLESS, inr(10_000), false)
        .await;
    let err = env.authorize(&session, "pay_p2", true).await.unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(caller_field.as_deref(), Some("capture"));
    assert_eq!(status.code, "CAPTURE_MODE_FIXED");
    assert_eq!(env.calls("order_status").await, 0);
    let p = env.authorize(&session, "pay_p2", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized);
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
        // The payer authenticated; the bank then refused: the authentication succeeded
        // and the authorization reports the decline.
        let session = env
            .authenticated(&format!("auth_d{i}"), number, inr(10_000), true)
            .await;
        let p = env
            .authorize(&session, &format!("pay_d{i}"), true)
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Declined, "{number}");
        assert_eq!(p.failure_reason, Some(reason), "{number}");
        let status = p.provider_status.unwrap();
        assert_eq!(status.code, code);
        assert_eq!(status.raw_status, "AUTHORIZATION_FAILED");
    }
}

#[tokio::test]
async fn authorization_without_a_successful_authentication_is_declined() {
    let env = env().await;
    let session = env.start("auth_x1", SEAMLESS, inr(10_000)).await;
    let p = env.authorize(&session, "pay_x1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Declined);
    assert_eq!(
        p.failure_reason,
        Some(FailureReason::AuthenticationRequired)
    );
    assert_eq!(p.provider_status.unwrap().raw_status, "PENDING_VBV");
}

#[tokio::test]
async fn partial_capture_then_idempotent_refunds() {
    let env = env().await;
    let session = env
        .authenticated("auth_c1", SEAMLESS, inr(10_000), false)
        .await;
    let p = env.authorize(&session, "pay_c1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized);
    let o = env.jp.capture(&ctx(), &p, inr(6_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(o.amount, Some(inr(6_000)));
    let p = apply_payment(&p, o, Some("capture"));
    // Juspay captures once: the rest of the authorization is released.
    let err = env.jp.capture(&ctx(), &p, inr(4_000)).await.unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.message, "Cannot Capture CHARGED Transaction");
    assert_eq!(caller_field, None);
    let o = env
        .jp
        .refund(&ctx(), &p, inr(2_000), "ref_c1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    // The same refund id again (a retry): the first refund is answered, no second one.
    let again = env
        .jp
        .refund(&ctx(), &p, inr(2_000), "ref_c1")
        .await
        .unwrap();
    assert_eq!(again.provider_reference, o.provider_reference);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.jp.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyRefunded);
    // 60 captured, 20 refunded: 41 more is refused.
    let err = env
        .jp
        .refund(&ctx(), &p, inr(4_100), "ref_c2")
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Rejected { .. }), "{err:?}");
    assert_eq!(env.calls("capture").await, 2);
    assert_eq!(env.calls("refund").await, 3);
}

#[tokio::test]
async fn void_releases_the_authorization() {
    let env = env().await;
    let session = env
        .authenticated("auth_v1", SEAMLESS, inr(10_000), false)
        .await;
    let p = env.authorize(&session, "pay_v1", false).await.unwrap();
    let o = env.jp.void(&ctx(), &p).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Voided);
    assert_eq!(o.provider_status.as_ref().unwrap().raw_status, "VOIDED");
    let p = apply_payment(&p, o, Some("void"));
    let synced = env.jp.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Voided);
    assert_eq!(env.calls("void").await, 1);
}

#[tokio::test]
async fn full_capture_of_an_authorization() {
    let env = env().await;
    let session = env
        .authenticated("auth_c2", SEAMLESS, inr(10_000), false)
        .await;
    let p = env.authorize(&session, "pay_c2", false).await.unwrap();
    let o = env.jp.capture(&ctx(), &p, inr(10_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Captured);
    assert_eq!(o.amount, Some(inr(10_000)));
}

/// Authorize is a read at Juspay: a lost answer is simply asked again.
#[tokio::test]
async fn authorize_timeout_is_retried_as_a_read() {
    let env = env().await;
    let session = env
        .authenticated("auth_t1", SEAMLESS, inr(10_000), true)
        .await;
    env.arm_fault("timeout", 1).await;
    let p = env.authorize(&session, "pay_t1", true).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Captured);
    assert_eq!(env.calls("order_status").await, 2);
    assert_eq!(env.calls("txn").await, 1);
}

#[tokio::test]
async fn sync_finds_a_payment_whose_authorize_answer_was_lost() {
    let env = env().await;
    let session = env
        .authenticated("auth_t2", SEAMLESS, inr(10_000), true)
        .await;
    // payorch recorded UNKNOWN without any provider reference.
    let mut unknown = pending_payment("pay_t2", &session);
    unknown.status = PaymentStatus::Unknown;
    let synced = env.jp.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Captured);
    assert_eq!(synced.provider_reference, session.provider_reference);
    assert!(synced.connector_state.is_some());
}

#[tokio::test]
async fn capture_timeout_is_unknown_after_one_call_then_sync_resolves_it() {
    let env = env().await;
    let session = env
        .authenticated("auth_t3", SEAMLESS, inr(10_000), false)
        .await;
    let p = env.authorize(&session, "pay_t3", false).await.unwrap();
    env.arm_fault("timeout", 1).await;
    let err = env.jp.capture(&ctx(), &p, inr(10_000)).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("capture").await, 1, "a write is never repeated");
    let mut unknown = p.clone();
    unknown.status = PaymentStatus::Unknown;
    let synced = env.jp.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(
        synced.status,
        PaymentStatus::Captured,
        "the capture happened"
    );
}

#[tokio::test]
async fn refund_timeout_then_sync_shows_the_refund() {
    let env = env().await;
    let session = env
        .authenticated("auth_t4", SEAMLESS, inr(10_000), true)
        .await;
    let p = env.authorize(&session, "pay_t4", true).await.unwrap();
    env.arm_fault("timeout", 1).await;
    let err = env
        .jp
        .refund(&ctx(), &p, inr(10_000), "ref_t4")
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("refund").await, 1);
    let synced = env.jp.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Refunded);
}

#[tokio::test]
async fn malformed_answer_to_a_write_is_unknown() {
    let env = env().await;
    let session = env
        .authenticated("auth_m1", SEAMLESS, inr(10_000), false)
        .await;
    let p = env.authorize(&session, "pay_m1", false).await.unwrap();
    env.arm_fault("malformed", 1).await;
    let err = env.jp.void(&ctx(), &p).await.unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(env.calls("void").await, 1);
    let synced = env.jp.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Voided);
}

#[tokio::test]
async fn server_errors_are_unknown_for_writes_and_retried_for_reads() {
    let env = env().await;
    let session = env
        .authenticated("auth_e1", SEAMLESS, inr(10_000), false)
        .await;
    let p = env.authorize(&session, "pay_e1", false).await.unwrap();
    env.arm_fault("status=502", 1).await;
    let err = env.jp.capture(&ctx(), &p, inr(10_000)).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(
        env.calls("capture").await,
        0,
        "the 502 was answered unprocessed"
    );
    env.arm_fault("status=503", 1).await;
    let synced = env.jp.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Authorized);
    assert_eq!(
        env.calls("order_status").await,
        2,
        "authorize, then the retried read"
    );
}

#[tokio::test]
async fn malformed_answer_to_a_read_is_an_error_not_a_panic() {
    let env = env().await;
    let session = env
        .authenticated("auth_m3", SEAMLESS, inr(10_000), false)
        .await;
    let p = env.authorize(&session, "pay_m3", false).await.unwrap();
    env.arm_fault("malformed", 1).await;
    let err = env.jp.sync_payment(&ctx(), &p).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
}
