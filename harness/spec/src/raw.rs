//! The YAML layer: source text to a tree of spanned nodes, nothing more.
//!
//! Why a generic tree instead of serde-derived structs: derived structs stop at the first error,
//! report unknown keys in serde's words, and type plain scalars (`1.50` becomes `1.5`). Here
//! serde-saphyr only parses (and rejects duplicate keys, bad indentation, alias bombs); the
//! validator then walks the tree, collects every error it finds, and reads every scalar as the
//! text the author wrote. Positions come from serde-saphyr's `Spanned`, which keeps them for
//! sequences, mappings, keys and scalars alike. Plain YAML, what case files are, skips serde:
//! `raw_events` builds the same tree from the parser's events, at half the cost.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::Span;

/// One YAML node and where it is.
#[derive(Debug, PartialEq)]
pub(crate) struct Node {
    pub kind: Kind,
    /// Where the node is used: for an alias `*a`, the alias, not the anchored definition.
    pub span: Span,
    /// Byte offset and length of the node's definition in the source, when known.
    pub defined: Option<(usize, usize)>,
    /// The node is an alias or comes from a merge key, so its text is elsewhere in the file.
    pub borrowed: bool,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A scalar as written. `text` is the source spelling for plain scalars (`1.50`, `0x1F`,
/// `true`) and the decoded value for quoted and block scalars.
#[derive(Debug, PartialEq)]
pub(crate) struct Scalar {
    pub text: String,
    pub ty: ScalarType,
}

/// How YAML's core schema would read the scalar; only `snapshot`, `corrupt_signature` and the
/// numbers of the language care, everything else uses `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarType {
    Str,
    Bool(bool),
    Int,
    Float,
    Null,
}

impl Node {
    /// What the node is, for "expected X, found Y".
    pub(crate) fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar(s) => match s.ty {
                ScalarType::Str => "a string",
                ScalarType::Bool(_) => "a boolean",
                ScalarType::Int | ScalarType::Float => "a number",
                ScalarType::Null => "null",
            },
            Kind::Seq(_) => "a sequence",
            Kind::Map(_) => "a mapping",
        }
    }

    /// The source text of the node's definition (for a scalar: its spelling, quotes included).
    pub(crate) fn raw<'s>(&self, source: &'s str) -> Option<&'s str> {
        let (start, len) = self.defined?;
        source.get(start..start.checked_add(len)?)
    }

    /// Byte offset of the node's definition.
    pub(crate) fn start(&self) -> Option<usize> {
        self.defined.map(|(s, _)| s)
    }
}

/// A YAML error: where, serde-saphyr's message, and a hint when we know a better one.
pub(crate) struct YamlError {
    pub span: Span,
    pub message: String,
    pub help: Option<&'static str>,
}

/// Parses `source` (one YAML document) into a node tree: straight from the parser's events where
/// the file is plain YAML ([`crate::raw_events`]), through serde-saphyr otherwise.
pub(crate) fn parse(source: &str) -> Result<Node, YamlError> {
    match crate::raw_events::tree(source) {
        Some(node) => Ok(node),
        None => parse_with_serde(source),
    }
}

/// Parses `source` with serde-saphyr, with tight budgets: a real case file is a few hundred
/// events, and the fuzzer must not find an input that eats memory or time.
pub(crate) fn parse_with_serde(source: &str) -> Result<Node, YamlError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 32,
            max_events: 50_000,
            max_nodes: 50_000,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_merge_keys: 1_000,
            max_recorded_anchor_events: 10_000,
            max_recorded_anchor_bytes: 1 << 20,
            max_total_scalar_bytes: 4 << 20,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 10_000,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        // Only `true`/`false` are booleans: `yes`, `on`, `y` stay strings, as in YAML 1.2.
        strict_booleans: true,
        // Keep `0755`, `1_000`, `.inf` and `1e999` as their text instead of numbers (or errors).
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    };
    let mut node: Node = serde_saphyr::from_str_with_options(source, options).map_err(|e| {
        let span = e
            .location()
            .map(|l| Span {
                line: u32::try_from(l.line()).unwrap_or(u32::MAX),
                col: u32::try_from(l.column()).unwrap_or(u32::MAX),
            })
            .unwrap_or(Span { line: 1, col: 1 });
        YamlError {
            span,
            message: message_of(&e),
            help: help_for(&e),
        }
    })?;
    restore_plain_text(&mut node, source);
    Ok(node)
}

