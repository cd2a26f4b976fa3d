//! Paths into a response body: `PrivateIpSets.PrivateIpSet[0].Primary`.
//!
//! The same path addresses the JSON and the XML form of a response, so it names keys and list
//! positions only. Keys containing dots cannot be written; ECS responses have none.

use std::fmt;

/// A parsed response path; `text` is the spelling it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// The keys and indexes, from the body's root.
    pub segments: Vec<Segment>,
    /// The path as the case file wrote it (`NetworkInterfaceSets.NetworkInterfaceSet[0]`).
    pub text: String,
}

/// One step of a path: a key of an object, or a position (0-based) in a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A key of an object (`PrivateIpSets`).
    Key(String),
    /// A position in a list, from 0 (`[0]`).
    Index(usize),
}

impl Path {
    /// Parses `seg ('.' seg)*` with `seg := name ('[' uint ']')?` and `name := [A-Za-z0-9_-]+`.
    pub fn parse(text: &str) -> Result<Path, String> {
        if text.is_empty() {
            return Err("a path cannot be empty".into());
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (name, index) = match part.find('[') {
                Some(open) => (&part[..open], Some(&part[open..])),
                None => (part, None),
            };
            if name.is_empty() {
                return Err(if part.is_empty() {
                    "empty key between dots".into()
                } else {
                    format!("`{part}` has an index but no key")
                });
            }
            if let Some(bad) = name
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
            {
                return Err(format!(
                    "`{bad}` is not allowed in a key (keys are letters, digits, `_` and `-`)"
                ));
            }
            segments.push(Segment::Key(name.to_string()));
            if let Some(index) = index {
                let digits = index
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| format!("`{index}` is not an index such as `[0]`"))?;
                if digits.len() > 1 && digits.starts_with('0') {
                    return Err(format!(
                        "write the index `[{digits}]` without leading zeros"
                    ));
                }
                let n = digits
                    .parse()
                    .map_err(|_| format!("index `{digits}` is too large"))?;
                segments.push(Segment::Index(n));
            }
        }
        Ok(Path {
            segments,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_indices() {
        let p = Path::parse("PrivateIpSets.PrivateIpSet[0].Primary").unwrap();
        assert_eq!(
            p.segments,
            vec![
                Segment::Key("PrivateIpSets".into()),
                Segment::Key("PrivateIpSet".into()),
                Segment::Index(0),
                Segment::Key("Primary".into()),
            ]
        );
        assert_eq!(p.to_string(), "PrivateIpSets.PrivateIpSet[0].Primary");
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "",
            ".",
            "a.",
            ".a",
            "a..b",
            "[0]",
            "a[]",
            "a[x]",
            "a[0",
            "a[0]b",
            "a[0][1]",
            "a b",
            "a[01]",
            "a[-1]",
            "a[99999999999999999999999]",
        ] {
            assert!(Path::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
