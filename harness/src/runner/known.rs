//! Known failures: a per-target YAML file (`run --expect-failures FILE`) naming the cases, or the
//! checks, a target is known to fail, each with a reason and a link. A case whose every failure
//! an entry covers is an expected failure (`XFAIL`), not a failure. The file is strict: an entry
//! whose failure no longer happens fails the run and asks to be removed, and an entry naming no
//! case or check of the suite is an error with a "did you mean".
//!
//! ```yaml
//! known_failures:
//!   - case: assign.row-13-outside-cidr      # any failure of this case is expected
//!     reason: reserved addresses are accepted
//!     link: https://example.com/issues/12
//!   - check: error_code_documented          # any case failing only this check is expected
//!     reason: answers InvalidParam.Foo, which no reference documents
//!     link: https://example.com/issues/13
//!   - case: wire.post-query-and-body        # only this check, only in this case
//!     check: no_5xx
//!     reason: …
//!   - case: lifecycle.delete-while-attaching  # fails now and then: never stale
//!     kind: intermittent
//!     reason: the shared account's throttling
//! ```
//!
//! `kind: intermittent` (the default is `kind: failure`) covers a failure that happens only
//! sometimes: when it happens the case is XFAIL, when it does not the entry is not stale.

use std::fmt::Write;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{CaseOutcome, Failure, FailureKind, Section, Verdict};

/// A validated known-failures file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KnownFailures {
    /// Where it was read from, for messages.
    pub origin: String,
    pub entries: Vec<KnownFailure>,
}

/// One entry: a case, a check, or a check within a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KnownFailure {
    pub case: Option<String>,
    pub check: Option<String>,
    pub reason: String,
    pub link: Option<String>,
    /// `kind: intermittent`: the failure happens only sometimes, so a run without it is fine.
    pub intermittent: bool,
    /// 1-based line of the entry in its file.
    pub line: u64,
}

impl KnownFailure {
    /// `case assign.x`, `check no_5xx`, `check no_5xx in case assign.x`.
    pub(crate) fn describe(&self) -> String {
        match (&self.case, &self.check) {
            (Some(case), Some(check)) => format!("check {check} in case {case}"),
            (Some(case), None) => format!("case {case}"),
            (None, Some(check)) => format!("check {check}"),
            (None, None) => "nothing".into(),
        }
    }

    /// The reason with its link, as reports show it.
    pub(crate) fn reason_with_link(&self) -> String {
        match &self.link {
            Some(link) if !link.is_empty() => format!("{} ({link})", self.reason),
            _ => self.reason.clone(),
        }
    }

    fn covers(&self, case_id: &str, failure: &Failure) -> bool {
        let case_matches = self.case.as_deref().is_none_or(|case| case == case_id);
        let check_matches = match (&self.check, &failure.kind) {
            (None, _) => true,
            (Some(wanted), FailureKind::Check(name)) => wanted == name,
            (Some(_), _) => false,
        };
        case_matches && check_matches && failure.kind != FailureKind::UnexpectedPass
    }
}

/// Why a known-failures file cannot be used: every problem, each with where and how to fix.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub(crate) struct KnownFailuresError {
    pub problems: Vec<String>,
}

/// The JSON Schema of a known-failures file, from the types that read it.
pub(crate) fn json_schema() -> schemars::Schema {
    schemars::schema_for!(RawFile)
}

/// Known failures of one target (`eni-harness run --expect-failures FILE`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "eni-harness known failures")]
struct RawFile {
    /// Free text: which target the file describes (documentation only).
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "documentation for people: the file says which target it describes"
    )]
    target: Option<String>,
    #[serde(default)]
    #[schemars(with = "Vec<RawEntry>")]
    known_failures: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    case: Option<String>,
    #[serde(default)]
    check: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    link: Option<String>,
    /// `failure` (the default) or `intermittent`.
    #[serde(default)]
    kind: Option<String>,
}

