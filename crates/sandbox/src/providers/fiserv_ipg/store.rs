//! The Fiserv IPG simulator's tables: transactions by `ipgTransactionId`, orders, and the
//! `Client-Request-Id`s already seen (replays are refused).

use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use crate::store::BoundedMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PayerAuth,
    Sale,
    PreAuth,
    PostAuth,
    Void,
    Return,
}

impl Kind {
    /// `transactionType` as IPG prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PayerAuth => "PAYER_AUTH",
            Kind::Sale => "SALE",
            Kind::PreAuth => "PREAUTH",
            Kind::PostAuth => "POSTAUTH",
            Kind::Void => "VOID",
            Kind::Return => "RETURN",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub kind: Kind,
    pub order_id: String,
    pub card_number: String,
    /// The card's `expiryDate` as sent (`MM`, `YY`), when it was.
    pub expiry: Option<(String, String)>,
    pub amount: i64,
    pub currency: String,
    /// For sales/pre-auths: amounts captured and returned so far; voided flag.
    pub captured: i64,
    pub returned: i64,
    pub voided: bool,
    /// The primary transaction a secondary one acts on.
    pub parent: Option<String>,
    /// What GET answers.
    pub view: Value,
}

#[derive(Debug)]
pub struct Store {
    pub transactions: Mutex<BoundedMap<String, Transaction>>,
    pub orders: Mutex<BoundedMap<String, Vec<String>>>,
    pub seen_request_ids: Mutex<BoundedMap<String, ()>>,
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    pub fn new(capacity: usize) -> Self {
        Self {
            transactions: Mutex::new(BoundedMap::new(capacity)),
            orders: Mutex::new(BoundedMap::new(capacity)),
            seen_request_ids: Mutex::new(BoundedMap::new(capacity)),
        }
    }

    pub fn get(&self, id: &str) -> Option<Transaction> {
        lock(&self.transactions).get(&id.to_owned()).cloned()
    }

    pub fn insert(&self, id: &str, txn: Transaction) {
        let order = txn.order_id.clone();
        lock(&self.transactions).insert(id.to_owned(), txn);
        let mut orders = lock(&self.orders);
        match orders.get_mut(&order) {
            Some(list) => list.push(id.to_owned()),
            None => orders.insert(order, vec![id.to_owned()]),
        }
    }

    /// Records a Client-Request-Id; false when it was already used.
    pub fn first_use(&self, client_request_id: &str) -> bool {
        let mut seen = lock(&self.seen_request_ids);
        if seen.contains_key(&client_request_id.to_owned()) {
            return false;
        }
        seen.insert(client_request_id.to_owned(), ());
        true
    }
}

/// Every Fiserv IPG store's tables, by the API key that identifies the store.
pub type Merchants = crate::merchants::Merchants<Store>;
