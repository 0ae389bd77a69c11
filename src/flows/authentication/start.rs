//! Starting an authentication: the route with its card-fitness pass, the PENDING record
//! written before any provider call, the chosen account's turn at its breaker, and the move
//! to the next account only when the first provably did nothing.

use super::*;

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

impl StartInput {
    /// Moves the start to its plan's next account that can take its card and browser, after
    /// the current one did nothing (`why`); false when there is none, or the start is a
    /// mandate's (its account is already written into the mandate, which its debits follow).
    fn fail_over(&mut self, why: &str) -> bool {
        let (card, browser) = (&self.card, &self.browser);
        self.mandate.is_none()
            && self
                .plan
                .fail_over(why, |next| {
                    unfit(next.adapter.capabilities(), card, browser)
                })
                .is_some()
    }
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

impl Flows {
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
            let not_reached = time_left
                && matches!(
                    err,
                    ConnectorError::NotSent(_) | ConnectorError::Unauthorized(_)
                );
            let moved = not_reached && input.fail_over(&format!("not reached: {err}"));
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
            if !input.fail_over(&why) {
                let refused = input.plan.unavailable(&why);
                return Err(self.no_route(&input.merchant_id, refused));
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

/// The authentication window, in milliseconds.
fn window_ms(settings: &crate::config::Settings) -> i64 {
    i64::try_from(settings.retention.authentication_window().as_millis()).unwrap_or(i64::MAX)
}