impl KnownFailures {
    pub(crate) fn load(path: &Path) -> Result<KnownFailures, KnownFailuresError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| KnownFailuresError {
            problems: vec![format!(
                "error: cannot read known failures {origin}: {error}"
            )],
        })?;
        KnownFailures::parse(&text, &origin)
    }

    /// Parses the file; names are checked against a suite later, by [`KnownFailures::validate`].
    pub(crate) fn parse(text: &str, origin: &str) -> Result<KnownFailures, KnownFailuresError> {
        let raw: RawFile = serde_saphyr::from_str(text).map_err(|error| KnownFailuresError {
            problems: vec![format!("error: known failures {origin}: {error}")],
        })?;
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        for spanned in raw.known_failures {
            let line = spanned.referenced.line();
            let entry = spanned.value;
            let at = format!("{origin}:{line}");
            if entry.case.is_none() && entry.check.is_none() {
                problems.push(format!("error: {at}: the entry names neither a `case` nor a `check`\n  = help: add `case: <case id>` or `check: <check name>`"));
                continue;
            }
            let reason = entry.reason.unwrap_or_default();
            if reason.trim().is_empty() {
                problems.push(format!("error: {at}: the entry has no `reason`\n  = help: say why the target fails, so the gap stays understood (and add a `link` to the issue)"));
                continue;
            }
            let intermittent = match entry.kind.as_deref() {
                None | Some("failure") => false,
                Some("intermittent") => true,
                Some(other) => {
                    problems.push(format!(
                        "error: {at}: `kind: {}` is not a kind of known failure\n  = help: write `kind: failure` (the default: it fails every run) or `kind: intermittent` (it fails now and then)",
                        crate::escape::terminal(other)
                    ));
                    continue;
                }
            };
            entries.push(KnownFailure {
                case: entry.case,
                check: entry.check,
                reason,
                link: entry.link,
                intermittent,
                line,
            });
        }
        for (index, entry) in entries.iter().enumerate() {
            if let Some(first) = entries[..index]
                .iter()
                .find(|other| other.case == entry.case && other.check == entry.check)
            {
                problems.push(format!(
                    "error: {origin}:{}: {} is listed twice (first at line {})\n  = help: keep one entry",
                    entry.line,
                    entry.describe(),
                    first.line
                ));
            }
        }
        if problems.is_empty() {
            Ok(KnownFailures {
                origin: origin.to_string(),
                entries,
            })
        } else {
            Err(KnownFailuresError { problems })
        }
    }

    /// Every entry must name a case of the suite and a known check.
    pub(crate) fn validate<'a>(
        &self,
        case_ids: impl IntoIterator<Item = &'a str> + Clone,
        check_names: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<(), KnownFailuresError> {
        let mut problems = Vec::new();
        for entry in &self.entries {
            let at = format!("{}:{}", self.origin, entry.line);
            if let Some(case) = &entry.case
                && !case_ids.clone().into_iter().any(|id| id == case)
            {
                problems.push(format!(
                    "error: {at}: no case has the id `{case}`{}\n  = help: remove the entry if the case was deleted or renamed, and run with the suite's paths (`--filter` and `--shard` are fine)",
                    did_you_mean(case, case_ids.clone())
                ));
            }
            if let Some(check) = &entry.check
                && !check_names.clone().into_iter().any(|name| name == check)
            {
                problems.push(format!(
                    "error: {at}: there is no check named `{check}`{}\n  = help: `eni-harness list --checks` lists them",
                    did_you_mean(check, check_names.clone())
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(KnownFailuresError { problems })
        }
    }

    /// Turns covered failures into expected failures and entries whose failure did not happen
    /// into failures. `complete` says whether the run covered the whole suite (no `--filter`, no
    /// `--shard`): only then can an entry naming just a check be found stale.
    pub(crate) fn apply(&self, outcomes: &mut [CaseOutcome], complete: bool) -> KnownSummary {
        let mut used = vec![false; self.entries.len()];
        let mut ran = vec![false; self.entries.len()];
        for outcome in outcomes.iter_mut() {
            let ran_here = !matches!(outcome.verdict, Verdict::Skip(_));
            for (index, entry) in self.entries.iter().enumerate() {
                if entry.case.as_deref() == Some(outcome.id.as_str()) && ran_here {
                    ran[index] = true;
                }
            }
            if outcome.verdict != Verdict::Fail {
                continue;
            }
            let mut reasons: Vec<String> = Vec::new();
            let mut all_covered = true;
            for failure in &outcome.failures {
                let covering: Vec<usize> = (0..self.entries.len())
                    .filter(|&index| self.entries[index].covers(&outcome.id, failure))
                    .collect();
                if covering.is_empty() {
                    all_covered = false;
                }
                for index in covering {
                    used[index] = true;
                    let reason = self.entries[index].reason_with_link();
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
            if all_covered && !outcome.failures.is_empty() {
                outcome.verdict = Verdict::ExpectedFailure(reasons.join("; "));
            }
        }
        let mut summary = KnownSummary::default();
        for (index, entry) in self.entries.iter().enumerate() {
            // An intermittent failure that did not happen this time is no news.
            if used[index] || entry.intermittent {
                continue;
            }
            let remove = format!("remove the entry at {}:{}", self.origin, entry.line);
            match &entry.case {
                Some(case) if ran[index] => {
                    let Some(outcome) = outcomes.iter_mut().find(|outcome| &outcome.id == case)
                    else {
                        continue;
                    };
                    let what = match &entry.check {
                        Some(check) => format!("known to fail check {check}"),
                        None => "known to fail".into(),
                    };
                    let message = format!(
                        "{what} ({}), but that failure did not happen: {remove}",
                        entry.reason_with_link()
                    );
                    outcome.fail(Failure::new(
                        Section::Steps,
                        "known-failures",
                        FailureKind::UnexpectedPass,
                        message,
                    ));
                }
                Some(_) => summary.unverified.push(entry.describe()),
                None if complete => summary.stale.push(format!(
                    "{} is known to fail ({}), but no case failed it: {remove}",
                    entry.describe(),
                    entry.reason_with_link()
                )),
                None => summary.unverified.push(entry.describe()),
            }
        }
        summary
    }
}

/// What applying a known-failures file found beyond the cases' own verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KnownSummary {
    /// Entries naming only a check that no case failed in a complete run: they fail the run.
    pub stale: Vec<String>,
    /// Entries that this run could not judge (their case was filtered out, sharded away or
    /// skipped; a check in a partial run).
    pub unverified: Vec<String>,
}

/// ` (did you mean `x`?)` when a name is close to one of the candidates.
pub(crate) fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    let best = candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::normalized_damerau_levenshtein(wanted, candidate),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, candidate)) => format!(" (did you mean `{candidate}`?)"),
        None => String::new(),
    }
}

