//! Payments: authorize a successful authentication, then capture, void, refund and refresh.
//!
//! An authentication authorizes at most one payment: the payment id is derived from the
//! authentication id, so a second Authorize (under any idempotency key) is refused instead of
//! charging again — unless the first never reached the provider, in which case it is retried.
//! Captures, voids and refunds claim the payment (`in_flight`, compare-and-set) before calling
//! the provider.

use std::time::Duration;

use payorch_connector::model::{AuthorizeRequest, PaymentOutcome};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::claim;
use payorch_core::money::Money;
use payorch_core::payment::{OperationKind, PaymentRecord};
use payorch_core::status::{AuthenticationStatus, PaymentStatus};
use payorch_store::ttl::now_ms;
use payorch_store::{StoreError, Unsettled};

use crate::flows::error::{ErrorKind, FlowError};
use crate::flows::holdings::Held;
use crate::flows::{Flows, operations, unreachable};
use crate::ids::{AUTHENTICATION_ID_PREFIX, PAYMENT_ID_PREFIX};

/// The one payment an authentication can authorize.
pub fn payment_id_for(authentication_id: &str) -> String {
    let suffix = authentication_id
        .strip_prefix(AUTHENTICATION_ID_PREFIX)
        .unwrap_or(authentication_id);
    format!("{PAYMENT_ID_PREFIX}{suffix}")
}

/// An Authorize, validated: the authentication to authorize and how.
pub struct AuthorizeInput {
    pub merchant_id: String,
    pub authentication_id: String,
    /// Empty, or the authentication's connector.
    pub pinned_connector: String,
    /// `None`: the authenticated amount.
    pub amount: Option<Money>,
    pub capture: bool,
    /// Empty: the authentication's order reference.
    pub order_reference: String,
}

/// Which operation a payment is claimed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Capture,
    Void,
    Refund,
}

impl Operation {
    fn kind(self) -> OperationKind {
        match self {
            Operation::Capture => OperationKind::Capture,
            Operation::Void => OperationKind::Void,
            Operation::Refund => OperationKind::Refund,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Operation::Capture => "capture",
            Operation::Void => "void",
            Operation::Refund => "refund",
        }
    }
}

fn apply(
    payment: &PaymentRecord,
    outcome: PaymentOutcome,
    operation: Option<Operation>,
) -> Result<PaymentRecord, FlowError> {
    let mut next = payment.clone();
    if payment.in_flight.is_some() {
        operations::answered(&mut next, &outcome);
    }
    next.status = outcome.status;
    if let Some(moved) = outcome.amount {
        let total = match operation {
            Some(Operation::Capture) => Some(&mut next.captured),
            Some(Operation::Refund) => Some(&mut next.refunded),
            Some(Operation::Void) | None => None,
        };
        if let Some(total) = total {
            // A provider moving money in another currency is a broken record, not a rounding.
            *total = total.checked_add(moved).map_err(|e| {
                tracing::error!(payment_id = %payment.id, error = %e, "provider moved an amount that does not add up");
                FlowError::internal("the provider's amount does not match the payment")
            })?;
        }
    }
    if operation.is_none() && outcome.status == PaymentStatus::Captured {
        next.captured = next.amount;
    }
    next.approval_code = outcome.approval_code.or(next.approval_code);
    next.network_transaction_id = outcome
        .network_transaction_id
        .or(next.network_transaction_id);
    next.failure_reason = outcome.failure_reason;
    next.provider_status = outcome.provider_status.or(next.provider_status);
    next.provider_reference = next.provider_reference.or(outcome.provider_reference);
    next.connector_state = outcome.connector_state.or(next.connector_state);
    next.in_flight = None;
    next.updated_at_ms = now_ms();
    Ok(next)
}

/// How an Authorize's `capture` is carried out on the authentication's connector.
struct CapturePlan {
    /// The `capture` flag the provider's authorization call gets.
    at_authorization: bool,
    /// Capture through the provider's capture call once authorized.
    then_capture: bool,
}

