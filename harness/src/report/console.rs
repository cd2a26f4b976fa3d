//! The console report: one line per case as it finishes, then every failure in full (step,
//! expected against actual, snapshot diff, rerun command and curl line), then the verdict.

use std::fmt::Write;

use super::rerun_command;
use crate::runner::{CaseOutcome, SuiteReport, Verdict};

/// The line printed when a case finishes.
pub fn case_line(outcome: &CaseOutcome) -> String {
    let millis = outcome.duration.as_secs_f64() * 1000.0;
    match &outcome.verdict {
        Verdict::Pass => format!("    PASS [{millis:>7.1}ms] {}", outcome.id),
        Verdict::Fail => format!("    FAIL [{millis:>7.1}ms] {}", outcome.id),
        Verdict::Skip(reason) => format!("    SKIP [{:>9}] {} ({reason})", "", outcome.id),
    }
}

/// Every failure in full.
pub fn failure_details(report: &SuiteReport, profile_path: Option<&str>) -> String {
    let mut out = String::new();
    for outcome in report.outcomes.iter().filter(|outcome| outcome.verdict == Verdict::Fail) {
        let _ = writeln!(out, "\n--- FAIL {} — {}", outcome.id, outcome.title);
        let _ = writeln!(out, "    file: {}", outcome.origin);
        for failure in &outcome.failures {
            let _ = writeln!(out, "  {}.{} [{}]", failure.section.name(), failure.step, failure.label());
            for line in failure.message.lines() {
                let _ = writeln!(out, "      {line}");
            }
            if let Some(curl) = &failure.curl {
                let _ = writeln!(out, "      curl (unsigned; against `eni-harness serve --relaxed-signing`): {curl}");
            }
        }
        let _ = writeln!(out, "  rerun: {}", rerun_command(&outcome.origin, &report.target, profile_path));
    }
    out
}

/// The closing lines: counts, requests, wall time, the verdict.
pub fn summary(report: &SuiteReport) -> String {
    let seconds = report.wall.as_secs_f64();
    let requests = report.requests();
    let rate = if seconds > 0.0 { requests as f64 / seconds } else { 0.0 };
    let verdict = if report.failed() == 0 { "PASS" } else { "FAIL" };
    format!(
        "------------\n     Summary [{seconds:.3}s] {} cases against {} (profile {}): {} passed, {} failed, {} skipped; {requests} requests ({rate:.0}/s)\n{verdict}: {} passed, {} failed, {} skipped",
        report.outcomes.len(),
        report.target,
        report.profile,
        report.passed(),
        report.failed(),
        report.skipped(),
        report.passed(),
        report.failed(),
        report.skipped(),
    )
}
