//! Reading the journal that `serve --journal FILE` writes: what a client sent wrong. Counts by
//! verdict and by action, every distinct problem with the number of an example request, and
//! whether the gate passes (no request malformed, unsigned, badly signed or refused by
//! authentication): a CI gate for SDK teams. `eni-harness journal FILE` prints it with the
//! renderers of [`crate::report::journal`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One journal line, as `serve --journal` writes it. Unknown fields are ignored, so that newer
/// journals stay readable.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Entry {
    pub seq: u64,
    #[serde(default)]
    pub time: String,
    pub action: Option<String>,
    #[serde(default)]
    pub method: String,
    pub signing: String,
    pub signature_valid: Option<bool>,
    pub well_formed: bool,
    pub verdict: String,
    pub rule: String,
    pub code: Option<String>,
    pub parameter: Option<String>,
    pub status: u16,
    #[serde(default)]
    pub params: Vec<(String, Option<String>)>,
    /// What the request did that the contract leaves open (absent in older journals).
    #[serde(default)]
    pub deviations: Vec<String>,
    /// What the request carried that a correct client would not send (absent in older journals).
    #[serde(default)]
    pub mistakes: Vec<String>,
}

/// Verdicts that fail the gate: the client, not the API, is at fault.
pub(crate) const FAILING_VERDICTS: [&str; 4] =
    ["malformed", "unsigned", "bad-signature", "auth-failed"];

/// What a journal says, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub requests: usize,
    pub by_verdict: BTreeMap<String, usize>,
    /// Action → verdict → count.
    pub by_action: BTreeMap<String, BTreeMap<String, usize>>,
    pub by_signing: BTreeMap<String, usize>,
    pub by_method: BTreeMap<String, usize>,
    /// Requests whose parameters were well-formed.
    pub well_formed: usize,
    /// Signatures compared, and how many matched.
    pub signatures_checked: usize,
    pub signatures_valid: usize,
    /// Answers with a 5xx status: the endpoint's fault, not the client's.
    pub server_errors: usize,
    /// Times of the first and the last request.
    pub span: Option<(String, String)>,
    /// Each distinct problem, in order of first appearance.
    pub problems: Vec<Problem>,
    /// `Format` asked for (`XML`, `JSON`, or `(default)` when absent): a client that reads only
    /// one of them shows here.
    pub by_format: BTreeMap<String, usize>,
    /// Each kind of deviation (the contract leaves it open; the emulator decided), in order of
    /// first appearance. Deviations do not fail the gate.
    pub deviations: Vec<Deviation>,
    /// Each kind of client mistake (answered as the contract says, but a correct client would
    /// not send it), in order of first appearance. They do not fail the gate either.
    pub mistakes: Vec<Deviation>,
}

/// One kind of thing a client did that the contract does not decide, or (in
/// `Summary::mistakes`) that a correct client would not do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Deviation {
    /// The emulator's name for it (`timestamp-fractional-seconds`, …).
    pub id: String,
    /// What it means and what the emulator decided.
    pub description: String,
    pub count: usize,
    /// Request numbers (`seq`) of the first few requests that showed it.
    pub examples: Vec<u64>,
}

/// One distinct thing a client got wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Problem {
    pub verdict: String,
    pub description: String,
    pub rule: String,
    pub code: String,
    pub count: usize,
    /// Request numbers (`seq`) of the first few requests that showed it.
    pub examples: Vec<u64>,
}

impl Summary {
    /// Requests whose verdict fails the gate.
    pub(crate) fn failing(&self) -> usize {
        FAILING_VERDICTS
            .iter()
            .map(|v| self.by_verdict.get(*v).copied().unwrap_or(0))
            .sum()
    }
}

