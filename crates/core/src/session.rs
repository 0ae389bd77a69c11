//! The authentication session: everything payorch must remember between the calls of one
//! payer authentication, so that any replica can continue it.
//!
//! The record is what the session store persists. Card data is held apart (`card`, never
//! serialized with the rest) so the store can encrypt it on its own and drop it once the
//! session reaches a terminal state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::card::Card;
use crate::money::Money;
use crate::status::{AuthenticationStatus, FailureReason, Flow, Recommendation};

/// Version of the serialized session layout; bumped on incompatible changes so a replica
/// never misreads a record written by another build.
pub const SESSION_SCHEMA_VERSION: u32 = 1;

/// A provider's own status, kept verbatim next to the unified one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderStatus {
    pub code: String,
    pub message: String,
    pub raw_status: String,
}

/// What the caller must do next to move the authentication on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NextAction {
    /// Send the payer's browser to the issuer's page.
    Redirect {
        url: String,
        method: String,
        form_fields: BTreeMap<String, String>,
        html: String,
    },
    /// Show the merchant's own OTP form.
    CollectOtp {
        expires_at_ms: Option<i64>,
        otp_length: u32,
    },
}

/// Provider-specific state an adapter needs later in the flow (transaction ids, contexts).
/// Opaque to everything but the adapter that wrote it; `version` lets an adapter read
/// what an older build of itself wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorState {
    pub version: u32,
    pub payload: String,
}

/// One payer authentication as payorch tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationSession {
    pub id: String,
    pub merchant_id: String,
    pub connector: String,
    pub status: AuthenticationStatus,
    /// How the account it runs on was chosen; `None` on records from before accounts.
    #[serde(default)]
    pub routing: Option<crate::routing::RoutingDecision>,
    pub flow: Option<Flow>,
    pub amount: Money,
    pub card_bin: String,
    pub card_last4: String,
    pub failure_reason: Option<FailureReason>,
    pub recommendation: Option<Recommendation>,
    pub provider_status: Option<ProviderStatus>,
    pub provider_reference: Option<String>,
    pub attempts_remaining: i32,
    pub resends_remaining: i32,
    /// When the authentication's window ends (Unix milliseconds): after it a session still
    /// waiting for the payer is EXPIRED. The current OTP's own validity is in
    /// `next_action` (a resend renews it; the window is not renewed).
    pub expires_at_ms: Option<i64>,
    pub next_action: Option<NextAction>,
    pub return_url: String,
    pub order_reference: String,
    pub connector_state: Option<ConnectorState>,
    /// The caller's capture decision at start (a sale). Only connectors that authorize
    /// during authentication act on it; the payment flow reads it to honour a later
    /// Authorize whatever connector was chosen.
    #[serde(default)]
    pub capture: bool,
    /// Digest of the redirect parameters that completed the session, so the same return
    /// posted again (a browser replay, CompleteRedirect after the callback) gets the
    /// stored result instead of an error.
    #[serde(default)]
    pub completed_by: Option<String>,
    /// The caller's reason for cancelling, kept for support.
    #[serde(default)]
    pub cancel_reason: Option<String>,
    /// The latest claim (who called the provider, until when): meaningful while PENDING or
    /// VERIFYING.
    #[serde(default)]
    pub claim: Option<crate::claim::Claim>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Optimistic-concurrency version, owned by the store: every transition must name the
    /// version it read, and exactly one writer wins for each version.
    pub version: u64,
    /// Card data needed later in the flow (some providers want the card again on OTP
    /// submission). Never serialized here: the store encrypts it separately.
    #[serde(skip)]
    pub card: Option<Card>,
}

impl AuthenticationSession {
    /// The merchant connector account every later step goes to.
    pub fn account(&self) -> &str {
        crate::routing::account_of(self.routing.as_ref(), &self.connector)
    }

    /// Whether no further transition can happen.
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// Whether its outcome is still open: a call on it (PENDING, VERIFYING) or a lost
    /// answer (UNKNOWN).
    pub fn undecided(&self) -> bool {
        matches!(
            self.status,
            AuthenticationStatus::Pending
                | AuthenticationStatus::Verifying
                | AuthenticationStatus::Unknown
        )
    }

    /// Drops the claim once the outcome is decided: a claim names whoever owes an answer,
    /// and a decided session owes none. The stores apply it on every write.
    pub fn drop_spent_claim(&mut self) {
        if !self.undecided() {
            self.claim = None;
        }
    }
}
