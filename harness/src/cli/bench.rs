//! `eni-harness bench`: the speed figures of the runner and the sequence fuzzer, measured rather
//! than claimed — the whole suite against the embedded emulator (wall time per run) and against
//! the emulator served on a loopback port (requests per second with `--jobs` cases at once); the
//! fuzzer's requests per second against the embedded emulator and against the emulator served on
//! loopback by threads of its own, as a separate `serve` process would be.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, parse_duration, runtime};
use crate::fuzz::{self, Env, FuzzOptions, FuzzReport, ShrinkBudget, TargetSpec};
use crate::profile::{LANES_WORLD, Profile};
use crate::runner::{self, SuiteOptions, SuiteReport};
use crate::snapshot::SnapshotMode;
use crate::target::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Case files or folders.
    #[arg(default_value = "cases")]
    paths: Vec<PathBuf>,
    /// Runs of the suite per target; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Cases at once against the served emulator.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// How long the fuzzer runs against each target (`0s`: not measured).
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    fuzz_time: Duration,
    /// How long the fuzzer runs against the built-in world served with its default 2 s
    /// transitions, as `eni-harness serve` runs it (`0s`: not measured); each planted defect
    /// gets as long again to be reported.
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    transitions_time: Duration,
}

pub fn bench(args: BenchArgs) -> u8 {
    let cases = match runner::load_cases(&args.paths) {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_USAGE;
        }
    };
    let profile = Arc::new(Profile::embedded());
    let runs = args.runs.max(1);
    let runtime = runtime();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);

    let embedded: Arc<dyn Target> = Arc::new(EmbeddedTarget::new(&profile));
    let mut reports = Vec::new();
    for _ in 0..runs {
        let report = runtime.block_on(suite(&cases, &embedded, &profile, cores));
        reports.push(report);
    }
    let (walls, failed) = summarize(&reports);
    println!(
        "embedded: {} cases, {} requests per run; wall per run median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs, {cores} jobs)",
        cases.len(),
        reports[0].requests(),
        ms(walls[walls.len() / 2]),
        ms(walls[0]),
        ms(walls[walls.len() - 1]),
    );

    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut config = eni_emulator::Config::new(eni_emulator::World::builtin());
        // Attaching, Detaching and Deleting complete at once, so polls measure requests rather
        // than the emulated delay (the embedded target skips it on its virtual clock anyway).
        config.timings.set_transitions(Duration::ZERO);
        let emulator = eni_emulator::Emulator::new(config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(eni_emulator::serve(listener, emulator, async {
            let _ = stopped.await;
        }));
        let target: Arc<dyn Target> = Arc::new(
            HttpTarget::new(HttpTargetOptions::local_emulator(
                format!("http://{addr}/"),
                &profile,
            ))
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
            reports.push(suite(&without_waits, &target, &profile, args.jobs).await);
        }
        let _ = stop.send(());
        let _ = server.await;
        Ok::<_, std::io::Error>(reports)
    });
    let served = match served {
        Ok(reports) => reports,
        Err(error) => {
            eprintln!("error: cannot serve the emulator on loopback: {error}");
            return EXIT_USAGE;
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
    println!(
        "served on loopback: {} cases without `wait` steps, {} requests per run; median {:.0} requests/s (min {:.0}, max {:.0}; {runs} runs, --jobs {})",
        served[0].outcomes.len(),
        served[0].requests(),
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1],
        args.jobs,
    );
    if failed + served_failed > 0 {
        eprintln!(
            "error: {} case runs failed; the figures above are not of a passing suite",
            failed + served_failed
        );
        return EXIT_FAILED;
    }
    if args.fuzz_time.is_zero() {
        return EXIT_OK;
    }
    let fuzz_runs = [
        (
            "fuzzer, embedded",
            runtime.block_on(fuzz_embedded(args.fuzz_time, cores)),
        ),
        (
            "fuzzer, served on loopback",
            fuzz_served(&runtime, args.fuzz_time),
        ),
    ];
    let mut fuzz_failed = false;
    for (label, report) in fuzz_runs {
        match report {
            Ok(report) => {
                println!(
                    "{label}: {:.0} requests/s to the target ({} requests, {} sequences, {} at once, {:.1} s; {} to the reference)",
                    report.requests_per_second(),
                    report.requests,
                    report.sequences,
                    report.streams,
                    report.fuzzing.as_secs_f64(),
                    report.reference_requests,
                );
                if !report.findings.is_empty() || report.is_vacuous() {
                    eprintln!(
                        "error: the figure above is not of a clean run:\n{}",
                        report.summary()
                    );
                    fuzz_failed = true;
                }
            }
            Err(error) => {
                eprintln!("error: {label}: {error}");
                return EXIT_USAGE;
            }
        }
    }
    if !args.transitions_time.is_zero() {
        match fuzz_with_transitions(&runtime, args.transitions_time) {
            Ok(clean) => fuzz_failed |= !clean,
            Err(error) => {
                eprintln!("error: fuzzer against the default serve: {error}");
                return EXIT_USAGE;
            }
        }
    }
    match runtime.block_on(planted(cores)) {
        Ok(Some(found)) => println!(
            "fuzzer, planted {PLANTED_NAME}: found at sequence {} after {:.2} s, shrunk {} → {} steps and proven as a case (fails on the defect, passes clean) in {:.2} s",
            found.sequence,
            found.found_after.as_secs_f64(),
            found.original_steps,
            found.steps,
            found.shrinking.as_secs_f64(),
        ),
        Ok(None) => {
            eprintln!("error: the fuzzer did not find the planted {PLANTED_NAME} bug");
            fuzz_failed = true;
        }
        Err(error) => {
            eprintln!("error: planted bug: {error}");
            return EXIT_USAGE;
        }
    }
    if fuzz_failed { EXIT_FAILED } else { EXIT_OK }
}

