//! Status lookups after a lost answer: an UNKNOWN or VERIFYING authentication is resolved
//! from the payer authentication calls Transaction Search holds for it, and a payment is
//! read back (found by search when payorch never learnt its id).

use payorch_connector::model::{AuthenticationOutcome, PaymentOutcome};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::payment::PaymentRecord;
use payorch_core::session::{AuthenticationSession, NextAction, ProviderStatus};
use payorch_core::status::{
    AuthenticationStatus, FailureReason, Flow, PaymentStatus, Recommendation,
};

use crate::adapter::CybersourceConnector;
use crate::authentication::{OTP_LENGTH, attempts_after, resend_refused};
use crate::mapping;
use crate::payments::PAYMENTS;
use crate::search::{
    PA_ENROLL, PA_VALIDATE, found_reason, succeeded, summary_answer, summary_authentication, utc_ms,
};
use crate::state::{self, AuthFlow, AuthState, PaymentState};
use crate::wire::response::{AuthenticationInformation, TransactionSummary};

impl CybersourceConnector {
    /// Cybersource offers no read of a payer authentication, but Transaction Search
    /// indexes every enrollment, resend (`ics_pa_enroll`) and validation
    /// (`ics_pa_validate`) under the `clientReferenceInformation.code` payorch sent: the
    /// authentication's id. An UNKNOWN (or VERIFYING) session is resolved from the call
    /// whose answer payorch never read; see [`Self::resolve`].
    pub(crate) async fn lookup_authentication(
        &self,
        ctx: &CallContext,
        session: &AuthenticationSession,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        if !matches!(
            session.status,
            AuthenticationStatus::Unknown | AuthenticationStatus::Verifying
        ) {
            return Ok(stored(session));
        }
        let state = match &session.connector_state {
            Some(s) => Some(state::decode::<AuthState>(Some(s))?),
            None => None,
        };
        let summaries = self.find_authentication_calls(ctx, &session.id).await?;
        Ok(self.resolve(session, state, &summaries))
    }

    /// Where an UNKNOWN or VERIFYING session stands, given the payer authentication calls
    /// found for it. The call to read is the newest one whose answer payorch never read
    /// (ids of read answers are kept in the state):
    ///
    /// - a validation: success gives the proof a live validation would have given
    ///   (CAVV + XID for redirect; the authentication id for seamless, since the search
    ///   does not show the seamless transaction token), failure maps as a live answer
    ///   would (a wrong OTP costs an attempt);
    /// - a resend: a new OTP was sent (OtpRequired, one resend fewer, the new expiry when
    ///   the OTP validity is known), or the resend was refused;
    /// - the enrollment itself: its failure maps as a live one; a challenge opened without
    ///   payorch reading its answer cannot be continued (no ACS form, no OTP context, no
    ///   browser data) and fails, so that the merchant starts a new authentication.
    ///
    /// When nothing unread is found: nothing at all means the index lags (stored status
    /// kept); only calls payorch already read means the lost call never took effect, so
    /// an UNKNOWN session goes back to waiting for the payer (a VERIFYING one, whose call
    /// may still be in flight, is kept as it is).
    fn resolve(
        &self,
        session: &AuthenticationSession,
        state: Option<AuthState>,
        summaries: &[TransactionSummary],
    ) -> AuthenticationOutcome {
        if summaries.is_empty() {
            return stored(session);
        }
        let known = state
            .as_ref()
            .map(|s| s.answered.as_slice())
            .unwrap_or_default();
        let unread = summaries
            .iter()
            .filter(|s| s.id.as_ref().is_none_or(|id| !known.contains(id)))
            .max_by(|a, b| {
                let key = |s: &TransactionSummary| {
                    (
                        s.submit_time_utc.clone().unwrap_or_default(),
                        s.application(PA_VALIDATE).is_some(),
                    )
                };
                key(a).cmp(&key(b))
            });
        match (unread, state) {
            (Some(found), state) if found.application(PA_VALIDATE).is_some() => {
                Self::found_validation(session, found, state.unwrap_or_default())
            }
            (Some(found), Some(state)) if !state.answered.is_empty() => {
                self.found_resend(session, found, state)
            }
            (Some(found), None) => Self::found_enrollment(found),
            (_, Some(state)) if session.status == AuthenticationStatus::Unknown => awaiting(&state),
            _ => stored(session),
        }
    }

    fn found_validation(
        session: &AuthenticationSession,
        found: &TransactionSummary,
        mut state: AuthState,
    ) -> AuthenticationOutcome {
        let cai = summary_authentication(found);
        let redirect = match state.flow {
            Some(flow) => flow == AuthFlow::Redirect,
            None => cai.xid.is_some(),
        };
        if state.transaction_id.is_empty() {
            state.transaction_id = cai.transaction_id.clone().unwrap_or_default();
        }
        let succeeded = succeeded(found, PA_VALIDATE);
        // Without the NPCI result, a failed seamless validation is taken as a wrong OTP:
        // the next submission gets the provider's own verdict.
        let result = cai
            .authentication_result
            .clone()
            .or_else(|| (!succeeded && !redirect).then(|| "450".to_owned()));
        let body = summary_answer(
            found,
            PA_VALIDATE,
            AuthenticationInformation {
                authentication_transaction_id: Some(state.transaction_id.clone()),
                xid: cai.xid.clone(),
                // Seamless authorizes with the authentication id, as after a live answer.
                cavv: if redirect { cai.cavv.clone() } else { None },
                eci_raw: cai.eci_raw.clone(),
                pares_status: cai.pares_status.clone(),
                authentication_result: result.clone(),
                ..AuthenticationInformation::default()
            },
        );
        if redirect {
            return Self::validation_outcome(&body, state, 0, 0);
        }
        let attempts = attempts_after(session, result.as_deref());
        Self::validation_outcome(&body, state, attempts, session.resends_remaining)
    }

