//! Authorization (`PaymentCardSaleTransaction` with capture, `PaymentCardPreAuthTransaction`
//! without) naming the payer authentication's `ipgTransactionId` and order; capture, void
//! and refund as secondary transactions (`PostAuthTransaction`, `VoidTransaction`,
//! `ReturnTransaction`) on `POST /payments/{ipgTransactionId}`; status by order inquiry,
//! which lists every transaction of the order (a transaction inquiry of the pre-auth alone
//! does not show its captures and returns).

use async_trait::async_trait;
use payorch_connector::CallContext;
use payorch_connector::ConnectorError;
use payorch_connector::Payments;
use payorch_connector::amounts::status_from_amounts;
use payorch_connector::http::Idempotence;
use payorch_connector::model::{AuthorizeRequest, PaymentOutcome};
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::status::PaymentStatus;
use reqwest::Method;

use crate::adapter::{FiservIpgConnector, payment_path};
use crate::mapping;
use crate::state::{self, AuthState, PaymentState, TxnRef};
use crate::wire::request::{self as rq, Amount, IpgId, Order, PaymentMethod};
use crate::wire::response::Response;

/// `merchantTransactionId`'s limit in the schema.
const MERCHANT_TRANSACTION_ID_MAX: usize = 40;

impl FiservIpgConnector {
    /// The authorization request and the authentication state it names.
    pub(crate) fn primary_body(
        &self,
        request: &AuthorizeRequest<'_>,
    ) -> Result<(AuthState, rq::PrimaryTransaction), ConnectorError> {
        let auth = match state::CODEC.decode::<AuthState>(request.authentication_state) {
            Ok(auth) => auth,
            Err(err) => AuthState {
                ipg_transaction_id: request
                    .authentication_reference
                    .map(str::to_owned)
                    .ok_or(err)?,
                ..AuthState::default()
            },
        };
        let body = rq::PrimaryTransaction {
            request_type: if request.capture {
                rq::SALE
            } else {
                rq::PRE_AUTH
            },
            store_id: self.store_id(),
            transaction_amount: Amount::of(request.amount)?,
            order: (!auth.order_id.is_empty()).then(|| Order {
                order_id: auth.order_id.clone(),
            }),
            ipg_transaction_id: Some(IpgId(auth.ipg_transaction_id.clone())),
            payment_method: request.card.map(PaymentMethod::of),
        };
        Ok((auth, body))
    }

    /// A secondary transaction's request (`amount` `None` for a void).
    pub(crate) fn secondary_body(
        &self,
        request_type: &'static str,
        amount: Option<Money>,
        merchant_transaction_id: Option<&str>,
    ) -> Result<rq::SecondaryTransaction, ConnectorError> {
        Ok(rq::SecondaryTransaction {
            request_type,
            store_id: self.store_id(),
            merchant_transaction_id: merchant_transaction_id
                .filter(|id| id.len() <= MERCHANT_TRANSACTION_ID_MAX)
                .map(str::to_owned),
            transaction_amount: amount.map(Amount::of).transpose()?,
        })
    }

    async fn secondary(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        pstate: &PaymentState,
        body: &rq::SecondaryTransaction,
    ) -> Result<Response, ConnectorError> {
        let answer = self
            .send_json(
                ctx,
                Idempotence::Write,
                operation,
                Method::POST,
                &payment_path(&pstate.transaction_id),
                body,
            )
            .await?;
        if answer.status() == "APPROVED" {
            Ok(answer)
        } else {
            // A secondary transaction IPG declined changed nothing.
            Err(ConnectorError::Rejected {
                status: mapping::payment_status(&answer),
                caller_field: None,
            })
        }
    }
}

/// A sale's or pre-auth's answer (also a 422 decline).
fn primary_outcome(answer: &Response, sale: bool) -> PaymentOutcome {
    let (status, failure_reason) = match answer.status() {
        _ if answer.voided() => (PaymentStatus::Voided, None),
        "APPROVED" if sale => (PaymentStatus::Captured, None),
        "APPROVED" => (PaymentStatus::Authorized, None),
        "WAITING" => (PaymentStatus::Pending, None),
        _ => mapping::decline(answer),
    };
    let processor = answer.processor.clone().unwrap_or_default();
    PaymentOutcome {
        status,
        amount: None,
        approval_code: processor
            .authorization_code
            .filter(|_| status != PaymentStatus::Declined),
        network_transaction_id: answer.scheme_transaction_id.clone(),
        failure_reason,
        provider_status: Some(mapping::payment_status(answer)),
        provider_reference: answer.ipg_transaction_id.clone(),
        connector_state: None,
    }
}

