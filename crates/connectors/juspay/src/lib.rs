//! payorch's Juspay Express Checkout adapter: RuPay Direct OTP (the merchant's page
//! collects the OTP, payorch submits it server to server), the 3DS page Juspay may fall
//! back to, and the payment the same transaction authorizes (capture, void, refund,
//! status lookups).
//!
//! Juspay authenticates and authorizes in one transaction: the order is created with the
//! capture decision (`StartAuthentication::capture`), a right OTP leaves it CHARGED (or
//! AUTHORIZED without auto-capture), and `authorize` confirms that transaction by an
//! order-status read instead of charging again (`Capabilities::authorizes_during_authentication`).
//!
//! ```no_run
//! use payorch_juspay::{JuspayConfig, JuspayConnector};
//! # fn demo() -> Result<(), payorch_juspay::ConfigError> {
//! let mut config = JuspayConfig::new("https://sandbox.juspay.in", "<api key>", "<merchant id>");
//! config.api_version = "2023-06-30".into();
//! let connector = JuspayConnector::new(config)?;
//! # let _ = connector; Ok(()) }
//! ```

pub mod adapter;
pub mod auth;
pub mod authentication;
pub mod config;
pub mod mapping;
pub mod payments;
pub mod redirect;
pub mod state;
pub mod wire;

pub use adapter::JuspayConnector;
pub use config::{ConfigError, JuspayConfig};