/// The YAML entries to paste into a known-failures file for the cases that failed: their id and
/// their first failure as a reason to rewrite. Empty when nothing failed.
pub(crate) fn paste_block(outcomes: &[CaseOutcome], file: Option<&str>) -> String {
    let new: Vec<&CaseOutcome> = outcomes
        .iter()
        .filter(|outcome| outcome.verdict == Verdict::Fail)
        .filter(|outcome| {
            outcome
                .failures
                .iter()
                .any(|failure| failure.kind != FailureKind::UnexpectedPass)
        })
        .collect();
    if new.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    match file {
        Some(file) => {
            let _ = writeln!(
                out,
                "\nTo accept these failures as known gaps of this target, add to {file}:"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\nTo accept these failures as known gaps of this target, save as known-failures.yaml and rerun with `--expect-failures known-failures.yaml`:\nknown_failures:"
            );
        }
    }
    for outcome in new {
        let first = outcome
            .failures
            .iter()
            .find(|failure| failure.kind != FailureKind::UnexpectedPass);
        let reason = first.map_or(String::new(), |failure| {
            format!(
                "{}.{} [{}]: {}",
                failure.section.name(),
                failure.step,
                failure.label(),
                failure.message.lines().next().unwrap_or("")
            )
        });
        // The case language's quoting: the reason quotes an endpoint, and JSON's quoting leaves
        // C1 controls and U+FFFE/U+FFFF raw, which no YAML reader accepts.
        let reason = eni_spec::double_quoted(&format!("TODO (why the target differs): {reason}"));
        let _ = writeln!(
            out,
            "  - case: {}\n    reason: {reason}\n    link: \"\"  # the issue that tracks it",
            outcome.id
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::CaseOutcome;
    use std::time::Duration;

    fn outcome(id: &str, failures: Vec<Failure>) -> CaseOutcome {
        CaseOutcome {
            id: id.into(),
            title: format!("title of {id}"),
            tags: Vec::new(),
            codes: Vec::new(),
            origin: format!("cases/{id}.yaml"),
            verdict: if failures.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            failures,
            requests: 1,
            duration: Duration::from_millis(3),
            snapshot: crate::snapshot::SnapshotOutcome::Skipped,
            snapshot_text: None,
            failed_attempts: Vec::new(),
        }
    }

    #[test]
    fn an_intermittent_entry_covers_a_failure_and_is_never_stale() {
        let file = "known_failures:\n  - case: a.one\n    kind: intermittent\n    reason: r1\n  - check: no_5xx\n    kind: intermittent\n    reason: r2\n";
        let known = KnownFailures::parse(file, "k.yaml").unwrap();
        assert!(known.entries.iter().all(|entry| entry.intermittent));
        let mut failing = vec![outcome("a.one", vec![expectation("boom")])];
        let found = known.apply(&mut failing, true);
        assert!(matches!(failing[0].verdict, Verdict::ExpectedFailure(_)));
        assert!(found.stale.is_empty());
        let mut passing = vec![outcome("a.one", Vec::new())];
        let found = known.apply(&mut passing, true);
        assert_eq!(passing[0].verdict, Verdict::Pass);
        assert!(found.stale.is_empty() && passing[0].failures.is_empty());
        // A flaky pass stays FLAKY: the retry is shown, not hidden behind the entry.
        let mut flaky = vec![outcome("a.one", Vec::new())];
        flaky[0].verdict = Verdict::Flaky;
        known.apply(&mut flaky, true);
        assert_eq!(flaky[0].verdict, Verdict::Flaky);
        let refused = KnownFailures::parse(
            "known_failures:\n  - case: a.one\n    kind: sometimes\n    reason: r\n",
            "k.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            refused.contains("k.yaml:2") && refused.contains("intermittent"),
            "{refused}"
        );
    }

    fn expectation(message: &str) -> Failure {
        Failure::new(
            Section::Steps,
            "assign",
            FailureKind::Expectation,
            message.into(),
        )
    }

    const FILE: &str = "known_failures:\n  - case: a.one\n    reason: r1\n    link: https://x/1\n  - check: no_5xx\n    reason: r2\n  - case: a.three\n    reason: r3\n";

    #[test]
    fn covered_failures_become_expected_and_stale_entries_fail() {
        let known = KnownFailures::parse(FILE, "k.yaml").unwrap();
        let mut outcomes = vec![
            outcome("a.one", vec![expectation("status 200, expected 403")]),
            outcome(
                "a.two",
                vec![Failure::check(Section::Steps, "s", "no_5xx", "500".into())],
            ),
            outcome("a.three", vec![]),
            outcome("a.four", vec![expectation("x")]),
        ];
        let summary = known.apply(&mut outcomes, true);
        assert_eq!(
            outcomes[0].verdict,
            Verdict::ExpectedFailure("r1 (https://x/1)".into())
        );
        assert_eq!(outcomes[1].verdict, Verdict::ExpectedFailure("r2".into()));
        assert_eq!(outcomes[2].verdict, Verdict::Fail);
        assert!(
            outcomes[2].failures[0]
                .message
                .contains("remove the entry at k.yaml:7"),
            "{:?}",
            outcomes[2].failures
        );
        assert_eq!(outcomes[3].verdict, Verdict::Fail);
        assert!(
            summary.stale.is_empty() && summary.unverified.is_empty(),
            "{summary:?}"
        );
        let block = paste_block(&outcomes, Some("k.yaml"));
        assert!(block.contains("- case: a.four\n    reason: \"TODO (why the target differs): steps.assign [expectation]: x\""), "{block}");
        assert!(!block.contains("a.three"), "{block}");
    }

    #[test]
    fn the_paste_block_stays_yaml_whatever_the_endpoint_answered() {
        let outcomes = vec![outcome(
            "a.one",
            vec![expectation("got `X\u{9b}\u{fffe}\u{85}`")],
        )];
        let block = paste_block(&outcomes, None);
        let yaml = block.split_once(":\nknown_failures:").unwrap().1;
        let parsed: serde_json::Value =
            serde_saphyr::from_str(&format!("known_failures:{yaml}")).unwrap();
        let reason = parsed["known_failures"][0]["reason"].as_str().unwrap();
        assert!(reason.ends_with("got `X\u{9b}\u{fffe}\u{85}`"), "{reason}");
    }

    #[test]
    fn a_check_entry_is_stale_only_in_a_complete_run() {
        let known = KnownFailures::parse(FILE, "k.yaml").unwrap();
        let mut outcomes = vec![outcome("a.one", vec![expectation("x")])];
        let partial = known.apply(&mut outcomes.clone(), false);
        assert_eq!(
            partial.unverified,
            vec!["check no_5xx".to_string(), "case a.three".to_string()]
        );
        let complete = known.apply(&mut outcomes, true);
        assert_eq!(complete.stale.len(), 1, "{complete:?}");
        assert!(complete.stale[0].contains("k.yaml:5"), "{complete:?}");
    }

    #[test]
    fn uncovered_failures_keep_the_case_failing() {
        let text = "known_failures:\n  - case: a.one\n    check: no_5xx\n    reason: r\n";
        let known = KnownFailures::parse(text, "k.yaml").unwrap();
        let mut outcomes = vec![outcome(
            "a.one",
            vec![
                Failure::check(Section::Steps, "s", "no_5xx", "500".into()),
                expectation("x"),
            ],
        )];
        known.apply(&mut outcomes, true);
        assert_eq!(outcomes[0].verdict, Verdict::Fail);
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let text = "known_failures:\n  - case: assign.row-13-outside-cdr\n    reason: r\n  - check: no_5x\n    reason: r\n";
        let known = KnownFailures::parse(text, "k.yaml").unwrap();
        let error = known
            .validate(
                ["assign.row-13-outside-cidr", "assign.row-14"],
                ["no_5xx", "no_leaks"],
            )
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("k.yaml:2: no case has the id `assign.row-13-outside-cdr` (did you mean `assign.row-13-outside-cidr`?)"), "{text}");
        assert!(
            text.contains("k.yaml:4: there is no check named `no_5x` (did you mean `no_5xx`?)"),
            "{text}"
        );
    }

    #[test]
    fn the_documented_example_is_valid() {
        let text = include_str!("../../../docs/known-failures.example.yaml");
        let known = KnownFailures::parse(text, "docs/known-failures.example.yaml").unwrap();
        assert_eq!(known.entries.len(), 3);
        let checks = crate::checks::ALL.iter().map(|check| check.name);
        known
            .validate(["assign.rows.reserved-addresses", "wire.v3.signed"], checks)
            .unwrap();
    }

    #[test]
    fn entries_need_a_name_and_a_reason() {
        let text = "known_failures:\n  - reason: r\n  - case: a\n  - case: b\n    reason: r\n  - case: b\n    reason: again\n";
        let text = KnownFailures::parse(text, "k.yaml")
            .unwrap_err()
            .to_string();
        assert!(text.contains("k.yaml:2: the entry names neither"), "{text}");
        assert!(
            text.contains("k.yaml:3: the entry has no `reason`"),
            "{text}"
        );
        assert!(
            text.contains("k.yaml:6: case b is listed twice (first at line 4)"),
            "{text}"
        );
    }
}
