//! Provider code tables mapped onto the unified vocabulary.
//!
//! - [`npci_outcome`]: NPCI RuPay PaySecure authentication status codes
//!   (`authentication.status.code`), as listed in seed 001 (MPGS RuPay guide, FAQ table).
//! - [`accu_outcome`]: the issuer ACS `ACCU*` codes of the redirect flow (seed 001, "codes
//!   that require your action as received from issuer ACS").
//! - [`authorization_outcome`]: authorization response codes from the seed's acquirer table
//!   (`response.acquirerCode`): ISO 8583 codes plus a few NPCI extensions.
//!
//! Lookups return `None` for codes not in a table: the adapter decides (usually `FAILED` +
//! `PROVIDER_ERROR`, keeping the raw code in the provider status).

mod authorization;

use crate::status::{AuthenticationStatus, FailureReason, Recommendation};

pub use authorization::{authorization_description, authorization_outcome};

use AuthenticationStatus as S;
use FailureReason as F;
use Recommendation as R;

/// What a provider code means for an authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeOutcome {
    /// The code as the table spells it (`"00"` also answers for `"0"`).
    pub code: &'static str,
    /// The provider's description of the code.
    pub description: &'static str,
    /// The status the authentication moves to.
    pub status: AuthenticationStatus,
    pub failure_reason: Option<FailureReason>,
    pub recommendation: Recommendation,
}

impl CodeOutcome {
    const fn new(
        code: &'static str,
        description: &'static str,
        status: AuthenticationStatus,
        failure_reason: Option<FailureReason>,
        recommendation: Recommendation,
    ) -> CodeOutcome {
        CodeOutcome {
            code,
            description,
            status,
            failure_reason,
            recommendation,
        }
    }

    /// Applies the session's counters, which the tables cannot know.
    ///
    /// `450` (invalid OTP) says `OTP_REQUIRED` + `RETRY_OTP` because attempts usually
    /// remain; with `attempts_remaining <= 0` there is nothing to retry, so the outcome
    /// becomes `FAILED` + `OTP_ATTEMPTS_EXHAUSTED` + `DO_NOT_PROCEED`. Likewise `451`
    /// (expired OTP) says `RESEND_OTP`; with `resends_remaining <= 0` it becomes `EXPIRED`
    /// + `OTP_EXPIRED` + `DO_NOT_PROCEED`. Other outcomes are returned unchanged.
    pub fn with_limits(self, attempts_remaining: i32, resends_remaining: i32) -> CodeOutcome {
        match self.recommendation {
            R::RetryOtp if attempts_remaining <= 0 => CodeOutcome {
                status: S::Failed,
                failure_reason: Some(F::OtpAttemptsExhausted),
                recommendation: R::DoNotProceed,
                ..self
            },
            R::ResendOtp if resends_remaining <= 0 => CodeOutcome {
                status: S::Expired,
                failure_reason: Some(F::OtpExpired),
                recommendation: R::DoNotProceed,
                ..self
            },
            _ => self,
        }
    }
}

