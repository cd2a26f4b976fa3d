//! Turning a shrunk sequence into a ready-to-run case file: ENIs created and captured, every
//! value written relative to the profile's fixtures (`${vswitch.host(12)}`), each step expecting
//! what the contract decides about it (the reference's code where the contract fixes the code,
//! else only accepted or refused), teardown detaching and deleting what was created, each once a
//! read shows the ENI has reached the status the request needs (`poll:`, bounded). Every wait
//! is at least the transition time of both the target and the reference that proves the case.
//! The text goes through `eni_spec::parse_case` and `case_to_yaml`, so it is valid and canonical.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::Duration;

use super::exec::{Env, Expected, StepRecord};
use super::fixtures::Fixtures;
use super::ops::{Rendered, Val};
use super::oracle::Kind;
use crate::checks::invariants::canonical_ipv4;

/// What the case header says about where the finding came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The kind of finding.
    pub kind: Kind,
    /// What went wrong, in words.
    pub message: String,
    /// The contract rule the finding rests on.
    pub rests_on: String,
    /// The seed of the run that found it.
    pub seed: u64,
    /// The number of its sequence in that run.
    pub sequence: u64,
    /// How the fuzzed target was described (its URL, or `embedded`).
    pub target: String,
}

/// A case file's name (without `.yaml`) and text.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// The file name without `.yaml`, from the kind of finding (`regressions/<slug>.yaml`).
    pub slug: String,
    /// The case file's YAML, header comments included.
    pub text: String,
    /// The same case, parsed (the writer's text is checked to parse).
    pub case: eni_spec::Case,
}

