//! Structured request scenarios against the in-process emulator: no panic, no 5xx, bodies decode,
//! invariants hold, failed requests change nothing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eni_fuzz_targets::emulator_request(data));
