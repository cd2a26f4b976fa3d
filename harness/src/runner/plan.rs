//! The library's run entry point: a [`RunPlan`] (which cases, against what, how) becomes a
//! [`RunOutcome`] with the exit code the command line reports. `eni-harness run` only parses
//! its arguments into a plan, runs it and prints; a program embedding the harness does the same
//! without a shell.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::builtin::{self, SuiteSource};
use crate::checks;
use crate::exit::{EXIT_OK, ErrorKind};
use crate::profile::{Profile, ProfileError};
use crate::report::{RerunOptions, RunInfo, json, junit, matrix};
use crate::runner::known::KnownFailures;
use crate::runner::suite::{Shard, filter_cases, shard_cases};
use crate::runner::{self, CaseOutcome, SuiteOptions, SuiteReport};
use crate::snapshot::SnapshotMode;
use crate::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};
use crate::wire::{Credentials, Format, Signing};

/// Cases at once against a shared target when the plan names no number of jobs.
const SHARED_TARGET_JOBS: usize = 8;

/// Where the repro lines of an embedded run point: a served reference emulator's usual address.
const EMBEDDED_REPRO_URL: &str = "http://127.0.0.1:8080/";

/// One run of the suite: the options of `eni-harness run`, as values.
///
/// [`RunPlan::default`] is the command without arguments: `cases/` in the current folder (else
/// the suite built into the binary) against the embedded reference emulator.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Case files or folders; empty: `cases/` in the current folder, else the built-in suite.
    pub cases: Vec<PathBuf>,
    /// `embedded` (the reference emulator in process) or the URL of an endpoint.
    pub target: String,
    /// A profile file, or the name of a built-in profile; `None`: the embedded emulator's.
    pub profile: Option<PathBuf>,
    /// Keep cases matching any comma-separated term: `tag:NAME`, `id:GLOB`, or text in the id.
    pub filter: Option<String>,
    /// Run one shard of the (filtered) suite.
    pub shard: Option<Shard>,
    /// A known-failures file: covered failures are XFAIL; an entry that passes fails the run.
    pub known_failures: Option<PathBuf>,
    /// Compare, record or ignore snapshots.
    pub snapshots: SnapshotMode,
    /// Cases at once; `None`: the number of cores (against a shared target at least 8).
    pub jobs: Option<usize>,
    /// Signature version, overriding the profile's.
    pub signing: Option<Signing>,
    /// Response format, overriding the profile's.
    pub format: Option<Format>,
    /// Per-request timeout of an HTTP target.
    pub timeout: Duration,
    /// Let an HTTP target pipeline the state read behind a request (see
    /// [`HttpTargetOptions::pipelining`]).
    pub pipelining: bool,
    /// How many times a failed case is run again (a case that then passes is FLAKY).
    pub retries: u8,
    /// Fail the run when a row of the contract's Assign table is reached by no case that ran.
    pub require_coverage: bool,
    /// Run against this variant world of the embedded emulator.
    pub variant: Option<u64>,
    /// Report files to write.
    pub reports: ReportFiles,
}

impl Default for RunPlan {
    fn default() -> RunPlan {
        RunPlan {
            cases: Vec::new(),
            target: "embedded".into(),
            profile: None,
            filter: None,
            shard: None,
            known_failures: None,
            snapshots: SnapshotMode::Check,
            jobs: None,
            signing: None,
            format: None,
            timeout: Duration::from_secs(30),
            pipelining: true,
            retries: 0,
            require_coverage: false,
            variant: None,
            reports: ReportFiles::default(),
        }
    }
}

/// The report files a run writes, each when its path is given.
#[derive(Debug, Clone, Default)]
pub struct ReportFiles {
    /// JUnit XML.
    pub junit: Option<PathBuf>,
    /// JSON (`eni-harness matrix` combines several).
    pub json: Option<PathBuf>,
    /// This run's conformance matrix as Markdown.
    pub markdown: Option<PathBuf>,
    /// This run's conformance matrix as a self-contained HTML page.
    pub html: Option<PathBuf>,
}

/// What a run is about to do, told to its [`RunObserver`] before the first case.
#[derive(Debug, Clone)]
pub struct RunStart {
    /// Where the cases come from.
    pub suite: String,
    /// How many cases will run.
    pub cases: usize,
    /// The target, described (no credentials).
    pub target: String,
    /// The profile's name.
    pub profile: String,
    /// Cases at once.
    pub jobs: usize,
    /// A warning about the plan (e.g. `update` with nowhere to record), if any.
    pub warning: Option<String>,
}

