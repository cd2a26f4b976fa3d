//! The kill matrix (`eni-harness selftest`). The case suite runs against the embedded emulator
//! once clean and once per planted defect; a harness that is worth trusting passes the clean
//! emulator and fails every broken one. Each row says which cases and which checks caught the
//! defect, or `NOT CAUGHT`.
//!
//! Defects about IPv4 prefixes exist only under a contract that has them: their rows run the
//! suite under `profiles/current.yaml` (over HTTP, `profiles/served.yaml` under the `current`
//! contract), and a second clean row shows that the suite passes the clean emulator there too.
//!
//! With `--over-http` each emulator is served on a loopback port instead, as `eni-harness serve`
//! runs it (2 s transitions), and the suite reaches it over HTTP with `profiles/served.yaml`,
//! racing the transition cases: the verdicts a user gets against a served endpoint.
//!
//! Detectors are functions from (cases, defect) to a [`Detection`]: the case suite and the
//! black-box fuzzer; another is one more call in `detect`. Rows run at once. A defect row stops
//! at the first group of cases that catches it (`--full` runs every case); the clean row always
//! runs every case.
//!
//! Its renderers (terminal and Markdown) are in [`crate::report::kill_matrix`].

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use eni_emulator::Defect;

use crate::fuzzer::{self, Env, FuzzOptions, ShrinkBudget, TargetSpec};
use crate::profile::Profile;
use crate::runner::{self, FailureKind, LoadedCase, SuiteOptions, Verdict};
use crate::snapshot::SnapshotMode;
use crate::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};

/// What one detector found against one emulator (clean, or with one defect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detection {
    /// `suite`, `fuzz`, …
    pub detector: &'static str,
    /// Ids of the failing cases (or kinds of fuzz findings), in suite order.
    pub failures: Vec<String>,
    /// What fired: `expectation`, `check no_5xx`, … (sorted).
    pub fired: BTreeSet<String>,
    /// What the detector tried, e.g. `16 of 173 cases (stopped at the first catch)`.
    pub scope: String,
    /// The detector could not run: the row cannot be judged.
    pub error: Option<String>,
}

impl Detection {
    fn new(detector: &'static str) -> Detection {
        Detection {
            detector,
            failures: Vec::new(),
            fired: BTreeSet::new(),
            scope: String::new(),
            error: None,
        }
    }

    pub(crate) fn caught(&self) -> bool {
        !self.failures.is_empty()
    }
}

/// One row of the matrix: the emulator's defect (`None`: clean), the contract the suite ran
/// under, and what each detector found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub defect: Option<Defect>,
    /// The contract version of the row's profile: `seed`, or `current` for prefix defects.
    pub contract: String,
    pub detections: Vec<Detection>,
}

impl Row {
    pub(crate) fn caught(&self) -> bool {
        self.detections.iter().any(Detection::caught)
    }

    /// A clean row must find nothing; a defect row must find something.
    pub(crate) fn ok(&self) -> bool {
        if self.detections.iter().any(|d| d.error.is_some()) {
            return false;
        }
        match self.defect {
            None => !self.caught(),
            Some(_) => self.caught(),
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match (self.defect, self.contract.as_str()) {
            (Some(defect), _) => defect.name(),
            (None, "seed") => "(none: clean emulator)",
            (None, _) => "(none: clean emulator, contract current)",
        }
    }
}

/// How the matrix is run.
#[derive(Debug, Clone)]
pub(crate) struct MatrixOptions {
    /// Cases at once within one suite run.
    pub jobs: usize,
    /// Time of the fuzz detector per row; zero: no fuzzing.
    pub fuzz_time: Duration,
    /// Every case against every defect (else a defect row stops at its first catch).
    pub full: bool,
    /// The suite reaches each emulator over HTTP on loopback (else in-process).
    pub over_http: bool,
}

/// The embedded world under the `current` contract, as `profiles/current.yaml` describes it.
const CURRENT_PROFILE: &str = include_str!("../../profiles/current.yaml");

/// The profile a row's suite runs under: the seed contract's, or for prefix defects one whose
/// contract has prefixes.
fn row_profile(over_http: bool, prefixes: bool) -> Result<Profile, String> {
    match (over_http, prefixes) {
        (false, false) => Ok(Profile::embedded()),
        (true, false) => Ok(Profile::served()),
        (false, true) => Profile::parse(CURRENT_PROFILE, "profiles/current.yaml")
            .map_err(|error| error.to_string()),
        (true, true) => {
            let mut profile = Profile::served();
            profile.contract = crate::profile::Contract::current();
            profile.name = "served-current".into();
            Ok(profile)
        }
    }
}

/// The clean rows first (seed, then `current` when a prefix defect is in the matrix), then one
/// row per defect, all run at once.
pub(crate) async fn kill_matrix(
    cases: &[LoadedCase],
    defects: &[Defect],
    options: &MatrixOptions,
) -> Vec<Row> {
    let cases: Arc<[LoadedCase]> = cases.into();
    let any_prefixes = defects.iter().any(|d| d.needs_prefixes());
    let rows: Vec<(Option<Defect>, bool)> = std::iter::once((None, false))
        .chain(any_prefixes.then_some((None, true)))
        .chain(defects.iter().map(|d| (Some(*d), d.needs_prefixes())))
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (defect, prefixes)) in rows.iter().copied().enumerate() {
        let (cases, options) = (Arc::clone(&cases), options.clone());
        tasks.spawn(async move {
            let row = match row_profile(options.over_http, prefixes) {
                Ok(profile) => detect(&cases, &Arc::new(profile), defect, &options).await,
                Err(error) => Row {
                    defect,
                    contract: if prefixes { "current" } else { "seed" }.into(),
                    detections: vec![Detection {
                        error: Some(format!("the row's profile does not load: {error}")),
                        ..Detection::new("suite")
                    }],
                },
            };
            (index, row)
        });
    }
    let mut out: Vec<Option<Row>> = vec![None; rows.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, row)) => out[index] = Some(row),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    out.into_iter().flatten().collect()
}