/// Reads a journal: `Err` lists every line that is not a journal entry (with its number).
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, Vec<String>> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(line) {
            Ok(entry) => entries.push(entry),
            Err(error) => errors.push(format!("line {}: not a journal entry: {error}", number + 1)),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Counts the entries and groups their problems.
pub(crate) fn summarize(entries: &[Entry], examples: usize) -> Summary {
    let mut summary = Summary {
        requests: entries.len(),
        ..Summary::default()
    };
    let mut index: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
        summary.span = Some((first.time.clone(), last.time.clone()));
    }
    for entry in entries {
        *summary.by_verdict.entry(entry.verdict.clone()).or_default() += 1;
        *summary.by_method.entry(entry.method.clone()).or_default() += 1;
        summary.well_formed += usize::from(entry.well_formed);
        summary.signatures_checked += usize::from(entry.signature_valid.is_some());
        summary.signatures_valid += usize::from(entry.signature_valid == Some(true));
        summary.server_errors += usize::from(entry.status >= 500);
        *summary.by_signing.entry(entry.signing.clone()).or_default() += 1;
        let format = entry
            .params
            .iter()
            .find(|(k, _)| k == "Format")
            .and_then(|(_, v)| v.as_deref())
            .filter(|v| !v.is_empty())
            .map_or_else(|| "(default)".to_owned(), str::to_ascii_uppercase);
        *summary.by_format.entry(format).or_default() += 1;
        for id in &entry.deviations {
            tally(
                &mut summary.deviations,
                id,
                entry.seq,
                examples,
                deviation_description,
            );
        }
        for id in &entry.mistakes {
            tally(
                &mut summary.mistakes,
                id,
                entry.seq,
                examples,
                mistake_description,
            );
        }
        let action = entry.action.clone().unwrap_or_else(|| "(no action)".into());
        *summary
            .by_action
            .entry(action)
            .or_default()
            .entry(entry.verdict.clone())
            .or_default() += 1;
        if !FAILING_VERDICTS.contains(&entry.verdict.as_str()) {
            continue;
        }
        let description = describe(entry);
        let code = entry.code.clone().unwrap_or_default();
        let key = (
            entry.verdict.clone(),
            entry.rule.clone(),
            code.clone(),
            description.clone(),
        );
        let at = *index.entry(key).or_insert_with(|| {
            summary.problems.push(Problem {
                verdict: entry.verdict.clone(),
                description,
                rule: entry.rule.clone(),
                code,
                count: 0,
                examples: Vec::new(),
            });
            summary.problems.len() - 1
        });
        let problem = &mut summary.problems[at];
        problem.count += 1;
        if problem.examples.len() < examples {
            problem.examples.push(entry.seq);
        }
    }
    summary
}

/// Counts one request under the kind `id` in `kinds` (added, with its description, when new).
fn tally(
    kinds: &mut Vec<Deviation>,
    id: &str,
    seq: u64,
    examples: usize,
    describe: fn(&str) -> String,
) {
    let at = match kinds.iter().position(|d| d.id == id) {
        Some(at) => at,
        None => {
            kinds.push(Deviation {
                id: id.to_owned(),
                description: describe(id),
                count: 0,
                examples: Vec::new(),
            });
            kinds.len() - 1
        }
    };
    let kind = &mut kinds[at];
    kind.count += 1;
    if kind.examples.len() < examples {
        kind.examples.push(seq);
    }
}

/// What a client mistake is (the emulator's `deviation.rs`).
fn mistake_description(id: &str) -> String {
    match id {
        "stray-parameter" => {
            "a parameter name no ECS action has (not dot-separated UpperCamelCase words and indices); ignored, as the contract says of unknown parameters"
                .into()
        }
        "placeholder-value" => {
            "a value that is a language's spelling of nothing (`None`, `null`, `undefined`, …): the client stringified a missing value instead of leaving the parameter out"
                .into()
        }
        other => format!("`{other}` (a mistake this version of `journal` does not describe)"),
    }
}

/// What a deviation means, and what the emulator decided (DECISIONS.md, "Client deviations").
fn deviation_description(id: &str) -> String {
    match id {
        "timestamp-fractional-seconds" => {
            "v1 `Timestamp` with fractional seconds; accepted (the seed page shows whole seconds)"
                .into()
        }
        "signature-in-form-body" => {
            "v1 `Signature` in a POST form body, not the query; accepted: query and body are one parameter set"
                .into()
        }
        "v1-with-acs-headers" => {
            "v1 request with `x-acs-action`/`x-acs-version` headers; read as v1 (only an ACS3 Authorization header makes V3)"
                .into()
        }
        "client-token-ignored" => {
            "`ClientToken` on an action that is not made idempotent (only assign, unassign and create are); ignored"
                .into()
        }
        other => format!("`{other}` (named by a newer emulator)"),
    }
}

