//! Status lookups after a lost answer: an UNKNOWN or VERIFYING authentication is resolved
//! from the payer authentication calls Transaction Search holds for it, and a payment is
//! read back (found by search when payorch never learnt its id).

use std::collections::HashSet;

use payorch_connector::amounts::status_from_amounts;
use payorch_connector::model::{AuthenticationOutcome, PaymentOutcome};
use payorch_connector::{CallContext, ConnectorError};
use payorch_core::codes::authorization_description;
use payorch_core::money::Money;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::{AuthenticationSession, NextAction, ProviderStatus};
use payorch_core::status::{
    AuthenticationStatus, FailureReason, Flow, PaymentStatus, Recommendation,
};

use crate::adapter::CybersourceConnector;
use crate::authentication::{OTP_LENGTH, attempts_after, resend_refused, stored};
use crate::mapping;
use crate::search::{
    PA_ENROLL, PA_VALIDATE, found_reason, succeeded, summary_answer, summary_authentication, utc_ms,
};
use crate::state::{AuthFlow, AuthState};
use crate::wire::response::{Application, AuthenticationInformation, Response, TransactionSummary};

impl CybersourceConnector {
    /// Where an UNKNOWN, PENDING or VERIFYING session stands, given the payer authentication calls
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
    /// the session goes back to waiting for the payer. (A VERIFYING session reaches this
    /// read only once its claim is stale: the replica that claimed it died before its call
    /// reached Cybersource.)
    pub(crate) fn resolve(
        &self,
        session: &AuthenticationSession,
        state: Option<AuthState>,
        summaries: &[TransactionSummary],
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        if summaries.is_empty() {
            return Ok(stored(session));
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
            (_, Some(state))
                if matches!(
                    session.status,
                    AuthenticationStatus::Unknown | AuthenticationStatus::Verifying
                ) =>
            {
                Ok(awaiting(&state))
            }
            _ => Ok(stored(session)),
        }
    }

    fn found_validation(
        session: &AuthenticationSession,
        found: &TransactionSummary,
        mut state: AuthState,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
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
    ) -> Result<AuthenticationOutcome, ConnectorError> {
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
            return Ok(resend_refused(&body, session));
        }
        let mut outcome = self.seamless_challenge(&body, &mut state)?;
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
        Ok(outcome)
    }

    fn found_enrollment(
        found: &TransactionSummary,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
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
                Ok(outcome)
            }
            _ => {
                let mut outcome = mapping::authentication_failure(&body, 0, 0);
                outcome.provider_reference = cai.transaction_id;
                Ok(outcome)
            }
        }
    }

    pub(crate) async fn details(
        &self,
        ctx: &CallContext,
        id: &str,
    ) -> Result<Option<Response>, ConnectorError> {
        self.get_found(ctx, "transaction_details", &format!("{DETAILS}/{id}"))
            .await
    }
}

/// Transaction Details, Cybersource's documented read of a transaction.
pub(crate) const DETAILS: &str = "/tss/v2/transactions";
/// How many related transactions one refresh reads at most.
pub(crate) const MAX_RELATED: usize = 64;
/// Transaction Details' names of the payment services.
pub(crate) const AUTH: &str = "ics_auth";
pub(crate) const BILL: &str = "ics_bill";
pub(crate) const REVERSAL: &str = "ics_auth_reversal";
pub(crate) const CREDIT: &str = "ics_credit";
pub(crate) const VOID: &str = "ics_void";

/// A transaction related to the authorization, with its details.
pub(crate) struct Related {
    pub(crate) id: String,
    pub(crate) details: Response,
}

/// Whether `details` ran `service` successfully (`rCode` 1; else `reasonCode` 100).
pub(crate) fn ran(details: &Response, service: &str) -> bool {
    details
        .application(service)
        .is_some_and(|a| match a.r_code.as_deref() {
            Some(code) => code == "1",
            None => a.reason_code.as_deref() == Some("100"),
        })
}

/// The transactions a void voided: the ones it relates to. (A void's
/// `relatedTransactions` name what it acted on; kept in this one place.)
pub(crate) fn voided_by(void: &Related) -> Vec<String> {
    void.details.related_ids()
}

/// `orderInformation.amountDetails.totalAmount` of a transaction, in minor units.
pub(crate) fn total(details: &Response, like: Money) -> Option<i64> {
    let amounts = details
        .order_information
        .as_ref()?
        .amount_details
        .as_ref()?;
    mapping::minor_units(amounts.total_amount.as_deref(), like)
}

