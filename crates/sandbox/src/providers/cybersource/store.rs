//! The Cybersource simulator's tables: enrollments (by authenticationTransactionId),
//! payer authentication calls (for Transaction Search), transactions (payments, captures,
//! reversals, refunds, voids) and billing agreements, one set per merchant: as at
//! Cybersource, what one merchant id made is not found under another's.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde_json::Value;

use crate::npci::Flow;
use crate::store::BoundedMap;

/// What an enrollment authenticates.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    Payment,
    /// Registration of this billing agreement.
    Register(String),
    /// Modification of this agreement with these `installmentInformation` values.
    Modify(String, Value),
    /// De-registration of this agreement.
    Cancel(String),
}

#[derive(Debug, Clone)]
pub struct Enrollment {
    pub card_number: String,
    pub context: String,
    pub flow: Flow,
    pub purpose: Purpose,
    /// The enrollment's amount (minor units) and currency, when it was readable.
    pub amount: Option<(i64, String)>,
}

/// Which payer authentication service a call ran, as Transaction Search names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayerAuthService {
    /// Check enrollment, or a resend (`ics_pa_enroll`).
    Enroll,
    /// Validation of an OTP or a PaRes (`ics_pa_validate`).
    Validate,
}

impl PayerAuthService {
    pub fn name(self) -> &'static str {
        match self {
            Self::Enroll => "ics_pa_enroll",
            Self::Validate => "ics_pa_validate",
        }
    }
}

/// One answered payer authentication call, kept for Transaction Search.
#[derive(Debug, Clone)]
pub struct PayerAuth {
    pub service: PayerAuthService,
    /// The answer as sent (`id`, `status`, `submitTimeUtc`, `clientReferenceInformation`,
    /// `consumerAuthenticationInformation`).
    pub answer: Value,
    pub card_number: String,
    /// The authentication's CAVV once validated (seamless answers do not show it).
    pub cavv: Option<String>,
    pub amount: Option<(i64, String)>,
}

impl PayerAuth {
    /// The `clientReferenceInformation.code` the call was made with.
    pub fn client_reference(&self) -> Option<String> {
        code_of(&self.answer)
    }
}

fn code_of(view: &Value) -> Option<String> {
    match view.get("clientReferenceInformation")?.get("code")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Authorization,
    Capture,
    Reversal,
    Refund,
    Void,
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub kind: Kind,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    /// The authorization this belongs to (itself for an authorization).
    pub root: String,
    /// The transaction this one acts on (capture → authorization, refund → capture ...).
    pub parent: Option<String>,
    pub card_number: String,
    /// An authorization made with `processingInformation.capture=true` (a sale).
    pub sale: bool,
    /// Totals kept on the authorization.
    pub captured: i64,
    pub refunded: i64,
    pub reversed: bool,
    pub voided: bool,
    /// What GET answers (status kept current).
    pub view: Value,
}

impl Transaction {
    /// The `clientReferenceInformation.code` the transaction was requested with.
    pub fn client_reference(&self) -> Option<String> {
        code_of(&self.view)
    }
}

#[derive(Debug, Clone)]
pub struct Agreement {
    pub id: String,
    pub status: &'static str,
    pub identifier: Option<String>,
    pub card_number: String,
    pub min_amount: i64,
    pub max_amount: i64,
    /// Pre-debit intimations not yet used: (amount if given, when).
    pub intimations: Vec<(Option<i64>, Instant)>,
}

/// All Cybersource state, each table bounded.
#[derive(Debug)]
pub struct Store {
    pub enrollments: Mutex<BoundedMap<String, Enrollment>>,
    /// Answered payer authentication calls, under a key of their own (an answer's `id`
    /// may repeat: Standing Instruction enrollments answer with the agreement's id).
    pub payer_auths: Mutex<BoundedMap<String, PayerAuth>>,
    pub transactions: Mutex<BoundedMap<String, Transaction>>,
    pub agreements: Mutex<BoundedMap<String, Agreement>>,
    /// installmentInformation.identifier → agreement id.
    pub identifiers: Mutex<BoundedMap<String, String>>,
}

/// Every merchant's tables.
pub type Merchants = crate::merchants::Merchants<Store>;

/// Locks a table, recovering from a poisoned lock (each entry stays consistent).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    pub fn new(capacity: usize) -> Self {
        Self {
            enrollments: Mutex::new(BoundedMap::new(capacity)),
            payer_auths: Mutex::new(BoundedMap::new(capacity)),
            transactions: Mutex::new(BoundedMap::new(capacity)),
            agreements: Mutex::new(BoundedMap::new(capacity)),
            identifiers: Mutex::new(BoundedMap::new(capacity)),
        }
    }

    pub fn enrollment(&self, id: &str) -> Option<Enrollment> {
        lock(&self.enrollments).get(&id.to_owned()).cloned()
    }

    /// Keeps an answered payer authentication call for Transaction Search. Calls made
    /// without a `clientReferenceInformation.code` cannot be searched and are not kept.
    pub fn record_payer_auth(&self, record: PayerAuth) {
        if record.client_reference().is_some() {
            lock(&self.payer_auths).insert(uuid::Uuid::new_v4().to_string(), record);
        }
    }

    /// Payer authentication calls made with this `clientReferenceInformation.code`.
    pub fn payer_auths_by_client_reference(&self, code: &str) -> Vec<PayerAuth> {
        lock(&self.payer_auths)
            .iter()
            .filter(|(_, r)| r.client_reference().as_deref() == Some(code))
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Transactions (of every kind) recorded with this `clientReferenceInformation.code`,
    /// with their ids, for Transaction Search. Scans the table (searches are rare).
    pub fn by_client_reference(&self, code: &str) -> Vec<(String, Transaction)> {
        lock(&self.transactions)
            .iter()
            .filter(
                |(_, t)| match &t.view["clientReferenceInformation"]["code"] {
                    Value::String(s) => s == code,
                    Value::Number(n) => n.to_string() == code,
                    _ => false,
                },
            )
            .map(|(id, t)| (id.clone(), t.clone()))
            .collect()
    }
}
