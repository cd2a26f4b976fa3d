//! Reference emulator of the ECS ENI private-IP API: an in-memory world served over HTTP.
//!
//! The emulator is the executable form of the project's contract: every rule, its order, codes,
//! HTTP statuses and messages. Build an [`Emulator`] from a [`Config`], then either mount
//! [`app`] in process (e.g. with `tower::ServiceExt::oneshot`), [`serve`] it on a listener, or
//! [`spawn`] it in the background on a loopback port the OS picks. [`versus_axum`] measures the
//! served emulator against a bare axum server.
//!
//! Decisions taken where the contract is silent are written beside the code that takes them
//! and listed in the crate's `DECISIONS.md`.

// Every public item says what it is for: other crates use the library, and its docs are
// its reference (CONTRIBUTING.md, Lints).
#![warn(missing_docs)]

pub use crate::clock::{Clock, ManualClock};
pub use crate::config::{Allocation, Config, SigningMode, Timings, WireLimits};
pub use crate::contract::ContractProfile;
pub use crate::defects::{Defect, UnknownDefect};
pub use crate::emulator::{Emulator, EniSnapshot};
pub use crate::faults::{Fault, FaultRule, FaultWhen};
pub use crate::journal::{Journal, JournalEntry, JournalVerdict, SECRET_PARAMETERS, SigningKind};
pub use crate::serve::{app, serve, serve_with};
pub use crate::server::ServeLimits;
pub use crate::spawn::{Spawned, spawn, spawn_emulator};
pub use crate::world::{
    Credential, Instance, InstanceStatus, PrimaryEni, VSwitch, Vpc, World, WorldError,
};

mod actions;
mod clock;
mod config;
mod contract;
mod defects;
mod deviation;
mod emulator;
mod error;
mod faults;
mod ids;
mod journal;
mod model;
mod params;
mod render;
mod serve;
mod server;
mod sign;
mod spawn;
mod variant;
pub mod versus_axum;
mod wire;
mod world;
