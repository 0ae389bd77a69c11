//! Pre-debit notices and the debits they announce. Each is checked against the RBI
//! e-mandate rules ([`payorch_core::mandate`]) and reserved in the mandate's record with one
//! compare-and-set before the provider is called, so two replicas can never both use the
//! last debit of a count, a period or a notice; the provider's answer is stored after.

use std::time::Duration;

use payorch_connector::model::{MandateCharge, MandateDebitNotice};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::card::Card;
use payorch_core::mandate::{self, Notice, NoticeStatus};
use payorch_core::mandate_record::{Debit, MandateRecord, NoticeRecord};
use payorch_core::money::Money;
use payorch_core::payment::{OperationKind, PaymentRecord};
use payorch_core::status::{FailureReason, PaymentStatus};
use payorch_store::ttl::now_ms;
use payorch_store::{StoreError, Unsettled};

use super::{card_needed, concurrent, debit_of, refused};
use crate::flows::error::{ErrorKind, FlowError};
use crate::flows::{Flows, operations};
use crate::ids::{NOTICE_ID_PREFIX, PAYMENT_ID_PREFIX, new_resource_id};

/// How often a reservation is decided again when another call wrote the mandate first.
const RESERVE_RACES: usize = 4;

/// A NotifyMandateDebit, validated.
pub struct NotifyInput {
    pub merchant_id: String,
    pub mandate_id: String,
    pub amount: Money,
    pub debit_at_ms: i64,
    pub card: Option<Card>,
}

/// A ChargeMandate, validated.
pub struct ChargeInput {
    pub merchant_id: String,
    pub mandate_id: String,
    pub notification_id: String,
    /// `None`: the notified amount.
    pub amount: Option<Money>,
    pub capture: bool,
    pub order_reference: String,
    pub card: Option<Card>,
}

/// The one payment a notice can lead to: a second charge of the same notice finds it taken.
fn payment_id_for(notice_id: &str) -> String {
    let suffix = notice_id
        .strip_prefix(NOTICE_ID_PREFIX)
        .unwrap_or(notice_id);
    format!("{PAYMENT_ID_PREFIX}{suffix}")
}

/// The FAILED payment that takes a never-created debit's id (see `Flows::current`).
pub(super) fn payment_tombstone(
    merchant_id: &str,
    mandate_id: &str,
    connector: &str,
    routing: Option<payorch_core::routing::RoutingDecision>,
    notice: &NoticeRecord,
    payment_id: &str,
) -> PaymentRecord {
    let now = now_ms();
    let amount = notice.notice.amount;
    PaymentRecord {
        routing,
        id: payment_id.to_owned(),
        merchant_id: merchant_id.to_owned(),
        authentication_id: None,
        mandate_id: Some(mandate_id.to_owned()),
        connector: connector.to_owned(),
        status: PaymentStatus::Failed,
        amount,
        captured: Money::zero(amount.currency()),
        refunded: Money::zero(amount.currency()),
        approval_code: None,
        network_transaction_id: None,
        provider_status: Some(super::not_processed()),
        failure_reason: Some(FailureReason::ProviderError),
        provider_reference: None,
        order_reference: String::new(),
        card_bin: String::new(),
        card_last4: String::new(),
        connector_state: None,
        in_flight: None,
        claim: None,
        operations: Vec::new(),
        created_at_ms: now,
        updated_at_ms: now,
        version: 0,
    }
}

/// The registration a notice or debit names at the provider, checked before anything is
/// reserved (a mandate that is not ACTIVE is refused by the rules instead).
fn registration(
    mandate: &MandateRecord,
) -> Result<payorch_core::mandate_record::MandateReference, FlowError> {
    match &mandate.reference {
        Some(r) if r.identifier.is_some() => Ok(r.clone()),
        _ if mandate.status != payorch_core::mandate::MandateStatus::Active => {
            Ok(Default::default())
        }
        _ => Err(FlowError::new(
            ErrorKind::FailedPrecondition,
            "MANDATE_NOT_REGISTERED",
            "the provider returned no registration id for this mandate; it cannot be debited",
        )),
    }
}

