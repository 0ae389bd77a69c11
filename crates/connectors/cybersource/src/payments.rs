//! Payments: authorization (with the payer authentication's proof), capture, reversal
//! (void) and refund, and the mapping of payment answers.

use crate::sync::{BILL, MAX_RELATED, Related, details_outcome, ran, unchanged};
use async_trait::async_trait;
use payorch_connector::Payments;
use payorch_connector::amounts::status_from_amounts;
use payorch_connector::http::Idempotence;
use payorch_connector::model::{AuthorizeRequest, PaymentOutcome};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::status::{FailureReason, PaymentStatus};
use std::collections::{HashSet, VecDeque};

use crate::adapter::{CybersourceConnector, card_info, order};
use crate::mapping;
use crate::state::{self, AuthState, CaptureRef, PaymentState};
use crate::wire::request as rq;
use crate::wire::response::Response;

pub(crate) const PAYMENTS: &str = "/pts/v2/payments";
/// RuPay's e-commerce indicator.
const COMMERCE_INDICATOR: &str = "rpy";

impl CybersourceConnector {
    pub(crate) fn payment_outcome(
        &self,
        body: &Response,
        like: Money,
        capture: bool,
    ) -> PaymentOutcome {
        let status_text = body.status.as_deref().unwrap_or_default();
        let processor = body.processor_information.clone().unwrap_or_default();
        let (status, failure_reason) = match status_text {
            "AUTHORIZED" | "AUTHORIZED_PENDING_REVIEW" => {
                let amounts = body
                    .order_information
                    .as_ref()
                    .and_then(|o| o.amount_details.clone())
                    .unwrap_or_default();
                let authorized = mapping::minor_units(
                    amounts
                        .authorized_amount
                        .as_deref()
                        .or(amounts.total_amount.as_deref()),
                    like,
                )
                .unwrap_or(like.minor_units());
                // A sale (`capture=true`) is captured in full by the same answer.
                let captured = if capture { authorized } else { 0 };
                (status_from_amounts(authorized, captured, 0), None)
            }
            "REVERSED" | "VOIDED" => (PaymentStatus::Voided, None),
            "PENDING_REVIEW" | "PENDING" => (PaymentStatus::Pending, None),
            "SERVER_ERROR" => (PaymentStatus::Unknown, Some(FailureReason::ProviderError)),
            "INVALID_REQUEST" => (PaymentStatus::Failed, Some(FailureReason::ProviderError)),
            _ => mapping::decline(body),
        };
        PaymentOutcome {
            status,
            amount: None,
            approval_code: processor.approval_code,
            network_transaction_id: processor.network_transaction_id,
            failure_reason,
            provider_status: Some(mapping::payment_status(body)),
            provider_reference: body.id.clone(),
            connector_state: None,
        }
    }
}

/// The full reversal of `payment`'s authorization. No `reversalInformation.reason`:
/// Cybersource's one documented value, `34`, reports suspected fraud, which a merchant's
/// void is not.
fn reversal(payment: &PaymentRecord) -> rq::ReversalRequest {
    rq::ReversalRequest {
        client_reference_information: rq::ClientReference {
            code: payment.id.clone(),
        },
        reversal_information: rq::ReversalInformation {
            amount_details: rq::AmountDetails {
                total_amount: payment.amount.to_decimal_string(),
                currency: Some(payment.amount.currency().code().to_owned()),
            },
        },
    }
}

fn payment_state(payment: &PaymentRecord) -> Result<PaymentState, ConnectorError> {
    match state::CODEC.decode::<PaymentState>(payment.connector_state.as_ref()) {
        Ok(s) => Ok(s),
        Err(err) => payment
            .provider_reference
            .clone()
            .map(|id| PaymentState {
                authorization_id: id,
                ..PaymentState::default()
            })
            .ok_or(err),
    }
}

