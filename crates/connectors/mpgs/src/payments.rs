//! Payments on the authentication's order: AUTHORIZE or PAY naming the authentication
//! transaction, CAPTURE, VOID and REFUND, and Retrieve Order for status. Money moved by a
//! follow-on is read from the order totals the gateway answers with.

use async_trait::async_trait;
use payorch_connector::Payments;
use payorch_connector::model::{AuthorizeRequest, PaymentOutcome};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::money::{Currency, Money};
use payorch_core::payment::PaymentRecord;
use payorch_core::status::PaymentStatus;

use crate::adapter::{self, MpgsConnector};
use crate::ids;
use crate::mapping::{self, Totals};
use crate::state::{self, AuthState, FollowOn, PaymentState};
use crate::wire::request as rq;
use crate::wire::response::{OrderResponse, TransactionResponse};

impl MpgsConnector {}

fn follow_on(operation: &'static str, amount: Money) -> rq::TransactionRequest {
    rq::TransactionRequest {
        api_operation: operation,
        transaction: Some(rq::Transaction {
            amount: Some(amount.to_decimal_string()),
            currency: Some(amount.currency().code().to_owned()),
            target_transaction_id: None,
        }),
        ..rq::TransactionRequest::default()
    }
}

/// What an AUTHORIZE / PAY answer (or the authorization transaction of an order) says.
fn payment_outcome(answer: &TransactionResponse, capture: bool) -> PaymentOutcome {
    let (status, failure_reason) = if mapping::approved(answer) {
        let captured = capture
            || answer.transaction.as_ref().and_then(|t| t.kind.as_deref()) == Some("PAYMENT");
        let status = if captured {
            PaymentStatus::Captured
        } else {
            PaymentStatus::Authorized
        };
        (status, None)
    } else {
        mapping::decline(answer)
    };
    PaymentOutcome {
        status,
        amount: None,
        approval_code: answer
            .transaction
            .as_ref()
            .and_then(|t| t.authorization_code.clone()),
        network_transaction_id: answer
            .authorization_response
            .as_ref()
            .and_then(|a| a.transaction_identifier.clone()),
        failure_reason,
        provider_status: Some(mapping::payment_status(answer)),
        provider_reference: None,
        connector_state: None,
    }
}

/// A CAPTURE or REFUND answer: the payment's status from the order the gateway answers
/// with (falling back on payorch's own arithmetic when it carries no totals).
fn follow_on_outcome(
    answer: &TransactionResponse,
    payment: &PaymentRecord,
    moved: Option<Money>,
    expected: Totals,
    transaction_id: String,
    pstate: &PaymentState,
) -> Result<PaymentOutcome, ConnectorError> {
    let (status, failure_reason) = match moved {
        Some(_) => {
            let currency = payment.amount.currency();
            let order = answer.order.clone().unwrap_or_default();
            let totals = match (
                mapping::minor_units(order.total_authorized_amount.as_ref(), currency),
                mapping::minor_units(order.total_captured_amount.as_ref(), currency),
                mapping::minor_units(order.total_refunded_amount.as_ref(), currency),
            ) {
                (Some(authorized), Some(captured), Some(refunded)) => Totals {
                    authorized,
                    captured,
                    refunded,
                },
                _ => expected,
            };
            (
                mapping::order_payment_status(order.status.as_deref(), totals),
                None,
            )
        }
        None => (payment.status, mapping::decline(answer).1),
    };
    Ok(PaymentOutcome {
        status,
        amount: moved,
        approval_code: None,
        network_transaction_id: None,
        failure_reason,
        provider_status: Some(mapping::payment_status(answer)),
        provider_reference: Some(transaction_id),
        connector_state: Some(state::CODEC.encode(pstate)?),
    })
}

/// The payment's state, or (when the authorization's answer was lost and none was stored)
/// the ids payorch would have used.
fn payment_state(payment: &PaymentRecord) -> PaymentState {
    state::CODEC
        .decode::<PaymentState>(payment.connector_state.as_ref())
        .unwrap_or_else(|_| PaymentState {
            order_id: ids::order_id(payment.authentication_id.as_deref().unwrap_or(&payment.id)),
            transaction_id: ids::authorization_transaction_id(&payment.id),
            ..PaymentState::default()
        })
}

