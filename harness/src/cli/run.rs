//! `eni-harness run` and `eni-harness list`: their arguments become a [`RunPlan`]; the plan
//! runs in the library and this prints what it says.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::parse_duration;
use super::progress::Printer;
use crate::exit::CommandError;
use crate::report::console;
use crate::runner::plan::{ReportFiles, RunObserver, RunPlan};
use crate::runner::suite::Shard;
use crate::snapshot::SnapshotMode;
use crate::wire::{Format, Signing};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
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
    /// Send each state read alone, not pipelined behind the request before (plain HTTP).
    #[arg(long)]
    no_pipelining: bool,
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
    pub(crate) variant: Option<u64>,
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

pub(crate) fn run(args: RunArgs) -> Result<(), CommandError> {
    let plan = RunPlan {
        signing: args.signing.map(|signing| match signing {
            SigningArg::V1 => Signing::V1,
            SigningArg::V3 => Signing::V3,
            SigningArg::None => Signing::None,
        }),
        format: args.format.map(|format| match format {
            FormatArg::Json => Format::Json,
            FormatArg::Xml => Format::Xml,
        }),
        reports: ReportFiles {
            junit: args.junit,
            json: args.json,
            markdown: args.markdown,
            html: args.html,
        },
        cases: args.paths,
        target: args.target,
        profile: args.profile,
        filter: args.filter,
        shard: args.shard,
        known_failures: args.expect_failures,
        snapshots: args.snapshots,
        jobs: args.jobs,
        timeout: args.timeout,
        pipelining: !args.no_pipelining,
        retries: args.retries,
        require_coverage: args.require_coverage,
        variant: args.variant,
    };
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let observer: Arc<dyn RunObserver> = Arc::new(Printer::new(progress));
    let outcome = plan.run(&observer);
    if let Some(finished) = &outcome.finished {
        print!("{}", console::run_ending(finished));
    }
    let message = outcome.errors.join("\n");
    outcome
        .failure
        .map_or(Ok(()), |kind| Err(CommandError { kind, message }))
}
