//! How text the harness does not control (an endpoint's codes, messages and ids, a client's
//! parameters, a report read back from disk) becomes output: one function per sink, so that no
//! renderer or command writes such text with a bare `format!`.
//!
//! Every sink shows the same characters as visible escapes (`\u{1b}`, `\n`, `\r`, `\t`): C0 and
//! C1 controls and DEL (terminal escape sequences, OSC 52 clipboard writes, forged lines),
//! bidirectional controls (text that reads backwards), the line and paragraph separators, the
//! byte-order mark and the noncharacters U+FFFE/U+FFFF (which XML 1.0 and YAML cannot carry).
//! Each sink then adds what its syntax needs: Markdown and HTML their own escapes, JSON its
//! `\uXXXX` form. Text kept from an endpoint is also cut to a bounded size ([`cut`]).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether no sink may show `c` raw.
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Bidirectional controls: marks, embeddings, overrides and isolates.
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            // Line and paragraph separators: line breaks to YAML 1.1 and JavaScript.
            | '\u{2028}' | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}' | '\u{ffff}'
        )
}

/// `c` as a visible escape: `\n`, `\r`, `\t`, else `\u{…}` in lower-case hex (Rust's spelling).
fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `text` with every character `escaped` says is hostile written visibly; borrowed when
/// nothing needs it.
fn visible(text: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line for a terminal: every hostile character visible, line breaks included, so the text
/// can neither steer the terminal nor start a line of its own.
pub fn terminal(text: &str) -> Cow<'_, str> {
    visible(text, is_hostile)
}

/// Lines the harness composed (a failure's message, a summary) for a terminal: the line breaks
/// stay, every other hostile character is visible.
pub fn terminal_lines(text: &str) -> Cow<'_, str> {
    visible(text, |c| c != '\n' && is_hostile(c))
}

/// The first line of `text`, for a sink that shows one line per entry.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// One line of Markdown text (a table cell, a list item), for a CI step summary: hostile
/// characters visible, and every character Markdown or the HTML it allows would read as syntax
/// escaped: emphasis, code, links and images, tables, strikethrough, tags and entities.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (index, c) in text.chars().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // At the start a `#` makes a heading, a `-`, `+` or `>` a list or a quote.
            '#' | '-' | '+' if index == 0 => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if is_hostile(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// `text` as a Markdown code span: nothing in it is syntax, hostile characters are visible.
pub fn markdown_code(text: &str) -> String {
    code_span(&terminal(text))
}

/// `text` as a Markdown code span inside a table cell, where `|` splits cells even in code.
pub fn markdown_code_cell(text: &str) -> String {
    code_span(&terminal(text).replace('|', "\\|"))
}

fn code_span(text: &str) -> String {
    // The fence is one backtick longer than the longest run inside.
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text inside HTML elements and attribute values: hostile characters visible (a numeric
/// reference would give them back to the page), the five HTML specials as entities.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_hostile(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Multi-line text for a `<pre>` block: each line as [`html`] escapes it and indented by two
/// spaces, the line feeds kept (every other break, CR among them, stays visible), so no line
/// of the page starts with what an endpoint wrote.
pub fn html_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| format!("  {}", html(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text for an XML document (JUnit), before the XML writer escapes `<`, `&` and quotes: line
/// breaks and tabs stay, every other hostile character, among them all XML 1.0 cannot carry, is
/// visible.
pub fn xml(text: &str) -> Cow<'_, str> {
    visible(text, |c| !matches!(c, '\n' | '\t') && is_hostile(c))
}

/// Text for a YAML comment: the comment cannot end early (a CR, NEL or separator is a line
/// break to some YAML readers) and holds nothing a YAML stream may not.
pub fn yaml_comment(text: &str) -> String {
    format!("# {}", terminal(text))
}

/// `value` as pretty JSON in which every hostile character is a `\uXXXX` escape, not only the
/// C0 controls `serde_json` escapes: readers get the same strings, a terminal that shows the
/// file gets no control characters.
pub fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    json_with(value, serde_json::ser::PrettyFormatter::new())
}

/// `value` as compact JSON (one line, for JSON-lines files), escaped as [`json_pretty`] is.
pub fn json_line<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    json_with(value, serde_json::ser::CompactFormatter)
}

fn json_with<T: serde::Serialize + ?Sized>(
    value: &T,
    formatter: impl serde_json::ser::Formatter,
) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, SafeJson(formatter));
    value.serialize(&mut serializer)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// A formatter whose strings have their hostile characters escaped; layout is `F`'s.
struct SafeJson<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeJson<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|(_, c)| is_hostile(*c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            // Every hostile character is in the BMP: one `\uXXXX` each.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `url` without its user name and password (`scheme://user:pass@host/` → `scheme://host/`),
/// whether or not it parses: what is shown of a URL never carries credentials.
pub fn url_without_userinfo(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{scheme}://{}", &rest[at + 1..])),
        None => Cow::Borrowed(url),
    }
}

/// Whether `url` carries a user name or password.
pub fn has_userinfo(url: &str) -> bool {
    matches!(url_without_userinfo(url), Cow::Owned(_))
}

/// Longest line a failure keeps of what it quotes, in bytes.
pub const LINE_LIMIT: usize = 4 * 1024;
/// Most a failure's message keeps in all, in bytes.
pub const MESSAGE_LIMIT: usize = 16 * 1024;

/// `text` cut to at most `limit` bytes (at a character boundary), the cut said with
/// `… N bytes more`.
pub fn cut(text: &str, limit: usize) -> Cow<'_, str> {
    if text.len() <= limit {
        return Cow::Borrowed(text);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}… {} bytes more", &text[..end], text.len() - end))
}

