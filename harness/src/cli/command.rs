//! The command line's shape, every subcommand with its arguments, and its one entry point: the
//! command run, its error printed once and turned into the exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::{bench, cases, cleanup, fmt, fuzz, init, journal, list, matrix, run, selftest, serve};
use crate::exit::{EXIT_OK, EXIT_USAGE};

#[derive(Debug, Parser)]
#[command(
    name = "eni-harness",
    version,
    about = "Conformance and fuzz harness for the ECS ENI private-IP API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run case files against a target and report a verdict.
    Run(run::RunArgs),
    /// List the cases (and the named checks) without running anything.
    List(list::ListArgs),
    /// The built-in suite: `cases export DIR` writes it out.
    Cases(cases::CasesArgs),
    /// Rewrite case files in canonical form, comments kept; `--check` names them and exits 1.
    Fmt(fmt::FmtArgs),
    /// Serve the reference emulator over HTTP until Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
    /// Discover a profile from an endpoint by reading it; write it with what is missing.
    Init(init::InitArgs),
    /// Summarise a `serve --journal` file: what a client sent wrong; exit 1 if anything.
    Journal(journal::JournalArgs),
    /// Kill matrix: run the suite against the emulator with each planted defect.
    Selftest(selftest::SelftestArgs),
    /// Combine JSON reports of runs against several targets into a conformance matrix.
    Matrix(matrix::MatrixArgs),
    /// List (and with --yes delete) ENIs that runs left behind on a shared target.
    Cleanup(cleanup::CleanupArgs),
    /// Fuzz sequences of operations against a target; shrink findings into regression cases.
    Fuzz(fuzz::FuzzArgs),
    /// Measure the runner: the suite against the embedded and the served emulator.
    Bench(bench::BenchArgs),
}

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            });
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::List(args) => list::list(args),
        Command::Cases(args) => cases::cases(args),
        Command::Fmt(args) => fmt::fmt(args),
        Command::Serve(args) => serve::serve(args),
        Command::Init(args) => init::init(args),
        Command::Journal(args) => journal::journal(args),
        Command::Selftest(args) => selftest::selftest(args),
        Command::Bench(args) => bench::bench(args),
        Command::Fuzz(args) => fuzz::fuzz(args),
        Command::Matrix(args) => matrix::matrix(args),
        Command::Cleanup(args) => cleanup::cleanup(args),
    };
    // The one place an error is printed and turned into the exit code.
    if let Err(error) = &result
        && !error.message.is_empty()
    {
        eprintln!("{error}");
    }
    ExitCode::from(crate::exit::exit_code(&result))
}
