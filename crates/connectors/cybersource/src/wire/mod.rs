//! Cybersource's JSON, as serde types: requests serialize exactly the fields payorch sends;
//! responses read every shape leniently (unknown fields ignored, numbers or strings
//! accepted where Cybersource's examples disagree with its SDK models).

pub mod request;
pub mod response;
