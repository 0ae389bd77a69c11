//! RuPay Standing Instructions end to end (issue #15): through gRPC, the Cybersource
//! simulator and a real redis-server, as a merchant runs them. Registration by seamless OTP
//! and by the issuer's page; a wrong OTP; a notice, then a debit after the lead time; every
//! RBI rule refused with nothing sent to the provider (the sandbox's call counts);
//! modification and cancellation authenticated by OTP; a debit whose answer was lost
//! resolved by reading, never by a second debit; two replicas sharing Redis.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use payorch::api::{self, CancelMandateRequest, GetPaymentRequest, ModifyMandateRequest};
use support::flows;
use support::mandates::{
    self, LEAD, MandateStack, SI_REDIRECT, SI_SEAMLESS, charge, get, notified, notify, now_ms,
    register, terms, until_due,
};
use tonic::Code;

fn lead_ms() -> i64 {
    i64::try_from(LEAD.as_millis()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seamless_registration_a_notice_and_a_debit_after_the_lead_time() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let registered = mandates
        .register_mandate(register(SI_SEAMLESS, terms(2)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        registered.status(),
        api::MandateStatus::PendingAuthentication,
        "{registered:?}"
    );
    assert_eq!(
        registered.pending_operation(),
        api::MandateOperation::Register
    );
    assert_eq!(
        registered.connector, "cybersource",
        "the connector that takes mandates"
    );
    assert_eq!(registered.card_bin, "653100");
    assert_eq!(registered.mandate_reference, "subscription-42");
    let authentication = registered.authentication.clone().unwrap();
    assert_eq!(
        authentication.status(),
        api::AuthenticationStatus::OtpRequired
    );
    assert_eq!(stack.calls("billing_agreement_register").await, 1);

    let otp = stack.otp(&authentication).await;
    stack
        .auth()
        .await
        .submit_otp(flows::submit(&authentication, &otp))
        .await
        .unwrap();
    let active = get(&mut mandates, &registered.id).await;
    assert_eq!(active.status(), api::MandateStatus::Active, "{active:?}");
    assert_eq!(
        active.pending_operation(),
        api::MandateOperation::Unspecified
    );
    assert!(
        !active.provider_reference.is_empty(),
        "the SI registration id"
    );
    assert_eq!(active.remaining_count, 2);

    let notice = notified(&mut mandates, &active, 25_000).await;
    assert_eq!(notice.sequence, 1);
    assert_eq!(stack.calls("billing_agreement_intimation").await, 1);
    until_due(&notice).await;
    let payment = mandates
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        payment.status(),
        api::PaymentStatus::Captured,
        "{payment:?}"
    );
    assert_eq!(payment.mandate_id, active.id);
    assert!(
        payment.authentication_id.is_empty(),
        "no payer authentication"
    );
    assert_eq!(payment.amount, flows::inr(25_000));
    assert_eq!(stack.calls("authorization").await, 1);

    let after = get(&mut mandates, &active.id).await;
    assert_eq!(after.completed_count, 1);
    assert_eq!(after.remaining_count, 1);
    assert_eq!(after.status(), api::MandateStatus::Active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_on_the_issuers_page() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let registered = mandates
        .register_mandate(register(SI_REDIRECT, terms(0)))
        .await
        .unwrap()
        .into_inner();
    let authentication = registered.authentication.clone().unwrap();
    assert_eq!(
        authentication.status(),
        api::AuthenticationStatus::RedirectRequired,
        "{authentication:?}"
    );
    let otp = stack.otp(&authentication).await;
    let (action, fields) =
        flows::payer_at_acs(&stack.http, &authentication, &[("otp", otp.as_str())]).await;
    assert!(action.contains("/v1/callbacks/"), "{action}");
    // The browser posts back to payorch and is sent on to the merchant (not followed).
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = browser.post(&action).form(&fields).send().await.unwrap();
    assert!(
        back.status().is_redirection(),
        "callback answered {}",
        back.status()
    );
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://merchant.example/si"),
        "{location}"
    );
    let active = get(&mut mandates, &registered.id).await;
    assert_eq!(active.status(), api::MandateStatus::Active, "{active:?}");
    assert!(!active.provider_reference.is_empty());
    assert_eq!(
        active.authentication.unwrap().status(),
        api::AuthenticationStatus::Succeeded
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_otps_fail_the_registration() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let registered = mandates
        .register_mandate(register(SI_SEAMLESS, terms(0)))
        .await
        .unwrap()
        .into_inner();
    let authentication = registered.authentication.clone().unwrap();
    let right = stack.otp(&authentication).await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut auth = stack.auth().await;
    let mut last = authentication.clone();
    for _ in 0..10 {
        last = auth
            .submit_otp(flows::submit(&authentication, wrong))
            .await
            .unwrap()
            .into_inner();
        if last.status() != api::AuthenticationStatus::OtpRequired {
            break;
        }
        let still = get(&mut mandates, &registered.id).await;
        assert_eq!(
            still.status(),
            api::MandateStatus::PendingAuthentication,
            "a wrong OTP leaves the registration waiting"
        );
    }
    assert_eq!(last.status(), api::AuthenticationStatus::Failed, "{last:?}");
    let failed = get(&mut mandates, &registered.id).await;
    assert_eq!(failed.status(), api::MandateStatus::Failed, "{failed:?}");
    assert_eq!(
        failed.failure_reason(),
        api::FailureReason::OtpAttemptsExhausted
    );
    let refused = mandates
        .notify_mandate_debit(notify(&failed, 10_000, now_ms() + 2 * lead_ms()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
}

/// Every rule refused before the provider: the sandbox counts no intimation and no debit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rbi_rules_are_kept_with_nothing_sent_to_the_provider() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let mut wide = terms(1);
    wide.max_amount = flows::inr(2_000_000);
    let active = stack.active_mandate(wide).await;
    let sent_before = stack.total_calls().await;
    let later = now_ms() + 2 * lead_ms();

    let too_soon = mandates
        .notify_mandate_debit(notify(&active, 10_000, now_ms() + lead_ms() / 2))
        .await
        .unwrap_err();
    assert_eq!(too_soon.code(), Code::InvalidArgument, "{too_soon:?}");
    assert_eq!(support::violated_fields(&too_soon), ["debit_at"]);

    let above_max = mandates
        .notify_mandate_debit(notify(&active, 2_500_000, later))
        .await
        .unwrap_err();
    assert_eq!(above_max.code(), Code::InvalidArgument);
    assert_eq!(support::violated_fields(&above_max), ["amount", "amount"]);

    let below_min = mandates
        .notify_mandate_debit(notify(&active, 5_000, later))
        .await
        .unwrap_err();
    assert_eq!(support::violated_fields(&below_min), ["amount"]);

    // Within the terms (max ₹20,000) but above ₹15,000: the payer must authenticate it.
    let above_afa = mandates
        .notify_mandate_debit(notify(&active, 1_600_000, later))
        .await
        .unwrap_err();
    assert_eq!(support::violated_fields(&above_afa), ["amount"]);
    let why = support::violation_descriptions(&above_afa).join(" ");
    assert!(why.contains("₹15000"), "names the limit: {why}");

    let unnoticed = mandates
        .charge_mandate(charge(
            &active,
            &api::MandateDebitNotification {
                id: "mdn_00000000000000000000000000000000".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(unnoticed.code(), Code::NotFound, "{unnoticed:?}");

    let mut no_card = notify(&active, 10_000, later);
    no_card.payment_method = None;
    let refused = mandates.notify_mandate_debit(no_card).await.unwrap_err();
    assert_eq!(support::violated_fields(&refused), ["payment_method"]);
    let mut other_card = notify(&active, 10_000, later);
    other_card.payment_method = Some(flows::card(flows::SEAMLESS));
    let refused = mandates.notify_mandate_debit(other_card).await.unwrap_err();
    assert_eq!(support::violated_fields(&refused), ["payment_method"]);
    assert_eq!(
        stack.total_calls().await,
        sent_before,
        "nothing reached the provider"
    );

    // A notice, then a charge before its time, and one of another amount.
    let notice = notified(&mut mandates, &active, 10_000).await;
    let early = mandates
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");
    assert!(early.message().contains("debit_at"), "{}", early.message());
    until_due(&notice).await;
    let mut other_amount = charge(&active, &notice);
    other_amount.amount = flows::inr(10_100);
    let refused = mandates.charge_mandate(other_amount).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(stack.calls("authorization").await, 0, "no debit sent");

    // The one debit agreed: the mandate completes and takes nothing more.
    let paid = mandates
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status(), api::PaymentStatus::Captured);
    let twice = mandates
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");
    let completed = get(&mut mandates, &active.id).await;
    assert_eq!(completed.status(), api::MandateStatus::Completed);
    assert_eq!(completed.remaining_count, 0);
    let after_last = mandates
        .notify_mandate_debit(notify(&active, 10_000, now_ms() + 2 * lead_ms()))
        .await
        .unwrap_err();
    assert_eq!(
        after_last.code(),
        Code::FailedPrecondition,
        "{after_last:?}"
    );
    assert_eq!(stack.calls("authorization").await, 1, "one debit in all");
    assert_eq!(stack.calls("billing_agreement_intimation").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_terms_apply_only_once_the_payer_authenticates_them() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let active = stack.active_mandate(terms(12)).await;
    let start = flows::start_request(SI_SEAMLESS, api::FlowPreference::Seamless);
    let mut new_terms = terms(6);
    new_terms.max_amount = flows::inr(300_000);
    let modify = ModifyMandateRequest {
        mandate_id: active.id.clone(),
        idempotency_key: flows::key(),
        merchant_id: "demo".into(),
        terms: Some(new_terms.clone()),
        payment_method: start.payment_method.clone(),
        browser: start.browser.clone(),
        return_url: "https://merchant.example/si".into(),
        ..Default::default()
    };
    let pending = mandates
        .modify_mandate(modify.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pending.status(), api::MandateStatus::Active);
    assert_eq!(pending.pending_operation(), api::MandateOperation::Modify);
    assert_eq!(
        pending.terms.as_ref().unwrap().total_count,
        12,
        "old terms in force"
    );
    assert_eq!(pending.pending_terms.as_ref().unwrap().total_count, 6);
    assert_eq!(stack.calls("billing_agreement_modify").await, 1);

    // A second operation waits for the first.
    let mut again = modify.clone();
    again.idempotency_key = flows::key();
    let busy = mandates.modify_mandate(again).await.unwrap_err();
    assert_eq!(busy.code(), Code::FailedPrecondition, "{busy:?}");
    assert_eq!(support::reason(&busy), "MANDATE_OPERATION_PENDING");

    let authentication = pending.authentication.clone().unwrap();
    let otp = stack.otp(&authentication).await;
    stack
        .auth()
        .await
        .submit_otp(flows::submit(&authentication, &otp))
        .await
        .unwrap();
    let modified = get(&mut mandates, &active.id).await;
    assert_eq!(
        modified.pending_operation(),
        api::MandateOperation::Unspecified
    );
    assert!(modified.pending_terms.is_none());
    let in_force = modified.terms.unwrap();
    assert_eq!(in_force.total_count, 6);
    assert_eq!(in_force.max_amount, flows::inr(300_000));

    // The change's authentication approved the change, not a payment.
    let refused = stack
        .payments()
        .await
        .authorize(api::AuthorizeRequest {
            merchant_id: "demo".into(),
            idempotency_key: flows::key(),
            authentication_id: authentication.id.clone(),
            capture: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(support::reason(&refused), "AUTHENTICATION_NOT_FOR_PAYMENT");
    assert_eq!(stack.calls("authorization").await, 0);

    // The same request under its key answers as it did, and changes nothing again.
    let replay = mandates.modify_mandate(modify).await.unwrap().into_inner();
    assert_eq!(replay.pending_operation(), api::MandateOperation::Modify);
    assert_eq!(stack.calls("billing_agreement_modify").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_authenticated_by_otp_ends_the_mandate() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let active = stack.active_mandate(terms(0)).await;
    let start = flows::start_request(SI_SEAMLESS, api::FlowPreference::Seamless);
    let pending = mandates
        .cancel_mandate(CancelMandateRequest {
            mandate_id: active.id.clone(),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
            reason: "customer asked".into(),
            payment_method: start.payment_method,
            browser: start.browser,
            return_url: "https://merchant.example/si".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pending.status(), api::MandateStatus::Active);
    assert_eq!(pending.pending_operation(), api::MandateOperation::Cancel);
    let authentication = pending.authentication.clone().unwrap();
    let otp = stack.otp(&authentication).await;
    stack
        .auth()
        .await
        .submit_otp(flows::submit(&authentication, &otp))
        .await
        .unwrap();
    let cancelled = get(&mut mandates, &active.id).await;
    assert_eq!(cancelled.status(), api::MandateStatus::Cancelled);
    assert_eq!(stack.calls("billing_agreement_deregister").await, 1);
    let sent = stack.total_calls().await;
    let refused = mandates
        .notify_mandate_debit(notify(&active, 10_000, now_ms() + 2 * lead_ms()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("CANCELLED"),
        "{}",
        refused.message()
    );
    assert_eq!(stack.total_calls().await, sent, "nothing sent after cancel");
}

/// A registration nobody authenticated yet is cancelled at once, with its authentication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_still_waiting_is_cancelled_at_once() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let registered = mandates
        .register_mandate(register(SI_SEAMLESS, terms(0)))
        .await
        .unwrap()
        .into_inner();
    let cancelled = mandates
        .cancel_mandate(CancelMandateRequest {
            mandate_id: registered.id.clone(),
            idempotency_key: flows::key(),
            merchant_id: "demo".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status(), api::MandateStatus::Cancelled);
    assert_eq!(
        cancelled.authentication.unwrap().status(),
        api::AuthenticationStatus::Cancelled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debit_whose_answer_was_lost_is_resolved_by_reading_never_by_a_second_debit() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let active = stack.active_mandate(terms(3)).await;
    let notice = notified(&mut mandates, &active, 30_000).await;
    until_due(&notice).await;
    stack.arm_fault("drop", 1).await;
    let lost = mandates
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lost.status(), api::PaymentStatus::Unknown, "{lost:?}");
    assert_eq!(stack.calls("authorization").await, 1);
    let in_doubt = get(&mut mandates, &active.id).await;
    assert_eq!(in_doubt.completed_count, 0, "not counted as made yet");

    // Charging the same notice again (another key) is refused: no second debit.
    let again = mandates
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");
    assert_eq!(stack.calls("authorization").await, 1);

    let resolved = mandates::get_refreshed(&mut mandates, &active.id, true).await;
    assert_eq!(resolved.completed_count, 1, "{resolved:?}");
    let payment = stack
        .payments()
        .await
        .get_payment(GetPaymentRequest {
            id: lost.id.clone(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        payment.status(),
        api::PaymentStatus::Captured,
        "{payment:?}"
    );
    assert_eq!(stack.calls("authorization").await, 1, "one debit in all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_redis_carry_one_mandate() {
    let stack = MandateStack::start().await;
    let other = stack.replica().await;
    let mut on_a = stack.mandates().await;
    let mut on_b = support::mandates(other.grpc_addr).await;
    let registered = on_a
        .register_mandate(register(SI_SEAMLESS, terms(2)))
        .await
        .unwrap()
        .into_inner();
    let authentication = registered.authentication.clone().unwrap();
    let otp = stack.otp(&authentication).await;
    support::authentications(other.grpc_addr)
        .await
        .submit_otp(flows::submit(&authentication, &otp))
        .await
        .unwrap();
    let active = get(&mut on_a, &registered.id).await;
    assert_eq!(active.status(), api::MandateStatus::Active);
    let notice = notified(&mut on_b, &active, 20_000).await;
    until_due(&notice).await;
    let paid = on_a
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status(), api::PaymentStatus::Captured);
    let seen = get(&mut on_b, &active.id).await;
    assert_eq!(seen.completed_count, 1);
    let twice = on_b
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    assert_eq!(stack.calls("authorization").await, 1);
}

/// The same RegisterMandate under its key answers the same mandate; one registration sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_registration_is_answered_not_registered_again() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let request = register(SI_SEAMLESS, terms(0));
    let first = mandates
        .register_mandate(request.clone())
        .await
        .unwrap()
        .into_inner();
    let second = mandates
        .register_mandate(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.id, second.id);
    assert_eq!(stack.calls("billing_agreement_register").await, 1);
}

/// A card the issuer does not register for Standing Instructions: a normal answer, the
/// mandate FAILED with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_the_issuer_will_not_register_fails_the_mandate() {
    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let failed = mandates
        .register_mandate(register(flows::SEAMLESS, terms(0)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(failed.status(), api::MandateStatus::Failed, "{failed:?}");
    assert_ne!(failed.failure_reason(), api::FailureReason::Unspecified);
    assert_eq!(stack.calls("billing_agreement_register").await, 1);
}

/// The first payment at registration: Authorize with the registration's authentication.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_payment_is_taken_with_the_registrations_authentication() {
    let stack = MandateStack::start().await;
    let active = stack.active_mandate(terms(0)).await;
    let authentication = active.authentication.clone().unwrap();
    let paid = stack
        .payments()
        .await
        .authorize(api::AuthorizeRequest {
            merchant_id: "demo".into(),
            idempotency_key: flows::key(),
            authentication_id: authentication.id.clone(),
            capture: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status(), api::PaymentStatus::Captured, "{paid:?}");
    assert_eq!(
        paid.amount,
        flows::inr(500_000),
        "the registration's amount"
    );
}

/// A replica that reserved a debit and died before writing its payment: once its claim is
/// stale the debit is settled as never sent, a FAILED payment takes the debit's id (so the
/// dead replica could never send it late: its create would find the id taken), and the
/// notice stays used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debit_reserved_by_a_replica_that_died_is_settled_as_never_sent() {
    use payorch_core::mandate::NoticeStatus;
    use payorch_core::mandate_record::Debit;
    use payorch_store::SessionStore;

    let stack = MandateStack::start().await;
    let mut mandates = stack.mandates().await;
    let active = stack.active_mandate(terms(3)).await;
    let notice = notified(&mut mandates, &active, 10_000).await;
    let payment_id = format!("pay_{}", notice.id.trim_start_matches("mdn_"));
    // What the dead replica left: the notice CHARGED, its debit pending, no payment.
    let store = support::redis_store(&stack.redis).await;
    let record = store.get_mandate(&active.id).await.unwrap().unwrap();
    let mut left = record.clone();
    let reserved = left.notice_mut(&notice.id).unwrap();
    reserved.notice.status = NoticeStatus::Charged;
    reserved.payment_id = Some(payment_id.clone());
    reserved.debit = Some(Debit::Pending);
    reserved.updated_at_ms = now_ms() - 120_000;
    store.update_mandate(&record, left).await.unwrap();

    let read = get(&mut mandates, &active.id).await;
    assert_eq!(read.completed_count, 0);
    assert_eq!(read.remaining_count, 3);
    let settled = store.get_mandate(&active.id).await.unwrap().unwrap();
    assert_eq!(
        settled.notice(&notice.id).unwrap().debit,
        Some(Debit::Failed)
    );
    let tombstone = stack
        .payments()
        .await
        .get_payment(GetPaymentRequest {
            id: payment_id,
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        tombstone.status(),
        api::PaymentStatus::Failed,
        "{tombstone:?}"
    );
    assert_eq!(tombstone.provider_status.unwrap().code, "NOT_PROCESSED");
    until_due(&notice).await;
    let used = mandates
        .charge_mandate(charge(&active, &notice))
        .await
        .unwrap_err();
    assert_eq!(used.code(), Code::FailedPrecondition, "{used:?}");
    assert_eq!(stack.calls("authorization").await, 0, "never sent");
}
