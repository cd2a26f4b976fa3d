//! From the node tree to a [`Case`]: every key checked against the keys allowed at its place,
//! every value against its grammar, every `${...}` against what is defined at that point.
//!
//! Errors are collected, not returned at the first one, so an author fixes a file in one pass.
//! Each check returns `Option`: `None` means "reported, keep going".

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::error::{LineIndex, Span, Spanned, SpecError, SpecErrorKind, did_you_mean};
use crate::raw::{self, Kind, Node, ScalarType};
use crate::template::is_root_name;
use crate::{
    BUILTIN_ROOTS, Case, ENI_STATUSES, EmulatorKnobs, Expect, FIXTURE_MEMBERS, FieldMatch, Format,
    Item, LIMITS_MEMBERS, MAX_SOURCE_BYTES, Method, OMITTABLE_PARAMS, PageBy, Paginate, Path, Poll,
    RACE_GONE, Race, RaceOn, Send, Signing, Step, TASK_ENDED, TASK_RUNNING, Template, duration,
};

const CASE_KEYS: &[&str] = &[
    "id",
    "title",
    "tags",
    "uses",
    "exclusive",
    "checks",
    "snapshot",
    "format",
    "signing",
    "emulator",
    "setup",
    "steps",
    "teardown",
];
const CHECKS_KEYS: &[&str] = &["disable"];
const EMULATOR_KEYS: &[&str] = &["task_duration", "async_delay"];
const STEP_KEYS: &[&str] = &[
    "name",
    "action",
    "method",
    "format",
    "signing",
    "params",
    "pairs",
    "raw_query",
    "omit",
    "corrupt_signature",
    "expect",
    "capture",
    "poll",
    "paginate",
    "race",
    "wait",
    "concurrent",
];
const EXPECT_KEYS: &[&str] = &[
    "status",
    "code",
    "message_contains",
    "fields",
    "absent",
    "assigned",
    "assigned_count",
    "count",
    "contains",
];
const COUNT_KEYS: &[&str] = &["path", "equals"];
const PAGINATE_KEYS: &[&str] = &["token", "page", "list"];
const POLL_KEYS: &[&str] = &["until", "interval", "timeout"];
const RACE_KEYS: &[&str] = &["status_of", "task_on", "when"];

const FORMATS: &[(&str, Format)] = &[("JSON", Format::Json), ("XML", Format::Xml)];
const SIGNINGS: &[(&str, Signing)] = &[
    ("v1", Signing::V1),
    ("v3", Signing::V3),
    ("none", Signing::None),
];
const METHODS: &[(&str, Method)] = &[("GET", Method::Get), ("POST", Method::Post)];

/// Parses and validates one case file. `origin` names the file in error messages.
///
/// Returns every error found (sorted by position), not just the first, except that a file that
/// is not valid YAML reports only its first YAML error. Never panics, whatever the input.
pub fn parse_case(source: &str, origin: &str) -> Result<Case, Vec<SpecError>> {
    let mut v = Validator {
        source,
        origin,
        lines: LineIndex::new(if source.len() > MAX_SOURCE_BYTES {
            ""
        } else {
            source
        }),
        errors: Vec::new(),
    };
    let case = if source.len() > MAX_SOURCE_BYTES {
        v.error(
            Span { line: 1, col: 1 },
            SpecErrorKind::TooLarge {
                size: source.len(),
                limit: MAX_SOURCE_BYTES,
            },
        );
        None
    } else {
        match raw::parse(source) {
            Ok(root) => v.case(&root),
            Err(e) => {
                // Inside `[...]` and `{...}`, `[`, `]`, `{`, `}` and `,` end a plain value, so
                // `[${eni}]` and `{ path: A[0].B }` break: the commonest YAML error in case files,
                // and the parser's message does not say so.
                let help = if e.help.is_none() && e.message.contains("flow") {
                    Some(
                        "inside `[...]` or `{...}`, quote values that contain `${`, `[`, `]`, `{`, `}` or `,`: \
                         `[\"${eni}\"]`, `{ path: \"A[0].B\" }`",
                    )
                } else {
                    e.help
                };
                v.error(
                    e.span,
                    SpecErrorKind::Yaml {
                        message: e.message,
                        help,
                    },
                );
                None
            }
        }
    };
    match case {
        Some(case) if v.errors.is_empty() => Ok(case),
        _ => {
            let mut errors = std::mem::take(&mut v.errors);
            for e in &mut errors {
                e.span = v.lines.clamp(source, e.span);
            }
            errors.sort_by_key(|e| e.span);
            Err(errors)
        }
    }
}

struct Validator<'s> {
    source: &'s str,
    origin: &'s str,
    lines: LineIndex,
    errors: Vec<SpecError>,
}

/// Past this many errors the rest are dropped: nobody reads the 101st, and the cap bounds the work
/// (suggestions, rendering) a fuzzed input can cause.
const MAX_ERRORS: usize = 100;

