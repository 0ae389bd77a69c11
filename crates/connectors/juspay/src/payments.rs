//! The payment the authentication created: confirming it (authorize), capture, void,
//! refund and status lookups, all on the order and its transaction.

use async_trait::async_trait;
use payorch_connector::Payments;
use payorch_connector::model::{AuthorizeRequest, PaymentOutcome};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::ProviderStatus;
use payorch_core::status::{FailureReason, PaymentStatus};

use crate::adapter::{JuspayConnector, money, rejected, routing_id};
use crate::mapping;
use crate::state::{self, AuthState, PaymentState};
use crate::wire::request as rq;
use crate::wire::response::OrderStatus;

/// Juspay's refund statuses that mean the refund did not happen.
const REFUND_FAILED: &[&str] = &["FAILURE", "FAILED"];

impl JuspayConnector {}

/// A payment outcome from an order view (no money moved: operations set `amount`).
fn outcome_of(order: &OrderStatus, like: Money, pstate: &PaymentState) -> PaymentOutcome {
    let (status, failure_reason, _) = mapping::payment_result(order, like);
    let gateway = order.payment_gateway_response.clone().unwrap_or_default();
    PaymentOutcome {
        status,
        amount: None,
        approval_code: gateway.auth_id_code.filter(|c| !c.is_empty()),
        // The RRN: the reference NPCI and the acquirer use for this payment.
        network_transaction_id: gateway.rrn.filter(|r| !r.is_empty()),
        failure_reason,
        provider_status: Some(mapping::order_status(order)),
        provider_reference: Some(pstate.txn_uuid.clone()).filter(|t| !t.is_empty()),
        connector_state: None,
    }
}

/// The payment's order and transaction: from its state, else from its authentication id
/// and provider reference (the `txn_uuid`).
fn payment_state(payment: &PaymentRecord) -> Result<PaymentState, ConnectorError> {
    match state::CODEC.decode::<PaymentState>(payment.connector_state.as_ref()) {
        Ok(s) => Ok(s),
        Err(err) => match (&payment.authentication_id, &payment.provider_reference) {
            (Some(authentication_id), Some(txn_uuid)) => Ok(PaymentState {
                order_id: mapping::order_id_for(authentication_id),
                txn_uuid: txn_uuid.clone(),
                auto_capture: true,
            }),
            _ => Err(err),
        },
    }
}

#[async_trait]
impl Payments for JuspayConnector {
    /// Authorize, Juspay style: the OTP already charged (or authorized) the order, so this
    /// reads the order and reports its transaction. The capture mode was fixed when the
    /// order was created; a different `capture` now is refused, not silently ignored.
    async fn authorize(
        &self,
        ctx: &CallContext,
        request: &AuthorizeRequest<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let auth: AuthState = state::CODEC.decode(request.authentication_state)?;
        if request.capture != auth.auto_capture {
            let message = if auth.auto_capture {
                "Juspay captured at authentication (the authentication was started with capture); authorize with capture"
            } else {
                "Juspay only authorized at authentication (the authentication was started without capture); authorize without capture, then capture"
            };
            return Err(rejected("CAPTURE_MODE_FIXED", message, Some("capture")));
        }
        let order = self.order(ctx, &auth.order_id).await?.ok_or_else(|| {
            ConnectorError::InvalidState("juspay knows no order for this authentication".into())
        })?;
        if let Some(amount) = mapping::minor_units(order.amount.as_ref(), request.amount)
            && amount != request.amount.minor_units()
        {
            return Err(rejected(
                "AMOUNT_MISMATCH",
                "the amount differs from the authenticated order's",
                Some("amount"),
            ));
        }
        let pstate = PaymentState {
            order_id: auth.order_id.clone(),
            txn_uuid: order.txn_uuid.clone().unwrap_or(auth.txn_uuid),
            auto_capture: auth.auto_capture,
        };
        let mut outcome = outcome_of(&order, request.amount, &pstate);
        if matches!(
            outcome.status,
            PaymentStatus::Captured | PaymentStatus::PartiallyCaptured
        ) {
            let (_, _, amounts) = mapping::payment_result(&order, request.amount);
            outcome.amount = Some(money(amounts.captured, request.amount));
        }
        outcome.connector_state = Some(state::CODEC.encode(&pstate)?);
        Ok(outcome)
    }

