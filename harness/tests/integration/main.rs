//! The whole-program tests, one binary (one link, one process to schedule), one module per
//! subject; `cases.rs` beside it is the data-driven one (a test per case file). Run one subject
//! with `cargo test --test integration -- hostile::` (a test name filter).

mod exit_codes;
mod fuzz_contract;
mod fuzz_http;
mod fuzz_planted;
mod fuzz_time;
mod hostile;
mod init;
mod installed;
mod racing_served;
mod runner_e2e;
mod runner_lanes;
mod schemas;
mod scratch;
mod snapshots_portable;
mod variants;