/// The outcome of a follow-on (capture, reversal, refund): `status`, the `amount` it
/// moved, the provider's answer and the payment's updated state.
fn follow_on_outcome(
    status: PaymentStatus,
    amount: Option<Money>,
    answer: &Response,
    pstate: &PaymentState,
) -> Result<PaymentOutcome, ConnectorError> {
    Ok(PaymentOutcome {
        status,
        amount,
        approval_code: None,
        network_transaction_id: None,
        failure_reason: None,
        provider_status: Some(mapping::payment_status(answer)),
        provider_reference: answer.id.clone(),
        connector_state: Some(state::CODEC.encode(pstate)?),
    })
}

#[async_trait]
impl Payments for CybersourceConnector {
    async fn authorize(
        &self,
        ctx: &CallContext,
        request: &AuthorizeRequest<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let card = request.card.ok_or_else(|| {
            ConnectorError::InvalidState("Cybersource authorization needs the card".into())
        })?;
        let auth: AuthState = state::CODEC.decode(request.authentication_state)?;
        // Redirect: CAVV + XID; seamless: the validation's transaction token and id.
        let proof = rq::PaymentAuthentication {
            cavv: auth.cavv.clone(),
            xid: auth.cavv.as_ref().and(auth.xid.clone()),
            eci_raw: auth.eci.clone(),
            transaction_token: auth.transaction_token.clone(),
            authentication_transaction_id: (auth.cavv.is_none() && !auth.transaction_id.is_empty())
                .then(|| auth.transaction_id.clone()),
            transaction_flow_indicator: Some(self.config.transaction_flow_indicator.to_string()),
        };
        let body = rq::PaymentRequest {
            client_reference_information: rq::ClientReference {
                code: request.payment_id.to_owned(),
            },
            processing_information: rq::ProcessingInformation {
                commerce_indicator: auth
                    .indicator
                    .clone()
                    .unwrap_or_else(|| COMMERCE_INDICATOR.into()),
                capture: request.capture,
            },
            payment_information: card_info(card),
            order_information: order(request.amount),
            consumer_authentication_information: proof,
            device_information: (!auth.ip_address.is_empty()).then(|| rq::DeviceInformation {
                ip_address: auth.ip_address.clone(),
                http_accept_content: Some(auth.accept_header.clone()),
                user_agent: Some(auth.user_agent.clone()),
                ..rq::DeviceInformation::default()
            }),
            installment_information: None,
        };
        let answer = self
            .post(ctx, Idempotence::Write, "authorization", PAYMENTS, &body)
            .await?;
        let mut outcome = self.payment_outcome(&answer, request.amount, request.capture);
        if outcome.status == PaymentStatus::Captured {
            outcome.amount = Some(request.amount);
        }
        if let Some(id) = answer.id.clone() {
            outcome.connector_state = Some(state::CODEC.encode(&PaymentState {
                authorization_id: id,
                sale: request.capture && outcome.status == PaymentStatus::Captured,
                ..PaymentState::default()
            })?);
        }
        Ok(outcome)
    }

    async fn capture(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        let body = rq::AmountRequest {
            client_reference_information: rq::ClientReference {
                code: payment.id.clone(),
            },
            order_information: order(amount),
        };
        let path = format!("{PAYMENTS}/{}/captures", pstate.authorization_id);
        let answer = self
            .post(ctx, Idempotence::Write, "capture", &path, &body)
            .await?;
        if let Some(id) = answer.id.clone() {
            pstate.captures.push(CaptureRef {
                id,
                amount_minor: amount.minor_units(),
                refunded_minor: 0,
            });
        }
        let captured = payment.captured.minor_units() + amount.minor_units();
        follow_on_outcome(
            status_from_amounts(payment.amount.minor_units(), captured, 0),
            Some(amount),
            &answer,
            &pstate,
        )
    }

    async fn void(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        let body = reversal(payment);
        let path = format!("{PAYMENTS}/{}/reversals", pstate.authorization_id);
        let answer = self
            .post(ctx, Idempotence::Write, "reversal", &path, &body)
            .await?;
        pstate.reversal_id = answer.id.clone();
        let status = match answer.status.as_deref() {
            Some("REVERSED") | Some("VOIDED") => PaymentStatus::Voided,
            _ => payment.status,
        };
        follow_on_outcome(status, None, &answer, &pstate)
    }

