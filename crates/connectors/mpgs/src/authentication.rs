//! Payer authentication: INITIATE_AUTHENTICATION (eligibility, and the first step of
//! starting), AUTHENTICATE_PAYER (redirect or seamless challenge), OTP submission and
//! resend on the gateway callback, the payer's return from the ACS, and status lookups.
//!
//! Whatever the callback page or the payer's browser says, the result is always read from
//! Retrieve Transaction (seed 001, step 3); the callback page only hints at which NPCI code
//! (450 invalid, 451 expired) left the challenge open.

use async_trait::async_trait;
use payorch_connector::Authenticator;
use payorch_connector::http::ProviderResponse;
use payorch_connector::model::{
    AuthenticationOutcome, RedirectParams, StartAuthentication, redirect_param,
};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::card::Card;
use payorch_core::session::{AuthenticationSession, NextAction, ProviderStatus};
use payorch_core::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};
use serde_json::Value;

use crate::adapter::{self, MpgsConnector, now_ms};
use crate::html::{self, Challenge, OtpForm};
use crate::ids;
use crate::mapping::{self, Standing};
use crate::state::{self, AuthFlow, AuthState};
use crate::wire::request as rq;
use crate::wire::response::TransactionResponse;

const PURPOSE: &str = "PAYMENT_TRANSACTION";
const CHANNEL: &str = "PAYER_BROWSER";
const OTP_LENGTH: u32 = 6;

impl MpgsConnector {
    /// INITIATE_AUTHENTICATION: the card (number only) and the order's currency.
    pub(crate) fn initiate_request(card: &Card, currency: &str) -> rq::TransactionRequest {
        rq::TransactionRequest {
            api_operation: "INITIATE_AUTHENTICATION",
            order: Some(adapter::order(None, currency)),
            authentication: Some(rq::Authentication {
                purpose: Some(PURPOSE),
                channel: Some(CHANNEL),
                ..rq::Authentication::default()
            }),
            source_of_funds: Some(adapter::source_of_funds(card, false)),
            ..rq::TransactionRequest::default()
        }
    }

    /// The challenge of a pending AUTHENTICATE_PAYER answer, told apart by its form.
    fn challenge(
        &self,
        answer: &TransactionResponse,
        mut state: AuthState,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let challenge = answer
            .redirect_html()
            .and_then(html::challenge)
            .ok_or_else(|| {
                // The issuer may have sent an OTP we cannot point the payer to.
                ConnectorError::OutcomeUnknown(
                    "authenticate_payer: pending answer without a usable authentication form"
                        .into(),
                )
            })?;
        let mut outcome = match challenge {
            Challenge::Redirect(form) => {
                state.flow = Some(AuthFlow::Redirect);
                let page = html::redirect_page(&form.action, &form.method, &form.fields);
                let mut o =
                    AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
                o.flow = Some(Flow::Redirect);
                o.next_action = Some(NextAction::Redirect {
                    url: form.action,
                    method: form.method,
                    form_fields: form.fields,
                    html: page,
                });
                o.recommendation = Some(Recommendation::Proceed);
                o
            }
            Challenge::Seamless(form) => {
                // Seed 001: "submit the OTP to the gateway through the callback URL" of
                // the form; its fields are the form's own, whatever they are called.
                if form.otp_field.is_none() {
                    return Err(ConnectorError::OutcomeUnknown(
                        "authenticate_payer: the seamless form has no OTP input".into(),
                    ));
                }
                state.flow = Some(AuthFlow::Seamless);
                state.callback_url = Some(form.action.clone());
                state.otp_form = Some(form);
                let mut o = self.collect_otp();
                o.attempts_remaining = Some(self.config.otp_attempts);
                o.resends_remaining = Some(self.config.otp_resends);
                o
            }
        };
        outcome.provider_status = Some(mapping::authentication_status(answer));
        with_state(outcome, &state)
    }

