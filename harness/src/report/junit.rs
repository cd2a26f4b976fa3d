//! The JUnit XML report, with the data model nextest uses, so CI systems render a run as tests.
//! An expected failure (`XFAIL`) is a skipped test whose message starts with `expected failure:`
//! and whose `expected_failure` property holds the known-failures reason; its failures are in
//! the skip's description, so they stay readable without failing the build.
//!
//! A case passed on a retry (`FLAKY`) is a success with a `flakyFailure` per failed attempt; a
//! case that failed every attempt has a `rerunFailure` per earlier one.
//!
//! Every text goes through [`xml`]: quick-junit escapes markup, not the characters XML 1.0
//! cannot carry, and an endpoint's code or message may hold any of them.

use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::escape::{first_line, xml};
use crate::runner::{Failure, SuiteReport, Verdict};

/// The report as JUnit XML: one test suite (the target), one test case per case.
pub(crate) fn render(report: &SuiteReport, rerun: Option<&super::RerunOptions>) -> String {
    let mut suite = TestSuite::new(format!("eni-harness ({})", xml(&report.target)));
    for outcome in &report.outcomes {
        let status = match &outcome.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Skip(reason) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(xml(reason).into_owned());
                status
            }
            Verdict::ExpectedFailure(reason) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(format!("expected failure: {}", xml(reason)));
                status.set_type("xfail");
                status.set_description(details(outcome, &report.target, rerun));
                status
            }
            Verdict::Flaky => TestCaseStatus::success(),
            Verdict::Fail => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let first = outcome.failures.first();
                status.set_message(first_message(&outcome.failures));
                status.set_type(first.map_or("failure".into(), |failure| {
                    xml(&failure.label()).into_owned()
                }));
                status.set_description(details(outcome, &report.target, rerun));
                status
            }
        };
        let mut status = status;
        // Every failed attempt of a retried case: `flakyFailure` under a pass (FLAKY),
        // `rerunFailure` under a failure, as nextest writes them.
        status.add_reruns(outcome.failed_attempts.iter().map(|failures| {
            let mut rerun = TestRerun::new(NonSuccessKind::Failure);
            rerun.set_message(first_message(failures));
            rerun.set_description(describe_failures(failures));
            rerun
        }));
        let mut case = TestCase::new(xml(&outcome.id).into_owned(), status);
        if let Verdict::ExpectedFailure(reason) = &outcome.verdict {
            case.add_property(Property::new("expected_failure", xml(reason).into_owned()));
        }
        case.set_classname(xml(&outcome.origin).into_owned());
        case.set_time(outcome.duration);
        suite.add_test_case(case);
    }
    suite.set_time(report.wall);
    let mut junit = Report::new("eni-harness");
    junit.add_test_suite(suite);
    junit.set_time(report.wall);
    junit.to_string().expect("the report is plain data")
}

/// The first failure in one line: `step.name: message`.
fn first_message(failures: &[Failure]) -> String {
    failures.first().map_or(String::new(), |failure| {
        format!(
            "{}.{}: {}",
            failure.section.name(),
            xml(&failure.step),
            xml(first_line(&failure.message))
        )
    })
}

/// One failure in full, as both a failed attempt and a failed case describe it: where it
/// happened, its label, then its whole message.
fn push_failure(description: &mut String, failure: &Failure) {
    description.push_str(&format!(
        "{}.{} [{}]\n{}\n",
        failure.section.name(),
        failure.step,
        failure.label(),
        failure.message
    ));
}

/// Every failure of one attempt in full.
fn describe_failures(failures: &[Failure]) -> String {
    let mut description = String::new();
    for failure in failures {
        push_failure(&mut description, failure);
    }
    xml(&description).into_owned()
}

/// Every failure of a case in full, with its reproduction.
fn details(
    outcome: &crate::runner::CaseOutcome,
    target: &str,
    rerun: Option<&super::RerunOptions>,
) -> String {
    let mut description = String::new();
    for failure in &outcome.failures {
        push_failure(&mut description, failure);
        if let Some(curl) = &failure.curl {
            description.push_str(&format!("curl: {curl}\n"));
        }
    }
    description.push_str(&format!(
        "rerun: {}\n",
        super::rerun_command(&outcome.origin, target, rerun)
    ));
    xml(&description).into_owned()
}
