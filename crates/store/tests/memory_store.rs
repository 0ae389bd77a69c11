//! The conformance suite against the in-memory store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;

use std::sync::Arc;

use payorch_store::{CardCipher, Lifetimes, MemoryStore, SessionStore};

async fn memory(lifetimes: Lifetimes) -> (Arc<dyn SessionStore>, ()) {
    (
        Arc::new(MemoryStore::new(CardCipher::ephemeral(), lifetimes)),
        (),
    )
}

conformance_suite!(memory);
