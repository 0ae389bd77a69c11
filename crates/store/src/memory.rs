//! In-process store with the same semantics as Redis: for the embedded default and tests.
//! It holds the same encoded form (card data sealed), so nothing differs but durability.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use payorch_core::mandate_record::MandateRecord;
use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;

use crate::codec::{self, EncodedSession};
use crate::idempotency::{Fingerprint, IdempotencyOutcome, IdempotencyScope};
use crate::ttl::{Lifetimes, now_ms};
use crate::unsettled::{self, Unsettled};
use crate::{CardCipher, SessionStore, StoreError, check_transition};

/// Expired records are swept after this many writes.
const SWEEP_EVERY: u64 = 1024;

struct Expiring<T> {
    value: T,
    expires_at: Instant,
}

impl<T> Expiring<T> {
    fn new(value: T, ttl: Duration) -> Self {
        Self {
            value,
            expires_at: Instant::now() + ttl,
        }
    }
    fn live(&self, now: Instant) -> bool {
        self.expires_at > now
    }
}

enum IdemState {
    Pending,
    Done(Vec<u8>),
}

struct IdemRecord {
    fingerprint: Fingerprint,
    state: IdemState,
}

#[derive(Default)]
struct Tables {
    sessions: HashMap<String, Expiring<EncodedSession>>,
    payments: HashMap<String, Expiring<(u64, String)>>,
    /// Mandates are durable: kept for the process's life (the embedded store is not for
    /// production; Redis keeps them with persistence).
    mandates: HashMap<String, (u64, String)>,
    idempotency: HashMap<IdempotencyScope, Expiring<IdemRecord>>,
    /// The resolver's list: member -> due (Unix ms).
    unsettled: HashMap<Unsettled, i64>,
}

impl Tables {
    fn track(&mut self, record: Unsettled, due: Option<i64>) {
        match due {
            Some(due) => {
                self.unsettled.insert(record, due);
            }
            None => {
                self.unsettled.remove(&record);
            }
        }
    }
}

pub struct MemoryStore {
    cipher: CardCipher,
    lifetimes: Lifetimes,
    tables: Mutex<Tables>,
    writes: AtomicU64,
}

impl MemoryStore {
    pub fn new(cipher: CardCipher, lifetimes: Lifetimes) -> Self {
        Self {
            cipher,
            lifetimes,
            tables: Mutex::new(Tables::default()),
            writes: AtomicU64::new(0),
        }
    }

    fn with_tables<R>(&self, f: impl FnOnce(&mut Tables, Instant) -> R) -> Result<R, StoreError> {
        let mut tables = self
            .tables
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store poisoned".into()))?;
        let now = Instant::now();
        if self.writes.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            tables.sessions.retain(|_, e| e.live(now));
            tables.payments.retain(|_, e| e.live(now));
            tables.idempotency.retain(|_, e| e.live(now));
        }
        Ok(f(&mut tables, now))
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(
        &self,
        mut session: AuthenticationSession,
    ) -> Result<AuthenticationSession, StoreError> {
        session.drop_spent_claim();
        session.version = 1;
        let encoded = codec::encode(&self.cipher, &session)?;
        let ttl = self.lifetimes.session_ttl(&session, now_ms());
        let due = unsettled::session_due(&session, &self.lifetimes, now_ms());
        self.with_tables(|t, now| match t.sessions.get(&session.id) {
            Some(existing) if existing.live(now) => Err(StoreError::AlreadyExists),
            _ => {
                t.sessions
                    .insert(session.id.clone(), Expiring::new(encoded, ttl));
                t.track(Unsettled::Authentication(session.id.clone()), due);
                Ok(())
            }
        })??;
        if !codec::keeps_card(&session) {
            session.card = None;
        }
        Ok(session)
    }

    async fn get(&self, id: &str) -> Result<Option<AuthenticationSession>, StoreError> {
        let found = self.with_tables(|t, now| {
            t.sessions
                .get(id)
                .filter(|e| e.live(now))
                .map(|e| e.value.clone())
        })?;
        found
            .map(|e| {
                codec::decode(
                    &self.cipher,
                    e.version,
                    &e.document,
                    e.sealed_card.as_deref(),
                )
            })
            .transpose()
    }

