//! `eni-harness bench`: the speed figures of the runner, measured rather than claimed — the
//! whole suite against the embedded emulator (wall time per run), and against the emulator
//! served on a loopback port (requests per second with `--jobs` cases at once).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, runtime};
use crate::profile::Profile;
use crate::runner::{self, SuiteOptions, SuiteReport};
use crate::snapshot::SnapshotMode;
use crate::target::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};
use crate::wire::Credentials;

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
        config.timings.attach = Duration::ZERO;
        config.timings.detach = Duration::ZERO;
        config.timings.delete = Duration::ZERO;
        let emulator = eni_emulator::Emulator::new(config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(eni_emulator::serve(listener, emulator, async {
            let _ = stopped.await;
        }));
        let target: Arc<dyn Target> = Arc::new(
            HttpTarget::new(HttpTargetOptions {
                base_url: format!("http://{addr}/"),
                region: profile.region.clone(),
                credentials: Some(Credentials::new("testid", "testsecret")),
                signing: profile.signing,
                connect_timeout: Duration::from_secs(5),
                request_timeout: Duration::from_secs(30),
                max_body_bytes: 4 << 20,
            })
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
    EXIT_OK
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