    /// OTP_REQUIRED with a fresh OTP's expiry (estimated: the gateway does not report it).
    fn collect_otp(&self) -> AuthenticationOutcome {
        let validity = i64::try_from(self.config.otp_validity.as_millis()).unwrap_or(i64::MAX);
        let expires_at_ms = now_ms().saturating_add(validity);
        let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
        o.flow = Some(Flow::Seamless);
        o.next_action = Some(NextAction::CollectOtp {
            expires_at_ms: Some(expires_at_ms),
            otp_length: OTP_LENGTH,
        });
        o.recommendation = Some(Recommendation::RetryOtp);
        o.expires_at_ms = Some(expires_at_ms);
        o
    }

    fn seamless_state(
        session: &AuthenticationSession,
    ) -> Result<(AuthState, OtpForm), ConnectorError> {
        let state: AuthState = state::CODEC.decode(session.connector_state.as_ref())?;
        match (&state.flow, state.otp_form.clone()) {
            (Some(AuthFlow::Seamless), Some(form)) => Ok((state, form)),
            (Some(AuthFlow::Seamless), None) => Err(ConnectorError::InvalidState(
                "this seamless authentication predates the stored OTP form: start it again".into(),
            )),
            _ => Err(ConnectorError::InvalidState(
                "OTP submission and resend need a seamless authentication".into(),
            )),
        }
    }

    /// Retrieve Transaction after a state-changing callback post: the post happened, so a
    /// failed lookup must not read as "nothing happened".
    async fn settle(
        &self,
        ctx: &CallContext,
        state: &AuthState,
    ) -> Result<TransactionResponse, ConnectorError> {
        self.retrieve_transaction(ctx, &state.order_id, &state.transaction_id)
            .await
            .map_err(|e| match e {
                ConnectorError::OutcomeUnknown(_) => e,
                other => ConnectorError::OutcomeUnknown(format!(
                    "the payer's step was posted, its result could not be read: {other}"
                )),
            })
    }
}

fn succeeded(answer: &TransactionResponse) -> AuthenticationOutcome {
    let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Succeeded);
    o.recommendation = Some(Recommendation::Proceed);
    o.provider_status = Some(mapping::authentication_status(answer));
    o
}

/// Final failures that used up a budget say so in the counters.
fn exhausted_counters(mut o: AuthenticationOutcome) -> AuthenticationOutcome {
    match o.failure_reason {
        Some(FailureReason::OtpAttemptsExhausted) => o.attempts_remaining = Some(0),
        Some(FailureReason::ResendLimitReached) => o.resends_remaining = Some(0),
        _ => {}
    }
    o
}

/// Form fields as `post_callback` takes them.
fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn with_state(
    mut o: AuthenticationOutcome,
    state: &AuthState,
) -> Result<AuthenticationOutcome, ConnectorError> {
    if o.provider_reference.is_none() {
        o.provider_reference = state.rupay_transaction_id.clone();
    }
    o.connector_state = Some(state::CODEC.encode(state)?);
    Ok(o)
}

