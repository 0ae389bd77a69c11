//! The generated gRPC API (`proto/payorch/v1`).

#![allow(clippy::all, clippy::pedantic, missing_docs)]

tonic::include_proto!("payorch.v1");

/// The encoded descriptor set of the API, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/payorch_descriptor.bin"));