    fn found_resend(
        &self,
        session: &AuthenticationSession,
        found: &TransactionSummary,
        mut state: AuthState,
    ) -> AuthenticationOutcome {
        let cai = summary_authentication(found);
        let body = summary_answer(
            found,
            PA_ENROLL,
            AuthenticationInformation {
                authentication_transaction_id: cai.transaction_id.clone(),
                authentication_result: cai.authentication_result.clone(),
                pares_status: cai.pares_status.clone(),
                ..AuthenticationInformation::default()
            },
        );
        if body.status.as_deref() != Some("PENDING_AUTHENTICATION") {
            return resend_refused(&body, session);
        }
        let mut outcome = self.seamless_challenge(&body, &mut state);
        // The new OTP has been valid since the resend was made, not since now.
        let expires_at_ms = found
            .submit_time_utc
            .as_deref()
            .and_then(utc_ms)
            .zip(state.validity_minutes)
            .map(|(at, minutes)| at + minutes * 60_000);
        outcome.expires_at_ms = expires_at_ms;
        outcome.next_action = Some(NextAction::CollectOtp {
            expires_at_ms,
            otp_length: OTP_LENGTH,
        });
        outcome.resends_remaining = Some((session.resends_remaining - 1).max(0));
        outcome
    }

    fn found_enrollment(found: &TransactionSummary) -> AuthenticationOutcome {
        let cai = summary_authentication(found);
        let body = summary_answer(
            found,
            PA_ENROLL,
            AuthenticationInformation {
                authentication_transaction_id: cai.transaction_id.clone(),
                xid: cai.xid.clone(),
                cavv: cai.cavv.clone(),
                eci_raw: cai.eci_raw.clone(),
                pares_status: cai.pares_status.clone(),
                authentication_result: cai.authentication_result.clone(),
                ..AuthenticationInformation::default()
            },
        );
        match body.status.as_deref() {
            Some("AUTHENTICATION_SUCCESSFUL") => {
                let state = AuthState {
                    transaction_id: cai.transaction_id.clone().unwrap_or_default(),
                    ..AuthState::default()
                };
                Self::authenticated(&body, state)
            }
            Some("PENDING_AUTHENTICATION") => {
                let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::Failed);
                outcome.failure_reason = Some(FailureReason::ProviderError);
                outcome.recommendation = Some(Recommendation::DoNotProceed);
                outcome.provider_status = Some(ProviderStatus {
                    code: found_reason(found, PA_ENROLL).unwrap_or_default(),
                    message: "the enrollment answer was lost: its challenge cannot be \
                              continued; start a new authentication"
                        .into(),
                    raw_status: "PENDING_AUTHENTICATION".into(),
                });
                outcome.provider_reference = cai.transaction_id;
                outcome
            }
            _ => {
                let mut outcome = mapping::authentication_failure(&body, 0, 0);
                outcome.provider_reference = cai.transaction_id;
                outcome
            }
        }
    }

    pub(crate) async fn lookup_payment(
        &self,
        ctx: &CallContext,
        payment: &PaymentRecord,
    ) -> Result<PaymentOutcome, ConnectorError> {
        let known = state::decode::<PaymentState>(payment.connector_state.as_ref())
            .ok()
            .map(|s| s.authorization_id)
            .or(payment.provider_reference.clone());
        let (id, found_by_search) = match known {
            Some(id) => (id, false),
            None => match self.find_payment(ctx, payment).await? {
                Some(id) => (id, true),
                // Nothing found (yet: searches lag): still unknown.
                None => {
                    return Ok(PaymentOutcome {
                        status: payment.status,
                        amount: None,
                        approval_code: None,
                        network_transaction_id: None,
                        failure_reason: None,
                        provider_status: None,
                        provider_reference: None,
                        connector_state: None,
                    });
                }
            },
        };
        let answer = self
            .get(ctx, "get_payment", &format!("{PAYMENTS}/{id}"))
            .await?;
        let mut outcome = self.payment_outcome(&answer, payment.amount, false);
        if found_by_search {
            outcome.connector_state = Some(state::encode(&PaymentState {
                authorization_id: id,
                sale: outcome.status == PaymentStatus::Captured,
                ..PaymentState::default()
            }));
        }
        Ok(outcome)
    }
}

/// The session as stored (nothing to ask the provider, or nothing found yet).
fn stored(session: &AuthenticationSession) -> AuthenticationOutcome {
    let mut outcome = AuthenticationOutcome::with_status(session.status);
    outcome.failure_reason = session.failure_reason;
    outcome.recommendation = session.recommendation;
    outcome
}

/// Back to waiting for the payer, as the last answer payorch read left it (the stored
/// OTP prompt or redirect form stays in place).
fn awaiting(state: &AuthState) -> AuthenticationOutcome {
    match state.flow {
        Some(AuthFlow::Redirect) => {
            let mut outcome =
                AuthenticationOutcome::with_status(AuthenticationStatus::RedirectRequired);
            outcome.flow = Some(Flow::Redirect);
            outcome.recommendation = Some(Recommendation::Proceed);
            outcome
        }
        _ => {
            let mut outcome = AuthenticationOutcome::with_status(AuthenticationStatus::OtpRequired);
            outcome.flow = Some(Flow::Seamless);
            outcome.recommendation = Some(Recommendation::RetryOtp);
            outcome
        }
    }
}
