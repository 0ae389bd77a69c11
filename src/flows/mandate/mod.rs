//! RuPay Standing Instructions (MandateService). A mandate's registration, modification and
//! cancellation are payer authentications ([`lifecycle`]); its notices and debits are
//! decided against the RBI e-mandate rules before any provider call ([`debits`]). Every
//! read brings the record up to date with what it depends on ([`Flows::current`]): the
//! authentication its pending operation waits for, the payments of its debits, its dates.

mod debits;
mod lifecycle;

pub use debits::{ChargeInput, NotifyInput};
pub use lifecycle::{CancelInput, ModifyInput, RegisterInput};

use payorch_core::card::{Card, CardBrand};
use payorch_core::error::{FieldViolation, ValidationError};
use payorch_core::mandate::{self, MandateState, MandateStatus};
use payorch_core::mandate_record::{Debit, MandateOperation, MandateRecord};
use payorch_core::money::Money;
use payorch_core::session::AuthenticationSession;
use payorch_core::status::Flow;
use payorch_core::status::{AuthenticationStatus, FailureReason, PaymentStatus};
use payorch_router::{Facts, Initiator, Plan};
use payorch_store::StoreError;
use payorch_store::ttl::now_ms;

use crate::flows::Flows;
use crate::flows::error::{ErrorKind, FlowError};
use crate::ids::MANDATE_ID_PREFIX;

/// How often a read retries bringing a mandate up to date when another call wrote it first.
const CURRENT_RACES: usize = 4;

/// A mandate with the latest authentication of its payer, as the API answers it.
pub struct MandateView {
    pub mandate: MandateRecord,
    pub authentication: Option<AuthenticationSession>,
}

impl Flows {
    /// The account a new mandate would be registered on: the merchant's route for a
    /// merchant-initiated call (its debits will be), among accounts that take Standing
    /// Instructions, for a RuPay card.
    pub fn mandate_route(
        &self,
        merchant_id: &str,
        pinned: &str,
        card: &Card,
        amount: Money,
        flow: Option<Flow>,
    ) -> Result<Plan, FlowError> {
        let takes = |name: &str| {
            self.router
                .account(name)
                .is_ok_and(|a| a.adapter.capabilities().standing_instructions)
        };
        let accounts = self.router.accounts_of(merchant_id);
        let pinned_accounts: Vec<&str> = accounts
            .iter()
            .copied()
            .filter(|name| {
                pinned.is_empty()
                    || self
                        .router
                        .account(name)
                        .is_ok_and(|a| a.connector.as_str() == pinned)
            })
            .collect();
        if !pinned_accounts.is_empty() && !pinned_accounts.iter().any(|name| takes(name)) {
            let able: Vec<&str> = accounts
                .iter()
                .copied()
                .filter(|name| takes(name))
                .collect();
            return Err(FlowError::new(
                ErrorKind::FailedPrecondition,
                "MANDATES_NOT_SUPPORTED",
                format!(
                    "{} does not take RuPay Standing Instructions; this merchant's accounts \
                     that do: {}",
                    if pinned.is_empty() {
                        "no account of this merchant".to_owned()
                    } else {
                        format!("connector {pinned}")
                    },
                    if able.is_empty() {
                        "none".to_owned()
                    } else {
                        able.join(", ")
                    }
                ),
            ));
        }
        if card.brand() != CardBrand::RuPay {
            return Err(FlowError::new(
                ErrorKind::FailedPrecondition,
                "CARD_NOT_RUPAY",
                "Standing Instructions here are RuPay's: the card is not a RuPay card",
            ));
        }
        let facts = Facts {
            brand: card.brand(),
            bin: card.bin(),
            amount: Some((amount.minor_units(), amount.currency().code())),
            flow,
            initiator: Initiator::Merchant,
        };
        self.plan(merchant_id, pinned, &facts, |account| {
            (!account.adapter.capabilities().standing_instructions)
                .then(|| "does not take RuPay Standing Instructions".to_owned())
        })
    }
}

