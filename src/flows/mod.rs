//! The flows behind the RPCs: each step claims the record with a compare-and-set transition
//! before calling the provider, so two replicas can never make the same provider call, and
//! stores the answer (or UNKNOWN when the provider's answer was lost) atomically after.

pub mod authentication;
pub mod holdings;
pub mod idempotency;
pub mod operations;
pub mod payment;
pub mod resolver;
pub mod write_behind;

use std::collections::HashMap;
use std::sync::Arc;

use payorch_connector::{Connector, ConnectorError};
use payorch_core::claim::Claim;
use payorch_store::SessionStore;
use tonic::{Code, Status};

use crate::config::Settings;
use crate::grpc::status::with_reason;

/// The adapters this process can call, by connector id.
pub type Connectors = HashMap<String, Arc<dyn Connector>>;

#[derive(Clone)]
pub struct Flows {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn SessionStore>,
    pub connectors: Arc<Connectors>,
    /// This replica's name, written into every claim it takes.
    pub replica: Arc<str>,
    /// The claims this replica holds right now.
    pub holdings: holdings::Holdings,
}

impl Flows {
    pub fn new(
        settings: Arc<Settings>,
        store: Arc<dyn SessionStore>,
        connectors: Arc<Connectors>,
    ) -> Self {
        let replica = settings.replica_name().into();
        Self {
            settings,
            store,
            connectors,
            replica,
            holdings: holdings::Holdings::default(),
        }
    }

    /// A claim by this replica for the request being run, leased for the configured claim
    /// lifetime.
    pub fn new_claim(&self) -> Claim {
        let mut claim = Claim::new(
            &self.replica,
            payorch_store::ttl::now_ms(),
            self.settings.resolver.stale_claim_ms(),
        );
        claim.idempotency_key = write_behind::TICKET
            .try_with(|ticket| ticket.scope.key.clone())
            .ok();
        claim
    }

    pub fn connector(&self, id: &str) -> Result<Arc<dyn Connector>, Status> {
        self.connectors.get(id).cloned().ok_or_else(|| {
            with_reason(
                Code::FailedPrecondition,
                "CONNECTOR_NOT_CONFIGURED",
                format!("connector {id:?} is not configured in this deployment"),
            )
        })
    }

    /// The URL the issuer's page sends the payer back to (payorch's HTTP callback).
    pub fn callback_url(&self, authentication_id: &str) -> String {
        format!(
            "{}/v1/callbacks/{authentication_id}",
            self.settings.http.public_base_url().trim_end_matches('/')
        )
    }
}

/// Whether a read found the provider unreachable or silent (rather than refusing).
pub fn unreachable(err: &ConnectorError) -> bool {
    matches!(
        err,
        ConnectorError::NotSent(_) | ConnectorError::OutcomeUnknown(_)
    )
}

/// What a refresh that could not reach the provider reports in `provider_status`.
pub fn unreachable_status() -> crate::api::ProviderStatus {
    crate::api::ProviderStatus {
        code: "PROVIDER_UNREACHABLE".into(),
        message: "the provider could not be asked; this is the stored state".into(),
        raw_status: String::new(),
    }
}

/// A connector error that is not a normal provider answer, as a gRPC status.
pub fn connector_status(err: &ConnectorError) -> Status {
    match err {
        ConnectorError::NotSent(_) => with_reason(
            Code::Unavailable,
            "PROVIDER_UNREACHABLE",
            "the provider could not be reached; nothing was sent, retry",
        ),
        ConnectorError::OutcomeUnknown(_) => with_reason(
            Code::Unavailable,
            "PROVIDER_OUTCOME_UNKNOWN",
            "the provider's answer was lost; the record is UNKNOWN, refresh it",
        ),
        ConnectorError::Rejected {
            caller_field: Some(field),
            ..
        } => {
            let errors = payorch_core::error::ValidationError::single(
                field.clone(),
                "refused by the provider",
            );
            crate::grpc::status::invalid_argument(&errors)
        }
        ConnectorError::Rejected { status, .. } => with_reason(
            Code::FailedPrecondition,
            "PROVIDER_REJECTED",
            format!("the provider refused the request ({})", status.code),
        ),
        ConnectorError::Unauthorized(_) => with_reason(
            Code::Unavailable,
            "PROVIDER_CREDENTIALS_REFUSED",
            "the provider refused payorch's credentials; check the connector configuration",
        ),
        ConnectorError::Unsupported(what) => with_reason(
            Code::FailedPrecondition,
            "NOT_SUPPORTED_BY_CONNECTOR",
            format!("not supported by this connector: {what}"),
        ),
        ConnectorError::InvalidState(_) => with_reason(
            Code::Internal,
            "SESSION_STATE_UNUSABLE",
            "the stored record cannot continue this step",
        ),
    }
}
