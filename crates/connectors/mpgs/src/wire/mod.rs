//! The gateway's JSON, as serde types: what payorch sends ([`request`]) and what it reads
//! back ([`response`]). Field names are the gateway's.

pub mod request;
pub mod response;