impl CapturePlan {
    /// Connectors that authorize during authentication fixed the capture mode at
    /// StartAuthentication: an auth-only transaction is captured after confirming it; a
    /// captured one cannot be turned back into an authorization (FAILED_PRECONDITION).
    fn for_authorize(
        capabilities: &payorch_connector::Capabilities,
        session: &payorch_core::session::AuthenticationSession,
        capture: bool,
    ) -> Result<CapturePlan, FlowError> {
        if !capabilities.authorizes_during_authentication || session.capture == capture {
            return Ok(CapturePlan {
                at_authorization: capture,
                then_capture: false,
            });
        }
        if capture {
            return Ok(CapturePlan {
                at_authorization: false,
                then_capture: true,
            });
        }
        Err(precondition(
            "CAPTURE_MODE_FIXED",
            format!(
                "connector {} captured the payment when the payer's OTP was accepted \
                 (StartAuthentication had capture = true); authorize with capture = true, \
                 or start the authentication without capture to authorize only",
                session.connector
            ),
        ))
    }
}

fn precondition(reason: &'static str, message: impl Into<String>) -> FlowError {
    FlowError::new(ErrorKind::FailedPrecondition, reason, message)
}

impl Flows {
    /// Whether the claim on a payment with a call in flight was abandoned by its replica.
    pub fn claim_abandoned(&self, payment: &PaymentRecord) -> bool {
        claim::abandoned(
            payment.claim.as_ref(),
            payment.updated_at_ms,
            now_ms(),
            self.settings.resolver.stale_claim_ms(),
        )
    }

    async fn load_payment(&self, merchant_id: &str, id: &str) -> Result<PaymentRecord, FlowError> {
        self.store
            .get_payment(id)
            .await
            .map_err(|e| FlowError::from(&e))?
            .filter(|p| p.merchant_id == merchant_id)
            .ok_or_else(|| FlowError::not_found("payment"))
    }

    async fn update(
        &self,
        from: &PaymentRecord,
        next: PaymentRecord,
    ) -> Result<PaymentRecord, FlowError> {
        self.store
            .update_payment(from, next)
            .await
            .map_err(|e| payment_store_error(&e))
    }

    /// Stores the payment a provider's answer produced; when the store fails, the answer
    /// is kept and written (with the call's idempotent response) once it returns.
    async fn store_answer(
        &self,
        from: &PaymentRecord,
        next: PaymentRecord,
    ) -> Result<PaymentRecord, FlowError> {
        match self.store.update_payment(from, next.clone()).await {
            Ok(saved) => Ok(saved),
            Err(StoreError::Unavailable(err)) => {
                tracing::warn!(payment_id = %from.id, error = %err, "store unreachable after the provider answered; keeping the answer");
                let from = from.clone();
                Err(crate::flows::write_behind::keep(
                    &self.store,
                    &self.answers,
                    move |store| {
                        let (from, next) = (from.clone(), next.clone());
                        async move { store.update_payment(&from, next).await }
                    },
                    |answers, written| answers.payment(written),
                ))
            }
            Err(other) => Err(payment_store_error(&other)),
        }
    }