    /// `POST /v2/txns/{txn_uuid}/capture`. Juspay captures an authorization once; a
    /// partial capture releases the rest.
    async fn capture(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let pstate = payment_state(payment)?;
        let path = format!("/v2/txns/{}/capture", urlencoding::encode(&pstate.txn_uuid));
        let order: OrderStatus = self
            .post(
                ctx,
                "capture",
                &path,
                routing_id(&pstate.order_id),
                &rq::capture(amount),
            )
            .await?;
        let mut outcome = outcome_of(&order, payment.amount, &pstate);
        let (_, _, amounts) = mapping::payment_result(&order, payment.amount);
        let moved = amounts.captured - payment.captured.minor_units();
        outcome.amount = (moved > 0).then(|| money(moved, payment.amount));
        Ok(outcome)
    }

    /// `POST /v2/txns/{txn_uuid}/void`: releases an authorization (AUTHORIZED → VOIDED).
    async fn void(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let pstate = payment_state(payment)?;
        let path = format!("/v2/txns/{}/void", urlencoding::encode(&pstate.txn_uuid));
        let order: OrderStatus = self
            .post(
                ctx,
                "void",
                &path,
                routing_id(&pstate.order_id),
                &Vec::new(),
            )
            .await?;
        Ok(outcome_of(&order, payment.amount, &pstate))
    }

    /// `POST /orders/{order_id}/refunds` with payorch's refund id as `unique_request_id`,
    /// so a repeated request answers the first refund instead of refunding twice.
    async fn refund(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
        refund_id: &str,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let pstate = payment_state(payment)?;
        let path = format!("/orders/{}/refunds", urlencoding::encode(&pstate.order_id));
        let order: OrderStatus = self
            .post(
                ctx,
                "refund",
                &path,
                routing_id(&pstate.order_id),
                &rq::refund(refund_id, amount),
            )
            .await?;
        let refund = order
            .refunds
            .iter()
            .find(|r| r.unique_request_id.as_deref() == Some(refund_id))
            .ok_or_else(|| {
                ConnectorError::OutcomeUnknown("refund: the answer does not list the refund".into())
            })?;
        let refund_status = refund.status.clone().unwrap_or_default();
        let mut outcome = outcome_of(&order, payment.amount, &pstate);
        outcome.provider_status = Some(ProviderStatus {
            code: refund_status.clone(),
            message: refund.error_message.clone().unwrap_or_default(),
            raw_status: refund_status.clone(),
        });
        outcome.provider_reference = refund.id.clone();
        if REFUND_FAILED.contains(&refund_status.to_ascii_uppercase().as_str()) {
            outcome.status = payment.status;
            outcome.failure_reason = Some(FailureReason::ProviderError);
            outcome.amount = None;
        } else {
            // PENDING (sent to the bank) or SUCCESS: the money is on its way back.
            outcome.amount = Some(
                mapping::minor_units(refund.amount.as_ref(), amount)
                    .map_or(amount, |minor| money(minor, amount)),
            );
        }
        Ok(outcome)
    }

    /// Where the payment stands at Juspay (a read). A payment whose authorization answer
    /// was lost finds its order again from the authentication id.
    async fn sync_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let known = payment_state(payment).ok();
        let order_id = match (&known, &payment.authentication_id) {
            (Some(s), _) => s.order_id.clone(),
            (None, Some(authentication_id)) => mapping::order_id_for(authentication_id),
            (None, None) => {
                return Err(ConnectorError::InvalidState(
                    "no juspay order for this payment".into(),
                ));
            }
        };
        let order = self.order(ctx, &order_id).await?.ok_or_else(|| {
            ConnectorError::InvalidState("juspay knows no order for this payment".into())
        })?;
        let pstate = known.unwrap_or_else(|| PaymentState {
            order_id,
            txn_uuid: order.txn_uuid.clone().unwrap_or_default(),
            auto_capture: order
                .txn_detail
                .as_ref()
                .and_then(|d| d.auto_capture)
                .unwrap_or(true),
        });
        let mut outcome = outcome_of(&order, payment.amount, &pstate);
        if payment.connector_state.is_none() {
            outcome.connector_state = Some(state::CODEC.encode(&pstate)?);
        }
        Ok(outcome)
    }
}
