//! The `case_roundtrip` target: the canonical writer's output parses back to the same case, and
//! writing again gives the same text.

use arbitrary::{Arbitrary, Unstructured};
use eni_spec::{case_to_yaml, parse_case};

use crate::case_sketch::{CaseSketch, ORIGIN};

/// Two round trips per input: the input as case text, and the input decoded as a
/// case sketch (`CaseSketch`: a title, tags, knobs and up to eight steps) whose YAML is built from the language's vocabulary (most of those parse, and
/// they reach corners of the writer hand-written cases do not). For each text that parses:
/// `parse(emit(case)) == case` up to spans, and emitting again gives the same text.
pub fn case_roundtrip(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        check_roundtrip(text);
    }
    if let Ok(sketch) = CaseSketch::arbitrary_take_rest(Unstructured::new(bytes)) {
        check_roundtrip(&sketch.to_yaml());
    }
}

/// The round-trip property for one text (nothing to check when it does not parse).
pub(crate) fn check_roundtrip(text: &str) {
    let Ok(case) = parse_case(text, ORIGIN) else {
        return;
    };
    let yaml = case_to_yaml(&case);
    let again = match parse_case(&yaml, ORIGIN) {
        Ok(again) => again,
        Err(errors) => panic!(
            "the emitted case does not parse\ninput:\n{text}\nemitted:\n{yaml}\n{}",
            errors.iter().map(|e| e.render(&yaml)).collect::<String>()
        ),
    };
    assert!(
        again.without_spans() == case.without_spans(),
        "the emitted case parses to another case\ninput:\n{text}\nemitted:\n{yaml}\nfirst: {:#?}\nagain: {:#?}",
        case.without_spans(),
        again.without_spans()
    );
    let twice = case_to_yaml(&again);
    assert!(
        twice == yaml,
        "emitting is not a fixed point\nonce:\n{yaml}\ntwice:\n{twice}"
    );
}
