//! Errors of the case language: where (`origin:line:col`), what, and how to fix it, rendered like
//! rustc so a case author can jump straight to the line.

use std::fmt::{self, Write as _};

/// A position in a case file: 1-based line and column, counted in characters.
///
/// Both are 0 only when the position is truly unknown, which `parse_case` never reports: every
/// error it returns points inside the source it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// The line, from 1.
    pub line: u32,
    /// The column on that line, from 1, in characters.
    pub col: u32,
}

/// A value with the position it was written at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    /// The value, as read.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// One problem in a case file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{}:{}: {kind}", span.line, span.col)]
pub struct SpecError {
    /// The file the source came from, as the caller named it.
    pub origin: String,
    /// Where in that file.
    pub span: Span,
    /// What is wrong.
    pub kind: SpecErrorKind,
}

/// What is wrong. `Display` is the headline; [`SpecErrorKind::label`] and
/// [`SpecErrorKind::help`] fill in the rendered snippet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecErrorKind {
    /// The source is larger than [`MAX_SOURCE_BYTES`](crate::MAX_SOURCE_BYTES).
    #[error("the case file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The source's size, in bytes.
        size: usize,
        /// The largest size accepted, in bytes.
        limit: usize,
    },
    /// The source is not YAML.
    #[error("invalid YAML: {message}")]
    Yaml {
        /// The YAML parser's message.
        message: String,
        /// A fix for a mistake case authors often make, when this looks like one.
        help: Option<&'static str>,
    },
    /// A value of the wrong YAML type (a list where text belongs, ...).
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The type the key takes (`a string`, `a mapping`, ...).
        expected: &'static str,
        /// The type written.
        found: &'static str,
    },
    /// A key the case language does not have in that place.
    #[error("unknown key `{key}` in {place}")]
    UnknownKey {
        /// The key, as written.
        key: String,
        /// Where it was written (`the case`, a step, ...).
        place: &'static str,
        /// The closest allowed key, when one is close enough to be a misspelling.
        suggestion: Option<String>,
        /// Every key allowed there, listed in the help when nothing is close.
        allowed: &'static [&'static str],
    },
    /// A required key is left out.
    #[error("missing required key `{key}` in {place}")]
    MissingKey {
        /// The key.
        key: &'static str,
        /// Where it is missing (`the case`, a step, ...).
        place: &'static str,
    },
    /// A known key where it has no meaning (a request's key on a `wait` step, ...).
    #[error("`{key}` does not apply to {place}")]
    NotApplicable {
        /// The key, as written.
        key: String,
        /// Where it was written.
        place: &'static str,
    },
    /// A step that is not exactly one of a request, a wait or a concurrent group.
    #[error(
        "a step must have exactly one of `action`, `wait` or `concurrent`; this one has {found}"
    )]
    StepKind {
        /// What the step has: `none of them`, or the keys it combines.
        found: String,
    },
    /// A value outside the ones the key takes.
    #[error("invalid {what} `{value}`")]
    InvalidValue {
        /// What the value is (`boolean`, `state`, `parameter`, ...).
        what: &'static str,
        /// The value, as written.
        value: String,
        /// What the key takes, for the label.
        expected: String,
        /// The closest allowed value, when one is close enough to be a misspelling.
        suggestion: Option<String>,
    },
    /// A `${...}` template that does not parse.
    #[error("invalid template: {reason}")]
    Template {
        /// What is wrong with it.
        reason: String,
    },
    /// A template names a variable that is not defined at that point.
    #[error("unknown variable `{root}`")]
    UnknownRoot {
        /// The variable, as written.
        root: String,
        /// The closest name defined there, when one is close enough to be a misspelling.
        suggestion: Option<String>,
        /// Set when a later step captures this name: the usual cause is a step out of order.
        captured_later: Option<String>,
    },
    /// A template names a member its fixture or built-in does not have.
    #[error("`{root}` has no member `{member}`")]
    UnknownMember {
        /// The fixture or built-in.
        root: String,
        /// The member, as written.
        member: String,
        /// The closest member, when one is close enough to be a misspelling.
        suggestion: Option<String>,
        /// Every member it has (empty for a captured variable, which has none).
        allowed: &'static [&'static str],
    },
    /// A response path that does not parse.
    #[error("invalid path `{path}`: {reason}")]
    Path {
        /// The path, as written.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A duration that does not parse or is out of bounds.
    #[error("invalid duration `{value}`: {reason}")]
    Duration {
        /// The duration, as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An HTTP status outside `100..=599`.
    #[error("HTTP status `{value}` is not in 100..=599")]
    Status {
        /// The status, as written.
        value: String,
    },
    /// Two steps of the case share a name.
    #[error("step name `{name}` is used twice")]
    DuplicateName {
        /// The name.
        name: String,
        /// Where it was first used.
        first: Span,
    },
    /// A value written twice in a list that takes each once.
    #[error("{what} `{value}` is listed twice")]
    Duplicate {
        /// What the list holds (`tag`, `fixture`, ...).
        what: &'static str,
        /// The value written twice.
        value: String,
    },
    /// Any other rule of the case language, with its own words.
    #[error("{message}")]
    Invalid {
        /// The headline.
        message: String,
        /// The short text under the caret.
        label: &'static str,
        /// How to fix it, when there is something useful to say.
        help: Option<String>,
    },
}

impl SpecErrorKind {
    /// The short text printed under the caret.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::TooLarge { .. } => "the file starts here".into(),
            Self::Yaml { .. } => "here".into(),
            Self::WrongType { expected, .. } => format!("expected {expected}"),
            Self::UnknownKey { .. } => "unknown key".into(),
            Self::MissingKey { key, .. } => format!("`{key}` is missing here"),
            Self::NotApplicable { .. } => "not allowed here".into(),
            Self::StepKind { .. } => "this step".into(),
            Self::InvalidValue { expected, .. } => format!("expected {expected}"),
            Self::Template { .. } => "in this value".into(),
            Self::UnknownRoot { .. } => "not defined at this point".into(),
            Self::UnknownMember { .. } => "unknown member".into(),
            Self::Path { .. } => "expected `Key.Key[0].Key`".into(),
            Self::Duration { .. } => "expected a duration such as `500ms`, `2s` or `1m`".into(),
            Self::Status { .. } => "expected a status code such as `200` or `403`".into(),
            Self::DuplicateName { first, .. } => {
                format!("first used at line {}", first.line)
            }
            Self::Duplicate { .. } => "second time".into(),
            Self::Invalid { label, .. } => (*label).into(),
        }
    }

    /// How to fix it, when there is something useful to say.
    #[must_use]
    pub fn help(&self) -> Option<String> {
        match self {
            Self::TooLarge { .. } => Some("split the scenario into several case files".into()),
            Self::Yaml { help, .. } => help.map(Into::into),
            Self::WrongType { expected, found } => match (*expected, *found) {
                (_, "null") => Some(
                    "write `\"\"` for an empty string; to leave a setting unset, leave the key out"
                        .into(),
                ),
                ("a mapping", _) => Some("write `key: value` pairs indented under the key".into()),
                ("a string", "a sequence" | "a mapping") => Some(
                    "values are sent as text: quote it (`\"[a, b]\"`) to send the brackets as written"
                        .into(),
                ),
                _ => None,
            },
            Self::UnknownKey {
                suggestion, allowed, ..
            } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("allowed keys: {}", quoted_list(allowed)),
            }),
            Self::MissingKey { key, .. } => Some(format!("add `{key}: ...`")),
            Self::NotApplicable { .. } => None,
            Self::StepKind { .. } => Some(
                "split it into separate steps; to send a request without `Action`, \
                 leave `action` out and write `omit: [Action]`"
                    .into(),
            ),
            Self::InvalidValue { suggestion, .. } => {
                suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
            }
            Self::Template { .. } => Some(
                "write `${name}`, `${fixture.member}`, `${fixture.host(N)}` or `${name+N}`; \
                 write `$$` for a literal `$`"
                    .into(),
            ),
            Self::UnknownRoot {
                suggestion,
                captured_later,
                ..
            } => match (captured_later, suggestion) {
                (Some(step), _) => Some(format!(
                    "it is captured later, by step `{step}`; a value can only be used after the step that captures it"
                )),
                (None, Some(s)) => Some(format!("did you mean `{s}`?")),
                (None, None) => Some(
                    "use a fixture listed in `uses`, a variable captured by an earlier step, \
                     or `region`, `unique`, `limits`"
                        .into(),
                ),
            },
            Self::UnknownMember {
                suggestion, allowed, ..
            } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None if allowed.is_empty() => "a captured variable has no members".into(),
                None => format!("members: {}", quoted_list(allowed)),
            }),
            Self::Path { .. } => Some(
                "a path is keys separated by `.`, each optionally followed by an index `[N]`".into(),
            ),
            Self::Duration { .. } => {
                Some("write a whole number of `ms`, `s` or `m`, at most `1h` in total".into())
            }
            Self::Status { .. } => None,
            Self::DuplicateName { .. } => Some("give each step its own `name`".into()),
            Self::Duplicate { .. } => Some("remove one of them".into()),
            Self::Invalid { help, .. } => help.clone(),
        }
    }
}

