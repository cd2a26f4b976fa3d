//! The actions the emulator knows, their names on the wire, and the dispatch of a request to
//! the action that answers it.

use std::time::SystemTime;

use super::{assign, attach_detach, create, delete, describe, inventory, unassign};
use crate::error::ApiError;
use crate::model::State;
use crate::params::Params;
use crate::render::Fields;

/// The actions the emulator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Assign,
    Unassign,
    Create,
    Delete,
    Attach,
    Detach,
    Describe,
    DescribeAttribute,
    DescribeInstances,
    DescribeVSwitches,
    DescribeSecurityGroups,
    DescribeRegions,
}

impl Action {
    const ALL: [Action; 12] = [
        Action::Assign,
        Action::Unassign,
        Action::Create,
        Action::Delete,
        Action::Attach,
        Action::Detach,
        Action::Describe,
        Action::DescribeAttribute,
        Action::DescribeInstances,
        Action::DescribeVSwitches,
        Action::DescribeSecurityGroups,
        Action::DescribeRegions,
    ];

    /// Action names are case-sensitive, like every other key and value of the API.
    pub(crate) fn from_name(name: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The short name rules are named after: `assign.row-3`.
    pub(crate) fn short_name(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Unassign => "unassign",
            Action::Create => "create",
            Action::Delete => "delete",
            Action::Attach => "attach",
            Action::Detach => "detach",
            Action::Describe => "describe",
            Action::DescribeAttribute => "describe-attribute",
            Action::DescribeInstances => "describe-instances",
            Action::DescribeVSwitches => "describe-vswitches",
            Action::DescribeSecurityGroups => "describe-security-groups",
            Action::DescribeRegions => "describe-regions",
        }
    }

    /// The contract rule of row `n` of the assign table, as this action applies it (assign and
    /// unassign); empty for other actions and rows.
    pub(crate) fn row(self, n: usize) -> &'static str {
        const ASSIGN: [&str; 17] = [
            "",
            "assign.row-1",
            "assign.row-2",
            "assign.row-3",
            "assign.row-4",
            "assign.row-5",
            "assign.row-6",
            "assign.row-7",
            "assign.row-8",
            "assign.row-9",
            "assign.row-10",
            "assign.row-11",
            "assign.row-12",
            "assign.row-13",
            "assign.row-14",
            "assign.row-15",
            "assign.row-16",
        ];
        const UNASSIGN: [&str; 17] = [
            "",
            "unassign.row-1",
            "",
            "unassign.row-3",
            "unassign.row-4",
            "unassign.row-5",
            "",
            "unassign.row-7",
            "unassign.row-8",
            "unassign.row-9",
            "unassign.row-10",
            "unassign.row-11",
            "",
            "",
            "",
            "",
            "",
        ];
        let table = match self {
            Action::Assign => &ASSIGN,
            Action::Unassign => &UNASSIGN,
            _ => return "",
        };
        table.get(n).copied().unwrap_or("")
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Assign => "AssignPrivateIpAddresses",
            Action::Unassign => "UnassignPrivateIpAddresses",
            Action::Create => "CreateNetworkInterface",
            Action::Delete => "DeleteNetworkInterface",
            Action::Attach => "AttachNetworkInterface",
            Action::Detach => "DetachNetworkInterface",
            Action::Describe => "DescribeNetworkInterfaces",
            Action::DescribeAttribute => "DescribeNetworkInterfaceAttribute",
            Action::DescribeInstances => "DescribeInstances",
            Action::DescribeVSwitches => "DescribeVSwitches",
            Action::DescribeSecurityGroups => "DescribeSecurityGroups",
            Action::DescribeRegions => "DescribeRegions",
        }
    }
}

/// Runs `action`; the fields of a success body come back (without `RequestId`).
pub(crate) fn run(
    action: Action,
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    match action {
        Action::Assign => assign::assign(state, params, now),
        Action::Unassign => unassign::unassign(state, params, now),
        Action::Create => create::create(state, params),
        Action::Delete => delete::delete(state, params, now),
        Action::Attach => attach_detach::attach(state, params, now),
        Action::Detach => attach_detach::detach(state, params, now),
        Action::Describe => describe::describe(state, params),
        Action::DescribeAttribute => describe::describe_attribute(state, params),
        Action::DescribeInstances => inventory::describe_instances(state, params),
        Action::DescribeVSwitches => inventory::describe_vswitches(state, params),
        Action::DescribeSecurityGroups => inventory::describe_security_groups(state, params),
        Action::DescribeRegions => Ok(inventory::describe_regions(state)),
    }
}
