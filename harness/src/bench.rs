//! The measurements behind `eni-harness bench`: the speed figures of the runner and the sequence fuzzer, measured rather
//! than claimed — the whole suite against the embedded emulator (wall time per run) and against
//! the emulator served on a loopback port (requests per second with `--jobs` cases at once); the
//! fuzzer's requests per second against the embedded emulator and against the emulator served on
//! loopback by threads of its own, as a separate `serve` process would be; the whole suite
//! against the emulator served with `serve`'s default 2 s transitions (built-in world and lanes
//! world, verdicts compared with instant transitions, requests per case); and the request list
//! of assign/unassign pairs on one ENI, by the runner and, when it is installed, by Hurl; and
//! the served emulator against a bare axum server (signed reads and Assign/Unassign pairs).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::exit::ErrorKind;
use crate::fuzzer::{self, Env, FuzzOptions, FuzzReport, TargetSpec};
use crate::profile::{LANES_WORLD, Profile};
use crate::runner::plan::runtime;
use crate::runner::{self, SuiteOptions, SuiteReport};
use crate::snapshot::SnapshotMode;
use crate::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};

/// What the measurements say as they go: a figure (the command prints it on stdout) or a
/// problem with the run that makes its figures worthless (stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Said {
    /// A measured figure, one line.
    Figure(String),
    /// Why a figure is not of a clean, passing run, or could not be taken.
    Problem(String),
}

/// Tells `say` a figure, formatted.
macro_rules! figure {
    ($say:expr, $($arg:tt)*) => {
        $say(Said::Figure(format!($($arg)*)))
    };
}

/// Tells `say` a problem, formatted.
macro_rules! problem {
    ($say:expr, $($arg:tt)*) => {
        $say(Said::Problem(format!($($arg)*)))
    };
}

/// The options of `eni-harness bench`, as values.
#[derive(Debug, Clone)]
pub(crate) struct BenchOptions {
    /// Case files or folders.
    pub paths: Vec<PathBuf>,
    /// Runs of the suite per target; the median is reported.
    pub runs: usize,
    /// Cases at once against the served emulator.
    pub jobs: usize,
    /// How long the fuzzer runs against each target (`0s`: not measured).
    pub fuzz_time: Duration,
    /// How long the fuzzer runs against the built-in world served with its default 2 s
    /// transitions, as `eni-harness serve` runs it (`0s`: not measured); each planted defect
    /// gets as long again to be reported.
    pub transitions_time: Duration,
    /// The transition time of the served emulator for the whole-suite figures (as `serve`'s
    /// default); `0s`: not measured.
    pub transitions: Duration,
    /// Assign/unassign pairs on one ENI in the request-list figure (`0`: not measured).
    pub pairs: usize,
    /// Paired rounds of the served emulator against a bare axum server (`0`: not measured).
    pub axum_rounds: usize,
}

