//! payorch's Fiserv IPG (ipg-online, Payments Gateway v2) adapter: `Message-Signature`
//! signing, RuPay payer authentication (redirect through the issuer's ACS, seamless with
//! OTPs verified server to server), and sale, pre-auth, post-auth, void, return and
//! inquiries.
//!
//! ```no_run
//! use payorch_fiserv_ipg::{FiservIpgConfig, FiservIpgConnector};
//! # fn demo() -> Result<(), payorch_fiserv_ipg::ConfigError> {
//! let mut config = FiservIpgConfig::new(
//!     "https://prod.emea.api.fiservapps.com/sandbox/ipp/payments-gateway/v2",
//!     "my-api-key",
//!     "my-api-secret",
//! );
//! config.store_id = Some("3300001234".into());
//! let connector = FiservIpgConnector::new(config)?;
//! # let _ = connector; Ok(()) }
//! ```

pub mod adapter;
mod authentication;
pub mod config;
pub mod mapping;
#[cfg(test)]
mod openapi;
mod payments;
pub mod signing;
pub mod state;
pub mod wire;

pub use adapter::FiservIpgConnector;
pub use config::{ConfigError, FiservIpgConfig};