/// The state as the order's transactions show it (captures and refunds made whose answers
/// were lost included, so the next capture's id does not collide).
fn rebuilt_state(order: &OrderResponse, known: PaymentState, currency: Currency) -> PaymentState {
    let mut rebuilt = PaymentState {
        captures: Vec::new(),
        refunds: Vec::new(),
        ..known
    };
    for t in &order.transaction {
        let Some(body) = &t.transaction else { continue };
        let (Some(id), Some(kind)) = (body.id.clone(), body.kind.as_deref()) else {
            continue;
        };
        let amount_minor = mapping::minor_units(body.amount.as_ref(), currency).unwrap_or(0);
        match kind {
            "CAPTURE" => rebuilt.captures.push(FollowOn {
                transaction_id: id,
                amount_minor,
            }),
            "REFUND" => rebuilt.refunds.push(FollowOn {
                transaction_id: id,
                amount_minor,
            }),
            "PAYMENT" if id == rebuilt.transaction_id => rebuilt.sale = true,
            k if k.starts_with("VOID_")
                && body.target_transaction_id.as_deref()
                    == Some(rebuilt.transaction_id.as_str()) =>
            {
                rebuilt.void_transaction_id = Some(id);
            }
            _ => {}
        }
    }
    rebuilt
}

#[async_trait]
impl Payments for MpgsConnector {
    async fn authorize(
        &self,
        ctx: &CallContext,
        request: &AuthorizeRequest<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let auth: Option<AuthState> = match request.authentication_state {
            Some(s) => Some(state::CODEC.decode(Some(s))?),
            None => None,
        };
        let order_id = auth
            .as_ref()
            .map_or_else(|| ids::order_id(request.payment_id), |a| a.order_id.clone());
        let transaction_id = ids::authorization_transaction_id(request.payment_id);
        let token = request.card.is_some_and(|c| c.is_network_token());
        let operation = if request.capture { "pay" } else { "authorize" };
        let body = rq::TransactionRequest {
            api_operation: if request.capture { "PAY" } else { "AUTHORIZE" },
            order: Some(adapter::order(
                Some(request.amount),
                request.amount.currency().code(),
            )),
            // Only the id: the gateway uses the results it stored during authentication.
            authentication: auth.as_ref().map(|a| rq::Authentication {
                transaction_id: Some(a.transaction_id.clone()),
                ..rq::Authentication::default()
            }),
            source_of_funds: request.card.map(|c| adapter::source_of_funds(c, true)),
            device: auth
                .as_ref()
                .filter(|a| !a.ip_address.is_empty())
                .map(|a| rq::Device {
                    ip_address: Some(a.ip_address.clone()),
                    browser: (!a.user_agent.is_empty()).then(|| a.user_agent.clone()),
                    browser_details: None,
                }),
            ..rq::TransactionRequest::default()
        };
        let answer = self
            .put(ctx, operation, &order_id, &transaction_id, &body, token)
            .await?;
        let mut outcome = payment_outcome(&answer, request.capture);
        if outcome.status == PaymentStatus::Captured {
            outcome.amount = Some(request.amount);
        }
        outcome.provider_reference = Some(transaction_id.clone());
        outcome.connector_state = Some(state::CODEC.encode(&PaymentState {
            order_id,
            transaction_id,
            sale: request.capture,
            ..PaymentState::default()
        })?);
        Ok(outcome)
    }