/// Takes every figure `options` asks for, telling each to `say` as it is measured, problems
/// included; [`ErrorKind::Failed`] when a figure is not of a clean, passing run,
/// [`ErrorKind::Usage`] when one could not be taken.
pub(crate) fn measure(options: &BenchOptions, say: &mut dyn FnMut(Said)) -> Result<(), ErrorKind> {
    let cases = match runner::load_cases(&options.paths) {
        Ok(cases) => cases,
        Err(error) => {
            problem!(say, "{error}");
            return Err(ErrorKind::Usage);
        }
    };
    let profile = Arc::new(Profile::embedded());
    let runs = options.runs.max(1);
    let runtime = runtime();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);

    let embedded: Arc<dyn Target> = Arc::new(EmbeddedTarget::new(&profile));
    let mut reports = Vec::new();
    for _ in 0..runs {
        let report = runtime.block_on(suite(&cases, &embedded, &profile, cores));
        reports.push(report);
    }
    let (walls, failed) = summarize(&reports);
    figure!(
        say,
        "embedded: {} cases, {} requests per run; wall per run median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs, {cores} jobs)",
        cases.len(),
        reports[0].requests(),
        ms(walls[walls.len() / 2]),
        ms(walls[0]),
        ms(walls[walls.len() - 1]),
    );

    let served = runtime.block_on(async {
        let mut config = eni_emulator::Config::new(eni_emulator::World::builtin());
        // Attaching, Detaching and Deleting complete at once, so polls measure requests rather
        // than the emulated delay (the embedded target skips it on its virtual clock anyway).
        config.timings.set_transitions(Duration::ZERO);
        let server = eni_emulator::spawn(config).await?;
        let target: Arc<dyn Target> = Arc::new(
            HttpTarget::new(HttpTargetOptions::local_emulator(server.url(), &profile))
                .map_err(std::io::Error::other)?,
        );
        // Declared waits are real sleeps against a served endpoint: they measure the clock,
        // not the runner, so cases with `wait` steps are left out of this figure.
        let without_waits: Vec<runner::LoadedCase> = cases
            .iter()
            .filter(|loaded| !has_wait(&loaded.case))
            .cloned()
            .collect();
        let mut reports = Vec::new();
        for _ in 0..runs {
            reports.push(suite(&without_waits, &target, &profile, options.jobs).await);
        }
        let _ = server.stop().await;
        Ok::<_, std::io::Error>(reports)
    });
    let served = match served {
        Ok(reports) => reports,
        Err(error) => {
            problem!(say, "error: cannot serve the emulator on loopback: {error}");
            return Err(ErrorKind::Usage);
        }
    };
    let rates: Vec<f64> = {
        let mut rates: Vec<f64> = served
            .iter()
            .map(|r| r.requests() as f64 / r.wall.as_secs_f64())
            .collect();
        rates.sort_by(f64::total_cmp);
        rates
    };
    let (_, served_failed) = summarize(&served);
    figure!(
        say,
        "served on loopback: {} cases without `wait` steps, {} requests per run; median {:.0} requests/s (min {:.0}, max {:.0}; {runs} runs, --jobs {})",
        served[0].outcomes.len(),
        served[0].requests(),
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1],
        options.jobs,
    );
    if failed + served_failed > 0 {
        problem!(
            say,
            "error: {} case runs failed; the figures above are not of a passing suite",
            failed + served_failed
        );
        return Err(ErrorKind::Failed);
    }
    if !options.transitions.is_zero() {
        let worlds = [
            (
                "built-in world, one lane",
                eni_emulator::World::builtin(),
                Profile::embedded(),
            ),
            (
                "lanes world and profile",
                match eni_emulator::World::from_yaml(LANES_WORLD, "worlds/lanes.yaml") {
                    Ok(world) => world,
                    Err(error) => {
                        problem!(say, "error: the lanes world: {error}");
                        return Err(ErrorKind::Usage);
                    }
                },
                Profile::lanes(),
            ),
        ];
        for (label, world, profile) in worlds {
            let profile = Arc::new(profile);
            let measured = runtime.block_on(suite_with_transitions(
                &cases,
                world,
                &profile,
                options.transitions,
                options.jobs,
            ));
            match measured {
                Ok(text) => figure!(say, "{label}: {text}"),
                Err(error) => {
                    problem!(say, "error: {label}: {error}");
                    return Err(ErrorKind::Failed);
                }
            }
        }
    }
    if options.pairs > 0 {
        match runtime.block_on(request_list(options.pairs, &profile, runs)) {
            Ok(text) => figure!(say, "{text}"),
            Err(error) => {
                problem!(say, "error: the request list: {error}");
                return Err(ErrorKind::Failed);
            }
        }
    }
    if options.axum_rounds > 0 {
        let settings = eni_emulator::versus_axum::Settings {
            rounds: options.axum_rounds,
            ..eni_emulator::versus_axum::Settings::default()
        };
        match eni_emulator::versus_axum::compare(&settings) {
            Ok(comparisons) => {
                for comparison in comparisons {
                    figure!(say, "versus axum, {}", comparison.summary());
                }
            }
            Err(error) => {
                problem!(
                    say,
                    "error: the emulator against a bare axum server: {error}"
                );
                return Err(ErrorKind::Failed);
            }
        }
    }
    if options.fuzz_time.is_zero() {
        return Ok(());
    }
    let fuzz_runs = [
        (
            "fuzzer, embedded",
            runtime.block_on(fuzz_embedded(options.fuzz_time, cores)),
        ),
        (
            "fuzzer, served on loopback",
            fuzz_served(&runtime, options.fuzz_time),
        ),
    ];
    let mut fuzz_failed = false;
    for (label, report) in fuzz_runs {
        match report {
            Ok(report) => {
                figure!(
                    say,
                    "{label}: {:.0} requests/s to the target ({} requests, {} sequences, {} at once, {:.1} s; {} to the reference)",
                    report.requests_per_second(),
                    report.requests,
                    report.sequences,
                    report.streams,
                    report.fuzzing.as_secs_f64(),
                    report.reference_requests,
                );
                if !report.findings.is_empty() || report.is_vacuous() {
                    problem!(
                        say,
                        "error: the figure above is not of a clean run:\n{}",
                        report.summary()
                    );
                    fuzz_failed = true;
                }
            }
            Err(error) => {
                problem!(say, "error: {label}: {error}");
                return Err(ErrorKind::Usage);
            }
        }
    }
    if !options.transitions_time.is_zero() {
        match fuzz_with_transitions(&runtime, options.transitions_time, say) {
            Ok(clean) => fuzz_failed |= !clean,
            Err(error) => {
                problem!(say, "error: fuzzer against the default serve: {error}");
                return Err(ErrorKind::Usage);
            }
        }
    }
    match runtime.block_on(planted(cores)) {
        Ok(Some(found)) => figure!(
            say,
            "fuzzer, planted {PLANTED_NAME}: found at sequence {} after {:.2} s, shrunk {} → {} steps and proven as a case (fails on the defect, passes clean) in {:.2} s",
            found.sequence,
            found.found_after.as_secs_f64(),
            found.original_steps,
            found.steps,
            found.shrinking.as_secs_f64(),
        ),
        Ok(None) => {
            problem!(
                say,
                "error: the fuzzer did not find the planted {PLANTED_NAME} bug"
            );
            fuzz_failed = true;
        }
        Err(error) => {
            problem!(say, "error: planted bug: {error}");
            return Err(ErrorKind::Usage);
        }
    }
    if fuzz_failed {
        Err(ErrorKind::Failed)
    } else {
        Ok(())
    }
}

