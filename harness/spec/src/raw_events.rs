//! The YAML layer's fast path: the raw tree built straight from the YAML parser's events, for
//! YAML written the plain way case files are. serde-saphyr stays the one definition of what a
//! file means: this path gives up (`None`) on anything it does not read exactly as serde-saphyr
//! does (anchors, aliases, merge keys, tags, directives, several documents, multi-line plain
//! scalars, plain scalars that might be numbers or special words other than plain decimal
//! integers, duplicate keys, any error, anything near a budget), and [`crate::raw::parse`] then
//! parses the file with serde-saphyr, errors, budgets and typing included.
//!
//! Why: going through serde's `Spanned` values costs as much again as the parse itself; a
//! 1,000-step case file took 15 ms of a 0.2 s run to load, a tenth of the runner's time against
//! a fast endpoint. The tests hold the two paths to the same tree on every case file we ship.

use std::collections::HashSet;

use granit_parser::{Event, Parser, ScalarStyle, StrInput};

use crate::error::Span;
use crate::raw::{Kind, Node, Scalar, ScalarType};

/// Limits well inside serde-saphyr's budgets (`raw::parse`): a file near one goes the slow way
/// and meets the budget's own error there.
const MAX_DEPTH: usize = 30;
const MAX_EVENTS: usize = 40_000;
const MAX_SCALAR_BYTES: usize = 3 << 20;

/// The tree of `source` when it is plain YAML that this path reads exactly as serde-saphyr
/// would; `None` otherwise.
pub(crate) fn tree(source: &str) -> Option<Node> {
    // serde-saphyr's parser settings for our budget (its `Budget::parser_options`): the same
    // scanner limits, so that this path never accepts what that one's scanner refuses.
    let options = granit_parser::options! {
        simple_key_max_lookahead: 1024,
        flow_nesting_limit: 255,
        block_nesting_limit: 255,
        max_buffered_comment_events: 32,
    };
    let mut reader = Reader {
        parser: Parser::new_from_str_with_options(source, options),
        source,
        events: 0,
        scalar_bytes: 0,
    };
    if !matches!(reader.next()?, (Event::StreamStart, _)) {
        return None;
    }
    // A `%YAML` directive gives a version: the slow path decides what it means.
    if !matches!(reader.next()?, (Event::DocumentStart(_, None), _)) {
        return None;
    }
    let first = reader.next()?;
    let root = reader.node(first, 0)?;
    if !matches!(reader.next()?, (Event::DocumentEnd, _)) {
        return None;
    }
    if !matches!(reader.next()?, (Event::StreamEnd, _)) {
        return None;
    }
    Some(root)
}

struct Reader<'s> {
    parser: Parser<'s, StrInput<'s>>,
    source: &'s str,
    events: usize,
    scalar_bytes: usize,
}

type Spanned<'s> = (Event<'s>, granit_parser::Span);

