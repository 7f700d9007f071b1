//! Compiles the .proto files with protox (pure Rust), so no `protoc` binary
//! is needed, then generates the Rust types with prost-build. The descriptor
//! set is kept too: `inspect` uses it to print any record as JSON.

use prost::Message as _;
use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/pancake/legacy/v1/legacy.proto",
    "proto/pancake/events/v1/events.proto",
    "proto/pancake/events/v2/events.proto",
    "proto/pancake/dump/v1/part.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("file_descriptor_set.bin"),
        descriptors.encode_to_vec(),
    )?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
