//! The resolver: settles, without a caller asking, every record a crash, an outage or a lost
//! answer left short of a final state. Every replica runs it; the store's list hands each
//! due record to one replica at a time (a lease), and each record is moved only through the
//! same compare-and-set transitions as every call, by reading the provider (never by
//! repeating a state-changing call).
//!
//! What it does with a due record:
//! - an authentication waiting for the payer past its window: EXPIRED;
//! - a claim (PENDING, VERIFYING, a payment's call) abandoned by its replica, or an UNKNOWN
//!   answer: the refresh the caller would make (`refresh = true`);
//! - an authentication the provider answers about but still has nothing to move, for longer
//!   than `not_found_secs` since its last change, or still undecided after the horizon:
//!   settled as not processed (FAILED with TIMED_OUT, provider status NOT_PROCESSED);
//! - an UNKNOWN authorization the provider cannot find for `not_found_secs`: not processed
//!   (the flows' never-processed rule); any other payment stays UNKNOWN and keeps being read,
//!   since money is never declared gone on a guess.
//!
//! Records still in doubt are looked at again later: sooner for young records, at most
//! hourly for old ones.

use std::time::Duration;

use payorch_core::payment::PaymentRecord;
use payorch_core::session::{AuthenticationSession, ProviderStatus};
use payorch_core::status::{AuthenticationStatus, FailureReason, PaymentStatus, Recommendation};
use payorch_store::ttl::now_ms;
use payorch_store::{IdempotencyScope, StoreError, Unsettled};
use tokio::sync::watch;

use crate::flows::Flows;

/// How long one replica holds a claimed record before another may take it.
const LEASE_MS: i64 = 60_000;
/// Records claimed per tick.
const BATCH: usize = 50;
/// Bound on one settle's provider read.
const READ_DEADLINE: Duration = Duration::from_secs(20);

/// Runs until `shutdown` turns true.
pub async fn run(flows: Flows, mut shutdown: watch::Receiver<bool>) {
    let tick = Duration::from_millis(flows.settings.resolver.tick_ms.max(10));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let due = match flows.store.claim_due(now_ms(), LEASE_MS, BATCH).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "resolver could not read its list");
                continue;
            }
        };
        for record in due {
            if let Err(err) = flows.settle(&record).await {
                tracing::warn!(record = %record.member(), error = %err, "resolver could not settle a record; it stays listed");
            }
        }
    }
}

/// When to look again at a record still in doubt, `age_ms` after it was created.
fn next_look(age_ms: i64) -> i64 {
    let backoff = (age_ms / 4).clamp(1_000, 3_600_000);
    now_ms().saturating_add(backoff)
}

impl Flows {
    /// Settles one record of the resolver's list (or schedules another look).
    pub async fn settle(&self, record: &Unsettled) -> Result<(), StoreError> {
        match record {
            Unsettled::Authentication(id) => {
                let Some(session) = self.store.get(id).await? else {
                    return self.store.settled(record).await;
                };
                let orphan = orphaned_authentication(&session);
                let after = self.resolve_authentication(session).await;
                if let (Some(key), Some(s)) = (orphan, after.as_ref())
                    && !s.undecided()
                {
                    let answer = self.answers.authentication(s);
                    self.answer_orphan(&s.merchant_id, &key, &answer).await;
                }
                match after {
                    Some(s) if !s.is_terminal() => {
                        let due = match s.status {
                            AuthenticationStatus::OtpRequired
                            | AuthenticationStatus::RedirectRequired => {
                                s.expires_at_ms.unwrap_or_else(|| next_look(0))
                            }
                            _ => next_look(now_ms() - s.created_at_ms),
                        };
                        self.store.schedule(record, due).await
                    }
                    Some(_) => self.store.settled(record).await,
                    None => self.store.schedule(record, next_look(0)).await,
                }
            }
            Unsettled::Payment(id) => {
                let Some(payment) = self.store.get_payment(id).await? else {
                    return self.store.settled(record).await;
                };
                let orphan = orphaned_payment(&payment);
                let after = self.resolve_payment(payment).await;
                if let (Some(key), Some(p)) = (orphan, after.as_ref())
                    && p.in_flight.is_none()
                    && p.status != PaymentStatus::Unknown
                {
                    let answer = self.answers.payment(p);
                    self.answer_orphan(&p.merchant_id, &key, &answer).await;
                }
                match after {
                    Some(p) if p.undecided() => {
                        self.store
                            .schedule(record, next_look(now_ms() - p.created_at_ms))
                            .await
                    }
                    Some(_) => self.store.settled(record).await,
                    None => self.store.schedule(record, next_look(0)).await,
                }
            }
        }
    }

