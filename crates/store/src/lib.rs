//! Where payorch keeps in-flight authentication sessions and idempotency records.
//!
//! [`SessionStore`] is the one interface; [`RedisStore`] is the production implementation and
//! [`MemoryStore`] the embedded default. Both keep the same stored form ([`codec`]), encrypt
//! card data the same way ([`CardCipher`]) and pass the same conformance suite.

pub mod cipher;
pub mod codec;
pub mod error;
pub mod idempotency;
pub mod memory;
pub mod redis;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ttl;
pub mod unsettled;

use async_trait::async_trait;
use payorch_core::mandate_record::MandateRecord;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;

pub use cipher::CardCipher;
pub use error::StoreError;
pub use idempotency::{Fingerprint, IdempotencyOutcome, IdempotencyScope};
pub use memory::MemoryStore;
pub use redis::{RedisStore, RedisTls, RedisTopology};
pub use ttl::Lifetimes;
pub use unsettled::Unsettled;

/// Persistence of authentication sessions and idempotency records.
///
/// Every method either fully happens or leaves the store unchanged.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Writes a new session at version 1 and returns it as stored.
    async fn create(
        &self,
        session: AuthenticationSession,
    ) -> Result<AuthenticationSession, StoreError>;

    /// Reads a session, card data decrypted.
    async fn get(&self, id: &str) -> Result<Option<AuthenticationSession>, StoreError>;

    /// Replaces the session read at `expected_version` with `next`, if nobody moved it in
    /// between and the state machine allows `from -> next.status`. Bumps the version,
    /// refreshes the TTL, and drops card data when `next` is terminal (a successful
    /// authentication keeps it for the authorization, see [`SessionStore::release_card`]). Exactly one of several
    /// concurrent callers naming the same version wins; the others get
    /// [`StoreError::Conflict`].
    async fn transition(
        &self,
        from: &AuthenticationSession,
        next: AuthenticationSession,
    ) -> Result<AuthenticationSession, StoreError>;

    /// Writes a new payment at version 1.
    async fn create_payment(&self, payment: PaymentRecord) -> Result<PaymentRecord, StoreError>;

    async fn get_payment(&self, id: &str) -> Result<Option<PaymentRecord>, StoreError>;

    /// Replaces the payment read at `from.version` with `next` (compare-and-set, like
    /// [`SessionStore::transition`]).
    async fn update_payment(
        &self,
        from: &PaymentRecord,
        next: PaymentRecord,
    ) -> Result<PaymentRecord, StoreError>;

    /// Writes a new mandate at version 1. Mandates are durable: no TTL while they can still
    /// be used (Redis needs persistence in production), the payments' retention once final.
    async fn create_mandate(&self, mandate: MandateRecord) -> Result<MandateRecord, StoreError>;

    async fn get_mandate(&self, id: &str) -> Result<Option<MandateRecord>, StoreError>;

    /// Replaces the mandate read at `from.version` with `next` (compare-and-set).
    async fn update_mandate(
        &self,
        from: &MandateRecord,
        next: MandateRecord,
    ) -> Result<MandateRecord, StoreError>;

    /// Deletes a session's card data (after the authorization used it). Idempotent.
    async fn release_card(&self, id: &str) -> Result<(), StoreError>;

    /// Reserves an idempotency key for a request, or tells what happened to it before.
    async fn begin_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
    ) -> Result<IdempotencyOutcome, StoreError>;

    /// Stores the response of a reserved request for replay.
    async fn complete_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
        response: &[u8],
    ) -> Result<(), StoreError>;

    /// Stores `response` as the answer of the request still holding `scope`'s reservation
    /// (pending): the request died with its replica and the resolver settled what it was
    /// doing. A completed record is left as it is. Returns whether it stored the answer.
    async fn answer_orphaned(
        &self,
        scope: &IdempotencyScope,
        response: &[u8],
    ) -> Result<bool, StoreError>;

    /// Releases a reservation whose request failed before changing anything, so the caller
    /// may retry with the same key.
    async fn abandon_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
    ) -> Result<(), StoreError>;

    /// Succeeds when the store can serve requests (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Claims up to `limit` records of the resolver's list that are due at `now_ms`,
    /// pushing each one's due time to `now_ms + lease_ms`, so another replica does not take
    /// it meanwhile. Every write keeps the list: a record short of a final state is on it
    /// (see [`unsettled`]), a final one is not.
    async fn claim_due(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Unsettled>, StoreError>;

    /// Sets when the resolver looks at a record next.
    async fn schedule(&self, record: &Unsettled, due_ms: i64) -> Result<(), StoreError>;

    /// Takes a record off the resolver's list.
    async fn settled(&self, record: &Unsettled) -> Result<(), StoreError>;
}

/// Checks a transition against the state machine and the caller's view; shared by every store.
pub(crate) fn check_transition(
    from: &AuthenticationSession,
    next: &AuthenticationSession,
) -> Result<(), StoreError> {
    if from.id != next.id {
        return Err(StoreError::Corrupt(
            "transition changes the session id".into(),
        ));
    }
    if !from.status.can_transition_to(next.status) {
        return Err(StoreError::IllegalTransition {
            from: from.status,
            to: next.status,
        });
    }
    Ok(())
}
