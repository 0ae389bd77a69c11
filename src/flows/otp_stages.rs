//! Which OTP stage a stored transition of an authentication is (sent, resent, expired,
//! exhausted, succeeded, or failed by the provider or issuer), counted per account and BIN range by the router: the numbers
//! that show an account whose OTPs stop arriving although its HTTP answers are fine.

use payorch_core::session::AuthenticationSession;
use payorch_core::status::{AuthenticationStatus, FailureReason};
use payorch_router::OtpStage;

use crate::flows::Flows;

/// The stage `from` → `to` is, if any.
pub fn stage(from: &AuthenticationSession, to: &AuthenticationSession) -> Option<OtpStage> {
    use AuthenticationStatus as S;
    let challenged = matches!(to.status, S::OtpRequired | S::RedirectRequired);
    match to.status {
        _ if from.status == to.status && from.status != S::Verifying => None,
        _ if challenged && from.status == S::Pending => Some(OtpStage::Sent),
        // A start whose answer was lost (UNKNOWN, no flow yet), found challenged on refresh.
        // (A lost OTP submission is UNKNOWN with its flow: finding it still waiting for
        // the OTP is no new OTP.)
        _ if challenged && from.status == S::Unknown && from.flow.is_none() => Some(OtpStage::Sent),
        S::OtpRequired if to.resends_remaining < from.resends_remaining => Some(OtpStage::Resent),
        S::Succeeded if to.flow.is_some() => Some(OtpStage::Succeeded),
        S::Expired => Some(OtpStage::Expired),
        S::Failed if to.failure_reason == Some(FailureReason::OtpExpired) => {
            Some(OtpStage::Expired)
        }
        S::Failed if to.failure_reason == Some(FailureReason::OtpAttemptsExhausted) => {
            Some(OtpStage::Exhausted)
        }
        // The account, not the card or the payer, let the authentication down.
        S::Failed
            if matches!(
                to.failure_reason,
                Some(
                    FailureReason::IssuerUnavailable
                        | FailureReason::ProviderError
                        | FailureReason::TimedOut
                )
            ) =>
        {
            Some(OtpStage::Failed)
        }
        _ => None,
    }
}

impl Flows {
    /// Counts the OTP stage a stored transition is, on the session's account.
    pub(crate) fn count_otp_stage(&self, from: &AuthenticationSession, to: &AuthenticationSession) {
        if let Some(stage) = stage(from, to) {
            let bin_range = to.routing.as_ref().map_or("any", |r| r.bin_range.as_str());
            self.router.record_otp_stage(to.account(), bin_range, stage);
        }
    }
}

#[cfg(test)]
mod tests {
    use payorch_core::status::Flow;

    use super::*;

    fn session(status: AuthenticationStatus) -> AuthenticationSession {
        let mut s = fixture();
        s.status = status;
        s
    }

    /// A stored session without a card, enough for the stage rules.
    fn fixture() -> AuthenticationSession {
        serde_json::from_value(serde_json::json!({
            "id": "auth_1", "merchant_id": "m", "connector": "mpgs", "status": "PENDING",
            "flow": "SEAMLESS", "amount": {"minor_units": 100, "currency": "INR"},
            "card_bin": "652150", "card_last4": "0001", "failure_reason": null,
            "recommendation": null, "provider_status": null, "provider_reference": null,
            "attempts_remaining": 3, "resends_remaining": 3, "expires_at_ms": null,
            "next_action": null, "return_url": "", "order_reference": "",
            "connector_state": null, "created_at_ms": 0, "updated_at_ms": 0, "version": 0
        }))
        .unwrap_or_else(|e| panic!("session fixture: {e}"))
    }

    #[test]
    fn each_stage_is_recognised_once() {
        use AuthenticationStatus as S;
        let pending = session(S::Pending);
        let waiting = session(S::OtpRequired);
        assert_eq!(stage(&pending, &waiting), Some(OtpStage::Sent));
        let verifying = session(S::Verifying);
        let mut resent = waiting.clone();
        resent.resends_remaining = 2;
        assert_eq!(stage(&verifying, &resent), Some(OtpStage::Resent));
        let mut wrong = waiting.clone();
        wrong.attempts_remaining = 2;
        assert_eq!(stage(&verifying, &wrong), None, "a wrong OTP is no stage");
        assert_eq!(
            stage(&verifying, &session(S::Succeeded)),
            Some(OtpStage::Succeeded)
        );
        assert_eq!(
            stage(&waiting, &session(S::Expired)),
            Some(OtpStage::Expired)
        );
        let mut exhausted = session(S::Failed);
        exhausted.failure_reason = Some(FailureReason::OtpAttemptsExhausted);
        assert_eq!(stage(&verifying, &exhausted), Some(OtpStage::Exhausted));
        let mut lapsed = session(S::Failed);
        lapsed.failure_reason = Some(FailureReason::OtpExpired);
        assert_eq!(stage(&verifying, &lapsed), Some(OtpStage::Expired));
        assert_eq!(stage(&waiting, &waiting), None);
        let mut frictionless = session(S::Succeeded);
        frictionless.flow = None;
        assert_eq!(stage(&pending, &frictionless), None);
        let mut unavailable = session(S::Failed);
        unavailable.failure_reason = Some(FailureReason::IssuerUnavailable);
        assert_eq!(stage(&pending, &unavailable), Some(OtpStage::Failed));
        let mut not_enrolled = session(S::Failed);
        not_enrolled.failure_reason = Some(FailureReason::CardNotEnrolled);
        assert_eq!(stage(&pending, &not_enrolled), None, "the card's doing");
        let mut lost_start = session(S::Unknown);
        lost_start.flow = None;
        assert_eq!(
            stage(&lost_start, &waiting),
            Some(OtpStage::Sent),
            "found sent on refresh"
        );
        let lost_submit = session(S::Unknown);
        assert_eq!(stage(&lost_submit, &waiting), None, "still the same OTP");
        let mut redirect = session(S::RedirectRequired);
        redirect.flow = Some(Flow::Redirect);
        assert_eq!(stage(&pending, &redirect), Some(OtpStage::Sent));
    }
}
