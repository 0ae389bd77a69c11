//! payorch's Mastercard Gateway (MPGS) adapter: HTTP Basic `merchant.<MID>` credentials,
//! RuPay payer authentication through the Authentication API (INITIATE_AUTHENTICATION,
//! AUTHENTICATE_PAYER, the redirect or seamless `authentication.redirect.html`, OTP
//! submission and resend on the gateway callback, Retrieve Transaction deciding every
//! result), and AUTHORIZE / PAY, CAPTURE, VOID, REFUND and Retrieve Order.
//!
//! ```no_run
//! use payorch_mpgs::{MpgsConfig, MpgsConnector};
//! # fn demo() -> Result<(), payorch_mpgs::ConfigError> {
//! let config = MpgsConfig::new("https://in-gateway.mastercard.com", "TESTPAYORCH", "api-password");
//! let connector = MpgsConnector::new(config)?;
//! # let _ = connector; Ok(()) }
//! ```

pub mod adapter;
mod authentication;
pub mod config;
pub mod credentials;
pub mod html;
pub mod ids;
pub mod mapping;
mod payments;
pub mod state;
pub mod wire;

pub use adapter::MpgsConnector;
pub use config::{ConfigError, MpgsConfig};
