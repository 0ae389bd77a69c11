//! Request bodies, as the `application/x-www-form-urlencoded` pairs Juspay documents.
//! Parameter names live here and nowhere else.

use payorch_core::card::{Card, CardBrand};
use payorch_core::money::Money;

/// Form fields, in the order they are sent.
pub type Form = Vec<(&'static str, String)>;

/// `POST /orders`: the order the payment attempt belongs to. `auto_capture=false` makes
/// a successful payment AUTHORIZED instead of CHARGED (Juspay's pre-auth), so the capture
/// decision is taken here, before the payer authenticates.
pub struct OrderCreate<'a> {
    pub order_id: &'a str,
    pub amount: Money,
    pub return_url: &'a str,
    pub ip_address: &'a str,
    pub user_agent: &'a str,
    pub auto_capture: bool,
}

impl OrderCreate<'_> {
    pub fn form(&self) -> Form {
        let mut form: Form = vec![
            ("order_id", self.order_id.to_owned()),
            ("amount", self.amount.to_decimal_string()),
            ("currency", self.amount.currency().code().to_owned()),
            ("return_url", self.return_url.to_owned()),
        ];
        // Some gateways behind Juspay need the payer's browser on the order (seed 003).
        if !self.ip_address.is_empty() {
            form.push(("ip_address", self.ip_address.to_owned()));
        }
        if !self.user_agent.is_empty() {
            form.push(("user_agent", self.user_agent.to_owned()));
        }
        if !self.auto_capture {
            form.push(("metadata.txns.auto_capture", "false".into()));
        }
        form
    }
}

/// How the payer should authenticate, as `/txns` asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// Direct OTP: the merchant's page collects the OTP.
    Otp,
    /// The issuer's 3DS page.
    ThreeDs,
}

impl AuthType {
    fn as_str(self) -> &'static str {
        match self {
            AuthType::Otp => "OTP",
            AuthType::ThreeDs => "THREE_DS",
        }
    }
}

/// `POST /txns`: a card payment on an order, with `format=json` so the authentication
/// step comes back as JSON rather than as a redirect.
pub struct TxnCreate<'a> {
    pub order_id: &'a str,
    pub merchant_id: &'a str,
    pub card: &'a Card,
    pub auth_type: AuthType,
}

impl TxnCreate<'_> {
    pub fn form(&self) -> Form {
        let card = self.card;
        let mut form: Form = vec![
            ("order_id", self.order_id.to_owned()),
            ("merchant_id", self.merchant_id.to_owned()),
            ("payment_method_type", "CARD".into()),
        ];
        if card.number.brand() == CardBrand::RuPay {
            form.push(("payment_method", "RUPAY".into()));
        }
        form.push(("card_number", card.number.expose().to_owned()));
        form.push(("card_exp_month", format!("{:02}", card.expiry.month())));
        form.push(("card_exp_year", format!("{:02}", card.expiry.year() % 100)));
        if let Some(cvv) = &card.cvv {
            form.push(("card_security_code", cvv.expose().to_owned()));
        }
        if let Some(name) = card.holder_name.as_deref().filter(|n| !n.is_empty()) {
            form.push(("name_on_card", name.to_owned()));
        }
        form.push(("save_to_locker", "false".into()));
        form.push(("format", "json".into()));
        form.push(("auth_type", self.auth_type.as_str().into()));
        form
    }
}

/// `POST /v2/txns/{txn_uuid}/authenticate`.
pub fn submit_otp(challenge_id: &str, otp: &str) -> Form {
    vec![
        ("challenge_id", challenge_id.to_owned()),
        ("answer.otp", otp.to_owned()),
    ]
}

/// `POST /v2/txns/{txn_uuid}/capture`.
pub fn capture(amount: Money) -> Form {
    vec![("amount", amount.to_decimal_string())]
}

/// `POST /orders/{order_id}/refunds`: `unique_request_id` makes a repeated refund
/// answer the first one instead of refunding twice.
pub fn refund(unique_request_id: &str, amount: Money) -> Form {
    vec![
        ("unique_request_id", unique_request_id.to_owned()),
        ("amount", amount.to_decimal_string()),
    ]
}
