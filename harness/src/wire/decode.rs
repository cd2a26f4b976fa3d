//! Decodes any response body — JSON, XML, or garbage — into one model, so that a case's
//! expectations and snapshots are the same whichever `Format` was asked for. Never panics:
//! whatever an endpoint sends, it ends up in `problems`, not in a crash.
//!
//! The model: every scalar is a JSON string (`true` → `"true"`, `3` → `"3"`, `null` → `""`),
//! objects keep key order, XML elements become objects, repeated XML siblings become arrays,
//! and the XML root element is dropped (JSON has none). Names that ECS responses use for lists
//! ([`LIST_RULES`]) are always arrays, even with one item, and an empty wrapper of such a list
//! (`<Tags/>`, `"Tags": {}`) becomes `{"Tag": []}`.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

use crate::checks::describe;

/// Deepest nesting decoded; deeper bodies are `Unparseable`. ECS bodies nest about 6 deep.
pub const MAX_DEPTH: usize = 64;

/// Element paths (by suffix) that are lists in ECS responses. XML cannot tell a one-item list
/// from a single value, so these are forced into arrays for both formats. A rule is matched
/// against the end of the element's path, because the same name can be a list in one place
/// and not in another (`PrivateIpSet` is a list item under `PrivateIpSets`, but a wrapper of
/// `PrivateIpAddress` strings in the answer to AssignPrivateIpAddresses).
pub const LIST_RULES: &[&[&str]] = &[
    describe::IP_SET_PATH,
    describe::ASSIGNED_KEYS,
    describe::ENI_LIST_KEYS,
    &["SecurityGroupIds", "SecurityGroupId"],
    &["Ipv6Sets", "Ipv6Set"],
    describe::PREFIX_SET_PATH,
    &["Ipv6PrefixSets", "Ipv6PrefixSet"],
    &["Tags", "Tag"],
    &["Regions", "Region"],
    &["Zones", "Zone"],
    &["Instances", "Instance"],
];

/// What the body turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum BodyFormat {
    /// A JSON document.
    Json,
    /// An XML document.
    Xml,
    /// No bytes, or only whitespace.
    #[default]
    Empty,
    /// Neither valid JSON nor valid XML (or nested too deep); `body` is `null`.
    Unparseable,
}

/// A response body in the one model, with the fields every ECS answer carries pulled out.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Decoded {
    /// What the body turned out to be.
    pub format: BodyFormat,
    pub(crate) request_id: Option<String>,
    /// The error's `Code`, when the body has one.
    pub code: Option<String>,
    /// The error's `Message`, when the body has one.
    pub message: Option<String>,
    pub(crate) host_id: Option<String>,
    pub(crate) recommend: Option<String>,
    /// The normalized body (`null` when empty or unparseable).
    pub body: Value,
    /// Everything odd about the response, in plain words. Not a verdict: checks decide.
    pub problems: Vec<String>,
}

impl Decoded {
    /// The value at `path`: keys separated by `.`, array indices as `[N]`
    /// (`NetworkInterfaceSets.NetworkInterfaceSet[0].PrivateIpSets.PrivateIpSet[1].PrivateIpAddress`).
    /// The empty path is the whole body. `None` if anything along the way is missing, or the
    /// path is malformed or holds a `[*]`.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let steps = parse_path(path)?;
        if steps.iter().any(|s| matches!(s, Step::Any)) {
            return None;
        }
        let mut out = Vec::new();
        walk(&self.body, &steps, &mut out);
        out.into_iter().next()
    }

    /// The value at a case's path, walked by the segments the case language validated (no
    /// second reading of its text). `None` if anything along the way is missing.
    pub fn at(&self, path: &eni_spec::Path) -> Option<&Value> {
        value_at(&self.body, path)
    }

    /// Every value at `path`, where `[*]` stands for every index of an array.
    pub fn values_at(&self, path: &str) -> Vec<&Value> {
        let mut out = Vec::new();
        if let Some(steps) = parse_path(path) {
            walk(&self.body, &steps, &mut out);
        }
        out
    }

    /// Every string at `path` (which may use `[*]`): a string gives itself, an array gives its
    /// string items; anything else gives nothing.
    pub fn strings_at(&self, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        for v in self.values_at(path) {
            match v {
                Value::String(s) => out.push(s.clone()),
                Value::Array(items) => {
                    out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)))
                }
                _ => {}
            }
        }
        out
    }
}

