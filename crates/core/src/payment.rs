//! A payment as payorch tracks it: the authorization and what happened to it since.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::session::{ConnectorState, ProviderStatus};
use crate::status::{FailureReason, PaymentStatus};

/// One payment (an authorization, with its captures, voids and refunds folded in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub id: String,
    pub merchant_id: String,
    pub authentication_id: Option<String>,
    pub connector: String,
    pub status: PaymentStatus,
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
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Optimistic-concurrency version, owned by the store.
    pub version: u64,
}

impl PaymentRecord {
    /// What can still be captured.
    pub fn capturable(&self) -> Option<Money> {
        self.amount.checked_sub(self.captured).ok()
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> Option<Money> {
        self.captured.checked_sub(self.refunded).ok()
    }
}
