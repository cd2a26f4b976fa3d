//! The `emulator_request` target: short scenarios of structured requests sent in process to the
//! reference emulator, with the contract's properties checked after every request.
//!
//! Inputs are structured, not raw bytes: actions from the known set (or junk), parameter names
//! from the API's vocabulary, list keys with good and malformed indices, addresses picked by
//! index inside a VSwitch's CIDR, ENI ids and addresses taken from earlier answers, and small
//! bounded counts. That is what reaches the deep states (an ENI at its cap, a VSwitch out of
//! addresses, an ENI attaching) that unstructured bytes do not find in minutes.

mod build;
#[cfg(test)]
mod encode;
mod run;
mod scenario;

pub use run::emulator_request;
#[cfg(test)]
pub(crate) use run::{answers, run_scenario, run_scenario_with};
#[cfg(test)]
pub(crate) use scenario::*;
