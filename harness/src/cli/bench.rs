//! `eni-harness bench`: the measurements of [`crate::bench`], printed as they are taken.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::parse_duration;
use crate::bench::{BenchOptions, Said, measure};
use crate::exit::CommandError;

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
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
    /// The transition time of the served emulator for the whole-suite figures (as `serve`'s
    /// default); `0s`: not measured.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    transitions: Duration,
    /// Assign/unassign pairs on one ENI in the request-list figure (`0`: not measured).
    #[arg(long, default_value_t = 500)]
    pairs: usize,
    /// Paired rounds (1.5 s each per server and load) of the served emulator against a bare
    /// axum server; `0`: not measured.
    #[arg(long, default_value_t = 9)]
    axum_rounds: usize,
}

pub(crate) fn bench(args: BenchArgs) -> Result<(), CommandError> {
    let options = BenchOptions {
        paths: args.paths,
        runs: args.runs,
        jobs: args.jobs,
        fuzz_time: args.fuzz_time,
        transitions_time: args.transitions_time,
        transitions: args.transitions,
        pairs: args.pairs,
        axum_rounds: args.axum_rounds,
    };
    // Each problem is said as the figure it spoils is taken.
    measure(&options, &mut |said| match said {
        Said::Figure(text) => println!("{text}"),
        Said::Problem(text) => eprintln!("{text}"),
    })
    .map_err(CommandError::from)
}