fn quoted_list(items: &[&str]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "`{item}`");
    }
    out
}

impl SpecError {
    /// Renders the error the way rustc does, with the offending line of `source` (the text the
    /// error came from) and a caret under the position.
    #[must_use]
    pub fn render(&self, source: &str) -> String {
        let mut out = format!("error: {}\n", self.kind);
        let line_text = if self.span.line == 0 {
            None
        } else {
            source_line(source, self.span.line)
        };
        let Some(line_text) = line_text else {
            let _ = writeln!(out, " --> {}", self.origin);
            if let Some(help) = self.kind.help() {
                let _ = writeln!(out, "  = help: {help}");
            }
            return out;
        };
        let number = self.span.line.to_string();
        let pad = " ".repeat(number.len());
        let _ = writeln!(
            out,
            "{pad}--> {}:{}:{}",
            self.origin, self.span.line, self.span.col
        );
        let _ = writeln!(out, "{pad} |");
        let (shown, caret) = display_line(line_text, self.span.col);
        let _ = writeln!(out, "{number} | {shown}");
        let _ = writeln!(out, "{pad} | {}^ {}", " ".repeat(caret), self.kind.label());
        if let Some(help) = self.kind.help() {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

impl Span {
    /// The position of nothing in particular.
    pub const UNKNOWN: Span = Span { line: 0, col: 0 };

    /// Whether this span names a real position in `source`: a line that exists and a column at
    /// most one past its last character (where an "unexpected end" points).
    #[must_use]
    pub fn is_in_bounds(&self, source: &str) -> bool {
        if self.line == 0 || self.col == 0 {
            return false;
        }
        match source_line(source, self.line) {
            Some(text) => self.col as usize <= char_count(text) + 1,
            None => false,
        }
    }
}

/// Byte offsets to spans, fast enough for a fuzzed megabyte of `${...}`: line starts are found
/// by binary search, and columns are counted on from the previous answer when it was on the same
/// line and earlier (holes are looked up in file order).
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl LineIndex {
    pub(crate) fn new(source: &str) -> LineIndex {
        let bytes = source.as_bytes();
        let mut starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\n' => starts.push(i + 1),
                // `\r\n` is one break, counted at the `\n`.
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        LineIndex {
            starts,
            last: std::cell::Cell::new((0, 0, 1)),
        }
    }

    /// Line `line` (1-based) of `source`, without its line break; O(1).
    fn line_text<'s>(&self, source: &'s str, line: usize) -> Option<&'s str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = match self.starts.get(line) {
            Some(&next) => {
                let bytes = source.as_bytes();
                let mut end = next - 1;
                if bytes.get(end) == Some(&b'\n')
                    && end > start
                    && bytes.get(end - 1) == Some(&b'\r')
                {
                    end -= 1;
                }
                end
            }
            None => source.len(),
        };
        source.get(start..end)
    }

