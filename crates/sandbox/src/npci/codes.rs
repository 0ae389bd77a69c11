//! NPCI (BEPG) status codes and the ACCU codes of the redirect ACS (seed 001 tables).

/// An NPCI authentication or authorization result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpciCode {
    /// `00`
    Success,
    /// `410` Invalid BIN: card not enrolled.
    InvalidBin,
    /// `412` issuer authentication failure (issuer unreachable or refused).
    IssuerAuthenticationFailure,
    /// `450` Invalid OTP.
    InvalidOtp,
    /// `451` Expired OTP.
    ExpiredOtp,
    /// `452` Exhausted OTP verification.
    AttemptsExhausted,
    /// `453` Exhausted OTP resend count.
    ResendsExhausted,
    /// `454` duplicate request id.
    DuplicateRequest,
}

impl NpciCode {
    pub fn as_str(self) -> &'static str {
        match self {
            NpciCode::Success => "00",
            NpciCode::InvalidBin => "410",
            NpciCode::IssuerAuthenticationFailure => "412",
            NpciCode::InvalidOtp => "450",
            NpciCode::ExpiredOtp => "451",
            NpciCode::AttemptsExhausted => "452",
            NpciCode::ResendsExhausted => "453",
            NpciCode::DuplicateRequest => "454",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            NpciCode::Success => "Success",
            NpciCode::InvalidBin => "Invalid BIN",
            NpciCode::IssuerAuthenticationFailure => "Issuer authentication failure",
            NpciCode::InvalidOtp => "Invalid OTP",
            NpciCode::ExpiredOtp => "Expired OTP",
            NpciCode::AttemptsExhausted => "Exhausted OTP verification",
            NpciCode::ResendsExhausted => "Exhausted OTP resend count",
            NpciCode::DuplicateRequest => "Duplicate request id",
        }
    }
}

/// Result codes the ACS (redirect flow) reports back, as `ACCUnnn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccuCode {
    /// ACCU000 success.
    Success,
    /// ACCU100 authentication failed.
    Failed,
    /// ACCU200 cancelled by the cardholder.
    Cancelled,
    /// ACCU400 inactivity timeout.
    Timeout,
    /// ACCU600 invalid data or hash failure.
    InvalidData,
    /// ACCU700 duplicate / session expired.
    SessionExpired,
    /// ACCU800 general error.
    GeneralError,
}

impl AccuCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AccuCode::Success => "ACCU000",
            AccuCode::Failed => "ACCU100",
            AccuCode::Cancelled => "ACCU200",
            AccuCode::Timeout => "ACCU400",
            AccuCode::InvalidData => "ACCU600",
            AccuCode::SessionExpired => "ACCU700",
            AccuCode::GeneralError => "ACCU800",
        }
    }
}
