//! RuPay payer authentication through IPG (seed 002):
//! `PaymentCardPayerAuthTransaction` + `RupayAuthenticationRequest` starts it and answers
//! either `acsURL` (redirect) or `otpVerificationResponse.otpValidityInMinutes`
//! (seamless); `PATCH /payments/{ipgTransactionId}` verifies or regenerates the OTP; the
//! transaction inquiry tells where it stands (and confirms a redirect's return).

use async_trait::async_trait;
use payorch_connector::Authenticator;
use std::collections::BTreeMap;

use payorch_connector::CallContext;
use payorch_connector::ConnectorError;
use payorch_connector::http::Idempotence;
use payorch_connector::model::{
    AuthenticationOutcome, RedirectParams, StartAuthentication, redirect_param,
};
use payorch_core::session::{AuthenticationSession, NextAction};
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};
use reqwest::Method;

use crate::adapter::{FiservIpgConnector, payment_path, redirect_html, rejected};
use crate::mapping;
use crate::signing::{now_ms, same};
use crate::state::{self, AuthFlow, AuthState};
use crate::wire::request::{Amount, Order, PaymentMethod};
use crate::wire::response::Response;
use crate::wire::rupay;

/// NPCI OTPs are six digits.
const OTP_LENGTH: u32 = 6;

impl FiservIpgConnector {
    /// What a payer authentication's answer (or, after a lost answer, its inquiry)
    /// opened: a redirect, an OTP challenge, or a failure.
    fn start_outcome(
        &self,
        answer: &Response,
        order_id: String,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let mut state = AuthState {
            flow: None,
            ipg_transaction_id: answer.ipg_transaction_id.clone().unwrap_or_default(),
            order_id: answer.order_id.clone().unwrap_or(order_id),
        };
        let reference = answer.ipg_transaction_id.clone();
        if let Some(acs_url) = answer.acs_url() {
            let Some(reference) = reference else {
                return Err(ConnectorError::OutcomeUnknown(
                    "payer_auth: redirect answer without an ipgTransactionId".into(),
                ));
            };
            state.flow = Some(AuthFlow::Redirect);
            // The seed documents no form fields: the acsURL itself names the session.
            let form_fields = BTreeMap::new();
            let html = redirect_html(acs_url, &form_fields);
            let mut outcome =
                AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
            outcome.flow = Some(Flow::Redirect);
            outcome.next_action = Some(NextAction::Redirect {
                url: acs_url.to_owned(),
                method: "POST".into(),
                form_fields,
                html,
            });
            outcome.recommendation = Some(Recommendation::Proceed);
            outcome.provider_status = Some(mapping::authentication_status(answer));
            outcome.provider_reference = Some(reference);
            outcome.connector_state = Some(state::CODEC.encode(&state)?);
            return Ok(outcome);
        }
        if let Some(minutes) = otp_validity(answer) {
            let Some(reference) = reference else {
                return Err(ConnectorError::OutcomeUnknown(
                    "payer_auth: OTP answer without an ipgTransactionId".into(),
                ));
            };
            state.flow = Some(AuthFlow::Seamless);
            let mut outcome = seamless_challenge(answer, minutes, &state)?;
            outcome.provider_reference = Some(reference);
            outcome.attempts_remaining = Some(self.config.otp_attempts);
            outcome.resends_remaining = Some(self.config.otp_resends);
            return Ok(outcome);
        }
        match mapping::authentication_result(answer, 0, 0) {
            Some(mut outcome) => {
                // Before any OTP was asked for, 412 (issuer authentication failure) means
                // the issuer could not authenticate this payer at all: unavailable.
                if outcome.provider_status.as_ref().map(|s| s.code.as_str()) == Some("412") {
                    outcome.failure_reason = Some(FailureReason::IssuerUnavailable);
                }
                outcome.provider_reference = reference;
                Ok(outcome)
            }
            // WAITING with neither an ACS nor an OTP: the issuer may have sent an OTP we
            // cannot point the payer to.
            None => Err(ConnectorError::OutcomeUnknown(
                "payer_auth: waiting answer with neither acsURL nor otpVerificationResponse".into(),
            )),
        }
    }

    async fn find_started(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let order = self.order(ctx, &session.id).await?.unwrap_or_default();
        let Some(payer_auth) = order
            .transactions
            .iter()
            .rev()
            .find(|t| t.kind() == "PAYER_AUTH")
        else {
            // IPG never recorded it: the start did not happen.
            let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
            outcome.failure_reason = Some(FailureReason::ProviderError);
            outcome.recommendation = Some(Recommendation::DoNotProceed);
            return Ok(outcome);
        };
        // Still waiting: the challenge as it was opened (an OTP's expiry counted from now).
        self.start_outcome(payer_auth, session.id.clone())
    }
}