impl<'s> Reader<'s> {
    /// The next event that is not a comment; `None` on an error or past the limits.
    fn next(&mut self) -> Option<Spanned<'s>> {
        loop {
            let (event, span) = self.parser.next()?.ok()?;
            self.events += 1;
            if self.events > MAX_EVENTS {
                return None;
            }
            if !matches!(event, Event::Comment(..)) {
                return Some((event, span));
            }
        }
    }

    /// The node that starts with `event`, read to its end.
    fn node(&mut self, (event, span): Spanned<'s>, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let kind = match event {
            Event::Scalar(value, style, 0, None) => Kind::Scalar(self.scalar(&value, style, span)?),
            Event::SequenceStart(_, 0, None) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        item => items.push(self.node(item, depth + 1)?),
                    }
                }
                Kind::Seq(items)
            }
            Event::MappingStart(_, 0, None) => {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                let mut keys = HashSet::new();
                loop {
                    let key = match self.next()? {
                        (Event::MappingEnd, _) => break,
                        key @ (Event::Scalar(..), _) => self.node(key, depth + 1)?,
                        // A sequence or a mapping as a key.
                        _ => return None,
                    };
                    let Kind::Scalar(text) = &key.kind else {
                        return None;
                    };
                    // A merge key, or a key serde-saphyr may call a duplicate.
                    if text.text == "<<" || !keys.insert(text.text.clone()) {
                        return None;
                    }
                    let value = self.next()?;
                    let value = self.node(value, depth + 1)?;
                    entries.push((key, value));
                }
                Kind::Map(entries)
            }
            // An alias, an anchor or a tag.
            _ => return None,
        };
        Some(node(kind, span))
    }

    fn scalar(
        &mut self,
        value: &str,
        style: ScalarStyle,
        span: granit_parser::Span,
    ) -> Option<Scalar> {
        self.scalar_bytes += value.len();
        if self.scalar_bytes > MAX_SCALAR_BYTES {
            return None;
        }
        if style != ScalarStyle::Plain {
            return Some(Scalar {
                text: value.to_owned(),
                ty: ScalarType::Str,
            });
        }
        // A plain scalar is kept as spelled (`raw::restore_plain_text`): read here only where
        // the spelling is the value, on one line.
        let spelled = span.slice(self.source)?;
        // A value left out (`key:`) comes as `~` spelled nowhere.
        let omitted = spelled.is_empty() && value == "~";
        if spelled != value && !omitted {
            return None;
        }
        let ty = plain_type(value)?;
        let text = if ty == ScalarType::Null {
            String::new()
        } else {
            value.to_owned()
        };
        Some(Scalar { text, ty })
    }
}

/// How serde-saphyr types a plain scalar under `raw::parse`'s options, for the spellings this
/// path is sure of; `None` for every other.
fn plain_type(value: &str) -> Option<ScalarType> {
    match value {
        "" | "~" | "null" => return Some(ScalarType::Null),
        "true" => return Some(ScalarType::Bool(true)),
        "false" => return Some(ScalarType::Bool(false)),
        _ => {}
    }
    let digits = value.strip_prefix('-').unwrap_or(value);
    let decimal = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if decimal && value != "-0" {
        return Some(ScalarType::Int);
    }
    // Words some YAML schemas read as booleans, nulls or floats, in any case.
    const SPECIAL: [&str; 14] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf", "infinity",
        "none", "nil",
    ];
    let first = value.bytes().next()?;
    let wordlike = first.is_ascii_alphabetic() || first == b'$' || first == b'/';
    let special = SPECIAL.iter().any(|word| value.eq_ignore_ascii_case(word));
    // Starting with a digit, but holding a byte no number of any YAML schema is spelled with
    // (`5s`, `192.168.0.0/28`), or two dots (`256.1.1.1`).
    let not_a_number = first.is_ascii_digit()
        && (value.bytes().any(|b| !is_number_byte(b)) || value.matches('.').count() >= 2);
    ((wordlike && !special || not_a_number) && value.is_ascii()).then_some(ScalarType::Str)
}

/// A byte of some YAML schema's number spelling: decimal, hex, octal, binary, underscores,
/// exponents, signs, `.inf`/`.nan`, and YAML 1.1's base-60 colons.
fn is_number_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || b"._+-:xXoObBiInN".contains(&b)
}

fn node(kind: Kind, span: granit_parser::Span) -> Node {
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let start = span.start;
    let defined = start
        .byte_offset()
        .zip(span.end.byte_offset())
        .map(|(from, to)| (from, to.saturating_sub(from)));
    Node {
        kind,
        span: Span {
            line: to_u32(start.line()),
            col: to_u32(start.col() + 1),
        },
        defined,
        borrowed: false,
    }
}

/// Whether the two readings of `source` agree: wherever this path reads a tree, serde-saphyr
/// reads the same one. For the fuzz targets, which hold every input they make to it; `false`
/// is a bug in this crate.
#[doc(hidden)]
pub fn yaml_readings_agree(source: &str) -> bool {
    match tree(source) {
        None => true,
        Some(fast) => crate::raw::parse_with_serde(source).is_ok_and(|slow| slow == fast),
    }
}
