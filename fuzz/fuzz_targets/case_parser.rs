//! Any text through the case-file parser: no panic, every error inside the text and renderable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eni_fuzz_targets::case_parser(data));
