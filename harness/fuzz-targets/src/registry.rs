//! The targets by name, as `fuzz/Cargo.toml` and the folders of `fuzz/seeds/` name them.

use crate::{case_parser, case_roundtrip, decode_response, emulator_request};

/// Runs the target `name` on `bytes`, named as in `fuzz/Cargo.toml` and the folders of
/// `fuzz/seeds/` (`emulator_request`, `decode_response`, `case_parser`, `case_roundtrip`);
/// `false` for any other name.
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
