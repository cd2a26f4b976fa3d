//! `eni-harness fmt [--check] [PATHS]`: puts case files in the canonical form of the case
//! language's writer, comments kept (`eni_spec::format_case`). `--check` writes nothing, names
//! the files that would change and exits 1, for CI.

use std::path::PathBuf;

use clap::Args;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::escape::{terminal, terminal_lines};
use crate::runner::suite::case_files;

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Case files or folders (folders are walked; `invalid/` folders are passed over).
    #[arg(default_value = "cases")]
    paths: Vec<PathBuf>,
    /// Write nothing: name the files not in canonical form and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

pub fn fmt(args: FmtArgs) -> u8 {
    let files = match case_files(&args.paths) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("{}", terminal_lines(&error.to_string()));
            return EXIT_USAGE;
        }
    };
    let mut broken = false;
    let mut changed = Vec::new();
    for path in &files {
        let shown = terminal(&path.display().to_string()).into_owned();
        let source = match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("error: cannot read {shown}: {error}");
                broken = true;
                continue;
            }
        };
        let formatted = match eni_spec::format_case(&source, &path.display().to_string()) {
            Ok(formatted) => formatted,
            Err(eni_spec::FormatError::Invalid(errors)) => {
                for error in errors {
                    eprintln!("{}", terminal_lines(&error.render(&source)));
                }
                broken = true;
                continue;
            }
            Err(eni_spec::FormatError::Unfaithful(why)) => {
                eprintln!(
                    "error: {shown}: left as it is: {why}\n  = help: this is a bug of `eni-harness fmt`; please report it with the file"
                );
                broken = true;
                continue;
            }
        };
        if formatted == source {
            continue;
        }
        if args.check {
            println!("would reformat {shown}");
        } else if let Err(error) = std::fs::write(path, &formatted) {
            eprintln!("error: cannot write {shown}: {error}");
            broken = true;
            continue;
        } else {
            println!("reformatted {shown}");
        }
        changed.push(shown);
    }
    let verb = if args.check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    println!("{} of {} case files {verb}", changed.len(), files.len());
    if broken {
        EXIT_USAGE
    } else if args.check && !changed.is_empty() {
        println!("run `eni-harness fmt` to put them in canonical form");
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
