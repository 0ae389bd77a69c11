//! payorch: one gRPC API for RuPay payer authentication and card payments across providers.
//!
//! The binary (`src/main.rs`) parses the command line and calls [`app::start`]; end-to-end
//! tests call it too, so they run exactly what production runs.

pub mod api;
pub mod app;
pub mod config;
pub mod connectors;
pub mod demo;
pub mod error;
pub mod flows;
pub mod grpc;
pub mod http;
pub mod ids;
pub mod sockets;
pub mod telemetry;
