//! The coverage-guided fuzz targets' logic, one module per target of `fuzz/fuzz_targets/`
//! (libFuzzer through cargo-fuzz), in a crate of its own so the product library does not ship
//! it, and so that the same code replays every committed seed and crash input in an ordinary
//! `cargo test` on stable (`tests/replay.rs`). Each target takes raw bytes, decodes them as
//! libfuzzer-sys would, and panics when a property fails.
//!
//! The sequence fuzzer (`eni-harness fuzz`, which drives any endpoint through the runner) is
//! another thing: these targets look inside the process, guided by coverage.

#![warn(missing_docs)]

mod case_parser;
mod case_roundtrip;
mod case_sketch;
mod codec;
mod decode_response;
mod emulator_request;
mod registry;
#[cfg(test)]
mod seeds;

// What the libFuzzer binaries under `fuzz/` and the replay test call; everything else is
// crate-private.
pub use case_parser::case_parser;
pub use case_roundtrip::case_roundtrip;
pub use decode_response::decode_response;
pub use emulator_request::emulator_request;
pub use registry::run_target;