const PLANTED: eni_emulator::Defect = eni_emulator::Defect::DuplicateAcrossEnis;
const PLANTED_NAME: &str = "duplicate-across-enis";

/// The time to find, shrink and prove as a case a planted allocation bug (an address handed out
/// twice) with the fuzzer against the embedded emulator: its first allocation finding.
async fn planted(jobs: usize) -> Result<Option<fuzzer::FoundCase>, String> {
    let profile = Arc::new(Profile::embedded());
    let configure: fuzzer::Configure = Arc::new(|config| config.defects = vec![PLANTED]);
    let spec = TargetSpec::Embedded {
        configure,
        label: format!("embedded ({PLANTED_NAME})"),
    };
    let env = Env::new(Arc::clone(&profile), spec, Duration::ZERO)?;
    let verify = fuzzer::Verify {
        clean: Arc::new(EmbeddedTarget::new(&profile)),
        failing: Arc::new(EmbeddedTarget::new(&profile).with_defects(vec![PLANTED])),
        profile,
    };
    let options = FuzzOptions {
        runs: Some(500),
        verify: Some(verify),
        ..fuzz_options(Duration::from_secs(30), jobs)
    };
    let report = fuzzer::fuzz(Arc::new(env), options).await;
    let found = report
        .findings
        .iter()
        .filter(|found| found.kind.is_double_allocation() && found.verified == Some(Ok(())))
        .min_by_key(|found| found.found_after)
        .cloned();
    Ok(found)
}

fn fuzz_options(time: Duration, jobs: usize) -> FuzzOptions {
    FuzzOptions {
        time: Some(time),
        jobs,
        ..FuzzOptions::default()
    }
}

async fn fuzz_embedded(time: Duration, jobs: usize) -> Result<FuzzReport, String> {
    let configure: fuzzer::Configure = Arc::new(|_| {});
    let spec = TargetSpec::Embedded {
        configure,
        label: "embedded".into(),
    };
    let env = Env::new(Arc::new(Profile::embedded()), spec, Duration::ZERO)?;
    Ok(fuzzer::fuzz(Arc::new(env), fuzz_options(time, jobs)).await)
}

