//! `eni-harness run` and `eni-harness list`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, parse_duration, runtime};
use crate::builtin::{self, SuiteSource};
use crate::checks;
use crate::escape::terminal;
use crate::profile::{Profile, ProfileError};
use crate::report::{RerunOptions, RunInfo, console, json, junit, matrix};
use crate::runner::known::KnownFailures;
use crate::runner::suite::{Shard, filter_cases, shard_cases};
use crate::runner::{self, SuiteOptions};
use crate::snapshot::SnapshotMode;
use crate::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};
use crate::wire::{Credentials, Format, Signing};

/// Cases at once against a shared target when `--jobs` is not given.
const SHARED_TARGET_JOBS: usize = 8;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Case files or folders (folders are walked; `invalid/` folders are passed over). Without
    /// any: `cases/` in the current folder, else the suite built into the binary.
    paths: Vec<PathBuf>,
    /// `embedded` (the reference emulator in-process) or the URL of any endpoint.
    #[arg(long, default_value = "embedded")]
    target: String,
    /// Profile file: fixtures, region, contract version. A name without a file of that name
    /// (`lanes`, `current`) is a built-in profile. Default: the embedded emulator's.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Keep cases matching any comma-separated term: `tag:NAME`, `id:GLOB`, or text in the id.
    #[arg(long)]
    filter: Option<String>,
    /// Run shard K of N (1-based), after `--filter`: sorted by id, every Nth case from the Kth.
    /// The N shards are disjoint and together the whole suite, on any machine.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Known failures of this target (YAML: `known_failures:` entries with `case` and/or
    /// `check`, `reason`, `link`). Covered failures are XFAIL; an entry that passes fails the run.
    #[arg(long, value_name = "FILE")]
    expect_failures: Option<PathBuf>,
    /// Cases run at once (default: the number of cores; against an HTTP target at least 8).
    #[arg(long)]
    jobs: Option<usize>,
    /// Compare snapshots (check), record them (update), or leave them alone (off). A case is
    /// compared in full with the target's own recording (the profile's `snapshots:` folder;
    /// the shipped profiles name the reference emulator's `snapshots/`); without one, only its
    /// contract view is compared with the reference recording, and the rest is information.
    /// `update` records into the profile's folder, and records nothing without one.
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
    /// Write a JSON report here (`eni-harness matrix` combines several).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write this run's conformance matrix as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write this run's conformance matrix as a self-contained HTML page here.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Run a failed case again up to N times (for shared targets): a case that then passes is
    /// FLAKY, shown in every report with its failed attempts, and does not fail the run.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=10))]
    retries: u8,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    no_progress: bool,
    /// Fail the run (exit 1) when a row of the contract's Assign table is reached by no case
    /// that ran (skipped cases reach nothing), naming the rows.
    #[arg(long)]
    require_coverage: bool,
    /// Run against a variant world of the embedded emulator: every choice the contract leaves
    /// to the endpoint made otherwise, reproducibly from SEED. Embedded target only (serve a
    /// variant with `eni-harness serve --variant SEED`).
    #[arg(long, value_name = "SEED")]
    variant: Option<u64>,
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
    /// Case files or folders (default as for `run`).
    paths: Vec<PathBuf>,
    /// Keep cases matching the filter (as for `run`).
    #[arg(long)]
    filter: Option<String>,
    /// List the named checks instead of the cases.
    #[arg(long)]
    checks: bool,
}

