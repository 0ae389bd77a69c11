//! Cybersource: a provider answer (HTTP status, JSON body) through the adapter's reading
//! (`serde_json` into `wire::response::Response`, as `adapter::read` does) and every mapping
//! that turns it into payorch's outcome. Input: first byte picks the HTTP status and the
//! variant flags, the rest is the body.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use payorch_connector::amounts::status_from_amounts;
use payorch_core::money::Money;
use payorch_cybersource::state::{self, AuthFlow, AuthState};
use payorch_cybersource::wire::response::Response;
use payorch_cybersource::{CybersourceConfig, CybersourceConnector, fuzzing, mapping};
use reqwest::StatusCode;

const STATUSES: [u16; 8] = [200, 201, 202, 400, 401, 403, 404, 502];

static CONNECTOR: LazyLock<Option<CybersourceConnector>> = LazyLock::new(|| {
    CybersourceConnector::new(CybersourceConfig::new(
        "http://127.0.0.1:1",
        "fuzz",
        "08c94330-f618-42a3-b09d-e1e43be5efda",
        "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=",
    ))
    .ok()
});

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let Ok(http) = StatusCode::from_u16(STATUSES[usize::from(sel) % STATUSES.len()]) else {
        return;
    };
    let parsed = serde_json::from_slice::<Response>(body);
    if !http.is_success() {
        let _ = mapping::error_answer(http, &parsed.unwrap_or_default(), "fuzz");
        return;
    }
    let Ok(r) = parsed else { return };
    let Ok(like) = Money::new(100, "INR") else {
        return;
    };
    let _ = mapping::authentication_status(&r);
    let _ = mapping::authentication_failure(&r, 3, 3);
    let _ = mapping::authentication_failure(&r, 0, 0);
    let _ = mapping::payment_status(&r);
    let _ = mapping::decline(&r);
    let amounts = r
        .order_information
        .as_ref()
        .and_then(|o| o.amount_details.as_ref());
    if let Some(a) = amounts {
        let total = mapping::minor_units(a.total_amount.as_deref(), like);
        let authorized = mapping::minor_units(a.authorized_amount.as_deref(), like);
        let _ = status_from_amounts(authorized.unwrap_or_default(), total.unwrap_or_default(), 0);
    }
    let _ = r.related_ids();
    let _ = r.application("ics_auth");
    if let Some(cai) = &r.consumer_authentication_information {
        let _ = cai.context();
    }
    let flow = if sel & 0x80 == 0 {
        AuthFlow::Seamless
    } else {
        AuthFlow::Redirect
    };
    let state = AuthState {
        flow: Some(flow),
        transaction_id: "auth-tx-1".into(),
        xid: Some("xid-1".into()),
        ..AuthState::default()
    };
    if let Ok(outcome) = fuzzing::validation_outcome(&r, state.clone(), 2, 2)
        && let Some(cs) = outcome.connector_state.as_ref()
    {
        let _ = state::CODEC.decode::<AuthState>(Some(cs));
    }
    if let Some(c) = CONNECTOR.as_ref() {
        let mut s = state.clone();
        let _ = fuzzing::seamless_challenge(c, &r, &mut s);
        if let Ok(cs) = state::CODEC.encode(&s) {
            let _ = state::CODEC.decode::<AuthState>(Some(&cs));
        }
        let _ = fuzzing::payment_outcome(c, &r, like, sel & 0x40 != 0);
    }
    if let Some(embedded) = &r.embedded {
        for found in embedded.transaction_summaries.iter().take(8) {
            for service in ["ics_pa_enroll", "ics_pa_validate", "ics_auth"] {
                let (answer, _, _, _) = fuzzing::summary(found, service);
                let _ = fuzzing::validation_outcome(&answer, state.clone(), 1, 1);
            }
        }
    }
});