/// The fuzzer against the lanes world served on loopback, one sequence stream per lane. The
/// server runs on a runtime and threads of its own, so that the figure is that of a client and
/// a server apart, as with `eni-harness serve`.
fn fuzz_served(client: &tokio::runtime::Runtime, time: Duration) -> Result<FuzzReport, String> {
    let world = eni_emulator::World::from_yaml(LANES_WORLD, "worlds/lanes.yaml")
        .map_err(|error| error.to_string())?;
    let mut config = eni_emulator::Config::new(world);
    config.timings.set_transitions(Duration::ZERO);
    let served = serve_apart(config)?;
    let profile = Arc::new(Profile::lanes());
    let target = HttpTarget::new(HttpTargetOptions::local_emulator(&served.url, &profile))
        .map_err(|error| error.to_string())?;
    let spec = TargetSpec::Http {
        target: Arc::new(target),
        signing: profile.signing,
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::ZERO)?);
    let lanes = env.lanes().len();
    let report = client.block_on(fuzzer::fuzz(env, fuzz_options(time, lanes)));
    served.stop()?;
    Ok(report)
}

/// The fuzzer against the built-in world (one lane) served with the emulator's default timings
/// (Attaching, Detaching, Deleting take 2 s), as plain `eni-harness serve` runs: its rate over
/// `time`, then how soon each planted defect is reported (the first finding, `--fail-fast`,
/// within `time`). Prints the figures; whether the clean run was clean and both were reported.
fn fuzz_with_transitions(
    client: &tokio::runtime::Runtime,
    time: Duration,
    say: &mut dyn FnMut(Said),
) -> Result<bool, String> {
    let profile = Arc::new(Profile::embedded());
    let run = |defects: Vec<eni_emulator::Defect>, fail_fast: bool| {
        let mut config = eni_emulator::Config::new(eni_emulator::World::builtin());
        config.defects = defects;
        let served = serve_apart(config)?;
        let target = HttpTarget::new(HttpTargetOptions::local_emulator(
            served.url.clone(),
            &profile,
        ))
        .map_err(|error| error.to_string())?;
        let spec = TargetSpec::Http {
            target: Arc::new(target),
            signing: profile.signing,
        };
        let transition = fuzzer::exec::default_transition();
        let env = Arc::new(Env::new(Arc::clone(&profile), spec, transition)?);
        let options = FuzzOptions {
            fail_fast,
            ..fuzz_options(time, 1)
        };
        let report = client.block_on(fuzzer::fuzz(env, options));
        served.stop()?;
        Ok::<_, String>(report)
    };
    let report = run(Vec::new(), false)?;
    figure!(
        say,
        "fuzzer, default serve (2 s transitions, one lane): {:.0} requests/s to the target ({} requests, {} sequences, {:.1} s; {} of the steps worked on other ENIs while a transition was under way)",
        report.requests_per_second(),
        report.requests,
        report.sequences,
        report.fuzzing.as_secs_f64(),
        report.fillers,
    );
    let mut clean = true;
    if !report.findings.is_empty() || report.is_vacuous() {
        problem!(
            say,
            "error: the figure above is not of a clean run:\n{}",
            report.summary()
        );
        clean = false;
    }
    for defect in [
        eni_emulator::Defect::SeedSpaceKey500,
        eni_emulator::Defect::DuplicateAcrossEnis,
    ] {
        let report = run(vec![defect], true)?;
        match report.findings.iter().min_by_key(|found| found.found_after) {
            Some(found) => figure!(
                say,
                "fuzzer, default serve, planted {defect}: reported after {:.2} s (sequence {}, {}), shrunk {} → {} steps{}",
                found.found_after.as_secs_f64(),
                found.sequence,
                found.kind,
                found.original_steps,
                found.steps,
                if found.unfinished.is_some() {
                    " (shrink unfinished)"
                } else {
                    ""
                },
            ),
            None => {
                problem!(
                    say,
                    "error: the fuzzer did not report the planted {defect} within {:.0} s",
                    time.as_secs_f64()
                );
                clean = false;
            }
        }
    }
    Ok(clean)
}

