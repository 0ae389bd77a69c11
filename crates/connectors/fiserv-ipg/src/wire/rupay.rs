//! The RuPay-only parts of IPG's API, which appear in seed 002 and in no public schema:
//! `RupayAuthenticationRequest` on `PaymentCardPayerAuthTransaction`, and
//! `RupayAuthenticationUpdateRequest` with `verifyOtp` / `regenerateOtp` on
//! `PATCH /payments/{ipgTransactionId}`. Every one of those names is spelled here only.

use serde::Serialize;

use super::request::{Amount, Order, PaymentMethod};

pub const PAYER_AUTH: &str = "PaymentCardPayerAuthTransaction";
pub const AUTHENTICATION_TYPE: &str = "RupayAuthenticationRequest";
pub const UPDATE_TYPE: &str = "RupayAuthenticationUpdateRequest";

/// The four browser parameters RuPay makes mandatory (`cardHolderBrowserParams`, as in the
/// seed's example; its prose says `cardHolderBrowserParameters`).
#[derive(Debug, Serialize)]
pub struct BrowserParams {
    #[serde(rename = "browserAcceptHeaders")]
    pub accept_headers: String,
    #[serde(rename = "browserIP")]
    pub ip: String,
    #[serde(rename = "browserLanguage")]
    pub language: String,
    #[serde(rename = "browserUserAgent")]
    pub user_agent: String,
}

#[derive(Debug, Serialize)]
pub struct AuthenticationRequest {
    #[serde(rename = "authenticationType")]
    pub authentication_type: &'static str,
    /// Where the issuer's page sends the payer back (payorch's callback).
    #[serde(rename = "termURL")]
    pub term_url: String,
    #[serde(rename = "cardHolderBrowserParams")]
    pub browser: BrowserParams,
}

/// `PaymentCardPayerAuthTransaction` with a `RupayAuthenticationRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayerAuthTransaction {
    pub request_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    pub transaction_amount: Amount,
    pub order: Order,
    pub payment_method: PaymentMethod,
    pub authentication_request: AuthenticationRequest,
}

/// `RupayAuthenticationUpdateRequest`: exactly one of `verifyOtp` and `regenerateOtp`.
/// The card travels again (it comes from the encrypted session).
#[derive(Serialize)]
pub struct AuthenticationUpdate {
    #[serde(rename = "authenticationType")]
    pub authentication_type: &'static str,
    #[serde(rename = "storeId", skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(rename = "paymentMethod")]
    pub payment_method: PaymentMethod,
    #[serde(rename = "verifyOtp", skip_serializing_if = "Option::is_none")]
    pub verify_otp: Option<String>,
    /// The seed sends the string `"true"`.
    #[serde(rename = "regenerateOtp", skip_serializing_if = "Option::is_none")]
    pub regenerate_otp: Option<&'static str>,
}

impl std::fmt::Debug for AuthenticationUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticationUpdate")
            .field("payment_method", &self.payment_method)
            .field(
                "verify_otp",
                &self.verify_otp.as_ref().map(|_| "[REDACTED]"),
            )
            .field("regenerate_otp", &self.regenerate_otp)
            .finish_non_exhaustive()
    }
}

impl AuthenticationUpdate {
    pub fn verify(store_id: Option<String>, payment_method: PaymentMethod, otp: &str) -> Self {
        Self {
            authentication_type: UPDATE_TYPE,
            store_id,
            payment_method,
            verify_otp: Some(otp.to_owned()),
            regenerate_otp: None,
        }
    }

    pub fn regenerate(store_id: Option<String>, payment_method: PaymentMethod) -> Self {
        Self {
            authentication_type: UPDATE_TYPE,
            store_id,
            payment_method,
            verify_otp: None,
            regenerate_otp: Some("true"),
        }
    }
}

/// The OTP's field name, for mapping a refusal that names it back to payorch's `otp`.
pub const VERIFY_OTP_FIELD: &str = "verifyOtp";
