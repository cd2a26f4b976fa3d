//! Reports of a suite run: the console (a line per case, details of every failure with its
//! reproduction, a summary), JUnit XML for CI systems, JSON for tools, and the conformance
//! matrix (case × target) as Markdown and HTML, with the coverage view by contract area; the
//! kill matrix and the journal summary for a terminal and as Markdown; what `init` found.

pub(crate) mod cleanup;
pub mod console;
pub(crate) mod coverage;
pub(crate) mod init;
pub(crate) mod journal;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod kill_matrix;
pub(crate) mod matrix;
pub(crate) mod run_info;

pub use run_info::{RerunOptions, RunInfo, now_rfc3339, rerun_command, shell_quote};
