//! The canonical form of a case file, comments kept: `eni-harness fmt` rewrites a file with the
//! case language's writer ([`crate::case_to_yaml`]) and puts every comment back beside the key
//! it was written at (a comment line before the key it precedes, an end-of-line comment after
//! its key's value). A rewrite that would change the case, or lose a comment, is refused.

use std::collections::HashMap;

use crate::{SpecError, case_to_yaml, parse_case};

/// Why a file cannot be put in canonical form.
#[derive(Debug)]
pub enum FormatError {
    /// The file is not a valid case: its errors.
    Invalid(Vec<SpecError>),
    /// The rewrite would not be the same case or would not keep every comment (a bug of the
    /// writer); the file is left alone.
    Unfaithful(String),
}

/// The canonical text of a case file, its comments kept.
pub fn format_case(source: &str, origin: &str) -> Result<String, FormatError> {
    let case = parse_case(source, origin).map_err(FormatError::Invalid)?;
    let written = case_to_yaml(&case);
    let output = place_comments(source, &written);
    let again = parse_case(&output, origin).map_err(|errors| {
        FormatError::Unfaithful(format!(
            "the rewrite does not parse: {}",
            errors
                .first()
                .map_or(String::new(), |error| error.kind.to_string())
        ))
    })?;
    if again.without_spans() != case.without_spans() {
        return Err(FormatError::Unfaithful(
            "the rewrite would be another case".into(),
        ));
    }
    let comments = |text: &str| {
        let mut found: Vec<String> = scan(text)
            .into_iter()
            .filter_map(|line| line.comment)
            .collect();
        found.sort();
        found
    };
    if comments(&output) != comments(source) {
        return Err(FormatError::Unfaithful(
            "the rewrite would not keep every comment".into(),
        ));
    }
    Ok(output)
}

/// One line as [`scan`] reads it.
#[derive(Debug, Default)]
struct Line {
    /// The key path of the line's content (`steps/0/params/NetworkInterfaceId`); `None` for
    /// comment-only lines, blank lines and the inside of block scalars.
    path: Option<String>,
    /// The comment on the line, `#` included.
    comment: Option<String>,
    /// Whether the whole line is a comment.
    comment_only: bool,
    indent: usize,
}

/// Reads block-style YAML line by line: each content line's key path, and its comment.
fn scan(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    // (column, segment) of the keys and sequence items enclosing the current line.
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut items: HashMap<String, usize> = HashMap::new();
    let mut block_scalar: Option<usize> = None;
    for raw in text.lines() {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let trimmed = raw.trim();
        if let Some(column) = block_scalar {
            if trimmed.is_empty() || indent > column {
                lines.push(Line::default());
                continue;
            }
            block_scalar = None;
        }
        if trimmed.is_empty() {
            lines.push(Line::default());
            continue;
        }
        if trimmed.starts_with('#') {
            lines.push(Line {
                comment: Some(trimmed.to_string()),
                comment_only: true,
                indent,
                ..Line::default()
            });
            continue;
        }
        while stack.last().is_some_and(|(column, _)| *column >= indent) {
            stack.pop();
        }
        let (content, comment) = split_comment(&raw[indent..]);
        let mut column = indent;
        let mut rest = content;
        while rest == "-" || rest.starts_with("- ") {
            let parent = joined(&stack);
            let index = items.entry(parent).or_insert(0);
            stack.push((column, index.to_string()));
            *index += 1;
            let after = rest[1..].trim_start_matches(' ');
            column += rest.len() - after.len();
            rest = after;
        }
        if let Some((key, value)) = key_of(rest) {
            stack.push((column, key.to_string()));
            let value = value.trim();
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar = Some(column);
            }
        }
        lines.push(Line {
            path: Some(joined(&stack)),
            comment: comment.map(str::to_string),
            comment_only: false,
            indent,
        });
        // A key of a sequence item stays open for the item's next keys; a bare item does not.
    }
    lines
}

