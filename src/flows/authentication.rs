//! Payer authentication: start, OTP submission and resend, redirect completion, refresh and
//! cancel. Every provider call happens from a claimed state (VERIFYING for the calls that
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

/// How long a payer's second return waits for the first one's verification.
const MAX_SETTLE_WAIT: Duration = Duration::from_secs(15);
const SETTLE_POLL: Duration = Duration::from_millis(50);

/// Everything StartAuthentication needs, already validated.
pub struct StartInput {
    pub merchant_id: String,
    /// The accounts it may start on, the first chosen (see [`Flows::plan`]).
    pub plan: Plan,
    pub amount: Money,
    pub card: Card,
    pub browser: Browser,
    pub return_url: String,
    pub order_reference: String,
    pub preferred_flow: Option<Flow>,
    pub capture: bool,
    /// A mandate operation the payer authenticates (registration, modification,
    /// cancellation) instead of a payment; see [`crate::flows::mandate`].
    pub mandate: Option<MandateStart>,
}

/// What a mandate operation's authentication carries to the provider. Its session's
/// `order_reference` is the mandate's id: that is how a finished session finds its mandate.
pub struct MandateStart {
    /// The session's id, chosen by the mandate flow (written into the mandate first).
    pub authentication_id: String,
    pub action: MandateAction,
    pub mandate_id: String,
    pub terms: payorch_core::mandate::Terms,
    pub alert_preference: payorch_core::mandate_record::AlertPreference,
    pub reference: Option<payorch_core::mandate_record::MandateReference>,
    pub customer_email: String,
    pub customer_phone: String,
}

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

    pub async fn start_authentication(
        &self,
        mut input: StartInput,
        deadline: Option<Duration>,
    ) -> Result<AuthenticationSession, FlowError> {
        let id = input.mandate.as_ref().map_or_else(
            || new_resource_id(AUTHENTICATION_ID_PREFIX),
            |m| m.authentication_id.clone(),
        );
        // What the chosen account's provider cannot do is answered before its turn is
        // taken (a half-open account's probe is spent only on a call that goes out).
        let capabilities = input.plan.account().adapter.capabilities();
        if input.card.is_network_token() && !capabilities.network_tokens {
            return Err(FlowError::from(&ConnectorError::Unsupported(
                "network tokens (send the card instead)",
            )));
        }
        if !capabilities.authenticates(&input.card) {
            // Known without asking: no provider order is created for a card this route
            // cannot authenticate. The answer is a normal FAILED authentication.
            let mut refused = self.pending_session(&input, &id);
            refused.status = AuthenticationStatus::Failed;
            refused.failure_reason = Some(FailureReason::AuthenticationNotAvailable);
            refused.recommendation = Some(Recommendation::DoNotProceed);
            refused.card = None;
            let stored = self
                .store
                .create(refused)
                .await
                .map_err(|e| FlowError::from(&e))?;
            self.router
                .count_decision(&stored.merchant_id, input.plan.decision());
            return Ok(stored);
        }
        // A step bound to a record's account (a mandate's change) is never held back.
        let bound = input.plan.is_bound();
        if !bound {
            self.take_turn(&mut input)?;
        }
        let pending = self.pending_session(&input, &id);
        // Written before the provider is called: a crash mid-call leaves a findable record.
        let _held = self.holdings.hold(Unsettled::Authentication(id.clone()));
        let mut pending = self
            .store
            .create(pending)
            .await
            .map_err(|e| FlowError::from(&e))?;
        // One deadline for the whole start, whichever accounts it tries.
        let ctx = CallContext::new(&id, deadline);
        // The first account's turn was taken before anything was written.
        let mut admitted = true;
        loop {
            let account = input.plan.account().clone();
            let turn = if admitted || bound {
                Ok(())
            } else {
                account.breaker.begin_call(std::time::Instant::now())
            };
            let attempt = match turn {
                Ok(()) => {
                    self.call_start(&account.adapter, &pending, &input, &ctx)
                        .await
                }
                // Another call holds the half-open account's probe: this one never left.
                Err(why) => Err(ConnectorError::NotSent(why)),
            };
            admitted = false;
            let err = match attempt {
                Ok(outcome) => {
                    self.router
                        .count_decision(&pending.merchant_id, input.plan.decision());
                    let next = apply(&pending, outcome);
                    return self.save_answer(&pending, next).await;
                }
                Err(err) => err,
            };
            // Only a start no provider received may move on: the session is never split
            // between two accounts that both acted. A mandate's start stays: its account
            // is already written into the mandate, which its debits will follow.
            // Nor once the caller's time is spent: the next account could not be reached
            // either, and would only lose its probe.
            let time_left = ctx
                .remaining()
                .is_none_or(|left| left >= Duration::from_millis(20));
            let not_reached = input.mandate.is_none()
                && time_left
                && matches!(
                    err,
                    ConnectorError::NotSent(_) | ConnectorError::Unauthorized(_)
                );
            let why = format!("not reached: {err}");
            let (card, browser) = (&input.card, &input.browser);
            let moved = not_reached
                && input
                    .plan
                    .fail_over(&why, |next| {
                        unfit(next.adapter.capabilities(), card, browser)
                    })
                    .is_some();
            if !moved {
                self.router
                    .count_decision(&pending.merchant_id, input.plan.decision());
                return self
                    .record_failure(&pending, &err, AuthenticationStatus::Failed)
                    .await;
            }
            tracing::warn!(authentication_id = %id, error = %err, account = %input.plan.account().name, "start not reached its provider; moving to the next account");
            let mut next = pending.clone();
            next.connector = input.plan.account().connector.as_str().to_owned();
            next.routing = Some(input.plan.decision().clone());
            next.updated_at_ms = now_ms();
            // A fresh lease: the resolver leaves the start alone while the next account works.
            next.claim = Some(self.new_claim());
            pending = self
                .store
                .transition(&pending, next)
                .await
                .map_err(|e| FlowError::from(&e))?;
        }
    }

    /// The route of a new authentication (see [`Flows::plan`]): when the chosen account's
    /// provider cannot take this card or browser at all, the next account that can is
    /// chosen instead, before anything is sent; when none can, the chosen one stays and
    /// gives its own answer (AUTHENTICATION_NOT_AVAILABLE, or the fields it needs); when
    /// one can take a card the chosen one cannot, but is unhealthy now, UNAVAILABLE
    /// `NO_HEALTHY_ACCOUNT`.
    pub fn plan_start(
        &self,
        merchant_id: &str,
        pinned: &str,
        facts: &payorch_router::Facts<'_>,
        card: &Card,
        browser: &Browser,
    ) -> Result<Plan, FlowError> {
        let mut plan = self.plan(merchant_id, pinned, facts, |_| None)?;
        let passed =
            plan.pass_over_unfit(|account| unfit(account.adapter.capabilities(), card, browser));
        // An account that can take the card and lacks only fields the request could carry
        // names them (the caller can send them now) instead of waiting for another account.
        match passed {
            Err(e) if card_unfit(plan.account().adapter.capabilities(), card).is_some() => {
                Err(self.no_route(merchant_id, e))
            }
            _ => Ok(plan),
        }
    }

    /// The PENDING record a start writes before its provider is called, on the plan's
    /// current account.
    fn pending_session(&self, input: &StartInput, id: &str) -> AuthenticationSession {
        let now = now_ms();
        AuthenticationSession {
            id: id.to_owned(),
            merchant_id: input.merchant_id.clone(),
            connector: input.plan.account().connector.as_str().to_owned(),
            routing: Some(input.plan.decision().clone()),
            status: AuthenticationStatus::Pending,
            flow: None,
            amount: input.amount,
            card_bin: input.card.bin().to_owned(),
            card_last4: input.card.last4().to_owned(),
            failure_reason: None,
            recommendation: None,
            provider_status: None,
            provider_reference: None,
            attempts_remaining: 0,
            resends_remaining: 0,
            expires_at_ms: Some(now.saturating_add(window_ms(&self.settings))),
            next_action: None,
            return_url: input.return_url.clone(),
            order_reference: match &input.mandate {
                Some(m) => m.mandate_id.clone(),
                None => input.order_reference.clone(),
            },
            connector_state: None,
            capture: input.capture,
            completed_by: None,
            cancel_reason: None,
            claim: Some(self.new_claim()),
            created_at_ms: now,
            updated_at_ms: now,
            version: 0,
            card: Some(input.card.clone()),
        }
    }

    /// Takes the plan's first account's turn (its half-open probe, if it is half-open) before
    /// anything is written; an account whose probe another call holds is passed over
    /// (a mandate's registration, already written on its account, is refused instead).
    /// UNAVAILABLE `NO_HEALTHY_ACCOUNT` when none is left.
    fn take_turn(&self, input: &mut StartInput) -> Result<(), FlowError> {
        loop {
            let Err(why) = input
                .plan
                .account()
                .breaker
                .begin_call(std::time::Instant::now())
            else {
                return Ok(());
            };
            let (card, browser) = (&input.card, &input.browser);
            let moved = input.mandate.is_none()
                && input
                    .plan
                    .fail_over(&why, |next| {
                        unfit(next.adapter.capabilities(), card, browser)
                    })
                    .is_some();
            if !moved {
                let reasons: Vec<String> = input
                    .plan
                    .decision()
                    .candidates
                    .iter()
                    .map(|c| {
                        let reason = c.skipped.as_deref().unwrap_or(why.as_str());
                        format!("{}: {reason}", c.account)
                    })
                    .collect();
                return Err(FlowError::new(
                    ErrorKind::Unavailable,
                    "NO_HEALTHY_ACCOUNT",
                    format!("no account can take the call now: {}", reasons.join("; ")),
                ));
            }
        }
    }

    /// The one provider call that starts the session (a payment's or a mandate's).
    async fn call_start(
        &self,
        connector: &Arc<dyn Connector>,
        pending: &AuthenticationSession,
        input: &StartInput,
        ctx: &CallContext,
    ) -> Result<payorch_connector::model::AuthenticationOutcome, ConnectorError> {
        let card = pending
            .card
            .as_ref()
            .ok_or_else(|| ConnectorError::InvalidState("card data missing".into()))?;
        let id = &pending.id;
        let callback = self.callback_url(id);
        match &input.mandate {
            None => {
                let request = StartAuthentication {
                    authentication_id: id,
                    card,
                    amount: pending.amount,
                    browser: &input.browser,
                    return_url: &callback,
                    order_reference: &pending.order_reference,
                    preferred_flow: input.preferred_flow,
                    capture: input.capture,
                };
                connector.start_authentication(ctx, &request).await
            }
            Some(m) => {
                let request = MandateAuthentication {
                    action: m.action,
                    authentication_id: id,
                    mandate_id: &m.mandate_id,
                    card,
                    terms: &m.terms,
                    alert_preference: m.alert_preference,
                    amount: pending.amount,
                    browser: &input.browser,
                    return_url: &callback,
                    reference: m.reference.as_ref(),
                    customer_email: &m.customer_email,
                    customer_phone: &m.customer_phone,
                };
                connector.start_mandate_authentication(ctx, &request).await
            }
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

/// Why a provider cannot take this start's card or browser (a fall-back account is then
/// passed over), if it cannot.
fn unfit(
    capabilities: &payorch_connector::Capabilities,
    card: &Card,
    browser: &Browser,
) -> Option<String> {
    if let Some(why) = card_unfit(capabilities, card) {
        return Some(why);
    }
    let missing: Vec<&str> = capabilities
        .refusals(card, browser)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    (!missing.is_empty()).then(|| format!("its provider needs {}", missing.join(", ")))
}

/// Why a provider cannot take this card at all (its brand, or a network token), if it cannot.
fn card_unfit(capabilities: &payorch_connector::Capabilities, card: &Card) -> Option<String> {
    if !capabilities.authenticates(card) {
        return Some(format!("cannot authenticate {:?} cards", card.brand()));
    }
    if card.is_network_token() && !capabilities.network_tokens {
        return Some("does not take network tokens".into());
    }
    None
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

/// The authentication window, in milliseconds.
fn window_ms(settings: &crate::config::Settings) -> i64 {
    i64::try_from(settings.retention.authentication_window().as_millis()).unwrap_or(i64::MAX)
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
