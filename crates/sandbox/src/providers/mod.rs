//! One simulator per provider, each mounted under its own prefix.

pub mod cybersource;
pub mod fiserv_ipg;
pub mod json;
pub mod juspay;
pub mod mpgs;
pub mod time;
