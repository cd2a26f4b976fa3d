//! The scenario runner: runs cases against a target, in parallel where the target allows it, and
//! turns each into an outcome with its failures, its reproduction and its snapshot verdict.

pub mod case;
pub(crate) mod discover;
pub(crate) mod known;
pub(crate) mod lanes;
pub(crate) mod outcome;
pub(crate) mod plan;
pub(crate) mod resource_name;
pub(crate) mod run_suite;
pub(crate) mod scope;
pub(crate) mod settle;
pub(crate) mod suite;

pub use case::{CaseContext, PREFIX_TAG, run_case};
pub use discover::discover_primaries;
pub use lanes::Lane;
pub use outcome::{CaseOutcome, Failure, FailureKind, Section, Verdict};
pub use plan::{RunObserver, RunOutcome, RunPlan};
pub use resource_name::{
    RESOURCE_NAME_PARAM, resource_name, resource_name_for, without_resource_name,
};
pub use run_suite::{
    SuiteOptions, SuiteReport, open_steps, run_suite, run_suite_retrying, snapshot_information,
};
pub use suite::{LoadedCase, SuiteError, load_cases};
