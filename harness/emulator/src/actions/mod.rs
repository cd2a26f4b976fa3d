//! The actions: dispatch, and the checks and pieces of answer they share.
//!
//! Every action checks everything before it changes anything, so a failed request leaves the
//! state exactly as it found it (invariant 5).

mod action;
mod assign;
mod attach_detach;
mod create;
mod delete;
mod describe;
mod eni_answer;
mod inventory;
mod rules;
mod unassign;

pub(crate) use action::{Action, run};
use eni_answer::eni_fields;
use rules::{
    PREFIX_LIST, address_held, address_list, address_usable, client_token, ip_invalid, is_busy,
    no_duplicates, prefix_held, prefix_list, replay, required, usable_eni,
};