/// NPCI authentication status codes.
///
/// `00` is success for the step that returned it: on OTP verification it means
/// authenticated (`SUCCEEDED`); on the OTP-generation step it only means the request was
/// accepted, and the adapter reports `OTP_REQUIRED` itself instead of using this row.
/// `454` (duplicate request id) is `UNKNOWN`: the first request with that id may have
/// gone through, so a status lookup decides.
const NPCI: &[CodeOutcome] = &[
    CodeOutcome::new(
        "00",
        "Request was successful",
        S::Succeeded,
        None,
        R::Proceed,
    ),
    CodeOutcome::new(
        "450",
        "Invalid OTP",
        S::OtpRequired,
        Some(F::InvalidOtp),
        R::RetryOtp,
    ),
    CodeOutcome::new(
        "451",
        "Expired OTP",
        S::OtpRequired,
        Some(F::OtpExpired),
        R::ResendOtp,
    ),
    CodeOutcome::new(
        "452",
        "Exhausted OTP verification attempts",
        S::Failed,
        Some(F::OtpAttemptsExhausted),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "453",
        "Exhausted OTP resend count",
        S::Failed,
        Some(F::ResendLimitReached),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "410",
        "Invalid BIN",
        S::Failed,
        Some(F::CardNotEnrolled),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "412",
        "Issuer Authentication Failure",
        S::Failed,
        Some(F::RejectedByIssuer),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "454",
        "Duplicate requestID",
        S::Unknown,
        Some(F::DuplicateRequest),
        R::DoNotProceed,
    ),
    // Request and switch errors of the same table: our request or the network failed,
    // the payer did nothing wrong.
    CodeOutcome::new(
        "01",
        "Missing Parameter",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "02",
        "Invalid Command",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "07",
        "Invalid Parameter",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "13",
        "Amount Error",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "399",
        "System Unavailable",
        S::Failed,
        Some(F::IssuerUnavailable),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "400",
        "General Error",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "401",
        "Command is Null or Empty",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "402",
        "XML is Null or Empty",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "406",
        "Not Authenticated",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "407",
        "Not Authorized",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "408",
        "XML Data Error",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
];

/// Issuer ACS codes of the redirect flow. The seed's required action is "decline" for all
/// but ACCU000; `ACCU700` is `UNKNOWN` rather than `FAILED` because "duplicate data
/// posted" can be the browser re-posting a result that already succeeded: payorch always
/// verifies with the provider, and the lookup settles it.
const ACCU: &[CodeOutcome] = &[
    CodeOutcome::new(
        "ACCU000",
        "Authentication Successful",
        S::Succeeded,
        None,
        R::Proceed,
    ),
    CodeOutcome::new(
        "ACCU100",
        "Authentication Failed",
        S::Failed,
        Some(F::RejectedByIssuer),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "ACCU200",
        "Cardholder pressed Cancel button",
        S::Cancelled,
        Some(F::CancelledByPayer),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "ACCU400",
        "Cardholder inactivity timeout",
        S::Expired,
        Some(F::TimedOut),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "ACCU600",
        "Invalid data received, posted, or Hash validation failed",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "ACCU700",
        "Duplicate Data posted or session already expired",
        S::Unknown,
        Some(F::DuplicateRequest),
        R::DoNotProceed,
    ),
    CodeOutcome::new(
        "ACCU800",
        "General Error Encountered",
        S::Failed,
        Some(F::ProviderError),
        R::DoNotProceed,
    ),
];

/// Meaning of an NPCI authentication status code (`"0"` is read as `"00"`).
pub fn npci_outcome(code: &str) -> Option<CodeOutcome> {
    let code = if code == "0" { "00" } else { code };
    NPCI.iter().find(|row| row.code == code).copied()
}

/// Meaning of an issuer ACS `ACCU*` code (case-insensitive).
pub fn accu_outcome(code: &str) -> Option<CodeOutcome> {
    ACCU.iter()
        .find(|row| row.code.eq_ignore_ascii_case(code))
        .copied()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    type Row = (
        &'static str,
        AuthenticationStatus,
        Option<FailureReason>,
        Recommendation,
    );

    fn check(table: &[Row], lookup: fn(&str) -> Option<CodeOutcome>) {
        for &(code, status, reason, recommendation) in table {
            let outcome = lookup(code).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(outcome.status, status, "{code}");
            assert_eq!(outcome.failure_reason, reason, "{code}");
            assert_eq!(outcome.recommendation, recommendation, "{code}");
            assert!(!outcome.description.is_empty(), "{code}");
        }
    }

    #[test]
    fn npci_codes_of_seed_001() {
        check(
            &[
                ("00", S::Succeeded, None, R::Proceed),
                ("0", S::Succeeded, None, R::Proceed),
                ("450", S::OtpRequired, Some(F::InvalidOtp), R::RetryOtp),
                ("451", S::OtpRequired, Some(F::OtpExpired), R::ResendOtp),
                (
                    "452",
                    S::Failed,
                    Some(F::OtpAttemptsExhausted),
                    R::DoNotProceed,
                ),
                (
                    "453",
                    S::Failed,
                    Some(F::ResendLimitReached),
                    R::DoNotProceed,
                ),
                ("410", S::Failed, Some(F::CardNotEnrolled), R::DoNotProceed),
                ("412", S::Failed, Some(F::RejectedByIssuer), R::DoNotProceed),
                (
                    "454",
                    S::Unknown,
                    Some(F::DuplicateRequest),
                    R::DoNotProceed,
                ),
                (
                    "399",
                    S::Failed,
                    Some(F::IssuerUnavailable),
                    R::DoNotProceed,
                ),
                ("400", S::Failed, Some(F::ProviderError), R::DoNotProceed),
            ],
            npci_outcome,
        );
        assert_eq!(npci_outcome("0").map(|o| o.code), Some("00"));
    }

    #[test]
    fn accu_codes_of_seed_001() {
        check(
            &[
                ("ACCU000", S::Succeeded, None, R::Proceed),
                (
                    "ACCU100",
                    S::Failed,
                    Some(F::RejectedByIssuer),
                    R::DoNotProceed,
                ),
                (
                    "ACCU200",
                    S::Cancelled,
                    Some(F::CancelledByPayer),
                    R::DoNotProceed,
                ),
                ("ACCU400", S::Expired, Some(F::TimedOut), R::DoNotProceed),
                (
                    "ACCU600",
                    S::Failed,
                    Some(F::ProviderError),
                    R::DoNotProceed,
                ),
                (
                    "ACCU700",
                    S::Unknown,
                    Some(F::DuplicateRequest),
                    R::DoNotProceed,
                ),
                (
                    "ACCU800",
                    S::Failed,
                    Some(F::ProviderError),
                    R::DoNotProceed,
                ),
                (
                    "accu200",
                    S::Cancelled,
                    Some(F::CancelledByPayer),
                    R::DoNotProceed,
                ),
            ],
            accu_outcome,
        );
    }

    #[test]
    fn unknown_codes_are_none() {
        for code in ["", "999", "45", "4500", " 450", "ACCU", "ACCU900"] {
            assert_eq!(npci_outcome(code), None, "{code:?}");
            assert_eq!(accu_outcome(code), None, "{code:?}");
        }
    }

    #[test]
    fn tables_are_consistent() {
        for table in [NPCI, ACCU] {
            let codes: HashSet<_> = table.iter().map(|row| row.code).collect();
            assert_eq!(codes.len(), table.len(), "duplicate code");
            for row in table {
                // Success and only success says PROCEED, and carries no failure reason.
                let success = row.status == S::Succeeded;
                assert_eq!(row.recommendation == R::Proceed, success, "{}", row.code);
                assert_eq!(row.failure_reason.is_none(), success, "{}", row.code);
                // A code is the result of verifying: its status must be writable from there.
                assert!(S::Verifying.can_transition_to(row.status), "{}", row.code);
            }
        }
    }

    #[test]
    fn accu_results_can_also_be_learnt_while_waiting_for_the_payer() {
        for row in ACCU {
            assert!(
                S::RedirectRequired.can_transition_to(row.status),
                "{}",
                row.code
            );
        }
    }

    #[test]
    fn retry_becomes_do_not_proceed_without_attempts() {
        let invalid = npci_outcome("450").unwrap();
        assert_eq!(invalid.with_limits(2, 0), invalid);
        let last = invalid.with_limits(0, 3);
        assert_eq!(last.status, S::Failed);
        assert_eq!(last.failure_reason, Some(F::OtpAttemptsExhausted));
        assert_eq!(last.recommendation, R::DoNotProceed);
        assert_eq!(last.code, "450");
    }

    #[test]
    fn resend_becomes_do_not_proceed_without_resends() {
        let expired = npci_outcome("451").unwrap();
        assert_eq!(expired.with_limits(0, 1), expired);
        let last = expired.with_limits(3, 0);
        assert_eq!(last.status, S::Expired);
        assert_eq!(last.failure_reason, Some(F::OtpExpired));
        assert_eq!(last.recommendation, R::DoNotProceed);
    }

    #[test]
    fn final_outcomes_ignore_limits() {
        for code in ["00", "452", "410"] {
            let outcome = npci_outcome(code).unwrap();
            assert_eq!(outcome.with_limits(0, 0), outcome, "{code}");
        }
    }
}
