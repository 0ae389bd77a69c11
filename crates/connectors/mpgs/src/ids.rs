//! Order and transaction ids. The gateway takes the merchant's own ids (1 to 40
//! characters); payorch derives them from its resource ids so that a status lookup can find
//! an order or transaction even when the answer that would have named it was lost.
//!
//! - order: the authentication id (one order per payer authentication, holding the
//!   authentication and every payment operation that uses it);
//! - authentication transaction: the authentication id as well (the seed's
//!   `authentication.transactionId` names it);
//! - authorization: the payment id; captures `<payment>-c<n>`, void `<payment>-v`, refunds
//!   the refund id.
//!
//! Deterministic ids also make the gateway refuse a repeated operation ("a transaction with
//! this ID already exists") instead of performing it twice.

use sha2::{Digest, Sha256};

/// Longest id the gateway accepts.
pub const MAX_LEN: usize = 40;

/// `raw` when it is a usable gateway id; otherwise a stable 40-character digest of it.
pub fn gateway_id(raw: &str) -> String {
    let usable = !raw.is_empty()
        && raw.len() <= MAX_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if usable {
        return raw.to_owned();
    }
    let digest = Sha256::digest(raw.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("h{}", &hex[..MAX_LEN - 1])
}

/// The order of an authentication (and of the payments using it).
pub fn order_id(authentication_id: &str) -> String {
    gateway_id(authentication_id)
}

/// The AUTHENTICATION transaction.
pub fn authentication_transaction_id(authentication_id: &str) -> String {
    gateway_id(authentication_id)
}

/// The AUTHORIZE or PAY transaction.
pub fn authorization_transaction_id(payment_id: &str) -> String {
    gateway_id(payment_id)
}

/// The `n`-th capture (1-based) of a payment.
pub fn capture_transaction_id(payment_id: &str, n: usize) -> String {
    gateway_id(&format!("{payment_id}-c{n}"))
}

pub fn void_transaction_id(payment_id: &str) -> String {
    gateway_id(&format!("{payment_id}-v"))
}

pub fn refund_transaction_id(refund_id: &str) -> String {
    gateway_id(refund_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payorch_ids_are_used_as_they_are() {
        let auth = "auth_0123456789abcdef0123456789abcdef";
        assert_eq!(order_id(auth), auth);
        let pay = "pay_0123456789abcdef0123456789abcdef";
        assert_eq!(capture_transaction_id(pay, 2), format!("{pay}-c2"));
        assert_eq!(void_transaction_id(pay), format!("{pay}-v"));
    }

    #[test]
    fn long_or_odd_ids_are_digested_stably() {
        let long = "x".repeat(41);
        let a = gateway_id(&long);
        assert_eq!(a.len(), MAX_LEN);
        assert_eq!(a, gateway_id(&long));
        assert_ne!(a, gateway_id(&"x".repeat(42)));
        assert_eq!(gateway_id("a b").len(), MAX_LEN);
        assert_eq!(gateway_id("").len(), MAX_LEN);
    }
}
