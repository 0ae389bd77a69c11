//! The opening every handler shares, as one step: the call is observed (in-flight gauge,
//! latency, span, provider time), its deadline read, and the caller's right to act for the
//! request's merchant checked. The handler's body then validates and hands over to a flow;
//! a mutating body runs under its idempotency key through [`Context::idempotent`].

use std::future::Future;
use std::time::Duration;

use tonic::{Request, Response, Status};

use crate::api;
use crate::flows::error::FlowError;
use crate::grpc::callers::Caller;
use crate::grpc::observe::observed;
use crate::grpc::{Context, deadline, idempotency};

/// A request made for one merchant.
pub trait ForMerchant {
    fn merchant_id(&self) -> &str;
}

/// A mutating request: it carries the caller's idempotency key.
pub trait Keyed: ForMerchant + prost::Message {
    fn idempotency_key(&self) -> &str;
}

macro_rules! for_merchant {
    ($($request:ty),* $(,)?) => {$(
        impl ForMerchant for $request {
            fn merchant_id(&self) -> &str {
                &self.merchant_id
            }
        }
    )*};
}

macro_rules! keyed {
    ($($request:ty),* $(,)?) => {$(
        for_merchant!($request);
        impl Keyed for $request {
            fn idempotency_key(&self) -> &str {
                &self.idempotency_key
            }
        }
    )*};
}

for_merchant!(
    api::CheckEligibilityRequest,
    api::GetAuthenticationRequest,
    api::GetPaymentRequest,
    api::GetMandateRequest,
);
keyed!(
    api::StartAuthenticationRequest,
    api::SubmitOtpRequest,
    api::ResendOtpRequest,
    api::CompleteRedirectRequest,
    api::CancelAuthenticationRequest,
    api::AuthorizeRequest,
    api::CaptureRequest,
    api::VoidRequest,
    api::RefundRequest,
    api::RegisterMandateRequest,
    api::ModifyMandateRequest,
    api::CancelMandateRequest,
    api::NotifyMandateDebitRequest,
    api::ChargeMandateRequest,
);

/// Runs one RPC: observed as `rpc`, the caller checked against the request's merchant, then
/// `body` with the request and the caller's deadline.
pub async fn handle<Req, Resp, Fut>(
    rpc: &'static str,
    request: Request<Req>,
    body: impl FnOnce(Req, Option<Duration>) -> Fut,
) -> Result<Response<Resp>, Status>
where
    Req: ForMerchant,
    Fut: Future<Output = Result<Resp, Status>>,
{
    observed(rpc, async move {
        let deadline = deadline::from_metadata(request.metadata());
        let caller = Caller::of(&request);
        let req = request.into_inner();
        caller.authorize(req.merchant_id())?;
        // Boxed: a flow's future is large, and debug builds copy it on the stack at every
        // level it is moved through.
        Box::pin(body(req, deadline)).await.map(Response::new)
    })
    .await
}

impl Context {
    /// `refusal`, unless the request's key already holds an answer: a refusal that depends
    /// on routing (which account the route names now, its provider's required fields, its
    /// health) must not stop the retry of a request that was answered from getting that
    /// answer. Only for a request whose own fields are valid.
    pub async fn answered_or<Req, M>(
        &self,
        rpc: &str,
        request: &Req,
        refusal: Status,
    ) -> Result<M, Status>
    where
        Req: Keyed,
        M: prost::Message + Default + Send + 'static,
    {
        let fingerprint = idempotency::fingerprint(rpc, request);
        let merchant_id = request.merchant_id().to_owned();
        let key = request.idempotency_key().to_owned();
        let refused = async move { Err::<M, Status>(refusal) };
        idempotency::run(
            self.store.as_ref(),
            &merchant_id,
            &key,
            fingerprint,
            refused,
        )
        .await
    }

    /// Runs a mutating RPC's flow under the request's idempotency key (see [`idempotency`])
    /// and answers `respond(record)`.
    ///
    /// The work runs in its own task: if the caller's deadline passes or it hangs up, the
    /// provider call already made still has its answer stored (never a claim left behind).
    pub async fn idempotent<Req, T, M>(
        &self,
        rpc: &str,
        request: &Req,
        respond: fn(&T) -> M,
        work: impl Future<Output = Result<T, FlowError>> + Send + 'static,
    ) -> Result<M, Status>
    where
        Req: Keyed,
        T: Send + 'static,
        M: prost::Message + Default + Send + 'static,
    {
        let fingerprint = idempotency::fingerprint(rpc, request);
        let store = self.store.clone();
        let merchant_id = request.merchant_id().to_owned();
        let key = request.idempotency_key().to_owned();
        let work = Box::pin(work);
        let answered = async move { work.await.map(|t| respond(&t)).map_err(Status::from) };
        crate::grpc::detached(async move {
            idempotency::run(store.as_ref(), &merchant_id, &key, fingerprint, answered).await
        })
        .await
    }
}