/// The known keys of one mapping, after unknown ones were reported.
struct Fields<'n> {
    span: Span,
    entries: Vec<(&'static str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| k.span)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// Two keys of one mapping of which exactly one must be given, and how to say so when not.
struct OneOf {
    /// The mapping, as its messages name it (`` `race` ``).
    place: &'static str,
    /// What the mapping does with the key: "`race` reads `status_of` or `task_on`, not both".
    verb: &'static str,
    keys: [&'static str; 2],
    both_label: &'static str,
    neither_label: &'static str,
    /// How the two keys are used, the help of both errors.
    how: &'static str,
}

/// What happens in which order, to check each `${...}` against what exists when it runs.
struct StepRef<'c> {
    sends: Vec<&'c Send>,
}

impl Validator<'_> {
    fn error(&mut self, span: Span, kind: SpecErrorKind) {
        if self.full() {
            return;
        }
        self.errors.push(SpecError {
            origin: self.origin.to_string(),
            span,
            kind,
        });
    }

    fn full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    fn invalid(&mut self, span: Span, message: String, label: &'static str, help: Option<String>) {
        self.error(
            span,
            SpecErrorKind::Invalid {
                message,
                label,
                help,
            },
        );
    }

    fn wrong_type(&mut self, node: &Node, expected: &'static str) {
        self.error(
            node.span,
            SpecErrorKind::WrongType {
                expected,
                found: node.describe(),
            },
        );
    }

    // ---- shapes -------------------------------------------------------------------------

    /// The one key of `one` the mapping gives, its value read by `parse` and wrapped by the
    /// constructor of the same position in `wrap`; both or neither is reported (and is `None`).
    fn one_of<V, T>(
        &mut self,
        f: &Fields<'_>,
        one: OneOf,
        parse: impl FnOnce(&mut Self, &Node) -> Option<V>,
        wrap: [fn(V) -> T; 2],
    ) -> Option<T> {
        let [first, second] = one.keys;
        let [wrap_first, wrap_second] = wrap;
        let place = one.place;
        match (f.get(first), f.get(second)) {
            (Some(n), None) => parse(self, n).map(wrap_first),
            (None, Some(n)) => parse(self, n).map(wrap_second),
            (Some(_), Some(_)) => {
                self.invalid(
                    f.key_span(second).unwrap_or(f.span),
                    format!("{place} {} `{first}` or `{second}`, not both", one.verb),
                    one.both_label,
                    Some(one.how.into()),
                );
                None
            }
            (None, None) => {
                self.invalid(
                    f.span,
                    format!("{place} needs `{first}` or `{second}`"),
                    one.neither_label,
                    Some(one.how.into()),
                );
                None
            }
        }
    }

    /// A mapping whose keys must come from `allowed`.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        place: &'static str,
        allowed: &'static [&'static str],
    ) -> Option<Fields<'n>> {
        let Kind::Map(entries) = &node.kind else {
            self.wrong_type(node, "a mapping");
            return None;
        };
        let mut fields = Fields {
            span: node.span,
            entries: Vec::new(),
        };
        for (key, value) in entries {
            let Some(name) = self.key_text(key) else {
                continue;
            };
            match allowed.iter().find(|k| **k == name) {
                Some(known) => fields.entries.push((known, key, value)),
                None => self.error(
                    key.span,
                    SpecErrorKind::UnknownKey {
                        suggestion: did_you_mean(name, allowed.iter().copied()),
                        key: name.to_string(),
                        place,
                        allowed,
                    },
                ),
            }
        }
        Some(fields)
    }

    fn key_text<'n>(&mut self, key: &'n Node) -> Option<&'n str> {
        match &key.kind {
            Kind::Scalar(s) if s.ty != ScalarType::Null => Some(&s.text),
            _ => {
                self.invalid(
                    key.span,
                    format!("a key must be a string, found {}", key.describe()),
                    "this key",
                    Some("quote the key, e.g. `\"~\": value`".into()),
                );
                None
            }
        }
    }

    fn require<'n>(
        &mut self,
        fields: &Fields<'n>,
        key: &'static str,
        place: &'static str,
    ) -> Option<&'n Node> {
        let node = fields.get(key);
        if node.is_none() {
            self.error(fields.span, SpecErrorKind::MissingKey { key, place });
        }
        node
    }

    fn seq<'n>(&mut self, node: &'n Node) -> Option<&'n [Node]> {
        match &node.kind {
            Kind::Seq(items) => Some(items),
            _ => {
                self.wrong_type(node, "a list");
                None
            }
        }
    }

    /// A scalar, or a list of them: `code: X` or `code: [X, Y]`.
    fn one_or_many<'n>(&mut self, node: &'n Node) -> Vec<&'n Node> {
        match &node.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        }
    }

    /// Any scalar, as the text the author wrote.
    fn string(&mut self, node: &Node) -> Option<String> {
        match &node.kind {
            Kind::Scalar(s) if s.ty != ScalarType::Null => Some(s.text.clone()),
            _ => {
                self.wrong_type(node, "a string");
                None
            }
        }
    }

    fn bool(&mut self, node: &Node) -> Option<bool> {
        match &node.kind {
            Kind::Scalar(s) if matches!(s.ty, ScalarType::Bool(_)) => match s.ty {
                ScalarType::Bool(b) => Some(b),
                _ => None,
            },
            Kind::Scalar(s) if s.ty != ScalarType::Null => {
                self.error(
                    node.span,
                    SpecErrorKind::InvalidValue {
                        what: "boolean",
                        value: s.text.clone(),
                        expected: "`true` or `false`".into(),
                        suggestion: did_you_mean(&s.text, ["true", "false"]),
                    },
                );
                None
            }
            _ => {
                self.wrong_type(node, "`true` or `false`");
                None
            }
        }
    }

    /// A whole number written in decimal (`3`, not `0x3` or `3.0`).
    fn number<T: std::str::FromStr>(&mut self, node: &Node, what: &'static str) -> Option<T> {
        let text = self.string(node)?;
        let parsed = (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten();
        if parsed.is_none() {
            self.error(
                node.span,
                SpecErrorKind::InvalidValue {
                    what,
                    value: text,
                    expected: "a whole number".into(),
                    suggestion: None,
                },
            );
        }
        parsed
    }

    /// A string that must match a pattern (names, ids, tags).
    fn named(
        &mut self,
        node: &Node,
        what: &'static str,
        expected: &'static str,
        ok: fn(&str) -> bool,
    ) -> Option<String> {
        let text = self.string(node)?;
        if ok(&text) {
            Some(text)
        } else {
            self.error(
                node.span,
                SpecErrorKind::InvalidValue {
                    what,
                    value: text,
                    expected: expected.into(),
                    suggestion: None,
                },
            );
            None
        }
    }

    fn choice<T: Copy>(
        &mut self,
        node: &Node,
        what: &'static str,
        options: &[(&'static str, T)],
    ) -> Option<T> {
        let text = self.string(node)?;
        if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        self.error(
            node.span,
            SpecErrorKind::InvalidValue {
                what,
                suggestion: did_you_mean(&text, names.iter().copied()),
                value: text,
                expected: names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" or "),
            },
        );
        None
    }

    fn duration(&mut self, node: &Node) -> Option<Duration> {
        let text = self.string(node)?;
        match duration::parse_duration(&text) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.error(
                    node.span,
                    SpecErrorKind::Duration {
                        value: text,
                        reason,
                    },
                );
                None
            }
        }
    }

    fn path_text(&mut self, text: &str, span: Span) -> Option<Path> {
        match Path::parse(text) {
            Ok(p) => Some(p),
            Err(reason) => {
                self.error(
                    span,
                    SpecErrorKind::Path {
                        path: text.to_string(),
                        reason,
                    },
                );
                None
            }
        }
    }

    fn path(&mut self, node: &Node) -> Option<Path> {
        let text = self.string(node)?;
        self.path_text(&text, node.span)
    }

    /// Where a scalar's value starts in the file, when the value is spelled verbatim there
    /// (plain, or quoted without escapes), so an offset into the value is an offset into the file.
    fn verbatim_start(&self, node: &Node, text: &str) -> Option<usize> {
        if node.borrowed {
            return None;
        }
        let (raw, start) = (node.raw(self.source)?, node.start()?);
        if raw == text {
            Some(start)
        } else if raw.len() >= 2 && raw.get(1..raw.len() - 1) == Some(text) {
            Some(start + 1)
        } else {
            None
        }
    }

    /// The span of byte `offset` of a scalar's value: exact when the value is verbatim in the
    /// file, else the scalar's start.
    fn span_in(&self, node: &Node, base: Option<usize>, offset: usize) -> Span {
        match base {
            Some(base) => self.lines.span(self.source, base + offset),
            None => node.span,
        }
    }

    fn template(&mut self, node: &Node) -> Option<Template> {
        let text = self.string(node)?;
        let base = self.verbatim_start(node, &text);
        match Template::parse(&text) {
            Ok(mut t) => {
                let offsets = hole_offsets(&text);
                for (expr, offset) in t.exprs_mut().zip(offsets) {
                    expr.span = self.span_in(node, base, offset);
                }
                Some(t)
            }
            Err(e) => {
                let span = self.span_in(node, base, e.offset);
                self.error(span, SpecErrorKind::Template { reason: e.reason });
                None
            }
        }
    }

    /// A mapping of path to template (`fields`, `until`).
    fn path_templates(&mut self, node: &Node) -> Vec<(Path, Template)> {
        self.path_map(node, "a mapping of path to value", |v, value, _| {
            v.template(value)
        })
    }

    /// A mapping keyed by response paths, each value read by `read` (which is given the key's
    /// path, if it is one, for its messages); an entry with either half wrong is left out.
    fn path_map<T>(
        &mut self,
        node: &Node,
        expected: &'static str,
        read: impl FnMut(&mut Self, &Node, Option<&Path>) -> Option<T>,
    ) -> Vec<(Path, T)> {
        let Kind::Map(entries) = &node.kind else {
            self.wrong_type(node, expected);
            return Vec::new();
        };
        self.path_entries(entries, read)
    }

    /// The entries of a mapping keyed by response paths, as [`Self::path_map`] reads them.
    fn path_entries<T>(
        &mut self,
        entries: &[(Node, Node)],
        mut read: impl FnMut(&mut Self, &Node, Option<&Path>) -> Option<T>,
    ) -> Vec<(Path, T)> {
        let mut out = Vec::new();
        for (key, value) in entries {
            let path = self
                .key_text(key)
                .map(str::to_string)
                .and_then(|k| self.path_text(&k, key.span));
            let read = read(self, value, path.as_ref());
            if let (Some(p), Some(r)) = (path, read) {
                out.push((p, r));
            }
        }
        out
    }

    // ---- the case -----------------------------------------------------------------------

    fn case(&mut self, root: &Node) -> Option<Case> {
        if matches!(&root.kind, Kind::Scalar(s) if s.ty == ScalarType::Null) {
            self.invalid(
                root.span,
                "the case file is empty".into(),
                "expected a case here",
                Some("a case needs at least `id`, `title` and `steps`".into()),
            );
            return None;
        }
        let f = self.fields(root, "the case", CASE_KEYS)?;
        let id = self.require(&f, "id", "the case").and_then(|n| {
            self.named(
                n,
                "case id",
                "lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit",
                |s| {
                    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && s.chars().all(|c| {
                            c.is_ascii_lowercase()
                                || c.is_ascii_digit()
                                || matches!(c, '.' | '_' | '-')
                        })
                },
            )
        });
        let title = self.require(&f, "title", "the case").and_then(|n| {
            let t = self.string(n)?;
            if t.trim().is_empty() {
                self.invalid(
                    n.span,
                    "the title is empty".into(),
                    "here",
                    Some("say in a few words what the case checks".into()),
                );
                return None;
            }
            Some(t)
        });
        let tags = self.name_list(
            f.get("tags"),
            "tag",
            "lower-case letters, digits and `-`",
            |s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            },
        );
        let uses = self.fixture_names(f.get("uses"));
        if let Some(n) = f.get("uses")
            && let Kind::Seq(items) = &n.kind
        {
            for (item, name) in items.iter().zip(&uses) {
                if BUILTIN_ROOTS.contains(&name.value.as_str()) {
                    self.invalid(
                        item.span,
                        format!("`{}` is built in, not a fixture", name.value),
                        "built in",
                        Some(format!(
                            "remove it from `uses`; `${{{}}}` is always available",
                            name.value
                        )),
                    );
                }
            }
        }
        let exclusive = self.fixture_names(f.get("exclusive"));
        // A fixture held to itself must be one the case uses: anything else is a typo or a
        // leftover, and would hold nothing.
        for name in &exclusive {
            if !uses.iter().any(|used| used.value == name.value) {
                let listed: Vec<&str> = uses.iter().map(|used| used.value.as_str()).collect();
                let help = match did_you_mean(&name.value, listed.iter().copied()) {
                    Some(close) => format!(
                        "did you mean `{close}`? `exclusive` names fixtures listed in `uses`"
                    ),
                    None => format!(
                        "add `{}` to `uses`, or remove it from `exclusive`: a case holds to itself only fixtures it uses",
                        name.value
                    ),
                };
                self.invalid(
                    name.span,
                    format!("`{}` is in `exclusive` but not in `uses`", name.value),
                    "not in `uses`",
                    Some(help),
                );
            }
        }
        let disabled_checks = match f.get("checks") {
            Some(n) => match self.fields(n, "`checks`", CHECKS_KEYS) {
                Some(c) => self.name_list(
                    c.get("disable"),
                    "check",
                    "lower-case letters, digits and `_`",
                    |s| {
                        !s.is_empty()
                            && s.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    },
                ),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        let snapshot = f.get("snapshot").and_then(|n| self.bool(n)).unwrap_or(true);
        let format = f
            .get("format")
            .and_then(|n| self.choice(n, "format", FORMATS));
        let signing = f
            .get("signing")
            .and_then(|n| self.choice(n, "signing", SIGNINGS));
        let emulator = match f.get("emulator") {
            Some(n) => match self.fields(n, "`emulator`", EMULATOR_KEYS) {
                Some(e) => EmulatorKnobs {
                    task_duration: e.get("task_duration").and_then(|n| self.duration(n)),
                    async_delay: e.get("async_delay").and_then(|n| self.duration(n)),
                },
                None => EmulatorKnobs::default(),
            },
            None => EmulatorKnobs::default(),
        };
        let setup = self.section(f.get("setup"), "setup");
        let steps_node = self.require(&f, "steps", "the case");
        for tag in &tags {
            if let Some(contract) = tag.value.strip_prefix("requires-contract-")
                && !matches!(contract, "seed" | "current")
            {
                self.invalid(
                    tag.span,
                    format!("unknown contract `{contract}` in the tag `{}`", tag.value),
                    "this tag",
                    Some("write `requires-contract-seed` or `requires-contract-current`; a case about IPv4 prefixes says `prefix` instead".into()),
                );
            }
        }
        let steps = self.section(steps_node, "steps");
        if let Some(n) = steps_node
            && matches!(&n.kind, Kind::Seq(items) if items.is_empty())
        {
            self.invalid(
                n.span,
                "`steps` is empty".into(),
                "no steps",
                Some("a case needs at least one step".into()),
            );
        }
        let teardown = self.section(f.get("teardown"), "teardown");

        // Build the case even when `id` or `title` is bad, so the whole-case checks below
        // still run and report in the same pass; the errors decide the result.
        let case = Case {
            id: id.unwrap_or_default(),
            title: title.unwrap_or_default(),
            tags: tags.into_iter().map(|t| t.value).collect(),
            uses: uses.into_iter().map(|u| u.value).collect(),
            exclusive: exclusive.into_iter().map(|u| u.value).collect(),
            disabled_checks,
            snapshot,
            format,
            signing,
            emulator,
            setup,
            steps,
            teardown,
            origin: self.origin.to_string(),
        };
        self.check_names(&case);
        self.check_scopes(&case);
        self.check_races(&case);
        Some(case)
    }

    /// A list of names matching a pattern, each listed once.
    /// A list of fixture names (`uses`, `exclusive`).
    fn fixture_names(&mut self, node: Option<&Node>) -> Vec<Spanned<String>> {
        self.name_list(
            node,
            "fixture",
            "lower-case letters, digits and `_`, not starting with a digit",
            |s| {
                s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            },
        )
    }

    fn name_list(
        &mut self,
        node: Option<&Node>,
        what: &'static str,
        expected: &'static str,
        ok: fn(&str) -> bool,
    ) -> Vec<Spanned<String>> {
        let Some(items) = node.and_then(|n| self.seq(n)) else {
            return Vec::new();
        };
        let mut out: Vec<Spanned<String>> = Vec::new();
        let mut seen = HashSet::new();
        for item in items {
            let Some(name) = self.named(item, what, expected, ok) else {
                continue;
            };
            if !seen.insert(name.clone()) {
                self.error(item.span, SpecErrorKind::Duplicate { what, value: name });
                continue;
            }
            out.push(Spanned {
                value: name,
                span: item.span,
            });
        }
        out
    }

    // ---- steps --------------------------------------------------------------------------

    fn section(&mut self, node: Option<&Node>, section: &'static str) -> Vec<Step> {
        let Some(items) = node.and_then(|n| self.seq(n)) else {
            return Vec::new();
        };
        let mut steps = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let default_name = format!("{section}-{}", i + 1);
            if let Some(step) = self.step(item, &default_name, false) {
                steps.push(step);
            }
        }
        steps
    }

    fn step(&mut self, node: &Node, default_name: &str, in_group: bool) -> Option<Step> {
        let f = self.fields(node, "a step", STEP_KEYS)?;
        let kinds: Vec<&str> = ["action", "wait", "concurrent"]
            .into_iter()
            .filter(|k| f.has(k))
            .collect();
        let omits_action = f.get("omit").is_some_and(|n| {
            matches!(&n.kind, Kind::Seq(items) if items.iter().any(|i| matches!(&i.kind, Kind::Scalar(s) if s.text == "Action")))
        });
        match kinds.as_slice() {
            ["wait"] => {
                let node = self.lone_key(&f, "wait", "a `wait` step", in_group)?;
                if matches!(&node.kind, Kind::Scalar(s) if s.text == "tasks") {
                    return Some(Step::Wait {
                        duration: Duration::ZERO,
                        tasks: true,
                        span: f.span,
                    });
                }
                let duration = self.duration(node)?;
                Some(Step::Wait {
                    duration,
                    tasks: false,
                    span: f.span,
                })
            }
            ["concurrent"] => {
                let group = self.lone_key(&f, "concurrent", "a `concurrent` step", in_group)?;
                let items = self.seq(group)?;
                if items.is_empty() {
                    self.invalid(
                        group.span,
                        "`concurrent` is empty".into(),
                        "no steps",
                        Some("list the requests to send at once".into()),
                    );
                    return None;
                }
                let mut sends = Vec::new();
                for (j, item) in items.iter().enumerate() {
                    let name = format!("{default_name}.{}", j + 1);
                    if let Some(Step::Send(send)) = self.step(item, &name, true) {
                        sends.push(send);
                    }
                }
                Some(Step::Concurrent {
                    sends,
                    span: f.span,
                })
            }
            ["action"] => self.send(&f, default_name, in_group).map(Step::Send),
            [] if omits_action => self.send(&f, default_name, in_group).map(Step::Send),
            found => {
                let found = if found.is_empty() {
                    "none of them".to_string()
                } else {
                    found
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                };
                self.error(f.span, SpecErrorKind::StepKind { found });
                None
            }
        }
    }

    /// The value of a `wait` or `concurrent` step's own key. Such a step cannot be inside
    /// `concurrent`, and every other key of it is reported.
    fn lone_key<'n>(
        &mut self,
        f: &Fields<'n>,
        own: &str,
        place: &'static str,
        in_group: bool,
    ) -> Option<&'n Node> {
        if in_group {
            self.not_in_group(f.key_span(own).unwrap_or(f.span), own);
            return None;
        }
        self.only_key(f, own, place);
        f.get(own)
    }

    fn not_in_group(&mut self, span: Span, what: &str) {
        self.invalid(
            span,
            format!("a `{what}` step cannot be inside `concurrent`"),
            "not allowed here",
            Some("`concurrent` lists requests only; put it before or after the group".into()),
        );
    }

    /// The value of `key` of a request, unless the request is inside `concurrent`, where the
    /// key is reported: a request sent at once with others is neither repeated nor raced.
    fn outside_group<'n>(
        &mut self,
        f: &Fields<'n>,
        key: &'static str,
        in_group: bool,
    ) -> Option<&'n Node> {
        let node = f.get(key)?;
        if in_group {
            self.error(
                f.key_span(key).unwrap_or(f.span),
                SpecErrorKind::NotApplicable {
                    key: key.into(),
                    place: "a request inside `concurrent`",
                },
            );
            return None;
        }
        Some(node)
    }

    /// Reports every key of a `wait` or `concurrent` step but its own.
    fn only_key(&mut self, f: &Fields<'_>, own: &str, place: &'static str) {
        for (key, key_node, _) in &f.entries {
            if *key != own {
                self.error(
                    key_node.span,
                    SpecErrorKind::NotApplicable {
                        key: (*key).to_string(),
                        place,
                    },
                );
            }
        }
    }

    fn send(&mut self, f: &Fields<'_>, default_name: &str, in_group: bool) -> Option<Send> {
        let name = match f.get("name") {
            Some(n) => self.named(
                n,
                "step name",
                "lower-case letters, digits, `.`, `_` and `-`",
                |s| {
                    !s.is_empty()
                        && s.chars().all(|c| {
                            c.is_ascii_lowercase()
                                || c.is_ascii_digit()
                                || matches!(c, '.' | '_' | '-')
                        })
                },
            ),
            None => Some(default_name.to_string()),
        };
        let action = f.get("action").and_then(|n| self.string(n));
        let method = f.get("method").map(|n| self.choice(n, "method", METHODS));
        let format = f.get("format").map(|n| self.choice(n, "format", FORMATS));
        let signing = f
            .get("signing")
            .map(|n| self.choice(n, "signing", SIGNINGS));

        let mut params = Vec::new();
        if let Some(n) = f.get("params") {
            match &n.kind {
                Kind::Map(entries) => {
                    for (key, value) in entries {
                        let key_text = self.key_text(key).map(str::to_string);
                        params.extend(self.parameter(key_text, key.span, value));
                    }
                }
                _ => self.wrong_type(n, "a mapping of parameter to value"),
            }
        }
        if let Some(items) = f.get("pairs").and_then(|n| self.seq(n)) {
            for item in items {
                match &item.kind {
                    Kind::Seq(pair) if pair.len() == 2 => {
                        let key = self.string(&pair[0]);
                        params.extend(self.parameter(key, pair[0].span, &pair[1]));
                    }
                    _ => self.invalid(
                        item.span,
                        format!("a pair must be `[key, value]`, found {}", item.describe()),
                        "expected `[key, value]`",
                        Some("write each pair as `- [PrivateIpAddress.1, 192.168.0.5]`".into()),
                    ),
                }
            }
        }
        let raw_query = f.get("raw_query").map(|n| self.template(n));
        let omit = self.omit(f.get("omit"));
        if omit.iter().any(|o| o == "Action")
            && let Some(span) = f.key_span("action")
        {
            self.invalid(
                span,
                "`action` is set, but `omit` leaves `Action` out".into(),
                "conflicts with `omit: [Action]`",
                Some("remove `action` to send a request without `Action`".into()),
            );
        }
        let corrupt_signature = f.get("corrupt_signature").map(|n| self.bool(n));
        let expect = match f.get("expect") {
            Some(n) => self.expect(n),
            None => Some(Expect::default_at(f.span)),
        };
        let capture = f
            .get("capture")
            .map(|n| self.capture(n))
            .unwrap_or_default();
        let poll = self
            .outside_group(f, "poll", in_group)
            .and_then(|n| self.poll(n));
        let paginate = self.outside_group(f, "paginate", in_group).and_then(|n| {
            self.check_paginated(f, expect.as_ref());
            self.paginate(n, &params)
        });
        let race = match self.outside_group(f, "race", in_group) {
            Some(n) => {
                for other in ["expect", "poll", "paginate"] {
                    if let Some(span) = f.key_span(other) {
                        self.invalid(
                            span,
                            format!("`{other}` and `race` cannot be combined"),
                            "conflicts with `race`",
                            Some(if other == "expect" {
                                "a raced step's expectations are its `when` branches: move this one under the state it belongs to".into()
                            } else {
                                format!("`{other}` in a step of its own, before or after the raced request")
                            }),
                        );
                    }
                }
                self.race(n)
            }
            None => None,
        };
        // Whatever failed was reported; fill in defaults so the whole-case checks (names,
        // variables) still see this step. A case with errors is never returned.
        let fallback_name = || {
            f.get("name")
                .and_then(|n| match &n.kind {
                    Kind::Scalar(s) => Some(s.text.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| default_name.to_string())
        };
        Some(Send {
            name: name.unwrap_or_else(fallback_name),
            span: f.span,
            action,
            method: method.flatten().unwrap_or_default(),
            format: format.flatten(),
            signing: signing.flatten(),
            params,
            raw_query: raw_query.flatten(),
            omit,
            corrupt_signature: corrupt_signature.flatten().unwrap_or(false),
            expect: expect.unwrap_or_else(|| Expect::default_at(f.span)),
            capture,
            poll,
            paginate,
            race,
        })
    }

    /// One request parameter: its key as read (`None` where reading it failed, already
    /// reported) and its value, a template.
    fn parameter(
        &mut self,
        key: Option<String>,
        key_span: Span,
        value: &Node,
    ) -> Option<(Spanned<String>, Template)> {
        // Keys go on the wire verbatim, so a template there would be sent as `${...}` literally
        // and test something else than the author meant.
        if key.as_deref().is_some_and(|k| k.contains("${")) {
            self.invalid(
                key_span,
                "a parameter key cannot hold a template: keys are sent verbatim".into(),
                "`${` in a key",
                Some("write the key literally, e.g. `PrivateIpAddress.51`".into()),
            );
            return None;
        }
        let value = self.template(value);
        Some((
            Spanned {
                value: key?,
                span: key_span,
            },
            value?,
        ))
    }

    /// `race`: what it reads (`status_of` or `task_on` an ENI) and one expectation per state.
    fn race(&mut self, node: &Node) -> Option<Race> {
        const HOW: &str = "`status_of: ${eni}` races the ENI's status (`when: { Attaching: …, InUse: … }`); \
                           `task_on: ${eni}` races a task the case started on it (`when: { running: …, ended: … }`)";
        let f = self.fields(node, "`race`", RACE_KEYS)?;
        let on = self.one_of(
            &f,
            OneOf {
                place: "`race`",
                verb: "reads",
                keys: ["status_of", "task_on"],
                both_label: "second thing to race",
                neither_label: "what does the answer race against?",
                how: HOW,
            },
            Self::template,
            [RaceOn::Status, RaceOn::Task],
        );
        let states: Vec<&str> = match &on {
            Some(RaceOn::Task(_)) => vec![TASK_RUNNING, TASK_ENDED],
            _ => ENI_STATUSES.iter().copied().chain([RACE_GONE]).collect(),
        };
        let when_node = self.require(&f, "when", "`race`")?;
        let Kind::Map(entries) = &when_node.kind else {
            self.wrong_type(when_node, "a mapping of state to expectation");
            return None;
        };
        let mut when: Vec<(String, Expect)> = Vec::new();
        for (key, value) in entries {
            let Some(state) = self.key_text(key).map(str::to_string) else {
                continue;
            };
            if !states.contains(&state.as_str()) {
                let expected = states
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    key.span,
                    SpecErrorKind::InvalidValue {
                        what: if matches!(on, Some(RaceOn::Task(_))) {
                            "task state"
                        } else {
                            "ENI state"
                        },
                        suggestion: did_you_mean(&state, states.iter().copied()),
                        value: state,
                        expected,
                    },
                );
                continue;
            }
            if when.iter().any(|(s, _)| *s == state) {
                self.error(
                    key.span,
                    SpecErrorKind::Duplicate {
                        what: "state",
                        value: state,
                    },
                );
                continue;
            }
            let expect = match &value.kind {
                // `InUse: {}`: success, as a step without `expect`.
                Kind::Map(e) if e.is_empty() => Some(Expect::default_at(value.span)),
                _ => self.expect(value),
            };
            if let Some(expect) = expect {
                when.push((state, expect));
            }
        }
        if entries.len() < 2 {
            self.invalid(
                when_node.span,
                "a race needs an expectation for each state the request may meet: at least two"
                    .into(),
                "one state only",
                Some(format!(
                    "add the state the race may end in, e.g. `{}`; a request that meets one state only needs `expect`, not `race`",
                    if matches!(on, Some(RaceOn::Task(_))) {
                        "ended: { assigned_count: 1 }"
                    } else {
                        "InUse: { assigned_count: 1 }"
                    }
                )),
            );
        }
        Some(Race {
            on: on?,
            when,
            span: f.span,
        })
    }

    /// `paginate`, and the parameter it sets on every page, which `params` must leave alone.
    fn paginate(
        &mut self,
        node: &Node,
        params: &[(Spanned<String>, Template)],
    ) -> Option<Paginate> {
        const HOW: &str = "`token: NextToken` sends each page with the token the previous answer gave; \
                           `page: PageNumber` counts pages 1, 2, …";
        let f = self.fields(node, "`paginate`", PAGINATE_KEYS)?;
        let by = self.one_of(
            &f,
            OneOf {
                place: "`paginate`",
                verb: "takes",
                keys: ["token", "page"],
                both_label: "second way of paging",
                neither_label: "how to ask for the next page?",
                how: HOW,
            },
            Self::parameter_name,
            [PageBy::Token, PageBy::Number],
        );
        if let Some(by) = &by {
            self.check_page_parameter(by, params);
        }
        let list = self
            .require(&f, "list", "`paginate`")
            .and_then(|n| self.path(n));
        Some(Paginate {
            by: by?,
            list: list?,
        })
    }

    fn parameter_name(&mut self, node: &Node) -> Option<String> {
        self.named(
            node,
            "paging parameter",
            "a parameter name: letters, digits, `_` and `-`",
            |s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            },
        )
    }

    /// The runner sets the paging parameter on every page; a value in `params` would be sent
    /// twice or overwritten.
    fn check_page_parameter(&mut self, by: &PageBy, params: &[(Spanned<String>, Template)]) {
        let (PageBy::Token(parameter) | PageBy::Number(parameter)) = by;
        let Some((key, _)) = params.iter().find(|(key, _)| key.value == *parameter) else {
            return;
        };
        let help = match by {
            PageBy::Token(_) => format!(
                "remove it: the first page is sent without `{parameter}`, each later one with the token the previous answer gave"
            ),
            PageBy::Number(_) => {
                format!("remove it: the runner sends `{parameter}` 1, 2, … itself")
            }
        };
        self.invalid(
            key.span,
            format!("`{parameter}` is set by `paginate` on every page"),
            "set by `paginate`",
            Some(help),
        );
    }

    /// What a paged read cannot be combined with: polling, or expecting an error (every page
    /// must answer 200).
    fn check_paginated(&mut self, f: &Fields<'_>, expect: Option<&Expect>) {
        if let Some(span) = f.key_span("poll") {
            self.invalid(
                span,
                "`poll` and `paginate` cannot be combined".into(),
                "conflicts with `paginate`",
                Some("poll in a step of its own, then page through the result".into()),
            );
        }
        if let Some(expect) = expect
            && (expect.status != [200] || !expect.codes.is_empty())
        {
            self.invalid(
                expect.span,
                "every page of a paged read must answer 200".into(),
                "expects something else",
                Some(
                    "leave `status` and `code` out of this `expect` (or write `status: 200`)"
                        .into(),
                ),
            );
        }
    }

    fn omit(&mut self, node: Option<&Node>) -> Vec<String> {
        let Some(items) = node.and_then(|n| self.seq(n)) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for item in items {
            let Some(name) = self.string(item) else {
                continue;
            };
            if !OMITTABLE_PARAMS.contains(&name.as_str()) {
                self.error(
                    item.span,
                    SpecErrorKind::InvalidValue {
                        what: "common parameter",
                        suggestion: did_you_mean(&name, OMITTABLE_PARAMS.iter().copied()),
                        value: name,
                        expected: "a common parameter such as `Version` or `Signature`".into(),
                    },
                );
            } else if out.contains(&name) {
                self.error(
                    item.span,
                    SpecErrorKind::Duplicate {
                        what: "parameter",
                        value: name,
                    },
                );
            } else {
                out.push(name);
            }
        }
        out
    }

    fn expect(&mut self, node: &Node) -> Option<Expect> {
        let f = self.fields(node, "`expect`", EXPECT_KEYS)?;
        let mut ok = true;
        let mut status = Vec::new();
        if let Some(n) = f.get("status") {
            for item in self.one_or_many(n) {
                let text = self.string(item);
                match text.as_deref().map(|t| (t, t.parse::<u16>())) {
                    Some((t, Ok(code)))
                        if (100..=599).contains(&code) && !t.starts_with(['+', '0']) =>
                    {
                        status.push(code);
                    }
                    Some((t, _)) => {
                        self.error(
                            item.span,
                            SpecErrorKind::Status {
                                value: t.to_string(),
                            },
                        );
                        ok = false;
                    }
                    None => ok = false,
                }
            }
        }
        let mut codes = Vec::new();
        if let Some(n) = f.get("code") {
            for item in self.one_or_many(n) {
                match self.string(item) {
                    Some(c) if !c.is_empty() && !c.contains(char::is_whitespace) => codes.push(c),
                    Some(c) => {
                        self.error(
                            item.span,
                            SpecErrorKind::InvalidValue {
                                what: "error code",
                                value: c,
                                expected: "a code such as `InvalidIp.IpAssigned`".into(),
                                suggestion: None,
                            },
                        );
                        ok = false;
                    }
                    None => ok = false,
                }
            }
        }
        if !f.has("status") && !f.has("code") {
            status.push(200);
        }
        let message_contains = f.get("message_contains").map(|n| self.template(n));
        let fields = f
            .get("fields")
            .map(|n| self.path_templates(n))
            .unwrap_or_default();
        let absent = match f.get("absent").and_then(|n| self.seq(n)) {
            Some(items) => items.iter().filter_map(|i| self.path(i)).collect(),
            None => Vec::new(),
        };
        let assigned = f
            .get("assigned")
            .and_then(|n| self.seq(n))
            .map(|items| items.iter().filter_map(|i| self.template(i)).collect());
        let assigned_count = f
            .get("assigned_count")
            .map(|n| self.number(n, "address count"));
        let count = match f.get("count") {
            Some(n) => match self.fields(n, "`count`", COUNT_KEYS) {
                Some(c) => {
                    let path = self
                        .require(&c, "path", "`count`")
                        .and_then(|n| self.path(n));
                    let equals = self
                        .require(&c, "equals", "`count`")
                        .and_then(|n| self.number(n, "count"));
                    match (path, equals) {
                        (Some(p), Some(e)) => Some(Some((p, e))),
                        _ => None,
                    }
                }
                None => None,
            },
            None => Some(None),
        };
        let contains = f
            .get("contains")
            .map(|n| self.contains(n))
            .unwrap_or_default();
        ok.then_some(())?;
        Some(Expect {
            status,
            codes,
            message_contains: message_contains.flatten(),
            fields,
            absent,
            assigned,
            assigned_count: assigned_count.flatten(),
            count: count?,
            contains,
            span: f.span,
        })
    }

    /// `contains`: list path -> the items the list must hold, in any order.
    fn contains(&mut self, node: &Node) -> Vec<(Path, Vec<Item>)> {
        self.path_map(node, "a mapping of list path to items", Self::listed_items)
    }

    /// The items under `path` of a `contains` or of an item's field: an unreadable path still
    /// has its items checked, named by no path.
    fn listed_items(&mut self, node: &Node, path: Option<&Path>) -> Option<Vec<Item>> {
        self.items(node, path.map_or("", |p| p.text.as_str()))
    }

    /// The items of one order-free list: at least one, each a value or a mapping of field to
    /// value (or to a nested list of items).
    fn items(&mut self, node: &Node, path: &str) -> Option<Vec<Item>> {
        let Kind::Seq(nodes) = &node.kind else {
            self.invalid(
                node.span,
                format!("expected a list of items, found {}", node.describe()),
                "expected a list",
                Some(format!(
                    "write the elements `{path}` must hold as a list: `{path}: [ {{ Key: value }} ]`"
                )),
            );
            return None;
        };
        if nodes.is_empty() {
            self.invalid(
                node.span,
                format!("no item listed for `{path}`"),
                "empty list",
                Some(format!(
                    "list the elements it must hold; to check that it is empty, write `count: {{ path: {path}, equals: 0 }}`"
                )),
            );
            return None;
        }
        // A bad item was reported; the good ones are kept so their templates are still checked.
        Some(nodes.iter().filter_map(|item| self.item(item)).collect())
    }

    fn item(&mut self, node: &Node) -> Option<Item> {
        match &node.kind {
            Kind::Map(entries) if entries.is_empty() => {
                self.invalid(
                    node.span,
                    "an item without fields matches any element".into(),
                    "empty item",
                    Some(
                        "name a field the element must have, e.g. `{ NetworkInterfaceId: \"${eni}\" }`; \
                         to check only the length, use `count`"
                            .into(),
                    ),
                );
                None
            }
            Kind::Map(entries) => Some(Item::Fields(self.path_entries(entries, Self::field_match))),
            Kind::Seq(_) => {
                self.invalid(
                    node.span,
                    "an item cannot be a list".into(),
                    "a list",
                    Some(
                        "an item is a mapping of field to value (`{ PrivateIpAddress: \"${ip}\" }`) or a value"
                            .into(),
                    ),
                );
                None
            }
            Kind::Scalar(_) => self.template(node).map(Item::Value),
        }
    }

    /// What one field of an item matches: a value, or a nested list of items.
    fn field_match(&mut self, value: &Node, path: Option<&Path>) -> Option<FieldMatch> {
        match &value.kind {
            Kind::Seq(_) => self.listed_items(value, path).map(FieldMatch::Contains),
            Kind::Map(_) => {
                self.invalid(
                    value.span,
                    "a field of an item is a value or a list of items, not a mapping".into(),
                    "a mapping",
                    Some(
                        "write a nested field as one path (`PrivateIpSets.PrivateIpSet: [...]`, `A.B: value`)"
                            .into(),
                    ),
                );
                None
            }
            Kind::Scalar(_) => self.template(value).map(FieldMatch::Equals),
        }
    }

    fn capture(&mut self, node: &Node) -> Vec<(String, Path)> {
        let Kind::Map(entries) = &node.kind else {
            self.wrong_type(node, "a mapping of variable to response path");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in entries {
            let name = self.key_text(key).map(str::to_string);
            let name = name.filter(|n| {
                let ok = is_root_name(n);
                if !ok {
                    self.error(
                        key.span,
                        SpecErrorKind::InvalidValue {
                            what: "variable name",
                            value: n.clone(),
                            expected: "letters, digits and `_`, not starting with a digit".into(),
                            suggestion: None,
                        },
                    );
                }
                ok
            });
            if let Some(n) = &name
                && BUILTIN_ROOTS.contains(&n.as_str())
            {
                self.invalid(
                    key.span,
                    format!("`{n}` is built in and cannot be captured"),
                    "built-in name",
                    Some("choose another variable name".into()),
                );
            }
            let path = self.path(value);
            if let (Some(n), Some(p)) = (name, path) {
                out.push((n, p));
            }
        }
        out
    }

    fn poll(&mut self, node: &Node) -> Option<Poll> {
        let f = self.fields(node, "`poll`", POLL_KEYS)?;
        let until_node = self.require(&f, "until", "`poll`")?;
        let until = self.path_templates(until_node);
        if until.is_empty() && matches!(&until_node.kind, Kind::Map(e) if e.is_empty()) {
            self.invalid(
                until_node.span,
                "`until` is empty".into(),
                "nothing to wait for",
                Some("name at least one response path and the value to wait for".into()),
            );
        }
        let mut positive = |key: &str, default: Duration| match f.get(key) {
            None => Some(default),
            Some(n) => {
                let d = self.duration(n)?;
                if d.is_zero() {
                    self.error(
                        n.span,
                        SpecErrorKind::Duration {
                            value: crate::format_duration(d),
                            reason: format!("`{key}` must be longer than zero"),
                        },
                    );
                    return None;
                }
                Some(d)
            }
        };
        let interval = positive("interval", Poll::DEFAULT_INTERVAL);
        let timeout = positive("timeout", Poll::DEFAULT_TIMEOUT);
        Some(Poll {
            until,
            interval: interval?,
            timeout: timeout?,
        })
    }

    // ---- whole-case checks ----------------------------------------------------------------

    /// A race and `wait: tasks` rest on the knob that makes the state they race last: an
    /// emulator is given it, and on other targets the profile's `timing` stands in for it.
    fn check_races(&mut self, case: &Case) {
        let steps = case.setup.iter().chain(&case.steps).chain(&case.teardown);
        for step in steps {
            let (span, knob, what, label) = match step {
                Step::Send(Send {
                    race: Some(race), ..
                }) => match race.on {
                    RaceOn::Status(_) => (
                        race.span,
                        "async_delay",
                        "a race on an ENI's status",
                        "no transition time to race against",
                    ),
                    RaceOn::Task(_) => (
                        race.span,
                        "task_duration",
                        "a race on a task",
                        "no task time to race against",
                    ),
                },
                Step::Wait {
                    tasks: true, span, ..
                } => (
                    *span,
                    "task_duration",
                    "`wait: tasks`",
                    "no task time to wait for",
                ),
                _ => continue,
            };
            let set = match knob {
                "async_delay" => case.emulator.async_delay.is_some(),
                _ => case.emulator.task_duration.is_some(),
            };
            if !set {
                let timing = if knob == "async_delay" {
                    "transition"
                } else {
                    "task"
                };
                self.invalid(
                    span,
                    format!("{what} needs `emulator.{knob}` in the case"),
                    label,
                    Some(format!(
                        "add `emulator: {{ {knob}: 5s }}`: an emulator is given it, and on other targets the profile's `timing.{timing}` stands in for it"
                    )),
                );
            }
        }
    }

    fn check_names(&mut self, case: &Case) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for send in case.sends() {
            if let Some(first) = seen.get(send.name.as_str()) {
                self.error(
                    send.span,
                    SpecErrorKind::DuplicateName {
                        name: send.name.clone(),
                        first: *first,
                    },
                );
            } else {
                seen.insert(&send.name, send.span);
            }
        }
    }

    /// Checks every `${...}` against the fixtures in `uses`, the built-ins, and the variables
    /// captured by earlier steps (a concurrent group's captures count after the group).
    fn check_scopes(&mut self, case: &Case) {
        let order: Vec<StepRef<'_>> = case
            .setup
            .iter()
            .chain(&case.steps)
            .chain(&case.teardown)
            .filter_map(|step| match step {
                Step::Send(s) => Some(StepRef { sends: vec![s] }),
                Step::Concurrent { sends, .. } => Some(StepRef {
                    sends: sends.iter().collect(),
                }),
                Step::Wait { .. } => None,
            })
            .collect();
        let captured_by: Vec<(&str, &str)> = order
            .iter()
            .flat_map(|s| &s.sends)
            .flat_map(|send| {
                send.capture
                    .iter()
                    .map(|(v, _)| (v.as_str(), send.name.as_str()))
            })
            .collect();
        let mut visible: HashSet<&str> = HashSet::new();
        for step in &order {
            for send in &step.sends {
                for template in send.templates() {
                    if self.full() {
                        return;
                    }
                    for expr in template.exprs() {
                        if self.full() {
                            return;
                        }
                        self.check_expr(expr, &case.uses, &visible, &captured_by);
                        // A prefix picked free needs a contract with prefixes: the tag is what
                        // skips the case under one without them.
                        if expr
                            .member
                            .as_ref()
                            .is_some_and(|m| m.name == "free_prefix")
                            && !case.tags.iter().any(|tag| tag == "prefix")
                        {
                            self.invalid(
                                expr.span,
                                "`free_prefix` is an IPv4 prefix, which only some contracts have"
                                    .into(),
                                "here",
                                Some("tag the case `prefix`, so that it is skipped under a contract without prefixes (seed)".into()),
                            );
                        }
                    }
                }
                for (var, _) in &send.capture {
                    if case.uses.contains(var) {
                        self.invalid(
                            send.span,
                            format!("`{var}` is a fixture and cannot be captured"),
                            "in this step",
                            Some("choose another variable name".into()),
                        );
                    }
                }
            }
            for send in &step.sends {
                visible.extend(send.capture.iter().map(|(v, _)| v.as_str()));
            }
        }
    }

    fn check_expr(
        &mut self,
        expr: &crate::Expr,
        uses: &[String],
        visible: &HashSet<&str>,
        captured_by: &[(&str, &str)],
    ) {
        let root = expr.root.as_str();
        let member = expr.member.as_ref();
        let allowed: &'static [&'static str] = if uses.iter().any(|u| u == root) {
            FIXTURE_MEMBERS
        } else if root == "limits" {
            if member.is_none() {
                self.invalid(
                    expr.span,
                    "`${limits}` needs a member".into(),
                    "here",
                    Some(format!(
                        "write one of {}",
                        LIMITS_MEMBERS
                            .iter()
                            .map(|m| format!("`${{limits.{m}}}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                return;
            }
            LIMITS_MEMBERS
        } else if BUILTIN_ROOTS.contains(&root) || visible.contains(&root) {
            &[]
        } else {
            let candidates = uses
                .iter()
                .map(String::as_str)
                .chain(visible.iter().copied())
                .chain(BUILTIN_ROOTS.iter().copied());
            self.error(
                expr.span,
                SpecErrorKind::UnknownRoot {
                    root: root.to_string(),
                    suggestion: did_you_mean(root, candidates),
                    captured_later: captured_by
                        .iter()
                        .find(|(v, _)| *v == root)
                        .map(|(_, step)| (*step).to_string()),
                },
            );
            return;
        };
        let Some(member) = member else { return };
        if !allowed.contains(&member.name.as_str()) {
            self.error(
                expr.span,
                SpecErrorKind::UnknownMember {
                    root: root.to_string(),
                    member: member.name.clone(),
                    suggestion: did_you_mean(&member.name, allowed.iter().copied()),
                    allowed,
                },
            );
        } else if member.name == "host" && member.arg.is_none() {
            self.invalid(
                expr.span,
                "`host` needs the host number".into(),
                "here",
                Some(format!(
                    "write `${{{root}.host(10)}}`; `host(-1)` is the broadcast address"
                )),
            );
        } else if member.name == "free" && member.arg.is_none_or(|n| n < 1) {
            self.invalid(
                expr.span,
                "`free` needs a handle number from 1".into(),
                "here",
                Some(format!(
                    "write `${{{root}.free(1)}}`: an address free when the step runs, the same one wherever the case writes `free(1)`; `free(2)` is another"
                )),
            );
        } else if member.name == "free_prefix" && member.arg.is_none_or(|n| n < 1) {
            self.invalid(
                expr.span,
                "`free_prefix` needs a handle number from 1".into(),
                "here",
                Some(format!(
                    "write `${{{root}.free_prefix(1)}}`: an aligned /28 free when the step runs, the same one wherever the case writes `free_prefix(1)`; `${{{root}.free_prefix(1)+5}}` is its sixth address"
                )),
            );
        } else if !matches!(member.name.as_str(), "host" | "free" | "free_prefix")
            && member.arg.is_some()
        {
            self.invalid(
                expr.span,
                format!("`{}` takes no argument", member.name),
                "here",
                Some(format!("write `${{{root}.{}}}`", member.name)),
            );
        }
    }
}

/// Byte offsets of each `${` in template text, skipping `$$` escapes.
fn hole_offsets(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'$', Some(b'$')) => i += 2,
            (b'$', Some(b'{')) => {
                out.push(i);
                i += 2;
                while i < bytes.len() && bytes[i] != b'}' {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The keys of each mapping, for the schema's test (`schema.rs`).
#[cfg(test)]
pub(crate) mod key_lists {
    pub(crate) const CASE: &[&str] = super::CASE_KEYS;
    pub(crate) const CHECKS: &[&str] = super::CHECKS_KEYS;
    pub(crate) const EMULATOR: &[&str] = super::EMULATOR_KEYS;
    pub(crate) const STEP: &[&str] = super::STEP_KEYS;
    pub(crate) const EXPECT: &[&str] = super::EXPECT_KEYS;
    pub(crate) const COUNT: &[&str] = super::COUNT_KEYS;
    pub(crate) const PAGINATE: &[&str] = super::PAGINATE_KEYS;
    pub(crate) const POLL: &[&str] = super::POLL_KEYS;
    pub(crate) const RACE: &[&str] = super::RACE_KEYS;
}