/// An emulator served on a loopback port by a runtime and threads of its own.
struct ServedApart {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl ServedApart {
    fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        match self.thread.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(format!("the served emulator failed: {error}")),
            Err(_) => Err("the served emulator panicked".into()),
        }
    }
}

fn serve_apart(config: eni_emulator::Config) -> Result<ServedApart, String> {
    let emulator = eni_emulator::Emulator::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .map_err(|error| format!("cannot listen on loopback: {error}"))?;
    let addr = listener.local_addr().map_err(|error| error.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || -> std::io::Result<()> {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            eni_emulator::serve(listener, emulator, async {
                let _ = stopped.await;
            })
            .await
        })
    });
    Ok(ServedApart {
        url: format!("http://{addr}/"),
        stop,
        thread,
    })
}

async fn suite(
    cases: &[runner::LoadedCase],
    target: &Arc<dyn Target>,
    profile: &Arc<Profile>,
    jobs: usize,
) -> SuiteReport {
    // Each run needs its own `${unique}` values: a served emulator remembers client tokens
    // and nonces across runs.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let options = SuiteOptions {
        jobs,
        snapshots: SnapshotMode::Off,
        repro_url: String::new(),
        run_token: format!("bench{run}"),
    };
    runner::run_suite(
        cases.to_vec(),
        Arc::clone(target),
        Arc::clone(profile),
        options,
        |_| {},
    )
    .await
}

fn has_wait(case: &eni_spec::Case) -> bool {
    let steps = case.setup.iter().chain(&case.steps).chain(&case.teardown);
    steps
        .into_iter()
        .any(|step| matches!(step, eni_spec::Step::Wait { .. }))
}

