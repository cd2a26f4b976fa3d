//! Sequence fuzzing: seeded, structured operation sequences (see [`ops`]) run against a target
//! beside a clean reference emulator, judged by the contract's invariants, the documented codes
//! and statuses, and a differential comparison ([`oracle`]) that holds the target only to what
//! the contract decides (`contract`); each new kind of finding is reported when it is found,
//! shrunk ([`shrink`]) and written as a ready-to-run regression case ([`emit`]). Shared
//! endpoints are cleaned and mirrored per sequence (`endpoint`). `--concurrency` fires
//! requests at once instead (`concurrency`). `--time` bounds the whole run, shrinking and
//! proving included: nothing is sent past it.
//!
//! The same seed gives the same sequences: sequence `n` decodes bytes drawn from
//! `SplitMix64::for_sequence(seed, n)`.

pub(crate) mod campaign;
pub(crate) mod concurrency;
pub(crate) mod contract;
pub mod emit;
pub(crate) mod endpoint;
pub mod exec;
pub mod fixtures;
pub(crate) mod inproc;
pub mod ops;
pub mod oracle;
pub(crate) mod prefixes;
pub(crate) mod rng;
pub(crate) mod setup;
pub mod shrink;

pub use campaign::{
    FoundCase, FuzzEvent, FuzzOptions, FuzzReport, MIN_SUCCESS_RATIO, Observer, Verify, fuzz,
    verify_case, write_case,
};
pub use emit::{CaseFile, Provenance};
pub use exec::{Configure, Env, Limits, SeqResult, TargetSpec, execute};
pub use oracle::{Finding, Kind};
pub use shrink::ShrinkBudget;
