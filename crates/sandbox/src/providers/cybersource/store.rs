//! The Cybersource simulator's tables: enrollments (by authenticationTransactionId),
//! transactions (payments, captures, reversals, refunds, voids) and billing agreements.

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
        match self.view.get("clientReferenceInformation")?.get("code")? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
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
    pub transactions: Mutex<BoundedMap<String, Transaction>>,
    pub agreements: Mutex<BoundedMap<String, Agreement>>,
    /// installmentInformation.identifier → agreement id.
    pub identifiers: Mutex<BoundedMap<String, String>>,
}

/// Locks a table, recovering from a poisoned lock (each entry stays consistent).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    pub fn new(capacity: usize) -> Self {
        Self {
            enrollments: Mutex::new(BoundedMap::new(capacity)),
            transactions: Mutex::new(BoundedMap::new(capacity)),
            agreements: Mutex::new(BoundedMap::new(capacity)),
            identifiers: Mutex::new(BoundedMap::new(capacity)),
        }
    }

    pub fn enrollment(&self, id: &str) -> Option<Enrollment> {
        lock(&self.enrollments).get(&id.to_owned()).cloned()
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