/// Sorted wall times and the number of failed case runs.
fn summarize(reports: &[SuiteReport]) -> (Vec<Duration>, usize) {
    let mut walls: Vec<Duration> = reports.iter().map(|report| report.wall).collect();
    walls.sort();
    (walls, reports.iter().map(SuiteReport::failed).sum())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The emulator served on a loopback port from `world`, its transitions taking `transitions`.
struct Served {
    server: eni_emulator::Spawned,
}

impl Served {
    async fn start(
        world: eni_emulator::World,
        transitions: Duration,
        relaxed: bool,
    ) -> std::io::Result<Served> {
        let mut config = eni_emulator::Config::new(world);
        config.timings.set_transitions(transitions);
        if relaxed {
            config.signing = eni_emulator::SigningMode::Relaxed;
        }
        let server = eni_emulator::spawn(config).await?;
        Ok(Served { server })
    }

    fn target(&self, profile: &Profile) -> std::io::Result<Arc<dyn Target>> {
        let target = HttpTarget::new(HttpTargetOptions::local_emulator(
            self.server.url(),
            profile,
        ))
        .map_err(std::io::Error::other)?;
        Ok(Arc::new(target))
    }

    async fn stop(self) {
        let _ = self.server.stop().await;
    }
}

/// The whole suite against a served emulator whose transitions take `transitions`, once, and
/// again against one whose transitions end at once: the wall time, the requests per case, and
/// whether every case has the same verdict both ways (the figure stands only if so).
async fn suite_with_transitions(
    cases: &[runner::LoadedCase],
    world: eni_emulator::World,
    profile: &Arc<Profile>,
    transitions: Duration,
    jobs: usize,
) -> Result<String, String> {
    let mut reports = Vec::new();
    for delay in [Duration::ZERO, transitions] {
        let served = Served::start(world.clone(), delay, false)
            .await
            .map_err(|error| format!("cannot serve the emulator on loopback: {error}"))?;
        let target = served.target(profile).map_err(|error| error.to_string())?;
        reports.push(suite(cases, &target, profile, jobs).await);
        served.stop().await;
    }
    let (instant, timed) = (&reports[0], &reports[1]);
    let verdicts = |report: &SuiteReport| -> Vec<(String, &'static str)> {
        report
            .outcomes
            .iter()
            .map(|outcome| (outcome.id.clone(), outcome.verdict.name()))
            .collect()
    };
    let differing: Vec<String> = verdicts(instant)
        .into_iter()
        .zip(verdicts(timed))
        .filter(|(a, b)| a != b)
        .map(|((id, a), (_, b))| {
            format!("{id}: {a} with instant transitions, {b} with {transitions:?}")
        })
        .collect();
    let run = timed
        .outcomes
        .iter()
        .filter(|outcome| !matches!(outcome.verdict, runner::Verdict::Skip(_)))
        .count()
        .max(1);
    let text = format!(
        "suite against the emulator served with {transitions:?} transitions: {} cases ({} passed, {} failed, {} skipped), wall {:.1} s, {} requests ({:.1} per case run) and {} more waiting for Deleting ENIs; with instant transitions {:.2} s, {} requests; verdicts {}",
        timed.outcomes.len(),
        timed.passed(),
        timed.failed(),
        timed.skipped(),
        timed.wall.as_secs_f64(),
        timed.requests(),
        timed.requests() as f64 / run as f64,
        timed.runner_requests,
        instant.wall.as_secs_f64(),
        instant.requests(),
        if differing.is_empty() {
            "the same both ways".to_string()
        } else {
            format!("differ: {}", differing.join("; "))
        },
    );
    if !differing.is_empty() || timed.failed() + instant.failed() > 0 {
        return Err(text);
    }
    Ok(text)
}

/// The request list: an ENI created, `pairs` assigns and unassigns of one address on it, the
/// ENI deleted (`2 × pairs + 2` requests), as a case the runner runs with every check on,
/// against the emulator served with `serve`'s default transitions (2 s). The same list is
/// written as a Hurl file and, when `hurl` is on the PATH, run against the same server (which
/// accepts unsigned requests too, since a Hurl file cannot sign requests that name an ENI id
/// it captures).
async fn request_list(pairs: usize, profile: &Arc<Profile>, runs: usize) -> Result<String, String> {
    let case_text = pairs_case(pairs);
    let case = eni_spec::parse_case(&case_text, "bench/assign-unassign-pairs.yaml")
        .map_err(|errors| format!("the generated case does not parse: {errors:?}"))?;
    let loaded = runner::LoadedCase {
        path: PathBuf::from("bench/assign-unassign-pairs.yaml"),
        case,
    };
    let default_delay = eni_emulator::Timings::default().delete;
    let served = Served::start(eni_emulator::World::builtin(), default_delay, true)
        .await
        .map_err(|error| format!("cannot serve the emulator on loopback: {error}"))?;
    let target = served.target(profile).map_err(|error| error.to_string())?;
    let stem = std::env::temp_dir().join(format!("eni-harness-bench-{}", std::process::id()));
    let hurl_file = stem.with_extension("hurl");
    // The same list as a case file, run by this executable as a command too (`eni-harness run
    // FILE --target URL`, start-up and case loading included, as Hurl's figure includes its own).
    let case_file = stem.with_extension("yaml");
    let case_written = std::fs::write(&case_file, &case_text);
    let hurl_written = std::fs::write(&hurl_file, pairs_hurl(pairs, profile));
    let command = std::env::current_exe()
        .ok()
        .filter(|_| case_written.is_ok());
    // The machine is shared: each round measures the three one after the other, so that each
    // ratio compares runs that met the same load. Runs after the first find the ENIs of
    // earlier ones Deleting: the list picks its address free and does not wait for them.
    let mut walls = Vec::new();
    let mut command_walls = Vec::new();
    let mut hurl_walls = Vec::new();
    let mut hurl_error = None;
    let mut command_error = None;
    let mut report = None;
    for _ in 0..runs {
        let run = suite(std::slice::from_ref(&loaded), &target, profile, 1).await;
        if run.outcomes[0].verdict != runner::Verdict::Pass {
            served.stop().await;
            return Err(format!(
                "the case did not pass: {}",
                crate::report::console::failure_details(&run, None)
            ));
        }
        walls.push(run.wall);
        report = Some(run);
        if hurl_written.is_ok() && hurl_error.is_none() {
            let mut hurl = std::process::Command::new("hurl");
            hurl.arg("--test")
                .arg("--variable")
                .arg(format!("url={}", served.server.url()))
                .arg(&hurl_file);
            match timed_command(hurl).await {
                Ok(wall) => hurl_walls.push(wall),
                Err(error) => hurl_error = Some(error),
            }
        }
        if let Some(exe) = command.as_ref().filter(|_| command_error.is_none()) {
            let mut run = std::process::Command::new(exe);
            run.arg("run")
                .arg(&case_file)
                .arg("--target")
                .arg(served.server.url())
                .arg("--snapshots")
                .arg("off");
            match timed_command(run).await {
                Ok(wall) => command_walls.push(wall),
                Err(error) => command_error = Some(error),
            }
        }
    }
    let Some(report) = report else {
        served.stop().await;
        return Err("no run".into());
    };
    let sent = 2 * pairs + 2;
    let (median, low, high) = spread(&walls);
    let mut text = format!(
        "request list ({sent} requests: create, {pairs} assign/unassign pairs on one ENI, delete; all checks on) against the emulator served with {default_delay:?} transitions: runner {median:.3} s wall median of {runs} (min {low:.3}, max {high:.3}), {} requests in all ({:.2} per listed request)",
        report.requests() + report.runner_requests,
        (report.requests() + report.runner_requests) as f64 / sent as f64,
    );
    if !command_walls.is_empty() {
        let (median, low, high) = spread(&command_walls);
        text.push_str(&format!(
            "; `eni-harness run FILE --target URL` as a command {median:.3} s (min {low:.3}, max {high:.3})"
        ));
    }
    match (&case_written, &command_error) {
        (Ok(()), None) => text.push_str(&format!("; the case is {}", case_file.display())),
        (Ok(()), Some(error)) => text.push_str(&format!(
            "; the case is {} (as a command it failed: {error})",
            case_file.display()
        )),
        (Err(error), _) => text.push_str(&format!("; the case file could not be written: {error}")),
    }
    match (&hurl_written, &hurl_error) {
        (Err(error), _) => text.push_str(&format!("; the Hurl file could not be written: {error}")),
        (Ok(()), Some(CommandError::Failed(error))) if hurl_walls.is_empty() => text.push_str(
            &format!("; Hurl failed on {}: {error}", hurl_file.display()),
        ),
        (Ok(()), Some(error)) if hurl_walls.is_empty() => text.push_str(&format!(
            "; Hurl {error}: install it (`cargo install hurl --locked`; its libxml bindings need libclang and libxml2 headers) and rerun, or run `hurl --test --variable url=URL {}` against `eni-harness serve --relaxed-signing`",
            hurl_file.display()
        )),
        (Ok(()), _) => {
            let (hurl, hurl_low, hurl_high) = spread(&hurl_walls);
            let ratios: Vec<Duration> = hurl_walls
                .iter()
                .zip(&walls)
                .map(|(hurl, runner)| Duration::from_secs_f64(hurl.as_secs_f64() / runner.as_secs_f64()))
                .collect();
            let (ratio, ratio_low, ratio_high) = spread(&ratios);
            text.push_str(&format!(
                "; Hurl {hurl:.3} s wall median of {} (min {hurl_low:.3}, max {hurl_high:.3}; {sent} requests, the same server, each round after the runner's): the runner at {ratio:.2}× Hurl's speed (median of the rounds' ratios, {ratio_low:.2}–{ratio_high:.2})",
                hurl_walls.len()
            ));
            if command_walls.len() == hurl_walls.len() {
                let ratios: Vec<Duration> = hurl_walls
                    .iter()
                    .zip(&command_walls)
                    .map(|(hurl, run)| Duration::from_secs_f64(hurl.as_secs_f64() / run.as_secs_f64()))
                    .collect();
                let (ratio, ratio_low, ratio_high) = spread(&ratios);
                text.push_str(&format!(
                    ", as a command {ratio:.2}× ({ratio_low:.2}–{ratio_high:.2})"
                ));
            }
            if let Some(error) = hurl_error {
                text.push_str(&format!("; a later Hurl run failed: {error}"));
            }
        }
    }
    served.stop().await;
    Ok(text)
}

/// The median, least and greatest of some measurements (in seconds; ratios ride in the same
/// type).
fn spread(values: &[Duration]) -> (f64, f64, f64) {
    let mut sorted: Vec<f64> = values.iter().map(Duration::as_secs_f64).collect();
    sorted.sort_by(f64::total_cmp);
    match (sorted.first(), sorted.last()) {
        (Some(&low), Some(&high)) => (sorted[sorted.len() / 2], low, high),
        _ => (0.0, 0.0, 0.0),
    }
}

/// Runs a command to its end, off the runtime's threads (the server answers on them
/// meanwhile), and returns its wall time; its output is dropped, its errors kept short.
async fn timed_command(mut command: std::process::Command) -> Result<Duration, CommandError> {
    let ran = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let output = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output();
        (started.elapsed(), output)
    })
    .await
    .map_err(|error| CommandError::NotRun(error.to_string()))?;
    match ran {
        (wall, Ok(output)) if output.status.success() => Ok(wall),
        (_, Ok(output)) => Err(CommandError::Failed(format!(
            "{}: {}",
            output.status,
            crate::escape::terminal_lines(&crate::escape::cut(
                &String::from_utf8_lossy(&output.stderr),
                2048
            ))
        ))),
        (_, Err(error)) => Err(CommandError::NotRun(error.to_string())),
    }
}

