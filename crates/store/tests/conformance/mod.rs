//! One conformance suite for every SessionStore. `conformance_suite!(factory)` expands to one
//! `#[tokio::test]` per case; the factory returns the store and whatever keeps it alive.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use payorch_core::card::Card;
use payorch_core::claim::Claim;
use payorch_core::mandate::{Frequency, MandateStatus, Terms};
use payorch_core::mandate_record::{AlertPreference, MandateRecord};
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use payorch_core::status::{AuthenticationStatus, FailureReason, PaymentStatus};
use payorch_store::{
    IdempotencyOutcome, IdempotencyScope, Lifetimes, SessionStore, StoreError, ttl::now_ms,
};

pub const PAN: &str = "6521500000000014";

pub fn card() -> Card {
    Card::parse(PAN, "12", "2031", Some("123"), Some("A PAYER"), 2026, 11).expect("test card")
}

pub fn session(status: AuthenticationStatus) -> AuthenticationSession {
    let now = now_ms();
    AuthenticationSession {
        routing: None,
        id: uuid_like(),
        merchant_id: "demo".into(),
        connector: "cybersource".into(),
        status,
        flow: None,
        amount: Money::new(10_000, "INR").expect("money"),
        card_bin: "652150".into(),
        card_last4: "0014".into(),
        failure_reason: None,
        recommendation: None,
        provider_status: None,
        provider_reference: None,
        attempts_remaining: 3,
        resends_remaining: 3,
        expires_at_ms: None,
        next_action: None,
        return_url: "https://merchant.example/return".into(),
        order_reference: "ORD-1".into(),
        connector_state: None,
        capture: false,
        completed_by: None,
        cancel_reason: None,
        claim: None,
        created_at_ms: now,
        updated_at_ms: now,
        version: 0,
        card: Some(card()),
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("auth_{}_{}", now_ms(), NEXT.fetch_add(1, Ordering::Relaxed))
}

fn scope(key: &str) -> IdempotencyScope {
    IdempotencyScope {
        merchant_id: "demo".into(),
        key: format!("{key}-{}", uuid_like()),
    }
}

pub async fn create_then_get_roundtrips(store: Arc<dyn SessionStore>) {
    let created = store
        .create(session(AuthenticationStatus::Pending))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    let read = store.get(&created.id).await.unwrap().expect("stored");
    assert_eq!(read, created);
    assert_eq!(
        read.card.as_ref().map(|c| c.number.expose().to_owned()),
        Some(PAN.to_owned())
    );
}

pub async fn create_twice_is_refused(store: Arc<dyn SessionStore>) {
    let s = session(AuthenticationStatus::Pending);
    store.create(s.clone()).await.unwrap();
    let mut other = s.clone();
    other.order_reference = "ORD-OTHER".into();
    assert!(matches!(
        store.create(other).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.get(&s.id).await.unwrap().unwrap().order_reference,
        "ORD-1"
    );
}

pub async fn missing_session_reads_none(store: Arc<dyn SessionStore>) {
    assert!(store.get("auth_missing").await.unwrap().is_none());
}

pub async fn transition_bumps_version_and_persists(store: Arc<dyn SessionStore>) {
    let created = store
        .create(session(AuthenticationStatus::Pending))
        .await
        .unwrap();
    let mut next = created.clone();
    next.status = AuthenticationStatus::OtpRequired;
    next.provider_reference = Some("REF-1".into());
    let moved = store.transition(&created, next).await.unwrap();
    assert_eq!(moved.version, 2);
    let read = store.get(&created.id).await.unwrap().unwrap();
    assert_eq!(read.status, AuthenticationStatus::OtpRequired);
    assert_eq!(read.provider_reference.as_deref(), Some("REF-1"));
    assert_eq!(read.version, 2);
    assert!(read.card.is_some(), "card kept while the flow is open");
}

pub async fn stale_version_conflicts_and_changes_nothing(store: Arc<dyn SessionStore>) {
    let created = store
        .create(session(AuthenticationStatus::OtpRequired))
        .await
        .unwrap();
    let mut first = created.clone();
    first.status = AuthenticationStatus::Verifying;
    store.transition(&created, first).await.unwrap();
    let mut second = created.clone();
    second.status = AuthenticationStatus::Cancelled;
    match store.transition(&created, second).await {
        Err(StoreError::Conflict { current_version }) => assert_eq!(current_version, 2),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let read = store.get(&created.id).await.unwrap().unwrap();
    assert_eq!(read.status, AuthenticationStatus::Verifying);
}

pub async fn illegal_transition_is_refused(store: Arc<dyn SessionStore>) {
    let created = store
        .create(session(AuthenticationStatus::Pending))
        .await
        .unwrap();
    let mut next = created.clone();
    next.status = AuthenticationStatus::Verifying;
    assert!(matches!(
        store.transition(&created, next).await,
        Err(StoreError::IllegalTransition { .. })
    ));
    let read = store.get(&created.id).await.unwrap().unwrap();
    assert_eq!(read.status, AuthenticationStatus::Pending);
    assert_eq!(read.version, 1);
}

pub async fn transition_of_missing_session_is_not_found(store: Arc<dyn SessionStore>) {
    let mut ghost = session(AuthenticationStatus::Pending);
    ghost.version = 1;
    let mut next = ghost.clone();
    next.status = AuthenticationStatus::Failed;
    assert!(matches!(
        store.transition(&ghost, next).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn terminal_state_drops_card_data(store: Arc<dyn SessionStore>) {
    let created = store
        .create(session(AuthenticationStatus::OtpRequired))
        .await
        .unwrap();
    let mut next = created.clone();
    next.status = AuthenticationStatus::Failed;
    next.failure_reason = Some(FailureReason::OtpAttemptsExhausted);
    let moved = store.transition(&created, next).await.unwrap();
    assert!(moved.card.is_none());
    let read = store.get(&created.id).await.unwrap().unwrap();
    assert!(read.card.is_none(), "card deleted at the terminal state");
    assert_eq!(
        read.failure_reason,
        Some(FailureReason::OtpAttemptsExhausted)
    );
}

pub async fn success_keeps_card_until_released(store: Arc<dyn SessionStore>) {
    let created = store
        .create(session(AuthenticationStatus::Verifying))
        .await
        .unwrap();
    let mut next = created.clone();
    next.status = AuthenticationStatus::Succeeded;
    let moved = store.transition(&created, next).await.unwrap();
    assert!(
        moved.card.is_some(),
        "the authorization still needs the card"
    );
    assert!(
        store
            .get(&created.id)
            .await
            .unwrap()
            .unwrap()
            .card
            .is_some()
    );
    store.release_card(&created.id).await.unwrap();
    let read = store.get(&created.id).await.unwrap().unwrap();
    assert!(read.card.is_none());
    assert_eq!(read.status, AuthenticationStatus::Succeeded);
    store.release_card(&created.id).await.unwrap();
}

/// 50 tasks claim one OTP_REQUIRED session at once (OTP_REQUIRED -> VERIFYING): one wins.
pub async fn fifty_concurrent_claims_exactly_one_wins(store: Arc<dyn SessionStore>) {
    let created = store
        .create(session(AuthenticationStatus::OtpRequired))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = store.clone();
        let read = created.clone();
        tasks.push(tokio::spawn(async move {
            let mut claim = read.clone();
            claim.status = AuthenticationStatus::Verifying;
            claim.attempts_remaining -= 1;
            store.transition(&read, claim).await
        }));
    }
    let mut wins = 0;
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict { .. }) => conflicts += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((wins, conflicts), (1, 49));
    let read = store.get(&created.id).await.unwrap().unwrap();
    assert_eq!(read.version, 2);
    assert_eq!(read.attempts_remaining, 2, "the attempt was counted once");
}

pub async fn idempotency_reserve_complete_replay(store: Arc<dyn SessionStore>) {
    let scope = scope("replay");
    let fp = [7u8; 32];
    assert_eq!(
        store.begin_idempotent(&scope, &fp).await.unwrap(),
        IdempotencyOutcome::Reserved
    );
    assert_eq!(
        store.begin_idempotent(&scope, &fp).await.unwrap(),
        IdempotencyOutcome::InProgress
    );
    store
        .complete_idempotent(&scope, &fp, b"\x00response\xff")
        .await
        .unwrap();
    assert_eq!(
        store.begin_idempotent(&scope, &fp).await.unwrap(),
        IdempotencyOutcome::Completed(b"\x00response\xff".to_vec())
    );
}

pub async fn idempotency_key_with_other_request_is_refused(store: Arc<dyn SessionStore>) {
    let scope = scope("mismatch");
    store.begin_idempotent(&scope, &[1u8; 32]).await.unwrap();
    assert_eq!(
        store.begin_idempotent(&scope, &[2u8; 32]).await.unwrap(),
        IdempotencyOutcome::Mismatch
    );
    store
        .complete_idempotent(&scope, &[1u8; 32], b"first")
        .await
        .unwrap();
    assert_eq!(
        store.begin_idempotent(&scope, &[2u8; 32]).await.unwrap(),
        IdempotencyOutcome::Mismatch
    );
    // A completion under the wrong fingerprint must not overwrite the stored answer.
    store
        .complete_idempotent(&scope, &[2u8; 32], b"second")
        .await
        .unwrap();
    assert_eq!(
        store.begin_idempotent(&scope, &[1u8; 32]).await.unwrap(),
        IdempotencyOutcome::Completed(b"first".to_vec())
    );
}

pub async fn idempotency_keys_are_scoped_by_merchant(store: Arc<dyn SessionStore>) {
    let a = scope("shared");
    let b = IdempotencyScope {
        merchant_id: "other".into(),
        key: a.key.clone(),
    };
    assert_eq!(
        store.begin_idempotent(&a, &[1u8; 32]).await.unwrap(),
        IdempotencyOutcome::Reserved
    );
    assert_eq!(
        store.begin_idempotent(&b, &[2u8; 32]).await.unwrap(),
        IdempotencyOutcome::Reserved
    );
}

pub async fn abandoned_reservation_frees_the_key(store: Arc<dyn SessionStore>) {
    let scope = scope("abandon");
    let fp = [3u8; 32];
    store.begin_idempotent(&scope, &fp).await.unwrap();
    // Someone else's abandon (other fingerprint) changes nothing.
    store.abandon_idempotent(&scope, &[4u8; 32]).await.unwrap();
    assert_eq!(
        store.begin_idempotent(&scope, &fp).await.unwrap(),
        IdempotencyOutcome::InProgress
    );
    store.abandon_idempotent(&scope, &fp).await.unwrap();
    assert_eq!(
        store.begin_idempotent(&scope, &fp).await.unwrap(),
        IdempotencyOutcome::Reserved
    );
}

pub async fn an_orphaned_request_gets_the_resolvers_answer(store: Arc<dyn SessionStore>) {
    let scope = scope("orphan");
    let fp = [6u8; 32];
    assert!(
        !store.answer_orphaned(&scope, b"nobody").await.unwrap(),
        "no reservation, nothing to answer"
    );
    store.begin_idempotent(&scope, &fp).await.unwrap();
    assert!(store.answer_orphaned(&scope, b"settled").await.unwrap());
    assert_eq!(
        store.begin_idempotent(&scope, &fp).await.unwrap(),
        IdempotencyOutcome::Completed(b"settled".to_vec()),
        "the retry gets the resolver's answer"
    );
    assert!(
        !store.answer_orphaned(&scope, b"later").await.unwrap(),
        "a completed record is never overwritten"
    );
    assert_eq!(
        store.begin_idempotent(&scope, &[9u8; 32]).await.unwrap(),
        IdempotencyOutcome::Mismatch,
        "the key stays bound to its request"
    );
}

/// A claim lives only while the record is undecided: the write that decides it drops it.
pub async fn a_decided_record_keeps_no_claim(store: Arc<dyn SessionStore>) {
    let claim = Some(Claim::new("pod-a", now_ms(), 60_000));
    let mut verifying = session(AuthenticationStatus::Verifying);
    verifying.claim = claim.clone();
    let created = store.create(verifying).await.unwrap();
    assert_eq!(created.claim, claim, "a call in flight keeps its claim");
    let mut done = created.clone();
    done.status = AuthenticationStatus::Succeeded;
    let done = store.transition(&created, done).await.unwrap();
    assert_eq!(done.claim, None);
    assert_eq!(store.get(&done.id).await.unwrap().unwrap().claim, None);

    let mut capturing = payment();
    capturing.in_flight = Some("capture".into());
    capturing.claim = claim.clone();
    let created = store.create_payment(capturing).await.unwrap();
    assert_eq!(created.claim, claim);
    let mut captured = created.clone();
    captured.in_flight = None;
    captured.status = PaymentStatus::Captured;
    captured.captured = captured.amount;
    store.update_payment(&created, captured).await.unwrap();
    assert_eq!(
        store.get_payment(&created.id).await.unwrap().unwrap().claim,
        None
    );
}

pub async fn completed_record_survives_abandon(store: Arc<dyn SessionStore>) {
    let scope = scope("done");
    let fp = [5u8; 32];
    store.begin_idempotent(&scope, &fp).await.unwrap();
    store.complete_idempotent(&scope, &fp, b"ok").await.unwrap();
    store.abandon_idempotent(&scope, &fp).await.unwrap();
    assert_eq!(
        store.begin_idempotent(&scope, &fp).await.unwrap(),
        IdempotencyOutcome::Completed(b"ok".to_vec())
    );
}

pub fn payment() -> PaymentRecord {
    let now = now_ms();
    PaymentRecord {
        routing: None,
        id: format!("pay_{}", uuid_like()),
        merchant_id: "demo".into(),
        authentication_id: Some("auth_1".into()),
        mandate_id: None,
        connector: "cybersource".into(),
        status: PaymentStatus::Authorized,
        amount: Money::new(10_000, "INR").unwrap(),
        captured: Money::new(0, "INR").unwrap(),
        refunded: Money::new(0, "INR").unwrap(),
        approval_code: Some("831000".into()),
        network_transaction_id: None,
        provider_status: None,
        failure_reason: None,
        provider_reference: Some("7000000000000000000001".into()),
        order_reference: "ORD-1".into(),
        card_bin: "652150".into(),
        card_last4: "0014".into(),
        connector_state: None,
        in_flight: None,
        claim: None,
        operations: Vec::new(),
        created_at_ms: now,
        updated_at_ms: now,
        version: 0,
    }
}

pub async fn payment_roundtrips_and_updates_by_version(store: Arc<dyn SessionStore>) {
    let created = store.create_payment(payment()).await.unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(
        store.get_payment(&created.id).await.unwrap().unwrap(),
        created
    );
    assert!(matches!(
        store.create_payment(created.clone()).await,
        Err(StoreError::AlreadyExists)
    ));
    let mut captured = created.clone();
    captured.status = PaymentStatus::Captured;
    captured.captured = captured.amount;
    let updated = store.update_payment(&created, captured).await.unwrap();
    assert_eq!(updated.version, 2);
    let mut stale = created.clone();
    stale.status = PaymentStatus::Voided;
    assert!(matches!(
        store.update_payment(&created, stale).await,
        Err(StoreError::Conflict { current_version: 2 })
    ));
    let read = store.get_payment(&created.id).await.unwrap().unwrap();
    assert_eq!(read.status, PaymentStatus::Captured);
    assert!(store.get_payment("pay_missing").await.unwrap().is_none());
}

/// 50 concurrent captures of one payment: exactly one update lands.
pub async fn fifty_concurrent_payment_updates_exactly_one_wins(store: Arc<dyn SessionStore>) {
    let created = store.create_payment(payment()).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = store.clone();
        let read = created.clone();
        tasks.push(tokio::spawn(async move {
            let mut next = read.clone();
            next.captured = next
                .captured
                .checked_add(Money::new(100, "INR").unwrap())
                .unwrap();
            store.update_payment(&read, next).await
        }));
    }
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
    let read = store.get_payment(&created.id).await.unwrap().unwrap();
    assert_eq!(read.captured.minor_units(), 100);
}

pub fn mandate() -> MandateRecord {
    let now = now_ms();
    let day = |d| time::Date::from_calendar_date(2030, time::Month::January, d).unwrap();
    MandateRecord {
        routing: None,
        id: format!("mdt_{}", uuid_like()),
        merchant_id: "demo".into(),
        connector: "cybersource".into(),
        status: MandateStatus::Active,
        terms: Terms {
            max_amount: Money::new(500_000, "INR").unwrap(),
            min_amount: None,
            frequency: Frequency::Monthly,
            preferred_day: 5,
            start_date: day(1),
            end_date: day(31),
            total_count: 12,
        },
        pending_terms: None,
        pending_operation: None,
        authentication_id: None,
        reference: None,
        mandate_reference: "sub-1".into(),
        failure_reason: None,
        provider_status: None,
        card_bin: "653100".into(),
        card_last4: "0021".into(),
        customer_id: String::new(),
        customer_email: String::new(),
        customer_phone: String::new(),
        alert_preference: AlertPreference::Sms,
        merchant_category: None,
        notices: Vec::new(),
        notices_sent: 0,
        pruned_debits: 0,
        pruned_last_debit_on: None,
        registered_by: None,
        created_at_ms: now,
        updated_at_ms: now,
        version: 0,
    }
}

/// Mandates: compare-and-set like payments, and still there when every short-lived record
/// of the same store has expired (no TTL while ACTIVE).
pub async fn mandates_update_by_version_and_outlive_short_lived_records(
    store: Arc<dyn SessionStore>,
) {
    let created = store.create_mandate(mandate()).await.unwrap();
    assert_eq!(created.version, 1);
    assert!(matches!(
        store.create_mandate(created.clone()).await,
        Err(StoreError::AlreadyExists)
    ));
    let mut cancelled = created.clone();
    cancelled.status = MandateStatus::Cancelled;
    let mut modified = created.clone();
    modified.terms.total_count = 6;
    let updated = store.update_mandate(&created, modified).await.unwrap();
    assert_eq!(updated.version, 2);
    assert!(matches!(
        store.update_mandate(&created, cancelled).await,
        Err(StoreError::Conflict { current_version: 2 })
    ));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let read = store.get_mandate(&created.id).await.unwrap().unwrap();
    assert_eq!(read, updated);
    assert!(store.get_mandate("mdt_missing").await.unwrap().is_none());
}

/// Lifetimes short enough to watch records expire within a test.
pub fn short_lifetimes() -> Lifetimes {
    Lifetimes {
        grace: Duration::from_millis(100),
        default_session: Duration::from_millis(200),
        idempotency: Duration::from_secs(60),
        idempotency_lease: Duration::from_millis(300),
        payment: Duration::from_secs(60),
        resolver_first_check: Duration::from_secs(30),
    }
}

pub async fn lapsed_reservation_is_released(store: Arc<dyn SessionStore>) {
    let scope = scope("lease");
    store.begin_idempotent(&scope, &[6u8; 32]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        store.begin_idempotent(&scope, &[6u8; 32]).await.unwrap(),
        IdempotencyOutcome::Reserved
    );
}

pub async fn session_expires_after_its_ttl(store: Arc<dyn SessionStore>) {
    let mut s = session(AuthenticationStatus::OtpRequired);
    s.expires_at_ms = Some(now_ms() + 200);
    let created = store.create(s).await.unwrap();
    assert!(store.get(&created.id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(store.get(&created.id).await.unwrap().is_none());
}

/// Every write keeps the resolver's list: a record left in doubt is on it (due after the
/// first-check delay, leased to one claimer at a time), a settled one is not.
pub async fn records_in_doubt_are_listed_for_the_resolver(store: Arc<dyn SessionStore>) {
    use payorch_store::Unsettled;
    let pending = store
        .create(session(AuthenticationStatus::Pending))
        .await
        .unwrap();
    let listed = Unsettled::Authentication(pending.id.clone());
    assert!(
        store
            .claim_due(now_ms(), 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due before the first-check delay"
    );
    let later = now_ms() + 3_600_000;
    assert_eq!(
        store.claim_due(later, 60_000, 10).await.unwrap(),
        vec![listed.clone()]
    );
    assert!(
        store.claim_due(later, 60_000, 10).await.unwrap().is_empty(),
        "leased to the first claimer"
    );
    let mut failed = pending.clone();
    failed.status = AuthenticationStatus::Failed;
    store.transition(&pending, failed).await.unwrap();
    assert!(
        store
            .claim_due(later + 120_000, 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "a final session is off the list"
    );

    let authorized = store.create_payment(payment()).await.unwrap();
    assert!(
        store
            .claim_due(later + 240_000, 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "an authorized payment with no call on it is not in doubt"
    );
    let mut claimed = authorized.clone();
    claimed.in_flight = Some("capture".into());
    let claimed = store.update_payment(&authorized, claimed).await.unwrap();
    assert_eq!(
        store.claim_due(later + 360_000, 60_000, 10).await.unwrap(),
        vec![Unsettled::Payment(claimed.id.clone())]
    );
    store
        .schedule(&Unsettled::Payment(claimed.id.clone()), 5)
        .await
        .unwrap();
    assert_eq!(
        store.claim_due(10, 60_000, 10).await.unwrap().len(),
        1,
        "rescheduled"
    );
    store
        .settled(&Unsettled::Payment(claimed.id.clone()))
        .await
        .unwrap();
    assert!(
        store
            .claim_due(i64::MAX / 2, 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn ping_answers(store: Arc<dyn SessionStore>) {
    store.ping().await.unwrap();
}

/// Expands to one test per case for a store factory:
/// `async fn factory(lifetimes: Lifetimes) -> (Arc<dyn SessionStore>, Guard)`.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(@cases $factory, payorch_store::Lifetimes::default(),
            create_then_get_roundtrips,
            create_twice_is_refused,
            missing_session_reads_none,
            transition_bumps_version_and_persists,
            stale_version_conflicts_and_changes_nothing,
            illegal_transition_is_refused,
            transition_of_missing_session_is_not_found,
            terminal_state_drops_card_data,
            success_keeps_card_until_released,
            fifty_concurrent_claims_exactly_one_wins,
            idempotency_reserve_complete_replay,
            idempotency_key_with_other_request_is_refused,
            idempotency_keys_are_scoped_by_merchant,
            abandoned_reservation_frees_the_key,
            an_orphaned_request_gets_the_resolvers_answer,
            a_decided_record_keeps_no_claim,
            completed_record_survives_abandon,
            payment_roundtrips_and_updates_by_version,
            fifty_concurrent_payment_updates_exactly_one_wins,
            records_in_doubt_are_listed_for_the_resolver,
            ping_answers);
        $crate::conformance_suite!(@cases $factory, conformance::short_lifetimes(),
            lapsed_reservation_is_released,
            session_expires_after_its_ttl,
            mandates_update_by_version_and_outlive_short_lived_records);
    };
    (@cases $factory:path, $lifetimes:expr, $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let (store, _guard) = $factory($lifetimes).await;
                conformance::$case(store).await;
            }
        )+
    };
}
