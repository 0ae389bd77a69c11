//! Payer authentication: the order and the Direct OTP transaction (`/orders`, `/txns`),
//! OTP submission and resend, the 3DS fallback's return, and status lookups.

use async_trait::async_trait;
use payorch_connector::Authenticator;

use payorch_connector::model::{
    AuthenticationOutcome, RedirectParams, StartAuthentication, redirect_param,
};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::codes::npci_outcome;
use payorch_core::session::{AuthenticationSession, NextAction, ProviderStatus};
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};
use serde_json::{Map, Value};

use crate::adapter::{JuspayConnector, now_ms, rejected, routing_id};
use crate::auth::verify_return;
use crate::mapping::{self, AuthReading};
use crate::redirect::redirect_action;
use crate::state::{self, AuthFlow, AuthState};
use crate::wire::request::{self as rq, AuthType};
use crate::wire::response::{Authentication, OrderStatus, TxnResponse, param_bool, param_text};

/// Juspay's code for a resend past `max_otp_send_limit` (the current OTP stays valid).
const RESEND_LIMIT: &str = "max_limit_exceeded";
/// NPCI's code for a wrong OTP.
const INVALID_OTP: &str = "450";

impl JuspayConnector {
    /// The step a PENDING_VBV transaction asks for: Direct OTP when Juspay allows the OTP
    /// to be submitted server to server, else the page Juspay names (its `fallback_url`
    /// for a Direct OTP step that cannot take the OTP, the 3DS page otherwise).
    fn challenge(
        &self,
        step: &Authentication,
        state: &mut AuthState,
        provider_status: ProviderStatus,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let params = step.params.clone().unwrap_or_default();
        let challenge_id = param_text(&params, "challenge_id");
        let otp_allowed = param_bool(&params, "submit_otp_allowed") != Some(false);
        if let Some(challenge_id) = challenge_id.filter(|_| otp_allowed) {
            state.flow = AuthFlow::Seamless;
            state.challenge_id = Some(challenge_id);
            let (attempts, resends) = mapping::otp_counters(&params);
            let mut outcome = self.collect_otp(provider_status);
            outcome.attempts_remaining = Some(attempts.unwrap_or(self.config.otp_attempts));
            outcome.resends_remaining = Some(resends.unwrap_or(self.config.otp_resends));
            return Ok(outcome);
        }
        let next_action = match param_text(&params, "fallback_url") {
            Some(fallback) if param_text(&params, "challenge_id").is_some() => {
                redirect_action("GET", &fallback, &Map::new())
            }
            _ => {
                let url = step
                    .url
                    .as_deref()
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| {
                        ConnectorError::OutcomeUnknown(
                            "txn: authentication step without a URL".into(),
                        )
                    })?;
                let method = step.method.as_deref().unwrap_or("GET");
                redirect_action(method, url, &params)
            }
        };
        state.flow = AuthFlow::Redirect;
        let mut outcome =
            AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
        outcome.flow = Some(Flow::Redirect);
        outcome.next_action = Some(next_action);
        outcome.recommendation = Some(Recommendation::Proceed);
        outcome.provider_status = Some(provider_status);
        outcome.expires_at_ms = self.config.otp_validity_ms.map(|v| now_ms() + v);
        Ok(outcome)
    }

    /// An OTP_REQUIRED outcome showing the merchant's OTP form.
    fn collect_otp(&self, provider_status: ProviderStatus) -> AuthenticationOutcome {
        let expires_at_ms = self.config.otp_validity_ms.map(|v| now_ms() + v);
        let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
        outcome.flow = Some(Flow::Seamless);
        outcome.next_action = Some(NextAction::CollectOtp {
            expires_at_ms,
            otp_length: self.config.otp_length,
        });
        outcome.recommendation = Some(Recommendation::RetryOtp);
        outcome.provider_status = Some(provider_status);
        outcome.expires_at_ms = expires_at_ms;
        outcome
    }
}

/// The order's current transaction as an authentication result.
fn order_reading(order: &OrderStatus, at_start: bool) -> AuthReading {
    let code = order
        .bank_error_code
        .clone()
        .filter(|c| !c.is_empty())
        .or_else(|| order.txn_detail.as_ref().and_then(|d| d.error_code.clone()));
    mapping::authentication_result(
        order.status.as_deref().unwrap_or_default(),
        code.as_deref(),
        mapping::order_status(order),
        at_start,
    )
}

