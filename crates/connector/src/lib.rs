//! The provider-adapter contract: the [`Connector`] trait, the request and outcome types it
//! speaks, capability flags, and the shared HTTP plumbing adapters build on.

pub mod amounts;
pub mod capabilities;
pub mod connector;
pub mod context;
pub mod error;
pub mod http;
pub mod id;
pub mod model;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use capabilities::Capabilities;
pub use connector::{Authenticator, Connector, Payments, StandingInstructions};
pub use context::CallContext;
pub use error::ConnectorError;
pub use id::ConnectorId;
