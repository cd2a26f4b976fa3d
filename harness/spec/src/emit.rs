//! A validated case written back as case-file YAML, in one canonical form.
//!
//! The fuzzer saves what it finds as case files, so the output must read like a hand-written
//! case and parse back to the same `Case`. Defaults are left out, strings stay plain unless YAML
//! would read them differently, and the rest is double-quoted with escapes.

use std::fmt::Write as _;

use crate::{
    Case, Expect, FieldMatch, Format, Item, Method, PageBy, Poll, RaceOn, Send, Signing, Step,
    Template, format_duration,
};

/// Writes `case` in the case language. `parse_case` of the result gives `case` back, up to spans
/// (compare with [`Case::without_spans`]).
#[must_use]
pub fn case_to_yaml(case: &Case) -> String {
    let mut out = Lines::default();
    out.push(0, format!("id: {}", scalar(&case.id)));
    out.push(0, format!("title: {}", scalar(&case.title)));
    if !case.tags.is_empty() {
        out.push(0, format!("tags: {}", flow_list(case.tags.iter())));
    }
    if !case.uses.is_empty() {
        out.push(0, format!("uses: {}", flow_list(case.uses.iter())));
    }
    if !case.exclusive.is_empty() {
        out.push(
            0,
            format!("exclusive: {}", flow_list(case.exclusive.iter())),
        );
    }
    if !case.disabled_checks.is_empty() {
        out.push(0, "checks:".into());
        out.push(
            1,
            format!(
                "disable: {}",
                flow_list(case.disabled_checks.iter().map(|c| &c.value))
            ),
        );
    }
    if !case.snapshot {
        out.push(0, "snapshot: false".into());
    }
    if let Some(format) = case.format {
        out.push(0, format!("format: {}", format_name(format)));
    }
    if let Some(signing) = case.signing {
        out.push(0, format!("signing: {}", signing_name(signing)));
    }
    let knobs = &case.emulator;
    if knobs.task_duration.is_some() || knobs.async_delay.is_some() {
        out.push(0, "emulator:".into());
        if let Some(d) = knobs.task_duration {
            out.push(1, format!("task_duration: {}", format_duration(d)));
        }
        if let Some(d) = knobs.async_delay {
            out.push(1, format!("async_delay: {}", format_duration(d)));
        }
    }
    for (section, steps) in [
        ("setup", &case.setup),
        ("steps", &case.steps),
        ("teardown", &case.teardown),
    ] {
        // `steps` is required (and never empty in a valid case); the others only when used.
        if steps.is_empty() && section != "steps" {
            continue;
        }
        if steps.is_empty() {
            out.push(0, format!("{section}: []"));
            continue;
        }
        out.push(0, format!("{section}:"));
        for (i, step) in steps.iter().enumerate() {
            let item = step_lines(step, &format!("{section}-{}", i + 1));
            out.item(1, item);
        }
    }
    out.text
}

/// Output lines; one indentation level is two spaces.
#[derive(Default)]
struct Lines {
    text: String,
}

impl Lines {
    fn push(&mut self, level: usize, line: String) {
        for _ in 0..level {
            self.text.push_str("  ");
        }
        self.text.push_str(&line);
        self.text.push('\n');
    }

    /// `key: value`, or the explicit `? key` form for keys too long for YAML's implicit keys
    /// (at most 1024 characters).
    fn entry(&mut self, level: usize, key: &str, value: String) {
        let key = key_scalar(key);
        if key.chars().count() < 1000 {
            self.push(level, format!("{key}: {value}"));
        } else {
            self.push(level, format!("? {key}"));
            self.push(level, format!(": {value}"));
        }
    }

    /// `key:` with a block value on the lines that follow (the explicit `? key` form for keys
    /// too long for an implicit key).
    fn block_key(&mut self, level: usize, key: &str) {
        let key = key_scalar(key);
        if key.chars().count() < 1000 {
            self.push(level, format!("{key}:"));
        } else {
            self.push(level, format!("? {key}"));
            self.push(level, ":".into());
        }
    }

    /// A sequence item: `- ` before its first line, its other lines aligned under it.
    fn item(&mut self, level: usize, item: Lines) {
        for (i, line) in item.text.lines().enumerate() {
            let prefix = if i == 0 { "- " } else { "  " };
            for _ in 0..level {
                self.text.push_str("  ");
            }
            let _ = writeln!(self.text, "{prefix}{line}");
        }
    }
}

fn step_lines(step: &Step, default_name: &str) -> Lines {
    let mut out = Lines::default();
    match step {
        Step::Send(send) => send_lines(&mut out, send, default_name),
        Step::Wait { tasks: true, .. } => out.push(0, "wait: tasks".into()),
        Step::Wait { duration, .. } => out.push(0, format!("wait: {}", format_duration(*duration))),
        Step::Concurrent { sends, .. } => {
            out.push(0, "concurrent:".into());
            for (j, send) in sends.iter().enumerate() {
                let mut item = Lines::default();
                send_lines(&mut item, send, &format!("{default_name}.{}", j + 1));
                out.item(1, item);
            }
        }
    }
    out
}

