//! Entry points of the coverage-guided fuzz targets under `fuzz/` (libFuzzer through
//! cargo-fuzz), kept here so that the same code replays every seed and crash input in an
//! ordinary `cargo test` on stable (`harness/tests/fuzz_replay.rs`). Each target takes raw bytes,
//! decodes them as libfuzzer-sys would, and panics when a property fails.
//!
//! Not to be confused with `fuzz` (the black-box fuzzer that drives any target through the
//! runner): these targets look inside the process, guided by coverage.

pub mod case;
pub mod codec;
pub mod decode;
pub mod emulator;
pub mod seeds;

pub use case::{CaseSketch, case_parser, case_roundtrip, check_parse, check_roundtrip};
pub use codec::{Encode, List, Rest, Text, from_bytes, to_bytes};
pub use decode::{ContentType, DecodeInput, check_decode, decode_response};
pub use emulator::{Scenario, answers, emulator_request, run_scenario, run_scenario_with};
pub use seeds::{decode_response_seeds, emulator_request_seeds};

/// The fuzz targets, named as in `fuzz/Cargo.toml` and the folders of `fuzz/seeds/`.
pub const TARGETS: &[&str] = &[
    "emulator_request",
    "decode_response",
    "case_parser",
    "case_roundtrip",
];

/// Runs target `name` on `bytes`; `false` if there is no such target.
pub fn run_target(name: &str, bytes: &[u8]) -> bool {
    match name {
        "emulator_request" => emulator_request(bytes),
        "decode_response" => decode_response(bytes),
        "case_parser" => case_parser(bytes),
        "case_roundtrip" => case_roundtrip(bytes),
        _ => return false,
    }
    true
}
