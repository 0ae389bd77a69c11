//! Payer authentication: start (`start.rs`), OTP submission and resend, redirect completion,
//! refresh and cancel. Every provider call happens from a claimed state (VERIFYING for the calls that
//! move an existing session), so it is made once however many replicas see the request.

use std::sync::Arc;
use std::time::Duration;

use payorch_connector::model::{
    AuthenticationOutcome, Browser, Eligibility, MandateAction, MandateAuthentication,
    RedirectParams, StartAuthentication,
};
use payorch_connector::{CallContext, Connector, ConnectorError};
use payorch_core::card::Card;
use payorch_core::claim;
use payorch_core::money::Money;
use payorch_core::session::AuthenticationSession;
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};
use payorch_router::Plan;
use payorch_store::ttl::now_ms;
use payorch_store::{StoreError, Unsettled};

use crate::flows::error::{ErrorKind, FlowError};
use crate::flows::holdings::Held;
use crate::flows::{Flows, unreachable};
use crate::ids::{AUTHENTICATION_ID_PREFIX, new_resource_id};

mod start;
pub use start::{MandateStart, StartInput};

/// How long a payer's second return waits for the first one's verification.
const MAX_SETTLE_WAIT: Duration = Duration::from_secs(15);
const SETTLE_POLL: Duration = Duration::from_millis(50);

/// Copies a provider's answer onto the session (fields it left out keep their values).
pub fn apply(
    session: &AuthenticationSession,
    outcome: AuthenticationOutcome,
) -> AuthenticationSession {
    let mut next = session.clone();
    next.status = outcome.status;
    next.flow = outcome.flow.or(session.flow);
    next.next_action = outcome.next_action.or(next.next_action);
    next.failure_reason = outcome.failure_reason;
    next.recommendation = outcome
        .recommendation
        .or(Some(default_recommendation(outcome.status)));
    next.provider_status = outcome.provider_status.or(next.provider_status);
    next.provider_reference = outcome.provider_reference.or(next.provider_reference);
    next.attempts_remaining = outcome
        .attempts_remaining
        .unwrap_or(session.attempts_remaining);
    next.resends_remaining = outcome
        .resends_remaining
        .unwrap_or(session.resends_remaining);
    // The session's window is payorch's; the OTP's validity travels in `next_action`.
    next.expires_at_ms = session.expires_at_ms.or(outcome.expires_at_ms);
    next.connector_state = outcome.connector_state.or(next.connector_state);
    next.updated_at_ms = now_ms();
    next
}

fn default_recommendation(status: AuthenticationStatus) -> Recommendation {
    match status {
        AuthenticationStatus::Succeeded => Recommendation::Proceed,
        AuthenticationStatus::OtpRequired => Recommendation::RetryOtp,
        _ => Recommendation::DoNotProceed,
    }
}

/// The session after a provider call that failed without a normal answer: UNKNOWN when the
/// provider may have acted, `fallback` when nothing happened there.
fn after_error(
    session: &AuthenticationSession,
    err: &ConnectorError,
    fallback: AuthenticationStatus,
) -> AuthenticationSession {
    let mut next = session.clone();
    next.updated_at_ms = now_ms();
    match err {
        ConnectorError::OutcomeUnknown(_) => {
            next.status = AuthenticationStatus::Unknown;
            next.recommendation = None;
        }
        ConnectorError::Rejected { status, .. } | ConnectorError::Unauthorized(status) => {
            next.status = fallback;
            next.provider_status = Some(status.clone());
            if fallback == AuthenticationStatus::Failed {
                // A field the caller sent, refused: the request's doing, not the provider's.
                let callers = matches!(
                    err,
                    ConnectorError::Rejected {
                        caller_field: Some(_),
                        ..
                    }
                );
                next.failure_reason = Some(if callers {
                    FailureReason::InvalidRequest
                } else {
                    FailureReason::ProviderError
                });
                next.recommendation = Some(Recommendation::DoNotProceed);
            }
        }
        _ => next.status = fallback,
    }
    next
}