/// Watches a run as it goes: the command line prints from these.
pub trait RunObserver: Send + Sync {
    /// Before the first case.
    fn started(&self, start: &RunStart) {
        let _ = start;
    }
    /// A case is done; its verdict already says XFAIL when a known failure covers it.
    fn case_done(&self, outcome: &CaseOutcome) {
        let _ = outcome;
    }
    /// The last case is done.
    fn finished(&self) {}
}

/// An observer that watches nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl RunObserver for Unobserved {}

/// What a run came to.
#[derive(Debug)]
pub struct RunOutcome {
    /// `None` when every case passed; else whether a case failed ([`ErrorKind::Failed`]) or
    /// the plan could not run ([`ErrorKind::Usage`]). [`RunOutcome::exit_code`] maps it.
    pub failure: Option<ErrorKind>,
    /// What went wrong with the plan itself (a profile, a case file, a report file), one
    /// message per problem, already escaped for a terminal.
    pub errors: Vec<String>,
    /// The judged run, unless the plan failed before any case ran.
    pub finished: Option<FinishedRun>,
}

/// A run whose cases ran.
#[derive(Debug)]
pub struct FinishedRun {
    /// Every case's outcome, known failures applied.
    pub report: SuiteReport,
    /// What the reports say about the run.
    pub info: RunInfo,
    /// The options a rerun line repeats.
    pub rerun: RerunOptions,
    /// With `require_coverage`: the rows of the contract no case that ran reached.
    pub rows_not_reached: Vec<String>,
}

impl RunOutcome {
    /// The code `eni-harness run` exits with: 0 passed, 1 a case failed, 2 nothing was judged.
    pub fn exit_code(&self) -> u8 {
        self.failure.map_or(EXIT_OK, ErrorKind::exit_code)
    }

    fn refused(error: String) -> RunOutcome {
        RunOutcome {
            failure: Some(ErrorKind::Usage),
            errors: vec![error],
            finished: None,
        }
    }
}

impl RunPlan {
    /// Runs the plan on a runtime of its own; see [`RunPlan::execute`]. Do not call it from
    /// within a tokio runtime.
    pub fn run(&self, observer: &Arc<dyn RunObserver>) -> RunOutcome {
        runtime().block_on(self.execute(observer))
    }