    pub async fn authorize(
        &self,
        input: &AuthorizeInput,
        deadline: Option<Duration>,
    ) -> Result<PaymentRecord, FlowError> {
        let AuthorizeInput {
            merchant_id,
            authentication_id,
            pinned_connector,
            amount,
            capture,
            order_reference,
        } = input;
        let (merchant_id, amount, capture) = (merchant_id.as_str(), *amount, *capture);
        let session = self
            .store
            .get(authentication_id)
            .await
            .map_err(|e| FlowError::from(&e))?
            .filter(|s| s.merchant_id == merchant_id)
            .ok_or_else(|| FlowError::not_found("authentication"))?;
        if session.status != AuthenticationStatus::Succeeded {
            return Err(precondition(
                "AUTHENTICATION_REQUIRED",
                "RuPay needs a SUCCEEDED authentication before authorization",
            ));
        }
        self.refuse_mandate_change_authentication(&session).await?;
        if !pinned_connector.is_empty() && *pinned_connector != session.connector {
            let errors = payorch_core::error::ValidationError::single(
                "connector",
                format!(
                    "must be empty or {}: the authentication's connector is used",
                    session.connector
                ),
            );
            return Err(FlowError::invalid(errors));
        }
        // Unset means the authenticated amount.
        let amount = amount.unwrap_or(session.amount);
        if amount != session.amount {
            let errors = payorch_core::error::ValidationError::single(
                "amount",
                "must equal the authenticated amount",
            );
            return Err(FlowError::invalid(errors));
        }
        let connector = self.connector(session.account())?;
        // Decided before any record changes: a combination the connector cannot honour is
        // refused with nothing written.
        let plan = CapturePlan::for_authorize(connector.capabilities(), &session, capture)?;
        let now = now_ms();
        let pending = PaymentRecord {
            routing: session.routing.clone(),
            id: payment_id_for(&session.id),
            merchant_id: merchant_id.to_owned(),
            authentication_id: Some(session.id.clone()),
            mandate_id: None,
            connector: session.connector.clone(),
            status: PaymentStatus::Pending,
            amount,
            captured: Money::zero(amount.currency()),
            refunded: Money::zero(amount.currency()),
            approval_code: None,
            network_transaction_id: None,
            provider_status: None,
            failure_reason: None,
            provider_reference: None,
            order_reference: if order_reference.is_empty() {
                session.order_reference.clone()
            } else {
                order_reference.to_owned()
            },
            card_bin: session.card_bin.clone(),
            card_last4: session.card_last4.clone(),
            connector_state: None,
            in_flight: Some("authorize".into()),
            claim: Some(self.new_claim()),
            operations: vec![operations::begin(OperationKind::Authorization, amount, "")],
            created_at_ms: now,
            updated_at_ms: now,
            version: 0,
        };
        let _held = self.holdings.hold(Unsettled::Payment(pending.id.clone()));
        let pending = match self.store.create_payment(pending).await {
            Ok(created) => created,
            Err(StoreError::AlreadyExists) => self.reclaim_unsent(merchant_id, &session.id).await?,
            Err(e) => return Err(FlowError::from(&e)),
        };
        let ctx = CallContext::new(&pending.id, deadline);
        let request = AuthorizeRequest {
            payment_id: &pending.id,
            amount,
            capture: plan.at_authorization,
            card: session.card.as_ref(),
            authentication_state: session.connector_state.as_ref(),
            authentication_reference: session.provider_reference.as_deref(),
            order_reference: &pending.order_reference,
        };
        let outcome = connector.authorize(&ctx, &request).await;
        if let Err(err @ ConnectorError::NotSent(_)) = &outcome {
            // Nothing reached the provider: release the claim and keep the card, so a later
            // Authorize of this authentication may try again.
            let mut unsent = pending.clone();
            unsent.in_flight = None;
            operations::failed(&mut unsent, err);
            unsent.updated_at_ms = now_ms();
            self.update(&pending, unsent).await?;
            return Err(FlowError::from(err));
        }
        // The card was needed for this one call; it leaves the store once the answer is
        // known. A lost answer keeps it sealed: should the provider never have processed
        // the call, the authentication may authorize again.
        let answered = !matches!(&outcome, Err(err) if err.outcome_unknown());
        let authorized = self.finish(&pending, outcome, None).await?;
        if answered {
            self.release_card_of(&authorized).await;
        }
        if !plan.then_capture || authorized.status != PaymentStatus::Authorized {
            return Ok(authorized);
        }
        // The provider authorized during authentication only; the caller asked for a sale.
        let (claimed, _held) = self
            .claim_payment(
                &authorized,
                Operation::Capture,
                &[PaymentStatus::Authorized],
                amount,
                "",
            )
            .await?;
        let ctx = CallContext::new(&claimed.id, deadline);
        let outcome = connector.capture(&ctx, &claimed, amount).await;
        self.finish(&claimed, outcome, Some(Operation::Capture))
            .await
    }

