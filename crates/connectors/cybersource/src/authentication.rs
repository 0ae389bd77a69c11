//! Payer authentication: the enrollment that starts it (redirect or seamless challenge),
//! OTP validation and resend (seamless), and the issuer's return (redirect), with the
//! mapping of their answers.

use async_trait::async_trait;
use payorch_connector::Authenticator;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use payorch_connector::http::Idempotence;
use payorch_connector::model::{
    AuthenticationOutcome, Browser, RedirectParams, StartAuthentication, redirect_param,
};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::card::Card;
use payorch_core::money::Money;
use payorch_core::session::{AuthenticationSession, NextAction, ProviderStatus};
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};

use crate::adapter::{CybersourceConnector, card_info, order};
use crate::mapping;
use crate::redirect::redirect_html;
use crate::state::{self, AuthFlow, AuthState};
use crate::wire::request as rq;
use crate::wire::response::Response;

const ENROLLMENT: &str = "/risk/v1/authentications";
const VALIDATION: &str = "/risk/v1/authentication-results";
pub(crate) const OTP_LENGTH: u32 = 6;

impl CybersourceConnector {
    fn enrollment_request(
        &self,
        reference: &str,
        card: &Card,
        amount: Money,
        state: &AuthState,
        resend_of: Option<String>,
    ) -> rq::EnrollmentRequest {
        rq::EnrollmentRequest {
            client_reference_information: rq::ClientReference {
                code: reference.to_owned(),
            },
            order_information: order(amount),
            payment_information: card_info(card),
            device_information: rq::DeviceInformation {
                ip_address: state.ip_address.clone(),
                http_accept_browser_value: Some(state.accept_header.clone()),
                user_agent_browser_value: Some(state.user_agent.clone()),
                ..rq::DeviceInformation::default()
            },
            consumer_authentication_information: rq::EnrollmentAuthentication {
                transaction_flow_indicator: self.config.transaction_flow_indicator,
                authentication_transaction_id: resend_of,
            },
        }
    }

    /// Maps an answer that starts a payer authentication (an enrollment, or a billing
    /// agreement's registration, modification or deregistration, which answer alike).
    pub(crate) fn enrollment_outcome(
        &self,
        answer: &Response,
        mut state: AuthState,
        return_url: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let cai = answer
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        match answer.status.as_deref() {
            Some("PENDING_AUTHENTICATION") => {
                if let (Some(acs_url), Some(pareq)) = (cai.acs_url.clone(), cai.pareq.clone()) {
                    let xid = cai
                        .xid
                        .clone()
                        .or(cai.authentication_transaction_id.clone())
                        .unwrap_or_default();
                    state.flow = Some(AuthFlow::Redirect);
                    state.transaction_id = cai
                        .authentication_transaction_id
                        .clone()
                        .unwrap_or_else(|| xid.clone());
                    state.xid = Some(xid.clone());
                    state.token = cai.token.clone();
                    state.remember(answer.id.as_deref());
                    let form_fields = BTreeMap::from([
                        ("PaReq".to_owned(), pareq),
                        ("TermUrl".to_owned(), return_url.to_owned()),
                        // Seed 004: the merchant data posted to the ACS is the xid.
                        ("MD".to_owned(), xid.clone()),
                    ]);
                    let html = redirect_html(&acs_url, &form_fields);
                    let mut outcome =
                        AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
                    outcome.flow = Some(Flow::Redirect);
                    outcome.next_action = Some(NextAction::Redirect {
                        url: acs_url,
                        method: "POST".into(),
                        form_fields,
                        html,
                    });
                    outcome.recommendation = Some(Recommendation::Proceed);
                    outcome.provider_status = Some(mapping::authentication_status(answer));
                    outcome.provider_reference = Some(xid);
                    outcome.connector_state = Some(state::CODEC.encode(&state)?);
                    Ok(outcome)
                } else if cai.authentication_type.as_deref() == Some("20")
                    || cai.context().is_some()
                {
                    let mut outcome = self.seamless_challenge(answer, &mut state)?;
                    outcome.attempts_remaining = Some(self.config.otp_attempts);
                    outcome.resends_remaining = Some(self.config.otp_resends);
                    Ok(outcome)
                } else {
                    // The issuer may have sent an OTP we cannot point the payer to.
                    Err(ConnectorError::OutcomeUnknown(
                        "enrollment: pending answer with neither an ACS URL nor an OTP challenge"
                            .into(),
                    ))
                }
            }
            // Frictionless success does not exist for RuPay, but take it as such.
            Some("AUTHENTICATION_SUCCESSFUL") => {
                state.transaction_id = cai
                    .authentication_transaction_id
                    .clone()
                    .unwrap_or_default();
                Self::authenticated(answer, state)
            }
            _ => {
                let mut outcome = mapping::authentication_failure(answer, 0, 0);
                outcome.provider_reference = cai.authentication_transaction_id.clone();
                Ok(outcome)
            }
        }
    }