/// Every detector against one emulator.
async fn detect(
    cases: &[LoadedCase],
    profile: &Arc<Profile>,
    defect: Option<Defect>,
    options: &MatrixOptions,
) -> Row {
    // The clean row runs every case: a false alarm anywhere in the suite must show.
    let stop_early = defect.is_some() && !options.full;
    let suite = if options.over_http {
        match ServedEmulator::start(defect, profile).await {
            Ok(served) => {
                let detection = suite_detector(
                    cases,
                    profile,
                    &served.target,
                    defect,
                    options.jobs,
                    stop_early,
                )
                .await;
                served.stop().await;
                detection
            }
            Err(error) => Detection {
                error: Some(format!("cannot serve the emulator on loopback: {error}")),
                ..Detection::new("suite")
            },
        }
    } else {
        let target = EmbeddedTarget::new(profile).with_defects(defect.into_iter().collect());
        let target: Arc<dyn Target> = Arc::new(target);
        suite_detector(cases, profile, &target, defect, options.jobs, stop_early).await
    };
    let mut detections = vec![suite];
    if !options.fuzz_time.is_zero() {
        detections.push(fuzz_detector(profile, defect, options.fuzz_time).await);
    }
    Row {
        defect,
        contract: profile.contract.name.clone(),
        detections,
    }
}

/// The reference emulator with a defect (or none) planted, served on a loopback port the OS
/// picks, its transitions taking as long as `serve`'s default.
struct ServedEmulator {
    target: Arc<dyn Target>,
    server: eni_emulator::Spawned,
}

impl ServedEmulator {
    async fn start(defect: Option<Defect>, profile: &Profile) -> Result<ServedEmulator, String> {
        let mut config = eni_emulator::Config::new(eni_emulator::World::builtin());
        config.defects = defect.into_iter().collect();
        if profile.contract.has_prefixes() {
            config.contract = eni_emulator::ContractProfile::current();
        }
        let server = eni_emulator::spawn(config)
            .await
            .map_err(|error| error.to_string())?;
        let options = HttpTargetOptions::local_emulator(server.url(), profile);
        let target = HttpTarget::new(options).map_err(|error| error.to_string())?;
        Ok(ServedEmulator {
            target: Arc::new(target),
            server,
        })
    }

    async fn stop(self) {
        let _ = self.server.stop().await;
    }
}

/// The case suite against `target`, the emulator with `defect` planted. Snapshots are off: a
/// snapshot difference is not a verdict here; expectations and named checks are. Cases run in
/// groups of a few per job; with `stop_early`, no group starts after one that caught something.
pub(crate) async fn suite_detector(
    cases: &[LoadedCase],
    profile: &Arc<Profile>,
    target: &Arc<dyn Target>,
    defect: Option<Defect>,
    jobs: usize,
    stop_early: bool,
) -> Detection {
    let mut detection = Detection::new("suite");
    let mut ran = 0;
    let group = if stop_early {
        4 * jobs.max(1)
    } else {
        cases.len().max(1)
    };
    for chunk in cases.chunks(group) {
        let options = SuiteOptions {
            jobs,
            snapshots: SnapshotMode::Off,
            repro_url: String::new(),
            run_token: format!("selftest-{}-{ran}", defect.map_or("clean", Defect::name)),
        };
        let report = runner::run_suite(
            chunk.to_vec(),
            Arc::clone(target),
            Arc::clone(profile),
            options,
            |_| {},
        )
        .await;
        ran += chunk.len();
        for outcome in report
            .outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Fail)
        {
            detection.failures.push(outcome.id.clone());
            for failure in &outcome.failures {
                if failure.kind != FailureKind::Snapshot {
                    detection.fired.insert(failure.label());
                }
            }
        }
        if stop_early && detection.caught() {
            break;
        }
    }
    detection.scope = if ran < cases.len() {
        format!("{ran} of {} cases, stopped at the first catch", cases.len())
    } else {
        format!("all {ran} cases")
    };
    detection
}

