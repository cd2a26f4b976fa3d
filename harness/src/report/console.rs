//! The console report: one line per case as it finishes, then every failure in full (step,
//! expected against actual, snapshot diff, rerun command and curl line), then the verdict.

use std::fmt::Write;

use super::{RerunOptions, RunInfo, rerun_command};
use crate::escape::{first_line, terminal, terminal_lines};
use crate::runner::plan::FinishedRun;
use crate::runner::{CaseOutcome, SuiteReport, Verdict};

/// The line printed when a case finishes.
pub fn case_line(outcome: &CaseOutcome) -> String {
    let millis = outcome.duration.as_secs_f64() * 1000.0;
    let id = terminal(&outcome.id);
    match &outcome.verdict {
        Verdict::Pass => format!("    PASS [{millis:>7.1}ms] {id}"),
        Verdict::Fail if !outcome.failed_attempts.is_empty() => format!(
            "    FAIL [{millis:>7.1}ms] {id} (every one of {} attempts)",
            outcome.failed_attempts.len() + 1
        ),
        Verdict::Fail => format!("    FAIL [{millis:>7.1}ms] {id}"),
        Verdict::Flaky => format!(
            "   FLAKY [{millis:>7.1}ms] {id} (passed on attempt {})",
            outcome.failed_attempts.len() + 1
        ),
        Verdict::Skip(reason) => format!("    SKIP [{:>9}] {id} ({})", "", terminal(reason)),
        Verdict::ExpectedFailure(reason) => format!(
            "   XFAIL [{millis:>7.1}ms] {id} (known: {})",
            terminal(reason)
        ),
    }
}

/// Every failure in full: failed cases, then the failed attempts of flaky ones.
pub fn failure_details(report: &SuiteReport, rerun: Option<&RerunOptions>) -> String {
    let mut out = String::new();
    for outcome in report
        .outcomes
        .iter()
        .filter(|outcome| outcome.verdict == Verdict::Flaky)
    {
        let _ = writeln!(
            out,
            "\n--- FLAKY {} — {} (failed {} time(s), then passed)",
            terminal(&outcome.id),
            terminal(&outcome.title),
            outcome.failed_attempts.len()
        );
        let _ = writeln!(out, "    file: {}", terminal(&outcome.origin));
        for (number, failures) in outcome.failed_attempts.iter().enumerate() {
            let _ = writeln!(out, "  attempt {}:", number + 1);
            write_failures(&mut out, failures);
        }
        let _ = writeln!(
            out,
            "  rerun: {}",
            terminal(&rerun_command(&outcome.origin, &report.target, rerun))
        );
    }
    for outcome in report
        .outcomes
        .iter()
        .filter(|outcome| outcome.verdict == Verdict::Fail)
    {
        let _ = writeln!(
            out,
            "\n--- FAIL {} — {}",
            terminal(&outcome.id),
            terminal(&outcome.title)
        );
        let _ = writeln!(out, "    file: {}", terminal(&outcome.origin));
        if !outcome.failed_attempts.is_empty() {
            let _ = writeln!(
                out,
                "    failed every one of {} attempts; the last:",
                outcome.failed_attempts.len() + 1
            );
        }
        write_failures(&mut out, &outcome.failures);
        let _ = writeln!(
            out,
            "  rerun: {}",
            terminal(&rerun_command(&outcome.origin, &report.target, rerun))
        );
    }
    out
}

/// One attempt's failures, each with its step and message indented under it.
fn write_failures(out: &mut String, failures: &[crate::runner::Failure]) {
    for failure in failures {
        let _ = writeln!(
            out,
            "  {}.{} [{}]",
            failure.section.name(),
            terminal(&failure.step),
            failure.label()
        );
        // Every line of the message is indented under its failure: a line break the
        // endpoint smuggled into it cannot start a line of the report's own.
        for line in terminal_lines(&failure.message).lines() {
            let _ = writeln!(out, "      {line}");
        }
        if let Some(curl) = &failure.curl {
            let _ = writeln!(
                out,
                "      curl (unsigned; against `eni-harness serve --relaxed-signing`): {}",
                terminal(curl)
            );
        }
    }
}

