//! Templates: strings with `${expr}` holes that the runner fills at run time.
//!
//! Parsing is strict (no spaces, no lone `$`, no `+0`) so that a template's `Display` is exactly
//! the text it was parsed from, which makes emitted regression cases read like hand-written ones.

use std::fmt;

use crate::error::Span;

/// A string with holes. A template without holes is a plain string ([`Template::literal`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Template {
    /// Literal runs and holes, in order; empty for the empty text.
    pub parts: Vec<Part>,
}

/// A run of literal text (never empty; `$$` already turned into `$`) or a hole.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    /// Literal text.
    Lit(String),
    /// A `${...}` hole, filled in when the step is sent.
    Expr(Expr),
}

/// `root ('.' member ('(' int ')')?)? (('+'|'-') uint)?`, e.g. `${vswitch.host(10)}`,
/// `${eni}`, `${vswitch.outside+1}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expr {
    /// A fixture named in `uses`, a captured variable, or `region`, `unique`, `limits`.
    pub root: String,
    /// The member read from it (`.id`, `.host(10)`), if any.
    pub member: Option<Member>,
    /// Added to the value (address arithmetic); 0 when not written.
    pub offset: i64,
    /// Where the `$` of `${` is in the case file.
    pub span: Span,
}

/// `.name` or `.name(arg)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    /// The member's name (`id`, `cidr`, `host`, ...).
    pub name: String,
    /// The argument in parentheses (`host(10)`), if any.
    pub arg: Option<i64>,
}

/// Why a template does not parse, and where: `offset` is the byte offset in the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Where the problem is: the byte offset in the template text.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

impl Template {
    /// Parses template text. Expression spans are left unknown; `parse_case` fills them in.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(i) = rest.find('$') {
            lit.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                lit.push('$');
                offset += i + 2;
                rest = tail;
            } else if let Some(tail) = after.strip_prefix('{') {
                let err = |at: usize, reason: String| TemplateError {
                    offset: offset + i + at,
                    reason,
                };
                let close = tail
                    .find('}')
                    .ok_or_else(|| err(0, "`${` is not closed by `}`".into()))?;
                let expr =
                    parse_expr(&tail[..close]).map_err(|(at, reason)| err(2 + at, reason))?;
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Expr(expr));
                offset += i + 2 + close + 1;
                rest = &tail[close + 1..];
            } else {
                return Err(TemplateError {
                    offset: offset + i,
                    reason: "a lone `$`: write `$$` for a literal `$`, `${...}` for a value".into(),
                });
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    /// A template made of literal text only.
    #[must_use]
    pub fn from_literal(text: &str) -> Template {
        Template {
            parts: if text.is_empty() {
                Vec::new()
            } else {
                vec![Part::Lit(text.to_string())]
            },
        }
    }

    /// The text, if the template has no holes.
    #[must_use]
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Lit(s)] => Some(s),
            _ => None,
        }
    }

    /// The holes, in order.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e),
            Part::Lit(_) => None,
        })
    }

    pub(crate) fn exprs_mut(&mut self) -> impl Iterator<Item = &mut Expr> {
        self.parts.iter_mut().filter_map(|p| match p {
            Part::Expr(e) => Some(e),
            Part::Lit(_) => None,
        })
    }
}

fn is_ident(s: &str, first: fn(char) -> bool, rest: fn(char) -> bool) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(first) && chars.all(rest)
}

pub(crate) fn is_root_name(s: &str) -> bool {
    is_ident(
        s,
        |c| c.is_ascii_alphabetic() || c == '_',
        |c| c.is_ascii_alphanumeric() || c == '_',
    )
}

fn is_member_name(s: &str) -> bool {
    is_ident(
        s,
        |c| c.is_ascii_lowercase() || c == '_',
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
    )
}

