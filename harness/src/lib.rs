//! eni-harness: a conformance and fuzz harness for the Alibaba Cloud ECS API that assigns
//! secondary private IP addresses to elastic network interfaces. The library wires the case
//! language (`eni-spec`) and the reference emulator (`eni-emulator`) together: targets, the
//! runner, the checks, redaction, snapshots, reports and the CLI.
//!
//! The entry point is [`RunPlan`]: which cases, against which target, with which profile,
//! filter, shard, known failures, snapshot mode and jobs. Running it gives a [`RunOutcome`]
//! with every case's verdict and the exit code `eni-harness run` would exit with; a
//! [`RunObserver`] hears each case as it finishes. The command line only parses its arguments
//! into a plan and prints what the outcome says.
//!
//! ```
//! use std::sync::Arc;
//!
//! use eni_harness::{EXIT_OK, RunObserver, RunPlan, Unobserved};
//!
//! // The assign-by-count cases against the reference emulator, in process.
//! let plan = RunPlan {
//!     filter: Some("id:assign.by-count.*".into()),
//!     ..RunPlan::default()
//! };
//! let observer: Arc<dyn RunObserver> = Arc::new(Unobserved);
//! let outcome = plan.run(&observer);
//! assert_eq!(outcome.exit_code(), EXIT_OK, "{:?}", outcome.errors);
//! let run = outcome.finished.expect("the cases ran");
//! assert!(!run.report.outcomes.is_empty());
//! ```

// Every public item says what it is for: other crates use the library, and its docs are
// its reference (CONTRIBUTING.md, Lints).
#![warn(missing_docs)]

pub(crate) mod alternatives;
pub(crate) mod bench;
pub(crate) mod builtin;
pub mod checks;
pub(crate) mod cleanup;
pub mod cli;
pub(crate) mod contract_view;
pub mod escape;
pub mod exit;
pub mod fuzzer;
pub(crate) mod init;
pub(crate) mod journal;
pub mod profile;
pub(crate) mod redact;
pub mod report;
pub mod runner;
pub mod schemas;
pub(crate) mod selftest;
pub(crate) mod serve;
pub mod snapshot;
pub mod targets;
pub mod wire;

pub use exit::{CommandError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, ErrorKind};
pub use runner::plan::{
    FinishedRun, ReportFiles, RunObserver, RunOutcome, RunPlan, RunStart, Unobserved,
};