fn lost_challenge(provider_status: ProviderStatus) -> AuthenticationOutcome {
    let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
    o.failure_reason = Some(FailureReason::ProviderError);
    o.recommendation = Some(Recommendation::DoNotProceed);
    o.provider_status = Some(provider_status);
    o
}

/// The Direct OTP challenge of a seamless authentication.
fn seamless_challenge<'a>(state: &'a AuthState, step: &str) -> Result<&'a str, ConnectorError> {
    match (&state.flow, &state.challenge_id) {
        (AuthFlow::Seamless, Some(challenge)) => Ok(challenge),
        _ => Err(ConnectorError::InvalidState(format!(
            "{step} needs a Direct OTP authentication"
        ))),
    }
}

#[async_trait]
impl Authenticator for JuspayConnector {
    /// Creates the order (with the capture decision and the payer's browser), then the
    /// Direct OTP transaction, and reads which step the payer faces.
    async fn start_authentication(
        &self,
        ctx: &CallContext,
        request: &StartAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        if request.card.is_network_token() {
            return Err(ConnectorError::Unsupported(
                "network tokens with Juspay Direct OTP",
            ));
        }
        let order_id = mapping::order_id_for(request.authentication_id);
        let order = rq::OrderCreate {
            order_id: &order_id,
            amount: request.amount,
            return_url: request.return_url,
            ip_address: &request.browser.ip_address,
            user_agent: &request.browser.user_agent,
            auto_capture: request.capture,
        };
        let _: Value = self
            .post(
                ctx,
                "order_create",
                "/orders",
                routing_id(&order_id),
                &order.form(),
            )
            .await?;
        let auth_type = match request.preferred_flow {
            Some(Flow::Redirect) => AuthType::ThreeDs,
            _ => AuthType::Otp,
        };
        let txn = rq::TxnCreate {
            order_id: &order_id,
            merchant_id: &self.config.merchant_id,
            card: request.card,
            auth_type,
        };
        // The order exists at Juspay now: whatever stops the txn, the start has acted, so
        // it is never reported as one that did not reach the provider (which would let
        // payorch start again on another account).
        let answer: TxnResponse = self
            .post(ctx, "txn", "/txns", routing_id(&order_id), &txn.form())
            .await
            .map_err(ConnectorError::after_provider_acted)?;
        let params = answer
            .authentication()
            .and_then(|a| a.params.clone())
            .unwrap_or_default();
        let Some(txn_uuid) = answer
            .txn_uuid()
            .map(str::to_owned)
            .or_else(|| param_text(&params, "id"))
        else {
            // Something happened at Juspay that this answer does not let us follow.
            return Err(ConnectorError::OutcomeUnknown(
                "txn: answer names no transaction".into(),
            ));
        };
        let mut state = AuthState {
            order_id,
            txn_uuid: txn_uuid.clone(),
            txn_id: answer.txn_id.clone(),
            flow: match auth_type {
                AuthType::Otp => AuthFlow::Seamless,
                AuthType::ThreeDs => AuthFlow::Redirect,
            },
            challenge_id: None,
            auto_capture: request.capture,
        };
        let status = answer.status.clone().unwrap_or_default();
        let provider_status = mapping::txn_status(&answer);
        let mut outcome = match mapping::authentication_result(
            &status,
            answer.bank_error_code.as_deref(),
            provider_status.clone(),
            true,
        ) {
            AuthReading::Settled(outcome) => *outcome,
            AuthReading::Pending => {
                let step = answer.authentication().ok_or_else(|| {
                    ConnectorError::OutcomeUnknown(
                        "txn: PENDING_VBV without an authentication step".into(),
                    )
                })?;
                self.challenge(step, &mut state, provider_status)?
            }
            AuthReading::Unrecognised => {
                return Err(ConnectorError::OutcomeUnknown(format!(
                    "txn: unrecognised status {status:?}"
                )));
            }
        };
        outcome.provider_reference = Some(txn_uuid);
        outcome.connector_state = Some(state::CODEC.encode(&state)?);
        Ok(outcome)
    }