impl Flows {
    /// The merchant's mandate, brought up to date.
    pub(crate) async fn load_mandate(
        &self,
        merchant_id: &str,
        id: &str,
    ) -> Result<MandateRecord, FlowError> {
        let mandate = self
            .store
            .get_mandate(id)
            .await
            .map_err(|e| FlowError::from(&e))?
            .filter(|m| m.merchant_id == merchant_id)
            .ok_or_else(|| FlowError::not_found("mandate"))?;
        self.current(mandate).await
    }

    /// The mandate and its latest authentication, for an answer.
    pub(crate) async fn mandate_view(
        &self,
        mandate: MandateRecord,
    ) -> Result<MandateView, FlowError> {
        let authentication = match &mandate.authentication_id {
            Some(id) => self.store.get(id).await.map_err(|e| FlowError::from(&e))?,
            None => None,
        };
        Ok(MandateView {
            mandate,
            authentication,
        })
    }

    pub async fn get_mandate(
        &self,
        merchant_id: &str,
        id: &str,
        refresh: bool,
        deadline: Option<std::time::Duration>,
    ) -> Result<MandateView, FlowError> {
        let mandate = self.load_mandate(merchant_id, id).await?;
        if !refresh {
            return self.mandate_view(mandate).await;
        }
        // The provider's view: the pending operation's authentication and the debits whose
        // answer was lost are read (never repeated); their answers settle the mandate.
        // A read that fails leaves the stored state, which is answered (as for payments).
        if mandate.pending_operation.is_some()
            && let Some(auth) = &mandate.authentication_id
            && let Err(err) = self
                .get_authentication(merchant_id, auth, true, deadline)
                .await
        {
            tracing::info!(mandate_id = %id, error = %err, "mandate's authentication not refreshed");
        }
        let in_doubt: Vec<String> = mandate
            .notices
            .iter()
            .filter(|n| n.debit == Some(Debit::Pending))
            .filter_map(|n| n.payment_id.clone())
            .collect();
        for payment in in_doubt {
            if let Err(err) = self
                .get_payment(merchant_id, &payment, true, deadline)
                .await
            {
                tracing::info!(mandate_id = %id, error = %err, "mandate's debit not refreshed");
            }
        }
        let mandate = self.load_mandate(merchant_id, id).await?;
        self.mandate_view(mandate).await
    }

    /// A finished authentication: when it was a mandate operation's, the mandate takes its
    /// result now (the session's own record expires; the mandate's does not).
    pub(crate) async fn finished(&self, session: AuthenticationSession) -> AuthenticationSession {
        if session.is_terminal() && session.order_reference.starts_with(MANDATE_ID_PREFIX) {
            let settled = async {
                if let Some(mandate) = self
                    .store
                    .get_mandate(&session.order_reference)
                    .await
                    .map_err(|e| FlowError::from(&e))?
                    .filter(|m| m.authentication_id.as_deref() == Some(session.id.as_str()))
                {
                    self.current(mandate).await?;
                }
                Ok::<(), FlowError>(())
            };
            if let Err(err) = settled.await {
                // The next read of the mandate settles it from the session instead.
                tracing::warn!(authentication_id = %session.id, error = %err, "mandate not settled yet");
            }
        }
        session
    }

    /// Brings a mandate up to date and stores what changed (compare-and-set; a concurrent
    /// writer's version is read again).
    pub(crate) async fn current(
        &self,
        mut mandate: MandateRecord,
    ) -> Result<MandateRecord, FlowError> {
        for _ in 0..CURRENT_RACES {
            let mut next = mandate.clone();
            self.settle_operation(&mut next).await?;
            self.settle_debits(&mut next).await?;
            settle_dates(&mut next, now_ms());
            if next == mandate {
                return Ok(mandate);
            }
            next.updated_at_ms = now_ms();
            match self.store.update_mandate(&mandate, next).await {
                Ok(saved) => return Ok(saved),
                Err(StoreError::Conflict { .. }) => {
                    mandate = self
                        .store
                        .get_mandate(&mandate.id)
                        .await
                        .map_err(|e| FlowError::from(&e))?
                        .ok_or_else(|| FlowError::not_found("mandate"))?;
                }
                Err(e) => return Err(FlowError::from(&e)),
            }
        }
        Err(concurrent())
    }

