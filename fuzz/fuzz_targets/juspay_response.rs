//! Juspay: a provider answer (HTTP status, JSON body) through the adapter's reading
//! (`serde_json` into `TxnResponse` / `OrderStatus`, else `ErrorBody`, as `adapter::read`
//! does) and every public mapping to payorch's outcome, the 3DS page included
//! (`redirect::redirect_action`). Input: first byte picks the HTTP status and the answer's
//! type, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch_core::money::Money;
use payorch_juspay::mapping;
use payorch_juspay::redirect::redirect_action;
use payorch_juspay::wire::response::{ErrorBody, OrderStatus, TxnResponse};
use reqwest::StatusCode;

const STATUSES: [u16; 8] = [200, 201, 400, 401, 403, 404, 409, 422];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let Ok(http) = StatusCode::from_u16(STATUSES[usize::from(sel) % STATUSES.len()]) else {
        return;
    };
    if !http.is_success() {
        let e = serde_json::from_slice::<ErrorBody>(body).unwrap_or_default();
        let _ = mapping::error_answer(http, &e, "fuzz");
        let _ = mapping::caller_field(e.error_message.as_deref().unwrap_or_default());
        return;
    }
    let Ok(like) = Money::new(100, "INR") else {
        return;
    };
    let at_start = sel & 0x40 != 0;
    if sel & 0x80 == 0 {
        let Ok(t) = serde_json::from_slice::<TxnResponse>(body) else {
            return;
        };
        let status = mapping::txn_status(&t);
        let _ = t.txn_uuid();
        let _ = mapping::authentication_result(
            t.status.as_deref().unwrap_or_default(),
            t.bank_error_code.as_deref(),
            status,
            at_start,
        );
        if let Some(a) = t.authentication() {
            if let Some(params) = &a.params {
                let _ = mapping::otp_counters(params);
                let _ = redirect_action(
                    a.method.as_deref().unwrap_or("GET"),
                    a.url.as_deref().unwrap_or_default(),
                    params,
                );
            } else {
                let empty = serde_json::Map::new();
                let _ = redirect_action(
                    a.method.as_deref().unwrap_or("GET"),
                    a.url.as_deref().unwrap_or_default(),
                    &empty,
                );
            }
        }
    } else {
        let Ok(o) = serde_json::from_slice::<OrderStatus>(body) else {
            return;
        };
        let status = mapping::order_status(&o);
        let _ = mapping::authentication_result(
            o.status.as_deref().unwrap_or_default(),
            o.bank_error_code.as_deref(),
            status,
            at_start,
        );
        let _ = mapping::payment_result(&o, like);
        let _ = mapping::minor_units(o.amount.as_ref(), like);
        let _ = mapping::minor_units(o.amount_refunded.as_ref(), like);
    }
});
