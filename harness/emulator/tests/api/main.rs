//! Integration tests of the emulator through its HTTP surface: one module per topic.

#[path = "../common/mod.rs"]
mod common;

mod assign;
mod auth;
mod faults;
mod invariants;
mod neighbours;
mod served;
mod wire;