    async fn capture(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment);
        let mut n = pstate.captures.len() + 1;
        let mut transaction_id = ids::capture_transaction_id(&payment.id, n);
        while pstate
            .captures
            .iter()
            .any(|c| c.transaction_id == transaction_id)
        {
            n += 1;
            transaction_id = ids::capture_transaction_id(&payment.id, n);
        }
        let body = follow_on("CAPTURE", amount);
        let answer = self
            .put(
                ctx,
                "capture",
                &pstate.order_id,
                &transaction_id,
                &body,
                false,
            )
            .await?;
        let moved = mapping::approved(&answer);
        if moved {
            pstate.captures.push(FollowOn {
                transaction_id: transaction_id.clone(),
                amount_minor: amount.minor_units(),
            });
        }
        let expected = Totals {
            authorized: payment.amount.minor_units(),
            captured: payment.captured.minor_units() + amount.minor_units(),
            refunded: payment.refunded.minor_units(),
        };
        follow_on_outcome(
            &answer,
            payment,
            moved.then_some(amount),
            expected,
            transaction_id,
            &pstate,
        )
    }

    async fn void(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment);
        let transaction_id = ids::void_transaction_id(&payment.id);
        let body = rq::TransactionRequest {
            api_operation: "VOID",
            transaction: Some(rq::Transaction {
                target_transaction_id: Some(pstate.transaction_id.clone()),
                ..rq::Transaction::default()
            }),
            ..rq::TransactionRequest::default()
        };
        let answer = self
            .put(ctx, "void", &pstate.order_id, &transaction_id, &body, false)
            .await?;
        let voided = mapping::approved(&answer);
        if voided {
            pstate.void_transaction_id = Some(transaction_id.clone());
        }
        let (status, failure_reason) = if voided {
            (PaymentStatus::Voided, None)
        } else {
            (payment.status, mapping::decline(&answer).1)
        };
        Ok(PaymentOutcome {
            status,
            amount: None,
            approval_code: None,
            network_transaction_id: None,
            failure_reason,
            provider_status: Some(mapping::payment_status(&answer)),
            provider_reference: Some(transaction_id),
            connector_state: Some(state::CODEC.encode(&pstate)?),
        })
    }

    async fn refund(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
        refund_id: &str,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment);
        let transaction_id = ids::refund_transaction_id(refund_id);
        let body = follow_on("REFUND", amount);
        let answer = self
            .put(
                ctx,
                "refund",
                &pstate.order_id,
                &transaction_id,
                &body,
                false,
            )
            .await?;
        let moved = mapping::approved(&answer);
        if moved {
            pstate.refunds.push(FollowOn {
                transaction_id: transaction_id.clone(),
                amount_minor: amount.minor_units(),
            });
        }
        let expected = Totals {
            authorized: payment.amount.minor_units(),
            captured: payment.captured.minor_units(),
            refunded: payment.refunded.minor_units() + amount.minor_units(),
        };
        follow_on_outcome(
            &answer,
            payment,
            moved.then_some(amount),
            expected,
            transaction_id,
            &pstate,
        )
    }

    /// Retrieve Order: the authorization transaction (found by payorch's id, so this works
    /// even when the authorization's answer was lost) and the order's status and totals.
    /// The connector state is rebuilt from the order's transactions.
    async fn sync_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let known = payment_state(payment);
        let order: OrderResponse = self.retrieve_order(ctx, &known.order_id).await?;
        let Some(authorization) = order
            .transaction
            .iter()
            .find(|t| t.transaction_id() == Some(known.transaction_id.as_str()))
        else {
            // Not there: the authorization never reached the gateway (or not yet).
            return Ok(PaymentOutcome {
                status: payment.status,
                amount: None,
                approval_code: None,
                network_transaction_id: None,
                failure_reason: None,
                provider_status: None,
                provider_reference: None,
                connector_state: None,
            });
        };
        let currency = order
            .currency
            .as_deref()
            .and_then(|c| Currency::parse(c).ok())
            .unwrap_or(payment.amount.currency());
        let mut outcome = if mapping::approved(authorization) {
            let totals = Totals {
                authorized: mapping::minor_units(order.total_authorized_amount.as_ref(), currency)
                    .unwrap_or(0),
                captured: mapping::minor_units(order.total_captured_amount.as_ref(), currency)
                    .unwrap_or(0),
                refunded: mapping::minor_units(order.total_refunded_amount.as_ref(), currency)
                    .unwrap_or(0),
            };
            let mut o = payment_outcome(authorization, false);
            o.status = mapping::order_payment_status(order.status.as_deref(), totals);
            o
        } else {
            payment_outcome(authorization, false)
        };
        outcome.provider_reference = Some(known.transaction_id.clone());
        outcome.connector_state =
            Some(state::CODEC.encode(&rebuilt_state(&order, known, currency))?);
        Ok(outcome)
    }
}
