//! Registration, modification and cancellation: each writes the mandate first (the
//! operation and the id of the authentication that will decide it), then starts the payer's
//! authentication with the provider. The authentication's result reaches the mandate when
//! it is final ([`Flows::finished`]), whichever replica completes it.

use std::time::Duration;

use payorch_connector::model::{Browser, MandateAction};
use payorch_core::card::Card;
use payorch_core::mandate::{MandateStatus, Terms};
use payorch_core::mandate_record::{AlertPreference, MandateOperation, MandateRecord};
use payorch_core::money::Money;
use payorch_core::status::Flow;
use payorch_router::Plan;
use payorch_store::StoreError;
use payorch_store::ttl::now_ms;

use super::{MandateView, card_needed, concurrent, wrong_state};
use crate::flows::Flows;
use crate::flows::authentication::{MandateStart, StartInput};
use crate::flows::error::{ErrorKind, FlowError};
use crate::ids::{AUTHENTICATION_ID_PREFIX, MANDATE_ID_PREFIX, new_resource_id};

/// A RegisterMandate, validated and routed.
pub struct RegisterInput {
    pub merchant_id: String,
    /// The accounts it may register on, the first chosen.
    pub plan: Plan,
    pub card: Card,
    pub terms: Terms,
    pub alert_preference: AlertPreference,
    /// The amount the payer sees in the registration's authentication.
    pub amount: Money,
    pub browser: Browser,
    pub return_url: String,
    pub preferred_flow: Option<Flow>,
    pub mandate_reference: String,
    pub customer_id: String,
    pub customer_email: String,
    pub customer_phone: String,
}

/// A ModifyMandate, validated.
pub struct ModifyInput {
    pub merchant_id: String,
    pub mandate_id: String,
    pub terms: Terms,
    pub card: Option<Card>,
    pub browser: Browser,
    pub return_url: String,
    pub preferred_flow: Option<Flow>,
}

/// A CancelMandate, validated.
pub struct CancelInput {
    pub merchant_id: String,
    pub mandate_id: String,
    pub reason: String,
    pub card: Option<Card>,
    pub browser: Option<Browser>,
    pub return_url: String,
    pub preferred_flow: Option<Flow>,
}

impl Flows {
    pub async fn register_mandate(
        &self,
        input: RegisterInput,
        deadline: Option<Duration>,
    ) -> Result<MandateView, FlowError> {
        refuse_unusable_card(&input.plan, &input.card)?;
        let now = now_ms();
        let authentication_id = new_resource_id(AUTHENTICATION_ID_PREFIX);
        let category = self
            .settings
            .merchants
            .iter()
            .find(|m| m.id == input.merchant_id)
            .and_then(|m| m.category.clone());
        let mandate = MandateRecord {
            routing: Some(input.plan.decision().clone()),
            id: new_resource_id(MANDATE_ID_PREFIX),
            merchant_id: input.merchant_id.clone(),
            connector: input.plan.account().connector.as_str().to_owned(),
            status: MandateStatus::PendingAuthentication,
            terms: input.terms.clone(),
            pending_terms: None,
            pending_operation: Some(MandateOperation::Register),
            authentication_id: Some(authentication_id.clone()),
            reference: None,
            mandate_reference: input.mandate_reference,
            failure_reason: None,
            provider_status: None,
            card_bin: input.card.bin().to_owned(),
            card_last4: input.card.last4().to_owned(),
            customer_id: input.customer_id,
            customer_email: input.customer_email.clone(),
            customer_phone: input.customer_phone.clone(),
            alert_preference: input.alert_preference,
            merchant_category: category,
            notices: Vec::new(),
            notices_sent: 0,
            pruned_debits: 0,
            pruned_last_debit_on: None,
            registered_by: Some(authentication_id.clone()),
            created_at_ms: now,
            updated_at_ms: now,
            version: 0,
        };
        // Written before the provider is called: a crash mid-call leaves a findable record.
        let mandate = self
            .store
            .create_mandate(mandate)
            .await
            .map_err(|e| FlowError::from(&e))?;
        let start = MandateStart {
            authentication_id,
            action: MandateAction::Register,
            mandate_id: mandate.id.clone(),
            terms: input.terms,
            alert_preference: input.alert_preference,
            reference: None,
            customer_email: input.customer_email,
            customer_phone: input.customer_phone,
        };
        let started = self
            .start_authentication(
                StartInput {
                    merchant_id: input.merchant_id.clone(),
                    plan: input.plan,
                    amount: input.amount,
                    card: input.card,
                    browser: input.browser,
                    return_url: input.return_url,
                    order_reference: String::new(),
                    preferred_flow: input.preferred_flow,
                    capture: false,
                    mandate: Some(start),
                },
                deadline,
            )
            .await;
        let mandate = self.load_mandate(&input.merchant_id, &mandate.id).await?;
        match started {
            // The provider refused the registration: a normal answer, the mandate FAILED with
            // its reason (a call that never reached the provider stays an error to retry).
            Err(err) if err.kind != ErrorKind::Unavailable && mandate.status.is_final() => {
                tracing::info!(mandate_id = %mandate.id, error = %err, "registration refused");
            }
            other => {
                other?;
            }
        }
        self.mandate_view(mandate).await
    }

