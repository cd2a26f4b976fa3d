//! Parsed cases (from text and from structured sketches) survive emit-then-parse unchanged.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eni_fuzz_targets::case_roundtrip(data));