/// Where a payment stands from the details of its authorization (`root`, id `root_id`)
/// and of the transactions related to it.
pub(crate) fn details_outcome(
    root_id: &str,
    root: &Response,
    related: &[Related],
    payment: &PaymentRecord,
) -> PaymentOutcome {
    let like = payment.amount;
    let processor = root.processor_information.clone().unwrap_or_default();
    let Some(auth) = root.application(AUTH) else {
        // Not an authorization (or not processed yet): nothing to conclude.
        return unchanged(payment);
    };
    let provider_status = details_status(root, auth);
    let (status, failure_reason) = if ran(root, AUTH) {
        let voided: HashSet<String> = related
            .iter()
            .filter(|r| ran(&r.details, VOID))
            .flat_map(voided_by)
            .collect();
        let reversed = related.iter().any(|r| ran(&r.details, REVERSAL));
        let amounts = root
            .order_information
            .as_ref()
            .and_then(|o| o.amount_details.clone())
            .unwrap_or_default();
        let authorized = mapping::minor_units(
            amounts
                .authorized_amount
                .as_deref()
                .or(amounts.total_amount.as_deref()),
            like,
        )
        .unwrap_or(like.minor_units());
        let sum = |service: &str| -> i64 {
            related
                .iter()
                .filter(|r| ran(&r.details, service) && !voided.contains(&r.id))
                .filter_map(|r| total(&r.details, like))
                .sum()
        };
        if reversed || voided.contains(root_id) {
            (PaymentStatus::Voided, None)
        } else {
            let sale = if ran(root, BILL) { authorized } else { 0 };
            let captured = sale + sum(BILL);
            (status_from_amounts(authorized, captured, sum(CREDIT)), None)
        }
    } else {
        mapping::decline(root)
    };
    PaymentOutcome {
        status,
        amount: None,
        approval_code: processor.approval_code,
        network_transaction_id: processor.network_transaction_id,
        failure_reason,
        provider_status: Some(provider_status),
        provider_reference: Some(root_id.to_owned()),
        connector_state: None,
    }
}

/// The provider status of an authorization's details: the processor's response code (else
/// the service's reasonCode), its description, and the service's `rFlag`.
pub(crate) fn details_status(root: &Response, auth: &Application) -> ProviderStatus {
    let response_code = root
        .processor_information
        .as_ref()
        .and_then(|p| p.response_code.clone());
    let error = root.error_information.as_ref();
    let raw_status = root
        .status
        .clone()
        .or_else(|| auth.r_flag.clone())
        .unwrap_or_default();
    ProviderStatus {
        code: response_code
            .clone()
            .or_else(|| auth.reason_code.clone())
            .unwrap_or_else(|| raw_status.clone()),
        message: error
            .and_then(|e| e.message.clone())
            .or_else(|| {
                response_code
                    .as_deref()
                    .and_then(authorization_description)
                    .map(str::to_owned)
            })
            .or_else(|| auth.r_message.clone())
            .unwrap_or_else(|| raw_status.clone()),
        raw_status,
    }
}

/// The payment as stored (nothing found to conclude from).
pub(crate) fn unchanged(payment: &PaymentRecord) -> PaymentOutcome {
    PaymentOutcome {
        status: payment.status,
        amount: None,
        approval_code: None,
        network_transaction_id: None,
        failure_reason: None,
        provider_status: None,
        provider_reference: None,
        connector_state: None,
    }
}

