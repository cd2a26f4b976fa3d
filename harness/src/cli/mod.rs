//! The command line: `run`, `list`, `cases`, `fmt`, `serve`, `init`, `bench` and the rest. Exit codes: 0 all passed, 1 a case failed,
//! 2 usage, profile or case-file errors (nothing was run).

mod bench;
mod cases;
mod cleanup;
mod command;
mod duration_flag;
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

pub use crate::exit::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
pub(crate) use crate::runner::plan::runtime;
pub use command::main;
pub(crate) use duration_flag::parse_duration;
