//! Case sketches: cases described by choices among the case language's keys and values, written
//! as case text, so that `case_roundtrip` reaches corners of the writer hand-written cases do not.

use std::fmt::Write as _;

use arbitrary::Arbitrary;

use crate::codec::{List, Text};

/// The file name errors and round trips report.
pub(crate) const ORIGIN: &str = "cases/fuzz.yaml";

/// A case described by choices among the language's keys and values; [`CaseSketch::to_yaml`]
/// writes it as case text. Free text goes through as double-quoted YAML, so odd characters,
/// `$` and `${` reach the template parser and the writer's quoting.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct CaseSketch {
    pub(crate) title: Text,
    pub(crate) tags: List<u8, 3>,
    pub(crate) snapshot: Option<bool>,
    pub(crate) format: Option<bool>,
    pub(crate) signing: Option<u8>,
    pub(crate) knobs: Option<(u16, u16)>,
    pub(crate) disable: List<u8, 2>,
    pub(crate) setup: List<StepSketch, 2>,
    pub(crate) steps: List<StepSketch, 4>,
    pub(crate) teardown: List<StepSketch, 2>,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum StepSketch {
    Send(Box<SendSketch>),
    Wait(u16),
    Concurrent(List<SendSketch, 3>),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct SendSketch {
    pub(crate) name: Option<Text>,
    pub(crate) action: u8,
    pub(crate) post: bool,
    pub(crate) format: Option<bool>,
    pub(crate) signing: Option<u8>,
    pub(crate) params: List<(u8, ValueSketch), 4>,
    pub(crate) pairs: List<(Text, ValueSketch), 2>,
    pub(crate) raw_query: Option<ValueSketch>,
    pub(crate) omit: List<u8, 2>,
    pub(crate) corrupt_signature: bool,
    pub(crate) expect: Option<ExpectSketch>,
    pub(crate) capture: Option<u8>,
    pub(crate) poll: Option<(u8, u16, u16)>,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct ExpectSketch {
    pub(crate) status: List<u16, 3>,
    pub(crate) codes: List<u8, 2>,
    pub(crate) message_contains: Option<ValueSketch>,
    pub(crate) fields: List<(u8, ValueSketch), 3>,
    pub(crate) absent: List<u8, 2>,
    pub(crate) assigned: Option<List<ValueSketch, 3>>,
    pub(crate) assigned_count: Option<u8>,
    pub(crate) count: Option<(u8, u8)>,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum ValueSketch {
    Text(Text),
    Number(u16),
    Template(u8),
    Mixed(Text, u8, Text),
}

const TAGS: &[&str] = &["assign", "happy-path", "contract-row-3", "x"];
const CHECKS: &[&str] = &["no_5xx", "assign_matches_describe", "ip_unique_in_vswitch"];
const ACTIONS: &[&str] = &[
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
    "CreateNetworkInterface",
    "DescribeNetworkInterfaces",
    "DeleteNetworkInterface",
    "Weird Action",
];
const PARAMS: &[&str] = &[
    "NetworkInterfaceId",
    "PrivateIpAddress.1",
    "PrivateIpAddress. 1",
    "PrivateIpAddress.51",
    "SecondaryPrivateIpAddressCount",
    "ClientToken",
    "VSwitchId",
    "SecurityGroupId",
    "RegionId",
    "a: b",
    "#x",
    "ü",
];
const CODES: &[&str] = &[
    "InValidParameter",
    "MissingParameter",
    "InvalidIp.IpAssigned",
    "a:b",
];
const PATHS: &[&str] = &[
    "AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress",
    "NetworkInterfaceSets.NetworkInterfaceSet",
    "NetworkInterfaceSets.NetworkInterfaceSet[0].Status",
    "PrivateIpSets.PrivateIpSet[1].PrivateIpAddress",
    "Code",
    "Status",
    "a.b[2].c",
];
const EXPRS: &[&str] = &[
    "${vswitch.id}",
    "${vswitch.host(3)}",
    "${vswitch.first_usable}",
    "${vswitch.outside}",
    "${security_group.id}",
    "${region}",
    "${unique}",
    "${limits.available_cap}",
    "${limits.max_list_index}",
    "${eni}",
    "${first+1}",
    "$$",
    "${",
    "${nope}",
];
const CAPTURES: &[(&str, &str)] = &[
    ("eni", "NetworkInterfaceId"),
    (
        "first",
        "AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress[0]",
    ),
];

fn pick<'a>(items: &[&'a str], n: u8) -> &'a str {
    items[usize::from(n) % items.len()]
}

