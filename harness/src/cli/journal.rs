//! `eni-harness journal FILE`: the summary of [`crate::journal`], printed; exit 1 if any
//! request was malformed, unsigned, badly signed or refused by authentication.

use std::path::PathBuf;

use clap::Args;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::escape::terminal;
use crate::journal::{parse, summarize};
use crate::report::journal::{render, write_json};

#[derive(Debug, Args)]
pub(crate) struct JournalArgs {
    /// The journal file (`serve --journal FILE`), one JSON line per request.
    file: PathBuf,
    /// How many example request numbers to show per problem.
    #[arg(long, default_value_t = 3)]
    examples: usize,
    /// Also write the summary as JSON to this file (for tools, e.g. the client-compatibility
    /// table).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

pub(crate) fn journal(args: JournalArgs) -> u8 {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!(
                "error: cannot read the journal {}: {error}",
                args.file.display()
            );
            return EXIT_USAGE;
        }
    };
    let entries = match parse(&text) {
        Ok(entries) => entries,
        Err(errors) => {
            for error in errors {
                eprintln!(
                    "error: {}: {}",
                    args.file.display(),
                    terminal(&error.to_string())
                );
            }
            return EXIT_USAGE;
        }
    };
    let summary = summarize(&entries, args.examples.max(1));
    let text = render(&summary, &args.file.display().to_string());
    print!("{}", crate::escape::terminal_lines(&text));
    if let Some(path) = &args.json
        && let Err(error) = write_json(&summary, path)
    {
        eprintln!("error: cannot write {}: {error}", path.display());
        return EXIT_USAGE;
    }
    if summary.failing() == 0 {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}