/// Writes the case. Fails only if the generated text does not parse (a bug of the writer).
pub fn case_file(
    steps: &[StepRecord],
    env: &Env,
    provenance: &Provenance,
) -> Result<CaseFile, String> {
    let fixtures = &env.fixtures;
    // Long enough for any transition on either side: the longest the run waited, at least.
    let settle = steps
        .iter()
        .filter_map(|step| match step.rendered {
            Rendered::Wait(waited) => Some(waited),
            Rendered::Send { .. } => step.settle_before,
        })
        .chain(std::iter::once(env.case_wait(Duration::ZERO)))
        .max()
        .unwrap_or_default();
    let slug = slug(&provenance.kind);
    let mut uses: Vec<String> = fixtures.vswitches.iter().map(|v| v.name.clone()).collect();
    uses.extend(fixtures.security_group.iter().map(|sg| sg.name.clone()));
    uses.extend(fixtures.instances.iter().map(|i| i.name.clone()));
    let mut captured: BTreeSet<usize> = BTreeSet::new();
    // Address → the variable an earlier step captured it in.
    let mut chosen: BTreeMap<String, String> = BTreeMap::new();
    // Where each captured ENI is at the end of the steps on an endpoint that meets them.
    let mut lives: BTreeMap<usize, Life> = BTreeMap::new();
    let mut body: Vec<String> = Vec::new();
    let mut setup: Vec<String> = Vec::new();
    let mut in_setup = true;
    for (index, step) in steps.iter().enumerate() {
        let mut lines = Vec::new();
        if let Some(pause) = step.settle_before {
            lines.push(format!("  - wait: {}", seconds(pause)));
        }
        match &step.rendered {
            Rendered::Wait(duration) => {
                lines.push(format!("  - wait: {}", seconds(*duration)));
            }
            Rendered::Send { action, params } => {
                lines.push(format!("  - name: step-{}", index + 1));
                lines.push(format!("    action: {action}"));
                if !params.is_empty() {
                    lines.push("    pairs:".into());
                    for (key, value) in params {
                        let text = match value {
                            Val::Eni(h) if captured.contains(h) => format!("${{eni{h}}}"),
                            Val::Eni(_) => "eni-bp1fuzzmissing0000001".into(),
                            // `${unique}` keeps the case's tokens apart from other runs'.
                            Val::Text(text) if key == "ClientToken" => {
                                format!("{text}-${{unique}}")
                            }
                            Val::Text(text) => match chosen.get(text) {
                                Some(variable) => format!("${{{variable}}}"),
                                None => template(text, fixtures),
                            },
                        };
                        lines.push(format!("      - [{}, {}]", quote(key), quote(&text)));
                    }
                }
                lines.extend(expect_lines(&step.expected));
                let succeeded = step.expected.is_success();
                let count = params.iter().find_map(|(k, v)| match v {
                    Val::Text(text) if k == "SecondaryPrivateIpAddressCount" => {
                        text.parse::<u32>().ok()
                    }
                    _ => None,
                });
                let has_list = params
                    .iter()
                    .any(|(k, _)| k.starts_with("PrivateIpAddress."));
                let replay = params.iter().any(|(k, _)| k == "ClientToken");
                if let (Some(n), true, false, false) = (count, succeeded, has_list, replay) {
                    match *action {
                        "AssignPrivateIpAddresses" => {
                            lines.push(format!("      assigned_count: {n}"))
                        }
                        "CreateNetworkInterface" => lines.push(format!(
                            "      count: {{ path: PrivateIpSets.PrivateIpSet, equals: {} }}",
                            n + 1
                        )),
                        _ => {}
                    }
                }
                let mut captures = Vec::new();
                // A create the case leaves open (the finding's own step, say) may succeed on
                // another endpoint: it is captured too, so that the teardown deletes what it
                // made (an endpoint that refuses it captures nothing and deletes nothing), as
                // long as no later step names it (they would need it to exist).
                let open_create = step.expected.statuses.is_empty()
                    && !steps[index + 1..]
                        .iter()
                        .any(|later| names_eni(later, step.created));
                let keeps = succeeded || open_create;
                if let (Some(h), true, true) =
                    (step.created, keeps, *action == "CreateNetworkInterface")
                    && captured.insert(h)
                {
                    captures.push(format!("eni{h}: NetworkInterfaceId"));
                }
                // An address the endpoint chose is captured, so that a later step naming it
                // names what this endpoint chose (another picks another address).
                if succeeded {
                    for (k, (path, address)) in step.chosen.iter().enumerate() {
                        let variable = format!("ip{}_{k}", index + 1);
                        captures.push(format!("{variable}: {}", quote(path)));
                        chosen.insert(address.clone(), variable);
                    }
                }
                if !captures.is_empty() {
                    lines.push(format!("    capture: {{ {} }}", captures.join(", ")));
                }
                let eni = params.iter().find_map(|(k, v)| match v {
                    Val::Eni(h) if k == "NetworkInterfaceId" && captured.contains(h) => Some(*h),
                    _ => None,
                });
                if let Some(h) = eni {
                    let instance = params.iter().find_map(|(k, v)| match v {
                        Val::Text(instance) if k == "InstanceId" => {
                            Some(template(instance, fixtures))
                        }
                        _ => None,
                    });
                    lives.entry(h).or_insert(Life::Available).after(
                        action,
                        &step.expected,
                        instance,
                    );
                }
                if let (Some(h), true, true) =
                    (step.created, keeps, *action == "CreateNetworkInterface")
                {
                    lives.entry(h).or_insert(Life::Available);
                }
                let is_setup =
                    *action == "CreateNetworkInterface" && succeeded && index + 1 < steps.len();
                in_setup &= is_setup;
            }
        }
        if in_setup {
            setup.extend(lines)
        } else {
            body.extend(lines)
        }
    }
    if body.is_empty() {
        // A case needs at least one step: the last setup create becomes the step.
        body = std::mem::take(&mut setup);
    }
    let teardown = teardown_lines(&captured, &lives, settle);
    let title = format!(
        "Fuzz finding: {} (seed {}, sequence {}; contract: {})",
        provenance.kind, provenance.seed, provenance.sequence, provenance.rests_on
    );
    let mut text = format!(
        "id: regressions.{slug}\ntitle: {}\ntags: [regression, fuzz]\nuses: [{}]\nsnapshot: false\n",
        quote(&title),
        uses.join(", ")
    );
    if !setup.is_empty() {
        text.push_str("setup:\n");
        text.push_str(&(setup.join("\n") + "\n"));
    }
    text.push_str("steps:\n");
    text.push_str(&(body.join("\n") + "\n"));
    if !teardown.is_empty() {
        text.push_str("teardown:\n");
        text.push_str(&(teardown.join("\n") + "\n"));
    }
    let origin = format!("regressions/{slug}.yaml");
    let case = eni_spec::parse_case(&text, &origin).map_err(|errors| {
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!(
            "the generated case does not parse:\n{}\n---\n{text}",
            errors.join("\n")
        )
    })?;
    let header = [
        format!(
            "Found by `eni-harness fuzz --seed {}` against {} (sequence {}).",
            provenance.seed, provenance.target, provenance.sequence
        ),
        crate::escape::first_line(&provenance.message).to_string(),
        "Review: rename the file and `id` after what it caught, and retitle it.".to_string(),
    ];
    let text = file_text(&header, &case)?;
    Ok(CaseFile { slug, text, case })
}

