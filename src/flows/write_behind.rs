//! When the store fails after the provider acted, the provider's answer is not lost: this
//! replica keeps it and writes it (and the idempotent response of the call that produced
//! it) as soon as the store is back. The caller is told the outcome is decided but not yet
//! stored, and to retry with the same idempotency key, which then replays the answer.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use payorch_core::payment::PaymentRecord;
use payorch_core::session::AuthenticationSession;
use payorch_store::{Fingerprint, IdempotencyScope, SessionStore, StoreError};

use crate::flows::error::{ErrorKind, FlowError};

/// ErrorInfo reason of a call whose outcome is decided but not yet stored.
pub const OUTCOME_NOT_STORED: &str = "OUTCOME_NOT_STORED";

/// How long a replica keeps trying to write an answer the store refused.
const KEEP_TRYING: Duration = Duration::from_secs(15 * 60);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// The idempotency record of the call being run (set by the API layer around each
/// idempotent call).
#[derive(Clone)]
pub struct Ticket {
    pub scope: IdempotencyScope,
    pub fingerprint: Fingerprint,
}

tokio::task_local! {
    pub static TICKET: Ticket;
}

/// How a record is answered to a caller, encoded as the API layer encodes its responses.
/// The flows store such answers for idempotent replay (a kept write landing late, the
/// resolver's answer to an orphaned key) without knowing the wire format.
pub trait Answers: Send + Sync + 'static {
    fn authentication(&self, session: &AuthenticationSession) -> Vec<u8>;
    fn payment(&self, payment: &PaymentRecord) -> Vec<u8>;
}

/// What the caller gets meanwhile.
pub fn not_stored_yet() -> FlowError {
    FlowError::new(
        ErrorKind::Unavailable,
        OUTCOME_NOT_STORED,
        "the outcome is decided but payorch's store is unreachable: it is kept and written as \
         soon as the store returns; retry with the same idempotency key to get it",
    )
}

/// A write the store refused after the provider acted: `write` (given the store) is retried
/// in the background and `respond`'s answer recorded for the call's key; the caller gets
/// [`not_stored_yet`].
pub fn keep<T, W, Fut>(
    store: &Arc<dyn SessionStore>,
    answers: &Arc<dyn Answers>,
    write: W,
    respond: fn(&dyn Answers, &T) -> Vec<u8>,
) -> FlowError
where
    T: Send + 'static,
    W: Fn(Arc<dyn SessionStore>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, StoreError>> + Send,
{
    let writer = store.clone();
    let answers = answers.clone();
    spawn(
        store.clone(),
        move || write(writer.clone()),
        move |written| respond(answers.as_ref(), written),
    );
    not_stored_yet()
}

/// Keeps retrying `write` in the background until it succeeds, then stores `respond`'s
/// answer as the idempotent response of the call in progress (when there is one).
fn spawn<T, W, Fut, R>(store: Arc<dyn SessionStore>, write: W, respond: R)
where
    T: Send + 'static,
    W: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, StoreError>> + Send,
    R: FnOnce(&T) -> Vec<u8> + Send + 'static,
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
        let response = respond(&written);
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
