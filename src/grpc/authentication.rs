//! AuthenticationService handlers: validate, then hand over to the flows (under the
//! request's idempotency key for the calls that change something).

use payorch_connector::model::{Browser, RedirectParams};
use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::status::Flow;
use payorch_router::{Facts, Initiator};
use tonic::{Request, Response, Status};

use crate::api::authentication_service_server::AuthenticationService;
use crate::api::{
    Authentication, CancelAuthenticationRequest, CheckEligibilityRequest, CheckEligibilityResponse,
    CompleteRedirectRequest, FlowPreference, GetAuthenticationRequest, ResendOtpRequest,
    StartAuthenticationRequest, SubmitOtpRequest,
};
use crate::flows::authentication::StartInput;
use crate::grpc::handler::handle;
use crate::grpc::validate::Checks;
use crate::grpc::{Authentications, detached, resources};
use crate::ids::AUTHENTICATION_ID_PREFIX;

pub(crate) fn preferred_flow(preference: FlowPreference) -> Option<Flow> {
    match preference {
        FlowPreference::Redirect => Some(Flow::Redirect),
        FlowPreference::Seamless => Some(Flow::Seamless),
        FlowPreference::Any | FlowPreference::Unspecified => None,
    }
}

/// What the router matches a payer's call on.
pub(crate) fn facts(card: &Card, amount: Option<Money>, flow: Option<Flow>) -> Facts<'_> {
    Facts {
        brand: card.brand(),
        bin: card.bin(),
        amount: amount.map(|a| (a.minor_units(), a.currency().code())),
        flow,
        initiator: Initiator::Customer,
    }
}

/// The payer's browser as the connectors take it (unset: all empty, refused by validation).
pub(crate) fn browser(info: Option<&crate::api::BrowserInfo>) -> Browser {
    let info = info.cloned().unwrap_or_default();
    Browser {
        ip_address: info.ip_address,
        user_agent: info.user_agent,
        accept_header: info.accept_header,
        language: info.language,
    }
}