/// Whether `step` names the ENI `created` (a step's handle for the ENI it created).
fn names_eni(step: &StepRecord, created: Option<usize>) -> bool {
    let (Some(h), Rendered::Send { params, .. }) = (created, &step.rendered) else {
        return false;
    };
    params
        .iter()
        .any(|(_, value)| matches!(value, Val::Eni(e) if *e == h))
}

/// Where a captured ENI is at the end of a case's steps on an endpoint that answers them as
/// they expect: what its teardown waits for before it detaches or deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Life {
    /// Available, or on its way there (a detach accepted).
    Available,
    /// Attached to the instance (its template), or on its way there.
    Attached(String),
    /// A delete was accepted.
    Deleted,
    /// A lifecycle step whose outcome the case leaves open, and the instance it may be
    /// attached to: nothing to wait for, so the teardown waits a fixed time.
    Unknown(Option<String>),
}

impl Life {
    /// The life after a step on this ENI that expects `expected`.
    fn after(&mut self, action: &str, expected: &Expected, instance: Option<String>) {
        let instance = instance.or_else(|| match self {
            Life::Attached(instance) | Life::Unknown(Some(instance)) => Some(instance.clone()),
            _ => None,
        });
        let next = match action {
            "AttachNetworkInterface" => match &instance {
                Some(instance) => Life::Attached(instance.clone()),
                None => Life::Unknown(None),
            },
            "DetachNetworkInterface" => Life::Available,
            "DeleteNetworkInterface" => Life::Deleted,
            _ => return,
        };
        if expected.is_success() {
            *self = next;
        } else if expected.statuses.is_empty() {
            *self = Life::Unknown(instance);
        }
        // Otherwise refused: nothing changed.
    }
}

/// Refusals (and a success) a teardown step accepts: it gives back what it can.
const TEARDOWN_ANY: &str = "[200, 400, 403, 404]";