    /// The session after the resolver's look at it; `None` when the look failed.
    async fn resolve_authentication(
        &self,
        session: AuthenticationSession,
    ) -> Option<AuthenticationSession> {
        let id = session.id.clone();
        let waiting = matches!(
            session.status,
            AuthenticationStatus::OtpRequired | AuthenticationStatus::RedirectRequired
        );
        if session.is_terminal() || waiting {
            // Expires when its window passed; otherwise the payer still may act.
            return self.expire_if_due(session).await.ok();
        }
        let claimed = matches!(
            session.status,
            AuthenticationStatus::Pending | AuthenticationStatus::Verifying
        );
        if claimed && !self.stale(&session) {
            return Some(session);
        }
        let reached = match self
            .get_authentication(&session.merchant_id, &id, true, Some(READ_DEADLINE))
            .await
        {
            Ok(read) => read
                .provider_status
                .is_none_or(|p| p.code != super::unreachable_status().code),
            Err(status) => {
                tracing::info!(authentication_id = %id, reason = status.reason, "resolver's read did not settle the authentication");
                false
            }
        };
        let now = self.store.get(&id).await.ok().flatten()?;
        if !now.undecided() {
            return Some(now);
        }
        if now_ms() - now.created_at_ms > self.settings.resolver.horizon_ms() {
            return self
                .give_up(
                    now,
                    "the provider did not settle this authentication within the resolver's horizon",
                )
                .await;
        }
        // The provider answered and still knows nothing that moves it, for longer than the
        // not-found horizon: the call never took effect there.
        if reached && now_ms() - now.updated_at_ms > self.settings.resolver.not_found_ms() {
            return self
                .give_up(
                    now,
                    "the provider has no record of this authentication's call: it was not processed",
                )
                .await;
        }
        Some(now)
    }

    /// An authentication the provider never settled did not happen: FAILED, and the
    /// merchant starts a new one.
    async fn give_up(
        &self,
        session: AuthenticationSession,
        why: &str,
    ) -> Option<AuthenticationSession> {
        let mut failed = session.clone();
        failed.status = AuthenticationStatus::Failed;
        failed.failure_reason = Some(FailureReason::TimedOut);
        failed.recommendation = Some(Recommendation::DoNotProceed);
        failed.next_action = None;
        failed.provider_status = Some(ProviderStatus {
            code: "NOT_PROCESSED".into(),
            message: why.into(),
            raw_status: String::new(),
        });
        failed.updated_at_ms = now_ms();
        match self.store.transition(&session, failed).await {
            Ok(saved) => {
                tracing::warn!(authentication_id = %saved.id, "resolver settled an authentication as not processed");
                Some(self.finished(saved).await)
            }
            Err(_) => self.store.get(&session.id).await.ok().flatten(),
        }
    }

    /// The payment after the resolver's look at it; `None` when the look failed.
    async fn resolve_payment(&self, payment: PaymentRecord) -> Option<PaymentRecord> {
        if !payment.undecided() {
            return Some(payment);
        }
        let claimed = payment.in_flight.is_some();
        if claimed && !self.claim_abandoned(&payment) {
            return Some(payment);
        }
        if let Err(status) = self
            .get_payment(&payment.merchant_id, &payment.id, true, Some(READ_DEADLINE))
            .await
        {
            tracing::info!(payment_id = %payment.id, reason = status.reason, "resolver's read did not settle the payment");
        }
        let now = self.store.get_payment(&payment.id).await.ok().flatten()?;
        // A mandate's debit: its mandate counts it as soon as its outcome is known.
        if let Some(mandate) = now.mandate_id.as_deref()
            && !now.undecided()
            && let Err(err) = self.load_mandate(&now.merchant_id, mandate).await
        {
            tracing::info!(payment_id = %now.id, error = %err, "mandate not updated with its debit yet");
        }
        Some(now)
    }
}

