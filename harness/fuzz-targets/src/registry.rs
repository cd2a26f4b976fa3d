//! The targets by name, as `fuzz/Cargo.toml` and the folders of `fuzz/seeds/` name them.

use crate::{case_parser, case_roundtrip, decode_response, emulator_request};

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
