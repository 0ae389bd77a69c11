//! MandateService handlers (RuPay Standing Instructions).

use tonic::{Request, Response, Status};

use crate::api::mandate_service_server::MandateService;
use crate::api::{
    CancelMandateRequest, ChargeMandateRequest, GetMandateRequest, Mandate,
    MandateDebitNotification, MandateTerms, ModifyMandateRequest, NotifyMandateDebitRequest,
    Payment, RegisterMandateRequest,
};
use crate::grpc::handler::handle;
use crate::grpc::validate::Checks;
use crate::grpc::{Mandates, status};
use crate::ids::MANDATE_ID_PREFIX;

/// Standing Instructions are not in any open issue yet; the number points at the API issue
/// where they were specified.
const MANDATES_ISSUE: u32 = 2;

fn terms(checks: &mut Checks<'_>, terms: Option<&MandateTerms>) {
    match terms {
        None => {
            checks.required("terms", "");
        }
        Some(terms) => {
            checks.positive_money("terms.max_amount", terms.max_amount.as_ref());
            checks.optional_money("terms.min_amount", terms.min_amount.as_ref());
        }
    }
}

#[tonic::async_trait]
impl MandateService for Mandates {
    async fn register_mandate(
        &self,
        request: Request<RegisterMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("RegisterMandate", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .pinned_connector(&req.merchant_id, &req.connector)
                .payment_method(req.payment_method.as_ref())
                .browser(req.browser.as_ref())
                .url("return_url", &req.return_url)
                .free_text("mandate_reference", &req.mandate_reference);
            terms(&mut checks, req.terms.as_ref());
            checks.optional_money("registration_amount", req.registration_amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented(
                "RegisterMandate",
                MANDATES_ISSUE,
            ))
        })
        .await
    }

    async fn modify_mandate(
        &self,
        request: Request<ModifyMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("ModifyMandate", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX);
            terms(&mut checks, req.terms.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented("ModifyMandate", MANDATES_ISSUE))
        })
        .await
    }

    async fn cancel_mandate(
        &self,
        request: Request<CancelMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("CancelMandate", request, |req, _| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX)
                .free_text("reason", &req.reason)
                .finish()?;
            Err(status::not_yet_implemented("CancelMandate", MANDATES_ISSUE))
        })
        .await
    }

    async fn notify_mandate_debit(
        &self,
        request: Request<NotifyMandateDebitRequest>,
    ) -> Result<Response<MandateDebitNotification>, Status> {
        handle("NotifyMandateDebit", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX);
            checks.positive_money("amount", req.amount.as_ref());
            if req.debit_at.is_none() {
                checks.required("debit_at", "");
            }
            checks.finish()?;
            Err(status::not_yet_implemented(
                "NotifyMandateDebit",
                MANDATES_ISSUE,
            ))
        })
        .await
    }

    async fn charge_mandate(
        &self,
        request: Request<ChargeMandateRequest>,
    ) -> Result<Response<Payment>, Status> {
        handle("ChargeMandate", request, |req, _| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX)
                .required("notification_id", &req.notification_id)
                .order_reference("order_reference", &req.order_reference);
            checks.positive_money("amount", req.amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented("ChargeMandate", MANDATES_ISSUE))
        })
        .await
    }

    async fn get_mandate(
        &self,
        request: Request<GetMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("GetMandate", request, |req, _| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .resource_id("id", &req.id, MANDATE_ID_PREFIX)
                .finish()?;
            Err(status::not_yet_implemented("GetMandate", MANDATES_ISSUE))
        })
        .await
    }
}