fn seamless_state(
    session: &AuthenticationSession,
    step: &str,
) -> Result<AuthState, ConnectorError> {
    let state: AuthState = state::CODEC.decode(session.connector_state.as_ref())?;
    if state.flow != Some(AuthFlow::Seamless) {
        return Err(ConnectorError::InvalidState(format!(
            "{step} needs a seamless authentication"
        )));
    }
    Ok(state)
}

/// `otpValidityInMinutes`, when the answer opened (or reopened) an OTP challenge.
fn otp_validity(answer: &Response) -> Option<i64> {
    answer
        .otp()
        .and_then(|o| o.otp_validity_in_minutes.as_deref())
        .and_then(|m| m.trim().parse::<f64>().ok())
        .filter(|m| m.is_finite() && *m >= 0.0)
        // Whole minutes in practice; a fraction is rounded down to the millisecond.
        .map(|m| (m * 60_000.0) as i64)
}

fn seamless_challenge(
    answer: &Response,
    validity_ms: i64,
    state: &AuthState,
) -> Result<AuthenticationOutcome, ConnectorError> {
    let expires_at_ms = Some(now_ms() + validity_ms);
    let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
    outcome.flow = Some(Flow::Seamless);
    outcome.next_action = Some(NextAction::CollectOtp {
        expires_at_ms,
        otp_length: OTP_LENGTH,
    });
    outcome.recommendation = Some(Recommendation::RetryOtp);
    outcome.provider_status = Some(mapping::authentication_status(answer));
    outcome.provider_reference = Some(state.ipg_transaction_id.clone());
    outcome.expires_at_ms = expires_at_ms;
    outcome.connector_state = Some(state::CODEC.encode(state)?);
    Ok(outcome)
}

fn still_waiting(answer: &Response, status: AuthenticationStatus) -> AuthenticationOutcome {
    let mut outcome = AuthenticationOutcome::with_status(status);
    outcome.recommendation = Some(match status {
        AuthenticationStatus::OtpRequired => Recommendation::RetryOtp,
        _ => Recommendation::Proceed,
    });
    outcome.provider_status = Some(mapping::authentication_status(answer));
    outcome
}

#[async_trait]
impl Authenticator for FiservIpgConnector {
    async fn start_authentication(
        &self,
        ctx: &CallContext,
        request: &StartAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        // payorch names the order after the authentication, so a payer authentication or
        // an authorization whose answer was lost can be found again by order inquiry.
        let order_id = request.authentication_id.to_owned();
        let body = rupay::PayerAuthTransaction {
            request_type: rupay::PAYER_AUTH,
            store_id: self.store_id(),
            transaction_amount: Amount::of(request.amount)?,
            order: Order {
                order_id: order_id.clone(),
            },
            payment_method: PaymentMethod::of(request.card),
            authentication_request: rupay::AuthenticationRequest {
                authentication_type: rupay::AUTHENTICATION_TYPE,
                term_url: request.return_url.to_owned(),
                browser: rupay::BrowserParams {
                    accept_headers: request.browser.accept_header.clone(),
                    ip: request.browser.ip_address.clone(),
                    language: request.browser.language.clone(),
                    user_agent: request.browser.user_agent.clone(),
                },
            },
        };
        let answer = self
            .send_json(
                ctx,
                Idempotence::Write,
                "payer_auth",
                Method::POST,
                "/payments",
                &body,
            )
            .await?;
        self.start_outcome(&answer, order_id)
    }