const PLANTED: eni_emulator::Defect = eni_emulator::Defect::DuplicateAcrossEnis;
const PLANTED_NAME: &str = "duplicate-across-enis";

/// The time to find, shrink and prove as a case a planted allocation bug (an address handed out
/// twice) with the fuzzer against the embedded emulator: its first allocation finding.
async fn planted(jobs: usize) -> Result<Option<fuzz::FoundCase>, String> {
    let profile = Arc::new(Profile::embedded());
    let configure: fuzz::Configure = Arc::new(|config| config.defects = vec![PLANTED]);
    let spec = TargetSpec::Embedded {
        configure,
        label: format!("embedded ({PLANTED_NAME})"),
    };
    let env = Env::new(Arc::clone(&profile), spec, Duration::ZERO)?;
    let verify = fuzz::Verify {
        clean: Arc::new(EmbeddedTarget::new(&profile)),
        failing: Arc::new(EmbeddedTarget::new(&profile).with_defects(vec![PLANTED])),
        profile,
    };
    let options = FuzzOptions {
        runs: Some(500),
        verify: Some(verify),
        ..fuzz_options(Duration::from_secs(30), jobs)
    };
    let report = fuzz::fuzz(Arc::new(env), options).await;
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
        seed: 0,
        runs: None,
        time: Some(time),
        jobs,
        concurrency: false,
        out: None,
        shrink: ShrinkBudget::default(),
        live: false,
        verify: None,
        fail_fast: false,
        observer: None,
    }
}

async fn fuzz_embedded(time: Duration, jobs: usize) -> Result<FuzzReport, String> {
    let configure: fuzz::Configure = Arc::new(|_| {});
    let spec = TargetSpec::Embedded {
        configure,
        label: "embedded".into(),
    };
    let env = Env::new(Arc::new(Profile::embedded()), spec, Duration::ZERO)?;
    Ok(fuzz::fuzz(Arc::new(env), fuzz_options(time, jobs)).await)
}

/// The fuzzer against the lanes world served on loopback, one sequence stream per lane. The
/// server runs on a runtime and threads of its own, so that the figure is that of a client and
/// a server apart, as with `eni-harness serve`.
fn fuzz_served(client: &tokio::runtime::Runtime, time: Duration) -> Result<FuzzReport, String> {
    let world = eni_emulator::World::from_yaml(LANES_WORLD, "worlds/lanes.yaml")
        .map_err(|error| error.to_string())?;
    let mut config = eni_emulator::Config::new(world);
    config.timings.set_transitions(Duration::ZERO);
    let emulator = eni_emulator::Emulator::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .map_err(|error| format!("cannot listen on loopback: {error}"))?;
    let addr = listener.local_addr().map_err(|error| error.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        runtime().block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            eni_emulator::serve(listener, emulator, async {
                let _ = stopped.await;
            })
            .await
        })
    });
    let profile = Arc::new(Profile::lanes());
    let target = HttpTarget::new(HttpTargetOptions::local_emulator(
        format!("http://{addr}/"),
        &profile,
    ))
    .map_err(|error| error.to_string())?;
    let spec = TargetSpec::Http {
        target: Arc::new(target),
        signing: profile.signing,
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::ZERO)?);
    let lanes = env.lanes().len();
    let report = client.block_on(fuzz::fuzz(env, fuzz_options(time, lanes)));
    let _ = stop.send(());
    match server.join() {
        Ok(Ok(())) => Ok(report),
        Ok(Err(error)) => Err(format!("the served emulator failed: {error}")),
        Err(_) => Err("the served emulator panicked".into()),
    }
}

/// The fuzzer against the built-in world (one lane) served with the emulator's default timings
/// (Attaching, Detaching, Deleting take 2 s), as plain `eni-harness serve` runs: its rate over
/// `time`, then how soon each planted defect is reported (the first finding, `--fail-fast`,
/// within `time`). Prints the figures; whether the clean run was clean and both were reported.
fn fuzz_with_transitions(client: &tokio::runtime::Runtime, time: Duration) -> Result<bool, String> {
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
        let transition = fuzz::exec::default_transition();
        let env = Arc::new(Env::new(Arc::clone(&profile), spec, transition)?);
        let options = FuzzOptions {
            fail_fast,
            ..fuzz_options(time, 1)
        };
        let report = client.block_on(fuzz::fuzz(env, options));
        served.stop()?;
        Ok::<_, String>(report)
    };
    let report = run(Vec::new(), false)?;
    println!(
        "fuzzer, default serve (2 s transitions, one lane): {:.0} requests/s to the target ({} requests, {} sequences, {:.1} s; {} of the steps worked on other ENIs while a transition was under way)",
        report.requests_per_second(),
        report.requests,
        report.sequences,
        report.fuzzing.as_secs_f64(),
        report.fillers,
    );
    let mut clean = true;
    if !report.findings.is_empty() || report.is_vacuous() {
        eprintln!(
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
            Some(found) => println!(
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
                eprintln!(
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
struct Served {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl Served {
    fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        match self.thread.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(format!("the served emulator failed: {error}")),
            Err(_) => Err("the served emulator panicked".into()),
        }
    }
}

fn serve_apart(config: eni_emulator::Config) -> Result<Served, String> {
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
    Ok(Served {
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