    /// The seamless challenge of a `PENDING_AUTHENTICATION` enrollment (or resend) answer.
    pub(crate) fn seamless_challenge(
        &self,
        body: &Response,
        state: &mut AuthState,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let cai = body
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        if let Some(id) = cai.authentication_transaction_id.clone() {
            state.transaction_id = id;
        }
        if let Some(context) = cai.context() {
            state.transaction_context = Some(context.to_owned());
        }
        state.flow = Some(AuthFlow::Seamless);
        state.token = cai.token.clone().or(state.token.take());
        state.remember(body.id.as_deref());
        let validity = cai
            .validity_period
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok());
        state.validity_minutes = validity.or(state.validity_minutes);
        let expires_at_ms = validity.map(|minutes| now_ms() + minutes * 60_000);
        let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
        outcome.flow = Some(Flow::Seamless);
        outcome.next_action = Some(NextAction::CollectOtp {
            expires_at_ms,
            otp_length: OTP_LENGTH,
        });
        outcome.recommendation = Some(Recommendation::RetryOtp);
        outcome.provider_status = Some(mapping::authentication_status(body));
        outcome.provider_reference = Some(state.transaction_id.clone());
        outcome.expires_at_ms = expires_at_ms;
        outcome.connector_state = Some(state::CODEC.encode(state)?);
        Ok(outcome)
    }

    /// A `AUTHENTICATION_SUCCESSFUL` validation: the proof goes into the state.
    pub(crate) fn authenticated(
        body: &Response,
        mut state: AuthState,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let cai = body
            .consumer_authentication_information
            .clone()
            .unwrap_or_default();
        state.remember(body.id.as_deref());
        state.cavv = cai.cavv.or(state.cavv);
        state.xid = cai.xid.or(state.xid);
        state.eci = cai.eci.or(cai.eci_raw).or(state.eci);
        state.indicator = cai.indicator.or(state.indicator);
        state.transaction_token = cai.transaction_token.or(state.transaction_token);
        state.token = cai.token.or(state.token);
        if let Some(identifier) = body
            .installment_information
            .as_ref()
            .and_then(|i| i.identifier.clone())
        {
            state.installment_identifier = Some(identifier);
        }
        if let Some(context) = cai
            .authentication_transaction_context
            .or(cai.authentication_transaction_context_id)
        {
            state.transaction_context = Some(context);
        }
        let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::Succeeded);
        outcome.recommendation = Some(Recommendation::Proceed);
        outcome.provider_status = Some(mapping::authentication_status(body));
        outcome.connector_state = Some(state::CODEC.encode(&state)?);
        Ok(outcome)
    }

    /// Maps a validation answer (seamless or redirect).
    pub(crate) fn validation_outcome(
        body: &Response,
        mut state: AuthState,
        attempts_remaining: i32,
        resends_remaining: i32,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        match body.status.as_deref() {
            Some("AUTHENTICATION_SUCCESSFUL") => Self::authenticated(body, state),
            _ => {
                let mut outcome =
                    mapping::authentication_failure(body, attempts_remaining, resends_remaining);
                state.remember(body.id.as_deref());
                outcome.connector_state = Some(state::CODEC.encode(&state)?);
                outcome.attempts_remaining = Some(match outcome.failure_reason {
                    Some(FailureReason::OtpAttemptsExhausted) => 0,
                    _ => attempts_remaining.max(0),
                });
                Ok(outcome)
            }
        }
    }
}

