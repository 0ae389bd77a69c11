//! When the store fails after the provider acted, the provider's answer is not lost: this
//! replica keeps it and writes it (and the idempotent response of the call that produced
//! it) as soon as the store is back. The caller is told the outcome is decided but not yet
//! stored, and to retry with the same idempotency key, which then replays the answer.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use payorch_store::{Fingerprint, IdempotencyScope, SessionStore, StoreError};
use prost::Message;
use tonic::{Code, Status};

use crate::grpc::status::with_reason;

/// ErrorInfo reason of a call whose outcome is decided but not yet stored.
pub const OUTCOME_NOT_STORED: &str = "OUTCOME_NOT_STORED";

/// How long a replica keeps trying to write an answer the store refused.
const KEEP_TRYING: Duration = Duration::from_secs(15 * 60);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// The idempotency record of the call being run (set by [`super::idempotency::run`]).
#[derive(Clone)]
pub struct Ticket {
    pub scope: IdempotencyScope,
    pub fingerprint: Fingerprint,
}

tokio::task_local! {
    pub static TICKET: Ticket;
}

/// What the caller gets meanwhile.
pub fn not_stored_yet() -> Status {
    with_reason(
        Code::Unavailable,
        OUTCOME_NOT_STORED,
        "the outcome is decided but payorch's store is unreachable: it is kept and written as \
         soon as the store returns; retry with the same idempotency key to get it",
    )
}

/// A write the store refused after the provider acted: `write` (given the store) is retried
/// in the background and `respond`'s answer recorded for the call's key; the caller gets
/// [`not_stored_yet`].
pub fn keep<T, W, Fut, M>(store: &Arc<dyn SessionStore>, write: W, respond: fn(&T) -> M) -> Status
where
    T: Send + 'static,
    W: Fn(Arc<dyn SessionStore>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, StoreError>> + Send,
    M: Message + 'static,
{
    let writer = store.clone();
    spawn(store.clone(), move || write(writer.clone()), respond);
    not_stored_yet()
}

/// Keeps retrying `write` in the background until it succeeds, then stores `respond`'s
/// answer as the idempotent response of the call in progress (when there is one).
fn spawn<T, W, Fut, R, M>(store: Arc<dyn SessionStore>, write: W, respond: R)
where
    T: Send + 'static,
    W: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, StoreError>> + Send,
    R: FnOnce(&T) -> M + Send + 'static,
    M: Message,
{
    let ticket = TICKET.try_with(Ticket::clone).ok();
    tokio::spawn(async move {
        let until = tokio::time::Instant::now() + KEEP_TRYING;
        let mut delay = FIRST_RETRY;
        let written = loop {
            match write().await {
                Ok(written) => break written,
                Err(StoreError::Unavailable(_)) if tokio::time::Instant::now() < until => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_RETRY);
                }
                Err(err) => {
                    // Moved by someone else (the resolver reads the provider too), or the
                    // store stayed away too long: the resolver settles the record.
                    tracing::warn!(error = %err, "kept answer not written; the resolver settles the record");
                    return;
                }
            }
        };
        tracing::info!("kept answer written after the store returned");
        let Some(ticket) = ticket else {
            return;
        };
        let response = respond(&written).encode_to_vec();
        let mut delay = FIRST_RETRY;
        while let Err(err) = store
            .complete_idempotent(&ticket.scope, &ticket.fingerprint, &response)
            .await
        {
            if tokio::time::Instant::now() >= until {
                tracing::warn!(error = %err, "idempotent response not recorded");
                return;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_RETRY);
        }
    });
}

/// Whether a status is [`not_stored_yet`] (its idempotency reservation must be kept for the
/// kept answer, not released).
pub fn is_not_stored_yet(status: &Status) -> bool {
    use tonic_types::StatusExt;
    status.code() == Code::Unavailable
        && status
            .get_error_details()
            .error_info()
            .is_some_and(|info| info.reason == OUTCOME_NOT_STORED)
}
