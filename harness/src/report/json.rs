//! The JSON report: the whole run as one document, for tools and dashboards.

use serde::Serialize;

use crate::runner::{Failure, SuiteReport, Verdict};

#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    target: &'a str,
    profile: &'a str,
    passed: usize,
    failed: usize,
    skipped: usize,
    requests: usize,
    wall_seconds: f64,
    cases: Vec<JsonCase<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonCase<'a> {
    id: &'a str,
    title: &'a str,
    file: &'a str,
    tags: &'a [String],
    #[serde(flatten)]
    verdict: &'a Verdict,
    duration_ms: f64,
    requests: usize,
    failures: &'a [Failure],
    rerun: String,
}

/// The report as pretty JSON.
pub fn render(report: &SuiteReport, profile_path: Option<&str>) -> String {
    let document = JsonReport {
        target: &report.target,
        profile: &report.profile,
        passed: report.passed(),
        failed: report.failed(),
        skipped: report.skipped(),
        requests: report.requests(),
        wall_seconds: report.wall.as_secs_f64(),
        cases: report
            .outcomes
            .iter()
            .map(|outcome| JsonCase {
                id: &outcome.id,
                title: &outcome.title,
                file: &outcome.origin,
                tags: &outcome.tags,
                verdict: &outcome.verdict,
                duration_ms: outcome.duration.as_secs_f64() * 1000.0,
                requests: outcome.requests,
                failures: &outcome.failures,
                rerun: super::rerun_command(&outcome.origin, &report.target, profile_path),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&document).expect("the report is plain data")
}
