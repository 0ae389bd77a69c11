//! AuthenticationService handlers.

use tonic::{Request, Response, Status};

use crate::api::authentication_service_server::AuthenticationService;
use crate::api::{
    Authentication, CancelAuthenticationRequest, CheckEligibilityRequest, CheckEligibilityResponse,
    CompleteRedirectRequest, GetAuthenticationRequest, ResendOtpRequest,
    StartAuthenticationRequest, SubmitOtpRequest,
};
use crate::grpc::observe::observed;
use crate::grpc::validate::{AUTHENTICATION_ID_PREFIX, Checks};
use crate::grpc::{Authentications, resources, status};

/// The issue that lands the authentication flows (connector contract + first adapter).
const FLOWS_ISSUE: u32 = 4;

#[tonic::async_trait]
impl AuthenticationService for Authentications {
    async fn check_eligibility(
        &self,
        request: Request<CheckEligibilityRequest>,
    ) -> Result<Response<CheckEligibilityResponse>, Status> {
        observed("CheckEligibility", async {
            let req = request.into_inner();
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .pinned_connector(&req.merchant_id, &req.connector)
                .payment_method(req.payment_method.as_ref());
            checks.optional_money("amount", req.amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented("CheckEligibility", FLOWS_ISSUE))
        })
        .await
    }

    async fn start_authentication(
        &self,
        request: Request<StartAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("StartAuthentication", async {
            let req = request.into_inner();
            let mut checks = Checks::new(&self.0.settings);
            checks
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .pinned_connector(&req.merchant_id, &req.connector)
                .payment_method(req.payment_method.as_ref())
                .browser(req.browser.as_ref())
                .url("return_url", &req.return_url)
                .reference("order_reference", &req.order_reference);
            checks.positive_money("amount", req.amount.as_ref());
            checks.finish()?;
            Err(status::not_yet_implemented(
                "StartAuthentication",
                FLOWS_ISSUE,
            ))
        })
        .await
    }

    async fn submit_otp(
        &self,
        request: Request<SubmitOtpRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("SubmitOtp", async {
            let req = request.into_inner();
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
            Err(status::not_yet_implemented("SubmitOtp", FLOWS_ISSUE))
        })
        .await
    }

    async fn resend_otp(
        &self,
        request: Request<ResendOtpRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("ResendOtp", async {
            let req = request.into_inner();
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                )
                .finish()?;
            Err(status::not_yet_implemented("ResendOtp", FLOWS_ISSUE))
        })
        .await
    }

    async fn complete_redirect(
        &self,
        request: Request<CompleteRedirectRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("CompleteRedirect", async {
            let req = request.into_inner();
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
            Err(status::not_yet_implemented("CompleteRedirect", FLOWS_ISSUE))
        })
        .await
    }

    /// Reads the session from the store (any replica's). `refresh` asks the provider, which
    /// needs the connector contract and lands with it.
    async fn get_authentication(
        &self,
        request: Request<GetAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("GetAuthentication", async {
            let req = request.into_inner();
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .resource_id("id", &req.id, AUTHENTICATION_ID_PREFIX)
                .finish()?;
            if req.refresh {
                return Err(status::not_yet_implemented(
                    "GetAuthentication(refresh=true)",
                    FLOWS_ISSUE,
                ));
            }
            let session = self
                .0
                .store
                .get(&req.id)
                .await
                .map_err(|e| status::from_store(&e))?
                // Another merchant's session is indistinguishable from a missing one.
                .filter(|s| s.merchant_id == req.merchant_id)
                .ok_or_else(|| status::not_found("authentication"))?;
            Ok(Response::new(resources::authentication(&session)))
        })
        .await
    }

    async fn cancel_authentication(
        &self,
        request: Request<CancelAuthenticationRequest>,
    ) -> Result<Response<Authentication>, Status> {
        observed("CancelAuthentication", async {
            let req = request.into_inner();
            Checks::new(&self.0.settings)
                .merchant(&req.merchant_id)
                .idempotency_key(&req.idempotency_key)
                .resource_id(
                    "authentication_id",
                    &req.authentication_id,
                    AUTHENTICATION_ID_PREFIX,
                )
                .reference("reason", &req.reason)
                .finish()?;
            Err(status::not_yet_implemented(
                "CancelAuthentication",
                FLOWS_ISSUE,
            ))
        })
        .await
    }
}