fn message_of(e: &serde_saphyr::Error) -> String {
    use serde_saphyr::MessageFormatter as _;
    let mut inner = e.without_snippet();
    if let serde_saphyr::Error::AliasError { error, .. } = inner {
        inner = error;
    }
    let text = serde_saphyr::UserMessageFormatter.format_message(inner);
    // The message goes to terminals and snapshot files: no raw control characters.
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn help_for(e: &serde_saphyr::Error) -> Option<&'static str> {
    match e.without_snippet() {
        serde_saphyr::Error::DuplicateMappingKey { .. } => Some(
            "a key may appear only once in a mapping; to send a parameter twice, list it under `pairs`",
        ),
        serde_saphyr::Error::MultipleDocuments { .. } => {
            Some("a case file holds one case; remove the `---` separator")
        }
        serde_saphyr::Error::Budget { .. } => {
            Some("case files are small: check for deep nesting or runaway aliases")
        }
        other if other.to_string().contains("tab") => {
            Some("indent with spaces: YAML does not allow tabs for indentation")
        }
        _ => None,
    }
}

/// Replaces the value serde-saphyr inferred for a plain scalar by its spelling in the source, so
/// `1.50` stays `1.50` and `0x1F` stays `0x1F`. Quoted, block and multi-line scalars keep their
/// decoded value: only for single-line plain scalars do value and spelling agree by construction.
fn restore_plain_text(node: &mut Node, source: &str) {
    match &mut node.kind {
        Kind::Scalar(scalar) => {
            let Some(raw) = node
                .defined
                .and_then(|(s, l)| source.get(s..s.checked_add(l)?))
            else {
                return;
            };
            let plain = !raw.is_empty()
                && !raw.starts_with(['"', '\'', '|', '>', '!', '&', '*'])
                && !raw.contains(['\n', '\r'])
                && raw.trim() == raw;
            if plain && scalar.ty != ScalarType::Null {
                scalar.text = raw.to_string();
            }
        }
        Kind::Seq(items) => {
            for item in items {
                restore_plain_text(item, source);
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries {
                restore_plain_text(k, source);
                restore_plain_text(v, source);
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Kind>::deserialize(deserializer)?;
        let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let reference = spanned.referenced;
        let defined = spanned.defined.span();
        let defined = match (defined.byte_offset(), defined.byte_len()) {
            (Some(start), Some(len)) => usize::try_from(start).ok().zip(usize::try_from(len).ok()),
            _ => None,
        };
        Ok(Node {
            kind: spanned.value,
            span: Span {
                line: to_u32(reference.line()),
                col: to_u32(reference.column()),
            },
            defined,
            borrowed: spanned.referenced != spanned.defined,
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

fn scalar(text: String, ty: ScalarType) -> Kind {
    Kind::Scalar(Scalar { text, ty })
}

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Int))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Int))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Int))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Float))
    }

    fn visit_char<E: de::Error>(self, v: char) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Str))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Ok(scalar(v.to_string(), ScalarType::Str))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Kind, E> {
        Ok(scalar(v, ScalarType::Str))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Kind, E> {
        Ok(scalar(
            String::from_utf8_lossy(v).into_owned(),
            ScalarType::Str,
        ))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(scalar(String::new(), ScalarType::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        Ok(scalar(String::new(), ScalarType::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kind, D::Error> {
        Kind::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kind, D::Error> {
        Kind::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Kind::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Kind::Map(entries))
    }
}