/// The suite a command runs ([`builtin::resolve`]), or the exit code after saying why not.
fn suite_source(paths: &[PathBuf]) -> Result<SuiteSource, u8> {
    builtin::resolve(paths).map_err(|error| {
        eprintln!("error: {}", crate::escape::terminal_lines(&error));
        EXIT_USAGE
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

pub fn run(args: RunArgs) -> u8 {
    let suite = match suite_source(&args.paths) {
        Ok(suite) => suite,
        Err(code) => return code,
    };
    let mut profile = match load_profile(args.profile.as_deref(), &suite) {
        Ok(profile) => profile,
        Err(error) => {
            eprintln!("error: {error}");
            if args.profile.as_ref().is_some_and(|path| !path.exists()) {
                eprintln!(
                    "  = help: give a profile file, or a built-in profile by name: {}",
                    builtin::names_in("profiles").join(", ")
                );
            }
            return EXIT_USAGE;
        }
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
    let mut cases = match runner::load_cases(&suite.case_paths()) {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("{}", crate::escape::terminal_lines(&error.to_string()));
            return EXIT_USAGE;
        }
    };
    let known = match &args.expect_failures {
        None => None,
        Some(path) => {
            let checks = checks::ALL.iter().map(|check| check.name);
            let ids: Vec<&str> = cases.iter().map(|loaded| loaded.case.id.as_str()).collect();
            match KnownFailures::load(path)
                .and_then(|known| known.validate(ids.iter().copied(), checks).map(|()| known))
            {
                Ok(known) => Some(known),
                Err(error) => {
                    eprintln!("{}", crate::escape::terminal_lines(&error.to_string()));
                    return EXIT_USAGE;
                }
            }
        }
    };
    if let Some(filter) = &args.filter {
        cases = filter_cases(cases, filter);
    }
    if let Some(shard) = args.shard {
        cases = shard_cases(cases, shard);
    }
    // A variant is the reference emulator making other choices: its DECISIONS.md cases do not
    // apply.
    if args.variant.is_some() {
        profile.reference_emulator = false;
        // Nor are the reference's recordings the variant's own: snapshots compare by their
        // contract view.
        profile.snapshots = None;
    }
    let complete = args.filter.is_none() && args.shard.is_none();
    let (target, repro_url): (Arc<dyn Target>, String) = if args.target == "embedded" {
        (
            Arc::new(EmbeddedTarget::new(&profile).with_variant(args.variant)),
            "http://127.0.0.1:8080/".into(),
        )
    } else if let Some(seed) = args.variant {
        eprintln!(
            "error: --variant applies to the embedded target only; serve the variant with `eni-harness serve --variant {seed}` and give its URL to --target"
        );
        return EXIT_USAGE;
    } else {
        match http_target(&args, &profile) {
            Ok(target) => (
                Arc::new(target),
                crate::escape::url_without_userinfo(&args.target).into_owned(),
            ),
            Err(error) => {
                eprintln!("error: {error:#}");
                return EXIT_USAGE;
            }
        }
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    // Against a shared endpoint a case mostly waits for answers and transitions, not for a core:
    // enough at once to keep every lane busy.
    let jobs = args.jobs.unwrap_or(if target.is_shared() {
        cores.max(SHARED_TARGET_JOBS)
    } else {
        cores
    });
    let progress = (!args.no_progress && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(cases.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .expect("the template is valid"),
        );
        bar
    });
    println!("Suite: {}", terminal(&suite.describe()));
    println!(
        "Running {} cases against {} (profile {}, {jobs} at once)",
        cases.len(),
        terminal(&target.describe()),
        terminal(&profile.name)
    );
    let options = SuiteOptions {
        jobs,
        snapshots: args.snapshots,
        repro_url,
        run_token: run_token(),
    };
    let on_done = {
        let progress = progress.clone();
        let known = known.clone();
        move |outcome: &runner::CaseOutcome| {
            // The line says what the verdict will be: XFAIL for a known failure.
            let line = match &known {
                Some(known) => {
                    let mut judged = outcome.clone();
                    known.apply(std::slice::from_mut(&mut judged), false);
                    console::case_line(&judged)
                }
                None => console::case_line(outcome),
            };
            match &progress {
                Some(bar) => {
                    bar.println(line);
                    bar.inc(1);
                }
                None => println!("{line}"),
            }
        }
    };
    let contract = profile.contract.name.clone();
    let started = crate::report::now_rfc3339();
    if args.snapshots == SnapshotMode::Update && profile.snapshots.is_none() {
        eprintln!(
            "warning: profile `{}` names no `snapshots:` folder: `--snapshots update` records nothing (the reference recordings are the reference emulator's); add `snapshots: DIR` to record this target's own",
            profile.name
        );
    }
    let profile = Arc::new(profile);
    let mut report = runtime().block_on(runner::run_suite_retrying(
        cases,
        target,
        profile,
        options,
        usize::from(args.retries),
        on_done,
    ));
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let profile_path = args.profile.as_ref().map(|path| path.display().to_string());
    let rerun = RerunOptions {
        profile: profile_path.clone(),
        signing: args
            .signing
            .map(|signing| format!("{signing:?}").to_lowercase()),
        format: args
            .format
            .map(|format| format!("{format:?}").to_lowercase()),
        variant: args.variant,
        expect_failures: args
            .expect_failures
            .as_ref()
            .map(|path| path.display().to_string()),
    };
    let mut info = RunInfo {
        profile_path: profile_path.clone(),
        rerun: rerun.clone(),
        contract,
        started,
        shard: args.shard.map(|shard| shard.to_string()),
        filter: args.filter.clone(),
        known_failures: args
            .expect_failures
            .as_ref()
            .map(|path| path.display().to_string()),
        ..RunInfo::default()
    };
    if let Some(known) = &known {
        let found = known.apply(&mut report.outcomes, complete);
        info.stale_known_failures = found.stale;
        info.unverified_known_failures = found.unverified;
    }
    print!("{}", console::failure_details(&report, Some(&rerun)));
    print!(
        "{}",
        crate::escape::terminal_lines(&runner::snapshot_information(&report, 3))
    );
    print!("{}", console::known_failures(&report, &info));
    println!("{}", console::summary_with(&report, &info));
    let single_matrix = || {
        let mut single = matrix::Matrix::default();
        single.add_run(&report, &info);
        single
    };
    for (path, text) in [
        (
            &args.junit,
            args.junit
                .as_ref()
                .map(|_| junit::render(&report, Some(&rerun))),
        ),
        (
            &args.json,
            args.json.as_ref().map(|_| json::render(&report, &info)),
        ),
        (
            &args.markdown,
            args.markdown.as_ref().map(|_| single_matrix().markdown()),
        ),
        (
            &args.html,
            args.html.as_ref().map(|_| single_matrix().html()),
        ),
    ] {
        if let (Some(path), Some(text)) = (path, text)
            && let Err(error) = std::fs::write(path, text)
        {
            eprintln!("error: cannot write {}: {error}", path.display());
            return EXIT_USAGE;
        }
    }
    let mut failed = info.failed(&report);
    if args.require_coverage {
        let rows = crate::report::coverage::rows_not_reached(&single_matrix(), 0);
        if !rows.is_empty() {
            println!(
                "coverage: {} rows of the contract reached by no case that ran (--require-coverage): {}",
                rows.len(),
                rows.join("; ")
            );
            failed = true;
        }
    }
    if failed { EXIT_FAILED } else { EXIT_OK }
}

fn http_target(args: &RunArgs, profile: &Profile) -> anyhow::Result<HttpTarget> {
    http_target_for(&args.target, profile, args.timeout)
}

/// An HTTP target for a URL, credentials from the environment (test values for loopback).
pub(crate) fn http_target_for(
    url: &str,
    profile: &Profile,
    timeout: Duration,
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

pub fn list(args: ListArgs) -> u8 {
    if args.checks {
        for check in checks::ALL {
            println!("{:<32} {}", check.name, check.doc);
        }
        return EXIT_OK;
    }
    let suite = match suite_source(&args.paths) {
        Ok(suite) => suite,
        Err(code) => return code,
    };
    let mut cases = match runner::load_cases(&suite.case_paths()) {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("{}", crate::escape::terminal_lines(&error.to_string()));
            return EXIT_USAGE;
        }
    };
    if let Some(filter) = &args.filter {
        cases = filter_cases(cases, filter);
    }
    for loaded in &cases {
        let case = &loaded.case;
        // Regression cases are written from what an endpoint answered.
        println!(
            "{:<48} [{}] {}",
            terminal(&case.id),
            terminal(&case.tags.join(",")),
            terminal(&case.title)
        );
    }
    println!(
        "{} cases; {} checks (`eni-harness list --checks`)",
        cases.len(),
        checks::ALL.len()
    );
    EXIT_OK
}

#[cfg(test)]
mod variant_tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        run: RunArgs,
    }

    fn args(line: &[&str]) -> RunArgs {
        let line = std::iter::once("run").chain(line.iter().copied());
        Wrapper::try_parse_from(line).unwrap().run
    }

    #[test]
    fn a_variant_runs_embedded_and_is_refused_for_an_http_target() {
        assert_eq!(args(&["--variant", "7"]).variant, Some(7));
        assert_eq!(args(&[]).variant, None);
        assert_eq!(
            run(args(&[
                "--target",
                "http://127.0.0.1:9/",
                "--variant",
                "7",
                "--no-progress"
            ])),
            EXIT_USAGE
        );
    }
}
