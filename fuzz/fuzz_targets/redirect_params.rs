//! The issuer page's return: the form body the payer's browser posts to
//! `POST /v1/callbacks/{id}` (parsed as the HTTP handler's `Form<BTreeMap<String, String>>`
//! does, with `serde_urlencoded`), handed to each adapter's real `complete_redirect` for a
//! redirect session: Cybersource's MD / PaRes, Fiserv IPG's ipgTransactionId /
//! response_hash, Juspay's order_id / signature, MPGS's order.id / transaction.id checks.
//! The providers are unreachable (`127.0.0.1:1`, no retries), so the parameter handling
//! runs in full and the provider call fails at once: any result is fine, a panic is not.
//! (Each connector's real code runs; only the provider is missing.)
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use payorch_connector::http::Timeouts;
use payorch_connector::testing::{card, inr, new_session};
use payorch_connector::{CallContext, Connector};
use payorch_core::session::AuthenticationSession;
use payorch_core::status::{AuthenticationStatus, Flow};

const NOWHERE: &str = "http://127.0.0.1:1";

fn timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(100),
        total: Duration::from_millis(200),
        read_retries: 0,
    }
}

struct Case {
    connector: Box<dyn Connector>,
    session: AuthenticationSession,
}

fn session(connector: &str, state: payorch_core::session::ConnectorState) -> AuthenticationSession {
    let mut s = new_session(connector, "auth_fuzz1", card("6521600000000012"), inr(100));
    s.status = AuthenticationStatus::RedirectRequired;
    s.flow = Some(Flow::Redirect);
    s.connector_state = Some(state);
    s
}

fn cases() -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    {
        use payorch_cybersource::state::{AuthFlow, AuthState, encode};
        let mut config = payorch_cybersource::CybersourceConfig::new(
            NOWHERE,
            "fuzz",
            "08c94330-f618-42a3-b09d-e1e43be5efda",
            "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=",
        );
        config.timeouts = timeouts();
        let state = AuthState {
            flow: Some(AuthFlow::Redirect),
            transaction_id: "auth-tx-1".into(),
            xid: Some("xid-1".into()),
            ..AuthState::default()
        };
        if let Ok(c) = payorch_cybersource::CybersourceConnector::new(config) {
            out.push(Case {
                connector: Box::new(c),
                session: session("cybersource", encode(&state)),
            });
        }
    }
    {
        use payorch_fiserv_ipg::state::{AuthFlow, AuthState, encode};
        let mut config =
            payorch_fiserv_ipg::FiservIpgConfig::new(NOWHERE, "fuzz-key", "fuzz-secret");
        config.timeouts = timeouts();
        let state = AuthState {
            flow: Some(AuthFlow::Redirect),
            ipg_transaction_id: "84538652787".into(),
            order_id: "R-auth_fuzz1".into(),
        };
        if let Ok(c) = payorch_fiserv_ipg::FiservIpgConnector::new(config) {
            out.push(Case {
                connector: Box::new(c),
                session: session("fiserv-ipg", encode(&state)),
            });
        }
    }
    {
        use payorch_juspay::state::{AuthFlow, AuthState, encode};
        let mut config = payorch_juspay::JuspayConfig::new(NOWHERE, "fuzz-key", "fuzz-merchant");
        config.timeouts = timeouts();
        config.response_key = Some("fuzz-response-key".into());
        let state = AuthState {
            order_id: "auth_fuzz1".into(),
            txn_uuid: "mozvKiUJ4dcS8nmnS7Y".into(),
            txn_id: Some("fuzz-merchant-auth_fuzz1-1".into()),
            flow: AuthFlow::Redirect,
            challenge_id: None,
            auto_capture: false,
        };
        if let Ok(c) = payorch_juspay::JuspayConnector::new(config) {
            out.push(Case {
                connector: Box::new(c),
                session: session("juspay", encode(&state)),
            });
        }
    }
    {
        use payorch_mpgs::state::{AuthFlow, AuthState, encode};
        let mut config = payorch_mpgs::MpgsConfig::new(NOWHERE, "TESTPAYORCH", "fuzz-password");
        config.timeouts = timeouts();
        let state = AuthState {
            order_id: "auth_fuzz1".into(),
            transaction_id: "auth-1".into(),
            flow: Some(AuthFlow::Redirect),
            ..AuthState::default()
        };
        if let Ok(c) = payorch_mpgs::MpgsConnector::new(config) {
            out.push(Case {
                connector: Box::new(c),
                session: session("mpgs", encode(&state)),
            });
        }
    }
    out
}

// Paused time: the HTTP layer's pause after a failed read (50 ms) passes at once.
static RUNTIME: LazyLock<Option<tokio::runtime::Runtime>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .ok()
});
static CASES: LazyLock<Vec<Case>> = LazyLock::new(cases);

fuzz_target!(|data: &[u8]| {
    // What the HTTP handler's `Form` extractor accepts; anything else is a 4xx there.
    let Ok(params) = serde_urlencoded::from_bytes::<BTreeMap<String, String>>(data) else {
        return;
    };
    let _ = payorch_cybersource::fuzzing::param(&params, &["PaRes", "signedPares", "pares"]);
    let Some(rt) = RUNTIME.as_ref() else { return };
    for case in CASES.iter() {
        let ctx = CallContext::new("fuzz", Some(Duration::from_secs(2)));
        let _ = rt.block_on(
            case.connector
                .complete_redirect(&ctx, &case.session, &params),
        );
    }
});
