//! Any text through the case-file parser: no panic, every error inside the text and renderable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eni_harness::fuzzing::case_parser(data));
