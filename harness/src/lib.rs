//! eni-harness: a conformance and fuzz harness for the Alibaba Cloud ECS API that assigns
//! secondary private IP addresses to elastic network interfaces. The library wires the case
//! language (`eni-spec`) and the reference emulator (`eni-emulator`) together: targets, the
//! runner, the checks, redaction, snapshots, reports and the CLI.

pub mod alternatives;
pub mod builtin;
pub mod checks;
pub mod cli;
pub mod contract_view;
pub mod escape;
pub mod fuzz;
pub mod fuzzing;
pub mod init;
pub mod profile;
pub mod redact;
pub mod report;
pub mod runner;
pub mod schemas;
pub mod snapshot;
pub mod target;
pub mod wire;