/// Why a measured command gave no figure.
enum CommandError {
    /// It could not be started (not installed, not on the PATH).
    NotRun(String),
    /// It ran and failed: its exit status and the start of its error output.
    Failed(String),
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::NotRun(error) => write!(f, "not run: {error}"),
            CommandError::Failed(error) => write!(f, "failed with {error}"),
        }
    }
}

/// The request list as a case: the address picked free at run time, every check on.
fn pairs_case(pairs: usize) -> String {
    let mut text = String::from(
        "id: bench.assign-unassign-pairs\ntitle: Assign and unassign one address on one ENI, again and again\nuses: [vswitch, security_group]\nsnapshot: false\nsetup:\n  - name: create\n    action: CreateNetworkInterface\n    params: { VSwitchId: \"${vswitch.id}\", SecurityGroupId: \"${security_group.id}\" }\n    capture: { eni: NetworkInterfaceId }\nsteps:\n",
    );
    for n in 1..=pairs {
        text.push_str(&format!(
            "  - name: assign-{n}\n    action: AssignPrivateIpAddresses\n    params: {{ NetworkInterfaceId: \"${{eni}}\", PrivateIpAddress.1: \"${{vswitch.free(1)}}\" }}\n    expect: {{ assigned: [\"${{vswitch.free(1)}}\"] }}\n  - name: unassign-{n}\n    action: UnassignPrivateIpAddresses\n    params: {{ NetworkInterfaceId: \"${{eni}}\", PrivateIpAddress.1: \"${{vswitch.free(1)}}\" }}\n"
        ));
    }
    text.push_str("teardown:\n  - name: delete\n    action: DeleteNetworkInterface\n    params: { NetworkInterfaceId: \"${eni}\" }\n");
    text
}