/// Back to waiting for the payer, as the last answer payorch read left it (the stored
/// OTP prompt or redirect form stays in place).
pub(crate) fn awaiting(state: &AuthState) -> AuthenticationOutcome {
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

#[cfg(test)]
mod tests {
    use payorch_connector::testing::{card, inr, new_payment, new_session};

    use super::*;

    fn details(json: &str) -> Response {
        serde_json::from_str(json).unwrap()
    }

    fn related(id: &str, json: &str) -> Related {
        Related {
            id: id.into(),
            details: details(json),
        }
    }

    fn payment() -> PaymentRecord {
        let session = new_session(
            "cybersource",
            "auth_1",
            card("5085000000000015"),
            inr(10_000),
        );
        let mut p = new_payment("cybersource", "pay_1", &session);
        p.status = PaymentStatus::Unknown;
        p
    }

    /// Transaction Details as the SDK model documents them: no running totals, no
    /// `processingInformation.capture`.
    const SALE: &str = r#"{"id":"1","rootId":"1","submitTimeUTC":"2026-01-01T00:00:00Z","applicationInformation":{"reasonCode":"100","rCode":"1","rFlag":"SOK","applications":[{"name":"ics_auth","reasonCode":"100","rCode":"1","rFlag":"SOK"},{"name":"ics_bill","reasonCode":"100","rCode":"1","rFlag":"SOK"}]},"orderInformation":{"amountDetails":{"totalAmount":"100.00","authorizedAmount":"100.00","currency":"INR"}},"processorInformation":{"approvalCode":"831000","responseCode":"00"},"_links":{"self":{"href":"/tss/v2/transactions/1","method":"GET"},"relatedTransactions":[{"href":"/tss/v2/transactions/2","method":"GET"}]}}"#;
    const AUTH: &str = r#"{"id":"1","rootId":"1","applicationInformation":{"applications":[{"name":"ics_auth","reasonCode":"100","rCode":"1","rFlag":"SOK"}]},"orderInformation":{"amountDetails":{"totalAmount":"100.00","authorizedAmount":"100.00","currency":"INR"}},"processorInformation":{"responseCode":"00"}}"#;
    const REFUND_60: &str = r#"{"id":"2","rootId":"1","applicationInformation":{"applications":[{"name":"ics_credit","reasonCode":"100","rCode":"1","rFlag":"SOK"}]},"orderInformation":{"amountDetails":{"totalAmount":"60.00","currency":"INR"}}}"#;
    const REFUND_40: &str = r#"{"id":"3","rootId":"1","applicationInformation":{"applications":[{"name":"ics_credit","reasonCode":"100","rCode":"1","rFlag":"SOK"}]},"orderInformation":{"amountDetails":{"totalAmount":"40.00","currency":"INR"}}}"#;
    const CAPTURE_30: &str = r#"{"id":"4","rootId":"1","applicationInformation":{"applications":[{"name":"ics_bill","reasonCode":"100","rCode":"1","rFlag":"SOK"}]},"orderInformation":{"amountDetails":{"totalAmount":"30.00","currency":"INR"}}}"#;

    #[test]
    fn a_refunded_sale_reads_as_refunded_from_documented_fields() {
        let root = details(SALE);
        let p = payment();
        let o = details_outcome("1", &root, &[], &p);
        assert_eq!(o.status, PaymentStatus::Captured);
        assert_eq!(o.approval_code.as_deref(), Some("831000"));
        assert_eq!(o.provider_status.unwrap().code, "00");
        let o = details_outcome("1", &root, &[related("2", REFUND_60)], &p);
        assert_eq!(o.status, PaymentStatus::PartiallyRefunded);
        let both = [related("2", REFUND_60), related("3", REFUND_40)];
        let o = details_outcome("1", &root, &both, &p);
        assert_eq!(o.status, PaymentStatus::Refunded);
    }

    #[test]
    fn captures_reversals_and_voids_come_from_related_transactions() {
        let root = details(AUTH);
        let p = payment();
        assert_eq!(
            details_outcome("1", &root, &[], &p).status,
            PaymentStatus::Authorized
        );
        let capture = related("4", CAPTURE_30);
        assert_eq!(
            details_outcome("1", &root, std::slice::from_ref(&capture), &p).status,
            PaymentStatus::PartiallyCaptured
        );
        let void = related(
            "5",
            r#"{"id":"5","applicationInformation":{"applications":[{"name":"ics_void","reasonCode":"100","rCode":"1"}]},"_links":{"relatedTransactions":[{"href":"/tss/v2/transactions/4"}]}}"#,
        );
        assert_eq!(
            details_outcome("1", &root, &[capture, void], &p).status,
            PaymentStatus::Authorized,
            "a voided capture captured nothing"
        );
        let reversal = related(
            "6",
            r#"{"id":"6","applicationInformation":{"applications":[{"name":"ics_auth_reversal","reasonCode":"100","rCode":"1"}]}}"#,
        );
        assert_eq!(
            details_outcome("1", &root, &[reversal], &p).status,
            PaymentStatus::Voided
        );
        let failed_reversal = related(
            "7",
            r#"{"id":"7","applicationInformation":{"applications":[{"name":"ics_auth_reversal","reasonCode":"233","rCode":"0"}]}}"#,
        );
        assert_eq!(
            details_outcome("1", &root, &[failed_reversal], &p).status,
            PaymentStatus::Authorized
        );
    }

    #[test]
    fn a_declined_authorization_maps_its_reason() {
        let root = details(
            r#"{"id":"1","applicationInformation":{"applications":[{"name":"ics_auth","reasonCode":"204","rCode":"0","rFlag":"DCARDREFUSED"}]},"processorInformation":{"responseCode":"51"},"errorInformation":{"reason":"INSUFFICIENT_FUND","message":"Decline - Insufficient funds in the account."}}"#,
        );
        let o = details_outcome("1", &root, &[], &payment());
        assert_eq!(o.status, PaymentStatus::Declined);
        assert_eq!(o.failure_reason, Some(FailureReason::InsufficientFunds));
        let status = o.provider_status.unwrap();
        assert_eq!(status.code, "51");
        assert_eq!(status.raw_status, "DCARDREFUSED");
    }

    #[test]
    fn details_without_an_authorization_change_nothing() {
        let root = details(r#"{"id":"1"}"#);
        let p = payment();
        assert_eq!(details_outcome("1", &root, &[], &p).status, p.status);
    }
}