/// Decodes a response. The format is sniffed from the body (a `Content-Type` that disagrees
/// is recorded as a problem, not trusted), then normalized into the one model.
pub fn decode_response(status: u16, content_type: Option<&str>, body: &[u8]) -> Decoded {
    let mut problems = Vec::new();
    let text: Cow<'_, str> = match std::str::from_utf8(body) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            problems.push("body is not valid UTF-8".to_string());
            String::from_utf8_lossy(body)
        }
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let declared = declared_format(content_type);
    if content_type.is_none() && !trimmed.is_empty() {
        problems.push("response has no Content-Type".to_string());
    }

    if trimmed.is_empty() {
        problems.push("body empty".to_string());
        return Decoded {
            format: BodyFormat::Empty,
            problems,
            ..Decoded::default()
        };
    }

    let sniffed = match trimmed.as_bytes()[0] {
        b'{' | b'[' => Some(BodyFormat::Json),
        b'<' => Some(BodyFormat::Xml),
        // A bare JSON scalar is still JSON if the endpoint says so.
        _ if declared == Some(BodyFormat::Json) => Some(BodyFormat::Json),
        _ => None,
    };
    if let (Some(d), Some(s)) = (declared, sniffed)
        && d != s
    {
        problems.push(format!(
            "Content-Type says {} but body is {}",
            format_word(d),
            format_word(s)
        ));
    }

    let parsed = match sniffed {
        Some(BodyFormat::Json) => decode_json(trimmed).map(|v| (BodyFormat::Json, v, None)),
        Some(_) => {
            decode_xml(trimmed, &mut problems).map(|(root, v)| (BodyFormat::Xml, v, Some(root)))
        }
        None => Err("body is neither JSON nor XML".to_string()),
    };
    let (format, body, xml_root) = match parsed {
        Ok(p) => p,
        Err(problem) => {
            problems.push(problem);
            return Decoded {
                format: BodyFormat::Unparseable,
                problems,
                ..Decoded::default()
            };
        }
    };

    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let decoded = Decoded {
        format,
        request_id: field("RequestId"),
        code: field("Code"),
        message: field("Message"),
        host_id: field("HostId"),
        recommend: field("Recommend"),
        body: Value::Null,
        problems: Vec::new(),
    };
    check_shape(status, &decoded, &body, xml_root.as_deref(), &mut problems);
    Decoded {
        body,
        problems,
        ..decoded
    }
}

fn format_word(f: BodyFormat) -> &'static str {
    match f {
        BodyFormat::Json => "JSON",
        BodyFormat::Xml => "XML",
        BodyFormat::Empty => "empty",
        BodyFormat::Unparseable => "unparseable",
    }
}

fn declared_format(content_type: Option<&str>) -> Option<BodyFormat> {
    let ct = content_type?.to_ascii_lowercase();
    if ct.contains("json") {
        Some(BodyFormat::Json)
    } else if ct.contains("xml") {
        Some(BodyFormat::Xml)
    } else {
        None
    }
}

/// Records what the contract says every answer carries and this one does not.
fn check_shape(
    status: u16,
    d: &Decoded,
    body: &Value,
    xml_root: Option<&str>,
    problems: &mut Vec<String>,
) {
    let word = format_word(d.format);
    if !body.is_object() {
        problems.push(format!("{word} body is not an object"));
        return;
    }
    let is_error_status = status >= 400;
    if is_error_status {
        for (name, value) in [
            ("RequestId", &d.request_id),
            ("Code", &d.code),
            ("Message", &d.message),
        ] {
            if value.is_none() {
                problems.push(format!("{word} error body has no {name}"));
            }
        }
        if let Some(root) = xml_root
            && root != "Error"
        {
            problems.push(format!(
                "HTTP {status} but the XML root is <{root}>, not <Error>"
            ));
        }
    } else {
        if d.request_id.is_none() {
            problems.push(format!("{word} body has no RequestId"));
        }
        if (200..300).contains(&status) {
            if d.code.is_some() || xml_root == Some("Error") {
                problems.push(format!("HTTP {status} with an error body"));
            } else if let Some(root) = xml_root
                && !root.ends_with("Response")
            {
                problems.push(format!(
                    "XML success root <{root}> does not end in \"Response\""
                ));
            }
        }
    }
}

