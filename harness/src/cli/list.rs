//! `eni-harness list`: the cases a run would take (or the named checks), one a line.

use std::path::PathBuf;

use clap::Args;

use crate::exit::CommandError;
use crate::report::console;
use crate::runner::plan::select_cases;

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Case files or folders (default as for `run`).
    paths: Vec<PathBuf>,
    /// Keep cases matching the filter (as for `run`).
    #[arg(long)]
    filter: Option<String>,
    /// List the named checks instead of the cases.
    #[arg(long)]
    checks: bool,
}

pub(crate) fn list(args: ListArgs) -> Result<(), CommandError> {
    if args.checks {
        print!("{}", console::check_list());
        return Ok(());
    }
    match select_cases(&args.paths, args.filter.as_deref()) {
        Ok(cases) => print!("{}", console::case_list(&cases)),
        Err(error) => {
            return Err(CommandError::usage(error.to_string()));
        }
    }
    Ok(())
}