/// A client author's description of what one request got wrong.
fn describe(entry: &Entry) -> String {
    let param = entry.parameter.as_deref().unwrap_or("?");
    let value_of = |name: &str| {
        entry
            .params
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
    };
    let shown = |name: &str| match value_of(name) {
        Some(value) => format!("`{name}` = {value:?}"),
        None => format!("`{name}`"),
    };
    match entry.rule.as_str() {
        "common.auth-missing" if entry.verdict == "unsigned" => {
            "unsigned request: no AccessKeyId/Signature and no V3 Authorization header".into()
        }
        "common.auth-missing" => format!("signing parameter `{param}` missing"),
        "common.signature" => format!(
            "{} signature does not match the request",
            signing_name(&entry.signing)
        ),
        "common.authorization" => "V3 Authorization header does not parse".into(),
        "common.signature-method" => format!("unsupported {}", shown(param)),
        "common.access-key" => "unknown AccessKeyId".into(),
        "common.timestamp-format" => format!("malformed timestamp ({param})"),
        "common.timestamp-expired" => {
            "timestamp more than 15 minutes off the server's clock".into()
        }
        "common.nonce" => "SignatureNonce reused".into(),
        "common.action-missing" => "no Action".into(),
        "common.action-unknown" => {
            format!(
                "unknown action `{}` (names are case-sensitive)",
                entry.action.as_deref().unwrap_or("")
            )
        }
        "common.version" if entry.code.as_deref() == Some("MissingParameter") => {
            "Version missing".into()
        }
        "common.version" => format!("wrong {} (expected 2014-05-26)", shown("Version")),
        "common.format" => format!("invalid {}", shown("Format")),
        "common.region-missing" => "RegionId missing".into(),
        "common.wire" => format!(
            "unreadable request ({})",
            entry.code.as_deref().unwrap_or("?")
        ),
        _ if entry.code.as_deref() == Some("MissingParameter") => {
            format!("required parameter `{param}` missing")
        }
        _ if entry.parameter.as_deref().is_some_and(|p| p.contains(' ')) => {
            format!("malformed parameter name `{param}` (a space in the key)")
        }
        _ => format!("malformed parameter {}", shown(param)),
    }
}