/// The picks of `ns` from `items`, each once (the language rejects repeated keys and tags).
fn pick_unique<'a>(items: &[&'a str], ns: impl IntoIterator<Item = u8>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for n in ns {
        let item = pick(items, n);
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// A double-quoted YAML scalar (JSON's string syntax is valid YAML).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn quoted_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().map(quoted).collect::<Vec<_>>().join(", ")
}

impl ValueSketch {
    fn yaml(&self) -> String {
        match self {
            ValueSketch::Text(t) => quoted(t.as_str()),
            ValueSketch::Number(n) => n.to_string(),
            ValueSketch::Template(n) => quoted(pick(EXPRS, *n)),
            ValueSketch::Mixed(a, n, b) => {
                quoted(&format!("{}{}{}", a.as_str(), pick(EXPRS, *n), b.as_str()))
            }
        }
    }
}

impl CaseSketch {
    /// The sketch as case text.
    pub(crate) fn to_yaml(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(y, "id: fuzz.sketch");
        let title = self.title.as_str();
        let title = if title.trim().is_empty() { "t" } else { title };
        let _ = writeln!(y, "title: {}", quoted(title));
        if !self.tags.is_empty() {
            let _ = writeln!(
                y,
                "tags: [{}]",
                quoted_list(pick_unique(TAGS, self.tags.iter().copied()))
            );
        }
        let _ = writeln!(y, "uses: [vswitch, security_group]");
        if !self.disable.is_empty() {
            let checks = pick_unique(CHECKS, self.disable.iter().copied());
            let _ = writeln!(y, "checks: {{ disable: [{}] }}", checks.join(", "));
        }
        if let Some(s) = self.snapshot {
            let _ = writeln!(y, "snapshot: {s}");
        }
        if let Some(f) = self.format {
            let _ = writeln!(y, "format: {}", if f { "JSON" } else { "XML" });
        }
        if let Some(s) = self.signing {
            let _ = writeln!(y, "signing: {}", pick(&["v1", "v3", "none"], s));
        }
        if let Some((task, delay)) = self.knobs {
            let _ = writeln!(
                y,
                "emulator:\n  task_duration: {}ms\n  async_delay: {}s",
                u32::from(task) + 1,
                delay % 90 + 1
            );
        }
        let sections = [
            ("setup", &self.setup[..]),
            ("steps", &self.steps[..]),
            ("teardown", &self.teardown[..]),
        ];
        for (section, steps) in sections {
            if steps.is_empty() && section != "steps" {
                continue;
            }
            if steps.is_empty() {
                // `steps` must not be empty; one describe keeps the case valid.
                let _ = writeln!(y, "steps:\n  - action: DescribeNetworkInterfaces");
                continue;
            }
            let _ = writeln!(y, "{section}:");
            for (i, step) in steps.iter().enumerate() {
                let name = |j: usize| format!("{section}-{}-{j}", i + 1);
                match step {
                    StepSketch::Wait(ms) => {
                        let _ = writeln!(y, "  - wait: {}ms", u32::from(*ms) + 1);
                    }
                    StepSketch::Send(send) => send.write(&mut y, "  - ", "    ", &name(0)),
                    StepSketch::Concurrent(sends) => {
                        let _ = writeln!(y, "  - concurrent:");
                        if sends.is_empty() {
                            let _ = writeln!(y, "      []");
                        }
                        for (j, send) in sends.iter().enumerate() {
                            send.write(&mut y, "      - ", "        ", &name(j + 1));
                        }
                    }
                }
            }
        }
        y
    }
}