    async fn transition(
        &self,
        from: &AuthenticationSession,
        mut next: AuthenticationSession,
    ) -> Result<AuthenticationSession, StoreError> {
        next.drop_spent_claim();
        check_transition(from, &next)?;
        next.version = from.version + 1;
        let encoded = codec::encode(&self.cipher, &next)?;
        let ttl = self.lifetimes.session_ttl(&next, now_ms());
        let due = unsettled::session_due(&next, &self.lifetimes, now_ms());
        self.with_tables(|t, now| {
            let entry = t
                .sessions
                .get_mut(&from.id)
                .filter(|e| e.live(now))
                .ok_or(StoreError::NotFound)?;
            if entry.value.version != from.version {
                return Err(StoreError::Conflict {
                    current_version: entry.value.version,
                });
            }
            *entry = Expiring::new(encoded, ttl);
            t.track(Unsettled::Authentication(from.id.clone()), due);
            Ok(())
        })??;
        if !codec::keeps_card(&next) {
            next.card = None;
        }
        Ok(next)
    }

    async fn release_card(&self, id: &str) -> Result<(), StoreError> {
        self.with_tables(|t, _| {
            if let Some(entry) = t.sessions.get_mut(id) {
                entry.value.sealed_card = None;
            }
        })
    }

    async fn create_payment(
        &self,
        mut payment: PaymentRecord,
    ) -> Result<PaymentRecord, StoreError> {
        payment.drop_spent_claim();
        payment.version = 1;
        let document = codec::encode_payment(&payment)?;
        let ttl = self.lifetimes.payment;
        let due = unsettled::payment_due(&payment, &self.lifetimes, now_ms());
        self.with_tables(|t, now| match t.payments.get(&payment.id) {
            Some(existing) if existing.live(now) => Err(StoreError::AlreadyExists),
            _ => {
                t.payments
                    .insert(payment.id.clone(), Expiring::new((1, document), ttl));
                t.track(Unsettled::Payment(payment.id.clone()), due);
                Ok(())
            }
        })??;
        Ok(payment)
    }

    async fn get_payment(&self, id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let found = self.with_tables(|t, now| {
            t.payments
                .get(id)
                .filter(|e| e.live(now))
                .map(|e| e.value.clone())
        })?;
        found
            .map(|(version, document)| codec::decode_payment(version, &document))
            .transpose()
    }

    async fn update_payment(
        &self,
        from: &PaymentRecord,
        mut next: PaymentRecord,
    ) -> Result<PaymentRecord, StoreError> {
        next.drop_spent_claim();
        if from.id != next.id {
            return Err(StoreError::Corrupt("update changes the payment id".into()));
        }
        next.version = from.version + 1;
        let document = codec::encode_payment(&next)?;
        let ttl = self.lifetimes.payment;
        let due = unsettled::payment_due(&next, &self.lifetimes, now_ms());
        self.with_tables(|t, now| {
            let entry = t
                .payments
                .get_mut(&from.id)
                .filter(|e| e.live(now))
                .ok_or(StoreError::NotFound)?;
            if entry.value.0 != from.version {
                return Err(StoreError::Conflict {
                    current_version: entry.value.0,
                });
            }
            *entry = Expiring::new((next.version, document), ttl);
            t.track(Unsettled::Payment(from.id.clone()), due);
            Ok(())
        })??;
        Ok(next)
    }

    async fn create_mandate(
        &self,
        mut mandate: MandateRecord,
    ) -> Result<MandateRecord, StoreError> {
        mandate.version = 1;
        let document = codec::encode_mandate(&mandate)?;
        self.with_tables(|t, _| {
            if t.mandates.contains_key(&mandate.id) {
                return Err(StoreError::AlreadyExists);
            }
            t.mandates.insert(mandate.id.clone(), (1, document));
            Ok(())
        })??;
        Ok(mandate)
    }

    async fn get_mandate(&self, id: &str) -> Result<Option<MandateRecord>, StoreError> {
        let found = self.with_tables(|t, _| t.mandates.get(id).cloned())?;
        found
            .map(|(version, document)| codec::decode_mandate(version, &document))
            .transpose()
    }

