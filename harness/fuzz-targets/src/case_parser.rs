//! The `case_parser` target: the case language's parser never panics, points every error
//! inside the text, and its two YAML readings (plain YAML straight from the parser's events,
//! the rest through serde-saphyr) agree.

use eni_spec::parse_case;

use crate::case_sketch::ORIGIN;
use crate::codec::from_bytes;

/// Parses the input as case text (the longest valid UTF-8 prefix, as `arbitrary` decodes a
/// `&str`); panics when an error points outside the text or fails to render, or when the fast
/// YAML reading gives another tree than serde-saphyr's.
pub fn case_parser(bytes: &[u8]) {
    if let Some(text) = from_bytes::<&str>(bytes) {
        check_parse(text);
    }
}

/// The `case_parser` properties for one text.
pub(crate) fn check_parse(text: &str) {
    assert!(
        eni_spec::yaml_readings_agree(text),
        "plain YAML read straight from the parser's events differs from serde-saphyr's reading"
    );
    if let Err(errors) = parse_case(text, ORIGIN) {
        assert!(!errors.is_empty(), "parse_case failed with no error");
        for error in &errors {
            assert!(
                error.span.is_in_bounds(text),
                "error at {} is outside the text: {error}",
                error.span
            );
            let rendered = error.render(text);
            assert!(rendered.starts_with("error: "), "odd rendering: {rendered}");
        }
    }
}
