//! `eni-harness run` and `eni-harness list`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, parse_duration, runtime};
use crate::checks;
use crate::profile::Profile;
use crate::report::{console, json, junit};
use crate::runner::{self, SuiteOptions, suite::filter_cases};
use crate::snapshot::SnapshotMode;
use crate::target::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};
use crate::wire::{Credentials, Format, Signing};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Case files or folders (folders are walked; `invalid/` folders are passed over).
    #[arg(default_value = "cases")]
    paths: Vec<PathBuf>,
    /// `embedded` (the reference emulator in-process) or the URL of any endpoint.
    #[arg(long, default_value = "embedded")]
    target: String,
    /// Profile file: fixtures, region, contract version. Default: the embedded emulator's.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Keep cases matching any comma-separated term: `tag:NAME`, `id:GLOB`, or text in the id.
    #[arg(long)]
    filter: Option<String>,
    /// Cases run at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Compare snapshots (check), rewrite them (update), or leave them alone (off).
    #[arg(long, value_enum, default_value_t = SnapshotMode::Check)]
    snapshots: SnapshotMode,
    /// Signature version (overrides the profile).
    #[arg(long, value_enum)]
    signing: Option<SigningArg>,
    /// Response format asked for (overrides the profile).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Per-request timeout for HTTP targets, e.g. `30s`.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    timeout: Duration,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SigningArg {
    V1,
    V3,
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Json,
    Xml,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Case files or folders.
    #[arg(default_value = "cases")]
    paths: Vec<PathBuf>,
    /// Keep cases matching the filter (as for `run`).
    #[arg(long)]
    filter: Option<String>,
    /// List the named checks instead of the cases.
    #[arg(long)]
    checks: bool,
}

pub fn run(args: RunArgs) -> u8 {
    let mut profile = match &args.profile {
        Some(path) => match Profile::load(path) {
            Ok(profile) => profile,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_USAGE;
            }
        },
        None => Profile::embedded(),
    };
    if let Some(signing) = args.signing {
        profile.signing = match signing {
            SigningArg::V1 => Signing::V1,
            SigningArg::V3 => Signing::V3,
            SigningArg::None => Signing::None,
        };
    }
    if let Some(format) = args.format {
        profile.format = match format {
            FormatArg::Json => Format::Json,
            FormatArg::Xml => Format::Xml,
        };
    }
    let mut cases = match runner::load_cases(&args.paths) {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_USAGE;
        }
    };
    if let Some(filter) = &args.filter {
        cases = filter_cases(cases, filter);
    }
    let (target, repro_url): (Arc<dyn Target>, String) = if args.target == "embedded" {
        (Arc::new(EmbeddedTarget::new(&profile)), "http://127.0.0.1:8080/".into())
    } else {
        match http_target(&args, &profile) {
            Ok(target) => (Arc::new(target), args.target.clone()),
            Err(error) => {
                eprintln!("error: {error:#}");
                return EXIT_USAGE;
            }
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let progress = (!args.no_progress && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(cases.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
                .expect("the template is valid"),
        );
        bar
    });
    println!("Running {} cases against {} (profile {}, {jobs} at once)", cases.len(), target.describe(), profile.name);
    let options = SuiteOptions { jobs, snapshots: args.snapshots, repro_url, run_token: run_token() };
    let on_done = {
        let progress = progress.clone();
        move |outcome: &runner::CaseOutcome| match &progress {
            Some(bar) => {
                bar.println(console::case_line(outcome));
                bar.inc(1);
            }
            None => println!("{}", console::case_line(outcome)),
        }
    };
    let profile = Arc::new(profile);
    let report = runtime().block_on(runner::run_suite(cases, target, profile, options, on_done));
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let profile_path = args.profile.as_ref().map(|path| path.display().to_string());
    print!("{}", console::failure_details(&report, profile_path.as_deref()));
    println!("{}", console::summary(&report));
    for (path, text) in [
        (&args.junit, args.junit.as_ref().map(|_| junit::render(&report, profile_path.as_deref()))),
        (&args.json, args.json.as_ref().map(|_| json::render(&report, profile_path.as_deref()))),
    ] {
        if let (Some(path), Some(text)) = (path, text)
            && let Err(error) = std::fs::write(path, text)
        {
            eprintln!("error: cannot write {}: {error}", path.display());
            return EXIT_USAGE;
        }
    }
    if report.failed() == 0 { EXIT_OK } else { EXIT_FAILED }
}

fn http_target(args: &RunArgs, profile: &Profile) -> anyhow::Result<HttpTarget> {
    let credentials = match (Credentials::from_env(), profile.signing) {
        (_, Signing::None) => None,
        (Ok(credentials), _) => Some(credentials),
        (Err(error), _) if is_loopback(&args.target) => {
            // A local emulator's built-in credentials are public test values.
            eprintln!("note: {error}; using the reference emulator's test credentials for a loopback target");
            Some(Credentials::new("testid", "testsecret"))
        }
        (Err(error), _) => return Err(error),
    };
    HttpTarget::new(HttpTargetOptions {
        base_url: args.target.clone(),
        region: profile.region.clone(),
        credentials,
        signing: profile.signing,
        connect_timeout: Duration::from_secs(5).min(args.timeout),
        request_timeout: args.timeout,
        max_body_bytes: 4 << 20,
    })
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    ["127.", "localhost", "[::1]"].iter().any(|prefix| rest.starts_with(prefix))
}

/// A token unique to this run, so `${unique}` values never repeat across runs on one endpoint.
fn run_token() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos());
    format!("eh{:x}{:x}", nanos & 0xffff_ffff_ffff, std::process::id() & 0xffff)
}

pub fn list(args: ListArgs) -> u8 {
    if args.checks {
        for check in checks::ALL {
            println!("{:<32} {}", check.name, check.doc);
        }
        return EXIT_OK;
    }
    let mut cases = match runner::load_cases(&args.paths) {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_USAGE;
        }
    };
    if let Some(filter) = &args.filter {
        cases = filter_cases(cases, filter);
    }
    for loaded in &cases {
        let case = &loaded.case;
        println!("{:<48} [{}] {}", case.id, case.tags.join(","), case.title);
    }
    println!("{} cases; {} checks (`eni-harness list --checks`)", cases.len(), checks::ALL.len());
    EXIT_OK
}