// ---- JSON ----------------------------------------------------------------------------------

struct TooDeep;

fn too_deep() -> String {
    format!("nesting deeper than {MAX_DEPTH} levels")
}

fn decode_json(text: &str) -> Result<Value, String> {
    // serde_json refuses nesting past 128 by itself, so parsing cannot overflow the stack;
    // the normalizer enforces the tighter limit.
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| format!("JSON body does not parse: {e}"))?;
    let mut path = Vec::new();
    normalize_json(&mut value, &mut path, 0).map_err(|TooDeep| too_deep())?;
    Ok(value)
}

/// Normalizes the parsed tree in place: every answer is decoded, the state reads' large ones
/// too, so only the values that change are rewritten and no map is rebuilt.
fn normalize_json<'a>(
    v: &'a mut Value,
    path: &mut Vec<&'a str>,
    depth: usize,
) -> Result<(), TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    let replaced = match &*v {
        Value::Null => Some(empty_leaf(path)),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::String(s) if s.is_empty() => Some(empty_leaf(path)),
        // An empty top-level object stays one: it is the body, not a leaf.
        Value::Object(map) if map.is_empty() && depth > 0 => Some(empty_leaf(path)),
        _ => None,
    };
    if let Some(replaced) = replaced {
        *v = replaced;
        return Ok(());
    }
    match v {
        Value::Array(items) => {
            for item in items {
                normalize_json(item, path, depth + 1)?;
            }
        }
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                path.push(k);
                if is_list(path) {
                    match child {
                        Value::Array(_) => normalize_json(child, path, depth + 1)?,
                        Value::Null => *child = Value::Array(Vec::new()),
                        other => {
                            // A list of one sent bare: wrapped first, then the item normalized
                            // as itself (at the depth and path it was found at).
                            *other = Value::Array(vec![std::mem::take(other)]);
                            if let Value::Array(items) = other {
                                for item in items {
                                    normalize_json(item, path, depth + 1)?;
                                }
                            }
                        }
                    }
                } else {
                    normalize_json(child, path, depth + 1)?;
                }
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

/// An element with nothing in it: an empty list wrapper becomes `{item: []}`, anything else
/// `""` — what an empty XML element and a JSON `""`/`null`/`{}` have in common.
fn empty_leaf<S: AsRef<str>>(path: &[S]) -> Value {
    match wrapper_item(path) {
        Some(item) => {
            let mut m = Map::new();
            m.insert(item.to_string(), Value::Array(Vec::new()));
            Value::Object(m)
        }
        None => Value::String(String::new()),
    }
}

fn ends_with<S: AsRef<str>>(path: &[S], suffix: &[&str]) -> bool {
    path.len() >= suffix.len()
        && path[path.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|(a, b)| a.as_ref() == *b)
}

fn is_list<S: AsRef<str>>(path: &[S]) -> bool {
    LIST_RULES.iter().any(|rule| ends_with(path, rule))
}

/// If `path` is the wrapper of a known list, the list's item name.
fn wrapper_item<S: AsRef<str>>(path: &[S]) -> Option<&'static str> {
    LIST_RULES.iter().find_map(|rule| {
        let (item, wrapper) = rule.split_last()?;
        ends_with(path, wrapper).then_some(*item)
    })
}

// ---- XML -----------------------------------------------------------------------------------

struct Frame {
    name: String,
    children: Vec<(String, Value)>,
    text: String,
}