    /// A mandate's modification or cancellation authentication authorizes nothing: only its
    /// registration's may take the first debit (the mandate's `registered_by`).
    async fn refuse_mandate_change_authentication(
        &self,
        session: &payorch_core::session::AuthenticationSession,
    ) -> Result<(), FlowError> {
        if !session
            .order_reference
            .starts_with(crate::ids::MANDATE_ID_PREFIX)
        {
            return Ok(());
        }
        let mandate = self
            .store
            .get_mandate(&session.order_reference)
            .await
            .map_err(|e| FlowError::from(&e))?;
        match mandate {
            Some(m) if m.registered_by.as_deref() != Some(session.id.as_str()) => {
                Err(precondition(
                    "AUTHENTICATION_NOT_FOR_PAYMENT",
                    "this authentication approved a change to a mandate, not a payment",
                ))
            }
            _ => Ok(()),
        }
    }

    /// The payment of an authentication that was already authorized: refused, unless the
    /// earlier Authorize never reached the provider (PENDING, unclaimed), which may be retried.
    async fn reclaim_unsent(
        &self,
        merchant_id: &str,
        authentication_id: &str,
    ) -> Result<PaymentRecord, FlowError> {
        let payment_id = payment_id_for(authentication_id);
        let existing = self.load_payment(merchant_id, &payment_id).await?;
        if existing.status != PaymentStatus::Pending || existing.in_flight.is_some() {
            return Err(FlowError::new(
                ErrorKind::FailedPrecondition,
                "AUTHENTICATION_ALREADY_USED",
                format!("this authentication already authorized payment {payment_id}"),
            ));
        }
        let mut claimed = existing.clone();
        claimed.in_flight = Some("authorize".into());
        claimed.claim = Some(self.new_claim());
        claimed.operations.push(operations::begin(
            OperationKind::Authorization,
            existing.amount,
            "",
        ));
        claimed.updated_at_ms = now_ms();
        self.update(&existing, claimed).await
    }

    /// Stores a provider's answer to a claimed operation and answers with the payment.
    pub(super) async fn finish(
        &self,
        claimed: &PaymentRecord,
        outcome: Result<PaymentOutcome, ConnectorError>,
        operation: Option<Operation>,
    ) -> Result<PaymentRecord, FlowError> {
        match outcome {
            Ok(outcome) => {
                self.store_answer(claimed, apply(claimed, outcome, operation)?)
                    .await
            }
            Err(err) => {
                tracing::warn!(payment_id = %claimed.id, error = %err, "provider call failed");
                let mut next = claimed.clone();
                next.in_flight = None;
                operations::failed(&mut next, &err);
                next.updated_at_ms = now_ms();
                if err.outcome_unknown() {
                    next.status = PaymentStatus::Unknown;
                } else if operation.is_none() {
                    next.status = PaymentStatus::Failed;
                }
                if let ConnectorError::Rejected { status, .. } = &err {
                    next.provider_status = Some(status.clone());
                }
                let saved = self.store_answer(claimed, next).await?;
                if err.outcome_unknown() {
                    Ok(saved)
                } else {
                    Err(FlowError::from(&err))
                }
            }
        }
    }

    /// Claims a loaded payment for one provider operation (compare-and-set on the version it
    /// was read at, so the checks made on it still hold when the provider is called).
    async fn claim_payment(
        &self,
        payment: &PaymentRecord,
        operation: Operation,
        allowed: &[PaymentStatus],
        amount: Money,
        reason: &str,
    ) -> Result<(PaymentRecord, Held), FlowError> {
        if payment.in_flight.is_some() {
            return Err(FlowError::new(
                ErrorKind::Aborted,
                "CONCURRENT_OPERATION",
                "another operation on this payment is in progress; read it and retry",
            ));
        }
        check_state(payment, operation, allowed)?;
        let mut claimed = payment.clone();
        claimed.in_flight = Some(operation.name().into());
        claimed.claim = Some(self.new_claim());
        claimed
            .operations
            .push(operations::begin(operation.kind(), amount, reason));
        claimed.updated_at_ms = now_ms();
        let held = self.holdings.hold(Unsettled::Payment(payment.id.clone()));
        Ok((self.update(payment, claimed).await?, held))
    }

