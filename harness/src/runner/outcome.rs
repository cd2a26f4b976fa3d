//! What running a case gives: where a failure happened, its kind and text, the verdict, and
//! the case's outcome with the codes it accepts.

use std::time::Duration;

use eni_spec::Case;
use serde::Serialize;

use crate::snapshot::SnapshotOutcome;

/// Where in a case a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// The case's `setup:` steps.
    Setup,
    /// The case's `steps:`.
    Steps,
    /// The case's `teardown:` steps, which run even after a failure.
    Teardown,
}

impl Section {
    /// `setup`, `steps` or `teardown`, as case files and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Section::Setup => "setup",
            Section::Steps => "steps",
            Section::Teardown => "teardown",
        }
    }
}

/// What kind of thing failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The step's own `expect`.
    Expectation,
    /// A named check (`no_5xx`, `ip_unique_in_vswitch`, …).
    Check(&'static str),
    /// No answer, or the state could not be read back.
    Transport,
    /// The case cannot be evaluated against this profile.
    CaseFile,
    /// The snapshot differs or is new.
    Snapshot,
    /// A known-failures entry names a failure that did not happen: the entry is stale.
    UnexpectedPass,
}

/// One failure, with what a user needs to reproduce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The section the failing step is in.
    pub section: Section,
    /// The step's name in the case file, or the runner's own stage (`connect`, `checks`).
    pub step: String,
    /// What failed: the expectation, a named check, the transport, ...
    pub kind: FailureKind,
    /// Bounded whatever the endpoint sent (see [`Failure::new`]).
    pub message: String,
    /// An unsigned curl line that resends the step's request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

impl Failure {
    /// The one place a failure's message is made: it is cut to a few KiB per line and in all
    /// (`… N bytes more`), so that memory per case and the size of every report stay bounded
    /// however long the bodies and messages an endpoint answers.
    pub fn new(section: Section, step: &str, kind: FailureKind, message: String) -> Failure {
        Failure {
            section,
            step: step.to_string(),
            kind,
            message: crate::escape::bounded_message(message),
            curl: None,
        }
    }

    /// A failure of the named check.
    pub fn check(section: Section, step: &str, check: &'static str, message: String) -> Failure {
        Failure::new(section, step, FailureKind::Check(check), message)
    }

    /// `expectation`, `check ip_unique_in_vswitch`, …
    pub fn label(&self) -> String {
        match &self.kind {
            FailureKind::Expectation => "expectation".into(),
            FailureKind::Check(name) => format!("check {name}"),
            FailureKind::Transport => "transport".into(),
            FailureKind::CaseFile => "case file".into(),
            FailureKind::Snapshot => "snapshot".into(),
            FailureKind::UnexpectedPass => "known failure passes".into(),
        }
    }
}

/// The verdict on one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "lowercase")]
pub enum Verdict {
    /// Every step met its expectation and every check held.
    Pass,
    /// A step, a check or the snapshot failed.
    Fail,
    /// Not run, and why (a fixture the profile lacks, a tag the contract or signing excludes, ...).
    Skip(String),
    /// Failed as a known-failures entry says it does (`XFAIL`); the reason and link of the
    /// entries that cover its failures. Not a failure of the run.
    #[serde(rename = "xfail")]
    ExpectedFailure(String),
    /// Failed, then passed when run again (`run --retries N`): not a failure of the run, but
    /// shown as such in every report, with the failures of the attempts that failed.
    Flaky,
}

impl Verdict {
    /// `pass`, `fail`, `skip`, `xfail`: as the JSON report spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skip(_) => "skip",
            Verdict::ExpectedFailure(_) => "xfail",
            Verdict::Flaky => "flaky",
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The case's `id:`.
    pub id: String,
    /// The case's `title:`.
    pub title: String,
    /// The case's `tags:`, which coverage and `--filter` read.
    pub tags: Vec<String>,
    /// The error codes its steps accept, as the case file spells them (for coverage).
    pub codes: Vec<String>,
    /// The case file, as reports name it (a path, or a built-in name).
    pub origin: String,
    /// The verdict, after known failures and retries are taken into account.
    pub verdict: Verdict,
    /// Every failure of the deciding attempt, in the order they happened.
    pub failures: Vec<Failure>,
    /// Requests the case sent to the target.
    pub requests: usize,
    /// Wall-clock time the case took.
    pub duration: Duration,
    /// How its snapshot compared.
    pub snapshot: SnapshotOutcome,
    /// The redacted exchanges (when the case keeps a snapshot).
    pub snapshot_text: Option<String>,
    /// The failures of every earlier attempt that failed (`run --retries N`), oldest first;
    /// empty when the first attempt decided the verdict.
    pub failed_attempts: Vec<Vec<Failure>>,
}

impl CaseOutcome {
    /// An outcome that has not failed yet: `Pass`, no failures, nothing sent.
    pub fn new(case: &Case) -> CaseOutcome {
        CaseOutcome {
            id: case.id.clone(),
            title: case.title.clone(),
            tags: case.tags.clone(),
            codes: expected_codes(case),
            origin: case.origin.clone(),
            verdict: Verdict::Pass,
            failures: Vec::new(),
            requests: 0,
            duration: Duration::ZERO,
            snapshot: SnapshotOutcome::Skipped,
            snapshot_text: None,
            failed_attempts: Vec::new(),
        }
    }

    /// Records a failure and makes the verdict `Fail`.
    pub fn fail(&mut self, failure: Failure) {
        self.failures.push(failure);
        self.verdict = Verdict::Fail;
    }
}

/// The codes a case's requests accept, each once, in the order first met.
fn expected_codes(case: &Case) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for step in case.setup.iter().chain(&case.steps).chain(&case.teardown) {
        let sends = match step {
            eni_spec::Step::Send(send) => std::slice::from_ref(send),
            eni_spec::Step::Concurrent { sends, .. } => sends.as_slice(),
            eni_spec::Step::Wait { .. } => &[],
        };
        // A race's answers per state count too: each is what the case accepts in that state.
        let expects = sends.iter().flat_map(|send| {
            std::iter::once(&send.expect).chain(
                send.race
                    .iter()
                    .flat_map(|race| race.when.iter().map(|(_, expect)| expect)),
            )
        });
        for code in expects.flat_map(|expect| &expect.codes) {
            if !codes.contains(code) {
                codes.push(code.clone());
            }
        }
    }
    codes
}