/// The black-box fuzzer against the embedded emulator with `defect` planted, for `time`,
/// beside its clean reference. Every kind of finding counts; nothing is shrunk or written.
pub(crate) async fn fuzz_detector(
    profile: &Arc<Profile>,
    defect: Option<Defect>,
    time: Duration,
) -> Detection {
    let mut detection = Detection::new("fuzz");
    let planted: Vec<Defect> = defect.into_iter().collect();
    let label = EmbeddedTarget::new(profile)
        .with_defects(planted.clone())
        .describe();
    let configure: fuzzer::Configure = Arc::new(move |config| config.defects = planted.clone());
    let spec = TargetSpec::Embedded { configure, label };
    let env = match Env::new(Arc::clone(profile), spec, Duration::from_secs(2)) {
        Ok(env) => Arc::new(env),
        Err(message) => {
            detection.error = Some(format!("the fuzzer cannot start: {message}"));
            return detection;
        }
    };
    let options = FuzzOptions {
        seed: 0,
        runs: None,
        time: Some(time),
        jobs: 1,
        concurrency: false,
        out: None,
        shrink: ShrinkBudget {
            attempts: 0,
            time: Duration::ZERO,
        },
        live: false,
        verify: None,
        fail_fast: false,
        observer: None,
    };
    let report = fuzzer::fuzz(env, options).await;
    for found in &report.findings {
        detection.failures.push(found.kind.to_string());
        detection.fired.insert(found.kind.check.clone());
    }
    detection.scope = format!(
        "{} sequences, {} requests in {:.0} s",
        report.sequences,
        report.requests,
        time.as_secs_f64()
    );
    if report.is_vacuous() {
        detection
            .scope
            .push_str(", VACUOUS: too few mutating requests succeeded");
    }
    detection
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::kill_matrix::{render, render_markdown};
    use crate::runner::plan::runtime;

    /// Defects the case suite cannot catch, each with the reason. Empty: the suite catches
    /// every planted defect. A defect listed here needs another detector or a new case.
    const SUITE_BLIND_SPOTS: &[(Defect, &str)] = &[];

    #[test]
    fn the_suite_catches_every_defect_and_passes_the_clean_emulator() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let cases = runner::load_cases(&[root.join("cases")]).expect("the suite loads");
        let options = MatrixOptions {
            jobs: 2,
            fuzz_time: Duration::ZERO,
            full: false,
            over_http: false,
        };
        let rows = runtime().block_on(kill_matrix(&cases, &Defect::ALL, &options));
        let shown = render(&rows, cases.len(), Duration::ZERO, false);
        assert_eq!(rows.len(), Defect::ALL.len() + 2);
        for clean in &rows[..2] {
            assert!(
                clean.defect.is_none() && clean.ok(),
                "the clean emulator fails cases:\n{shown}"
            );
        }
        assert_eq!(
            [rows[0].contract.as_str(), rows[1].contract.as_str()],
            ["seed", "current"]
        );
        for row in &rows[2..] {
            let defect = row.defect.expect("defect rows");
            let contract = if defect.needs_prefixes() {
                "current"
            } else {
                "seed"
            };
            assert_eq!(row.contract, contract, "{defect}");
        }
        for row in &rows[2..] {
            let defect = row.defect.expect("defect rows");
            let blind = SUITE_BLIND_SPOTS.iter().any(|(d, _)| *d == defect);
            assert_eq!(
                row.caught(),
                !blind,
                "{}: caught {} but listed as blind {blind}:\n{shown}",
                defect,
                row.caught()
            );
        }
        let markdown = render_markdown(&rows);
        assert_eq!(markdown.lines().count(), rows.len() + 2);
    }

    #[test]
    fn rows_judge_clean_and_defective_emulators_the_other_way_round() {
        let nothing = Detection::new("suite");
        let found = Detection {
            failures: vec!["a".into()],
            ..Detection::new("suite")
        };
        assert!(
            Row {
                defect: None,
                contract: "seed".into(),
                detections: vec![nothing.clone()]
            }
            .ok()
        );
        assert!(
            !Row {
                defect: None,
                contract: "seed".into(),
                detections: vec![found.clone()]
            }
            .ok()
        );
        assert!(
            Row {
                defect: Some(Defect::MisspelledCode),
                contract: "seed".into(),
                detections: vec![found.clone()]
            }
            .ok()
        );
        let missed = Row {
            defect: Some(Defect::MisspelledCode),
            contract: "seed".into(),
            detections: vec![nothing],
        };
        assert!(!missed.ok());
        assert!(render(&[missed], 1, Duration::ZERO, false).contains("NOT CAUGHT"));
        let broken = Detection {
            error: Some("cannot start".into()),
            ..found.clone()
        };
        assert!(
            !Row {
                defect: Some(Defect::MisspelledCode),
                contract: "seed".into(),
                detections: vec![broken]
            }
            .ok()
        );
    }
}
