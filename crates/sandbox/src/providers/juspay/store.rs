//! The Juspay simulator's tables: orders (by merchant `order_id`) and transactions (by
//! `txn_uuid`), each bounded. One lock covers both, so an order and its transactions
//! always change together.

use std::sync::{Mutex, MutexGuard};

use crate::npci::Flow;
use crate::store::BoundedMap;

/// A transaction (and order) status, as Juspay names and numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    New,
    PendingVbv,
    Charged,
    Authorized,
    AuthenticationFailed,
    AuthorizationFailed,
    JuspayDeclined,
    Authorizing,
    Voided,
}

impl TxnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TxnStatus::New => "NEW",
            TxnStatus::PendingVbv => "PENDING_VBV",
            TxnStatus::Charged => "CHARGED",
            TxnStatus::Authorized => "AUTHORIZED",
            TxnStatus::AuthenticationFailed => "AUTHENTICATION_FAILED",
            TxnStatus::AuthorizationFailed => "AUTHORIZATION_FAILED",
            TxnStatus::JuspayDeclined => "JUSPAY_DECLINED",
            TxnStatus::Authorizing => "AUTHORIZING",
            TxnStatus::Voided => "VOIDED",
        }
    }

    /// `status_id`. AUTHORIZED is 24 as seed 003's table prints it (newer Juspay pages
    /// print 25); VOIDED is 31 as the void API pages print it.
    pub fn id(self) -> u32 {
        match self {
            TxnStatus::New => 10,
            TxnStatus::Charged => 21,
            TxnStatus::JuspayDeclined => 22,
            TxnStatus::PendingVbv => 23,
            TxnStatus::Authorized => 24,
            TxnStatus::AuthenticationFailed => 26,
            TxnStatus::AuthorizationFailed => 27,
            TxnStatus::Authorizing => 28,
            TxnStatus::Voided => 31,
        }
    }
}

/// One refund of an order.
#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    pub unique_request_id: String,
    pub amount: i64,
    pub created: String,
    /// The first answer says PENDING (as Juspay does); later views say SUCCESS.
    pub reported: bool,
}

/// A merchant order.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub order_id: String,
    pub merchant_id: String,
    pub amount: i64,
    pub currency: String,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub description: Option<String>,
    pub return_url: Option<String>,
    /// `metadata.txns.auto_capture` (or `auto_capture`); false makes a success AUTHORIZED.
    pub auto_capture: bool,
    pub udf: Vec<(String, String)>,
    pub date_created: String,
    /// Payment attempts, oldest first; the last one is the order's current transaction.
    pub txns: Vec<String>,
    pub refunds: Vec<Refund>,
}

impl Order {
    pub fn amount_refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }
}

/// One payment attempt.
#[derive(Debug, Clone)]
pub struct Txn {
    pub txn_uuid: String,
    pub txn_id: String,
    pub order_id: String,
    pub status: TxnStatus,
    pub card_number: String,
    pub card_exp_month: String,
    pub card_exp_year: String,
    pub name_on_card: Option<String>,
    /// Seamless = direct OTP (`auth_type=OTP`); Redirect = 3DS page.
    pub flow: Flow,
    pub challenge_id: String,
    pub auto_capture: bool,
    pub amount: i64,
    pub captured: i64,
    pub bank_error_code: Option<String>,
    pub bank_error_message: Option<String>,
    pub approval_code: Option<String>,
    pub rrn: Option<String>,
    pub created: String,
}

impl Txn {
    pub fn fail(&mut self, status: TxnStatus, code: &str, message: &str) {
        self.status = status;
        self.bank_error_code = Some(code.to_owned());
        self.bank_error_message = Some(message.to_owned());
    }
}

#[derive(Debug)]
pub struct Tables {
    pub orders: BoundedMap<String, Order>,
    pub txns: BoundedMap<String, Txn>,
}

/// All Juspay state.
#[derive(Debug)]
pub struct Store {
    tables: Mutex<Tables>,
}

impl Store {
    pub fn new(capacity: usize) -> Self {
        Self {
            tables: Mutex::new(Tables {
                orders: BoundedMap::new(capacity),
                txns: BoundedMap::new(capacity),
            }),
        }
    }

    /// Locks the tables, recovering from a poisoned lock (each entry stays consistent).
    pub fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn txn(&self, txn_uuid: &str) -> Option<Txn> {
        self.lock().txns.get(&txn_uuid.to_owned()).cloned()
    }

    pub fn order(&self, order_id: &str) -> Option<Order> {
        self.lock().orders.get(&order_id.to_owned()).cloned()
    }
}

/// Every merchant's tables, by merchant id.
pub type Merchants = crate::merchants::Merchants<Store>;