fn send_lines(out: &mut Lines, send: &Send, default_name: &str) {
    if send.name != default_name {
        out.push(0, format!("name: {}", scalar(&send.name)));
    }
    if let Some(action) = &send.action {
        out.push(0, format!("action: {}", scalar(action)));
    }
    if send.method == Method::Post {
        out.push(0, "method: POST".into());
    }
    if let Some(format) = send.format {
        out.push(0, format!("format: {}", format_name(format)));
    }
    if let Some(signing) = send.signing {
        out.push(0, format!("signing: {}", signing_name(signing)));
    }
    if !send.params.is_empty() {
        let mut keys: Vec<&str> = send.params.iter().map(|(k, _)| k.value.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() == send.params.len() {
            out.push(0, "params:".into());
            for (key, value) in &send.params {
                out.entry(1, &key.value, template(value));
            }
        } else {
            // A mapping cannot hold a key twice: `pairs` keeps the repeats and the order.
            out.push(0, "pairs:".into());
            for (key, value) in &send.params {
                out.push(
                    1,
                    format!(
                        "- [{}, {}]",
                        flow_scalar(&key.value),
                        flow_scalar(&value.to_string())
                    ),
                );
            }
        }
    }
    if let Some(raw) = &send.raw_query {
        out.push(0, format!("raw_query: {}", template(raw)));
    }
    if !send.omit.is_empty() {
        out.push(0, format!("omit: {}", flow_list(send.omit.iter())));
    }
    if send.corrupt_signature {
        out.push(0, "corrupt_signature: true".into());
    }
    expect_lines(out, &send.expect);
    if !send.capture.is_empty() {
        out.push(0, "capture:".into());
        for (var, path) in &send.capture {
            out.entry(1, var, scalar(&path.text));
        }
    }
    if let Some(poll) = &send.poll {
        out.push(0, "poll:".into());
        out.push(1, "until:".into());
        for (path, value) in &poll.until {
            out.entry(2, &path.text, template(value));
        }
        if poll.interval != Poll::DEFAULT_INTERVAL {
            out.push(1, format!("interval: {}", format_duration(poll.interval)));
        }
        if poll.timeout != Poll::DEFAULT_TIMEOUT {
            out.push(1, format!("timeout: {}", format_duration(poll.timeout)));
        }
    }
    if let Some(paginate) = &send.paginate {
        out.push(0, "paginate:".into());
        match &paginate.by {
            PageBy::Token(name) => out.push(1, format!("token: {}", scalar(name))),
            PageBy::Number(name) => out.push(1, format!("page: {}", scalar(name))),
        }
        out.push(1, format!("list: {}", scalar(&paginate.list.text)));
    }
    if let Some(race) = &send.race {
        out.push(0, "race:".into());
        match &race.on {
            RaceOn::Status(eni) => out.push(1, format!("status_of: {}", template(eni))),
            RaceOn::Task(eni) => out.push(1, format!("task_on: {}", template(eni))),
        }
        out.push(1, "when:".into());
        for (state, expect) in &race.when {
            let body = expect_body(expect);
            if body.text.is_empty() {
                out.push(2, format!("{}: {{}}", scalar(state)));
            } else {
                out.push(2, format!("{}:", scalar(state)));
                for line in body.text.lines() {
                    out.push(3, line.to_string());
                }
            }
        }
    }
}

/// The items of an order-free list, one sequence item each, at `level`.
fn item_lines(out: &mut Lines, level: usize, items: &[Item]) {
    for item in items {
        let mut lines = Lines::default();
        match item {
            Item::Value(value) => lines.push(0, template(value)),
            Item::Fields(fields) => {
                for (path, field) in fields {
                    match field {
                        FieldMatch::Equals(value) => lines.entry(0, &path.text, template(value)),
                        FieldMatch::Contains(nested) => {
                            lines.block_key(0, &path.text);
                            item_lines(&mut lines, 1, nested);
                        }
                    }
                }
            }
        }
        out.item(level, lines);
    }
}

fn expect_lines(out: &mut Lines, expect: &Expect) {
    let lines = expect_body(expect);
    if !lines.text.is_empty() {
        out.push(0, "expect:".into());
        for line in lines.text.lines() {
            out.push(1, line.to_string());
        }
    }
}

/// The keys of an expectation, without the `expect:` line; empty for the default (status 200).
fn expect_body(expect: &Expect) -> Lines {
    let mut lines = Lines::default();
    // `status` is implied as [200] without `code`, and as "not checked" with it.
    let implied: &[u16] = if expect.codes.is_empty() { &[200] } else { &[] };
    if expect.status != implied {
        let line = match expect.status.as_slice() {
            [one] => format!("status: {one}"),
            many => format!(
                "status: [{}]",
                many.iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        lines.push(0, line);
    }
    match expect.codes.as_slice() {
        [] => {}
        [one] => lines.push(0, format!("code: {}", scalar(one))),
        many => lines.push(0, format!("code: {}", flow_list(many.iter()))),
    }
    if let Some(m) = &expect.message_contains {
        lines.push(0, format!("message_contains: {}", template(m)));
    }
    if !expect.fields.is_empty() {
        lines.push(0, "fields:".into());
        for (path, value) in &expect.fields {
            lines.entry(1, &path.text, template(value));
        }
    }
    if !expect.absent.is_empty() {
        lines.push(
            0,
            format!(
                "absent: {}",
                flow_list(expect.absent.iter().map(|p| &p.text))
            ),
        );
    }
    if let Some(assigned) = &expect.assigned {
        let items: Vec<String> = assigned.iter().map(Template::to_string).collect();
        lines.push(0, format!("assigned: {}", flow_list(items.iter())));
    }
    if let Some(n) = expect.assigned_count {
        lines.push(0, format!("assigned_count: {n}"));
    }
    if let Some((path, n)) = &expect.count {
        lines.push(0, "count:".into());
        lines.push(1, format!("path: {}", scalar(&path.text)));
        lines.push(1, format!("equals: {n}"));
    }
    if !expect.contains.is_empty() {
        lines.push(0, "contains:".into());
        for (path, items) in &expect.contains {
            lines.block_key(1, &path.text);
            item_lines(&mut lines, 2, items);
        }
    }
    lines
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Json => "JSON",
        Format::Xml => "XML",
    }
}

fn signing_name(signing: Signing) -> &'static str {
    match signing {
        Signing::V1 => "v1",
        Signing::V3 => "v3",
        Signing::None => "none",
    }
}

fn template(t: &Template) -> String {
    scalar(&t.to_string())
}

fn flow_list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let items: Vec<String> = items.map(|s| flow_scalar(s)).collect();
    format!("[{}]", items.join(", "))
}