    pub async fn modify_mandate(
        &self,
        input: ModifyInput,
        deadline: Option<Duration>,
    ) -> Result<MandateView, FlowError> {
        let mandate = self
            .load_mandate(&input.merchant_id, &input.mandate_id)
            .await?;
        if mandate.status != MandateStatus::Active {
            return Err(wrong_state(&mandate, "only an ACTIVE mandate is modified"));
        }
        if input.terms.max_amount.currency() != mandate.terms.max_amount.currency() {
            return Err(FlowError::invalid(
                payorch_core::error::ValidationError::single(
                    "terms.max_amount",
                    "must be in the mandate's currency",
                ),
            ));
        }
        let card = card_needed(self, &mandate, input.card.as_ref())?
            .cloned()
            .ok_or_else(|| card_required(&mandate))?;
        let started = self
            .begin_operation(
                mandate,
                MandateOperation::Modify,
                Some(input.terms.clone()),
                Operation {
                    card,
                    terms: input.terms,
                    browser: input.browser,
                    return_url: input.return_url,
                    preferred_flow: input.preferred_flow,
                },
                deadline,
            )
            .await?;
        self.mandate_view(started).await
    }

    pub async fn cancel_mandate(
        &self,
        input: CancelInput,
        deadline: Option<Duration>,
    ) -> Result<MandateView, FlowError> {
        let mandate = self
            .load_mandate(&input.merchant_id, &input.mandate_id)
            .await?;
        match mandate.status {
            MandateStatus::Cancelled => return self.mandate_view(mandate).await,
            MandateStatus::PendingAuthentication => {
                return self.cancel_registration(mandate, input, deadline).await;
            }
            MandateStatus::Active if mandate.pending_operation.is_none() => {}
            MandateStatus::Active => return Err(operation_pending(&mandate)),
            _ => return Err(wrong_state(&mandate, "it cannot be cancelled")),
        }
        let card = card_needed(self, &mandate, input.card.as_ref())?
            .cloned()
            .ok_or_else(|| card_required(&mandate))?;
        let Some(browser) = input.browser else {
            return Err(FlowError::invalid(
                payorch_core::error::ValidationError::single(
                    "browser",
                    "required: the deregistration is authenticated by the payer",
                ),
            ));
        };
        let terms = mandate.terms.clone();
        let started = self
            .begin_operation(
                mandate,
                MandateOperation::Cancel,
                None,
                Operation {
                    card,
                    terms,
                    browser,
                    return_url: input.return_url,
                    preferred_flow: input.preferred_flow,
                },
                deadline,
            )
            .await?;
        self.mandate_view(started).await
    }

    /// A mandate still waiting for its registration's authentication is cancelled at once,
    /// by cancelling that authentication (the mandate takes its result, CANCELLED). An
    /// authentication being verified right now is left to finish (ABORTED: retry); one that
    /// succeeded meanwhile made the mandate ACTIVE, and it is deregistered as such.
    async fn cancel_registration(
        &self,
        mandate: MandateRecord,
        input: CancelInput,
        deadline: Option<Duration>,
    ) -> Result<MandateView, FlowError> {
        if let Some(auth) = &mandate.authentication_id {
            match self
                .cancel_authentication(&mandate.merchant_id, auth, &input.reason)
                .await
            {
                Ok(_) => {}
                Err(err) if err.kind == ErrorKind::Aborted => return Err(err),
                // Finished (or never written): the mandate reads what happened.
                Err(err) => {
                    tracing::info!(mandate_id = %mandate.id, error = %err, "registration authentication not cancelled");
                }
            }
        }
        let now = self.load_mandate(&mandate.merchant_id, &mandate.id).await?;
        match now.status {
            MandateStatus::PendingAuthentication => Err(concurrent()),
            MandateStatus::Active => Box::pin(self.cancel_mandate(input, deadline)).await,
            _ => self.mandate_view(now).await,
        }
    }