/// What the known-failures file found: the line of every expected failure, stale entries (which
/// fail the run), entries this run could not judge, and the entries to paste for new failures.
pub fn known_failures(report: &SuiteReport, info: &RunInfo) -> String {
    let mut out = String::new();
    let expected: Vec<_> = report
        .outcomes
        .iter()
        .filter_map(|outcome| match &outcome.verdict {
            Verdict::ExpectedFailure(reason) => Some((outcome, reason)),
            _ => None,
        })
        .collect();
    if !expected.is_empty() {
        let _ = writeln!(
            out,
            "\n--- {} expected failures (known gaps of this target):",
            expected.len()
        );
        for (outcome, reason) in expected {
            let first = outcome.failures.first().map_or(String::new(), |failure| {
                format!(
                    " — {}.{}: {}",
                    failure.section.name(),
                    terminal(&failure.step),
                    terminal(first_line(&failure.message))
                )
            });
            let _ = writeln!(
                out,
                "   XFAIL {}: {}{first}",
                terminal(&outcome.id),
                terminal(reason)
            );
        }
    }
    if !info.stale_known_failures.is_empty() {
        let _ = writeln!(out, "\n--- FAIL stale known failures:");
        for stale in &info.stale_known_failures {
            let _ = writeln!(out, "  {}", terminal(stale));
        }
    }
    if !info.unverified_known_failures.is_empty() {
        let _ = writeln!(
            out,
            "\nnote: {} known-failure entries were not judged by this run (case not selected or skipped): {}",
            info.unverified_known_failures.len(),
            terminal(&info.unverified_known_failures.join(", "))
        );
    }
    out.push_str(&terminal_lines(&crate::runner::known::paste_block(
        &report.outcomes,
        info.known_failures.as_deref(),
    )));
    out
}

/// The closing lines: counts, requests, wall time, the verdict.
pub fn summary(report: &SuiteReport) -> String {
    summary_with(report, &RunInfo::default())
}

/// Everything `eni-harness run` prints after the last case: the failures with their rerun
/// lines, what the snapshots said, the known failures, the summary line, and the rows of the
/// contract no case reached when coverage was required.
pub fn run_ending(run: &FinishedRun) -> String {
    let mut out = failure_details(&run.report, Some(&run.rerun));
    out.push_str(&terminal_lines(&crate::runner::snapshot_information(
        &run.report,
        3,
    )));
    out.push_str(&known_failures(&run.report, &run.info));
    out.push_str(&summary_with(&run.report, &run.info));
    out.push('\n');
    if !run.rows_not_reached.is_empty() {
        let _ = writeln!(
            out,
            "coverage: {} rows of the contract reached by no case that ran (--require-coverage): {}",
            run.rows_not_reached.len(),
            run.rows_not_reached.join("; ")
        );
    }
    out
}

/// The lines of `eni-harness list`: each case's id, tags and title, then the counts.
pub fn case_list(cases: &[crate::runner::LoadedCase]) -> String {
    let mut out = String::new();
    for loaded in cases {
        let case = &loaded.case;
        // Regression cases are written from what an endpoint answered.
        let _ = writeln!(
            out,
            "{:<48} [{}] {}",
            terminal(&case.id),
            terminal(&case.tags.join(",")),
            terminal(&case.title)
        );
    }
    let _ = writeln!(
        out,
        "{} cases; {} checks (`eni-harness list --checks`)",
        cases.len(),
        crate::checks::ALL.len()
    );
    out
}