    /// The pending operation takes its authentication's result once that is final.
    async fn settle_operation(&self, mandate: &mut MandateRecord) -> Result<(), FlowError> {
        let (Some(operation), Some(auth_id)) =
            (mandate.pending_operation, mandate.authentication_id.clone())
        else {
            return Ok(());
        };
        let session = self
            .store
            .get(&auth_id)
            .await
            .map_err(|e| FlowError::from(&e))?;
        let now = now_ms();
        match session {
            Some(session) if session.is_terminal() => {
                let reference = self
                    .connector(mandate.account())
                    .ok()
                    .and_then(|c| c.mandate_reference(&session));
                apply_authentication(mandate, operation, &session, reference);
            }
            // Past its window the payer can no longer complete it: the session is expired
            // with a compare-and-set first, so a verification that claimed it in time wins.
            Some(session)
                if matches!(
                    session.status,
                    AuthenticationStatus::OtpRequired | AuthenticationStatus::RedirectRequired
                ) && session.expires_at_ms.is_some_and(|at| now >= at) =>
            {
                let mut expired = session.clone();
                expired.status = AuthenticationStatus::Expired;
                expired.failure_reason = Some(
                    if session.flow == Some(payorch_core::status::Flow::Redirect) {
                        FailureReason::TimedOut
                    } else {
                        FailureReason::OtpExpired
                    },
                );
                expired.recommendation = Some(payorch_core::status::Recommendation::DoNotProceed);
                expired.next_action = None;
                expired.updated_at_ms = now;
                match self.store.transition(&session, expired).await {
                    Ok(saved) => {
                        close_operation(mandate, operation, saved.status, saved.failure_reason)
                    }
                    // Moved meanwhile (claimed, or expired by another call): decided later.
                    Err(StoreError::Conflict { .. } | StoreError::IllegalTransition { .. }) => {}
                    Err(e) => return Err(FlowError::from(&e)),
                }
            }
            // No session: its replica stopped before writing it (or it left the store long
            // ago). A FAILED session is written under its id first, so a late start finds
            // the id taken and never calls the provider.
            None if now - mandate.updated_at_ms > self.settings.resolver.stale_claim_ms() => {
                match self
                    .store
                    .create(session_tombstone(mandate, &auth_id, now))
                    .await
                {
                    Ok(_) => close_operation(
                        mandate,
                        operation,
                        AuthenticationStatus::Failed,
                        Some(FailureReason::ProviderError),
                    ),
                    Err(StoreError::AlreadyExists) => {}
                    Err(e) => return Err(FlowError::from(&e)),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Debits whose payment outcome was not known take it from the payment.
    async fn settle_debits(&self, mandate: &mut MandateRecord) -> Result<(), FlowError> {
        let stale_ms = self.settings.resolver.stale_claim_ms();
        let (merchant, mandate_id, connector, routing) = (
            mandate.merchant_id.clone(),
            mandate.id.clone(),
            mandate.connector.clone(),
            mandate.routing.clone(),
        );
        for notice in mandate
            .notices
            .iter_mut()
            .filter(|n| n.debit == Some(Debit::Pending))
        {
            let Some(payment_id) = notice.payment_id.clone() else {
                continue;
            };
            let payment = self
                .store
                .get_payment(&payment_id)
                .await
                .map_err(|e| FlowError::from(&e))?;
            notice.debit = match payment {
                // Settled as never processed (nothing in flight, nothing decided): a mandate
                // debit is never sent again, so it did not happen.
                Some(p) if p.status == PaymentStatus::Pending && never_processed(&p) => {
                    Some(Debit::Failed)
                }
                Some(p) => Some(debit_of(p.status)),
                // Never written, so never sent: the charge's replica stopped before it. A
                // FAILED payment takes its id first, so a late charge finds it taken.
                None if now_ms() - notice.updated_at_ms > stale_ms => {
                    let tombstone = debits::payment_tombstone(
                        &merchant,
                        &mandate_id,
                        &connector,
                        routing.clone(),
                        notice,
                        &payment_id,
                    );
                    match self.store.create_payment(tombstone).await {
                        Ok(_) => Some(Debit::Failed),
                        Err(StoreError::AlreadyExists) => Some(Debit::Pending),
                        Err(e) => return Err(FlowError::from(&e)),
                    }
                }
                None => Some(Debit::Pending),
            };
            if notice.debit != Some(Debit::Pending) {
                notice.updated_at_ms = now_ms();
            }
        }
        Ok(())
    }
}

/// The FAILED session that takes a never-written authentication's id.
fn session_tombstone(mandate: &MandateRecord, id: &str, now: i64) -> AuthenticationSession {
    AuthenticationSession {
        routing: mandate.routing.clone(),
        id: id.to_owned(),
        merchant_id: mandate.merchant_id.clone(),
        connector: mandate.connector.clone(),
        status: AuthenticationStatus::Failed,
        flow: None,
        amount: mandate.terms.max_amount,
        card_bin: mandate.card_bin.clone(),
        card_last4: mandate.card_last4.clone(),
        failure_reason: Some(FailureReason::ProviderError),
        recommendation: Some(payorch_core::status::Recommendation::DoNotProceed),
        provider_status: Some(not_processed()),
        provider_reference: None,
        attempts_remaining: 0,
        resends_remaining: 0,
        expires_at_ms: Some(now),
        next_action: None,
        return_url: String::new(),
        order_reference: mandate.id.clone(),
        connector_state: None,
        capture: false,
        completed_by: None,
        cancel_reason: None,
        claim: None,
        created_at_ms: now,
        updated_at_ms: now,
        version: 0,
        card: None,
    }
}

/// Why a record written in place of a call that never happened says so.
pub(crate) fn not_processed() -> payorch_core::session::ProviderStatus {
    payorch_core::session::ProviderStatus {
        code: "NOT_PROCESSED".into(),
        message: "the replica making this call stopped before sending it".into(),
        raw_status: String::new(),
    }
}

/// A payment the resolver settled as never processed (its last operation says so; a
/// provider's own PENDING answer does not).
fn never_processed(payment: &payorch_core::payment::PaymentRecord) -> bool {
    payment.in_flight.is_none()
        && payment
            .operations
            .last()
            .and_then(|op| op.provider_status.as_ref())
            .is_some_and(|s| s.code == "NOT_PROCESSED")
}

/// What a debit's payment status says of it.
pub(crate) fn debit_of(status: PaymentStatus) -> Debit {
    match status {
        PaymentStatus::Authorized
        | PaymentStatus::Captured
        | PaymentStatus::PartiallyCaptured
        | PaymentStatus::Refunded
        | PaymentStatus::PartiallyRefunded => Debit::Succeeded,
        PaymentStatus::Pending | PaymentStatus::Unknown => Debit::Pending,
        _ => Debit::Failed,
    }
}

/// A finished authentication applied to the operation it was for.
fn apply_authentication(
    mandate: &mut MandateRecord,
    operation: MandateOperation,
    session: &AuthenticationSession,
    reference: Option<payorch_core::mandate_record::MandateReference>,
) {
    mandate.provider_status = session
        .provider_status
        .clone()
        .or(mandate.provider_status.take());
    if session.status != AuthenticationStatus::Succeeded {
        close_operation(mandate, operation, session.status, session.failure_reason);
        return;
    }
    match operation {
        MandateOperation::Register => {
            mandate.status = MandateStatus::Active;
            mandate.reference = reference.or(mandate.reference.take());
        }
        MandateOperation::Modify => {
            if let Some(terms) = mandate.pending_terms.take() {
                mandate.terms = terms;
            }
        }
        MandateOperation::Cancel => mandate.status = MandateStatus::Cancelled,
    }
    mandate.pending_operation = None;
    mandate.pending_terms = None;
    mandate.failure_reason = None;
}

/// An operation whose authentication did not succeed: a registration fails (or expires);
/// a modification or cancellation leaves the mandate as it was.
fn close_operation(
    mandate: &mut MandateRecord,
    operation: MandateOperation,
    status: AuthenticationStatus,
    reason: Option<FailureReason>,
) {
    if operation == MandateOperation::Register {
        mandate.status = match status {
            AuthenticationStatus::Expired => MandateStatus::Expired,
            // The registration's authentication was cancelled (CancelMandate): nothing was
            // registered.
            AuthenticationStatus::Cancelled => MandateStatus::Cancelled,
            _ => MandateStatus::Failed,
        };
    }
    mandate.pending_operation = None;
    mandate.pending_terms = None;
    mandate.failure_reason = reason.or(Some(FailureReason::RejectedByIssuer));
}

/// An ACTIVE mandate past its last debit is COMPLETED, past its end date EXPIRED.
fn settle_dates(mandate: &mut MandateRecord, now_ms: i64) {
    let state = MandateState {
        completed_count: mandate.completed_count(),
        ..mandate.rules_view()
    };
    if let Some(status) = mandate::lapsed(&state, now_ms) {
        mandate.status = status;
        mandate.pending_operation = None;
        mandate.pending_terms = None;
    }
}

/// The rules' refusals as the API answers them: a state the mandate or notice is in is
/// FAILED_PRECONDITION (naming each field and rule); a value the caller sent is
/// INVALID_ARGUMENT with every offending field.
pub(crate) fn refused(violations: Vec<FieldViolation>) -> FlowError {
    let state = |v: &FieldViolation| v.field == "mandate_id" || v.field == "notification_id";
    if violations.iter().any(state) {
        let rules: Vec<String> = violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        return FlowError::new(
            ErrorKind::FailedPrecondition,
            "MANDATE_RULE",
            rules.join("; "),
        );
    }
    FlowError::invalid(ValidationError { violations })
}

/// INVALID_ARGUMENT naming `payment_method` when the mandate's connector needs the card on
/// this message and the request has none.
pub(crate) fn card_needed<'a>(
    flows: &Flows,
    mandate: &MandateRecord,
    card: Option<&'a Card>,
) -> Result<Option<&'a Card>, FlowError> {
    let needs = flows
        .connector(mandate.account())?
        .capabilities()
        .mandate_messages_need_card;
    if needs && card.is_none() {
        return Err(FlowError::invalid(ValidationError::single(
            "payment_method",
            format!(
                "required: connector {} needs the mandate's card on every Standing Instruction message",
                mandate.connector
            ),
        )));
    }
    if card.is_some_and(|c| c.bin() != mandate.card_bin || c.last4() != mandate.card_last4) {
        return Err(FlowError::invalid(ValidationError::single(
            "payment_method",
            "not the mandate's card (another card is a new registration)",
        )));
    }
    Ok(card)
}

pub(crate) fn concurrent() -> FlowError {
    FlowError::new(
        ErrorKind::Aborted,
        "CONCURRENT_MODIFICATION",
        "the mandate changed concurrently; read it again and retry",
    )
}

pub(crate) fn wrong_state(mandate: &MandateRecord, needs: &str) -> FlowError {
    FlowError::new(
        ErrorKind::FailedPrecondition,
        "MANDATE_STATE",
        format!("the mandate is {}; {needs}", mandate.status.name()),
    )
}
