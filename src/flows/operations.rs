//! The operation log of a payment: every authorization, capture, void and refund with its
//! own outcome, oldest first. An operation is appended in the same compare-and-set that
//! claims the payment for it, and settled in the write that stores the provider's answer.

use payorch_connector::ConnectorError;
use payorch_connector::model::PaymentOutcome;
use payorch_core::money::Money;
use payorch_core::payment::{Operation, OperationKind, OperationStatus, PaymentRecord};
use payorch_core::status::PaymentStatus;
use payorch_store::ttl::now_ms;

/// A new PENDING operation.
pub fn begin(kind: OperationKind, amount: Money, reason: &str) -> Operation {
    let now = now_ms();
    Operation {
        id: format!("op_{}", uuid::Uuid::new_v4().simple()),
        kind,
        status: OperationStatus::Pending,
        amount,
        failure_reason: None,
        provider_status: None,
        provider_reference: None,
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
        created_at_ms: now,
        updated_at_ms: now,
    }
}

/// Settles the latest operation with the provider's answer.
pub fn answered(payment: &mut PaymentRecord, outcome: &PaymentOutcome) {
    let Some(last) = payment.operations.last_mut() else {
        return;
    };
    last.status = match outcome.status {
        PaymentStatus::Unknown => OperationStatus::Unknown,
        PaymentStatus::Pending => OperationStatus::Pending,
        PaymentStatus::Declined | PaymentStatus::Failed => OperationStatus::Failed,
        _ if outcome.failure_reason.is_some() => OperationStatus::Failed,
        _ => OperationStatus::Succeeded,
    };
    last.failure_reason = outcome.failure_reason;
    last.provider_status = outcome.provider_status.clone();
    last.provider_reference = outcome
        .provider_reference
        .clone()
        .or(last.provider_reference.take());
    last.updated_at_ms = now_ms();
}

/// Settles the latest operation after a call that got no normal answer.
pub fn failed(payment: &mut PaymentRecord, err: &ConnectorError) {
    let Some(last) = payment.operations.last_mut() else {
        return;
    };
    last.status = if err.outcome_unknown() {
        OperationStatus::Unknown
    } else {
        OperationStatus::Failed
    };
    if let ConnectorError::Rejected { status, .. } = err {
        last.provider_status = Some(status.clone());
    }
    last.updated_at_ms = now_ms();
}

/// After a refresh: an operation whose answer was lost takes the outcome the payment's new
/// status shows.
pub fn resolved(payment: &mut PaymentRecord) {
    let status = payment.status;
    let Some(last) = payment.operations.last_mut().filter(|op| {
        matches!(
            op.status,
            OperationStatus::Unknown | OperationStatus::Pending
        )
    }) else {
        return;
    };
    use PaymentStatus as P;
    let done = match last.kind {
        OperationKind::Authorization => match status {
            P::Unknown | P::Pending => None,
            P::Declined | P::Failed => Some(false),
            _ => Some(true),
        },
        OperationKind::Capture => match status {
            P::Unknown | P::Pending => None,
            P::Captured | P::PartiallyCaptured | P::Refunded | P::PartiallyRefunded => Some(true),
            _ => Some(false),
        },
        OperationKind::Void => match status {
            P::Unknown | P::Pending => None,
            P::Voided => Some(true),
            _ => Some(false),
        },
        OperationKind::Refund => match status {
            P::Unknown | P::Pending => None,
            P::Refunded | P::PartiallyRefunded => Some(true),
            _ => Some(false),
        },
    };
    if let Some(done) = done {
        last.status = if done {
            OperationStatus::Succeeded
        } else {
            OperationStatus::Failed
        };
        last.updated_at_ms = now_ms();
    }
}

/// The latest operation never reached the provider's books (not found there for longer
/// than the resolver's horizon).
pub fn not_processed(payment: &mut PaymentRecord) {
    let Some(last) = payment.operations.last_mut() else {
        return;
    };
    last.status = OperationStatus::Failed;
    last.provider_status = Some(payorch_core::session::ProviderStatus {
        code: "NOT_PROCESSED".into(),
        message: "the provider has no record of this operation".into(),
        raw_status: String::new(),
    });
    last.updated_at_ms = now_ms();
}