impl Flows {
    /// Is payer authentication available for this card on this connector, and by which flows?
    /// Read-only: adapters may answer from the card's BIN without calling the provider.
    pub async fn check_eligibility(
        &self,
        plan: &Plan,
        card: &Card,
        amount: Option<Money>,
        deadline: Option<Duration>,
    ) -> Result<Eligibility, FlowError> {
        let ctx = CallContext::new("eligibility", deadline);
        let request = payorch_connector::model::EligibilityRequest { card, amount };
        plan.account()
            .adapter
            .check_eligibility(&ctx, &request)
            .await
            .map_err(|e| FlowError::from(&e))
    }

    async fn load(&self, merchant_id: &str, id: &str) -> Result<AuthenticationSession, FlowError> {
        let session = self
            .store
            .get(id)
            .await
            .map_err(|e| FlowError::from(&e))?
            .filter(|s| s.merchant_id == merchant_id)
            .ok_or_else(|| FlowError::not_found("authentication"))?;
        self.expire_if_due(session).await
    }

    /// A session still waiting for the payer after its window is EXPIRED (written with the
    /// same compare-and-set as every transition, so it is the state every replica reads).
    pub(crate) async fn expire_if_due(
        &self,
        session: AuthenticationSession,
    ) -> Result<AuthenticationSession, FlowError> {
        let waiting = matches!(
            session.status,
            AuthenticationStatus::OtpRequired | AuthenticationStatus::RedirectRequired
        );
        let due = session.expires_at_ms.is_some_and(|at| now_ms() >= at);
        if !waiting || !due {
            return Ok(session);
        }
        let mut expired = session.clone();
        expired.status = AuthenticationStatus::Expired;
        expired.failure_reason = Some(if session.flow == Some(Flow::Redirect) {
            FailureReason::TimedOut
        } else {
            FailureReason::OtpExpired
        });
        expired.recommendation = Some(Recommendation::DoNotProceed);
        expired.next_action = None;
        expired.updated_at_ms = now_ms();
        match self.store.transition(&session, expired).await {
            Ok(saved) => {
                self.count_otp_stage(&session, &saved);
                Ok(self.finished(saved).await)
            }
            // Another call moved it first: what it wrote is the answer.
            Err(StoreError::Conflict { .. }) => self
                .store
                .get(&session.id)
                .await
                .map_err(|e| FlowError::from(&e))?
                .ok_or_else(|| FlowError::not_found("authentication")),
            Err(e) => Err(FlowError::from(&e)),
        }
    }

    async fn save(
        &self,
        from: &AuthenticationSession,
        next: AuthenticationSession,
    ) -> Result<AuthenticationSession, FlowError> {
        let saved = self
            .store
            .transition(from, next)
            .await
            .map_err(|e| FlowError::from(&e))?;
        self.count_otp_stage(from, &saved);
        Ok(self.finished(saved).await)
    }

    /// Stores the session a provider's answer produced. When the store fails, the answer is
    /// kept and written (with the call's idempotent response) once the store returns.
    async fn save_answer(
        &self,
        from: &AuthenticationSession,
        next: AuthenticationSession,
    ) -> Result<AuthenticationSession, FlowError> {
        match self.store.transition(from, next.clone()).await {
            Ok(saved) => {
                self.count_otp_stage(from, &saved);
                Ok(self.finished(saved).await)
            }
            Err(StoreError::Unavailable(err)) => {
                tracing::warn!(authentication_id = %from.id, error = %err, "store unreachable after the provider answered; keeping the answer");
                let from = from.clone();
                Err(crate::flows::write_behind::keep(
                    &self.store,
                    &self.answers,
                    move |store| {
                        let (from, next) = (from.clone(), next.clone());
                        async move { store.transition(&from, next).await }
                    },
                    |answers, written| answers.authentication(written),
                ))
            }
            Err(e) => Err(FlowError::from(&e)),
        }
    }

