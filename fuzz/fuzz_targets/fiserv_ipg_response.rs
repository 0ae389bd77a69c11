//! Fiserv IPG: a provider answer (HTTP status, JSON body) through the adapter's reading
//! (`serde_json` into `wire::response::Response` / `OrderResponse`, as `adapter::read` and
//! the order inquiry do) and every public mapping to payorch's outcome. Input: first byte
//! picks the HTTP status and the shape, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch_connector::amounts::status_from_amounts;
use payorch_core::money::Money;
use payorch_fiserv_ipg::mapping;
use payorch_fiserv_ipg::wire::response::{OrderResponse, Response};
use reqwest::StatusCode;

const STATUSES: [u16; 8] = [200, 201, 202, 400, 401, 403, 404, 422];

fn map(r: &Response, like: Money) {
    let _ = r.is_transaction();
    let _ = r.otp();
    let _ = r.acs_url();
    let _ = r.status();
    let _ = r.voided();
    let _ = r.kind();
    let _ = mapping::authentication_status(r);
    let _ = mapping::authentication_result(r, 3, 3);
    let _ = mapping::authentication_result(r, 0, 0);
    let _ = mapping::payment_status(r);
    let _ = mapping::decline(r);
    let approved = mapping::minor_units(
        r.approved_amount.as_ref().and_then(|a| a.total.as_deref()),
        like,
    );
    let total = mapping::minor_units(
        r.transaction_amount
            .as_ref()
            .and_then(|a| a.total.as_deref()),
        like,
    );
    let _ = status_from_amounts(approved.unwrap_or_default(), total.unwrap_or_default(), 0);
    if let Some(d) = r.error.as_ref() {
        for detail in d.details.iter().take(8) {
            let _ = mapping::caller_field(detail.field.as_deref().unwrap_or_default());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let Ok(http) = StatusCode::from_u16(STATUSES[usize::from(sel) % STATUSES.len()]) else {
        return;
    };
    let Ok(like) = Money::new(12_350, "INR") else {
        return;
    };
    if sel & 0x80 != 0 && http.is_success() {
        // The order inquiry: every transaction of the order.
        if let Ok(order) = serde_json::from_slice::<OrderResponse>(body) {
            for t in order.transactions.iter().take(16) {
                map(t, like);
            }
        }
        return;
    }
    let parsed = serde_json::from_slice::<Response>(body);
    if !http.is_success() {
        let _ = mapping::error_answer(http, &parsed.unwrap_or_default(), "fuzz");
        return;
    }
    if let Ok(r) = parsed {
        map(&r, like);
    }
});
