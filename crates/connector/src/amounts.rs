//! Reading a payment's standing from a provider's amounts, the same for every adapter.

use payorch_core::status::PaymentStatus;

/// Where a payment stands from its amounts (`captured`, `refunded` against `authorized`).
pub fn status_from_amounts(authorized: i64, captured: i64, refunded: i64) -> PaymentStatus {
    if refunded > 0 {
        if refunded >= captured {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        }
    } else if captured > 0 && captured >= authorized {
        PaymentStatus::Captured
    } else if captured > 0 {
        PaymentStatus::PartiallyCaptured
    } else {
        PaymentStatus::Authorized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_decide_the_payment_status() {
        assert_eq!(status_from_amounts(100, 0, 0), PaymentStatus::Authorized);
        assert_eq!(
            status_from_amounts(100, 40, 0),
            PaymentStatus::PartiallyCaptured
        );
        assert_eq!(status_from_amounts(100, 100, 0), PaymentStatus::Captured);
        assert_eq!(
            status_from_amounts(100, 100, 30),
            PaymentStatus::PartiallyRefunded
        );
        assert_eq!(status_from_amounts(100, 100, 100), PaymentStatus::Refunded);
    }
}