    /// Whether a claimed (PENDING, VERIFYING) session's claim was abandoned by its replica.
    pub fn stale(&self, session: &AuthenticationSession) -> bool {
        claim::abandoned(
            session.claim.as_ref(),
            session.updated_at_ms,
            now_ms(),
            self.settings.resolver.stale_claim_ms(),
        )
    }

    /// Claims a session for one provider call: `expected -> VERIFYING`, compare-and-set.
    /// A session already claimed (or moved on) is refused, never called twice. The claim is
    /// held (see [`crate::flows::holdings`]) until the returned guard drops.
    async fn claim(
        &self,
        session: &AuthenticationSession,
        expected: &[AuthenticationStatus],
    ) -> Result<(AuthenticationSession, Held), FlowError> {
        self.claim_marked(session, expected, |_| {}).await
    }

    /// [`Self::claim`], writing `mark`'s changes in the same compare-and-set.
    async fn claim_marked(
        &self,
        session: &AuthenticationSession,
        expected: &[AuthenticationStatus],
        mark: impl FnOnce(&mut AuthenticationSession),
    ) -> Result<(AuthenticationSession, Held), FlowError> {
        if session.status == AuthenticationStatus::Verifying {
            return Err(in_flight());
        }
        if !expected.contains(&session.status) {
            return Err(wrong_state(session.status));
        }
        let mut claimed = session.clone();
        claimed.status = AuthenticationStatus::Verifying;
        claimed.updated_at_ms = now_ms();
        claimed.claim = Some(self.new_claim());
        mark(&mut claimed);
        let held = self
            .holdings
            .hold(Unsettled::Authentication(session.id.clone()));
        match self.store.transition(session, claimed).await {
            Ok(claimed) => Ok((claimed, held)),
            Err(StoreError::Conflict { .. }) => Err(in_flight()),
            Err(e) => Err(FlowError::from(&e)),
        }
    }

    /// Stores the effect of a failed provider call and answers: UNKNOWN is a normal answer
    /// (the caller refreshes); anything else is the matching gRPC error.
    async fn record_failure(
        &self,
        session: &AuthenticationSession,
        err: &ConnectorError,
        fallback: AuthenticationStatus,
    ) -> Result<AuthenticationSession, FlowError> {
        tracing::warn!(authentication_id = %session.id, error = %err, "provider call failed");
        let saved = self
            .save_answer(session, after_error(session, err, fallback))
            .await?;
        if err.outcome_unknown() {
            Ok(saved)
        } else {
            Err(FlowError::from(err))
        }
    }

    pub async fn submit_otp(
        &self,
        merchant_id: &str,
        id: &str,
        otp: &str,
        deadline: Option<Duration>,
    ) -> Result<AuthenticationSession, FlowError> {
        let session = self.load(merchant_id, id).await?;
        let connector = self.connector(session.account())?;
        let (claimed, _held) = self
            .claim(&session, &[AuthenticationStatus::OtpRequired])
            .await?;
        let ctx = CallContext::new(id, deadline);
        match connector.submit_otp(&ctx, &claimed, otp).await {
            Ok(outcome) => {
                let next = apply(&claimed, outcome);
                Ok(self.save_answer(&claimed, next).await?)
            }
            Err(err) => {
                self.record_failure(&claimed, &err, AuthenticationStatus::OtpRequired)
                    .await
            }
        }
    }

    pub async fn resend_otp(
        &self,
        merchant_id: &str,
        id: &str,
        deadline: Option<Duration>,
    ) -> Result<AuthenticationSession, FlowError> {
        let session = self.load(merchant_id, id).await?;
        let connector = self.connector(session.account())?;
        if !connector.capabilities().resend_otp {
            return Err(FlowError::from(&ConnectorError::Unsupported("OTP resend")));
        }
        let (claimed, _held) = self
            .claim(&session, &[AuthenticationStatus::OtpRequired])
            .await?;
        let ctx = CallContext::new(id, deadline);
        match connector.resend_otp(&ctx, &claimed).await {
            Ok(outcome) => {
                let next = apply(&claimed, outcome);
                Ok(self.save_answer(&claimed, next).await?)
            }
            Err(err) => {
                self.record_failure(&claimed, &err, AuthenticationStatus::OtpRequired)
                    .await
            }
        }
    }

