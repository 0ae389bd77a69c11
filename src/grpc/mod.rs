//! The gRPC side: the three payorch services, health and reflection.
//!
//! Handlers are thin: validate the request (INVALID_ARGUMENT naming every field, before
//! any record or provider call), then hand over to the flow that implements it.

mod authentication;
pub mod callers;
pub mod codec;
pub mod deadline;
pub mod handler;
pub mod health;
pub mod idempotency;
mod mandate;
mod observe;
mod payment;
pub mod resources;
pub mod status;
pub mod validate;

use std::sync::Arc;
use std::time::Duration;

use payorch_store::SessionStore;
use tonic::transport::Server;
use tonic::transport::server::Router;
use tonic_health::pb::health_server::{Health, HealthServer};

use crate::api::authentication_service_server::AuthenticationServiceServer;
use crate::api::mandate_service_server::MandateServiceServer;
use crate::api::payment_service_server::PaymentServiceServer;
use crate::config::Settings;
use crate::error::StartupError;
use crate::flows::Flows;

/// What every handler shares.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn SessionStore>,
    pub flows: Flows,
}

/// [`crate::flows::detached`] for a handler: a lost task is INTERNAL.
pub async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, tonic::Status>> + Send + 'static,
) -> Result<T, tonic::Status> {
    crate::flows::detached(work, || {
        tonic::Status::internal("the operation's task failed")
    })
    .await
}

#[derive(Clone)]
pub struct Authentications(Context);
#[derive(Clone)]
pub struct Payments(Context);
#[derive(Clone)]
pub struct Mandates(Context);

pub struct Services {
    context: Context,
}

impl Services {
    pub fn new(
        settings: Arc<Settings>,
        store: Arc<dyn SessionStore>,
        router: Arc<payorch_router::Router>,
    ) -> Self {
        let flows = Flows::new(
            settings.clone(),
            store.clone(),
            router,
            Arc::new(resources::ProtoAnswers),
        );
        Self {
            context: Context {
                settings,
                store,
                flows,
            },
        }
    }

    pub fn flows(&self) -> Flows {
        self.context.flows.clone()
    }
}

/// Clients balance gRPC across pods per connection (HTTP/2 keeps one open): closing each after
/// this long, with a GOAWAY, makes them reconnect and find pods the autoscaler added.
const MAX_CONNECTION_AGE: Duration = Duration::from_secs(300);
/// Calls in flight on a connection past its age get this long to finish (longer than any
/// provider call's deadline).
const MAX_CONNECTION_AGE_GRACE: Duration = Duration::from_secs(60);

/// Builds the gRPC server with the payorch services, health and reflection (v1 and v1alpha,
/// since many clients still speak only v1alpha).
pub fn server<H: Health>(
    services: Services,
    health: HealthServer<H>,
) -> Result<Router, StartupError> {
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::api::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| StartupError::Serve(format!("reflection: {e}")))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::api::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| StartupError::Serve(format!("reflection: {e}")))?;
    let context = services.context;
    let auth = callers::CallerAuth::new(&context.settings.callers);
    if !auth.enabled() {
        tracing::warn!("no callers configured: any caller may act for any merchant");
    }
    Ok(Server::builder()
        .max_connection_age(MAX_CONNECTION_AGE)
        .max_connection_age_grace(MAX_CONNECTION_AGE_GRACE)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(AuthenticationServiceServer::with_interceptor(
            Authentications(context.clone()),
            auth.clone(),
        ))
        .add_service(PaymentServiceServer::with_interceptor(
            Payments(context.clone()),
            auth.clone(),
        ))
        .add_service(MandateServiceServer::with_interceptor(
            Mandates(context),
            auth,
        )))
}
