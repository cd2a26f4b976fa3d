//! `eni-harness journal FILE`: the summary of [`crate::journal`], printed; exit 1 if any
//! request was malformed, unsigned, badly signed or refused by authentication.

use std::path::PathBuf;

use clap::Args;

use crate::escape::terminal;
use crate::exit::{CommandError, ErrorKind};
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

pub(crate) fn journal(args: JournalArgs) -> Result<(), CommandError> {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(error) => {
            return Err(CommandError::usage(format!(
                "error: cannot read the journal {}: {error}",
                args.file.display()
            )));
        }
    };
    let entries = match parse(&text) {
        Ok(entries) => entries,
        Err(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|error| {
                    format!(
                        "error: {}: {}",
                        args.file.display(),
                        terminal(&error.to_string())
                    )
                })
                .collect();
            return Err(CommandError::usage(lines.join("\n")));
        }
    };
    let summary = summarize(&entries, args.examples.max(1));
    let text = render(&summary, &args.file.display().to_string());
    print!("{}", crate::escape::terminal_lines(&text));
    if let Some(path) = &args.json
        && let Err(error) = write_json(&summary, path)
    {
        return Err(CommandError::usage(format!(
            "error: cannot write {}: {error}",
            path.display()
        )));
    }
    if summary.failing() == 0 {
        Ok(())
    } else {
        Err(ErrorKind::Failed.into())
    }
}