    pub async fn complete_redirect(
        &self,
        merchant_id: Option<&str>,
        id: &str,
        params: &RedirectParams,
        deadline: Option<Duration>,
    ) -> Result<(AuthenticationSession, String), FlowError> {
        let digest = redirect_digest(params);
        let mut session = self.load_for_return(merchant_id, id).await?;
        let connector = self.connector(session.account())?;
        let mut races = 0;
        let (claimed, _held) = loop {
            if session.status == AuthenticationStatus::Verifying {
                // Another return (a double-posting browser, CompleteRedirect racing the
                // callback) is being verified: its result is this one's answer.
                session = self.settled(merchant_id, id, deadline).await?;
            }
            if session.completed_by.as_deref() == Some(digest.as_str())
                && session.status != AuthenticationStatus::RedirectRequired
            {
                let return_url = session.return_url.clone();
                return Ok((session, return_url));
            }
            let claim =
                self.claim_marked(&session, &[AuthenticationStatus::RedirectRequired], |c| {
                    c.completed_by = Some(digest.clone())
                });
            match claim.await {
                Ok(claimed) => break claimed,
                // Lost the claim to a concurrent return: read what it wrote and decide again.
                Err(status) if status.kind == ErrorKind::Aborted && races < 3 => {
                    races += 1;
                    session = self.load_for_return(merchant_id, id).await?;
                }
                Err(status) => return Err(status),
            }
        };
        let return_url = claimed.return_url.clone();
        let ctx = CallContext::new(id, deadline);
        let answer = match connector.complete_redirect(&ctx, &claimed, params).await {
            Ok(outcome) => {
                let next = apply(&claimed, outcome);
                self.save_answer(&claimed, next).await?
            }
            Err(err) => {
                self.record_failure(&claimed, &err, AuthenticationStatus::RedirectRequired)
                    .await?
            }
        };
        Ok((answer, return_url))
    }

    /// The session a redirect return names: the merchant's own, or (for the browser's
    /// callback, which carries no merchant) whichever the id finds.
    async fn load_for_return(
        &self,
        merchant_id: Option<&str>,
        id: &str,
    ) -> Result<AuthenticationSession, FlowError> {
        match merchant_id {
            Some(merchant) => self.load(merchant, id).await,
            None => {
                let session = self
                    .store
                    .get(id)
                    .await
                    .map_err(|e| FlowError::from(&e))?
                    .ok_or_else(|| FlowError::not_found("authentication"))?;
                self.expire_if_due(session).await
            }
        }
    }