/// A message bounded whatever it quotes: each line cut at [`LINE_LIMIT`], the whole at
/// [`MESSAGE_LIMIT`].
pub fn bounded_message(text: String) -> String {
    if text.len() <= LINE_LIMIT {
        return text;
    }
    let mut out = String::with_capacity(MESSAGE_LIMIT.min(text.len()) + 64);
    let mut lines = text.split('\n');
    let mut kept = 0;
    for (index, line) in lines.by_ref().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&cut(line, LINE_LIMIT));
        kept += line.len() + 1;
        if out.len() >= MESSAGE_LIMIT {
            break;
        }
    }
    let left = text.len().saturating_sub(kept);
    if left > 0 {
        let _ = write!(out, "\n… {left} bytes more");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}[2J\u{1b}]52;c;SGVsbG8=\u{7}\u{9b}31m\u{202e}evil\u{2066}\r\nFAKE: PASS\u{fffe}\u{ffff}\u{85}\u{2028}\0\u{7f}z";

    fn raw_controls(text: &str, allowed: &[char]) -> Vec<char> {
        text.chars()
            .filter(|c| is_hostile(*c) && !allowed.contains(c))
            .collect()
    }

    #[test]
    fn terminal_shows_every_hostile_character_visibly() {
        let shown = terminal(HOSTILE);
        assert_eq!(raw_controls(&shown, &[]), Vec::<char>::new());
        assert_eq!(
            shown,
            "a\\u{1b}[2J\\u{1b}]52;c;SGVsbG8=\\u{7}\\u{9b}31m\\u{202e}evil\\u{2066}\\r\\nFAKE: PASS\\u{fffe}\\u{ffff}\\u{85}\\u{2028}\\u{0}\\u{7f}z"
        );
        assert!(matches!(terminal("plain text: ok"), Cow::Borrowed(_)));
        assert_eq!(terminal("tab\there"), "tab\\there");
    }

    #[test]
    fn terminal_lines_keep_only_line_feeds() {
        let shown = terminal_lines("one\r\ntwo\u{1b}[1m\nthree");
        assert_eq!(shown, "one\\r\ntwo\\u{1b}[1m\nthree");
        assert_eq!(raw_controls(&shown, &['\n']), Vec::<char>::new());
    }

    #[test]
    fn markdown_neutralises_syntax_and_controls() {
        let shown = markdown("a|b `c` *d* _e_ [x](http://e) <img src=x> &amp; ~~s~~ \\ \u{1b}\n");
        assert_eq!(
            shown,
            "a\\|b \\`c\\` \\*d\\* \\_e\\_ \\[x\\](http://e) &lt;img src=x&gt; &amp;amp; \\~\\~s\\~\\~ \\\\ \\u{1b}\\n"
        );
        assert_eq!(markdown("# heading"), "\\# heading");
        assert_eq!(markdown("a # b"), "a # b");
        assert_eq!(raw_controls(&markdown(HOSTILE), &[]), Vec::<char>::new());
    }

    #[test]
    fn markdown_code_spans_survive_backticks_and_pipes() {
        assert_eq!(markdown_code_cell("assign.row-13"), "`assign.row-13`");
        assert_eq!(markdown_code_cell("a`b|c"), "``a`b\\|c``");
        assert_eq!(markdown_code("a`b|c"), "``a`b|c``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("\u{1b}"), "`\\u{1b}`");
    }

    #[test]
    fn html_escapes_specials_and_shows_controls() {
        assert_eq!(
            html("<b a=\"1\" b='2'>&\u{0}\u{1b}</b>"),
            "&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;\\u{0}\\u{1b}&lt;/b&gt;"
        );
        assert_eq!(raw_controls(&html(HOSTILE), &[]), Vec::<char>::new());
    }

    #[test]
    fn xml_keeps_line_breaks_and_tabs_only() {
        assert_eq!(xml("a\n\tb\r\u{fffe}\u{b}"), "a\n\tb\\r\\u{fffe}\\u{b}");
        assert_eq!(raw_controls(&xml(HOSTILE), &['\n']), Vec::<char>::new());
    }

    #[test]
    fn yaml_comments_cannot_end_early() {
        let comment = yaml_comment("x\rsetup:\n- DeleteNetworkInterface\u{85}\u{2028}\u{2029}");
        assert_eq!(comment.lines().count(), 1);
        assert!(comment.starts_with("# x\\rsetup:\\n"), "{comment}");
        assert_eq!(raw_controls(&comment, &[]), Vec::<char>::new());
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let value = serde_json::json!({ "m": HOSTILE, "k\u{9b}": [1, "\u{202e}"] });
        let text = json_pretty(&value).unwrap();
        assert_eq!(raw_controls(&text, &['\n']), Vec::<char>::new());
        assert!(
            text.contains("\\u009b") && text.contains("\\u202e"),
            "{text}"
        );
        let line = json_line(&value).unwrap();
        assert_eq!(raw_controls(&line, &[]), Vec::<char>::new());
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            value
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value, "readers get the same strings back");
        // Pretty, as before.
        assert_eq!(
            json_pretty(&serde_json::json!({"a": [1]})).unwrap(),
            serde_json::to_string_pretty(&serde_json::json!({"a": [1]})).unwrap()
        );
    }

    #[test]
    fn urls_lose_their_userinfo() {
        assert_eq!(
            url_without_userinfo("http://user:s3cret@127.0.0.1:8080/x?a=b@c"),
            "http://127.0.0.1:8080/x?a=b@c"
        );
        assert_eq!(url_without_userinfo("https://u@h"), "https://h");
        assert_eq!(url_without_userinfo("http://h/p@x"), "http://h/p@x");
        assert_eq!(url_without_userinfo("not a url"), "not a url");
        assert_eq!(url_without_userinfo("http://a@b:p@ss@h:1/"), "http://h:1/");
        assert!(has_userinfo("http://:pw@h/") && !has_userinfo("http://h/"));
    }

    #[test]
    fn cuts_say_how_much_was_left_out() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("abcdef", 3), "abc… 3 bytes more");
        // Never inside a character.
        assert_eq!(cut("ééé", 3), "é… 4 bytes more");
    }

    #[test]
    fn messages_are_bounded_per_line_and_in_all() {
        let huge = format!("status: got 400 X: {}", "m".repeat(3_000_000));
        let bounded = bounded_message(huge);
        assert!(bounded.len() < LINE_LIMIT + 64, "{}", bounded.len());
        assert!(bounded.ends_with("bytes more"), "{bounded}");
        let many_lines = "line of text\n".repeat(1_000_000);
        let bounded = bounded_message(many_lines);
        assert!(bounded.len() < MESSAGE_LIMIT + 64, "{}", bounded.len());
        assert!(bounded.ends_with("bytes more"), "{bounded}");
        let normal = "status: expected 200, got 400\nsecond line".to_string();
        assert_eq!(bounded_message(normal.clone()), normal);
    }
}
