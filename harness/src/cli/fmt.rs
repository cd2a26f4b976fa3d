//! `eni-harness fmt [--check] [PATHS]`: puts case files in the canonical form of the case
//! language's writer, comments kept (`eni_spec::format_case`). `--check` writes nothing, names
//! the files that would change and exits 1, for CI. A file in a `cases/` folder starts with the
//! `yaml-language-server` line that points editors at `schemas/case.schema.json`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::escape::{terminal, terminal_lines};
use crate::exit::{CommandError, ErrorKind};
use crate::runner::suite::case_files;

#[derive(Debug, Args)]
pub(super) struct FmtArgs {
    /// Case files or folders (folders are walked; `invalid/` folders are passed over).
    #[arg(default_value = "cases")]
    paths: Vec<PathBuf>,
    /// Write nothing: name the files not in canonical form and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

/// The case file with the `yaml-language-server` line naming its schema first, when it lies in
/// a `cases/` folder with `schemas/` beside it (a checkout, or an export): editors then complete
/// and check it.
fn with_modeline(path: &Path, formatted: String) -> String {
    let mut below = Vec::new();
    let mut at = path;
    let under_cases = loop {
        let Some(name) = at.file_name() else {
            break false;
        };
        below.push(name.to_string_lossy().into_owned());
        match at.parent() {
            Some(parent) if parent.file_name().is_some_and(|name| name == "cases") => break true,
            Some(parent) => at = parent,
            None => break false,
        }
    };
    if !under_cases {
        return formatted;
    }
    below.reverse();
    let relative = format!("cases/{}", below.join("/"));
    let line = crate::schemas::modeline(&relative, "case.schema.json");
    let rest = match formatted.split_once('\n') {
        Some((first, rest)) if first.starts_with("# yaml-language-server:") => rest,
        _ => formatted.as_str(),
    };
    format!("{line}\n{rest}")
}

pub(super) fn fmt(args: FmtArgs) -> Result<(), CommandError> {
    let files = match case_files(&args.paths) {
        Ok(files) => files,
        Err(error) => {
            return Err(CommandError::usage(terminal_lines(&error.to_string())));
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
            Ok(formatted) => with_modeline(path, formatted),
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
        // Each file that could not be formatted was named above.
        Err(ErrorKind::Usage.into())
    } else if args.check && !changed.is_empty() {
        println!("run `eni-harness fmt` to put them in canonical form");
        Err(ErrorKind::Failed.into())
    } else {
        Ok(())
    }
}