/// The NPCI code a callback answer shows (`authentication.status.code`), from its JSON or
/// from the page's inputs; `None` when it shows none.
fn callback_code(page: &ProviderResponse) -> Option<String> {
    if let Ok(v) = serde_json::from_slice::<Value>(&page.body) {
        return match &v["authentication"]["status"]["code"] {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
    }
    let text = std::str::from_utf8(&page.body).ok()?;
    html::input_value(text, "authentication.status.code").filter(|c| !c.is_empty())
}

#[async_trait]
impl Authenticator for MpgsConnector {
    async fn start_authentication(
        &self,
        ctx: &CallContext,
        request: &StartAuthentication<'_>,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let token = request.card.is_network_token();
        let mut state = AuthState {
            order_id: ids::order_id(request.authentication_id),
            transaction_id: ids::authentication_transaction_id(request.authentication_id),
            scheme_token: token,
            ip_address: request.browser.ip_address.clone(),
            user_agent: request.browser.user_agent.clone(),
            ..AuthState::default()
        };
        let currency = request.amount.currency().code();
        let initiate = Self::initiate_request(request.card, currency);
        let answer = self
            .put(
                ctx,
                "initiate_authentication",
                &state.order_id,
                &state.transaction_id,
                &initiate,
                token,
            )
            .await?;
        match mapping::standing(&answer) {
            Standing::Failed => {
                return with_state(mapping::authentication_failure(&answer), &state);
            }
            Standing::Succeeded => return with_state(succeeded(&answer), &state),
            Standing::Available | Standing::Pending => {}
        }
        if let Some(version) = answer
            .authentication
            .as_ref()
            .and_then(|a| a.version.as_deref())
            && !version.eq_ignore_ascii_case("RUPAY")
        {
            // 3-D Secure for other schemes is not this adapter's flow.
            let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
            outcome.failure_reason = Some(FailureReason::AuthenticationNotAvailable);
            outcome.recommendation = Some(Recommendation::DoNotProceed);
            outcome.provider_status = Some(mapping::authentication_status(&answer));
            return with_state(outcome, &state);
        }

        let body = rq::TransactionRequest {
            api_operation: "AUTHENTICATE_PAYER",
            order: Some(adapter::order(Some(request.amount), currency)),
            authentication: Some(rq::Authentication {
                redirect_response_url: Some(request.return_url.to_owned()),
                ..rq::Authentication::default()
            }),
            source_of_funds: Some(adapter::source_of_funds(request.card, true)),
            device: Some(adapter::device(request.browser, true)),
            ..rq::TransactionRequest::default()
        };
        // INITIATE_AUTHENTICATION has acted: this call's failure is never "nothing happened".
        let answer = self
            .put(
                ctx,
                "authenticate_payer",
                &state.order_id,
                &state.transaction_id,
                &body,
                token,
            )
            .await
            .map_err(ConnectorError::after_provider_acted)?;
        state.rupay_transaction_id = answer.rupay_transaction_id().map(str::to_owned);
        let standing = mapping::standing(&answer);
        // Seed: show the form when the gateway says PROCEED or NPCI said 00.
        let refused = standing == Standing::Pending
            && answer.recommendation() == Some("DO_NOT_PROCEED")
            && answer
                .status_code()
                .is_some_and(|c| !matches!(c, "00" | "0"));
        match standing {
            Standing::Succeeded => with_state(succeeded(&answer), &state),
            Standing::Failed => with_state(mapping::authentication_failure(&answer), &state),
            _ if refused => with_state(mapping::authentication_failure(&answer), &state),
            Standing::Available => Err(ConnectorError::OutcomeUnknown(
                "authenticate_payer: the gateway opened no challenge".into(),
            )),
            Standing::Pending => self.challenge(&answer, state),
        }
    }

    async fn submit_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
        otp: &str,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (state, form) = Self::seamless_state(session)?;
        let fields = form.submission(otp.trim()).ok_or_else(|| {
            ConnectorError::InvalidState("the seamless form has no OTP input".into())
        })?;
        let page = self
            .post_callback(ctx, "callback_otp", &form.action, &pairs(&fields))
            .await?;
        let hint = callback_code(&page);
        let answer = self.settle(ctx, &state).await?;
        let mut outcome = match mapping::standing(&answer) {
            Standing::Succeeded => succeeded(&answer),
            Standing::Failed => exhausted_counters(mapping::authentication_failure(&answer)),
            Standing::Pending | Standing::Available => {
                let expired = hint.as_deref() == Some("451");
                let attempts = if expired {
                    session.attempts_remaining
                } else {
                    session.attempts_remaining - 1
                };
                let mut o = mapping::still_pending_after_otp(
                    &answer,
                    hint.as_deref(),
                    attempts,
                    session.resends_remaining,
                );
                o.attempts_remaining = Some(
                    if o.failure_reason == Some(FailureReason::OtpAttemptsExhausted) {
                        0
                    } else {
                        attempts.max(0)
                    },
                );
                o
            }
        };
        outcome.provider_reference = state.rupay_transaction_id.clone();
        Ok(outcome)
    }

    async fn resend_otp(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let (state, form) = Self::seamless_state(session)?;
        let fields = form.resend_request().ok_or(ConnectorError::Unsupported(
            "the gateway's OTP form offers no resend",
        ))?;
        self.post_callback(ctx, "callback_resend", &form.action, &pairs(&fields))
            .await?;
        let answer = self.settle(ctx, &state).await?;
        let mut outcome = match mapping::standing(&answer) {
            Standing::Succeeded => succeeded(&answer),
            Standing::Failed => exhausted_counters(mapping::authentication_failure(&answer)),
            Standing::Pending | Standing::Available => {
                let mut o = self.collect_otp();
                o.resends_remaining = Some((session.resends_remaining - 1).max(0));
                o.provider_status = Some(mapping::authentication_status(&answer));
                o
            }
        };
        outcome.provider_reference = state.rupay_transaction_id.clone();
        Ok(outcome)
    }

    /// The payer's browser came back through the gateway with `order.id`, `transaction.id`,
    /// `result`, `response.gatewayRecommendation` and `authentication.status.*`: the ids
    /// must be this session's; the result is read from the gateway, never from the browser.
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
        for (name, expected) in [
            ("order.id", &state.order_id),
            ("transaction.id", &state.transaction_id),
        ] {
            if let Some(value) = redirect_param(params, &[name])
                && value.trim() != expected
            {
                return Err(ConnectorError::Rejected {
                    status: ProviderStatus {
                        code: "ID_MISMATCH".into(),
                        message: format!("the returned {name} does not name this authentication"),
                        raw_status: String::new(),
                    },
                    caller_field: Some(format!("params.{name}")),
                });
            }
        }
        let answer = self
            .retrieve_transaction(ctx, &state.order_id, &state.transaction_id)
            .await?;
        let mut outcome = match mapping::standing(&answer) {
            Standing::Succeeded => succeeded(&answer),
            Standing::Failed => mapping::authentication_failure(&answer),
            // Back early (or a forged return): the payer has not finished at the ACS.
            Standing::Pending | Standing::Available => {
                let mut o =
                    AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
                o.recommendation = Some(Recommendation::Proceed);
                o.provider_status = Some(mapping::authentication_status(&answer));
                o
            }
        };
        outcome.provider_reference = state.rupay_transaction_id.clone();
        Ok(outcome)
    }

    /// Retrieve Transaction, as a read. A pending challenge keeps the session's waiting
    /// status; one whose start answer was lost (no state: payorch never saw the form) cannot
    /// be continued and is reported FAILED so the payer starts again. An order the gateway
    /// does not know means the start never arrived: FAILED as well.
    async fn sync_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        let stored: Option<AuthState> = match session.connector_state.as_ref() {
            Some(s) => Some(state::CODEC.decode(Some(s))?),
            None => None,
        };
        let (order_id, transaction_id) = stored.as_ref().map_or_else(
            || {
                (
                    ids::order_id(&session.id),
                    ids::authentication_transaction_id(&session.id),
                )
            },
            |s| (s.order_id.clone(), s.transaction_id.clone()),
        );
        let answer = match self
            .retrieve_transaction(ctx, &order_id, &transaction_id)
            .await
        {
            Ok(answer) => answer,
            Err(ConnectorError::Rejected {
                status,
                caller_field: None,
            }) if stored.is_none() => {
                let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
                o.failure_reason = Some(FailureReason::ProviderError);
                o.recommendation = Some(Recommendation::DoNotProceed);
                o.provider_status = Some(status);
                return Ok(o);
            }
            Err(e) => return Err(e),
        };
        let flow = stored.as_ref().and_then(|s| s.flow);
        let mut outcome = match (mapping::standing(&answer), flow) {
            (Standing::Succeeded, _) => succeeded(&answer),
            (Standing::Failed, _) => exhausted_counters(mapping::authentication_failure(&answer)),
            (_, Some(AuthFlow::Seamless)) => {
                let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
                o.recommendation = Some(Recommendation::RetryOtp);
                o.provider_status = Some(mapping::authentication_status(&answer));
                o
            }
            (_, Some(AuthFlow::Redirect)) => {
                let mut o =
                    AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
                o.recommendation = Some(Recommendation::Proceed);
                o.provider_status = Some(mapping::authentication_status(&answer));
                o
            }
            (_, None) => {
                let mut o = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
                o.failure_reason = Some(FailureReason::ProviderError);
                o.recommendation = Some(Recommendation::DoNotProceed);
                o.provider_status = Some(mapping::authentication_status(&answer));
                o
            }
        };
        outcome.provider_reference = answer
            .rupay_transaction_id()
            .map(str::to_owned)
            .or_else(|| stored.and_then(|s| s.rupay_transaction_id));
        Ok(outcome)
    }
}
