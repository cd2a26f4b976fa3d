//! The `decode_response` target: any bytes with any status and content type go through the
//! client's response decoder, and the decoded model answers path queries, all without panicking.

use arbitrary::Arbitrary;
use serde_json::Value;

#[cfg(test)]
use crate::codec::{Encode, encode_tag};
use crate::codec::{List, Rest, Text, from_bytes};
use eni_harness::checks::observe::listing_readings_agree;
use eni_harness::wire::decode::BodyFormat;
use eni_harness::wire::decode_response as decode;

/// One fuzz input: how the answer is labelled, paths to query, then the body (all the rest).
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct DecodeInput {
    /// Taken as is: 0, 200, 404, 503, 999 and 65535 are all statuses a broken endpoint can send.
    pub(crate) status: u16,
    pub(crate) content_type: ContentType,
    /// Extra paths to query besides the ones the body itself suggests.
    pub(crate) paths: List<Text, 4>,
    pub(crate) body: Rest,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum ContentType {
    None,
    Json,
    Xml,
    Html,
    Other(Text),
}

impl ContentType {
    fn as_header(&self) -> Option<&str> {
        match self {
            ContentType::None => None,
            ContentType::Json => Some("application/json;charset=utf-8"),
            ContentType::Xml => Some("text/xml;charset=utf-8"),
            ContentType::Html => Some("text/html"),
            ContentType::Other(t) => Some(t.as_str()),
        }
    }
}

/// Decodes `bytes` into an answer (`DecodeInput`: a status, a content type, up to 4 paths to
/// query, then the rest as the body) and checks it; panics when a property fails.
pub fn decode_response(bytes: &[u8]) {
    if let Some(input) = from_bytes::<DecodeInput>(bytes) {
        check_decode(&input);
    }
}

/// Decodes the body, then asks the model for every path the body holds (and some that are
/// malformed or out of range): nothing may panic, and an empty or unparseable body must come
/// with a problem and a `null` model. Read as a state read's listing, the body must show the
/// same page whether read plainly or decoded.
pub(crate) fn check_decode(input: &DecodeInput) {
    assert!(
        listing_readings_agree(input.content_type.as_header(), &input.body.0),
        "the plain reading of a listing differs from the decoded one"
    );
    let d = decode(input.status, input.content_type.as_header(), &input.body.0);
    if matches!(d.format, BodyFormat::Empty | BodyFormat::Unparseable) {
        assert_eq!(d.body, Value::Null, "{:?} body with a model", d.format);
        assert!(
            !d.problems.is_empty(),
            "{:?} body without a problem",
            d.format
        );
    }
    let mut paths: Vec<(String, bool)> = input.paths.iter().map(|t| (t.0.clone(), false)).collect();
    collect_paths(&d.body, String::new(), true, &mut paths, 0);
    for (path, exists) in &paths {
        let one = d.get(path);
        let all = d.values_at(path);
        let _ = d.strings_at(path);
        if let Some(v) = one {
            assert!(
                all.iter().any(|a| std::ptr::eq(*a, v)),
                "get({path:?}) found a value values_at({path:?}) did not"
            );
        }
        assert!(
            !exists || one.is_some(),
            "the body holds {path:?} but get() does not find it"
        );
    }
}

/// Paths to the nodes of `value` in the model's path syntax, with whether `get` must find them
/// (only when every key along the way is free of `.`, `[` and `]`), plus `[*]` forms and indices
/// one past the end. Bounded, since a hostile body can have a million nodes.
fn collect_paths(
    value: &Value,
    prefix: String,
    clean: bool,
    out: &mut Vec<(String, bool)>,
    depth: usize,
) {
    if out.len() > 256 || depth > 16 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let clean = clean && !k.is_empty() && !k.contains(['.', '[', ']']);
                out.push((path.clone(), clean));
                collect_paths(v, path, clean, out, depth + 1);
            }
        }
        Value::Array(items) => {
            out.push((format!("{prefix}[*]"), false));
            out.push((format!("{prefix}[{}]", items.len()), false));
            for (i, v) in items.iter().enumerate().take(4) {
                let path = format!("{prefix}[{i}]");
                out.push((path.clone(), clean));
                collect_paths(v, path, clean, out, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
impl Encode for ContentType {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ContentType::None => encode_tag(0, 5, out),
            ContentType::Json => encode_tag(1, 5, out),
            ContentType::Xml => encode_tag(2, 5, out),
            ContentType::Html => encode_tag(3, 5, out),
            ContentType::Other(t) => {
                encode_tag(4, 5, out);
                t.encode(out);
            }
        }
    }
}

#[cfg(test)]
impl Encode for DecodeInput {
    fn encode(&self, out: &mut Vec<u8>) {
        self.status.encode(out);
        self.content_type.encode(out);
        self.paths.encode(out);
        self.body.encode(out);
    }
}
