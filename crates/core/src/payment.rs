//! A payment as payorch tracks it: the authorization and what happened to it since.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::session::{ConnectorState, ProviderStatus};
use crate::status::{FailureReason, PaymentStatus};

/// What one operation on a payment was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationKind {
    Authorization,
    Capture,
    Void,
    Refund,
}

/// Where one operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    /// Claimed and sent (or being sent); no answer yet.
    Pending,
    Succeeded,
    Failed,
    /// The provider's answer was lost; a refresh resolves it.
    Unknown,
}

/// One operation on a payment (an authorization, a capture, a void or a refund).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub kind: OperationKind,
    pub status: OperationStatus,
    /// Zero for a void.
    pub amount: Money,
    pub failure_reason: Option<FailureReason>,
    pub provider_status: Option<ProviderStatus>,
    pub provider_reference: Option<String>,
    /// The caller's reason (voids and refunds).
    pub reason: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// One payment (an authorization, with its captures, voids and refunds folded in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub id: String,
    pub merchant_id: String,
    pub authentication_id: Option<String>,
    /// The mandate a merchant-initiated debit was made under.
    #[serde(default)]
    pub mandate_id: Option<String>,
    pub connector: String,
    pub status: PaymentStatus,
    /// The authentication's routing decision: a payment stays on the account that
    /// authenticated it. `None` on records from before accounts.
    #[serde(default)]
    pub routing: Option<crate::routing::RoutingDecision>,
    pub amount: Money,
    pub captured: Money,
    pub refunded: Money,
    pub approval_code: Option<String>,
    pub network_transaction_id: Option<String>,
    pub provider_status: Option<ProviderStatus>,
    pub failure_reason: Option<FailureReason>,
    pub provider_reference: Option<String>,
    pub order_reference: String,
    pub card_bin: String,
    pub card_last4: String,
    pub connector_state: Option<ConnectorState>,
    /// The provider call currently claimed on this payment (capture, void, refund), so two
    /// replicas never send the same operation twice. Cleared when the answer is stored.
    #[serde(default)]
    pub in_flight: Option<String>,
    /// The latest claim (who called the provider, until when): meaningful while
    /// `in_flight` is set.
    #[serde(default)]
    pub claim: Option<crate::claim::Claim>,
    /// Every operation on the payment, oldest first; the last is the latest call's.
    #[serde(default)]
    pub operations: Vec<Operation>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Optimistic-concurrency version, owned by the store.
    pub version: u64,
}

impl PaymentRecord {
    /// The merchant connector account every later step goes to.
    pub fn account(&self) -> &str {
        crate::routing::account_of(self.routing.as_ref(), &self.connector)
    }

    /// What can still be captured.
    pub fn capturable(&self) -> Option<Money> {
        self.amount.checked_sub(self.captured).ok()
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> Option<Money> {
        self.captured.checked_sub(self.refunded).ok()
    }

    /// Whether a call on it is open (`in_flight`) or its outcome unknown. A PENDING payment
    /// with nothing in flight is decided: the provider never processed it (the proto's
    /// "Authorize the same authentication again to retry").
    pub fn undecided(&self) -> bool {
        self.in_flight.is_some() || self.status == PaymentStatus::Unknown
    }

    /// Drops the claim once no call on it is open, as for sessions. The stores apply it on
    /// every write.
    pub fn drop_spent_claim(&mut self) {
        if !self.undecided() {
            self.claim = None;
        }
    }
}
