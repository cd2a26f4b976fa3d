//! Parsed cases (from text and from structured sketches) survive emit-then-parse unchanged.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eni_harness::fuzzing::case_roundtrip(data));