/// The request list as a Hurl file (unsigned GETs; `{{url}}` given on the command line): the
/// created ENI's id captured, a fixed address of the built-in world's main VSwitch that no
/// fixture holds, each answer's status asserted.
fn pairs_hurl(pairs: usize, profile: &Profile) -> String {
    let (vswitch, security_group) = match (
        profile.fixtures.get("vswitch"),
        profile.fixtures.get("security_group"),
    ) {
        (Some(vswitch), Some(group)) => (vswitch.id().to_string(), group.id().to_string()),
        _ => (String::new(), String::new()),
    };
    let common = format!("Format=JSON&Version=2014-05-26&RegionId={}", profile.region);
    let address = "192.168.0.150";
    let mut text = format!(
        "GET {{{{url}}}}?Action=CreateNetworkInterface&VSwitchId={vswitch}&SecurityGroupId={security_group}&{common}\nHTTP 200\n[Captures]\neni: jsonpath \"$.NetworkInterfaceId\"\n\n"
    );
    for _ in 0..pairs {
        for action in ["AssignPrivateIpAddresses", "UnassignPrivateIpAddresses"] {
            text.push_str(&format!(
                "GET {{{{url}}}}?Action={action}&NetworkInterfaceId={{{{eni}}}}&PrivateIpAddress.1={address}&{common}\nHTTP 200\n\n"
            ));
        }
    }
    text.push_str(&format!(
        "GET {{{{url}}}}?Action=DeleteNetworkInterface&NetworkInterfaceId={{{{eni}}}}&{common}\nHTTP 200\n"
    ));
    text
}
