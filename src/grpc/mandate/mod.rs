//! MandateService handlers (RuPay Standing Instructions): validate, then hand over to the
//! mandate flows under the request's idempotency key (GetMandate reads without one).

mod answers;
mod terms;

use payorch_core::money::{Currency, Money};
use tonic::{Request, Response, Status};

use crate::api::mandate_service_server::MandateService;
use crate::api::{
    CancelMandateRequest, ChargeMandateRequest, GetMandateRequest, Mandate, MandateAlertPreference,
    MandateDebitNotification, ModifyMandateRequest, NotifyMandateDebitRequest, Payment,
    RegisterMandateRequest,
};
use crate::flows::mandate::{CancelInput, ChargeInput, ModifyInput, NotifyInput, RegisterInput};
use crate::grpc::authentication::{browser, preferred_flow};
use crate::grpc::handler::handle;
use crate::grpc::validate::Checks;
use crate::grpc::{Mandates, detached, resources};
use crate::ids::MANDATE_ID_PREFIX;

impl Mandates {
    /// The largest debit without additional authentication for this merchant's category:
    /// what an unset `terms.max_amount` stands for.
    fn default_max(&self, merchant_id: &str) -> Money {
        let settings = &self.0.settings;
        let category = settings
            .merchants
            .iter()
            .find(|m| m.id == merchant_id)
            .and_then(|m| m.category.as_deref());
        let limit = settings.mandates.limits().afa_free_limit(category);
        Money::from_minor(limit, Currency::INR)
    }
}

/// A card the caller may send (`None` when the request has none; checked when present).
fn optional_card(
    checks: &mut Checks<'_>,
    method: Option<&crate::api::PaymentMethod>,
) -> Option<payorch_core::card::Card> {
    method.and_then(|m| checks.card(Some(m)))
}

fn alert_of(
    terms: Option<&crate::api::MandateTerms>,
) -> payorch_core::mandate_record::AlertPreference {
    terms::alert_preference(
        terms
            .and_then(|t| MandateAlertPreference::try_from(t.alert_preference).ok())
            .unwrap_or(MandateAlertPreference::Unspecified),
    )
}