    /// Waits (polling the store, within the caller's deadline) for a VERIFYING session to
    /// settle; ABORTED if it is still being verified when time runs out.
    async fn settled(
        &self,
        merchant_id: Option<&str>,
        id: &str,
        deadline: Option<Duration>,
    ) -> Result<AuthenticationSession, FlowError> {
        let budget = deadline.unwrap_or(MAX_SETTLE_WAIT).min(MAX_SETTLE_WAIT);
        let until = tokio::time::Instant::now() + budget;
        loop {
            let session = self.load_for_return(merchant_id, id).await?;
            if session.status != AuthenticationStatus::Verifying {
                return Ok(session);
            }
            if tokio::time::Instant::now() >= until {
                return Err(in_flight());
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }

    /// Where a payer's return lands when it cannot complete the session: the merchant's
    /// return URL with the session's current status, for a redirect-flow session; `None`
    /// for ids that are unknown or not redirect sessions, which are answered alike.
    pub async fn return_after_refusal(&self, id: &str) -> Option<(AuthenticationSession, String)> {
        let session = self.store.get(id).await.ok().flatten()?;
        let return_url = session.return_url.clone();
        (session.flow == Some(Flow::Redirect)).then_some((session, return_url))
    }

    pub async fn get_authentication(
        &self,
        merchant_id: &str,
        id: &str,
        refresh: bool,
        deadline: Option<Duration>,
    ) -> Result<AuthenticationSession, FlowError> {
        let session = self.load(merchant_id, id).await?;
        // A session another call has claimed (VERIFYING) or is starting (PENDING) belongs to
        // that call; only once it is stale (its replica died mid-call) may a refresh settle it.
        let claimed = matches!(
            session.status,
            AuthenticationStatus::Verifying | AuthenticationStatus::Pending
        );
        if !refresh || session.is_terminal() || (claimed && !self.stale(&session)) {
            return Ok(session);
        }
        let connector = self.connector(session.account())?;
        let ctx = CallContext::new(id, deadline);
        let outcome = match connector.sync_authentication(&ctx, &session).await {
            Ok(outcome) => outcome,
            // Documented: an unreachable provider leaves the stored state unchanged and is
            // reported in `provider_status`, not as an error.
            Err(err) if unreachable(&err) => {
                tracing::warn!(authentication_id = %id, error = %err, "refresh could not reach the provider");
                let mut answer = session;
                answer.provider_status = Some(crate::flows::unreachable_status());
                return Ok(answer);
            }
            Err(err) => return Err(FlowError::from(&err)),
        };
        if outcome.status == session.status && outcome.status != AuthenticationStatus::Unknown {
            return Ok(session);
        }
        let next = apply(&session, outcome);
        // A read that taught nothing new leaves the record as it was: its last change stays
        // the time the resolver's not-found rule counts from.
        let mut unchanged = next.clone();
        unchanged.updated_at_ms = session.updated_at_ms;
        if unchanged == session {
            return Ok(session);
        }
        self.save(&session, next).await
    }

    /// Cancels locally: RuPay OTP sessions have no provider-side cancel; the session simply
    /// stops being usable and its card data is deleted. Cancelling a cancelled session
    /// answers it unchanged; a session whose start or verification call is still with the
    /// provider is left to that call (ABORTED), so its answer is never lost.
    pub async fn cancel_authentication(
        &self,
        merchant_id: &str,
        id: &str,
        reason: &str,
    ) -> Result<AuthenticationSession, FlowError> {
        let session = self.load(merchant_id, id).await?;
        match session.status {
            AuthenticationStatus::Cancelled => return Ok(session),
            AuthenticationStatus::Verifying => return Err(in_flight()),
            AuthenticationStatus::Pending if !self.stale(&session) => {
                return Err(FlowError::new(
                    ErrorKind::Aborted,
                    "START_IN_FLIGHT",
                    "the provider is still starting this authentication; retry when it has answered",
                ));
            }
            AuthenticationStatus::Pending
            | AuthenticationStatus::RedirectRequired
            | AuthenticationStatus::OtpRequired
            | AuthenticationStatus::Unknown => {}
            other => return Err(wrong_state(other)),
        }
        let mut next = session.clone();
        next.status = AuthenticationStatus::Cancelled;
        next.failure_reason = Some(FailureReason::CancelledByMerchant);
        next.recommendation = Some(Recommendation::DoNotProceed);
        next.next_action = None;
        next.cancel_reason = (!reason.is_empty()).then(|| reason.to_owned());
        next.updated_at_ms = now_ms();
        let saved = self.save(&session, next).await.map_err(|status| {
            if status.kind == ErrorKind::Aborted {
                in_flight()
            } else {
                status
            }
        })?;
        tracing::info!(authentication_id = %id, reason = %reason, "authentication cancelled by the merchant");
        Ok(saved)
    }
}

/// A stable digest of a redirect return's parameters (names and values, in order).
fn redirect_digest(params: &RedirectParams) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (name, value) in params {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn in_flight() -> FlowError {
    FlowError::new(
        ErrorKind::Aborted,
        "CONCURRENT_OPERATION",
        "another operation on this authentication is in progress; read it and retry",
    )
}

fn wrong_state(status: AuthenticationStatus) -> FlowError {
    FlowError::new(
        ErrorKind::FailedPrecondition,
        "AUTHENTICATION_STATE",
        format!("the authentication is {status}; this operation needs another state"),
    )
}