    pub async fn capture(
        &self,
        merchant_id: &str,
        id: &str,
        amount: Option<Money>,
        deadline: Option<Duration>,
    ) -> Result<PaymentRecord, FlowError> {
        let payment = self.load_payment(merchant_id, id).await?;
        let connector = self.connector(payment.account())?;
        const CAPTURABLE: &[PaymentStatus] =
            &[PaymentStatus::Authorized, PaymentStatus::PartiallyCaptured];
        // The state decides first: nothing to capture is a precondition, not a bad amount.
        check_state(&payment, Operation::Capture, CAPTURABLE)?;
        let capturable = payment.capturable().ok_or_else(mixed_currencies)?;
        let amount = amount.unwrap_or(capturable);
        check_amount(amount, capturable, "left to capture")?;
        let (claimed, _held) = self
            .claim_payment(&payment, Operation::Capture, CAPTURABLE, amount, "")
            .await?;
        let ctx = CallContext::new(id, deadline);
        let outcome = connector.capture(&ctx, &claimed, amount).await;
        self.finish(&claimed, outcome, Some(Operation::Capture))
            .await
    }

    pub async fn void(
        &self,
        merchant_id: &str,
        id: &str,
        reason: &str,
        deadline: Option<Duration>,
    ) -> Result<PaymentRecord, FlowError> {
        let payment = self.load_payment(merchant_id, id).await?;
        let connector = self.connector(payment.account())?;
        let (claimed, _held) = self
            .claim_payment(
                &payment,
                Operation::Void,
                &[PaymentStatus::Authorized],
                Money::zero(payment.amount.currency()),
                reason,
            )
            .await?;
        let ctx = CallContext::new(id, deadline);
        let outcome = connector.void(&ctx, &claimed).await;
        self.finish(&claimed, outcome, Some(Operation::Void)).await
    }

    pub async fn refund(
        &self,
        merchant_id: &str,
        id: &str,
        amount: Option<Money>,
        refund_id: &str,
        reason: &str,
        deadline: Option<Duration>,
    ) -> Result<PaymentRecord, FlowError> {
        let payment = self.load_payment(merchant_id, id).await?;
        let connector = self.connector(payment.account())?;
        const REFUNDABLE: &[PaymentStatus] = &[
            PaymentStatus::Captured,
            PaymentStatus::PartiallyCaptured,
            PaymentStatus::PartiallyRefunded,
        ];
        check_state(&payment, Operation::Refund, REFUNDABLE)?;
        let refundable = payment.refundable().ok_or_else(mixed_currencies)?;
        let amount = amount.unwrap_or(refundable);
        check_amount(amount, refundable, "left to refund")?;
        let (claimed, _held) = self
            .claim_payment(&payment, Operation::Refund, REFUNDABLE, amount, reason)
            .await?;
        let ctx = CallContext::new(id, deadline);
        let outcome = connector.refund(&ctx, &claimed, amount, refund_id).await;
        self.finish(&claimed, outcome, Some(Operation::Refund))
            .await
    }

