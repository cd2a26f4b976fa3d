//! Response bodies: one tree per answer, rendered as JSON or XML, success or error.
//!
//! A single tree keeps the two formats in step: a list is a wrapper holding repeated items
//! (`{"PrivateIpSet": [..]}` in JSON, repeated `<PrivateIpSet>` elements in XML).

use std::fmt::Write as _;

use crate::defects::{Defect, Defects};
use crate::error::{ApiError, Wording};

/// Response format, from `Format` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml;charset=utf-8",
            Format::Json => "application/json;charset=utf-8",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Format> {
        if s.eq_ignore_ascii_case("xml") {
            Some(Format::Xml)
        } else if s.eq_ignore_ascii_case("json") {
            Some(Format::Json)
        } else {
            None
        }
    }
}

/// A value in a response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Str(String),
    Int(i64),
    Bool(bool),
    /// An object: named fields in order.
    Obj(Vec<(&'static str, Node)>),
    /// A list wrapper: `{item: [..]}` in JSON, repeated `<item>` elements in XML.
    List(&'static str, Vec<Node>),
}

pub(crate) type Fields = Vec<(&'static str, Node)>;

pub(crate) fn s(v: impl Into<String>) -> Node {
    Node::Str(v.into())
}

/// An address as a string value, in dotted-quad form (as `Ipv4Addr`'s `Display` writes it).
pub(crate) fn ipv4(ip: std::net::Ipv4Addr) -> Node {
    Node::Str(ipv4_text(ip))
}

/// `a.b.c.d`, written digit by digit: a describe answer carries one per address it lists, and
/// the formatting machinery costs several times the work.
pub(crate) fn ipv4_text(ip: std::net::Ipv4Addr) -> String {
    let mut out = String::with_capacity(15);
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

/// A success body: `RequestId` first, then `fields`.
pub(crate) fn success(format: Format, action: &str, request_id: &str, fields: &Fields) -> String {
    // A describe answer of one ENI is about 700 bytes: one allocation, no regrowth.
    let mut out = String::with_capacity(1024);
    match format {
        Format::Json => {
            out.push_str("{\"RequestId\":");
            json_str(&mut out, request_id);
            for (name, node) in fields {
                out.push(',');
                json_key(&mut out, name);
                out.push(':');
                json(&mut out, node);
            }
            out.push('}');
        }
        Format::Xml => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><");
            out.push_str(action);
            out.push_str("Response><RequestId>");
            xml_text(&mut out, request_id);
            out.push_str("</RequestId>");
            for (name, node) in fields {
                xml(&mut out, name, node);
            }
            out.push_str("</");
            out.push_str(action);
            out.push_str("Response>");
        }
    }
    out
}

/// How an endpoint's error answers speak: the words of their messages and their `HostId`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Speech<'a> {
    pub wording: Wording,
    pub host_id: &'a str,
}

impl Default for Speech<'_> {
    /// The reference emulator's.
    fn default() -> Self {
        Speech {
            wording: Wording::Reference,
            host_id: "ecs.aliyuncs.com",
        }
    }
}

/// An error body with `RequestId`, `HostId`, `Code`, `Message` and `Recommend`.
pub(crate) fn error(
    format: Format,
    request_id: &str,
    err: &ApiError,
    speech: Speech<'_>,
    defects: Defects,
) -> String {
    let recommend = format!(
        "https://api.aliyun.com/troubleshoot?q={}&product=Ecs&requestId={request_id}",
        err.code
    );
    let message = err.message(speech.wording);
    let fields: [(&str, &str); 5] = [
        ("RequestId", request_id),
        ("HostId", speech.host_id),
        ("Code", &err.code),
        ("Message", &message),
        ("Recommend", &recommend),
    ];
    // Defect: the error renderer forgets the RequestId.
    let fields = if defects.has(Defect::ErrorWithoutRequestId) {
        &fields[1..]
    } else {
        &fields[..]
    };
    let mut out = String::with_capacity(384);
    match format {
        Format::Json => {
            out.push('{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_str(&mut out, name);
                out.push(':');
                json_str(&mut out, value);
            }
            out.push('}');
        }
        Format::Xml => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>");
            for (name, value) in fields {
                let _ = write!(out, "<{name}>");
                xml_text(&mut out, value);
                let _ = write!(out, "</{name}>");
            }
            // Defect: the root element is never closed.
            if !defects.has(Defect::MalformedXmlError) {
                out.push_str("</Error>");
            }
        }
    }
    out
}

fn json(out: &mut String, node: &Node) {
    match node {
        Node::Str(v) => json_str(out, v),
        Node::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Node::Bool(v) => out.push_str(if *v { "true" } else { "false" }),
        Node::Obj(fields) => {
            out.push('{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_key(out, name);
                out.push(':');
                json(out, value);
            }
            out.push('}');
        }
        Node::List(item, values) => {
            out.push('{');
            json_key(out, item);
            out.push_str(":[");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(out, value);
            }
            out.push_str("]}");
        }
    }
}

/// A field name of the API: a constant of this crate, plain ASCII that needs no escape.
fn json_key(out: &mut String, name: &'static str) {
    debug_assert!(!name.bytes().any(needs_json_escape), "{name}");
    out.push('"');
    out.push_str(name);
    out.push('"');
}

