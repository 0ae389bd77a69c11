//! Authorization, capture, void, refund and status lookups against the sandbox, and the
//! reliability rules under injected faults.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use payorch_connector::ConnectorError;
use payorch_connector::{Authenticator, Payments};
use payorch_core::status::{FailureReason, PaymentStatus};

#[tokio::test]
async fn authorize_with_capture_then_refunds() {
    let env = env().await;
    let session = env.authenticated("auth_p1", SEAMLESS, inr(10_000)).await;
    let p = env.authorize(&session, "pay_p1", true).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Captured, "{p:?}");
    assert_eq!(p.captured, inr(10_000));
    assert_eq!(p.approval_code.as_deref().map(str::len), Some(6));
    assert!(p.network_transaction_id.is_some());
    let status = p.provider_status.clone().unwrap();
    assert_eq!(
        (status.code.as_str(), status.raw_status.as_str()),
        ("00", "APPROVED")
    );
    assert_eq!(p.provider_reference.as_deref(), Some("pay_p1"));
    assert_eq!(env.calls("pay").await, 1);
    let o = env
        .mpgs
        .refund(&ctx(), &p, inr(4_000), "ref_1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(o.amount, Some(inr(4_000)));
    let p = apply_payment(&p, o, Some("refund"));
    let o = env
        .mpgs
        .refund(&ctx(), &p, inr(6_000), "ref_2")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::Refunded);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.mpgs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Refunded);
    // A refund beyond what was captured is refused and changes nothing.
    let err = env
        .mpgs
        .refund(&ctx(), &p, inr(1), "ref_3")
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Rejected { .. }), "{err:?}");
    // The same refund id is never performed twice.
    let err = env
        .mpgs
        .refund(&ctx(), &p, inr(1), "ref_1")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Rejected {
                caller_field: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(env.calls("refund").await, 4);
}

#[tokio::test]
async fn declines_51_54_05() {
    let env = env().await;
    for (i, (number, code, reason, gateway)) in [
        (
            DECLINE_51,
            "51",
            FailureReason::InsufficientFunds,
            "INSUFFICIENT_FUNDS",
        ),
        (DECLINE_54, "54", FailureReason::CardExpired, "EXPIRED_CARD"),
        (DECLINE_05, "05", FailureReason::DoNotHonour, "DECLINED"),
    ]
    .into_iter()
    .enumerate()
    {
        let session = env
            .authenticated(&format!("auth_d{i}"), number, inr(10_000))
            .await;
        let p = env
            .authorize(&session, &format!("pay_d{i}"), false)
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Declined, "{number}");
        assert_eq!(p.failure_reason, Some(reason), "{number}");
        let status = p.provider_status.clone().unwrap();
        assert_eq!(status.code, code);
        assert_eq!(status.raw_status, gateway);
        assert!(!status.message.is_empty());
        // The lookup says the same.
        let synced = env.mpgs.sync_payment(&ctx(), &p).await.unwrap();
        assert_eq!(synced.status, PaymentStatus::Declined);
        assert_eq!(synced.failure_reason, Some(reason));
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
    assert_eq!(p.provider_status.unwrap().code, "409");
}

#[tokio::test]
async fn partial_captures_then_refund() {
    let env = env().await;
    let session = env.authenticated("auth_c1", SEAMLESS, inr(10_000)).await;
    let p = env.authorize(&session, "pay_c1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized);
    assert_eq!(env.calls("authorize").await, 1);
    let o = env.mpgs.capture(&ctx(), &p, inr(3_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(o.amount, Some(inr(3_000)));
    assert_eq!(o.provider_reference.as_deref(), Some("pay_c1-c1"));
    let p = apply_payment(&p, o, Some("capture"));
    let synced = env.mpgs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyCaptured);
    let o = env.mpgs.capture(&ctx(), &p, inr(7_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Captured);
    assert_eq!(o.provider_reference.as_deref(), Some("pay_c1-c2"));
    let p = apply_payment(&p, o, Some("capture"));
    assert_eq!(p.captured, inr(10_000));
    // Over-capture is refused and changes nothing; the amount is the caller's.
    let err = env.mpgs.capture(&ctx(), &p, inr(1)).await.unwrap_err();
    let ConnectorError::Rejected {
        status,
        caller_field,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, "INVALID_REQUEST");
    assert_eq!(caller_field.as_deref(), Some("amount.minor_units"));
    let o = env
        .mpgs
        .refund(&ctx(), &p, inr(5_000), "ref_c1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    let p = apply_payment(&p, o, Some("refund"));
    let synced = env.mpgs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(env.calls("capture").await, 3);
    assert_eq!(env.calls("refund").await, 1);
}

#[tokio::test]
async fn void_cancels_the_authorization() {
    let env = env().await;
    let session = env.authenticated("auth_v1", SEAMLESS, inr(10_000)).await;
    let p = env.authorize(&session, "pay_v1", false).await.unwrap();
    let o = env.mpgs.void(&ctx(), &p).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Voided);
    assert_eq!(o.provider_reference.as_deref(), Some("pay_v1-v"));
    let p = apply_payment(&p, o, Some("void"));
    let synced = env.mpgs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Voided);
    assert!(synced.connector_state.unwrap().payload.contains("pay_v1-v"));
    // Nothing left to capture.
    assert!(matches!(
        env.mpgs.capture(&ctx(), &p, inr(100)).await,
        Err(ConnectorError::Rejected { .. })
    ));
    assert_eq!(env.calls("void").await, 1);
}

#[tokio::test]
async fn sync_reports_an_authorized_payment() {
    let env = env().await;
    let session = env.authenticated("auth_y1", SEAMLESS, inr(10_000)).await;
    let p = env.authorize(&session, "pay_y1", false).await.unwrap();
    let synced = env.mpgs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Authorized);
    assert_eq!(synced.approval_code, p.approval_code);
    assert_eq!(synced.provider_status.unwrap().code, "00");
    assert_eq!(env.calls("retrieve_order").await, 1);
}

#[tokio::test]
async fn authorize_timeout_is_unknown_after_exactly_one_call_then_sync_resolves() {
    let env = env().await;
    let session = env.authenticated("auth_t1", SEAMLESS, inr(10_000)).await;
    env.arm_fault("timeout", 1).await;
    let err = env.authorize(&session, "pay_t1", true).await.unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(env.calls("pay").await, 1, "a write is never repeated");
    // payorch knows only its own ids: the order and transaction ids derive from them.
    let mut unknown = pending_payment("pay_t1", &session);
    unknown.status = PaymentStatus::Unknown;
    let synced = env.mpgs.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Captured);
    assert!(synced.approval_code.is_some());
    assert_eq!(synced.provider_reference.as_deref(), Some("pay_t1"));
    let unknown = apply_payment(&unknown, synced, None);
    // The rebuilt state lets the payment go on.
    let o = env
        .mpgs
        .refund(&ctx(), &unknown, inr(100), "ref_t1")
        .await
        .unwrap();
    assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(env.calls("pay").await, 1);
}