    pub async fn get_payment(
        &self,
        merchant_id: &str,
        id: &str,
        refresh: bool,
        deadline: Option<Duration>,
    ) -> Result<PaymentRecord, FlowError> {
        let payment = self.load_payment(merchant_id, id).await?;
        // A final status is the end of the story: a refresh never rewrites it.
        if !refresh || payment.status.is_final() {
            return Ok(payment);
        }
        let connector = self.connector(payment.account())?;
        let ctx = CallContext::new(id, deadline);
        let outcome = match connector.sync_payment(&ctx, &payment).await {
            Ok(outcome) => outcome,
            // Documented: an unreachable provider leaves the stored state unchanged and is
            // not an error; `provider_status` says the provider was not reached.
            Err(err) if unreachable(&err) => {
                tracing::warn!(payment_id = %id, error = %err, "refresh could not reach the provider");
                let mut answer = payment;
                answer.provider_status = Some(crate::flows::unreachable_status());
                return Ok(answer);
            }
            Err(err) => return Err(FlowError::from(&err)),
        };
        let mut next = apply(&payment, outcome, None)?;
        if payment.in_flight.is_some() && !self.claim_abandoned(&payment) {
            // An operation is running: show the provider's view, but leave the record to it.
            next.in_flight = payment.in_flight.clone();
            return Ok(next);
        }
        if next.status != PaymentStatus::Captured {
            next.captured = payment.captured;
        }
        if self.never_processed(&payment, &next) {
            // The provider has not known this authorization for long enough: it did not
            // happen. Back to PENDING with nothing in flight, so the authentication (its
            // card kept) may authorize again.
            next.status = PaymentStatus::Pending;
            next.failure_reason = None;
            operations::not_processed(&mut next);
            tracing::warn!(payment_id = %id, "authorization never processed by the provider; it may be authorized again");
            return self.update(&payment, next).await;
        }
        operations::resolved(&mut next);
        if next.status == payment.status
            && next.captured == payment.captured
            && payment.in_flight.is_none()
        {
            return Ok(payment);
        }
        let saved = self.update(&payment, next).await?;
        if !matches!(
            saved.status,
            PaymentStatus::Pending | PaymentStatus::Unknown
        ) {
            self.release_card_of(&saved).await;
        }
        Ok(saved)
    }

    /// An UNKNOWN authorization that a refresh still cannot find at the provider, since
    /// longer than the resolver's not-found horizon.
    fn never_processed(&self, before: &PaymentRecord, after: &PaymentRecord) -> bool {
        let authorization = before
            .operations
            .last()
            .is_some_and(|op| op.kind == OperationKind::Authorization);
        before.status == PaymentStatus::Unknown
            && after.status == PaymentStatus::Unknown
            && before.in_flight.is_none()
            && authorization
            && now_ms() - before.updated_at_ms > self.settings.resolver.not_found_ms()
    }

    /// The authentication's card leaves the store once its payment's fate is known.
    async fn release_card_of(&self, payment: &PaymentRecord) {
        if let Some(authentication_id) = &payment.authentication_id
            && let Err(err) = self.store.release_card(authentication_id).await
        {
            tracing::warn!(%authentication_id, error = %err, "card data not released; it expires with the session");
        }
    }
}

/// A store error on a payment write as a gRPC status.
fn payment_store_error(err: &StoreError) -> FlowError {
    match err {
        StoreError::Conflict { .. } => FlowError::new(
            ErrorKind::Aborted,
            "CONCURRENT_OPERATION",
            "another operation on this payment is in progress; read it and retry",
        ),
        other => FlowError::from(other),
    }
}

/// FAILED_PRECONDITION unless the payment's status allows `operation`.
fn check_state(
    payment: &PaymentRecord,
    operation: Operation,
    allowed: &[PaymentStatus],
) -> Result<(), FlowError> {
    if allowed.contains(&payment.status) {
        return Ok(());
    }
    Err(precondition(
        "PAYMENT_STATE",
        format!(
            "cannot {} a payment that is {}",
            operation.name(),
            payment.status
        ),
    ))
}

/// A payment whose amounts are in different currencies (never, by construction).
fn mixed_currencies() -> FlowError {
    FlowError::internal("the payment's amounts are in different currencies")
}

/// An operation's amount: positive, in the payment's currency, within what is left.
fn check_amount(amount: Money, left: Money, what: &str) -> Result<(), FlowError> {
    if amount.currency() != left.currency()
        || !amount.is_positive()
        || amount.minor_units() > left.minor_units()
    {
        let errors = payorch_core::error::ValidationError::single(
            "amount",
            format!("must be positive, in the payment's currency and at most what is {what}"),
        );
        return Err(FlowError::invalid(errors));
    }
    Ok(())
}
