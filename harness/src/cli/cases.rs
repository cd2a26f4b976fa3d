//! `eni-harness cases export DIR`: writes the built-in suite out (case files, snapshots,
//! profiles, schemas, emulator worlds, under their repository paths) for a team that wants its
//! own copy; `eni-harness run` in that folder then runs the copy.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::builtin::{self, Overwrite};
use crate::escape::terminal;
use crate::exit::CommandError;

#[derive(Debug, Args)]
pub(super) struct CasesArgs {
    #[command(subcommand)]
    command: CasesCommand,
}

#[derive(Debug, Subcommand)]
enum CasesCommand {
    /// Write the built-in suite to DIR (created if missing): cases/, snapshots/, profiles/,
    /// schemas/ and harness/emulator/worlds/.
    Export {
        /// The folder to write to.
        dir: PathBuf,
        /// Overwrite files that exist with other content (without it nothing is written then).
        #[arg(long)]
        force: bool,
    },
}

pub(super) fn cases(args: CasesArgs) -> Result<(), CommandError> {
    match args.command {
        CasesCommand::Export { dir, force } => {
            let overwrite = if force {
                Overwrite::Always
            } else {
                Overwrite::Never
            };
            match builtin::export(&dir, overwrite) {
                Ok(written) => {
                    println!(
                        "wrote {} files to {} ({} already there unchanged); run them with `cd {} && eni-harness run`",
                        written.written,
                        terminal(&dir.display().to_string()),
                        written.unchanged,
                        terminal(&crate::report::shell_quote(&dir.display().to_string())),
                    );
                    Ok(())
                }
                Err(error) => Err(CommandError::usage(format!(
                    "error: cannot export to {}: {}",
                    terminal(&dir.display().to_string()),
                    crate::escape::terminal_lines(&error)
                ))),
            }
        }
    }
}
