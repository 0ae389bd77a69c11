//! Fiserv IPG's JSON, as serde types. Field names are the gateway's (OpenAPI
//! `gateway-services.yaml` and seed 002); the RuPay-only names live in [`rupay`] alone.

pub mod request;
pub mod response;
pub mod rupay;
