//! PaymentService handlers: validate, then hand over to the flows under the request's
//! idempotency key (GetPayment reads without one).

use tonic::{Request, Response, Status};

use crate::api::payment_service_server::PaymentService;
use crate::api::{
    AuthorizeRequest, CaptureRequest, GetPaymentRequest, Payment, RefundRequest, VoidRequest,
};
use crate::flows::payment::AuthorizeInput;
use crate::grpc::handler::handle;
use crate::grpc::validate::Checks;
use crate::grpc::{Payments, detached, resources, status};
use crate::ids::{AUTHENTICATION_ID_PREFIX, PAYMENT_ID_PREFIX};

#[tonic::async_trait]
impl PaymentService for Payments {
    async fn authorize(
        &self,
        request: Request<AuthorizeRequest>,
    ) -> Result<Response<Payment>, Status> {
        handle("Authorize", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .pinned_connector(&req.merchant_id, &req.connector)
                .order_reference("order_reference", &req.order_reference);
            let amount = checks.optional_money("amount", req.amount.as_ref());
            if req.authentication_id.is_empty() {
                // Only authenticated payments are authorized here: RuPay requires it, and
                // authorization without payer authentication is not offered for any brand.
                let card = checks.card(req.payment_method.as_ref());
                if amount.is_none() {
                    checks.positive_money("amount", req.amount.as_ref());
                }
                checks.finish()?;
                let rupay = card.is_some_and(|c| c.brand() == payorch_core::card::CardBrand::RuPay);
                return Err(status::with_reason(
                    tonic::Code::FailedPrecondition,
                    "AUTHENTICATION_REQUIRED",
                    if rupay {
                        "RuPay e-commerce payments need payer authentication: StartAuthentication, then Authorize with its authentication_id"
                    } else {
                        "payorch authorizes authenticated payments only: StartAuthentication, then Authorize with its authentication_id"
                    },
                ));
            }
            checks.resource_id(
                "authentication_id",
                &req.authentication_id,
                AUTHENTICATION_ID_PREFIX,
            );
            if req.payment_method.is_some() {
                checks.refuse(
                    "payment_method",
                    "must be unset with authentication_id: the authenticated card is used",
                );
            }
            checks.finish()?;
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("Authorize", &req, resources::payment, async move {
                    let req = owned;
                    let input = AuthorizeInput {
                        merchant_id: req.merchant_id,
                        authentication_id: req.authentication_id,
                        pinned_connector: req.connector,
                        amount,
                        capture: req.capture,
                        order_reference: req.order_reference,
                    };
                    flows.authorize(&input, deadline)
                        .await
                })
                .await
        })
        .await
    }

    async fn capture(&self, request: Request<CaptureRequest>) -> Result<Response<Payment>, Status> {
        handle("Capture", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("payment_id", &req.payment_id, PAYMENT_ID_PREFIX);
            let amount = checks.optional_money("amount", req.amount.as_ref());
            checks.finish()?;
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("Capture", &req, resources::payment, async move {
                    let req = owned;
                    flows
                        .capture(&req.merchant_id, &req.payment_id, amount, deadline)
                        .await
                })
                .await
        })
        .await
    }

    async fn void(&self, request: Request<VoidRequest>) -> Result<Response<Payment>, Status> {
        handle("Void", request, |req, deadline| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("payment_id", &req.payment_id, PAYMENT_ID_PREFIX)
                .free_text("reason", &req.reason)
                .finish()?;
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("Void", &req, resources::payment, async move {
                    let req = owned;
                    flows
                        .void(&req.merchant_id, &req.payment_id, &req.reason, deadline)
                        .await
                })
                .await
        })
        .await
    }

    async fn refund(&self, request: Request<RefundRequest>) -> Result<Response<Payment>, Status> {
        handle("Refund", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("payment_id", &req.payment_id, PAYMENT_ID_PREFIX)
                .free_text("reason", &req.reason);
            let amount = checks.optional_money("amount", req.amount.as_ref());
            checks.finish()?;
            // The idempotency key doubles as the provider's refund idempotency key.
            let refund_id = refund_id(&req.payment_id, &req.idempotency_key);
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("Refund", &req, resources::payment, async move {
                    let req = owned;
                    flows
                        .refund(
                            &req.merchant_id,
                            &req.payment_id,
                            amount,
                            &refund_id,
                            &req.reason,
                            deadline,
                        )
                        .await
                })
                .await
        })
        .await
    }

    async fn get_payment(
        &self,
        request: Request<GetPaymentRequest>,
    ) -> Result<Response<Payment>, Status> {
        handle("GetPayment", request, |req, deadline| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .resource_id("id", &req.id, PAYMENT_ID_PREFIX)
                .finish()?;
            // A refresh may store what the provider says: it runs to completion on its own.
            let flows = self.0.flows.clone();
            detached(async move {
                flows
                    .get_payment(&req.merchant_id, &req.id, req.refresh, deadline)
                    .await
                    .map(|payment| resources::payment(&payment))
                    .map_err(Status::from)
            })
            .await
        })
        .await
    }
}

/// The provider-side id of a refund: derived from the payment and the caller's idempotency
/// key, so a retried Refund reaches the provider under the same id (providers deduplicate by
/// it), and short enough for every provider's reference fields (35 characters).
fn refund_id(payment_id: &str, idempotency_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{payment_id}\0{idempotency_key}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("rf_{hex}")
}

#[cfg(test)]
mod tests {
    use super::refund_id;

    #[test]
    fn refund_ids_are_stable_short_and_distinct() {
        let a = refund_id("pay_1", "key-1");
        assert_eq!(a, refund_id("pay_1", "key-1"));
        assert_ne!(a, refund_id("pay_1", "key-2"));
        assert_ne!(a, refund_id("pay_2", "key-1"));
        assert_eq!(a.len(), 35);
        assert!(a.starts_with("rf_"));
    }
}
