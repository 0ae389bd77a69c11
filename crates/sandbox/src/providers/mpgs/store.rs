//! The gateway's tables: orders (each holding its transactions, keyed by merchant and the
//! merchant's order id) and the callback URLs handed out in `authentication.redirect.html`.

use std::sync::{Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::npci::{Decline, Flow};
use crate::store::BoundedMap;

/// `sourceOfFunds.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    Card,
    SchemeToken,
}

impl SourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Card => "CARD",
            SourceType::SchemeToken => "SCHEME_TOKEN",
        }
    }
}

/// The card (or scheme token: its number is the token PAN) a transaction used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub number: String,
    pub source: SourceType,
    pub expiry: Option<(String, String)>,
}

/// `transaction.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Authentication,
    Authorization,
    Payment,
    Capture,
    Refund,
    /// A void, and the kind of transaction it voided.
    Void(VoidOf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidOf {
    Authorization,
    Payment,
    Capture,
    Refund,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Authentication => "AUTHENTICATION",
            Kind::Authorization => "AUTHORIZATION",
            Kind::Payment => "PAYMENT",
            Kind::Capture => "CAPTURE",
            Kind::Refund => "REFUND",
            Kind::Void(VoidOf::Authorization) => "VOID_AUTHORIZATION",
            Kind::Void(VoidOf::Payment) => "VOID_PAYMENT",
            Kind::Void(VoidOf::Capture) => "VOID_CAPTURE",
            Kind::Void(VoidOf::Refund) => "VOID_REFUND",
        }
    }
}

/// Where an authentication transaction stands on the gateway's side (once started, the
/// issuer session holds the OTP outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStage {
    /// INITIATE_AUTHENTICATION said the card is eligible.
    Available,
    /// INITIATE_AUTHENTICATION said the BIN is not eligible (NPCI 410).
    NotSupported,
    /// AUTHENTICATE_PAYER could not reach the issuer (NPCI 412).
    Unavailable,
    /// AUTHENTICATE_PAYER opened a challenge at the issuer.
    Started,
}

/// The authentication part of an AUTHENTICATION transaction.
#[derive(Debug, Clone)]
pub struct AuthRecord {
    pub stage: AuthStage,
    pub purpose: String,
    pub channel: String,
    pub flow: Option<Flow>,
    /// The RuPay authentication transaction id (`authentication.3ds.transactionId`): the
    /// issuer session's reference, hence the `reference` of `/_sandbox/otp/mpgs/{reference}`.
    pub reference: Option<String>,
    pub redirect_html: Option<String>,
    pub redirect_response_url: Option<String>,
    /// The `session` value of the redirect form; the ACS return must carry it back.
    pub session: Option<String>,
    /// A wrong OTP, an expired OTP or a resend happened (the recommendation turns DO_NOT_PROCEED).
    pub retried: bool,
    pub time: Option<OffsetDateTime>,
    pub device: Option<serde_json::Value>,
}

/// The acquirer's answer to an AUTHORIZE or PAY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved {
        authorization_code: String,
        receipt: String,
        stan: String,
        transaction_identifier: String,
    },
    Declined(Decline),
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub id: String,
    pub kind: Kind,
    pub amount: i64,
    pub currency: String,
    pub card: Option<Card>,
    pub created: OffsetDateTime,
    pub auth: Option<AuthRecord>,
    /// AUTHORIZE/PAY: the `authentication.transactionId` presented.
    pub authentication_id: Option<String>,
    /// VOID: `transaction.targetTransactionId`.
    pub target: Option<String>,
    /// AUTHORIZE/PAY only; follow-ons are approved by construction.
    pub outcome: Option<Outcome>,
    pub voided: bool,
    pub device: Option<serde_json::Value>,
    /// The API version of the request that created it (echoed as `version`).
    pub version: u32,
}

impl Transaction {
    pub fn approved(&self) -> bool {
        match &self.outcome {
            Some(Outcome::Declined(_)) => false,
            Some(Outcome::Approved { .. }) => true,
            None => self.kind != Kind::Authentication,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub currency: String,
    pub amount: Option<i64>,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
    pub transactions: Vec<Transaction>,
}

impl Order {
    pub fn transaction(&self, id: &str) -> Option<&Transaction> {
        self.transactions.iter().find(|t| t.id == id)
    }

    pub fn transaction_mut(&mut self, id: &str) -> Option<&mut Transaction> {
        self.transactions.iter_mut().find(|t| t.id == id)
    }
}

/// What a callback URL (`/api/callbackInterface/gateway/{hash}`) belongs to.
#[derive(Debug, Clone)]
pub struct Callback {
    pub merchant: String,
    pub order: String,
    pub transaction: String,
}

/// (merchant id, order id).
pub type OrderKey = (String, String);

/// All MPGS state, each table bounded.
#[derive(Debug)]
pub struct Store {
    pub orders: Mutex<BoundedMap<OrderKey, Order>>,
    pub callbacks: Mutex<BoundedMap<String, Callback>>,
}

/// Locks a table, recovering from a poisoned lock (each entry stays consistent).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    pub fn new(capacity: usize) -> Self {
        Self {
            orders: Mutex::new(BoundedMap::new(capacity)),
            callbacks: Mutex::new(BoundedMap::new(capacity)),
        }
    }

    pub fn callback(&self, hash: &str) -> Option<Callback> {
        lock(&self.callbacks).get(&hash.to_owned()).cloned()
    }
}