    /// Loads the cases and the profile, runs the cases against the target, applies the known
    /// failures and writes the report files.
    pub async fn execute(&self, observer: &Arc<dyn RunObserver>) -> RunOutcome {
        let suite = match builtin::resolve(&self.cases) {
            Ok(suite) => suite,
            Err(error) => {
                return RunOutcome::refused(format!(
                    "error: {}",
                    crate::escape::terminal_lines(&error)
                ));
            }
        };
        let mut profile = match load_profile(self.profile.as_deref(), &suite) {
            Ok(profile) => profile,
            Err(error) => {
                let mut text = format!("error: {error}");
                if self.profile.as_ref().is_some_and(|path| !path.exists()) {
                    text.push_str(&format!(
                        "\n  = help: give a profile file, or a built-in profile by name: {}",
                        builtin::names_in("profiles").join(", ")
                    ));
                }
                return RunOutcome::refused(text);
            }
        };
        if let Some(signing) = self.signing {
            profile.signing = signing;
        }
        if let Some(format) = self.format {
            profile.format = format;
        }
        let mut cases = match runner::load_cases(&suite.case_paths()) {
            Ok(cases) => cases,
            Err(error) => {
                return RunOutcome::refused(
                    crate::escape::terminal_lines(&error.to_string()).into_owned(),
                );
            }
        };
        let known = match &self.known_failures {
            None => None,
            Some(path) => {
                let checks = checks::ALL.iter().map(|check| check.name);
                let ids: Vec<&str> = cases.iter().map(|loaded| loaded.case.id.as_str()).collect();
                match KnownFailures::load(path)
                    .and_then(|known| known.validate(ids.iter().copied(), checks).map(|()| known))
                {
                    Ok(known) => Some(known),
                    Err(error) => {
                        return RunOutcome::refused(
                            crate::escape::terminal_lines(&error.to_string()).into_owned(),
                        );
                    }
                }
            }
        };
        if let Some(filter) = &self.filter {
            cases = filter_cases(cases, filter);
        }
        if let Some(shard) = self.shard {
            cases = shard_cases(cases, shard);
        }
        // A variant is the reference emulator making other choices: its DECISIONS.md cases do
        // not apply.
        if self.variant.is_some() {
            profile.reference_emulator = false;
            // Nor are the reference's recordings the variant's own: snapshots compare by their
            // contract view.
            profile.snapshots = None;
        }
        let complete = self.filter.is_none() && self.shard.is_none();
        let (target, repro_url): (Arc<dyn Target>, String) = if self.target == "embedded" {
            (
                Arc::new(EmbeddedTarget::new(&profile).with_variant(self.variant)),
                EMBEDDED_REPRO_URL.into(),
            )
        } else if let Some(seed) = self.variant {
            return RunOutcome::refused(format!(
                "error: --variant applies to the embedded target only; serve the variant with `eni-harness serve --variant {seed}` and give its URL to --target"
            ));
        } else {
            match http_target_for(&self.target, &profile, self.timeout, self.pipelining) {
                Ok(target) => (
                    Arc::new(target),
                    crate::escape::url_without_userinfo(&self.target).into_owned(),
                ),
                Err(error) => return RunOutcome::refused(format!("error: {error:#}")),
            }
        };
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        // Against a shared endpoint a case mostly waits for answers and transitions, not for a
        // core: enough at once to keep every lane busy.
        let jobs = self.jobs.unwrap_or(if target.is_shared() {
            cores.max(SHARED_TARGET_JOBS)
        } else {
            cores
        });
        let warning = (self.snapshots == SnapshotMode::Update && profile.snapshots.is_none())
            .then(|| {
                format!(
                    "warning: profile `{}` names no `snapshots:` folder: `--snapshots update` records nothing (the reference recordings are the reference emulator's); add `snapshots: DIR` to record this target's own",
                    profile.name
                )
            });
        observer.started(&RunStart {
            suite: suite.describe(),
            cases: cases.len(),
            target: target.describe(),
            profile: profile.name.clone(),
            jobs,
            warning,
        });
        let options = SuiteOptions {
            jobs,
            snapshots: self.snapshots,
            repro_url,
            run_token: run_token(),
        };
        let on_done = {
            let observer = Arc::clone(observer);
            let known = known.clone();
            move |outcome: &CaseOutcome| match &known {
                // The observer hears what the verdict will be: XFAIL for a known failure.
                Some(known) => {
                    let mut judged = outcome.clone();
                    known.apply(std::slice::from_mut(&mut judged), false);
                    observer.case_done(&judged);
                }
                None => observer.case_done(outcome),
            }
        };
        let contract = profile.contract.name.clone();
        let started = crate::report::now_rfc3339();
        let mut report = runner::run_suite_retrying(
            cases,
            target,
            Arc::new(profile),
            options,
            usize::from(self.retries),
            on_done,
        )
        .await;
        observer.finished();
        let (info, rerun) = self.run_info(contract, started, known.as_ref(), &mut report, complete);
        self.finish(report, info, rerun)
    }

    /// What the reports say about this run; applies the known failures to `report`.
    fn run_info(
        &self,
        contract: String,
        started: String,
        known: Option<&KnownFailures>,
        report: &mut SuiteReport,
        complete: bool,
    ) -> (RunInfo, RerunOptions) {
        let profile_path = self.profile.as_ref().map(|path| path.display().to_string());
        let known_path = self
            .known_failures
            .as_ref()
            .map(|path| path.display().to_string());
        let rerun = RerunOptions {
            profile: profile_path.clone(),
            signing: self
                .signing
                .map(|signing| format!("{signing:?}").to_lowercase()),
            format: self
                .format
                .map(|format| format!("{format:?}").to_lowercase()),
            variant: self.variant,
            expect_failures: known_path.clone(),
        };
        let mut info = RunInfo {
            profile_path,
            rerun: rerun.clone(),
            contract,
            started,
            shard: self.shard.map(|shard| shard.to_string()),
            filter: self.filter.clone(),
            known_failures: known_path,
            ..RunInfo::default()
        };
        if let Some(known) = known {
            let found = known.apply(&mut report.outcomes, complete);
            info.stale_known_failures = found.stale;
            info.unverified_known_failures = found.unverified;
        }
        (info, rerun)
    }

    /// Writes the report files and judges the run.
    fn finish(&self, report: SuiteReport, info: RunInfo, rerun: RerunOptions) -> RunOutcome {
        let single_matrix = || {
            let mut single = matrix::Matrix::default();
            single.add_run(&report, &info);
            single
        };
        let files = &self.reports;
        let rendered = [
            (
                &files.junit,
                files
                    .junit
                    .as_ref()
                    .map(|_| junit::render(&report, Some(&rerun))),
            ),
            (
                &files.json,
                files.json.as_ref().map(|_| json::render(&report, &info)),
            ),
            (
                &files.markdown,
                files.markdown.as_ref().map(|_| single_matrix().markdown()),
            ),
            (
                &files.html,
                files.html.as_ref().map(|_| single_matrix().html()),
            ),
        ];
        for (path, text) in rendered {
            if let (Some(path), Some(text)) = (path, text)
                && let Err(error) = std::fs::write(path, text)
            {
                return RunOutcome {
                    failure: Some(ErrorKind::Usage),
                    errors: vec![format!("error: cannot write {}: {error}", path.display())],
                    finished: Some(FinishedRun {
                        report,
                        info,
                        rerun,
                        rows_not_reached: Vec::new(),
                    }),
                };
            }
        }
        let rows_not_reached = if self.require_coverage {
            crate::report::coverage::rows_not_reached(&single_matrix(), 0)
        } else {
            Vec::new()
        };
        let failed = info.failed(&report) || !rows_not_reached.is_empty();
        RunOutcome {
            failure: failed.then_some(ErrorKind::Failed),
            errors: Vec::new(),
            finished: Some(FinishedRun {
                report,
                info,
                rerun,
                rows_not_reached,
            }),
        }
    }
}