fn json_str(out: &mut String, v: &str) {
    out.push('"');
    // Almost every string value of an answer (ids, addresses, names) needs no escape: a check
    // that reads every byte without stopping early compiles to a vector loop, and the string is
    // then copied whole (a read's answer, field names included as they then were: 8 900
    // instructions here with the byte-by-byte loop alone, 4 200 with this check first).
    if !v
        .bytes()
        .fold(false, |any, byte| any | needs_json_escape(byte))
    {
        out.push_str(v);
        out.push('"');
        return;
    }
    // Runs of bytes that need no escape are copied whole. Every escaped byte is ASCII, so the
    // cuts fall on character boundaries.
    let mut plain = 0;
    for (at, byte) in v.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&v[plain..at]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escaped);
        }
        plain = at + 1;
    }
    out.push_str(&v[plain..]);
    out.push('"');
}

/// The bytes a JSON string cannot carry as they are: `"`, `\` and the C0 controls.
fn needs_json_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

fn xml(out: &mut String, name: &str, node: &Node) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match node {
        Node::Str(v) => xml_text(out, v),
        Node::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Node::Bool(v) => out.push_str(if *v { "true" } else { "false" }),
        Node::Obj(fields) => {
            for (field, value) in fields {
                xml(out, field, value);
            }
        }
        Node::List(item, values) => {
            for value in values {
                xml(out, item, value);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Escapes markup characters; characters XML 1.0 cannot carry at all (most C0 controls,
/// U+FFFE, U+FFFF) become U+FFFD so that an echoed hostile value never breaks the document.
fn xml_text(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_what_json_requires_and_keep_the_rest() {
        for text in [
            "",
            "plain",
            "a\"quote\" and \\ backslash",
            "line\nbreak\r\ttab \u{1} \u{1f} end",
            "“PrivateIpAddress. 1” 中文 \u{7f} é",
            "\"",
            "\u{0}",
        ] {
            let mut out = String::new();
            json_str(&mut out, text);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, text, "{out}");
        }
    }

    #[test]
    fn addresses_are_written_as_display_writes_them() {
        let edges = [0u8, 1, 9, 10, 11, 99, 100, 101, 199, 200, 249, 250, 255];
        for a in edges {
            for b in edges {
                for (c, d) in [(0, 0), (10, 255), (100, 9), (255, 99)] {
                    let ip = std::net::Ipv4Addr::new(a, b, c, d);
                    assert_eq!(ipv4_text(ip), ip.to_string());
                }
            }
        }
    }

    fn sample() -> Fields {
        vec![
            ("TotalCount", Node::Int(3)),
            (
                "PrivateIpSets",
                Node::List(
                    "PrivateIpSet",
                    vec![
                        Node::Obj(vec![
                            ("PrivateIpAddress", s("10.0.0.1")),
                            ("Primary", Node::Bool(true)),
                        ]),
                        Node::Obj(vec![
                            ("PrivateIpAddress", s("10.0.0.2")),
                            ("Primary", Node::Bool(false)),
                        ]),
                    ],
                ),
            ),
            (
                "PrivateIpSet",
                Node::List("PrivateIpAddress", vec![s("a<b"), s("c")]),
            ),
        ]
    }

    #[test]
    fn json_uses_real_types_and_wrappers() {
        let body = success(Format::Json, "X", "R1", &sample());
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["RequestId"], "R1");
        assert_eq!(v["TotalCount"], 3);
        assert_eq!(v["PrivateIpSets"]["PrivateIpSet"][0]["Primary"], true);
        assert_eq!(v["PrivateIpSet"]["PrivateIpAddress"][0], "a<b");
    }

    #[test]
    fn xml_repeats_items_inside_the_wrapper_and_escapes() {
        let body = success(Format::Xml, "Describe", "R1", &sample());
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeResponse><RequestId>R1</RequestId>\
             <TotalCount>3</TotalCount><PrivateIpSets><PrivateIpSet><PrivateIpAddress>10.0.0.1</PrivateIpAddress>\
             <Primary>true</Primary></PrivateIpSet><PrivateIpSet><PrivateIpAddress>10.0.0.2</PrivateIpAddress>\
             <Primary>false</Primary></PrivateIpSet></PrivateIpSets><PrivateIpSet><PrivateIpAddress>a&lt;b\
             </PrivateIpAddress><PrivateIpAddress>c</PrivateIpAddress></PrivateIpSet></DescribeResponse>"
        );
    }

    #[test]
    fn errors_in_both_formats() {
        let err = ApiError::missing("Action\u{1}&");
        let body = error(
            Format::Json,
            "R",
            &err,
            Speech::default(),
            Defects::default(),
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Code"], "MissingParameter");
        assert_eq!(v["HostId"], "ecs.aliyuncs.com");
        assert_eq!(
            v["Recommend"],
            "https://api.aliyun.com/troubleshoot?q=MissingParameter&product=Ecs&requestId=R"
        );
        let body = error(
            Format::Xml,
            "R",
            &err,
            Speech::default(),
            Defects::default(),
        );
        assert!(body.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><RequestId>R</RequestId>"
        ));
        assert!(body.contains("q=MissingParameter&amp;product=Ecs"));
        assert!(body.contains("Action\u{FFFD}&amp;"));
        let mut reader = quick_xml::Reader::from_str(&body);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }
}