/// A value in block context.
fn scalar(s: &str) -> String {
    quote_unless_plain(s, false)
}

/// A mapping key in block context.
fn key_scalar(s: &str) -> String {
    quote_unless_plain(s, false)
}

/// An item of a flow sequence.
fn flow_scalar(s: &str) -> String {
    quote_unless_plain(s, true)
}

/// Whether another YAML reader (or a human) would take `s` for a number or a boolean. The case
/// parser reads such plain scalars as their text anyway, but quoting them says "this is a string"
/// to everyone else.
fn looks_typed(s: &str) -> bool {
    // A canonical decimal integer (`0`, `1`, `49`) reads as the same number, whose text is `s`,
    // in every YAML reader: it stays plain, as case files write counts.
    let canonical_integer = (s == "0" || (!s.starts_with('0') && s.len() <= 18))
        && !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit());
    if canonical_integer {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || unsigned.parse::<f64>().is_ok()
        || matches!(unsigned, ".inf" | ".nan")
        || ["0x", "0o", "0b"].iter().any(|p| unsigned.starts_with(p))
        || (unsigned.starts_with(|c: char| c.is_ascii_digit())
            && unsigned
                .chars()
                .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
            // Two dots or more is an address, not a number.
            && unsigned.matches('.').count() <= 1)
}

/// Plain when the parser is certain to give back exactly `s` as text (the case parser keeps the
/// spelling of plain numbers and booleans, so `10` and `true` may stay plain); double-quoted
/// otherwise.
fn quote_unless_plain(s: &str, flow: bool) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && !s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`', ' ', '<', '=',
        ])
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !matches!(s, "~" | "null" | "Null" | "NULL")
        && !looks_typed(s)
        && !(flow && s.contains([',', '[', ']', '{', '}', ':']));
    if plain {
        return s.to_string();
    }
    double_quoted(s)
}

/// `s` as a YAML double-quoted scalar, valid in block and flow context alike. Whatever `s` holds,
/// the result is one line of printable characters: controls (C0, C1, DEL), line and paragraph
/// separators, the byte-order mark, bidirectional controls and the noncharacters U+FFFE/U+FFFF
/// (which a YAML stream may not contain) are `\uXXXX` escapes.
#[must_use]
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}'
                        | '\u{2029}'
                        | '\u{feff}'
                        | '\u{fffe}'
                        | '\u{ffff}'
                        | '\u{061c}'
                        | '\u{200e}'
                        | '\u{200f}'
                        | '\u{202a}'..='\u{202e}'
                        | '\u{2066}'..='\u{2069}'
                ) =>
            {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