fn joined(stack: &[(usize, String)]) -> String {
    stack
        .iter()
        .map(|(_, segment)| segment.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// `key: value` → (`key`, `value`); quoted keys and `:` inside quotes are respected.
fn key_of(content: &str) -> Option<(&str, &str)> {
    let bytes = content.as_bytes();
    let mut quote = None;
    for (at, &byte) in bytes.iter().enumerate() {
        match (quote, byte) {
            (None, b'"' | b'\'') if at == 0 => quote = Some(byte),
            (Some(open), _) if byte == open => quote = None,
            (None, b'{' | b'[') if at == 0 => return None,
            (None, b':') if bytes.get(at + 1).is_none_or(|next| *next == b' ') => {
                return Some((&content[..at], &content[at + 1..]));
            }
            _ => {}
        }
    }
    None
}

/// Splits a line's content from its end-of-line comment (a `#` after a space, outside quotes).
fn split_comment(content: &str) -> (&str, Option<&str>) {
    let bytes = content.as_bytes();
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (at, &byte) in bytes.iter().enumerate() {
        if let Some(open) = quote {
            if open == b'"' && byte == b'\\' && !escaped {
                escaped = true;
                continue;
            }
            if byte == open && !escaped {
                quote = None;
            }
            escaped = false;
            continue;
        }
        match byte {
            b'"' | b'\''
                if at == 0 || matches!(bytes[at - 1], b' ' | b'[' | b'{' | b',' | b':') =>
            {
                quote = Some(byte);
            }
            b'#' if at > 0 && bytes[at - 1] == b' ' => {
                return (content[..at].trim_end(), Some(&content[at..]));
            }
            _ => {}
        }
    }
    (content.trim_end(), None)
}

/// The written text with the source's comments put back.
fn place_comments(source: &str, written: &str) -> String {
    let source_lines = scan(source);
    let written_lines = scan(written);
    let written_text: Vec<&str> = written.lines().collect();
    let index_of: HashMap<&str, usize> = written_lines
        .iter()
        .enumerate()
        .rev()
        .filter_map(|(index, line)| line.path.as_deref().map(|path| (path, index)))
        .collect();
    // Comments to put before a written line, and after it, by its index; the rest go last.
    let mut before: HashMap<usize, Vec<String>> = HashMap::new();
    let mut after: HashMap<usize, Vec<String>> = HashMap::new();
    let mut at_end: Vec<String> = Vec::new();
    let mut waiting: Vec<String> = Vec::new();
    for line in &source_lines {
        if line.comment_only {
            waiting.push(line.comment.clone().unwrap_or_default());
            continue;
        }
        let Some(path) = &line.path else {
            continue;
        };
        match index_of.get(path.as_str()) {
            Some(&index) => {
                before.entry(index).or_default().append(&mut waiting);
                if let Some(comment) = &line.comment {
                    after.entry(index).or_default().push(comment.clone());
                }
            }
            // A key the writer leaves out (a default): its comments go before the next key
            // that is written.
            None => waiting.extend(line.comment.clone()),
        }
    }
    at_end.append(&mut waiting);
    let mut out = String::new();
    for (index, text) in written_text.iter().enumerate() {
        let indent = written_lines[index].indent;
        for comment in before.get(&index).into_iter().flatten() {
            out.push_str(&" ".repeat(indent));
            out.push_str(comment);
            out.push('\n');
        }
        out.push_str(text);
        for comment in after.get(&index).into_iter().flatten() {
            out.push_str("  ");
            out.push_str(comment);
        }
        out.push('\n');
    }
    for comment in at_end {
        out.push_str(&comment);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSY: &str = "# yaml-language-server: $schema=../../schemas/case.schema.json\n# Why this case exists.\nid:   a.b\ntitle: \"T\"\ntags: [x]\nsteps:\n  # the only step\n  - name: s\n    action: DescribeNetworkInterfaces   # any action\n    params:\n      RegionId: \"cn-hangzhou\" # quoted # twice\n    expect:\n      status: 200\n# the end\n";

    #[test]
    fn the_canonical_form_keeps_every_comment_where_it_was() {
        let formatted = format_case(MESSY, "t.yaml").unwrap();
        assert!(
            formatted.starts_with(
                "# yaml-language-server: $schema=../../schemas/case.schema.json\n# Why this case exists.\nid: a.b\n"
            ),
            "{formatted}"
        );
        assert!(
            formatted.contains("  # the only step\n  - name: s\n"),
            "{formatted}"
        );
        assert!(
            formatted.contains("action: DescribeNetworkInterfaces  # any action\n"),
            "{formatted}"
        );
        assert!(formatted.contains("# quoted # twice\n"), "{formatted}");
        assert!(formatted.ends_with("# the end\n"), "{formatted}");
        // Canonical means stable.
        assert_eq!(format_case(&formatted, "t.yaml").unwrap(), formatted);
    }

    #[test]
    fn an_invalid_case_is_not_rewritten() {
        assert!(matches!(
            format_case("id: a\n", "t.yaml"),
            Err(FormatError::Invalid(_))
        ));
    }

    #[test]
    fn comments_on_left_out_defaults_move_to_the_next_key() {
        let source = "id: a.b\ntitle: T\nsnapshot: true # the default\nsteps:\n  - name: s\n    action: DescribeNetworkInterfaces\n";
        let formatted = format_case(source, "t.yaml").unwrap();
        assert!(formatted.contains("# the default\nsteps:"), "{formatted}");
    }
}