    async fn update_mandate(
        &self,
        from: &MandateRecord,
        mut next: MandateRecord,
    ) -> Result<MandateRecord, StoreError> {
        if from.id != next.id {
            return Err(StoreError::Corrupt("update changes the mandate id".into()));
        }
        next.version = from.version + 1;
        let document = codec::encode_mandate(&next)?;
        self.with_tables(|t, _| {
            let entry = t.mandates.get_mut(&from.id).ok_or(StoreError::NotFound)?;
            if entry.0 != from.version {
                return Err(StoreError::Conflict {
                    current_version: entry.0,
                });
            }
            *entry = (next.version, document);
            Ok(())
        })??;
        Ok(next)
    }

    async fn begin_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
    ) -> Result<IdempotencyOutcome, StoreError> {
        let fingerprint = &self.cipher.keyed_fingerprint(fingerprint);
        let lease = self.lifetimes.idempotency_lease;
        self.with_tables(
            |t, now| match t.idempotency.get(scope).filter(|e| e.live(now)) {
                None => {
                    let record = IdemRecord {
                        fingerprint: *fingerprint,
                        state: IdemState::Pending,
                    };
                    t.idempotency
                        .insert(scope.clone(), Expiring::new(record, lease));
                    IdempotencyOutcome::Reserved
                }
                Some(e) if e.value.fingerprint != *fingerprint => IdempotencyOutcome::Mismatch,
                Some(e) => match &e.value.state {
                    IdemState::Pending => IdempotencyOutcome::InProgress,
                    IdemState::Done(response) => IdempotencyOutcome::Completed(response.clone()),
                },
            },
        )
    }

    async fn complete_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
        response: &[u8],
    ) -> Result<(), StoreError> {
        let fingerprint = &self.cipher.keyed_fingerprint(fingerprint);
        let ttl = self.lifetimes.idempotency;
        self.with_tables(|t, _| {
            let record = IdemRecord {
                fingerprint: *fingerprint,
                state: IdemState::Done(response.to_vec()),
            };
            match t.idempotency.get(scope) {
                Some(e) if e.value.fingerprint != *fingerprint => {}
                _ => {
                    t.idempotency
                        .insert(scope.clone(), Expiring::new(record, ttl));
                }
            }
        })
    }

    async fn answer_orphaned(
        &self,
        scope: &IdempotencyScope,
        response: &[u8],
    ) -> Result<bool, StoreError> {
        let ttl = self.lifetimes.idempotency;
        self.with_tables(|t, now| {
            let Some(entry) = t.idempotency.get(scope).filter(|e| e.live(now)) else {
                return false;
            };
            if !matches!(entry.value.state, IdemState::Pending) {
                return false;
            }
            let record = IdemRecord {
                fingerprint: entry.value.fingerprint,
                state: IdemState::Done(response.to_vec()),
            };
            t.idempotency
                .insert(scope.clone(), Expiring::new(record, ttl));
            true
        })
    }

    async fn abandon_idempotent(
        &self,
        scope: &IdempotencyScope,
        fingerprint: &Fingerprint,
    ) -> Result<(), StoreError> {
        let fingerprint = &self.cipher.keyed_fingerprint(fingerprint);
        self.with_tables(|t, _| {
            let ours_pending = t.idempotency.get(scope).is_some_and(|e| {
                e.value.fingerprint == *fingerprint && matches!(e.value.state, IdemState::Pending)
            });
            if ours_pending {
                t.idempotency.remove(scope);
            }
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with_tables(|_, _| ())
    }

    async fn claim_due(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Unsettled>, StoreError> {
        self.with_tables(|t, _| {
            let mut due: Vec<(i64, Unsettled)> = t
                .unsettled
                .iter()
                .filter(|(_, at)| **at <= now_ms)
                .map(|(record, at)| (*at, record.clone()))
                .collect();
            due.sort();
            due.truncate(limit);
            for (_, record) in &due {
                t.unsettled
                    .insert(record.clone(), now_ms.saturating_add(lease_ms));
            }
            due.into_iter().map(|(_, record)| record).collect()
        })
    }

    async fn schedule(&self, record: &Unsettled, due_ms: i64) -> Result<(), StoreError> {
        self.with_tables(|t, _| t.track(record.clone(), Some(due_ms)))
    }

    async fn settled(&self, record: &Unsettled) -> Result<(), StoreError> {
        self.with_tables(|t, _| t.track(record.clone(), None))
    }
}
