//! `eni-harness selftest`: the kill matrix of [`crate::selftest`], run and printed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use eni_emulator::Defect;

use super::flags::parse_defect;
use super::{parse_duration, runtime};
use crate::exit::{CommandError, ErrorKind};
use crate::report::kill_matrix::{render, render_markdown};
use crate::runner;
use crate::selftest::{MatrixOptions, Row, kill_matrix};

#[derive(Debug, Args)]
pub(super) struct SelftestArgs {
    /// The case suite (a folder or file).
    #[arg(long, default_value = "cases")]
    cases: PathBuf,
    /// Time the fuzz detector spends per row (rows fuzz at once); `0s` turns it off.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    fuzz_time: Duration,
    /// Run every case against every defect, instead of stopping at the first group of cases
    /// that catches it: slower, but shows everything that catches each defect.
    #[arg(long)]
    full: bool,
    /// Only these defects (repeatable); default: every defect.
    #[arg(long = "defect", value_name = "NAME", value_parser = parse_defect)]
    defects: Vec<Defect>,
    /// Serve each emulator (clean, and with each defect) on a loopback port with `serve`'s
    /// default 2 s transitions and run the suite against it over HTTP, with
    /// `profiles/served.yaml`; the fuzz detector still runs in-process.
    #[arg(long)]
    over_http: bool,
    /// Also write the matrix as a Markdown table here.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

pub(super) fn selftest(args: SelftestArgs) -> Result<(), CommandError> {
    let cases = match runner::load_cases(std::slice::from_ref(&args.cases)) {
        Ok(cases) => cases,
        Err(error) => {
            return Err(CommandError::usage(crate::escape::terminal_lines(
                &error.to_string(),
            )));
        }
    };
    let defects = if args.defects.is_empty() {
        Defect::ALL.to_vec()
    } else {
        args.defects.clone()
    };
    // Over HTTP most of a case's time is waiting for the endpoint: more cases at once, as `run`
    // does against a URL.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let jobs = if args.over_http { cores.max(8) } else { cores };
    let options = MatrixOptions {
        jobs,
        fuzz_time: args.fuzz_time,
        full: args.full,
        over_http: args.over_http,
    };
    let started = Instant::now();
    let rows = runtime().block_on(kill_matrix(&cases, &defects, &options));
    // Findings quote what the emulator answered: shown as text, never as terminal controls.
    let text = render(&rows, cases.len(), started.elapsed(), args.over_http);
    print!("{}", crate::escape::terminal_lines(&text));
    if let Some(path) = &args.markdown
        && let Err(error) = std::fs::write(path, render_markdown(&rows))
    {
        return Err(CommandError::usage(format!(
            "error: cannot write {}: {error}",
            path.display()
        )));
    }
    if rows.iter().all(Row::ok) {
        Ok(())
    } else {
        Err(ErrorKind::Failed.into())
    }
}