fn secondary_outcome(
    answer: &Response,
    status: PaymentStatus,
    amount: Option<Money>,
    pstate: &PaymentState,
) -> Result<PaymentOutcome, ConnectorError> {
    Ok(PaymentOutcome {
        status,
        amount,
        approval_code: None,
        network_transaction_id: None,
        failure_reason: None,
        provider_status: Some(mapping::payment_status(answer)),
        provider_reference: answer.ipg_transaction_id.clone(),
        connector_state: Some(state::CODEC.encode(pstate)?),
    })
}

fn unchanged(payment: &PaymentRecord) -> PaymentOutcome {
    PaymentOutcome {
        status: payment.status,
        amount: None,
        approval_code: None,
        network_transaction_id: None,
        failure_reason: payment.failure_reason,
        provider_status: None,
        provider_reference: None,
        connector_state: None,
    }
}

fn amount_of(answer: &Response, like: Money) -> Option<i64> {
    let amount = answer
        .approved_amount
        .as_ref()
        .or(answer.transaction_amount.as_ref())?;
    mapping::minor_units(amount.total.as_deref(), like)
}

fn payment_state(payment: &PaymentRecord) -> Result<PaymentState, ConnectorError> {
    match state::CODEC.decode::<PaymentState>(payment.connector_state.as_ref()) {
        Ok(s) => Ok(s),
        Err(err) => payment
            .provider_reference
            .clone()
            .map(|id| PaymentState {
                transaction_id: id,
                ..PaymentState::default()
            })
            .ok_or(err),
    }
}