    async fn submit_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        otp: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state = seamless_state(session, "OTP submission")?;
        let card = session.card.as_ref().ok_or_else(|| {
            ConnectorError::InvalidState("the card is needed again to verify the OTP".into())
        })?;
        let body =
            rupay::AuthenticationUpdate::verify(self.store_id(), PaymentMethod::of(card), otp);
        let answer = self
            .send_json(
                ctx,
                Idempotence::Write,
                "verify_otp",
                Method::PATCH,
                &payment_path(&state.ipg_transaction_id),
                &body,
            )
            .await?;
        let code = mapping::authentication_status(&answer).code;
        let attempts = if code == "450" {
            session.attempts_remaining - 1
        } else {
            session.attempts_remaining
        };
        let mut outcome =
            mapping::authentication_result(&answer, attempts, session.resends_remaining)
                .ok_or_else(|| {
                    ConnectorError::OutcomeUnknown(
                        "verify_otp: answer carries no OTP result".into(),
                    )
                })?;
        outcome.attempts_remaining = Some(match outcome.failure_reason {
            Some(FailureReason::OtpAttemptsExhausted) => 0,
            _ => attempts.max(0),
        });
        outcome.connector_state = Some(state::CODEC.encode(&state)?);
        Ok(outcome)
    }

    async fn resend_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state = seamless_state(session, "OTP resend")?;
        let card = session.card.as_ref().ok_or_else(|| {
            ConnectorError::InvalidState("the card is needed again to resend the OTP".into())
        })?;
        let body =
            rupay::AuthenticationUpdate::regenerate(self.store_id(), PaymentMethod::of(card));
        let answer = self
            .send_json(
                ctx,
                Idempotence::Write,
                "regenerate_otp",
                Method::PATCH,
                &payment_path(&state.ipg_transaction_id),
                &body,
            )
            .await?;
        if let Some(minutes) = otp_validity(&answer)
            && answer.status() != "DECLINED"
        {
            let mut outcome = seamless_challenge(&answer, minutes, &state)?;
            outcome.resends_remaining = Some((session.resends_remaining - 1).max(0));
            return Ok(outcome);
        }
        let mut outcome = mapping::authentication_result(
            &answer,
            session.attempts_remaining,
            session.resends_remaining,
        )
        .ok_or_else(|| {
            ConnectorError::OutcomeUnknown("regenerate_otp: answer carries no OTP result".into())
        })?;
        if outcome.failure_reason == Some(FailureReason::ResendLimitReached) {
            outcome.resends_remaining = Some(0);
        }
        Ok(outcome)
    }

    /// The browser came back to termURL. Its fields are checked (same transaction, intact
    /// `response_hash`) but never trusted: the transaction inquiry decides.
    async fn complete_redirect(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        params: &RedirectParams,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state: AuthState = state::CODEC.decode(session.connector_state.as_ref())?;
        if state.flow != Some(AuthFlow::Redirect) {
            return Err(ConnectorError::InvalidState(
                "redirect completion needs a redirect authentication".into(),
            ));
        }
        let returned_id = redirect_param(params, &["ipgTransactionId"]);
        if let Some(id) = returned_id
            && id.trim() != state.ipg_transaction_id
        {
            return Err(rejected(
                "TRANSACTION_MISMATCH",
                "the returned ipgTransactionId does not name this authentication",
                Some("params.ipgTransactionId"),
            ));
        }
        if let Some(hash) = redirect_param(params, &["response_hash"]) {
            let expected = self.credentials.response_hash(
                redirect_param(params, &["approval_code"]).unwrap_or_default(),
                returned_id.unwrap_or_default(),
                redirect_param(params, &["oid"]).unwrap_or_default(),
                redirect_param(params, &["status"]).unwrap_or_default(),
            );
            if !same(hash.trim(), &expected) {
                return Err(rejected(
                    "HASH_MISMATCH",
                    "the returned response_hash does not match the returned fields",
                    Some("params.response_hash"),
                ));
            }
        }
        let answer = self
            .inquiry(ctx, "payer_auth_inquiry", &state.ipg_transaction_id)
            .await?;
        Ok(match mapping::authentication_result(&answer, 0, 0) {
            Some(mut outcome) => {
                outcome.connector_state = Some(state::CODEC.encode(&state)?);
                outcome
            }
            // The payer came back before finishing at the ACS: still waiting there.
            None => still_waiting(&answer, AuthenticationStatus::RedirectRequired),
        })
    }

    /// Where the payer authentication stands, by transaction inquiry (a read).
    async fn sync_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state = state::CODEC
            .decode::<AuthState>(session.connector_state.as_ref())
            .ok()
            .or_else(|| {
                session.provider_reference.clone().map(|id| AuthState {
                    flow: None,
                    ipg_transaction_id: id,
                    order_id: session.id.clone(),
                })
            });
        let Some(state) = state else {
            // The start's answer was lost: the order payorch named after the
            // authentication finds the payer authentication, if IPG created one.
            return self.find_started(ctx, session).await;
        };
        let answer = self
            .inquiry(ctx, "payer_auth_inquiry", &state.ipg_transaction_id)
            .await?;
        let outcome = mapping::authentication_result(
            &answer,
            session.attempts_remaining,
            session.resends_remaining,
        );
        Ok(match outcome {
            Some(outcome) => outcome,
            None => still_waiting(
                &answer,
                match state.flow {
                    Some(AuthFlow::Redirect) => AuthenticationStatus::RedirectRequired,
                    _ => AuthenticationStatus::OtpRequired,
                },
            ),
        })
    }
}
