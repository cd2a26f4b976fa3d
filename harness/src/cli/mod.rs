//! The command line: `run`, `list`, `cases`, `fmt`, `serve`, `init`, `bench` and the rest. Exit codes: 0 all passed, 1 a case failed,
//! 2 usage, profile or case-file errors (nothing was run).

mod bench;
mod cases;
mod cleanup;
mod flags;
mod fmt;
mod fuzz;
mod init;
mod journal;
mod list;
mod matrix;
mod progress;
mod run;
#[cfg(test)]
mod run_tests;
mod selftest;
mod serve;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

pub use crate::exit::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
pub(crate) use crate::runner::plan::runtime;

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

/// Parses a duration flag with the grammar case files use (`500ms`, `2s`, `1m`, `1.5s`; at most
/// an hour), so a value that works in a case works on the command line too.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    eni_spec::parse_duration(text)
        .map_err(|why| format!("`{text}` is not a duration like 500ms, 1.5s or 1m: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("61m").is_err());
        let refused = parse_duration("2").unwrap_err();
        assert!(
            refused.contains("`2`") && refused.contains("2s"),
            "{refused}"
        );
    }
}
