//! Authorization response codes (ISO 8583 field 39 and NPCI's extensions), as listed in the
//! acquirer table of seed 001.
//!
//! The status says who decided: `DECLINED` is the issuer or network saying no (a normal
//! answer), `FAILED` is processing that went wrong before any decision (our request, the
//! switch, an unreachable issuer), `UNKNOWN` means the outcome must be looked up (`96`
//! covers "previously authorized" as well as errors; `454` is a duplicate of a request
//! that may have gone through). Lost, stolen and fraud codes are reported as
//! `DO_NOT_HONOUR` on purpose: the merchant's customer-facing message must not say why.

use crate::status::{FailureReason, PaymentStatus};

use FailureReason as F;
use PaymentStatus as P;

struct Row {
    code: &'static str,
    description: &'static str,
    status: PaymentStatus,
    failure_reason: Option<FailureReason>,
}

const fn row(
    code: &'static str,
    description: &'static str,
    status: PaymentStatus,
    failure_reason: Option<FailureReason>,
) -> Row {
    Row {
        code,
        description,
        status,
        failure_reason,
    }
}

const TABLE: &[Row] = &[
    row("00", "Approved", P::Authorized, None),
    row(
        "01",
        "Refer to card issuer",
        P::Declined,
        Some(F::DoNotHonour),
    ),
    row("03", "Invalid merchant", P::Failed, Some(F::InvalidRequest)),
    row("04", "Pick up card", P::Declined, Some(F::CardBlocked)),
    row("05", "Do not honour", P::Declined, Some(F::DoNotHonour)),
    row(
        "12",
        "Invalid transaction",
        P::Declined,
        Some(F::TransactionNotPermitted),
    ),
    row("13", "Invalid amount", P::Failed, Some(F::InvalidRequest)),
    row(
        "14",
        "Invalid card number",
        P::Declined,
        Some(F::InvalidCard),
    ),
    row("30", "Format error", P::Failed, Some(F::InvalidRequest)),
    row("41", "Lost card", P::Declined, Some(F::CardBlocked)),
    row("42", "No account", P::Declined, Some(F::InvalidCard)),
    row("43", "Stolen card", P::Declined, Some(F::CardBlocked)),
    row(
        "51",
        "Insufficient funds",
        P::Declined,
        Some(F::InsufficientFunds),
    ),
    row("54", "Expired card", P::Declined, Some(F::CardExpired)),
    row("N7", "CVV2 mismatch", P::Declined, Some(F::IncorrectCvv)),
    row(
        "55",
        "Incorrect PIN",
        P::Declined,
        Some(F::RejectedByIssuer),
    ),
    row(
        "57",
        "Transaction not permitted to cardholder",
        P::Declined,
        Some(F::TransactionNotPermitted),
    ),
    row(
        "58",
        "Transaction not permitted to terminal",
        P::Declined,
        Some(F::TransactionNotPermitted),
    ),
    row(
        "59",
        "Suspected fraud",
        P::Declined,
        Some(F::SuspectedFraud),
    ),
    row(
        "61",
        "Exceeds withdrawal amount limit",
        P::Declined,
        Some(F::CardLimitExceeded),
    ),
    row("62", "Restricted card", P::Declined, Some(F::CardBlocked)),
    row(
        "65",
        "Exceeds withdrawal frequency limit",
        P::Declined,
        Some(F::CardLimitExceeded),
    ),
    row(
        "91",
        "Issuer or switch inoperative",
        P::Failed,
        Some(F::IssuerUnavailable),
    ),
    row(
        "92",
        "No routing available",
        P::Failed,
        Some(F::IssuerUnavailable),
    ),
    row(
        "93",
        "Compliance violation",
        P::Declined,
        Some(F::DoNotHonour),
    ),
    row(
        "96",
        "System error, previously authorized or previously declined",
        P::Unknown,
        Some(F::ProviderError),
    ),
    // NPCI extensions in the same table.
    row("110", "No account", P::Declined, Some(F::InvalidCard)),
    row("120", "Account closed", P::Declined, Some(F::InvalidCard)),
    row(
        "399",
        "System unavailable",
        P::Failed,
        Some(F::IssuerUnavailable),
    ),
    row(
        "409",
        "Invalid authentication value",
        P::Declined,
        Some(F::AuthenticationRequired),
    ),
    row(
        "454",
        "Duplicate request id",
        P::Unknown,
        Some(F::DuplicateRequest),
    ),
];

fn find(code: &str) -> Option<&'static Row> {
    TABLE.iter().find(|row| row.code == code)
}

/// Payment status and failure reason of an authorization response code.
pub fn authorization_outcome(code: &str) -> Option<(PaymentStatus, Option<FailureReason>)> {
    find(code).map(|row| (row.status, row.failure_reason))
}

/// The usual description of an authorization response code, for the provider status
/// message when the provider sent none.
pub fn authorization_description(code: &str) -> Option<&'static str> {
    find(code).map(|row| row.description)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn table_driven() {
        let cases = [
            ("00", P::Authorized, None),
            ("05", P::Declined, Some(F::DoNotHonour)),
            ("51", P::Declined, Some(F::InsufficientFunds)),
            ("54", P::Declined, Some(F::CardExpired)),
            ("91", P::Failed, Some(F::IssuerUnavailable)),
            ("14", P::Declined, Some(F::InvalidCard)),
            ("41", P::Declined, Some(F::CardBlocked)),
            ("43", P::Declined, Some(F::CardBlocked)),
            ("59", P::Declined, Some(F::SuspectedFraud)),
            ("61", P::Declined, Some(F::CardLimitExceeded)),
            ("57", P::Declined, Some(F::TransactionNotPermitted)),
            ("N7", P::Declined, Some(F::IncorrectCvv)),
            ("30", P::Failed, Some(F::InvalidRequest)),
            ("92", P::Failed, Some(F::IssuerUnavailable)),
            ("96", P::Unknown, Some(F::ProviderError)),
            ("409", P::Declined, Some(F::AuthenticationRequired)),
            ("454", P::Unknown, Some(F::DuplicateRequest)),
        ];
        for (code, status, reason) in cases {
            assert_eq!(
                authorization_outcome(code),
                Some((status, reason)),
                "{code}"
            );
        }
    }

    #[test]
    fn unknown_codes_are_none() {
        for code in ["", "0", "5", "99", "005", "Z3"] {
            assert_eq!(authorization_outcome(code), None, "{code:?}");
            assert_eq!(authorization_description(code), None, "{code:?}");
        }
    }

    #[test]
    fn descriptions() {
        assert_eq!(authorization_description("51"), Some("Insufficient funds"));
    }

    #[test]
    fn consistent() {
        let codes: HashSet<_> = TABLE.iter().map(|row| row.code).collect();
        assert_eq!(codes.len(), TABLE.len(), "duplicate code");
        for row in TABLE {
            // Approval and only approval carries no failure reason.
            assert_eq!(
                row.failure_reason.is_none(),
                row.status == P::Authorized,
                "{}",
                row.code
            );
            assert!(
                matches!(
                    row.status,
                    P::Authorized | P::Declined | P::Failed | P::Unknown
                ),
                "{}",
                row.code
            );
        }
    }
}