impl Flows {
    pub async fn notify_mandate_debit(
        &self,
        input: NotifyInput,
        deadline: Option<Duration>,
    ) -> Result<(MandateRecord, NoticeRecord), FlowError> {
        let limits = self.settings.mandates.limits();
        let notice_id = new_resource_id(NOTICE_ID_PREFIX);
        let mut mandate = self
            .load_mandate(&input.merchant_id, &input.mandate_id)
            .await?;
        let card = card_needed(self, &mandate, input.card.as_ref())?.ok_or_else(|| {
            FlowError::internal("the connector's Standing Instructions take no card")
        })?;
        let connector = self.connector(mandate.account())?;
        registration(&mandate)?;
        // Reserve: the notice is PENDING in the record before the provider hears of it.
        let (reserved, sent_at) = 'reserve: {
            for _ in 0..RESERVE_RACES {
                let now = now_ms();
                mandate::check_notice(
                    &mandate.rules_view(),
                    &input.amount,
                    input.debit_at_ms,
                    now,
                    &limits,
                    mandate.merchant_category.as_deref(),
                )
                .map_err(refused)?;
                let mut next = mandate.clone();
                next.notices_sent += 1;
                next.notices.push(NoticeRecord {
                    id: notice_id.clone(),
                    sequence: next.notices_sent,
                    notice: Notice {
                        mandate_id: mandate.id.clone(),
                        amount: input.amount,
                        debit_at_ms: input.debit_at_ms,
                        notified_at_ms: now,
                        status: NoticeStatus::Pending,
                    },
                    provider_reference: None,
                    provider_status: None,
                    failure_reason: None,
                    payment_id: None,
                    debit: None,
                    created_at_ms: now,
                    updated_at_ms: now,
                });
                next.prune(now);
                next.updated_at_ms = now;
                match self.store.update_mandate(&mandate, next).await {
                    Ok(saved) => break 'reserve (saved, now),
                    Err(StoreError::Conflict { .. }) => {
                        mandate = self
                            .load_mandate(&input.merchant_id, &input.mandate_id)
                            .await?;
                    }
                    Err(e) => return Err(FlowError::from(&e)),
                }
            }
            return Err(concurrent());
        };
        let reference = registration(&reserved)?;
        let sequence = reserved.notices_sent;
        let ctx = CallContext::new(&notice_id, deadline);
        let request = MandateDebitNotice {
            notice_id: &notice_id,
            reference: &reference,
            card,
            terms: &reserved.terms,
            alert_preference: reserved.alert_preference,
            amount: input.amount,
            debit_at_ms: input.debit_at_ms,
            sequence,
        };
        let answer = connector.notify_mandate_debit(&ctx, &request).await;
        // A refusal is the notice's answer (FAILED) and a lost answer its UNKNOWN; anything
        // else (not sent, credentials refused) is an error as well.
        let error = answer
            .as_ref()
            .err()
            .filter(|e| !e.outcome_unknown() && !matches!(e, ConnectorError::Rejected { .. }))
            .map(FlowError::from);
        let saved = self
            .update_notice(reserved, &notice_id, |notice| match &answer {
                Ok(outcome) => {
                    notice.notice.status = if outcome.accepted {
                        NoticeStatus::Notified
                    } else {
                        NoticeStatus::Failed
                    };
                    // The lead time runs from when the intimation was sent.
                    notice.notice.notified_at_ms = sent_at;
                    notice.provider_reference = outcome.provider_reference.clone();
                    notice.provider_status = outcome.provider_status.clone();
                    notice.failure_reason = outcome.failure_reason;
                }
                Err(err) if err.outcome_unknown() => notice.notice.status = NoticeStatus::Unknown,
                Err(err) => {
                    notice.notice.status = NoticeStatus::Failed;
                    notice.failure_reason = Some(FailureReason::ProviderError);
                    if let ConnectorError::Rejected { status, .. } = err {
                        notice.provider_status = Some(status.clone());
                    }
                }
            })
            .await?;
        if let Some(err) = error {
            return Err(err);
        }
        let notice = saved
            .notice(&notice_id)
            .cloned()
            .ok_or_else(|| FlowError::internal("the notice left its mandate"))?;
        Ok((saved, notice))
    }

    pub async fn charge_mandate(
        &self,
        input: ChargeInput,
        deadline: Option<Duration>,
    ) -> Result<PaymentRecord, FlowError> {
        let limits = self.settings.mandates.limits();
        let mut mandate = self
            .load_mandate(&input.merchant_id, &input.mandate_id)
            .await?;
        let card = card_needed(self, &mandate, input.card.as_ref())?.ok_or_else(|| {
            FlowError::internal("the connector's Standing Instructions take no card")
        })?;
        let connector = self.connector(mandate.account())?;
        registration(&mandate)?;
        let payment_id = payment_id_for(&input.notification_id);
        // Reserve: the notice is CHARGED (its debit pending) before the payment exists.
        let (reserved, notice) = 'reserve: {
            for _ in 0..RESERVE_RACES {
                let notice = mandate
                    .notice(&input.notification_id)
                    .cloned()
                    .ok_or_else(|| FlowError::not_found("notification"))?;
                let amount = input.amount.unwrap_or(notice.notice.amount);
                mandate::check_charge(
                    &mandate.id,
                    &mandate.rules_view(),
                    &notice.notice,
                    &amount,
                    now_ms(),
                    &limits,
                    mandate.merchant_category.as_deref(),
                )
                .map_err(refused)?;
                let mut next = mandate.clone();
                if let Some(n) = next.notice_mut(&notice.id) {
                    n.notice.status = NoticeStatus::Charged;
                    n.payment_id = Some(payment_id.clone());
                    n.debit = Some(Debit::Pending);
                    n.updated_at_ms = now_ms();
                }
                next.updated_at_ms = now_ms();
                match self.store.update_mandate(&mandate, next).await {
                    Ok(saved) => break 'reserve (saved, notice),
                    Err(StoreError::Conflict { .. }) => {
                        mandate = self
                            .load_mandate(&input.merchant_id, &input.mandate_id)
                            .await?;
                    }
                    Err(e) => return Err(FlowError::from(&e)),
                }
            }
            return Err(concurrent());
        };
        let reference = registration(&reserved)?;
        let amount = notice.notice.amount;
        let now = now_ms();
        let pending = PaymentRecord {
            routing: reserved.routing.clone(),
            id: payment_id.clone(),
            merchant_id: reserved.merchant_id.clone(),
            authentication_id: None,
            mandate_id: Some(reserved.id.clone()),
            connector: reserved.connector.clone(),
            status: PaymentStatus::Pending,
            amount,
            captured: Money::zero(amount.currency()),
            refunded: Money::zero(amount.currency()),
            approval_code: None,
            network_transaction_id: None,
            provider_status: None,
            failure_reason: None,
            provider_reference: None,
            order_reference: if input.order_reference.is_empty() {
                reserved.mandate_reference.clone()
            } else {
                input.order_reference.clone()
            },
            card_bin: reserved.card_bin.clone(),
            card_last4: reserved.card_last4.clone(),
            connector_state: None,
            in_flight: Some("authorize".into()),
            claim: Some(self.new_claim()),
            operations: vec![operations::begin(OperationKind::Authorization, amount, "")],
            created_at_ms: now,
            updated_at_ms: now,
            version: 0,
        };
        let _held = self.holdings.hold(Unsettled::Payment(payment_id.clone()));
        let pending = self
            .store
            .create_payment(pending)
            .await
            .map_err(|e| match e {
                StoreError::AlreadyExists => FlowError::new(
                    ErrorKind::FailedPrecondition,
                    "MANDATE_RULE",
                    "notification_id: already used: one debit per pre-debit notice",
                ),
                other => FlowError::from(&other),
            })?;
        let ctx = CallContext::new(&payment_id, deadline);
        let request = MandateCharge {
            payment_id: &payment_id,
            reference: &reference,
            card,
            amount,
            capture: input.capture,
            order_reference: &pending.order_reference,
            sequence: notice.sequence,
            terms: &reserved.terms,
        };
        let outcome = connector.charge_mandate(&ctx, &request).await;
        let result = self.finish(&pending, outcome, None).await;
        // The debit's outcome goes into the mandate now (a later read would find it too).
        let debit = match &result {
            Ok(payment) => debit_of(payment.status),
            Err(_) => self
                .store
                .get_payment(&payment_id)
                .await
                .ok()
                .flatten()
                .map_or(Debit::Pending, |p| debit_of(p.status)),
        };
        if let Err(err) = self
            .update_notice(reserved, &notice.id, |n| n.debit = Some(debit))
            .await
        {
            tracing::warn!(payment_id = %payment_id, error = %err, "mandate not updated with its debit yet");
        }
        result
    }

    /// Writes one notice's change into its mandate (compare-and-set, reading again when
    /// another call wrote first) and brings the mandate up to date.
    async fn update_notice(
        &self,
        mut mandate: MandateRecord,
        notice_id: &str,
        change: impl Fn(&mut NoticeRecord),
    ) -> Result<MandateRecord, FlowError> {
        for _ in 0..RESERVE_RACES {
            let mut next = mandate.clone();
            let Some(notice) = next.notice_mut(notice_id) else {
                return Err(FlowError::not_found("notification"));
            };
            change(notice);
            notice.updated_at_ms = now_ms();
            next.updated_at_ms = now_ms();
            match self.store.update_mandate(&mandate, next).await {
                Ok(saved) => return self.current(saved).await,
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
}