#[tonic::async_trait]
impl MandateService for Mandates {
    async fn register_mandate(
        &self,
        request: Request<RegisterMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("RegisterMandate", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .pinned_connector(&req.merchant_id, &req.connector)
                .browser(req.browser.as_ref())
                .url("return_url", &req.return_url)
                .free_text("mandate_reference", &req.mandate_reference)
                .customer(&req.customer_id, &req.customer_email, &req.customer_phone);
            let card = checks.card(req.payment_method.as_ref());
            let default_max = self.default_max(&req.merchant_id);
            let terms = terms::terms(&mut checks, req.terms.as_ref(), true, default_max);
            let alert = alert_of(req.terms.as_ref());
            terms::contact(&mut checks, alert, &req.customer_email, &req.customer_phone);
            let amount =
                checks.optional_money("registration_amount", req.registration_amount.as_ref());
            if amount.is_some_and(|a| a.currency() != Currency::INR) {
                checks.refuse(
                    "registration_amount",
                    "RuPay Standing Instructions are in INR",
                );
            }
            let browser = browser(req.browser.as_ref());
            // The route is decided with the card: what its provider needs is refused in the
            // same BadRequest, before anything is recorded or sent.
            let preferred = preferred_flow(req.preferred_flow());
            let plan = match (&card, &terms) {
                (Some(card), Some(terms)) => Some(self.0.flows.mandate_route(
                    &req.merchant_id,
                    &req.connector,
                    card,
                    amount.unwrap_or(terms.max_amount),
                    preferred,
                )),
                _ => None,
            };
            let fields_valid = checks.clean();
            if let (Some(Ok(plan)), Some(card)) = (&plan, &card) {
                checks.provider_requirements(plan.account().adapter.capabilities(), card, &browser);
            }
            if let Err(refusal) = checks.finish() {
                if !fields_valid {
                    return Err(refusal);
                }
                let answer = self.0.answered_or("RegisterMandate", &req, refusal);
                return answer.await;
            }
            let (Some(plan), Some(card), Some(terms)) = (plan, card, terms) else {
                return Err(Status::internal("validated request lost its card or terms"));
            };
            // A route refused now is answered under the key: a retry of a registration that
            // was answered gets its answer.
            let input = |plan| RegisterInput {
                merchant_id: req.merchant_id.clone(),
                plan,
                card,
                amount: amount.unwrap_or(terms.max_amount),
                terms,
                alert_preference: alert,
                browser,
                return_url: req.return_url.clone(),
                preferred_flow: preferred,
                mandate_reference: req.mandate_reference.clone(),
                customer_id: req.customer_id.clone(),
                customer_email: req.customer_email.clone(),
                customer_phone: req.customer_phone.clone(),
            };
            let input = plan.map(input);
            let flows = self.0.flows.clone();
            self.0
                .idempotent("RegisterMandate", &req, answers::mandate, async move {
                    flows.register_mandate(input?, deadline).await
                })
                .await
        })
        .await
    }

    async fn modify_mandate(
        &self,
        request: Request<ModifyMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("ModifyMandate", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX)
                .browser(req.browser.as_ref())
                .url("return_url", &req.return_url);
            let default_max = self.default_max(&req.merchant_id);
            let terms = terms::terms(&mut checks, req.terms.as_ref(), false, default_max);
            let card = optional_card(&mut checks, req.payment_method.as_ref());
            checks.finish()?;
            let Some(terms) = terms else {
                return Err(Status::internal("validated request lost its terms"));
            };
            let input = ModifyInput {
                merchant_id: req.merchant_id.clone(),
                mandate_id: req.mandate_id.clone(),
                terms,
                card,
                browser: browser(req.browser.as_ref()),
                return_url: req.return_url.clone(),
                preferred_flow: preferred_flow(req.preferred_flow()),
            };
            let flows = self.0.flows.clone();
            self.0
                .idempotent("ModifyMandate", &req, answers::mandate, async move {
                    flows.modify_mandate(input, deadline).await
                })
                .await
        })
        .await
    }

    async fn cancel_mandate(
        &self,
        request: Request<CancelMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("CancelMandate", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX)
                .free_text("reason", &req.reason);
            if req.browser.is_some() {
                checks.browser(req.browser.as_ref());
            }
            if !req.return_url.is_empty() {
                checks.url("return_url", &req.return_url);
            }
            let card = optional_card(&mut checks, req.payment_method.as_ref());
            checks.finish()?;
            let input = CancelInput {
                merchant_id: req.merchant_id.clone(),
                mandate_id: req.mandate_id.clone(),
                reason: req.reason.clone(),
                card,
                browser: req.browser.as_ref().map(|b| browser(Some(b))),
                return_url: req.return_url.clone(),
                preferred_flow: preferred_flow(req.preferred_flow()),
            };
            let flows = self.0.flows.clone();
            self.0
                .idempotent("CancelMandate", &req, answers::mandate, async move {
                    flows.cancel_mandate(input, deadline).await
                })
                .await
        })
        .await
    }

    async fn notify_mandate_debit(
        &self,
        request: Request<NotifyMandateDebitRequest>,
    ) -> Result<Response<MandateDebitNotification>, Status> {
        handle("NotifyMandateDebit", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX);
            let amount = checks.positive_money("amount", req.amount.as_ref());
            let debit_at = req.debit_at.as_ref().map(|t| {
                t.seconds
                    .saturating_mul(1000)
                    .saturating_add(i64::from(t.nanos / 1_000_000))
            });
            if debit_at.is_none() {
                checks.required("debit_at", "");
            }
            let card = optional_card(&mut checks, req.payment_method.as_ref());
            checks.finish()?;
            let (Some(amount), Some(debit_at_ms)) = (amount, debit_at) else {
                return Err(Status::internal("validated request lost its amount"));
            };
            let input = NotifyInput {
                merchant_id: req.merchant_id.clone(),
                mandate_id: req.mandate_id.clone(),
                amount,
                debit_at_ms,
                card,
            };
            let flows = self.0.flows.clone();
            self.0
                .idempotent("NotifyMandateDebit", &req, answers::notice, async move {
                    flows.notify_mandate_debit(input, deadline).await
                })
                .await
        })
        .await
    }

    async fn charge_mandate(
        &self,
        request: Request<ChargeMandateRequest>,
    ) -> Result<Response<Payment>, Status> {
        handle("ChargeMandate", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id("mandate_id", &req.mandate_id, MANDATE_ID_PREFIX)
                .required("notification_id", &req.notification_id)
                .order_reference("order_reference", &req.order_reference);
            let amount = checks.optional_money("amount", req.amount.as_ref());
            let card = optional_card(&mut checks, req.payment_method.as_ref());
            checks.finish()?;
            let input = ChargeInput {
                merchant_id: req.merchant_id.clone(),
                mandate_id: req.mandate_id.clone(),
                notification_id: req.notification_id.clone(),
                amount,
                capture: req.capture,
                order_reference: req.order_reference.clone(),
                card,
            };
            let flows = self.0.flows.clone();
            self.0
                .idempotent("ChargeMandate", &req, resources::payment, async move {
                    flows.charge_mandate(input, deadline).await
                })
                .await
        })
        .await
    }

    async fn get_mandate(
        &self,
        request: Request<GetMandateRequest>,
    ) -> Result<Response<Mandate>, Status> {
        handle("GetMandate", request, |req, deadline| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .resource_id("id", &req.id, MANDATE_ID_PREFIX)
                .finish()?;
            // A refresh may store what the provider says: it runs to completion on its own.
            let flows = self.0.flows.clone();
            detached(async move {
                flows
                    .get_mandate(&req.merchant_id, &req.id, req.refresh, deadline)
                    .await
                    .map(|view| answers::mandate(&view))
                    .map_err(Status::from)
            })
            .await
        })
        .await
    }
}