/// The lines of `eni-harness list --checks`: each named check and what it asserts.
pub fn check_list() -> String {
    let mut out = String::new();
    for check in crate::checks::ALL {
        let by = match check.applied_by {
            crate::checks::AppliedBy::Everyone => "",
            crate::checks::AppliedBy::Fuzzer => " (fuzzer only)",
        };
        let _ = writeln!(out, "{:<32} {}{by}", check.name, check.doc);
    }
    out
}

/// The closing lines, counting stale known-failure entries as failures of the run.
pub fn summary_with(report: &SuiteReport, info: &RunInfo) -> String {
    let seconds = report.wall.as_secs_f64();
    let requests = report.requests();
    let rate = if seconds > 0.0 {
        requests as f64 / seconds
    } else {
        0.0
    };
    let verdict = if info.failed(report) { "FAIL" } else { "PASS" };
    let mut counts = format!("{} passed, {} failed", report.passed(), report.failed());
    // Shown whenever a case needed a retry: a flaky pass is never silent.
    if report.flaky() > 0 {
        counts.push_str(&format!(", {} flaky", report.flaky()));
    }
    if report.expected_failures() > 0 || info.known_failures.is_some() {
        counts.push_str(&format!(
            ", {} expected failures",
            report.expected_failures()
        ));
    }
    counts.push_str(&format!(", {} skipped", report.skipped()));
    if !info.stale_known_failures.is_empty() {
        counts.push_str(&format!(
            ", {} stale known failures",
            info.stale_known_failures.len()
        ));
    }
    let shard = info
        .shard
        .as_ref()
        .map_or(String::new(), |shard| format!(", shard {shard}"));
    // What the run learnt besides the verdicts (primaries it could not discover, a wait for
    // `Deleting` ENIs that reached its bound, snapshots not recorded): one escaped line each.
    let mut notes = String::new();
    for note in &report.notes {
        notes.push_str(&format!("note: {}\n", terminal(note)));
    }
    let run = report
        .outcomes
        .iter()
        .filter(|o| !matches!(o.verdict, crate::runner::Verdict::Skip(_)))
        .count();
    let per_case = if run > 0 {
        format!(", {:.1} per case run", requests as f64 / run as f64)
    } else {
        String::new()
    };
    let runner = if report.runner_requests > 0 {
        format!(
            "; {} more waiting for Deleting ENIs",
            report.runner_requests
        )
    } else {
        String::new()
    };
    format!(
        "{notes}------------\n     Summary [{seconds:.3}s] {} cases against {} (profile {}{shard}): {counts}; {requests} requests ({rate:.0}/s{per_case}){runner}\n{verdict}: {counts}",
        report.outcomes.len(),
        terminal(&report.target),
        terminal(&report.profile),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_list_names_every_check_and_marks_the_fuzzers_own() {
        let list = check_list();
        assert_eq!(list.lines().count(), crate::checks::ALL.len());
        let line = |name: &str| {
            list.lines()
                .find(|line| line.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("{name} is not listed:\n{list}"))
                .to_string()
        };
        assert!(line("differential").ends_with("(fuzzer only)"));
        assert!(line("code_status_documented").ends_with("(fuzzer only)"));
        assert!(!line("no_5xx").contains("fuzzer only"));
    }

    #[test]
    fn notes_are_shown_one_escaped_line_each_before_the_summary() {
        let report = SuiteReport {
            target: "http://127.0.0.1:1/".into(),
            profile: "embedded".into(),
            outcomes: Vec::new(),
            wall: std::time::Duration::from_secs(1),
            notes: vec![
                "VSwitch vsw-1 still listed 1 ENI(s) as Deleting (eni-\u{1b}[2J\nPASS: forged)"
                    .into(),
            ],
            runner_requests: 7,
        };
        let text = summary(&report);
        assert!(
            text.starts_with("note: VSwitch vsw-1 still listed"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            !text.lines().any(|line| line.starts_with("PASS: forged")),
            "{text}"
        );
        assert!(text.contains("7 more waiting for Deleting ENIs"), "{text}");
    }
}
