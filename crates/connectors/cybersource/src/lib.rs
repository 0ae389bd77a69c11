//! payorch's Cybersource REST adapter: HTTP Signature signing, RuPay payer authentication
//! (redirect with PaReq/PaRes, seamless with OTPs validated server to server), and
//! authorization, capture, reversal, refund and status lookups.
//!
//! ```no_run
//! use payorch_cybersource::{CybersourceConfig, CybersourceConnector};
//! # fn demo() -> Result<(), payorch_cybersource::ConfigError> {
//! let config = CybersourceConfig::new(
//!     "https://apitest.cybersource.com",
//!     "testrest",
//!     "08c94330-f618-42a3-b09d-e1e43be5efda",
//!     "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE=",
//! );
//! let connector = CybersourceConnector::new(config)?;
//! # let _ = connector; Ok(()) }
//! ```

pub mod adapter;
mod authentication;
pub mod config;
mod mandates;
pub mod mapping;
mod payments;
mod redirect;
mod search;
pub mod signing;
pub mod state;
mod sync;
pub mod wire;

pub use adapter::CybersourceConnector;
pub use config::{ConfigError, CybersourceConfig};

/// Entry points for the fuzz targets in `fuzz/` (not an API): the crate-private steps that
/// turn a parsed provider answer or the browser's return parameters into payorch's outcome.
#[doc(hidden)]
pub mod fuzzing {
    use payorch_connector::ConnectorError;
    use payorch_connector::model::{AuthenticationOutcome, PaymentOutcome, RedirectParams};
    use payorch_core::money::Money;

    use crate::CybersourceConnector;
    use crate::state::AuthState;
    use crate::wire::response::{AuthenticationInformation, Response, TransactionSummary};

    pub fn param<'a>(params: &'a RedirectParams, names: &[&str]) -> Option<&'a str> {
        payorch_connector::model::redirect_param(params, names)
    }

    pub fn seamless_challenge(
        c: &CybersourceConnector,
        body: &Response,
        state: &mut AuthState,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        c.seamless_challenge(body, state)
    }

    pub fn validation_outcome(
        body: &Response,
        state: AuthState,
        a: i32,
        r: i32,
    ) -> Result<AuthenticationOutcome, ConnectorError> {
        CybersourceConnector::validation_outcome(body, state, a, r)
    }

    pub fn payment_outcome(
        c: &CybersourceConnector,
        body: &Response,
        like: Money,
        capture: bool,
    ) -> PaymentOutcome {
        c.payment_outcome(body, like, capture)
    }

    pub fn summary(
        found: &TransactionSummary,
        service: &str,
    ) -> (Response, bool, Option<String>, Option<i64>) {
        let found_cai = crate::search::summary_authentication(found);
        let cai = AuthenticationInformation {
            xid: found_cai.xid,
            cavv: found_cai.cavv,
            eci_raw: found_cai.eci_raw,
            pares_status: found_cai.pares_status,
            authentication_result: found_cai.authentication_result,
            ..AuthenticationInformation::default()
        };
        (
            crate::search::summary_answer(found, service, cai),
            crate::search::succeeded(found, service),
            crate::search::found_reason(found, service),
            found
                .submit_time_utc
                .as_deref()
                .and_then(crate::search::utc_ms),
        )
    }
}