fn signing_name(signing: &str) -> &str {
    match signing {
        "v1" => "v1",
        "v3" => "V3",
        _ => "the",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::report::journal::{render, write_json};
    use crate::targets::{HttpTarget, HttpTargetOptions, Target};
    use crate::wire::{Credentials, Signing, WireRequest};

    /// Serves the emulator with a journal on 127.0.0.1:0, sends good and bad requests through
    /// the harness's own HTTP target, then reads the summary.
    #[test]
    fn end_to_end_served_with_a_journal() {
        let dir = std::env::temp_dir().join(format!("eni-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        let runtime = crate::runner::plan::runtime();
        runtime.block_on(async {
            let mut config = eni_emulator::Config::new(eni_emulator::World::builtin());
            config.journal = Some(crate::serve::file_journal(&path).unwrap());
            let server = eni_emulator::spawn(config).await.unwrap();
            let target = |secret: &str| {
                HttpTarget::new(HttpTargetOptions {
                    base_url: server.url().to_owned(),
                    region: "cn-hangzhou".into(),
                    credentials: Some(Credentials::new("testid", secret)),
                    signing: Signing::V1,
                    connect_timeout: Duration::from_secs(5),
                    request_timeout: Duration::from_secs(30),
                    max_body_bytes: 1 << 20,
                    pipelining: true,
                })
                .unwrap()
            };
            let knobs = Default::default();
            let good = target("testsecret").connect(&knobs).unwrap();
            let wrong_secret = target("not-the-secret").connect(&knobs).unwrap();
            let request = |action: &str, params: &[(&str, &str)], signing: Signing| {
                let mut all = vec![("Action".to_string(), action.to_string())];
                all.extend(
                    params
                        .iter()
                        .map(|(k, v)| ((*k).to_string(), (*v).to_string())),
                );
                WireRequest {
                    params: all,
                    signing,
                    ..WireRequest::default()
                }
            };
            let eni = "eni-bp1running000000000001";
            let describe = request("DescribeNetworkInterfaces", &[], Signing::V1);
            assert_eq!(good.send(&describe).await.unwrap().status, 200); // #1 ok
            let describe_v3 = request("DescribeNetworkInterfaces", &[], Signing::V3);
            assert_eq!(good.send(&describe_v3).await.unwrap().status, 200); // #2 ok (V3)
            let space = request(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", eni),
                    ("PrivateIpAddress. 1", "192.168.0.9"),
                ],
                Signing::V1,
            );
            assert_eq!(good.send(&space).await.unwrap().status, 400); // #3 malformed key
            assert_eq!(good.send(&space).await.unwrap().status, 400); // #4 the same again
            assert_eq!(wrong_secret.send(&describe).await.unwrap().status, 400); // #5 bad signature
            let unsigned = request("DescribeNetworkInterfaces", &[], Signing::None);
            assert_eq!(good.send(&unsigned).await.unwrap().status, 400); // #6 unsigned
            let unknown = request("AssignPrivateIpAdresses", &[], Signing::V1);
            assert_eq!(good.send(&unknown).await.unwrap().status, 404); // #7 unknown action
            let taken = request(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", eni),
                    ("PrivateIpAddress.1", "192.168.0.200"),
                ],
                Signing::V1,
            );
            assert_eq!(good.send(&taken).await.unwrap().status, 403); // #8 rejected, not a client bug
            server.stop().await.unwrap();
        });
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("testsecret") && !text.contains("not-the-secret"));
        assert!(
            !text.contains("\"testid\""),
            "AccessKeyId values never reach the journal"
        );
        let entries = parse(&text).unwrap();
        assert_eq!(entries.len(), 8);
        let summary = summarize(&entries, 3);
        let verdicts: Vec<(&str, usize)> = summary
            .by_verdict
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("bad-signature", 1),
                ("malformed", 3),
                ("ok", 2),
                ("rejected", 1),
                ("unsigned", 1)
            ]
        );
        assert_eq!(summary.by_signing.get("v3"), Some(&1));
        let problems: Vec<(&str, usize, &[u64])> = summary
            .problems
            .iter()
            .map(|p| (p.description.as_str(), p.count, p.examples.as_slice()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    "malformed parameter name `PrivateIpAddress. 1` (a space in the key)",
                    2,
                    &[3, 4][..]
                ),
                ("v1 signature does not match the request", 1, &[5][..]),
                (
                    "unsigned request: no AccessKeyId/Signature and no V3 Authorization header",
                    1,
                    &[6][..]
                ),
                (
                    "unknown action `AssignPrivateIpAdresses` (names are case-sensitive)",
                    1,
                    &[7][..]
                ),
            ]
        );
        assert_eq!(summary.problems[0].rule, "assign.row-3");
        assert_eq!(summary.failing(), 5);
        assert_eq!(
            (
                summary.well_formed,
                summary.signatures_checked,
                summary.signatures_valid
            ),
            (4, 6, 5)
        );
        let shown = render(&summary, "journal.jsonl");
        assert!(shown.contains("FAIL: 5 of 8 requests"), "{shown}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn what_clients_sent_is_shown_as_text() {
        // A client's action and a code that try to clear the screen and forge the verdict.
        let line = r#"{"seq":1,"request_id":"R","time":"t","action":"Describe\u001b[2J\nPASS: no request was malformed","method":"GET","signing":"v1","signature_valid":false,"well_formed":false,"verdict":"malformed","rule":"common.action\u009b","code":"X\u001b]52;c;SGk=\u0007","parameter":null,"status":400,"params":[]}"#;
        let summary = summarize(&parse(line).unwrap(), 3);
        let text = render(&summary, "j");
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::escape::is_hostile(c)),
            "{text}"
        );
        assert!(!text.lines().any(|line| line.starts_with("PASS")), "{text}");
        assert!(
            text.lines().any(|line| line.starts_with("FAIL: ")),
            "{text}"
        );
    }

    #[test]
    fn deviations_are_listed_apart_and_do_not_fail_the_gate() {
        let line = |seq: u64, deviations: &str, format: &str| {
            format!(
                r#"{{"seq":{seq},"request_id":"R","time":"t","action":"DescribeNetworkInterfaces","method":"POST","signing":"v1","signature_valid":true,"well_formed":true,"verdict":"ok","rule":"ok","code":null,"parameter":null,"status":200,"params":[{format}],"deviations":[{deviations}]}}"#
            )
        };
        let text = [
            line(
                1,
                r#""signature-in-form-body","v1-with-acs-headers""#,
                r#"["Format","json"]"#,
            ),
            line(2, r#""signature-in-form-body""#, ""),
            line(3, r#""a-newer-one""#, r#"["Format","XML"]"#),
        ]
        .join("\n");
        let summary = summarize(&parse(&text).unwrap(), 3);
        assert_eq!(summary.failing(), 0);
        let seen: Vec<(&str, usize, &[u64])> = summary
            .deviations
            .iter()
            .map(|d| (d.id.as_str(), d.count, d.examples.as_slice()))
            .collect();
        assert_eq!(
            seen,
            [
                ("signature-in-form-body", 2, &[1, 2][..]),
                ("v1-with-acs-headers", 1, &[1][..]),
                ("a-newer-one", 1, &[3][..]),
            ]
        );
        let formats: Vec<(&str, usize)> = summary
            .by_format
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(formats, [("(default)", 1), ("JSON", 1), ("XML", 1)]);
        let shown = render(&summary, "j");
        assert!(shown.contains("PASS: no request"), "{shown}");
        assert!(
            shown
                .contains("  deviation signature-in-form-body: v1 `Signature` in a POST form body"),
            "{shown}"
        );
        // Problem lines start with `  [`; a deviation is never counted as one.
        assert!(!shown.lines().any(|l| l.starts_with("  [")), "{shown}");

        let dir = std::env::temp_dir().join(format!("eni-journal-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("summary.json");
        write_json(&summary, &path).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(value["passed"], true);
        assert_eq!(
            value["summary"]["deviations"][0]["id"],
            "signature-in-form-body"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn client_mistakes_are_listed_apart_from_deviations_and_do_not_fail_the_gate() {
        let text = r#"{"seq":1,"request_id":"R","time":"t","action":"DescribeNetworkInterfaces","method":"POST","signing":"v1","signature_valid":true,"well_formed":true,"verdict":"ok","rule":"ok","code":null,"parameter":null,"status":200,"params":[["on","DescribeNetworkInterfaces"],["NetworkInterfaceId.1","None"]],"deviations":["v1-with-acs-headers"],"mistakes":["stray-parameter","placeholder-value"]}
{"seq":2,"request_id":"R","time":"t","action":"CreateNetworkInterface","method":"POST","signing":"v1","signature_valid":true,"well_formed":true,"verdict":"ok","rule":"ok","code":null,"parameter":null,"status":200,"params":[["on","CreateNetworkInterface"]],"mistakes":["stray-parameter"]}"#;
        let summary = summarize(&parse(text).unwrap(), 3);
        assert_eq!(summary.failing(), 0);
        let seen: Vec<(&str, usize, &[u64])> = summary
            .mistakes
            .iter()
            .map(|d| (d.id.as_str(), d.count, d.examples.as_slice()))
            .collect();
        assert_eq!(
            seen,
            [
                ("stray-parameter", 2, &[1, 2][..]),
                ("placeholder-value", 1, &[1][..]),
            ]
        );
        assert_eq!(summary.deviations.len(), 1);
        let shown = render(&summary, "j");
        assert!(shown.contains("Client mistakes ("), "{shown}");
        assert!(
            shown.contains("  mistake stray-parameter: a parameter name no ECS action has"),
            "{shown}"
        );
        assert!(shown.contains("PASS: no request"), "{shown}");
    }

    #[test]
    fn a_clean_journal_passes_and_garbage_is_reported_by_line() {
        let line = r#"{"seq":1,"request_id":"R","time":"t","action":"DescribeNetworkInterfaces","method":"GET","signing":"v1","signature_valid":true,"well_formed":true,"verdict":"ok","rule":"ok","code":null,"parameter":null,"status":200,"params":[["Action","DescribeNetworkInterfaces"],["Signature",null]]}"#;
        let entries = parse(line).unwrap();
        let summary = summarize(&entries, 3);
        assert_eq!(summary.failing(), 0);
        assert!(render(&summary, "j").contains("PASS"));
        let errors = parse(&format!("{line}\nnot json\n")).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("line 2:"), "{errors:?}");
    }
}