/// The idempotency key of the request that died holding this undecided session's claim.
fn orphaned_authentication(session: &AuthenticationSession) -> Option<String> {
    let claim = session.claim.as_ref().filter(|_| session.undecided())?;
    claim.orphaned_request(now_ms()).map(str::to_owned)
}

/// The idempotency key of the request that died holding this payment's claim.
fn orphaned_payment(payment: &PaymentRecord) -> Option<String> {
    let claim = payment
        .claim
        .as_ref()
        .filter(|_| payment.in_flight.is_some())?;
    claim.orphaned_request(now_ms()).map(str::to_owned)
}

impl Flows {
    /// Stores the settled record as the answer of the request that died holding its claim,
    /// so the caller's retry with the same key gets the outcome (a completed answer, for
    /// example the UNKNOWN a caller was already given, is never replaced).
    async fn answer_orphan(&self, merchant_id: &str, key: &str, answer: &[u8]) {
        let scope = IdempotencyScope {
            merchant_id: merchant_id.to_owned(),
            key: key.to_owned(),
        };
        match self.store.answer_orphaned(&scope, answer).await {
            Ok(true) => {
                tracing::info!("resolver stored the answer of a request whose replica died")
            }
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(error = %err, "resolver could not store an orphaned request's answer")
            }
        }
    }

    /// Hands the claims this replica holds to the resolver, for a stop past its grace
    /// period: each claimed record is marked as abandoned now (a session UNKNOWN, a
    /// payment's lease ended) and made due, so any replica settles it from the provider at
    /// once instead of after the lease. Returns how many records were handed over.
    pub async fn hand_over(&self) -> usize {
        let mut handed = 0;
        for record in self.holdings.records() {
            match self.hand_over_one(&record).await {
                Ok(true) => handed += 1,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(record = %record.member(), error = %err, "could not hand a claim over; it is recovered when its lease ends");
                }
            }
        }
        handed
    }

    async fn hand_over_one(&self, record: &Unsettled) -> Result<bool, StoreError> {
        let now = now_ms();
        let ours = |claim: Option<&payorch_core::claim::Claim>| {
            claim.is_some_and(|claim| *claim.owner == *self.replica)
        };
        match record {
            Unsettled::Authentication(id) => {
                let Some(session) = self.store.get(id).await? else {
                    return Ok(false);
                };
                let claimed = matches!(
                    session.status,
                    AuthenticationStatus::Pending | AuthenticationStatus::Verifying
                );
                if !claimed || !ours(session.claim.as_ref()) {
                    return Ok(false);
                }
                let mut next = session.clone();
                next.status = AuthenticationStatus::Unknown;
                next.provider_status = Some(ProviderStatus {
                    code: "REPLICA_STOPPED".into(),
                    message: "the replica calling the provider stopped before its answer; the resolver reads the provider".into(),
                    raw_status: String::new(),
                });
                if let Some(claim) = next.claim.as_mut() {
                    claim.lease_until_ms = 0;
                }
                next.updated_at_ms = now;
                self.store.transition(&session, next).await?;
            }
            Unsettled::Payment(id) => {
                let Some(payment) = self.store.get_payment(id).await? else {
                    return Ok(false);
                };
                if payment.in_flight.is_none() || !ours(payment.claim.as_ref()) {
                    return Ok(false);
                }
                let mut next = payment.clone();
                if let Some(claim) = next.claim.as_mut() {
                    claim.lease_until_ms = 0;
                }
                next.updated_at_ms = now;
                self.store.update_payment(&payment, next).await?;
            }
        }
        self.store.schedule(record, now).await?;
        tracing::warn!(record = %record.member(), "claim handed over to the resolver");
        Ok(true)
    }
}
