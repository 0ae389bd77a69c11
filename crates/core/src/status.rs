//! The unified, provider-neutral vocabulary of statuses. Each adapter maps its provider's
//! statuses onto these; the gRPC layer maps these onto the proto enums of the same names.
//!
//! Serialized in SCREAMING_SNAKE_CASE, the spelling of the proto enum values, and `as_str`
//! gives the same spelling (for logs and metric labels).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares a unit-only enum with its serde spelling, `as_str`, `Display` and `ALL`.
macro_rules! unified_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The serialized spelling, e.g. `"OTP_REQUIRED"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

unified_enum! {
    /// Where one payer authentication stands. The legal moves between these are in
    /// [`crate::state_machine`].
    pub enum AuthenticationStatus {
        /// Recorded, provider not yet (or not successfully) called.
        Pending => "PENDING",
        /// The payer's browser must go to the issuer's ACS page.
        RedirectRequired => "REDIRECT_REQUIRED",
        /// An OTP was sent; the merchant's page collects it (seamless flow).
        OtpRequired => "OTP_REQUIRED",
        /// A replica has claimed the session and is verifying the result with the provider.
        Verifying => "VERIFYING",
        /// Authenticated: the proof can be used to authorize.
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
        /// The OTP or the redirect timed out before the payer finished.
        Expired => "EXPIRED",
        Cancelled => "CANCELLED",
        /// A state-changing call timed out or failed mid-way; a status lookup resolves it.
        Unknown => "UNKNOWN",
    }
}

unified_enum! {
    /// How the payer authenticates.
    pub enum Flow {
        /// On the issuer's ACS page.
        Redirect => "REDIRECT",
        /// On the merchant's page; payorch submits the OTP server to server.
        Seamless => "SEAMLESS",
    }
}

unified_enum! {
    /// What the caller should do next.
    pub enum Recommendation {
        Proceed => "PROCEED",
        RetryOtp => "RETRY_OTP",
        ResendOtp => "RESEND_OTP",
        DoNotProceed => "DO_NOT_PROCEED",
    }
}

unified_enum! {
    /// Why an authentication or a payment did not succeed.
    pub enum FailureReason {
        InvalidOtp => "INVALID_OTP",
        OtpExpired => "OTP_EXPIRED",
        OtpAttemptsExhausted => "OTP_ATTEMPTS_EXHAUSTED",
        ResendLimitReached => "RESEND_LIMIT_REACHED",
        CardNotEnrolled => "CARD_NOT_ENROLLED",
        AuthenticationNotAvailable => "AUTHENTICATION_NOT_AVAILABLE",
        IssuerUnavailable => "ISSUER_UNAVAILABLE",
        CancelledByPayer => "CANCELLED_BY_PAYER",
        TimedOut => "TIMED_OUT",
        RejectedByIssuer => "REJECTED_BY_ISSUER",
        InsufficientFunds => "INSUFFICIENT_FUNDS",
        CardExpired => "CARD_EXPIRED",
        DoNotHonour => "DO_NOT_HONOUR",
        ProviderError => "PROVIDER_ERROR",
        InvalidCard => "INVALID_CARD",
        /// The network requires payer authentication first (RuPay).
        AuthenticationRequired => "AUTHENTICATION_REQUIRED",
        DuplicateRequest => "DUPLICATE_REQUEST",
        /// A debit outside the mandate's registered limits.
        MandateLimitExceeded => "MANDATE_LIMIT_EXCEEDED",
        /// The merchant cancelled (CancelAuthentication, CancelMandate).
        CancelledByMerchant => "CANCELLED_BY_MERCHANT",
        IncorrectCvv => "INCORRECT_CVV",
        CardLimitExceeded => "CARD_LIMIT_EXCEEDED",
        /// Lost, stolen, blocked or restricted.
        CardBlocked => "CARD_BLOCKED",
        TransactionNotPermitted => "TRANSACTION_NOT_PERMITTED",
        SuspectedFraud => "SUSPECTED_FRAUD",
        /// The provider refused the request's data (ACCU600, a hash failure).
        InvalidRequest => "INVALID_REQUEST",
        /// A decline payorch cannot map more precisely.
        GenericDecline => "GENERIC_DECLINE",
    }
}

unified_enum! {
    /// Where a payment (authorization and what follows it) stands.
    pub enum PaymentStatus {
        Pending => "PENDING",
        Authorized => "AUTHORIZED",
        Captured => "CAPTURED",
        PartiallyCaptured => "PARTIALLY_CAPTURED",
        /// The issuer or network said no: a normal outcome, not an error.
        Declined => "DECLINED",
        Voided => "VOIDED",
        Refunded => "REFUNDED",
        PartiallyRefunded => "PARTIALLY_REFUNDED",
        /// Processing failed (provider or network error) without an issuer decision.
        Failed => "FAILED",
        /// A state-changing call's outcome is not known; a status lookup resolves it.
        Unknown => "UNKNOWN",
    }
}

impl PaymentStatus {
    /// Declined, voided, refunded and failed payments never change again (the proto's
    /// final statuses): a refresh answers them from the store.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentStatus::Declined
                | PaymentStatus::Voided
                | PaymentStatus::Refunded
                | PaymentStatus::Failed
        )
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    use super::*;

    /// Serde's spelling is the derive's rename; `as_str` is hand-written. Prove they agree
    /// by deserializing every `as_str` back to its variant.
    fn serde_agrees<T>(all: &[T])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + for<'de> Deserialize<'de>,
    {
        for &value in all {
            let text = value.to_string();
            let de: StrDeserializer<'_, ValueError> = text.as_str().into_deserializer();
            assert_eq!(T::deserialize(de), Ok(value), "{text}");
            assert!(
                text.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{text}"
            );
        }
    }

    #[test]
    fn serde_spelling_is_screaming_snake_case() {
        serde_agrees(AuthenticationStatus::ALL);
        serde_agrees(Flow::ALL);
        serde_agrees(Recommendation::ALL);
        serde_agrees(FailureReason::ALL);
        serde_agrees(PaymentStatus::ALL);
    }

    #[test]
    fn variant_counts() {
        assert_eq!(AuthenticationStatus::ALL.len(), 9);
        assert_eq!(Flow::ALL.len(), 2);
        assert_eq!(Recommendation::ALL.len(), 4);
        assert_eq!(FailureReason::ALL.len(), 26);
        assert_eq!(PaymentStatus::ALL.len(), 10);
    }

    #[test]
    fn unknown_names_are_refused() {
        let de: StrDeserializer<'_, ValueError> = "otp_required".into_deserializer();
        assert!(AuthenticationStatus::deserialize(de).is_err());
    }

    #[test]
    fn display_matches_proto_spelling() {
        assert_eq!(
            AuthenticationStatus::RedirectRequired.to_string(),
            "REDIRECT_REQUIRED"
        );
        assert_eq!(FailureReason::DoNotHonour.as_str(), "DO_NOT_HONOUR");
        assert_eq!(
            PaymentStatus::PartiallyRefunded.as_str(),
            "PARTIALLY_REFUNDED"
        );
    }
}