#[async_trait]
impl Payments for FiservIpgConnector {
    async fn authorize(
        &self,
        ctx: &CallContext,
        request: &AuthorizeRequest<'_>,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let (auth, body) = self.primary_body(request)?;
        let answer = self
            .send_json(
                ctx,
                Idempotence::Write,
                "authorize",
                Method::POST,
                "/payments",
                &body,
            )
            .await?;
        let mut outcome = primary_outcome(&answer, request.capture);
        if outcome.status == PaymentStatus::Captured {
            outcome.amount = Some(request.amount);
        }
        if let Some(id) = answer.ipg_transaction_id.clone() {
            outcome.connector_state = Some(state::CODEC.encode(&PaymentState {
                transaction_id: id,
                order_id: answer.order_id.clone().unwrap_or(auth.order_id),
                sale: request.capture,
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
        let body = self.secondary_body(rq::POST_AUTH, Some(amount), None)?;
        let answer = self.secondary(ctx, "capture", &pstate, &body).await?;
        if let Some(id) = answer.ipg_transaction_id.clone() {
            pstate.captures.push(TxnRef {
                id,
                amount_minor: amount.minor_units(),
            });
        }
        let captured = payment.captured.minor_units() + amount.minor_units();
        secondary_outcome(
            &answer,
            status_from_amounts(payment.amount.minor_units(), captured, 0),
            Some(amount),
            &pstate,
        )
    }

    async fn void(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        let body = self.secondary_body(rq::VOID, None, None)?;
        let answer = self.secondary(ctx, "void", &pstate, &body).await?;
        pstate.void_id = answer.ipg_transaction_id.clone();
        secondary_outcome(&answer, PaymentStatus::Voided, None, &pstate)
    }

    async fn refund(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
        amount: Money,
        refund_id: &str,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let mut pstate = payment_state(payment)?;
        // payorch's refund id, so the return can be matched in IPG's reports.
        let body = self.secondary_body(rq::RETURN, Some(amount), Some(refund_id))?;
        let answer = self.secondary(ctx, "refund", &pstate, &body).await?;
        if let Some(id) = answer.ipg_transaction_id.clone() {
            pstate.returns.push(TxnRef {
                id,
                amount_minor: amount.minor_units(),
            });
        }
        let refunded = payment.refunded.minor_units() + amount.minor_units();
        secondary_outcome(
            &answer,
            status_from_amounts(
                payment.amount.minor_units(),
                payment.captured.minor_units(),
                refunded,
            ),
            Some(amount),
            &pstate,
        )
    }

    /// Where the payment stands, from its order: the sale or pre-auth, then every
    /// post-auth, return and void on it. The order is found by the state, or (when the
    /// authorization's answer was lost) by the authentication id, which names the order.
    async fn sync_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let known = state::CODEC
            .decode::<PaymentState>(payment.connector_state.as_ref())
            .ok();
        let order_id = known
            .as_ref()
            .map(|s| s.order_id.clone())
            .filter(|o| !o.is_empty())
            .or_else(|| payment.authentication_id.clone());
        let Some(order_id) = order_id else {
            // No order to look in: the transaction itself, when its id is known.
            let id = known
                .map(|s| s.transaction_id)
                .or_else(|| payment.provider_reference.clone())
                .ok_or_else(|| {
                    ConnectorError::InvalidState(
                        "no IPG order or transaction on this payment".into(),
                    )
                })?;
            let answer = self.inquiry(ctx, "inquiry", &id).await?;
            return Ok(primary_outcome(&answer, answer.kind() == "SALE"));
        };
        let Some(order) = self.order(ctx, &order_id).await? else {
            return Ok(unchanged(payment));
        };
        let wanted = known
            .as_ref()
            .map(|s| s.transaction_id.clone())
            .or_else(|| payment.provider_reference.clone());
        let primaries: Vec<&Response> = order
            .transactions
            .iter()
            .filter(|t| matches!(t.kind(), "SALE" | "PREAUTH"))
            .collect();
        let primary = match &wanted {
            Some(id) => primaries
                .iter()
                .find(|t| t.ipg_transaction_id.as_deref() == Some(id.as_str())),
            None => primaries
                .iter()
                .rev()
                .find(|t| t.status() == "APPROVED")
                .or(primaries.last()),
        };
        // No authorization in the order (yet): nothing to report beyond what is stored.
        let Some(primary) = primary.copied() else {
            return Ok(unchanged(payment));
        };
        let sale = primary.kind() == "SALE";
        let mut outcome = primary_outcome(primary, sale);
        let id = primary.ipg_transaction_id.clone().unwrap_or_default();
        let mut pstate = PaymentState {
            transaction_id: id,
            order_id: order_id.clone(),
            sale,
            ..PaymentState::default()
        };
        let approved = |kind: &str| {
            order
                .transactions
                .iter()
                .filter(move |t| t.kind() == kind && t.status() == "APPROVED")
                .filter_map(|t| {
                    Some(TxnRef {
                        id: t.ipg_transaction_id.clone()?,
                        amount_minor: amount_of(t, payment.amount)?,
                    })
                })
                .collect::<Vec<_>>()
        };
        pstate.captures = approved("POSTAUTH");
        pstate.returns = approved("RETURN");
        pstate.void_id = approved("VOID").first().map(|v| v.id.clone());
        if matches!(
            outcome.status,
            PaymentStatus::Authorized | PaymentStatus::Captured
        ) {
            let authorized =
                amount_of(primary, payment.amount).unwrap_or(payment.amount.minor_units());
            let captured = if sale {
                authorized
            } else {
                pstate.captures.iter().map(|c| c.amount_minor).sum()
            };
            let refunded: i64 = pstate.returns.iter().map(|r| r.amount_minor).sum();
            let voided = primary.voided()
                || (pstate.void_id.is_some() && refunded == 0 && (sale || captured == 0));
            outcome.status = if voided {
                PaymentStatus::Voided
            } else {
                status_from_amounts(authorized, captured, refunded)
            };
        }
        outcome.connector_state = Some(state::CODEC.encode(&pstate)?);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use payorch_core::status::PaymentStatus;

    use super::primary_outcome;
    use crate::wire::response::Response;

    fn answer(json: &str) -> Response {
        serde_json::from_str(json).unwrap()
    }

    /// The spec's fields decide: `transactionState` says VOIDED (`transactionStatus` and
    /// `transactionResult` have no such value), `transactionResult` replaces the
    /// deprecated `transactionStatus`.
    #[test]
    fn voided_and_results_come_from_the_spec_fields() {
        let voided = answer(
            r#"{"ipgTransactionId":"84","transactionType":"SALE","transactionStatus":"APPROVED","transactionState":"VOIDED"}"#,
        );
        assert_eq!(primary_outcome(&voided, true).status, PaymentStatus::Voided);
        assert_eq!(
            primary_outcome(&voided, false).status,
            PaymentStatus::Voided
        );
        let captured = answer(
            r#"{"transactionType":"SALE","transactionStatus":"APPROVED","transactionState":"CAPTURED"}"#,
        );
        assert_eq!(
            primary_outcome(&captured, true).status,
            PaymentStatus::Captured
        );
        let result_only = answer(r#"{"transactionType":"PREAUTH","transactionResult":"APPROVED"}"#);
        assert_eq!(
            primary_outcome(&result_only, false).status,
            PaymentStatus::Authorized
        );
        let declined = answer(
            r#"{"transactionResult":"DECLINED","transactionStatus":"APPROVED","processor":{"responseCode":"05"}}"#,
        );
        assert_eq!(
            primary_outcome(&declined, true).status,
            PaymentStatus::Declined
        );
        // An undocumented status value is not a void.
        let odd = answer(r#"{"transactionStatus":"VOIDED","transactionState":"CAPTURED"}"#);
        assert_ne!(primary_outcome(&odd, true).status, PaymentStatus::Voided);
    }
}