impl SendSketch {
    /// Writes the send as a block mapping: `first` starts its first line, `indent` the others.
    /// `name` is unique in the case; the sketch's free text only varies it.
    fn write(&self, y: &mut String, first: &str, indent: &str, name: &str) {
        let mut lines: Vec<String> = Vec::new();
        if let Some(suffix) = &self.name {
            let suffix: String = suffix
                .as_str()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect();
            let dash = if suffix.is_empty() { "" } else { "-" };
            lines.push(format!("name: {name}{dash}{suffix}"));
        }
        let omit = pick_unique(eni_spec::OMITTABLE_PARAMS, self.omit.iter().copied());
        if !omit.contains(&"Action") {
            lines.push(format!("action: {}", quoted(pick(ACTIONS, self.action))));
        }
        if self.post {
            lines.push("method: POST".into());
        }
        if let Some(f) = self.format {
            lines.push(format!("format: {}", if f { "JSON" } else { "XML" }));
        }
        if let Some(s) = self.signing {
            lines.push(format!("signing: {}", pick(&["v1", "v3", "none"], s)));
        }
        if !self.params.is_empty() {
            lines.push("params:".into());
            let keys = pick_unique(PARAMS, self.params.iter().map(|(k, _)| *k));
            for (key, (_, value)) in keys.into_iter().zip(self.params.iter()) {
                lines.push(format!("  {}: {}", quoted(key), value.yaml()));
            }
        }
        if !self.pairs.is_empty() {
            lines.push("pairs:".into());
            for (k, v) in self.pairs.iter() {
                lines.push(format!("  - [{}, {}]", quoted(k.as_str()), v.yaml()));
            }
        }
        if let Some(q) = &self.raw_query {
            lines.push(format!("raw_query: {}", q.yaml()));
        }
        if !omit.is_empty() {
            lines.push(format!("omit: [{}]", omit.join(", ")));
        }
        if self.corrupt_signature {
            lines.push("corrupt_signature: true".into());
        }
        if let Some(expect) = &self.expect {
            lines.push("expect:".into());
            expect.write(&mut lines);
        }
        if let Some(c) = self.capture {
            let (name, path) = CAPTURES[usize::from(c) % CAPTURES.len()];
            lines.push(format!("capture: {{ {name}: {} }}", quoted(path)));
        }
        if let Some((path, interval, timeout)) = self.poll {
            lines.push(format!(
                "poll: {{ until: {{ {}: InUse }}, interval: {}ms, timeout: {}s }}",
                quoted(pick(PATHS, path)),
                u32::from(interval) + 1,
                timeout % 120 + 1
            ));
        }
        if lines.is_empty() {
            lines.push("wait: 1ms".into());
        }
        for (i, line) in lines.iter().enumerate() {
            let lead = if i == 0 { first } else { indent };
            let _ = writeln!(y, "{lead}{line}");
        }
    }
}

impl ExpectSketch {
    fn write(&self, lines: &mut Vec<String>) {
        let before = lines.len();
        let statuses: Vec<String> = self
            .status
            .iter()
            .map(|s| (100 + s % 500).to_string())
            .collect();
        match statuses.as_slice() {
            [] => {}
            [one] => lines.push(format!("  status: {one}")),
            many => lines.push(format!("  status: [{}]", many.join(", "))),
        }
        if !self.codes.is_empty() {
            let codes = pick_unique(CODES, self.codes.iter().copied());
            lines.push(format!("  code: [{}]", quoted_list(codes)));
        }
        if let Some(m) = &self.message_contains {
            lines.push(format!("  message_contains: {}", m.yaml()));
        }
        if !self.fields.is_empty() {
            lines.push("  fields:".into());
            let paths = pick_unique(PATHS, self.fields.iter().map(|(p, _)| *p));
            for (path, (_, value)) in paths.into_iter().zip(self.fields.iter()) {
                lines.push(format!("    {}: {}", quoted(path), value.yaml()));
            }
        }
        if !self.absent.is_empty() {
            let absent = pick_unique(PATHS, self.absent.iter().copied());
            lines.push(format!("  absent: [{}]", quoted_list(absent)));
        }
        if let Some(assigned) = &self.assigned {
            let items: Vec<String> = assigned.iter().map(ValueSketch::yaml).collect();
            lines.push(format!("  assigned: [{}]", items.join(", ")));
        }
        if let Some(n) = self.assigned_count {
            lines.push(format!("  assigned_count: {n}"));
        }
        if let Some((path, n)) = self.count {
            lines.push(format!(
                "  count: {{ path: {}, equals: {n} }}",
                quoted(pick(PATHS, path))
            ));
        }
        if lines.len() == before {
            lines.push("  status: 200".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case_parser::check_parse;
    use crate::case_roundtrip::check_roundtrip;
    use arbitrary::Unstructured;
    use eni_spec::parse_case;

    /// Sketches from pseudo-random bytes: most must parse, or the structured half of
    /// `case_roundtrip` only exercises error paths; and every one must round-trip.
    #[test]
    fn most_sketches_parse_and_all_round_trip() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut parsed = 0;
        let total = 80;
        for _ in 0..total {
            let bytes: Vec<u8> = (0..600)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Mostly small bytes: short texts and lists, first variants.
                    (state >> 56) as u8 & 0x1f
                })
                .collect();
            let Ok(sketch) = CaseSketch::arbitrary_take_rest(Unstructured::new(&bytes)) else {
                continue;
            };
            let yaml = sketch.to_yaml();
            match parse_case(&yaml, ORIGIN) {
                Ok(_) => parsed += 1,
                Err(e) if std::env::var_os("SHOW").is_some() => {
                    eprintln!("{yaml}\n{}", e[0].render(&yaml));
                }
                Err(_) => {}
            }
            check_roundtrip(&yaml);
            check_parse(&yaml);
        }
        assert!(
            parsed * 4 > total,
            "only {parsed} of {total} sketches parse"
        );
    }
}
