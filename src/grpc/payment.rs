//! PaymentService handlers.

use tonic::{Request, Response, Status};

use crate::api::payment_service_server::PaymentService;
use crate::api::{
    AuthorizeRequest, CaptureRequest, GetPaymentRequest, Payment, RefundRequest, VoidRequest,
};
use crate::grpc::observe::observed;
use crate::grpc::validate::{AUTHENTICATION_ID_PREFIX, Checks, PAYMENT_ID_PREFIX};
use crate::grpc::{Payments, status};

/// The issue that lands payments (with the first adapter).
const PAYMENTS_ISSUE: u32 = 4;

#[tonic::async_trait]
impl PaymentService for Payments {
    async fn authorize(
        &self,
        request: Request<AuthorizeRequest>,
    ) -> Result<Response<Payment>, Status> {
        observed("Authorize", async {
            let req = request.into_inner();
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                )
                .pinned_connector(&req.merchant_id, &req.connector)
                .reference("order_reference", &req.order_reference);
            checks.positive_money("amount", req.amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented("Authorize", PAYMENTS_ISSUE))
        })
        .await
    }

    async fn capture(&self, request: Request<CaptureRequest>) -> Result<Response<Payment>, Status> {
        observed("Capture", async {
            let req = request.into_inner();
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("payment_id", &req.payment_id, PAYMENT_ID_PREFIX);
            checks.optional_money("amount", req.amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented("Capture", PAYMENTS_ISSUE))
        })
        .await
    }

    async fn void(&self, request: Request<VoidRequest>) -> Result<Response<Payment>, Status> {
        observed("Void", async {
            let req = request.into_inner();
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("payment_id", &req.payment_id, PAYMENT_ID_PREFIX)
                .reference("reason", &req.reason)
                .finish()?;
            Err(status::not_yet_implemented("Void", PAYMENTS_ISSUE))
        })
        .await
    }

    async fn refund(&self, request: Request<RefundRequest>) -> Result<Response<Payment>, Status> {
        observed("Refund", async {
            let req = request.into_inner();
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("payment_id", &req.payment_id, PAYMENT_ID_PREFIX)
                .reference("reason", &req.reason);
            checks.optional_money("amount", req.amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented("Refund", PAYMENTS_ISSUE))
        })
        .await
    }

    async fn get_payment(
        &self,
        request: Request<GetPaymentRequest>,
    ) -> Result<Response<Payment>, Status> {
        observed("GetPayment", async {
            let req = request.into_inner();
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .resource_id("id", &req.id, PAYMENT_ID_PREFIX)
                .finish()?;
            Err(status::not_yet_implemented("GetPayment", PAYMENTS_ISSUE))
        })
        .await
    }
}
