//! `eni-harness matrix`: combines the JSON reports of runs against several targets (and the
//! shards of each) into one conformance matrix, as Markdown and/or HTML.

use std::path::PathBuf;

use clap::Args;

use crate::exit::CommandError;
use crate::report::matrix::Matrix;

#[derive(Debug, Args)]
pub(super) struct MatrixArgs {
    /// JSON reports written by `run --json`; reports of one target and profile form one column.
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
    /// Write the matrix as Markdown here (`-` for standard output).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write the matrix as a self-contained HTML page here.
    #[arg(long)]
    html: Option<PathBuf>,
}

pub(super) fn matrix(args: MatrixArgs) -> Result<(), CommandError> {
    let mut matrix = Matrix::default();
    for path in &args.reports {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                return Err(CommandError::usage(format!(
                    "error: cannot read {}: {error}",
                    path.display()
                )));
            }
        };
        if let Err(error) = matrix.add_json(&text, &path.display().to_string()) {
            return Err(CommandError::usage(format!(
                "error: {error}\n  = help: pass the files written by `eni-harness run --json FILE`"
            )));
        }
    }
    let markdown = args
        .markdown
        .clone()
        .or_else(|| args.html.is_none().then(|| PathBuf::from("-")));
    for (path, text) in [
        (markdown, Matrix::markdown as fn(&Matrix) -> String),
        (args.html.clone(), Matrix::html),
    ] {
        let Some(path) = path else { continue };
        let text = text(&matrix);
        if path.as_os_str() == "-" {
            print!("{text}");
        } else if let Err(error) = std::fs::write(&path, text) {
            return Err(CommandError::usage(format!(
                "error: cannot write {}: {error}",
                path.display()
            )));
        } else {
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}
