//! AuthenticationService handlers: validate, apply idempotency, hand over to the flows.

use payorch_connector::model::{Browser, RedirectParams};
use payorch_core::status::Flow;
use payorch_router::MerchantRoutes;
use tonic::{Code, Request, Response, Status};

use crate::api::authentication_service_server::AuthenticationService;
use crate::api::{
    Authentication, CancelAuthenticationRequest, CheckEligibilityRequest, CheckEligibilityResponse,
    CompleteRedirectRequest, FlowPreference, GetAuthenticationRequest, ResendOtpRequest,
    StartAuthenticationRequest, SubmitOtpRequest,
};
use crate::flows::authentication::StartInput;
use crate::grpc::callers::Caller;
use crate::grpc::observe::observed;
use crate::grpc::validate::{AUTHENTICATION_ID_PREFIX, Checks};
use crate::grpc::{Authentications, deadline, detached, status};

fn preferred_flow(preference: FlowPreference) -> Option<Flow> {
    match preference {
        FlowPreference::Redirect => Some(Flow::Redirect),
        FlowPreference::Seamless => Some(Flow::Seamless),
        FlowPreference::Any | FlowPreference::Unspecified => None,
    }
}

impl Authentications {
    /// The connector for a call: the pinned one, or the merchant's first preference.
    fn route(&self, merchant_id: &str, pinned: &str) -> Result<String, Status> {
        let routes = MerchantRoutes {
            connectors: self
                .0
                .settings
                .merchant(merchant_id)
                .map(|m| m.connectors.clone())
                .unwrap_or_default(),
        };
        routes.choose(Some(pinned)).map(str::to_owned).map_err(|e| {
            status::with_reason(
                Code::FailedPrecondition,
                "NO_ROUTE",
                format!(
                    "{e}; this merchant's connectors: {}",
                    routes.connectors.join(", ")
                ),
            )
        })
    }
}

#[tonic::async_trait]
impl AuthenticationService for Authentications {
    async fn check_eligibility(
        &self,
        request: Request<CheckEligibilityRequest>,
    ) -> Result<Response<CheckEligibilityResponse>, Status> {
        observed("CheckEligibility", async {
            let deadline = deadline::from_metadata(request.metadata());
            let caller = Caller::of(&request);
            let req = request.into_inner();
            caller.authorize(&req.merchant_id)?;
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
            let connector = self.route(&req.merchant_id, &req.connector)?;
            self.0
                .flows
                .check_eligibility(&connector, &card, amount, deadline)
                .await
                .map(Response::new)
        })
        .await
    }

    async fn start_authentication(
        &self,
        request: Request<StartAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("StartAuthentication", async {
            let deadline = deadline::from_metadata(request.metadata());
            let caller = Caller::of(&request);
            let req = request.into_inner();
            caller.authorize(&req.merchant_id)?;
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
            let browser = req.browser.clone().unwrap_or_default();
            let browser = Browser {
                ip_address: browser.ip_address,
                user_agent: browser.user_agent,
                accept_header: browser.accept_header,
                language: browser.language,
            };
            // What the chosen connector's provider needs is refused now, in the same
            // BadRequest, before anything is recorded or sent.
            let route = self.route(&req.merchant_id, &req.connector);
            if let (Ok(connector), Some(card)) = (&route, &card)
                && let Ok(connector) = self.0.flows.connector(connector)
            {
                checks.provider_requirements(connector.capabilities(), card, &browser);
            }
            checks.finish()?;
            let connector = route?;
            let (Some(card), Some(amount)) = (card, amount) else {
                return Err(Status::internal(
                    "validated request lost its card or amount",
                ));
            };
            let input = StartInput {
                merchant_id: req.merchant_id.clone(),
                connector,
                amount,
                card,
                browser,
                return_url: req.return_url.clone(),
                order_reference: req.order_reference.clone(),
                preferred_flow: preferred_flow(req.preferred_flow()),
                capture: req.capture,
            };
            let (merchant_id, key) = (req.merchant_id.clone(), req.idempotency_key.clone());
            let flows = self.0.flows.clone();
            self.0
                .idempotent(
                    "StartAuthentication",
                    &req,
                    &merchant_id,
                    &key,
                    async move { flows.start_authentication(input, deadline).await },
                )
                .await
        })
        .await
    }

    async fn submit_otp(
        &self,
        request: Request<SubmitOtpRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("SubmitOtp", async {
            let deadline = deadline::from_metadata(request.metadata());
            let caller = Caller::of(&request);
            let req = request.into_inner();
            caller.authorize(&req.merchant_id)?;
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
            let (merchant_id, key) = (req.merchant_id.clone(), req.idempotency_key.clone());
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("SubmitOtp", &req, &merchant_id, &key, async move {
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
        observed("ResendOtp", async {
            let deadline = deadline::from_metadata(request.metadata());
            let caller = Caller::of(&request);
            let req = request.into_inner();
            caller.authorize(&req.merchant_id)?;
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                )
                .finish()?;
            let (merchant_id, key) = (req.merchant_id.clone(), req.idempotency_key.clone());
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("ResendOtp", &req, &merchant_id, &key, async move {
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
        observed("CompleteRedirect", async {
            let deadline = deadline::from_metadata(request.metadata());
            let caller = Caller::of(&request);
            let req = request.into_inner();
            caller.authorize(&req.merchant_id)?;
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
            let (merchant_id, key) = (req.merchant_id.clone(), req.idempotency_key.clone());
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent("CompleteRedirect", &req, &merchant_id, &key, async move {
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
                })
                .await
        })
        .await
    }

    /// Reads the session from the store (any replica's); `refresh` asks the provider first.
    async fn get_authentication(
        &self,
        request: Request<GetAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("GetAuthentication", async {
            let deadline = deadline::from_metadata(request.metadata());
            let caller = Caller::of(&request);
            let req = request.into_inner();
            caller.authorize(&req.merchant_id)?;
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
            })
            .await
            .map(Response::new)
        })
        .await
    }

    async fn cancel_authentication(
        &self,
        request: Request<CancelAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("CancelAuthentication", async {
            let caller = Caller::of(&request);
            let req = request.into_inner();
            caller.authorize(&req.merchant_id)?;
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
            let (merchant_id, key) = (req.merchant_id.clone(), req.idempotency_key.clone());
            let flows = self.0.flows.clone();
            let owned = req.clone();
            self.0
                .idempotent(
                    "CancelAuthentication",
                    &req,
                    &merchant_id,
                    &key,
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