    async fn refund(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
        refund_id: &str,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        // A capture that can cover the refund on its own is refunded by its id; a sale
        // (or a refund spanning captures) by the payment's.
        let capture = pstate
            .captures
            .iter_mut()
            .find(|c| c.amount_minor - c.refunded_minor >= amount.minor_units());
        let path = match &capture {
            Some(c) => format!("/pts/v2/captures/{}/refunds", c.id),
            None => format!("{PAYMENTS}/{}/refunds", pstate.authorization_id),
        };
        let body = rq::AmountRequest {
            client_reference_information: rq::ClientReference {
                code: refund_id.to_owned(),
            },
            order_information: order(amount),
        };
        let answer = self
            .post(ctx, Idempotence::Write, "refund", &path, &body)
            .await?;
        if let Some(c) = capture {
            c.refunded_minor += amount.minor_units();
        }
        if let Some(id) = answer.id.clone() {
            pstate.refund_ids.push(id);
        }
        let refunded = payment.refunded.minor_units() + amount.minor_units();
        follow_on_outcome(
            status_from_amounts(
                payment.amount.minor_units(),
                payment.captured.minor_units(),
                refunded,
            ),
            Some(amount),
            &answer,
            &pstate,
        )
    }

    /// A payment read back through Transaction Details (`GET /tss/v2/transactions/{id}`,
    /// Cybersource's documented read): the authorization, then every transaction related
    /// to it (captures, reversal, refunds, voids, followed through their own
    /// `relatedTransactions`, plus those payorch recorded). Only reads are made, so a
    /// refresh never repeats a state-changing call. A transaction not found (the details
    /// index lags) leaves the stored status.
    async fn sync_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let pstate = state::CODEC
            .decode::<PaymentState>(payment.connector_state.as_ref())
            .ok();
        let known = pstate
            .as_ref()
            .map(|s| s.authorization_id.clone())
            .or(payment.provider_reference.clone());
        let (id, found_by_search) = match known {
            Some(id) => (id, false),
            None => match self.find_payment(ctx, payment).await? {
                Some(id) => (id, true),
                // Nothing found (yet: searches lag): still unknown.
                None => return Ok(unchanged(payment)),
            },
        };
        let Some(root) = self.details(ctx, &id).await? else {
            return Ok(unchanged(payment));
        };
        let mut queue: VecDeque<String> = root.related_ids().into();
        if let Some(s) = &pstate {
            queue.extend(s.captures.iter().map(|c| c.id.clone()));
            queue.extend(s.refund_ids.iter().cloned());
            queue.extend(s.reversal_id.iter().cloned());
        }
        let mut seen = HashSet::from([id.clone()]);
        let mut related = Vec::new();
        while let Some(next) = queue.pop_front() {
            if related.len() >= MAX_RELATED {
                break;
            }
            if !seen.insert(next.clone()) {
                continue;
            }
            let Some(found) = self.details(ctx, &next).await? else {
                return Ok(unchanged(payment));
            };
            queue.extend(found.related_ids());
            related.push(Related {
                id: next,
                details: found,
            });
        }
        let mut outcome = details_outcome(&id, &root, &related, payment);
        outcome.provider_reference = Some(id.clone());
        if found_by_search {
            outcome.connector_state = Some(state::CODEC.encode(&PaymentState {
                authorization_id: id,
                sale: ran(&root, BILL),
                ..PaymentState::default()
            })?);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use payorch_connector::testing::{card, inr, new_payment, new_session};

    use super::*;

    #[test]
    fn a_void_claims_no_fraud() {
        let session = new_session(
            "cybersource",
            "auth_1",
            card("5085000000000015"),
            inr(10_000),
        );
        let payment = new_payment("cybersource", "pay_1", &session);
        let body = serde_json::to_value(reversal(&payment)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "clientReferenceInformation": {"code": "pay_1"},
                "reversalInformation": {"amountDetails": {"totalAmount": "100.00", "currency": "INR"}},
            })
        );
    }
}
