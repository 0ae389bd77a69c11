//! MPGS: a gateway answer (HTTP status, JSON body) through the adapter's reading
//! (`serde_json` into `TransactionResponse` / `OrderResponse`, error bodies through
//! `mapping::error_answer`) and every public mapping to payorch's outcome. Input: first
//! byte picks the HTTP status and the answer's type, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch_core::money::Money;
use payorch_mpgs::mapping::{self, Totals};
use payorch_mpgs::wire::response::{OrderResponse, TransactionResponse};
use reqwest::StatusCode;

const STATUSES: [u16; 8] = [200, 201, 400, 401, 403, 404, 409, 422];

fn map(t: &TransactionResponse, like: Money) {
    let _ = t.gateway_code();
    let _ = mapping::standing(t);
    let _ = mapping::authentication_status(t);
    let _ = mapping::authentication_failure(t);
    let _ = mapping::still_pending_after_otp(t, None, 3, 3);
    let _ = mapping::still_pending_after_otp(t, Some("ACCU200"), 0, 0);
    let _ = mapping::payment_status(t);
    let _ = mapping::approved(t);
    let _ = mapping::decline(t);
    if let Some(tx) = &t.transaction {
        let _ = mapping::minor_units(tx.amount.as_ref(), like.currency());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let Ok(http) = StatusCode::from_u16(STATUSES[usize::from(sel) % STATUSES.len()]) else {
        return;
    };
    if !http.is_success() {
        let _ = mapping::error_answer(http, body, "fuzz", sel & 0x40 != 0);
        return;
    }
    let Ok(like) = Money::new(100, "INR") else {
        return;
    };
    if sel & 0x80 == 0 {
        if let Ok(t) = serde_json::from_slice::<TransactionResponse>(body) {
            map(&t, like);
        }
    } else if let Ok(o) = serde_json::from_slice::<OrderResponse>(body) {
        let currency = like.currency();
        let totals = Totals {
            authorized: mapping::minor_units(o.total_authorized_amount.as_ref(), currency)
                .unwrap_or_default(),
            captured: mapping::minor_units(o.total_captured_amount.as_ref(), currency)
                .unwrap_or_default(),
            refunded: mapping::minor_units(o.total_refunded_amount.as_ref(), currency)
                .unwrap_or_default(),
        };
        let _ = mapping::order_payment_status(o.status.as_deref(), totals);
        for t in o.transaction.iter().take(16) {
            map(t, like);
        }
    }
});