    /// The nearest in-bounds span: the given line and column when they exist, else the end of
    /// the line, else the end of the source.
    pub(crate) fn clamp(&self, source: &str, span: Span) -> Span {
        let lines = self.starts.len().max(1);
        let line = usize::try_from(span.line)
            .unwrap_or(usize::MAX)
            .clamp(1, lines);
        let text = self.line_text(source, line).unwrap_or("");
        let max_col = char_count(text) + 1;
        let col = usize::try_from(span.col)
            .unwrap_or(usize::MAX)
            .clamp(1, max_col);
        Span {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }

    /// The span of byte `offset` of `source` (clamped to the source).
    pub(crate) fn span(&self, source: &str, offset: usize) -> Span {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let (last_start, last_offset, last_col) = self.last.get();
        let col = if last_start == start && last_offset <= offset {
            last_col + source[last_offset..offset].chars().count()
        } else {
            source[start..offset].chars().count() + 1
        };
        self.last.set((start, offset, col));
        Span {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }
}

/// Characters in `text`; the ASCII check is one fast pass, which matters on megabyte lines.
fn char_count(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// Lines as YAML counts them: broken at `\n`, `\r\n` or a lone `\r`.
fn lines(source: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(source);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\n', '\r']) {
            Some(i) => {
                let skip = if text[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[i + skip..]);
                Some(&text[..i])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

fn source_line(source: &str, line: u32) -> Option<&str> {
    lines(source).nth(usize::try_from(line).ok()?.checked_sub(1)?)
}

/// The line as printed (tabs widened, control characters replaced so they cannot corrupt a
/// terminal) and the caret's offset in printed columns.
fn display_line(text: &str, col: u32) -> (String, usize) {
    let mut shown = String::new();
    let mut caret = 0;
    let col = usize::try_from(col).unwrap_or(usize::MAX).max(1);
    let mut count = 0;
    for (i, c) in text.chars().enumerate() {
        if i + 1 == col {
            caret = shown.chars().count();
        }
        match c {
            '\t' => shown.push_str("    "),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                shown.push('\u{fffd}');
            }
            c => shown.push(c),
        }
        count = i + 1;
    }
    if col > count {
        caret = shown.chars().count() + (col - count - 1);
    }
    (shown.trim_end().to_string(), caret)
}

/// The closest of `candidates` to `input`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate.eq_ignore_ascii_case(input) {
            return Some(candidate.to_string());
        }
        let distance = strsim::damerau_levenshtein(input, candidate);
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let (distance, candidate) = best?;
    // A third of the length tolerates one typo in short words and a few in long ones, without
    // suggesting an unrelated word.
    let limit = (input.chars().count().max(candidate.chars().count()) / 3).max(1);
    (distance <= limit).then(|| candidate.to_string())
}