#[tokio::test]
async fn sync_of_an_authorization_that_never_arrived_keeps_it_unknown() {
    let env = env().await;
    let session = env.authenticated("auth_t0", SEAMLESS, inr(10_000)).await;
    let mut unknown = pending_payment("pay_t0", &session);
    unknown.status = PaymentStatus::Unknown;
    let synced = env.mpgs.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Unknown);
}

#[tokio::test]
async fn capture_timeout_then_sync_resolves_it_and_the_next_capture_gets_a_new_id() {
    let env = env().await;
    let session = env.authenticated("auth_t3", SEAMLESS, inr(10_000)).await;
    let p = env.authorize(&session, "pay_t3", false).await.unwrap();
    env.arm_fault("timeout", 1).await;
    let err = env.mpgs.capture(&ctx(), &p, inr(4_000)).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(env.calls("capture").await, 1);
    let mut unknown = p.clone();
    unknown.status = PaymentStatus::Unknown;
    let synced = env.mpgs.sync_payment(&ctx(), &unknown).await.unwrap();
    assert_eq!(
        synced.status,
        PaymentStatus::PartiallyCaptured,
        "the capture happened"
    );
    let mut p = apply_payment(&unknown, synced, None);
    p.captured = inr(4_000);
    let o = env.mpgs.capture(&ctx(), &p, inr(6_000)).await.unwrap();
    assert_eq!(o.status, PaymentStatus::Captured);
    assert_eq!(o.provider_reference.as_deref(), Some("pay_t3-c2"));
}

#[tokio::test]
async fn malformed_answer_to_a_write_is_unknown() {
    let env = env().await;
    let session = env.authenticated("auth_m1", SEAMLESS, inr(10_000)).await;
    env.arm_fault("malformed", 1).await;
    let err = env.authorize(&session, "pay_m1", false).await.unwrap_err();
    assert!(matches!(err, ConnectorError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(env.calls("authorize").await, 1);
}

#[tokio::test]
async fn server_errors_are_unknown_for_writes_and_retried_for_reads() {
    let env = env().await;
    let session = env.authenticated("auth_e1", SEAMLESS, inr(10_000)).await;
    env.arm_fault("status=502", 1).await;
    let err = env.authorize(&session, "pay_e1", false).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    // The 502 was answered without processing: the authentication is still unused.
    let p = env.authorize(&session, "pay_e1", false).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized);
    env.arm_fault("status=503", 1).await;
    let synced = env.mpgs.sync_payment(&ctx(), &p).await.unwrap();
    assert_eq!(synced.status, PaymentStatus::Authorized);
    assert_eq!(
        env.calls("retrieve_order").await,
        1,
        "the 503 was not processed, the retry was"
    );
}

#[tokio::test]
async fn malformed_answer_to_a_read_is_an_error_not_a_panic() {
    let env = env().await;
    let session = env.authenticated("auth_m3", SEAMLESS, inr(10_000)).await;
    let p = env.authorize(&session, "pay_m3", false).await.unwrap();
    env.arm_fault("malformed", 1).await;
    let err = env.mpgs.sync_payment(&ctx(), &p).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
}

#[tokio::test]
async fn unreachable_gateway_is_not_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mpgs = payorch_mpgs::MpgsConnector::new(adapter_config(addr)).unwrap();
    let c = card(SEAMLESS);
    let b = browser();
    let request = payorch_connector::model::StartAuthentication {
        authentication_id: "auth_z1",
        card: &c,
        amount: inr(100),
        browser: &b,
        return_url: RETURN_URL,
        order_reference: "o",
        preferred_flow: None,
        capture: false,
    };
    let err = mpgs
        .start_authentication(&ctx(), &request)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::NotSent(_)), "{err:?}");
}
