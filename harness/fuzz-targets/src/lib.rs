//! The coverage-guided fuzz targets' logic, one module per target of `fuzz/fuzz_targets/`
//! (libFuzzer through cargo-fuzz), in a crate of its own so the product library does not ship
//! it, and so that the same code replays every committed seed and crash input in an ordinary
//! `cargo test` on stable (`tests/replay.rs`). Each target takes raw bytes, decodes them as
//! libfuzzer-sys would, and panics when a property fails.
//!
//! The sequence fuzzer (`eni-harness fuzz`, which drives any endpoint through the runner) is
//! another thing: these targets look inside the process, guided by coverage.

mod case_parser;
mod case_roundtrip;
mod case_sketch;
pub mod codec;
mod decode_response;
pub mod emulator_request;
mod registry;
pub mod seeds;

pub use case_parser::{case_parser, check_parse};
pub use case_roundtrip::{case_roundtrip, check_roundtrip};
pub use case_sketch::CaseSketch;
pub use codec::{Encode, List, Rest, Text, from_bytes, to_bytes};
pub use decode_response::{ContentType, DecodeInput, check_decode, decode_response};
pub use emulator_request::{Scenario, answers, emulator_request, run_scenario, run_scenario_with};
pub use registry::{TARGETS, run_target};
pub use seeds::{decode_response_seeds, emulator_request_seeds};