    /// Marks the operation pending under a new authentication (compare-and-set on the
    /// version read, so two operations never start together), then starts it.
    async fn begin_operation(
        &self,
        mandate: MandateRecord,
        operation: MandateOperation,
        pending_terms: Option<Terms>,
        call: Operation,
        deadline: Option<Duration>,
    ) -> Result<MandateRecord, FlowError> {
        if mandate.pending_operation.is_some() {
            return Err(operation_pending(&mandate));
        }
        let account = self
            .router
            .account(mandate.account())
            .map_err(|e| {
                FlowError::new(
                    ErrorKind::FailedPrecondition,
                    "CONNECTOR_NOT_CONFIGURED",
                    e.to_string(),
                )
            })?
            .clone();
        let bin_range = mandate
            .routing
            .as_ref()
            .map_or("any", |r| r.bin_range.as_str());
        let plan = Plan::only(account, bin_range);
        refuse_unusable_card(&plan, &call.card)?;
        let authentication_id = new_resource_id(AUTHENTICATION_ID_PREFIX);
        let mut pending = mandate.clone();
        pending.pending_operation = Some(operation);
        pending.pending_terms = pending_terms;
        pending.authentication_id = Some(authentication_id.clone());
        pending.failure_reason = None;
        pending.updated_at_ms = now_ms();
        let pending = self
            .store
            .update_mandate(&mandate, pending)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => concurrent(),
                other => FlowError::from(&other),
            })?;
        // The payer sees the terms being agreed to (or given up).
        let amount = call.terms.max_amount;
        let start = MandateStart {
            authentication_id,
            action: match operation {
                MandateOperation::Register => MandateAction::Register,
                MandateOperation::Modify => MandateAction::Modify,
                MandateOperation::Cancel => MandateAction::Cancel,
            },
            mandate_id: pending.id.clone(),
            terms: call.terms,
            alert_preference: pending.alert_preference,
            reference: pending.reference.clone(),
            customer_email: pending.customer_email.clone(),
            customer_phone: pending.customer_phone.clone(),
        };
        let started = self
            .start_authentication(
                StartInput {
                    merchant_id: pending.merchant_id.clone(),
                    plan,
                    amount,
                    card: call.card,
                    browser: call.browser,
                    return_url: call.return_url,
                    order_reference: String::new(),
                    preferred_flow: call.preferred_flow,
                    capture: false,
                    mandate: Some(start),
                },
                deadline,
            )
            .await;
        let current = self.load_mandate(&pending.merchant_id, &pending.id).await?;
        match started {
            // The operation's authentication id was taken (settled as never started while
            // this call was slow): the mandate says what became of it.
            Err(err) if err.kind == ErrorKind::AlreadyExists => Err(FlowError::new(
                ErrorKind::Aborted,
                "MANDATE_OPERATION_SETTLED",
                "this operation was settled as not started while it was starting; read the mandate and retry",
            )),
            other => other.map(|_| current),
        }
    }
}

/// What an operation's authentication needs besides the mandate.
struct Operation {
    card: Card,
    terms: Terms,
    browser: Browser,
    return_url: String,
    preferred_flow: Option<Flow>,
}

/// A card the connector cannot take is refused before the mandate records an operation
/// (the authentication would refuse it before its own record exists).
fn refuse_unusable_card(plan: &Plan, card: &Card) -> Result<(), FlowError> {
    if card.is_network_token() && !plan.account().adapter.capabilities().network_tokens {
        return Err(FlowError::from(
            &payorch_connector::ConnectorError::Unsupported(
                "network tokens (send the card instead)",
            ),
        ));
    }
    Ok(())
}

fn operation_pending(mandate: &MandateRecord) -> FlowError {
    FlowError::new(
        ErrorKind::FailedPrecondition,
        "MANDATE_OPERATION_PENDING",
        format!(
            "mandate {} has an operation waiting for the payer's authentication; complete or \
             cancel that authentication first",
            mandate.id
        ),
    )
}

fn card_required(mandate: &MandateRecord) -> FlowError {
    FlowError::invalid(payorch_core::error::ValidationError::single(
        "payment_method",
        format!(
            "required: the payer authenticates this change with the card (connector {})",
            mandate.connector
        ),
    ))
}