/// The teardown: each ENI the case created is detached if the steps attached it, then deleted.
/// A transition the steps began may still be under way, and takes as long as the endpoint
/// takes, so the teardown reads the ENI until it reaches the status the next request needs
/// (bounded: a few times the longest transition the run saw), rather than waiting a fixed
/// time, after which the detach or the delete would be refused and the ENI left behind. Only
/// where the steps leave the ENI's status open does it fall back to fixed waits.
fn teardown_lines(
    captured: &BTreeSet<usize>,
    lives: &BTreeMap<usize, Life>,
    settle: Duration,
) -> Vec<String> {
    let (interval, timeout) = poll_bounds(settle);
    let mut lines = Vec::new();
    let poll = |lines: &mut Vec<String>, h: usize, status: &str, name: &str| {
        lines.push(format!("  - name: {name}-eni{h}"));
        lines.push("    action: DescribeNetworkInterfaceAttribute".into());
        lines.push(format!(
            "    pairs: [[NetworkInterfaceId, \"${{eni{h}}}\"]]"
        ));
        lines.push(format!(
            "    poll: {{ until: {{ Status: {status} }}, interval: {}, timeout: {} }}",
            eni_spec::format_duration(interval),
            eni_spec::format_duration(timeout)
        ));
    };
    let send = |lines: &mut Vec<String>, name: String, action: &str, pairs: String| {
        lines.push(format!("  - name: {name}"));
        lines.push(format!("    action: {action}"));
        lines.push(format!("    pairs: [{pairs}]"));
        lines.push(format!("    expect: {{ status: {TEARDOWN_ANY} }}"));
    };
    let eni = |h: usize| format!("[NetworkInterfaceId, \"${{eni{h}}}\"]");
    let detach = |lines: &mut Vec<String>, h: usize, instance: &str| {
        let pairs = format!("{}, [InstanceId, {}]", eni(h), quote(instance));
        send(
            lines,
            format!("detach-eni{h}"),
            "DetachNetworkInterface",
            pairs,
        );
    };
    let life = |h: usize| lives.get(&h).cloned().unwrap_or(Life::Available);
    // Every detach first, then every delete: the ENIs' transitions run side by side.
    let mut waited = false;
    for &h in captured {
        match life(h) {
            Life::Attached(instance) => {
                poll(&mut lines, h, "InUse", "attached");
                detach(&mut lines, h, &instance);
            }
            Life::Unknown(instance) => {
                if !waited {
                    lines.push(format!("  - wait: {}", seconds(settle)));
                    waited = true;
                }
                if let Some(instance) = instance {
                    detach(&mut lines, h, &instance);
                }
            }
            Life::Available | Life::Deleted => {}
        }
    }
    if captured
        .iter()
        .any(|&h| matches!(life(h), Life::Unknown(Some(_))))
    {
        lines.push(format!("  - wait: {}", seconds(settle)));
    }
    for &h in captured {
        match life(h) {
            Life::Attached(_) | Life::Available => poll(&mut lines, h, "Available", "available"),
            Life::Unknown(_) | Life::Deleted => {}
        }
        send(
            &mut lines,
            format!("delete-eni{h}"),
            "DeleteNetworkInterface",
            eni(h),
        );
    }
    lines
}

/// How often a teardown reads an ENI in transition, and for how long at most.
fn poll_bounds(settle: Duration) -> (Duration, Duration) {
    let interval = (settle / 10).clamp(Duration::from_millis(100), Duration::from_secs(1));
    let timeout = (settle * 5).clamp(Duration::from_secs(10), Duration::from_secs(120));
    (
        Duration::from_millis(interval.as_millis() as u64),
        Duration::from_secs(timeout.as_secs()),
    )
}

/// Longest header line kept of a finding's message, in bytes.
const HEADER_LINE_LIMIT: usize = 1024;

/// The text of a case file: `header` as comment lines, then `case` in the canonical form. Each
/// header line goes through [`crate::escape::yaml_comment`], so no text an endpoint chose can end
/// its comment and be read as YAML; the text is parsed back and must give `case` again, or it is
/// not kept.
pub fn file_text(header: &[String], case: &eni_spec::Case) -> Result<String, String> {
    let mut text = String::new();
    for line in header {
        let line = crate::escape::cut(line, HEADER_LINE_LIMIT);
        text.push_str(&crate::escape::yaml_comment(&line));
        text.push('\n');
    }
    text.push_str(&eni_spec::case_to_yaml(case));
    match eni_spec::parse_case(&text, &case.origin) {
        Ok(back) if back.without_spans() == case.without_spans() => Ok(text),
        Ok(_) => Err(format!(
            "the case as written does not read back as the case found:\n{text}"
        )),
        Err(errors) => {
            let errors: Vec<String> = errors.iter().map(|e| e.render(&text)).collect();
            Err(format!(
                "the case as written does not parse:\n{}",
                errors.join("\n")
            ))
        }
    }
}