pub(crate) fn browser_state(browser: &Browser) -> AuthState {
    AuthState {
        ip_address: browser.ip_address.clone(),
        accept_header: browser.accept_header.clone(),
        user_agent: browser.user_agent.clone(),
        ..AuthState::default()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The session's state, which must be of `flow` (else `InvalidState`: `needs`).
fn state_in_flow(
    session: &AuthenticationSession,
    flow: AuthFlow,
    needs: &str,
) -> Result<AuthState, ConnectorError> {
    let state: AuthState = state::CODEC.decode(session.connector_state.as_ref())?;
    if state.flow != Some(flow) {
        return Err(ConnectorError::InvalidState(needs.into()));
    }
    Ok(state)
}

/// The OTP attempts left after a validation whose NPCI result is `result` (450, a wrong
/// OTP, costs one).
pub(crate) fn attempts_after(session: &AuthenticationSession, result: Option<&str>) -> i32 {
    if result == Some("450") {
        session.attempts_remaining - 1
    } else {
        session.attempts_remaining
    }
}

/// A refused resend (read live or found by search), mapped as a failure; no resend is
/// left when the refusal says the limit is reached.
pub(crate) fn resend_refused(
    body: &Response,
    session: &AuthenticationSession,
) -> AuthenticationOutcome {
    let mut outcome = mapping::authentication_failure(
        body,
        session.attempts_remaining,
        session.resends_remaining,
    );
    if outcome.failure_reason == Some(FailureReason::ResendLimitReached) {
        outcome.resends_remaining = Some(0);
    }
    outcome
}

fn rejected(code: &str, message: &str, caller_field: Option<&str>) -> ConnectorError {
    ConnectorError::Rejected {
        status: ProviderStatus {
            code: code.into(),
            message: message.into(),
            raw_status: String::new(),
        },
        caller_field: caller_field.map(str::to_owned),
    }
}

/// The session as stored (nothing to ask the provider, or nothing found yet).
pub(crate) fn stored(session: &AuthenticationSession) -> AuthenticationOutcome {
    let mut outcome = AuthenticationOutcome::with_status(session.status);
    outcome.failure_reason = session.failure_reason;
    outcome.recommendation = session.recommendation;
    outcome
}

#[async_trait]
impl Authenticator for CybersourceConnector {
    async fn start_authentication(
        &self,
        ctx: &CallContext,
        request: &StartAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state = browser_state(request.browser);
        let body = self.enrollment_request(
            request.authentication_id,
            request.card,
            request.amount,
            &state,
            None,
        );
        let answer = self
            .post(ctx, Idempotence::Write, "enrollment", ENROLLMENT, &body)
            .await?;
        self.enrollment_outcome(&answer, state, request.return_url)
    }

    async fn submit_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        otp: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state = state_in_flow(
            session,
            AuthFlow::Seamless,
            "OTP submission needs a seamless authentication",
        )?;
        let body = rq::ValidationRequest {
            client_reference_information: rq::ClientReference {
                code: session.id.clone(),
            },
            consumer_authentication_information: rq::ValidationAuthentication {
                authentication_transaction_id: Some(state.transaction_id.clone()),
                authentication_transaction_context: state.transaction_context.clone(),
                otp_token: Some(otp.to_owned()),
                signed_pares: None,
            },
            device_information: Some(rq::DeviceInformation {
                ip_address: state.ip_address.clone(),
                ..rq::DeviceInformation::default()
            }),
        };
        let answer = self
            .post(ctx, Idempotence::Write, "validation", VALIDATION, &body)
            .await?;
        let result = answer
            .consumer_authentication_information
            .as_ref()
            .and_then(|c| c.authentication_result.as_deref());
        let attempts = attempts_after(session, result);
        Self::validation_outcome(&answer, state, attempts, session.resends_remaining)
    }

    async fn resend_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let mut state = state_in_flow(
            session,
            AuthFlow::Seamless,
            "OTP resend needs a seamless authentication",
        )?;
        let card = session.card.as_ref().ok_or_else(|| {
            ConnectorError::InvalidState("the card is needed again to resend the OTP".into())
        })?;
        let body = self.enrollment_request(
            &session.id,
            card,
            session.amount,
            &state,
            Some(state.transaction_id.clone()),
        );
        let answer = self
            .post(ctx, Idempotence::Write, "resend", ENROLLMENT, &body)
            .await?;
        match answer.status.as_deref() {
            Some("PENDING_AUTHENTICATION") => {
                let mut outcome = self.seamless_challenge(&answer, &mut state)?;
                outcome.resends_remaining = Some((session.resends_remaining - 1).max(0));
                Ok(outcome)
            }
            _ => Ok(resend_refused(&answer, session)),
        }
    }

    async fn complete_redirect(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        params: &RedirectParams,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let state = state_in_flow(
            session,
            AuthFlow::Redirect,
            "redirect completion needs a redirect authentication",
        )?;
        // The callback path names the authentication; the MD the ACS echoes (the xid
        // payorch posted) must at least not name another one.
        if let Some(md) = redirect_param(params, &["MD"])
            && state.xid.as_deref().is_some_and(|xid| md.trim() != xid)
        {
            return Err(rejected(
                "MD_MISMATCH",
                "the returned MD is not this authentication's xid",
                Some("params.MD"),
            ));
        }
        // The seed: remove any whitespace (tabs, spaces, line breaks) from PaRes, nothing else.
        let pares: String = redirect_param(params, &["PaRes", "signedPares", "pares"])
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if pares.is_empty() {
            return Err(rejected(
                "MISSING_PARES",
                "the issuer's return carries no PaRes",
                Some("params.PaRes"),
            ));
        }
        let body = rq::ValidationRequest {
            client_reference_information: rq::ClientReference {
                code: session.id.clone(),
            },
            consumer_authentication_information: rq::ValidationAuthentication {
                signed_pares: Some(pares),
                ..rq::ValidationAuthentication::default()
            },
            device_information: None,
        };
        let answer = self
            .post(ctx, Idempotence::Write, "validation", VALIDATION, &body)
            .await?;
        Self::validation_outcome(&answer, state, 0, 0)
    }

    /// Cybersource offers no read of a payer authentication, but Transaction Search
    /// indexes every enrollment, resend (`ics_pa_enroll`) and validation
    /// (`ics_pa_validate`) under the `clientReferenceInformation.code` payorch sent: the
    /// authentication's id. An UNKNOWN (or VERIFYING) session is resolved from the call
    /// whose answer payorch never read; see [`Self::resolve`].
    async fn sync_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        // PENDING and VERIFYING reach this read only once their claim is stale: the
        // replica that made the call died, and only Cybersource knows whether it arrived.
        if !matches!(
            session.status,
            AuthenticationStatus::Unknown
                | AuthenticationStatus::Verifying
                | AuthenticationStatus::Pending
        ) {
            return Ok(stored(session));
        }
        let state = match &session.connector_state {
            Some(s) => Some(state::CODEC.decode::<AuthState>(Some(s))?),
            None => None,
        };
        let summaries = self.find_authentication_calls(ctx, &session.id).await?;
        self.resolve(session, state, &summaries)
    }
}
