//! Redis key names. The `{...}` hash tag puts all keys of one record in one cluster slot.

use crate::idempotency::IdempotencyScope;

pub fn session(id: &str) -> String {
    format!("payorch:{{auth:{id}}}")
}

pub fn payment(id: &str) -> String {
    format!("payorch:{{pay:{id}}}")
}

pub fn mandate(id: &str) -> String {
    format!("payorch:{{mdt:{id}}}")
}

pub fn idempotency(scope: &IdempotencyScope) -> String {
    format!("payorch:{{idem:{}:{}}}", scope.merchant_id, scope.key)
}

/// The resolver's list (a sorted set: member `a:<id>` / `p:<id>`, score = due, Unix ms). One
/// key, so in a cluster it lives on one node; records keep their own slots.
pub fn unsettled() -> &'static str {
    "payorch:unsettled"
}
