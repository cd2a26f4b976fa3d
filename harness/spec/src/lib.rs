//! The case-file language of eni-harness: YAML case files parsed and validated into a [`Case`]
//! that cannot hold an invalid state, with rustc-style `file:line:col` errors.
//!
//! No I/O happens here: the caller reads the file and passes its text and name to
//! [`parse_case`]. [`case_to_yaml`] writes a validated case back in canonical form (the fuzzer
//! saves its findings with it). The language itself is documented in the crate's README.

// Every public item says what it is for: other crates use the library, and its docs are
// its reference (CONTRIBUTING.md, Lints).
#![warn(missing_docs)]

mod duration;
mod emit;
mod error;
mod format;
mod model;
mod path;
mod raw;
mod raw_events;
mod schema;
mod template;
mod validate;

#[cfg(test)]
mod tests;

pub use duration::{MAX_DURATION, format_duration, parse_duration};
pub use emit::{case_to_yaml, double_quoted};
pub use error::{Span, Spanned, SpecError, SpecErrorKind};
pub use format::{FormatError, format_case};
pub use model::{
    BUILTIN_ROOTS, Case, ENI_STATUSES, EmulatorKnobs, Expect, FIXTURE_MEMBERS, FieldMatch, Format,
    Item, LIMITS_MEMBERS, MAX_SOURCE_BYTES, Method, OMITTABLE_PARAMS, PageBy, Paginate, Poll,
    RACE_GONE, Race, RaceOn, Send, Signing, Step, TASK_ENDED, TASK_RUNNING,
};
pub use path::{Path, Segment};
pub use raw_events::yaml_readings_agree;
pub use schema::case_schema;
pub use template::{Expr, Member, Part, Template, TemplateError};
pub use validate::parse_case;
