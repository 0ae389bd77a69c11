//! Juspay's wire format: form-encoded requests (built as name/value pairs in
//! [`request`]) and the JSON answers of [`response`].

pub mod request;
pub mod response;
