//! The JSON report: the whole run as one document, for tools, dashboards and `eni-harness
//! matrix`, which combines the reports of runs against several targets (and the shards of one).
//!
//! `format` names the schema (`eni-harness-report/1`); each case has `id`, `verdict` (`pass`,
//! `fail`, `skip`, `xfail`, `flaky`), `reason` (for `skip` and `xfail`), its `tags`, the `codes`
//! its steps accept, its `failures` and, when it was retried, `failed_attempts` (the failures of
//! each earlier attempt); `coverage` gives the view by contract area (see [`super::coverage`]).

use serde::Serialize;

use super::RunInfo;
use crate::runner::{Failure, SuiteReport, Verdict};

/// The schema name and version of the report.
pub(crate) const FORMAT: &str = "eni-harness-report/1";

#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    format: &'static str,
    harness: &'static str,
    target: &'a str,
    profile: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_file: Option<&'a str>,
    contract: &'a str,
    started: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    known_failures: Option<&'a str>,
    outcome: &'static str,
    passed: usize,
    failed: usize,
    flaky: usize,
    expected_failures: usize,
    skipped: usize,
    requests: usize,
    wall_seconds: f64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stale_known_failures: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unverified_known_failures: &'a [String],
    /// Per area of the contract: its cases, their counts and pass rate, and the rows and
    /// documented codes no case reached in this run.
    coverage: Vec<CoverageEntry>,
    cases: Vec<JsonCase<'a>>,
}

#[derive(Debug, Serialize)]
struct CoverageEntry {
    area: &'static str,
    title: &'static str,
    cases: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rows: Vec<(&'static str, Vec<String>)>,
    #[serde(flatten)]
    column: super::coverage::AreaColumn,
}

#[derive(Debug, Serialize)]
struct JsonCase<'a> {
    id: &'a str,
    title: &'a str,
    file: &'a str,
    tags: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    codes: &'a [String],
    #[serde(flatten)]
    verdict: &'a Verdict,
    duration_ms: f64,
    requests: usize,
    failures: &'a [Failure],
    /// The failures of every earlier failed attempt (`--retries`), oldest first.
    #[serde(skip_serializing_if = "<[Vec<Failure>]>::is_empty")]
    failed_attempts: &'a [Vec<Failure>],
    rerun: String,
}

/// The report as pretty JSON.
pub(crate) fn render(report: &SuiteReport, info: &RunInfo) -> String {
    let profile_path = info.profile_path.as_deref();
    let document = JsonReport {
        format: FORMAT,
        harness: env!("CARGO_PKG_VERSION"),
        target: &report.target,
        profile: &report.profile,
        profile_file: profile_path,
        contract: &info.contract,
        started: &info.started,
        shard: info.shard.as_deref(),
        filter: info.filter.as_deref(),
        known_failures: info.known_failures.as_deref(),
        outcome: if info.failed(report) { "fail" } else { "pass" },
        passed: report.passed(),
        failed: report.failed(),
        flaky: report.flaky(),
        expected_failures: report.expected_failures(),
        skipped: report.skipped(),
        requests: report.requests(),
        wall_seconds: report.wall.as_secs_f64(),
        stale_known_failures: &info.stale_known_failures,
        unverified_known_failures: &info.unverified_known_failures,
        coverage: {
            let mut single = super::matrix::Matrix::default();
            single.add_run(report, info);
            super::coverage::view(&single)
                .into_iter()
                .map(|area| CoverageEntry {
                    area: area.area,
                    title: area.title,
                    cases: area.cases,
                    rows: area.rows,
                    column: area.targets.into_iter().next().unwrap_or_default(),
                })
                .collect()
        },
        cases: report
            .outcomes
            .iter()
            .map(|outcome| JsonCase {
                id: &outcome.id,
                title: &outcome.title,
                file: &outcome.origin,
                tags: &outcome.tags,
                codes: &outcome.codes,
                verdict: &outcome.verdict,
                duration_ms: outcome.duration.as_secs_f64() * 1000.0,
                requests: outcome.requests,
                failures: &outcome.failures,
                failed_attempts: &outcome.failed_attempts,
                rerun: super::rerun_command(&outcome.origin, &report.target, Some(&info.rerun)),
            })
            .collect(),
    };
    crate::escape::json_pretty(&document).expect("the report is plain data")
}