/// Parses with quick-xml's streaming reader and an explicit stack (no recursion, so depth is
/// bounded by [`MAX_DEPTH`] and hostile nesting cannot overflow the stack). Returns the root
/// element's name and its content.
fn decode_xml(text: &str, problems: &mut Vec<String>) -> Result<(String, Value), String> {
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML body does not parse: {e}"))?;
        let (opened, self_closing) = match &event {
            Event::Start(e) => (Some(e.name().as_ref().to_owned()), false),
            Event::Empty(e) => (Some(e.name().as_ref().to_owned()), true),
            _ => (None, false),
        };
        if let Some(name) = opened {
            if root.is_some() {
                problems.push("XML has content after the root element (ignored)".to_string());
                break;
            }
            if stack.len() >= MAX_DEPTH {
                return Err(too_deep());
            }
            path.push(name.clone());
            stack.push(Frame {
                name,
                children: Vec::new(),
                text: String::new(),
            });
        }
        if self_closing || matches!(event, Event::End(_)) {
            let Some(frame) = stack.pop() else {
                return Err("XML body has an end tag without a start tag".to_string());
            };
            let name = frame.name.clone();
            let value = finish_element(frame, &path, problems);
            path.pop();
            match stack.last_mut() {
                Some(parent) => parent.children.push((name, value)),
                None => root = Some((name, value)),
            }
            continue;
        }
        match event {
            Event::Text(t) => push_text(&mut stack, &t.xml10_content(), problems),
            Event::CData(c) => push_text(&mut stack, &c.xml10_content(), problems),
            Event::GeneralRef(r) => {
                let resolved: String = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => {
                            problems.push(format!("XML uses an undefined entity &{};", &*r));
                            format!("&{};", &*r)
                        }
                    },
                    Err(_) => {
                        problems.push(format!("XML has an invalid character reference &{};", &*r));
                        format!("&{};", &*r)
                    }
                };
                push_text(&mut stack, &resolved, problems);
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions and doctypes carry no data.
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "XML body is truncated: <{}> is not closed",
            open.name
        ));
    }
    let Some((name, value)) = root else {
        return Err("XML body has no root element".to_string());
    };
    let value = match value {
        Value::String(s) if s.trim().is_empty() => Value::Object(Map::new()),
        Value::String(s) => {
            problems.push(format!("XML root <{name}> holds only text"));
            Value::String(s)
        }
        other => other,
    };
    Ok((name, value))
}

fn push_text(stack: &mut [Frame], text: &str, problems: &mut Vec<String>) {
    match stack.last_mut() {
        Some(top) => top.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => problems.push("XML has text outside the root element (ignored)".to_string()),
    }
}

/// Turns a closed element into a value; `path` ends with the element's own name.
fn finish_element(frame: Frame, path: &[String], problems: &mut Vec<String>) -> Value {
    if frame.children.is_empty() {
        // Pretty-printed empty wrappers hold whitespace: still an empty list.
        return if frame.text.trim().is_empty() && wrapper_item(path).is_some() {
            empty_leaf(path)
        } else {
            Value::String(frame.text)
        };
    }
    if !frame.text.trim().is_empty() {
        problems.push(format!(
            "XML element <{}> mixes text and elements (text ignored)",
            frame.name
        ));
    }
    let mut out = Map::new();
    let mut child_path = path.to_vec();
    for (name, value) in frame.children {
        match out.get_mut(&name) {
            // XML values are strings or objects, so an array here is a list being built.
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                child_path.push(name);
                let list = is_list(&child_path);
                let name = child_path.pop().unwrap_or_default();
                out.insert(
                    name,
                    if list {
                        Value::Array(vec![value])
                    } else {
                        value
                    },
                );
            }
        }
    }
    Value::Object(out)
}

// ---- paths ---------------------------------------------------------------------------------

/// The value at a case's `path` inside `value` (a body, or one element of a list).
pub fn value_at<'v>(value: &'v Value, path: &eni_spec::Path) -> Option<&'v Value> {
    path.segments
        .iter()
        .try_fold(value, |value, segment| match (segment, value) {
            (eni_spec::Segment::Key(key), Value::Object(map)) => map.get(key),
            (eni_spec::Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        })
}