    /// `POST /v2/txns/{txn_uuid}/authenticate`: a right OTP also authorizes (CHARGED or
    /// AUTHORIZED); a wrong one leaves the transaction PENDING_VBV with NPCI 450.
    async fn submit_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        otp: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state: AuthState = state::CODEC.decode(session.connector_state.as_ref())?;
        let challenge_id = seamless_challenge(&state, "OTP submission")?;
        let path = format!(
            "/v2/txns/{}/authenticate",
            urlencoding::encode(&state.txn_uuid)
        );
        let answer: TxnResponse = self
            .post(
                ctx,
                "authenticate",
                &path,
                routing_id(&state.order_id),
                &rq::submit_otp(challenge_id, otp),
            )
            .await?;
        let status = answer.status.clone().unwrap_or_default();
        let provider_status = mapping::txn_status(&answer);
        match mapping::authentication_result(
            &status,
            answer.bank_error_code.as_deref(),
            provider_status.clone(),
            false,
        ) {
            AuthReading::Settled(outcome) => Ok(*outcome),
            AuthReading::Pending => {
                let params = answer
                    .authentication()
                    .and_then(|a| a.params.clone())
                    .unwrap_or_default();
                let wrong = answer.bank_error_code.as_deref() == Some(INVALID_OTP);
                let (attempts, resends) = mapping::otp_counters(&params);
                let attempts = attempts.unwrap_or(if wrong {
                    session.attempts_remaining - 1
                } else {
                    session.attempts_remaining
                });
                let resends = resends.unwrap_or(session.resends_remaining);
                let mut outcome =
                    AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
                outcome.recommendation = Some(Recommendation::RetryOtp);
                if let Some(row) = npci_outcome(INVALID_OTP).filter(|_| wrong) {
                    let row = row.with_limits(attempts, resends);
                    outcome.status = row.status;
                    outcome.failure_reason = row.failure_reason;
                    outcome.recommendation = Some(row.recommendation);
                } else if attempts <= 0 {
                    outcome.status = AuthenticationStatus::Failed;
                    outcome.failure_reason = Some(FailureReason::OtpAttemptsExhausted);
                    outcome.recommendation = Some(Recommendation::DoNotProceed);
                }
                outcome.attempts_remaining = Some(attempts.max(0));
                outcome.resends_remaining = Some(resends.max(0));
                outcome.provider_status = Some(provider_status);
                Ok(outcome)
            }
            AuthReading::Unrecognised => Err(ConnectorError::OutcomeUnknown(format!(
                "authenticate: unrecognised status {status:?}"
            ))),
        }
    }

    /// `POST /v2/txns/{txn_uuid}/authenticate/{challenge_id}/resend`. A resend past the
    /// limit is refused with `max_limit_exceeded` and the current OTP stays valid, so
    /// the authentication stays OTP_REQUIRED with RESEND_LIMIT_REACHED.
    async fn resend_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state: AuthState = state::CODEC.decode(session.connector_state.as_ref())?;
        let challenge_id = seamless_challenge(&state, "OTP resend")?;
        let path = format!(
            "/v2/txns/{}/authenticate/{}/resend",
            urlencoding::encode(&state.txn_uuid),
            urlencoding::encode(challenge_id)
        );
        let answer = self
            .post::<TxnResponse>(
                ctx,
                "resend",
                &path,
                routing_id(&state.order_id),
                &Vec::new(),
            )
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(ConnectorError::Rejected { status, .. }) if status.code == RESEND_LIMIT => {
                let mut outcome = if session.attempts_remaining > 0 {
                    let mut o =
                        AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
                    o.recommendation = Some(Recommendation::RetryOtp);
                    o
                } else {
                    let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
                    o.recommendation = Some(Recommendation::DoNotProceed);
                    o
                };
                outcome.failure_reason = Some(FailureReason::ResendLimitReached);
                outcome.resends_remaining = Some(0);
                outcome.provider_status = Some(status);
                return Ok(outcome);
            }
            Err(err) => return Err(err),
        };
        let status = answer.status.clone().unwrap_or_default();
        let provider_status = mapping::txn_status(&answer);
        match mapping::authentication_result(
            &status,
            answer.bank_error_code.as_deref(),
            provider_status.clone(),
            false,
        ) {
            AuthReading::Settled(outcome) => Ok(*outcome),
            AuthReading::Pending => {
                let params = answer
                    .authentication()
                    .and_then(|a| a.params.clone())
                    .unwrap_or_default();
                let (attempts, resends) = mapping::otp_counters(&params);
                let mut outcome = self.collect_otp(provider_status);
                outcome.attempts_remaining = attempts.or(Some(session.attempts_remaining));
                outcome.resends_remaining =
                    Some(resends.unwrap_or(session.resends_remaining - 1).max(0));
                Ok(outcome)
            }
            AuthReading::Unrecognised => Err(ConnectorError::OutcomeUnknown(format!(
                "resend: unrecognised status {status:?}"
            ))),
        }
    }

    /// The payer's browser came back from the 3DS page (or from the Direct OTP
    /// `fallback_url`). The parameters are checked (same order; signature when a response
    /// key is configured), and the result is read from Juspay, never from the browser.
    async fn complete_redirect(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        params: &RedirectParams,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state: AuthState = state::CODEC.decode(session.connector_state.as_ref())?;
        if let Some(order_id) = redirect_param(params, &["order_id"])
            && order_id.trim() != state.order_id
        {
            return Err(rejected(
                "ORDER_MISMATCH",
                "the returned order_id does not name this authentication's order",
                Some("params.order_id"),
            ));
        }
        if let Some(key) = &self.config.response_key {
            let signature = redirect_param(params, &["signature"]).unwrap_or_default();
            let signed = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            if !verify_return(key, signed, signature) {
                return Err(rejected(
                    "SIGNATURE_MISMATCH",
                    "the return parameters' signature does not verify",
                    Some("params.signature"),
                ));
            }
        }
        let order = self.order(ctx, &state.order_id).await?.ok_or_else(|| {
            ConnectorError::InvalidState("juspay knows no order for this authentication".into())
        })?;
        match order_reading(&order, false) {
            AuthReading::Settled(outcome) => Ok(*outcome),
            // Back from the page, but Juspay has no result yet: still waiting for it.
            AuthReading::Pending => {
                let mut outcome =
                    AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
                outcome.provider_status = Some(mapping::order_status(&order));
                Ok(outcome)
            }
            AuthReading::Unrecognised => Err(ConnectorError::OutcomeUnknown(format!(
                "order_status: unrecognised status {:?}",
                order.status
            ))),
        }
    }

    /// Where the authentication stands at Juspay (a read). Resolves an UNKNOWN session
    /// whose `/txns` or OTP answer was lost. A pending transaction whose challenge this
    /// adapter never learnt (the `/txns` answer was lost) cannot be continued: the order
    /// view does not carry the challenge, so it is reported FAILED (nothing was charged).
    async fn sync_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let known: Option<AuthState> = state::CODEC.decode(session.connector_state.as_ref()).ok();
        let order_id = known.as_ref().map_or_else(
            || mapping::order_id_for(&session.id),
            |s| s.order_id.clone(),
        );
        let Some(order) = self.order(ctx, &order_id).await? else {
            // The order was never created: nothing happened at Juspay.
            let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
            outcome.failure_reason = Some(FailureReason::ProviderError);
            outcome.recommendation = Some(Recommendation::DoNotProceed);
            return Ok(outcome);
        };
        let provider_status = mapping::order_status(&order);
        let mut outcome = match (order_reading(&order, known.is_none()), &known) {
            (AuthReading::Settled(outcome), _) => *outcome,
            (AuthReading::Pending, Some(s)) if s.flow == AuthFlow::Seamless => {
                if s.challenge_id.is_none() {
                    lost_challenge(provider_status)
                } else {
                    let mut o =
                        AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
                    o.recommendation = Some(Recommendation::RetryOtp);
                    o.provider_status = Some(provider_status);
                    o
                }
            }
            (AuthReading::Pending, Some(_)) => {
                let mut o =
                    AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
                o.provider_status = Some(provider_status);
                o
            }
            (AuthReading::Pending, None) => lost_challenge(provider_status),
            (AuthReading::Unrecognised, _) => {
                return Err(ConnectorError::OutcomeUnknown(format!(
                    "order_status: unrecognised status {:?}",
                    order.status
                )));
            }
        };
        // A session whose start answer was lost learns its transaction now.
        if known.is_none()
            && let Some(txn_uuid) = order.txn_uuid.clone()
        {
            let detail = order.txn_detail.clone().unwrap_or_default();
            outcome.provider_reference = Some(txn_uuid.clone());
            outcome.connector_state = Some(state::CODEC.encode(&AuthState {
                order_id,
                txn_uuid,
                txn_id: order.txn_id.clone(),
                flow: match order.auth_type.as_deref() {
                    Some("OTP") => AuthFlow::Seamless,
                    _ => AuthFlow::Redirect,
                },
                challenge_id: None,
                auto_capture: detail.auto_capture.unwrap_or(true),
            })?);
        }
        Ok(outcome)
    }
}
