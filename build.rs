//! Compiles the public API in `proto/` without a system protoc: protox parses the files,
//! the descriptor set is kept for gRPC reflection, and tonic generates the code.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/payorch/v1/common.proto",
        "proto/payorch/v1/authentication.proto",
        "proto/payorch/v1/payment.proto",
        "proto/payorch/v1/mandate.proto",
    ];
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(files, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("payorch_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Malformed requests are INVALID_ARGUMENT (src/grpc/codec.rs), not INTERNAL.
        .codec_path("crate::grpc::codec::RequestCodec")
        // Maps as BTreeMap: a request encodes the same bytes however its map was built, so
        // its idempotency fingerprint (a hash of the encoding) is the same on every retry.
        .btree_map(".")
        .compile_fds(descriptors)?;
    Ok(())
}