/// Why `eni-harness list` has no cases to show; its text is escaped for a terminal.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SelectError {
    /// The paths given name no suite (a missing folder, a built-in suite that cannot be
    /// written out).
    #[error("error: {}", crate::escape::terminal_lines(.0))]
    Suite(String),
    /// A case file could not be read or is not a valid case.
    #[error("{}", crate::escape::terminal_lines(&.0.to_string()))]
    Cases(#[source] runner::SuiteError),
}

/// The cases `eni-harness list` shows: those of `paths` (as [`RunPlan::cases`]) that `filter`
/// keeps.
pub(crate) fn select_cases(
    paths: &[PathBuf],
    filter: Option<&str>,
) -> Result<Vec<runner::LoadedCase>, SelectError> {
    let suite = builtin::resolve(paths).map_err(SelectError::Suite)?;
    let cases = runner::load_cases(&suite.case_paths()).map_err(SelectError::Cases)?;
    Ok(match filter {
        Some(filter) => filter_cases(cases, filter),
        None => cases,
    })
}

/// The profile of a run: the file given, a built-in profile by name, or the default (the
/// built-in suite's own copy when that suite runs, so its `snapshots:` folder is found).
fn load_profile(given: Option<&Path>, suite: &SuiteSource) -> Result<Profile, ProfileError> {
    let builtin_named = |name: &str| {
        let root = match suite.builtin_root() {
            Some(root) => root.to_path_buf(),
            None => builtin::materialize().ok()?,
        };
        let path = root.join("profiles").join(format!("{name}.yaml"));
        builtin::names_in("profiles")
            .contains(&name)
            .then_some(path)
    };
    match given {
        Some(path) if path.exists() => Profile::load(path),
        Some(path) => match path.to_str().and_then(builtin_named) {
            Some(builtin) => Profile::load(&builtin),
            None => Profile::load(path),
        },
        None => match suite.builtin_root() {
            Some(root) => Profile::load(&root.join("profiles/embedded.yaml")),
            None => Ok(Profile::embedded()),
        },
    }
}

/// An HTTP target for a URL, credentials from the environment (test values for loopback).
pub(crate) fn http_target_for(
    url: &str,
    profile: &Profile,
    timeout: Duration,
    pipelining: bool,
) -> anyhow::Result<HttpTarget> {
    let credentials = match (Credentials::from_env(), profile.signing) {
        (_, Signing::None) => None,
        (Ok(credentials), _) => Some(credentials),
        (Err(error), _) if is_loopback(url) => {
            // A local emulator's built-in credentials are public test values.
            eprintln!(
                "note: {error}; using the reference emulator's test credentials for a loopback target"
            );
            Some(Credentials::builtin_emulator())
        }
        (Err(error), _) => return Err(error),
    };
    HttpTarget::new(HttpTargetOptions {
        base_url: url.to_string(),
        region: profile.region.clone(),
        credentials,
        signing: profile.signing,
        connect_timeout: Duration::from_secs(5).min(timeout),
        request_timeout: timeout,
        max_body_bytes: 4 << 20,
        pipelining,
    })
}

fn is_loopback(url: &str) -> bool {
    // A user name in the URL must not hide the host (the target refuses such URLs anyway).
    let url = crate::escape::url_without_userinfo(url);
    let rest = url.split_once("://").map_or(&*url, |(_, rest)| rest);
    ["127.", "localhost", "[::1]"]
        .iter()
        .any(|prefix| rest.starts_with(prefix))
}

/// A token unique to this run, so `${unique}` values never repeat across runs on one endpoint.
fn run_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!(
        "eh{:x}{:x}",
        nanos & 0xffff_ffff_ffff,
        std::process::id() & 0xffff
    )
}

/// A multi-threaded runtime for the commands that talk to targets.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime can be built")
}
