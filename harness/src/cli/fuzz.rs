//! `eni-harness fuzz`: seeded sequence fuzzing against a target, beside a clean reference
//! emulator; each new kind of finding is printed when it is found, then shrunk and written as a
//! regression case. Exit codes: 0 no findings, 1 findings (or a vacuous run), 2 usage. The
//! campaign is set up by [`crate::fuzzer::setup`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::{parse_duration, runtime};
use crate::exit::{CommandError, ErrorKind};
use crate::fuzzer::setup::{CampaignPlan, prepare};
use crate::fuzzer::{self, FuzzEvent};

#[derive(Debug, Args)]
pub(crate) struct FuzzArgs {
    /// `embedded` (a fresh in-process emulator per sequence) or the URL of an endpoint.
    #[arg(long, default_value = "embedded")]
    target: String,
    /// Profile (YAML): fixtures, contract version. Default: the embedded emulator's.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Seed of the sequences: the same seed gives the same sequences.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The run's hard bound, shrinking and proving included: nothing is sent after it, and the
    /// run ends within one request timeout of it (default 60s unless --runs is given).
    #[arg(long, value_parser = parse_duration)]
    time: Option<Duration>,
    /// The most one finding's shrinking may take, within what is left of --time; an unfinished
    /// shrink still writes the smallest case found so far.
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    shrink_time: Duration,
    /// Stop at the first finding, once it is shrunk, written and proven.
    #[arg(long)]
    fail_fast: bool,
    /// Stop after this many sequences.
    #[arg(long)]
    runs: Option<u64>,
    /// Sequences at once. Default: one per core against the embedded target; against an HTTP
    /// target one per lane of the profile's fixtures (lanes share no VSwitch or instance).
    #[arg(long)]
    jobs: Option<usize>,
    /// Fire assigns, unassigns and creates at once at the smallest VSwitch (of each lane)
    /// instead.
    #[arg(long)]
    concurrency: bool,
    /// Where regression cases are written.
    #[arg(long, default_value = "cases/regressions")]
    out: PathBuf,
    /// Do not write case files.
    #[arg(long)]
    no_write: bool,
    /// Plant a defect in the embedded target (repeatable); `eni-harness selftest` lists them.
    #[arg(long = "defect")]
    defects: Vec<String>,
    /// Transition time (Attaching, Detaching, Deleting) an HTTP target is expected to take: how
    /// often its clean-up polls, and the least a written case waits.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    async_delay: Duration,
    /// Deadline of one request to an HTTP target.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
    /// Signature version of the requests to an HTTP target (overrides the profile).
    #[arg(long, value_parser = ["v1", "v3", "none"])]
    signing: Option<String>,
    /// Response format the sequences' requests ask for (overrides the profile); the fuzzer's
    /// own reads of the state stay JSON.
    #[arg(long, value_parser = ["json", "xml"])]
    format: Option<String>,
}

pub(crate) fn fuzz(args: FuzzArgs) -> Result<(), CommandError> {
    let plan = CampaignPlan {
        out: (!args.no_write).then_some(args.out),
        target: args.target,
        profile: args.profile,
        seed: args.seed,
        time: args.time,
        shrink_time: args.shrink_time,
        fail_fast: args.fail_fast,
        runs: args.runs,
        jobs: args.jobs,
        concurrency: args.concurrency,
        defects: args.defects,
        async_delay: args.async_delay,
        timeout: args.timeout,
        signing: args.signing,
        format: args.format,
    };
    let runtime = runtime();
    let (env, mut options) = match prepare(&plan, &runtime, &mut |line| eprintln!("{line}")) {
        Ok(prepared) => prepared,
        Err(error) => return Err(CommandError::usage(error.to_string())),
    };
    options.live = std::io::stderr().is_terminal();
    options.observer = Some(Arc::new(print_event));
    let report = runtime.block_on(fuzzer::fuzz(env, options));
    // Findings quote what the endpoint answered: shown as text, never as terminal controls.
    eprintln!("{}", crate::escape::terminal_lines(&report.summary()));
    if !report.findings.is_empty() || report.is_vacuous() {
        Err(ErrorKind::Failed.into())
    } else {
        Ok(())
    }
}

/// Prints a finding as soon as it comes up, and again once it is shrunk and written (over the
/// live status line, which the next refresh redraws).
fn print_event(event: &FuzzEvent<'_>) {
    let text = match event {
        FuzzEvent::Found {
            finding,
            sequence,
            after,
        } => format!(
            "fuzz: found {} at sequence {sequence} after {:.1} s, shrinking it: {}",
            finding.kind,
            after.as_secs_f64(),
            crate::escape::terminal(&finding.message)
        ),
        FuzzEvent::Handled(found) => format!("fuzz: finding\n{}", found.describe()),
    };
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
    eprintln!("{}", crate::escape::terminal_lines(&text));
}
