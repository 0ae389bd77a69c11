//! Idempotent execution of a mutating RPC: the first request with a key runs and its answer
//! is stored; the same request again gets the stored answer; a different request under the
//! same key is refused; a duplicate arriving while the first runs is told to retry.

use std::future::Future;

use payorch_store::{Fingerprint, IdempotencyOutcome, IdempotencyScope, SessionStore};
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Code, Status};

use crate::grpc::status::{from_store, with_reason};

/// The request's identity under its key: SHA-256 of the RPC name and the encoded request.
/// Deterministic because the generated maps are ordered (`build.rs`): a retry whose map was
/// built in another order is the same request.
pub fn fingerprint(rpc: &str, request: &impl Message) -> Fingerprint {
    let mut hasher = Sha256::new();
    hasher.update(rpc.as_bytes());
    hasher.update([0u8]);
    hasher.update(request.encode_to_vec());
    hasher.finalize().into()
}

pub async fn run<M, F>(
    store: &dyn SessionStore,
    merchant_id: &str,
    key: &str,
    fingerprint: Fingerprint,
    call: F,
) -> Result<M, Status>
where
    M: Message + Default,
    F: Future<Output = Result<M, Status>>,
{
    let scope = IdempotencyScope {
        merchant_id: merchant_id.to_owned(),
        key: key.to_owned(),
    };
    match store
        .begin_idempotent(&scope, &fingerprint)
        .await
        .map_err(|e| from_store(&e))?
    {
        IdempotencyOutcome::Completed(bytes) => {
            return M::decode(bytes.as_slice()).map_err(|_| {
                with_reason(
                    Code::Internal,
                    "IDEMPOTENCY_RECORD_UNREADABLE",
                    "stored answer unreadable",
                )
            });
        }
        IdempotencyOutcome::InProgress => {
            return Err(with_reason(
                Code::Aborted,
                "IDEMPOTENT_REQUEST_IN_PROGRESS",
                "a request with this idempotency key is still running; retry shortly",
            ));
        }
        IdempotencyOutcome::Mismatch => {
            return Err(with_reason(
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
                "this idempotency key was used with a different request",
            ));
        }
        IdempotencyOutcome::Reserved => {}
    }
    let ticket = crate::flows::write_behind::Ticket {
        scope: scope.clone(),
        fingerprint,
    };
    match crate::flows::write_behind::TICKET.scope(ticket, call).await {
        Ok(response) => {
            if let Err(err) = store
                .complete_idempotent(&scope, &fingerprint, &response.encode_to_vec())
                .await
            {
                // The work is done and its state stored; only the replay copy is missing.
                tracing::warn!(error = %err, "idempotency record not completed");
            }
            Ok(response)
        }
        // The answer is kept and will be stored with this reservation: keep it.
        Err(status) if is_not_stored_yet(&status) => Err(status),
        Err(status) => {
            // Errors are not replayed: the state machine, not the key, guards what changed.
            if let Err(err) = store.abandon_idempotent(&scope, &fingerprint).await {
                tracing::warn!(error = %err, "idempotency reservation not released");
            }
            Err(status)
        }
    }
}

/// Whether a status is the flows' "decided but not stored yet" (its reservation must be
/// kept for the kept answer, not released).
fn is_not_stored_yet(status: &Status) -> bool {
    use tonic_types::StatusExt;
    status.code() == Code::Unavailable
        && status
            .get_error_details()
            .error_info()
            .is_some_and(|info| info.reason == crate::flows::write_behind::OUTCOME_NOT_STORED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CompleteRedirectRequest;

    /// A caller's retry rebuilds its map (a browser's form fields arrive in any order): the
    /// fingerprint must not depend on the order the entries went in.
    #[test]
    fn a_map_built_in_another_order_is_the_same_request() {
        let fields: Vec<(String, String)> = (0..16)
            .map(|i| (format!("field{i}"), format!("value{i}")))
            .collect();
        let request = |fields: Vec<(String, String)>| CompleteRedirectRequest {
            authentication_id: "auth_1".into(),
            params: fields.into_iter().collect(),
            idempotency_key: "k".into(),
            merchant_id: "demo".into(),
        };
        let forward = fingerprint("CompleteRedirect", &request(fields.clone()));
        let backward = fingerprint(
            "CompleteRedirect",
            &request(fields.into_iter().rev().collect()),
        );
        assert_eq!(forward, backward);
    }
}
