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
