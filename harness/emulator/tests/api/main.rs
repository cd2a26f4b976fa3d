//! Integration tests of the emulator through its HTTP surface: one module per topic.

#[path = "../common/mod.rs"]
mod common;

mod assign;
mod auth;
mod defects;
mod faults;
mod invariants;
mod inventory;
mod journal;
mod limits;
mod mutants;
mod neighbours;
mod prefixes;
mod served;
mod variant;
mod wire;