/// One step of a path the harness itself writes (a constant such as
/// `AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress`), which may hold `[*]`; a
/// case's paths are [`eni_spec::Path`]s and go through [`Decoded::at`] instead.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
    Any,
}

fn parse_path(path: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    if path.is_empty() {
        return Some(steps);
    }
    for segment in path.split('.') {
        let (key, mut rest) = match segment.find('[') {
            Some(i) => segment.split_at(i),
            None => (segment, ""),
        };
        if !key.is_empty() {
            steps.push(Step::Key(key));
        } else if rest.is_empty() {
            return None;
        }
        while !rest.is_empty() {
            let inner = rest.strip_prefix('[')?;
            let close = inner.find(']')?;
            let index = &inner[..close];
            steps.push(if index == "*" {
                Step::Any
            } else {
                Step::Index(index.parse().ok()?)
            });
            rest = &inner[close + 1..];
        }
    }
    Some(steps)
}

fn walk<'v>(value: &'v Value, steps: &[Step<'_>], out: &mut Vec<&'v Value>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(value);
        return;
    };
    match (step, value) {
        (Step::Key(k), Value::Object(m)) => {
            if let Some(v) = m.get(*k) {
                walk(v, rest, out);
            }
        }
        (Step::Index(i), Value::Array(items)) => {
            if let Some(v) = items.get(*i) {
                walk(v, rest, out);
            }
        }
        (Step::Any, Value::Array(items)) => {
            for v in items {
                walk(v, rest, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ASSIGN_JSON: &str = r#"{"RequestId":"R1","AssignedPrivateIpAddressesSet":{"NetworkInterfaceId":"eni-1","PrivateIpSet":{"PrivateIpAddress":["10.0.0.5"]}}}"#;
    const ASSIGN_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<AssignPrivateIpAddressesResponse>
  <RequestId>R1</RequestId>
  <AssignedPrivateIpAddressesSet>
    <NetworkInterfaceId>eni-1</NetworkInterfaceId>
    <PrivateIpSet>
      <PrivateIpAddress>10.0.0.5</PrivateIpAddress>
    </PrivateIpSet>
  </AssignedPrivateIpAddressesSet>
</AssignPrivateIpAddressesResponse>"#;

    const DESCRIBE_JSON: &str = r#"{"RequestId":"R2","TotalCount":1,"NextToken":"",
      "NetworkInterfaceSets":{"NetworkInterfaceSet":[{"NetworkInterfaceId":"eni-1",
      "Status":"InUse","PrivateIpAddress":"10.0.0.2","Tags":{"Tag":[]},
      "SecurityGroupIds":{"SecurityGroupId":["sg-1"]},
      "PrivateIpSets":{"PrivateIpSet":[{"PrivateIpAddress":"10.0.0.2","Primary":true},
      {"PrivateIpAddress":"10.0.0.5","Primary":false}]}}]}}"#;
    const DESCRIBE_XML: &str = "<DescribeNetworkInterfacesResponse><RequestId>R2</RequestId>\
      <TotalCount>1</TotalCount><NextToken></NextToken><NetworkInterfaceSets><NetworkInterfaceSet>\
      <NetworkInterfaceId>eni-1</NetworkInterfaceId><Status>InUse</Status>\
      <PrivateIpAddress>10.0.0.2</PrivateIpAddress><Tags/>\
      <SecurityGroupIds><SecurityGroupId>sg-1</SecurityGroupId></SecurityGroupIds>\
      <PrivateIpSets><PrivateIpSet><PrivateIpAddress>10.0.0.2</PrivateIpAddress><Primary>true</Primary></PrivateIpSet>\
      <PrivateIpSet><PrivateIpAddress>10.0.0.5</PrivateIpAddress><Primary>false</Primary></PrivateIpSet>\
      </PrivateIpSets></NetworkInterfaceSet></NetworkInterfaceSets></DescribeNetworkInterfacesResponse>";

    const ERROR_JSON: &str = r#"{"RequestId":"R3","HostId":"ecs.aliyuncs.com","Code":"MissingParameter","Message":"The input parameter \"NetworkInterfaceId\" that is mandatory for processing this request is not supplied.","Recommend":"https://api.aliyun.com/troubleshoot?q=MissingParameter&product=Ecs&requestId=R3"}"#;
    const ERROR_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>R3</RequestId><HostId>ecs.aliyuncs.com</HostId><Code>MissingParameter</Code><Message>The input parameter &quot;NetworkInterfaceId&quot; that is mandatory for processing this request is not supplied.</Message><Recommend><![CDATA[https://api.aliyun.com/troubleshoot?q=MissingParameter&product=Ecs&requestId=R3]]></Recommend></Error>"#;

    const JSON_CT: Option<&str> = Some("application/json;charset=utf-8");
    const XML_CT: Option<&str> = Some("text/xml;charset=utf-8");

    fn same_model(status: u16, json: &str, xml: &str) -> (Decoded, Decoded) {
        let j = decode_response(status, JSON_CT, json.as_bytes());
        let x = decode_response(status, XML_CT, xml.as_bytes());
        assert_eq!(j.format, BodyFormat::Json);
        assert_eq!(x.format, BodyFormat::Xml);
        assert_eq!(j.body, x.body, "JSON and XML decode differently");
        assert!(j.problems.is_empty(), "{:?}", j.problems);
        assert!(x.problems.is_empty(), "{:?}", x.problems);
        assert_eq!(j.request_id, x.request_id);
        assert_eq!(j.code, x.code);
        (j, x)
    }

    #[test]
    fn assign_json_and_xml_agree() {
        let (j, _) = same_model(200, ASSIGN_JSON, ASSIGN_XML);
        assert_eq!(
            j.body,
            json!({"RequestId":"R1","AssignedPrivateIpAddressesSet":{"NetworkInterfaceId":"eni-1",
                "PrivateIpSet":{"PrivateIpAddress":["10.0.0.5"]}}})
        );
        assert_eq!(j.request_id.as_deref(), Some("R1"));
        assert_eq!(
            j.strings_at("AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress"),
            vec!["10.0.0.5"]
        );
    }

    #[test]
    fn describe_json_and_xml_agree() {
        let (j, x) = same_model(200, DESCRIBE_JSON, DESCRIBE_XML);
        assert_eq!(
            x.get("NetworkInterfaceSets.NetworkInterfaceSet[0].PrivateIpSets.PrivateIpSet[1].PrivateIpAddress"),
            Some(&json!("10.0.0.5"))
        );
        assert_eq!(j.get("TotalCount"), Some(&json!("1")));
        assert_eq!(
            j.get("NetworkInterfaceSets.NetworkInterfaceSet[0].Tags"),
            Some(&json!({"Tag": []}))
        );
        assert_eq!(
            x.strings_at("NetworkInterfaceSets.NetworkInterfaceSet[*].PrivateIpSets.PrivateIpSet[*].PrivateIpAddress"),
            vec!["10.0.0.2", "10.0.0.5"]
        );
        assert_eq!(
            x.strings_at(
                "NetworkInterfaceSets.NetworkInterfaceSet[0].SecurityGroupIds.SecurityGroupId"
            ),
            vec!["sg-1"]
        );
        assert_eq!(x.get("NetworkInterfaceSets.NetworkInterfaceSet[*]"), None);
        assert_eq!(x.get("NetworkInterfaceSets.NetworkInterfaceSet[1]"), None);
        assert_eq!(x.get("Bad[x]"), None);
        assert_eq!(x.get(""), Some(&x.body));
    }

    #[test]
    fn a_case_path_is_walked_by_its_segments() {
        let (j, x) = same_model(200, DESCRIBE_JSON, DESCRIBE_XML);
        for text in [
            "NetworkInterfaceSets.NetworkInterfaceSet[0].PrivateIpSets.PrivateIpSet[1].PrivateIpAddress",
            "NetworkInterfaceSets.NetworkInterfaceSet[0].Tags",
            "TotalCount",
            "NetworkInterfaceSets.NetworkInterfaceSet[1]",
            "NoSuchKey.Deeper",
        ] {
            let path = eni_spec::Path::parse(text).unwrap();
            assert_eq!(x.at(&path), x.get(text), "{text}");
            assert_eq!(j.at(&path), j.get(text), "{text}");
        }
        let primary = eni_spec::Path::parse(
            "NetworkInterfaceSets.NetworkInterfaceSet[0].PrivateIpSets.PrivateIpSet[1].PrivateIpAddress",
        )
        .unwrap();
        assert_eq!(x.at(&primary), Some(&json!("10.0.0.5")));
        // Indexing an object or keying a list finds nothing.
        let wrong = eni_spec::Path::parse("NetworkInterfaceSets[0]").unwrap();
        assert_eq!(x.at(&wrong), None);
    }

    #[test]
    fn one_item_lists_are_arrays_in_xml() {
        let xml = "<DescribeNetworkInterfacesResponse><RequestId>R</RequestId><NetworkInterfaceSets>\
            <NetworkInterfaceSet><PrivateIpSets><PrivateIpSet><PrivateIpAddress>10.0.0.2</PrivateIpAddress>\
            </PrivateIpSet></PrivateIpSets></NetworkInterfaceSet></NetworkInterfaceSets>\
            </DescribeNetworkInterfacesResponse>";
        let d = decode_response(200, XML_CT, xml.as_bytes());
        assert_eq!(
            d.body,
            json!({"RequestId":"R","NetworkInterfaceSets":{"NetworkInterfaceSet":[
                {"PrivateIpSets":{"PrivateIpSet":[{"PrivateIpAddress":"10.0.0.2"}]}}]}})
        );
        let empty = "<DescribeNetworkInterfacesResponse><RequestId>R</RequestId>\
            <NetworkInterfaceSets></NetworkInterfaceSets></DescribeNetworkInterfacesResponse>";
        let d = decode_response(200, XML_CT, empty.as_bytes());
        assert_eq!(
            d.get("NetworkInterfaceSets"),
            Some(&json!({"NetworkInterfaceSet": []}))
        );
        let pretty =
            "<R>\n  <RequestId>R</RequestId>\n  <Tags>\n  </Tags>\n  <X>1</X><Y/><X>2</X>\n</R>";
        let d = decode_response(200, XML_CT, pretty.as_bytes());
        assert_eq!(
            d.body,
            json!({"RequestId":"R","Tags":{"Tag":[]},"X":["1","2"],"Y":""})
        );
        assert_eq!(
            d.problems,
            vec!["XML success root <R> does not end in \"Response\""]
        );
        let d = decode_response(200, JSON_CT, b"{}");
        assert_eq!(d.body, json!({}));
        assert_eq!(d.problems, vec!["JSON body has no RequestId"]);
    }

    #[test]
    fn error_json_and_xml_agree() {
        let (j, _) = same_model(400, ERROR_JSON, ERROR_XML);
        assert_eq!(j.code.as_deref(), Some("MissingParameter"));
        assert_eq!(j.host_id.as_deref(), Some("ecs.aliyuncs.com"));
        assert!(j.message.unwrap().contains("\"NetworkInterfaceId\""));
        assert!(j.recommend.unwrap().contains("&product=Ecs"));
    }

    #[test]
    fn scalars_become_strings() {
        let d = decode_response(
            200,
            JSON_CT,
            br#"{"RequestId":"R","A":true,"B":3,"C":1.5,"D":null,"E":{}}"#,
        );
        assert_eq!(
            d.body,
            json!({"RequestId":"R","A":"true","B":"3","C":"1.5","D":"","E":""})
        );
    }

    #[test]
    fn problems_are_recorded() {
        let d = decode_response(
            400,
            XML_CT,
            b"<Error><Code>X</Code><Message>m</Message></Error>",
        );
        assert_eq!(d.problems, vec!["XML error body has no RequestId"]);
        let d = decode_response(500, JSON_CT, br#"{"RequestId":"R","Message":"m"}"#);
        assert_eq!(d.problems, vec!["JSON error body has no Code"]);
        let d = decode_response(200, XML_CT, ASSIGN_JSON.as_bytes());
        assert_eq!(d.format, BodyFormat::Json);
        assert_eq!(d.problems, vec!["Content-Type says XML but body is JSON"]);
        let d = decode_response(200, JSON_CT, b"");
        assert_eq!(d.format, BodyFormat::Empty);
        assert_eq!(d.problems, vec!["body empty"]);
        let d = decode_response(200, None, b"\xff{\"RequestId\":\"R\"}");
        assert_eq!(d.format, BodyFormat::Unparseable);
        assert!(d.problems.contains(&"body is not valid UTF-8".to_string()));
        let d = decode_response(200, JSON_CT, b"{\"RequestId\":\"R\xff\"}");
        assert_eq!(d.format, BodyFormat::Json);
        assert_eq!(d.problems, vec!["body is not valid UTF-8"]);
        let d = decode_response(
            502,
            Some("text/html"),
            b"<html><body>Bad gateway</body></html>",
        );
        assert_eq!(d.format, BodyFormat::Xml);
        assert!(d.problems.iter().any(|p| p.contains("not <Error>")));
        let d = decode_response(200, JSON_CT, br#"[1,2]"#);
        assert_eq!(d.problems, vec!["JSON body is not an object"]);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let deep_json = "[".repeat(100_000);
        let deep_json_closed = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let deep_xml = "<a>".repeat(100_000);
        let deep_xml_closed = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        let inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"   \n".to_vec(),
            b"\xef\xbb\xbf".to_vec(),
            b"garbage".to_vec(),
            b"\x00\x01\x02\xff\xfe".to_vec(),
            ASSIGN_JSON.as_bytes()[..40].to_vec(),
            ASSIGN_XML.as_bytes()[..120].to_vec(),
            deep_json.into_bytes(),
            deep_json_closed.into_bytes(),
            deep_xml.into_bytes(),
            deep_xml_closed.into_bytes(),
            b"<a></b>".to_vec(),
            b"</a>".to_vec(),
            b"<a>&bogus;&#0;&#xFFFFFFFF;&</a>".to_vec(),
            b"<a>x<b/>y</a><c/>".to_vec(),
            b"<?xml version=\"1.0\"?><!-- only -->".to_vec(),
            b"<a><![CDATA[unterminated".to_vec(),
            b"<a b=\"1\" b=\"2\">t</a>".to_vec(),
            b"{\"a\":1e999}".to_vec(),
            b"{\"Tags\":5,\"PrivateIpSets\":{\"PrivateIpSet\":{\"x\":null}}}".to_vec(),
            b"<Error/>".to_vec(),
            b"<Error>just text</Error>".to_vec(),
        ];
        for status in [200u16, 400, 500] {
            for ct in [None, JSON_CT, XML_CT, Some("text/plain")] {
                for input in &inputs {
                    let d = decode_response(status, ct, input);
                    if d.format == BodyFormat::Unparseable || d.format == BodyFormat::Empty {
                        assert_eq!(d.body, Value::Null);
                        assert!(!d.problems.is_empty());
                    }
                }
            }
        }
        let d = decode_response(
            200,
            XML_CT,
            format!("{}{}", "<a>".repeat(100), "</a>".repeat(100)).as_bytes(),
        );
        assert_eq!(d.problems, vec![too_deep()]);
        let d = decode_response(200, JSON_CT, "[".repeat(100_000).as_bytes());
        assert_eq!(d.format, BodyFormat::Unparseable);
    }

    #[test]
    fn every_prefix_of_real_bodies_decodes() {
        for body in [
            ASSIGN_JSON,
            ASSIGN_XML,
            DESCRIBE_JSON,
            DESCRIBE_XML,
            ERROR_XML,
        ] {
            for end in 0..=body.len() {
                let _ = decode_response(200, None, &body.as_bytes()[..end]);
            }
        }
    }
}