/// A duration as a case writes it: whole seconds, rounded up.
fn seconds(duration: Duration) -> String {
    let whole = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    format!("{}s", whole.max(1))
}

/// The `expect:` of a step: the statuses (none: any), and the codes where the contract fixes
/// them.
fn expect_lines(expected: &Expected) -> Vec<String> {
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let mut lines = vec!["    expect:".to_string()];
    lines.push(match expected.statuses.as_slice() {
        [one] => format!("      status: {one}"),
        many => format!(
            "      status: {}",
            list(many.iter().map(u16::to_string).collect())
        ),
    });
    if !expected.is_success() {
        match expected.codes.as_slice() {
            [] => {}
            [one] => lines.push(format!("      code: {}", quote(one))),
            many => lines.push(format!(
                "      code: {}",
                list(many.iter().map(|c| quote(c)).collect())
            )),
        }
    }
    lines
}

/// A value written relative to the fixtures where it names one.
fn template(text: &str, fixtures: &Fixtures) -> String {
    for v in &fixtures.vswitches {
        if v.id == text {
            return format!("${{{}.id}}", v.name);
        }
    }
    if let Some(sg) = &fixtures.security_group
        && sg.id == text
    {
        return format!("${{{}.id}}", sg.name);
    }
    for i in &fixtures.instances {
        if i.id == text {
            return format!("${{{}.id}}", i.name);
        }
        if i.primary_eni.as_deref() == Some(text) {
            return format!("${{{}.primary_eni}}", i.name);
        }
    }
    if let Some(address) = canonical_ipv4(text) {
        for v in &fixtures.vswitches {
            if v.cidr.contains(&address) {
                let offset = u32::from(address) - u32::from(v.cidr.network());
                return format!("${{{}.host({offset})}}", v.name);
            }
            if u32::from(address) == u32::from(v.cidr.broadcast()).wrapping_add(1)
                && address != Ipv4Addr::UNSPECIFIED
            {
                return format!("${{{}.outside}}", v.name);
            }
        }
    }
    // A prefix (`192.168.0.48/28`, or unaligned, or of another length): its address relative
    // to the VSwitch, as addresses are.
    if let Some((address, length)) = text.split_once('/')
        && !length.is_empty()
        && length.bytes().all(|b| b.is_ascii_digit())
        && canonical_ipv4(address).is_some()
    {
        let address = template(address, fixtures);
        if address.starts_with("${") {
            return format!("{address}/{length}");
        }
    }
    text.replace('$', "$$")
}

/// A YAML double-quoted scalar: the case language's own, which escapes what a YAML stream may
/// not hold raw (JSON string syntax leaves C1 controls and noncharacters raw).
fn quote(text: &str) -> String {
    eni_spec::double_quoted(text)
}

/// `differential-assignprivateipaddresses-200-vs-403-invalidip-ipassigned`.
pub fn slug(kind: &Kind) -> String {
    let raw = format!("fuzz-{}-{}", kind.check, kind.signature);
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(80).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out.replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_written_relative_to_their_vswitch() {
        let profile = crate::profile::Profile::embedded();
        let fixtures = Fixtures::from_profile(&profile).unwrap();
        assert_eq!(
            template("192.168.0.48/28", &fixtures),
            "${vswitch.host(48)}/28"
        );
        assert_eq!(
            template("192.168.0.49/27", &fixtures),
            "${vswitch.host(49)}/27"
        );
        assert_eq!(template("192.168.0.48/", &fixtures), "192.168.0.48/");
        assert_eq!(template("fd00::/124", &fixtures), "fd00::/124");
    }
}
