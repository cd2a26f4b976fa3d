//! Any bytes, status and content type through the client's response decoder and its path queries.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eni_fuzz_targets::decode_response(data));