/// Parses the inside of `${...}`; errors carry a byte offset into it.
fn parse_expr(body: &str) -> Result<Expr, (usize, String)> {
    if body.is_empty() {
        return Err((0, "`${}` is empty".into()));
    }
    // The offset starts at the first `+`/`-` that is not inside the member's parentheses.
    let mut depth = 0;
    let mut split = body.len();
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '+' | '-' if depth == 0 => {
                split = i;
                break;
            }
            _ => {}
        }
    }
    let (head, tail) = body.split_at(split);
    let offset = if tail.is_empty() {
        0
    } else {
        let digits = &tail[1..];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err((split, format!("`{tail}` is not an offset such as `+1`")));
        }
        if (digits.len() > 1 && digits.starts_with('0')) || digits == "0" {
            return Err((
                split,
                format!("write the offset `{tail}` as a non-zero number without leading zeros"),
            ));
        }
        let n: i64 = digits
            .parse()
            .map_err(|_| (split, format!("offset `{tail}` is too large")))?;
        if tail.starts_with('-') { -n } else { n }
    };
    let (root, member) = match head.split_once('.') {
        Some((root, member)) => (root, Some(member)),
        None => (head, None),
    };
    if !is_root_name(root) {
        return Err((
            0,
            format!("`{root}` is not a name (letters, digits and `_`, not starting with a digit)"),
        ));
    }
    let member = match member {
        None => None,
        Some(m) => {
            let at = root.len() + 1;
            let (name, arg) = match m.split_once('(') {
                Some((name, rest)) => {
                    let arg = rest
                        .strip_suffix(')')
                        .ok_or_else(|| (at, format!("`{m}`: the argument is not closed by `)`")))?;
                    (
                        name,
                        Some(parse_int(arg).map_err(|r| (at + name.len() + 1, r))?),
                    )
                }
                None => (m, None),
            };
            if !is_member_name(name) {
                return Err((
                    at,
                    format!("`{name}` is not a member name (lower-case letters, digits and `_`)"),
                ));
            }
            Some(Member {
                name: name.to_string(),
                arg,
            })
        }
    };
    Ok(Expr {
        root: root.to_string(),
        member,
        offset,
        span: Span::UNKNOWN,
    })
}

fn parse_int(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'))
        && text != "-0";
    if !canonical {
        return Err(format!(
            "`({text})` is not a whole number such as `(10)` or `(-1)`"
        ));
    }
    text.parse().map_err(|_| format!("`{text}` is too large"))
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Lit(s) => f.write_str(&s.replace('$', "$$"))?,
                Part::Expr(e) => write!(f, "{e}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}", self.root)?;
        if let Some(m) = &self.member {
            write!(f, ".{}", m.name)?;
            if let Some(arg) = m.arg {
                write!(f, "({arg})")?;
            }
        }
        match self.offset {
            0 => {}
            n if n > 0 => write!(f, "+{n}")?,
            n => write!(f, "-{}", n.unsigned_abs())?,
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(root: &str, member: Option<(&str, Option<i64>)>, offset: i64) -> Part {
        Part::Expr(Expr {
            root: root.into(),
            member: member.map(|(name, arg)| Member {
                name: name.into(),
                arg,
            }),
            offset,
            span: Span::UNKNOWN,
        })
    }

    #[test]
    fn parses_holes_and_escapes() {
        let t =
            Template::parse("ip ${vswitch.host(-1)} of ${eni}, $$5 ${x.outside+2}${y-3}").unwrap();
        assert_eq!(
            t.parts,
            vec![
                Part::Lit("ip ".into()),
                expr("vswitch", Some(("host", Some(-1))), 0),
                Part::Lit(" of ".into()),
                expr("eni", None, 0),
                Part::Lit(", $5 ".into()),
                expr("x", Some(("outside", None)), 2),
                expr("y", None, -3),
            ]
        );
        assert_eq!(t.literal(), None);
        assert_eq!(Template::parse("a$$b").unwrap().literal(), Some("a$b"));
        assert_eq!(Template::parse("").unwrap().literal(), Some(""));
    }

    #[test]
    fn display_is_the_source_text() {
        for s in [
            "",
            "plain",
            "$$",
            "a$$${b}$$",
            "${v.host(10)}",
            "${v.host(-1)}",
            "${x+1}",
            "${x.first_usable-2}",
            "${limits.available_cap}",
        ] {
            assert_eq!(Template::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed_holes() {
        for bad in [
            "${eni",
            "${}",
            "$x",
            "$",
            "${ eni }",
            "${1x}",
            "${a.B}",
            "${a.b.c}",
            "${a.host(}",
            "${a.host()}",
            "${a.host(01)}",
            "${a.host(-0)}",
            "${a+}",
            "${a+0}",
            "${a+01}",
            "${a+x}",
            "${a.host(1)x}",
            "${a+99999999999999999999}",
            "${a.b(1)(2)}",
            "${a+1+2}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn error_offsets_point_into_the_text() {
        let e = Template::parse("ok ${eni").unwrap_err();
        assert_eq!(e.offset, 3);
        let e = Template::parse("a $ b").unwrap_err();
        assert_eq!(e.offset, 2);
    }
}