#[tonic::async_trait]
impl AuthenticationService for Authentications {
    async fn check_eligibility(
        &self,
        request: Request<CheckEligibilityRequest>,
    ) -> Result<Response<CheckEligibilityResponse>, Status> {
        handle("CheckEligibility", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .pinned_connector(&req.merchant_id, &req.connector);
            let card = checks.card(req.payment_method.as_ref());
            let amount = checks.optional_money("amount", req.amount.as_ref());
            checks.finish()?;
            let Some(card) = card else {
                return Err(Status::internal("validated request lost its card"));
            };
            let facts = facts(&card, amount, preferred_flow(req.preferred_flow()));
            let plan = self
                .0
                .flows
                .preview(&req.merchant_id, &req.connector, &facts)?;
            let eligibility = self
                .0
                .flows
                .check_eligibility(&plan, &card, amount, deadline)
                .await?;
            Ok(resources::eligibility(&plan, &card, &eligibility))
        })
        .await
    }

    async fn start_authentication(
        &self,
        request: Request<StartAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        handle("StartAuthentication", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .pinned_connector(&req.merchant_id, &req.connector)
                .browser(req.browser.as_ref())
                .url("return_url", &req.return_url)
                .order_reference("order_reference", &req.order_reference)
                .customer(&req.customer_id, &req.customer_email, &req.customer_phone);
            let card = checks.card(req.payment_method.as_ref());
            let amount = checks.positive_money("amount", req.amount.as_ref());
            let browser = browser(req.browser.as_ref());
            // The route passes over accounts whose provider cannot take this card or
            // browser; what the chosen one's provider needs is refused now, in the same
            // BadRequest, before anything is recorded or sent.
            let preferred = preferred_flow(req.preferred_flow());
            let plan = card.as_ref().map(|card| {
                let facts = facts(card, amount, preferred);
                self.0
                    .flows
                    .plan_start(&req.merchant_id, &req.connector, &facts, card, &browser)
            });
            let fields_valid = checks.clean();
            if let (Some(Ok(plan)), Some(card)) = (&plan, &card) {
                checks.provider_requirements(plan.account().adapter.capabilities(), card, &browser);
            }
            if let Err(refusal) = checks.finish() {
                if !fields_valid {
                    return Err(refusal);
                }
                let answer = self.0.answered_or("StartAuthentication", &req, refusal);
                return answer.await;
            }
            let (Some(plan), Some(card), Some(amount)) = (plan, card, amount) else {
                return Err(Status::internal(
                    "validated request lost its card or amount",
                ));
            };
            // No route now (every account's breaker open) is answered under the key, so a
            // retry of a start that was answered gets its answer, not the outage.
            let (merchant_id, return_url, order_reference, capture) = (
                req.merchant_id.clone(),
                req.return_url.clone(),
                req.order_reference.clone(),
                req.capture,
            );
            let flows = self.0.flows.clone();
            self.0
                .idempotent(
                    "StartAuthentication",
                    &req,
                    resources::authentication,
                    async move {
                        let input = StartInput {
                            merchant_id,
                            plan: plan?,
                            amount,
                            card,
                            browser,
                            return_url,
                            order_reference,
                            preferred_flow: preferred,
                            capture,
                            mandate: None,
                        };
                        flows.start_authentication(input, deadline).await
                    },
                )
                .await
        })
        .await
    }

    async fn submit_otp(
        &self,
        request: Request<SubmitOtpRequest>,
    ) -> Result<Response<Authentication>, Status> {
        handle("SubmitOtp", request, |req, deadline| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                )
                .otp(&req.otp)
                .finish()?;
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("SubmitOtp", &req, resources::authentication, async move {
                    let req = owned;
                    flows
                        .submit_otp(&req.merchant_id, &req.authentication_id, &req.otp, deadline)
                        .await
                })
                .await
        })
        .await
    }

    async fn resend_otp(
        &self,
        request: Request<ResendOtpRequest>,
    ) -> Result<Response<Authentication>, Status> {
        handle("ResendOtp", request, |req, deadline| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                )
                .finish()?;
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("ResendOtp", &req, resources::authentication, async move {
                    let req = owned;
                    flows
                        .resend_otp(&req.merchant_id, &req.authentication_id, deadline)
                        .await
                })
                .await
        })
        .await
    }

    async fn complete_redirect(
        &self,
        request: Request<CompleteRedirectRequest>,
    ) -> Result<Response<Authentication>, Status> {
        handle("CompleteRedirect", request, |req, deadline| async move {
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                );
            if req.params.is_empty() {
                checks.required("params", "");
            }
            checks.finish()?;
            let params: RedirectParams = req.params.clone().into_iter().collect();
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent(
                    "CompleteRedirect",
                    &req,
                    resources::authentication,
                    async move {
                        let req = owned;
                        flows
                            .complete_redirect(
                                Some(&req.merchant_id),
                                &req.authentication_id,
                                &params,
                                deadline,
                            )
                            .await
                            .map(|(authentication, _)| authentication)
                    },
                )
                .await
        })
        .await
    }

    /// Reads the session from the store (any replica's); `refresh` asks the provider first.
    async fn get_authentication(
        &self,
        request: Request<GetAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        handle("GetAuthentication", request, |req, deadline| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .resource_id("id", &req.id, AUTHENTICATION_ID_PREFIX)
                .finish()?;
            // A refresh may store what the provider says: it runs to completion on its own.
            let flows = self.0.flows.clone();
            detached(async move {
                flows
                    .get_authentication(&req.merchant_id, &req.id, req.refresh, deadline)
                    .await
                    .map(|session| resources::authentication(&session))
                    .map_err(Status::from)
            })
            .await
        })
        .await
    }

    async fn cancel_authentication(
        &self,
        request: Request<CancelAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        handle("CancelAuthentication", request, |req, _| async move {
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                )
                .free_text("reason", &req.reason)
                .finish()?;
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent(
                    "CancelAuthentication",
                    &req,
                    resources::authentication,
                    async move {
                        let req = owned;
                        flows
                            .cancel_authentication(
                                &req.merchant_id,
                                &req.authentication_id,
                                &req.reason,
                            )
                            .await
                    },
                )
                .await
        })
        .await
    }
}
