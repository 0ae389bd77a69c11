//! The flows behind the RPCs: each step claims the record with a compare-and-set transition
//! before calling the provider, so two replicas can never make the same provider call, and
//! stores the answer (or UNKNOWN when the provider's answer was lost) atomically after.

pub mod authentication;
pub mod error;
pub mod holdings;
pub mod mandate;
pub mod operations;
pub mod otp_stages;
pub mod payment;
pub mod resolver;
pub mod write_behind;

use std::sync::Arc;

use payorch_connector::{Connector, ConnectorError};
use payorch_core::claim::Claim;
use payorch_core::session::ProviderStatus;
use payorch_router::{Account, Facts, Plan, RouteError, Router};
use payorch_store::SessionStore;

use crate::config::Settings;
use crate::flows::error::{ErrorKind, FlowError};
use crate::flows::write_behind::Answers;

#[derive(Clone)]
pub struct Flows {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn SessionStore>,
    /// Which account serves a new call, and the adapter each record continues on.
    pub router: Arc<Router>,
    /// This replica's name, written into every claim it takes.
    pub replica: Arc<str>,
    /// The claims this replica holds right now.
    pub holdings: holdings::Holdings,
    /// How a record is encoded as a caller's answer (for idempotent replay).
    pub answers: Arc<dyn Answers>,
}

impl Flows {
    pub fn new(
        settings: Arc<Settings>,
        store: Arc<dyn SessionStore>,
        router: Arc<Router>,
        answers: Arc<dyn Answers>,
    ) -> Self {
        let replica = settings.replica_name().into();
        Self {
            settings,
            store,
            router,
            replica,
            holdings: holdings::Holdings::default(),
            answers,
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

    /// The adapter of the account a record continues on (its `account()`).
    pub fn connector(&self, account: &str) -> Result<Arc<dyn Connector>, FlowError> {
        self.router.adapter(account).map_err(|e| route_error(&e))
    }

    /// The route for a merchant's new call (see [`Router::plan`]): NO_ROUTE when the
    /// merchant has no account for it, UNAVAILABLE `NO_HEALTHY_ACCOUNT` when every
    /// candidate was passed over (the message says why, account by account).
    pub fn plan(
        &self,
        merchant_id: &str,
        pinned: &str,
        facts: &Facts<'_>,
        ineligible: impl Fn(&Account) -> Option<String>,
    ) -> Result<Plan, FlowError> {
        let plan = self.router.plan(merchant_id, pinned, facts, ineligible);
        plan.map_err(|e| self.no_route(merchant_id, e))
    }

    /// The route a call that only asks would get (CheckEligibility): see [`Router::preview`].
    pub fn preview(
        &self,
        merchant_id: &str,
        pinned: &str,
        facts: &Facts<'_>,
    ) -> Result<Plan, FlowError> {
        let plan = self.router.preview(merchant_id, pinned, facts, |_| None);
        plan.map_err(|e| self.no_route(merchant_id, e))
    }

    pub(crate) fn no_route(&self, merchant_id: &str, e: RouteError) -> FlowError {
        match e {
            RouteError::NotConfigured(_) => route_error(&e),
            RouteError::NoneAvailable(_) => {
                FlowError::new(ErrorKind::Unavailable, "NO_HEALTHY_ACCOUNT", e.to_string())
            }
            _ => FlowError::new(
                ErrorKind::FailedPrecondition,
                "NO_ROUTE",
                format!(
                    "{e}; this merchant's accounts: {}",
                    self.router.accounts_of(merchant_id).join(", ")
                ),
            ),
        }
    }

    /// The URL the issuer's page sends the payer back to (payorch's HTTP callback).
    pub fn callback_url(&self, authentication_id: &str) -> String {
        format!(
            "{}/v1/callbacks/{authentication_id}",
            self.settings.http.public_base_url().trim_end_matches('/')
        )
    }
}

fn route_error(err: &RouteError) -> FlowError {
    FlowError::new(
        ErrorKind::FailedPrecondition,
        "CONNECTOR_NOT_CONFIGURED",
        err.to_string(),
    )
}

/// Whether a read found the provider unreachable or silent (rather than refusing).
pub fn unreachable(err: &ConnectorError) -> bool {
    matches!(
        err,
        ConnectorError::NotSent(_) | ConnectorError::OutcomeUnknown(_)
    )
}

/// What a refresh that could not reach the provider reports in `provider_status`.
pub fn unreachable_status() -> ProviderStatus {
    ProviderStatus {
        code: "PROVIDER_UNREACHABLE".into(),
        message: "the provider could not be asked; this is the stored state".into(),
        raw_status: String::new(),
    }
}

/// Runs `work` to completion in its own task, whatever happens to the caller (a deadline
/// passing, a browser going away): a provider call already made still has its answer
/// stored, never a claim left behind. The call's provider clock goes along, so its own time
/// excludes the provider's, and so does its span: the work's store and provider spans stay
/// in the RPC's trace.
pub async fn detached<T: Send + 'static, E: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, E>> + Send + 'static,
    lost: impl FnOnce() -> E,
) -> Result<T, E> {
    use tracing::Instrument as _;
    tokio::spawn(payorch_connector::http::ProviderClock::carry(work).in_current_span())
        .await
        .unwrap_or_else(|_| Err(lost()))
}
