//! The one table of error codes: every code the contracts document, the contract versions that
//! document it, and per action the HTTP status the contract gives it and what it decides — the
//! code itself and its place among several faults, only that the request is refused, or nothing
//! (a choice of the reference emulator, listed in its DECISIONS.md). `error_code_documented`,
//! `code_status_documented` and the fuzzer's differential oracle all read it, so a code is
//! documented, and given a status, in one place.

/// What the contract decides when a request meets one condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decides {
    /// This code answers. `ordered`: the contract also fixes the order of the checks, so with
    /// several faults in one request the first failing check answers (the Assign table; the
    /// Unassign rows "in the same order"). Unordered: the code is fixed, not its place among
    /// other faults.
    Answer { ordered: bool },
    /// The request is refused and changes nothing; the code, status and precedence are the
    /// endpoint's (the neighbouring actions, which the contract describes without a table).
    Refusal,
    /// Nothing: the reference emulator's own choice (DECISIONS.md), a code beyond the
    /// contract, or a documented code the contract gives no rule for. Either answer is allowed.
    Nothing,
    /// May answer any request at any time (rate limits, server faults): never a disagreement.
    /// `no_5xx` judges the 5xx ones.
    Transient,
}

/// What a correct endpoint's answer may depend on that the reference does not see at the same
/// moment, on a shared endpoint on the real clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    None,
    /// An ENI's status: a transition may end between the last read and the answer, and a task
    /// still in flight on the endpoint is invisible to a read (rows 10 and 11; the lifecycle
    /// states of attach, detach and delete).
    Timing,
    /// The addresses ENIs outside the sequence hold: another tenant may have taken or freed
    /// some since the reference mirrored them (rows 14 and 16; a Create's in-use and exhaustion
    /// refusals).
    Occupancy,
}

/// One line of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ruling {
    /// The action, or `*` for every action.
    pub action: &'static str,
    pub code: &'static str,
    /// The HTTP status the contract gives this code for this action, if it gives one.
    pub status: Option<u16>,
    pub decides: Decides,
    pub sensitivity: Sensitivity,
    /// The contract rule, as findings cite it.
    pub rests_on: &'static str,
    /// Which contract versions document the code.
    pub documented_in: DocumentedIn,
}

/// The contract versions that document a code: a code outside them is an
/// `error_code_documented` finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentedIn {
    /// Every version: the seed page, the contract, the neighbouring actions' reference pages.
    Every,
    /// The `current` contract only (CONTRACT.md, "Codes the real cloud is known to answer").
    Current,
}

pub(crate) const ASSIGN: &str = "AssignPrivateIpAddresses";
pub(crate) const UNASSIGN: &str = "UnassignPrivateIpAddresses";
pub(crate) const CREATE: &str = "CreateNetworkInterface";
pub(crate) const ATTACH: &str = "AttachNetworkInterface";
pub(crate) const DETACH: &str = "DetachNetworkInterface";
pub(crate) const DELETE: &str = "DeleteNetworkInterface";
pub(crate) const DESCRIBE: &str = "DescribeNetworkInterfaces";
pub(crate) const DESCRIBE_ATTRIBUTE: &str = "DescribeNetworkInterfaceAttribute";

const fn rule(
    action: &'static str,
    code: &'static str,
    status: Option<u16>,
    decides: Decides,
    sensitivity: Sensitivity,
    rests_on: &'static str,
) -> Ruling {
    Ruling {
        action,
        code,
        status,
        decides,
        sensitivity,
        rests_on,
        documented_in: DocumentedIn::Every,
    }
}

/// A code only the `current` contract documents: any action may answer it, its status is not
/// documented, and it decides nothing.
const fn current(code: &'static str) -> Ruling {
    Ruling {
        documented_in: DocumentedIn::Current,
        ..rule(
            "*",
            code,
            None,
            Decides::Nothing,
            Sensitivity::None,
            "CONTRACT.md: codes the real cloud is known to answer",
        )
    }
}

const ORDERED: Decides = Decides::Answer { ordered: true };
const UNORDERED: Decides = Decides::Answer { ordered: false };
use Decides::{Nothing, Refusal, Transient};
use Sensitivity::{None as Plain, Occupancy, Timing};

/// The table. Every documented code is in it, with the contract versions that document it; a
/// code an action answers that is listed neither for it nor for `*` decides nothing, and is
/// undocumented (`error_code_documented`). Both spellings of
/// the invalid-parameter code are listed: the reference answers the profile's, and the contract
/// fixes the spelling per profile, so the other one differs from it like any other code.
#[rustfmt::skip]
pub(crate) const RULINGS: &[Ruling] = &[
    // Common errors (any action).
    rule("*", "MissingParameter", Some(400), Refusal, Plain, "common errors: a required parameter missing"),
    rule("*", "InvalidParameter", Some(400), Refusal, Plain, "common errors: an invalid parameter"),
    rule("*", "InValidParameter", Some(400), Refusal, Plain, "common errors: an invalid parameter (seed spelling)"),
    rule("*", "InvalidAction.NotFound", Some(404), UNORDERED, Plain, "common errors: unknown Action"),
    rule("*", "InvalidAccessKeyId.NotFound", Some(404), UNORDERED, Plain, "common errors: unknown AccessKeyId"),
    rule("*", "SignatureDoesNotMatch", Some(400), UNORDERED, Plain, "common errors: bad signature"),
    rule("*", "SignatureNonceUsed", Some(400), UNORDERED, Plain, "common errors: nonce reused"),
    rule("*", "InvalidTimeStamp.Expired", Some(400), UNORDERED, Plain, "common errors: timestamp more than 15 min off"),
    rule("*", "InvalidRegionId.NotFound", Some(404), UNORDERED, Plain, "common errors: unknown RegionId"),
    rule("*", "Throttling", Some(400), Transient, Plain, "common errors: rate limit"),
    rule("*", "InternalError", Some(500), Transient, Plain, "common errors: unexpected server fault"),
    rule("*", "ServiceUnavailable", Some(503), Transient, Plain, "common errors: unexpected server fault"),
    rule("*", "InvalidTimeStamp.Format", None, Nothing, Plain, "common errors: a malformed Timestamp"),
    rule("*", "IncompleteSignature", None, Nothing, Plain, "common errors: a signature parameter missing"),
    rule("*", "RequestEntityTooLarge", None, Nothing, Plain, "common errors: a request too large"),
    // AssignPrivateIpAddresses: the table, in its order.
    rule(ASSIGN, "MissingParameter", Some(400), ORDERED, Plain, "AssignPrivateIpAddresses row 1"),
    rule(ASSIGN, "InValidParameter", Some(400), ORDERED, Plain, "AssignPrivateIpAddresses rows 2-4 and 6 (the invalid-parameter code)"),
    rule(ASSIGN, "InvalidParameter", Some(400), ORDERED, Plain, "AssignPrivateIpAddresses rows 2-4 and 6 (the invalid-parameter code)"),
    rule(ASSIGN, "InvalidPrivateIpAddress.Duplicated", Some(400), ORDERED, Plain, "AssignPrivateIpAddresses row 5"),
    rule(ASSIGN, "IdempotentParameterMismatch", Some(400), ORDERED, Plain, "AssignPrivateIpAddresses row 7"),
    rule(ASSIGN, "InvalidEniId.NotFound", Some(404), ORDERED, Plain, "AssignPrivateIpAddresses row 8"),
    rule(ASSIGN, "InvalidVSwitchId.NotFound", Some(404), ORDERED, Plain, "AssignPrivateIpAddresses row 9"),
    rule(ASSIGN, "InvalidOperation.InvalidEniState", Some(400), ORDERED, Timing, "AssignPrivateIpAddresses row 10"),
    rule(ASSIGN, "Operation.Conflict", Some(403), ORDERED, Timing, "AssignPrivateIpAddresses row 11"),
    rule(ASSIGN, "InvalidOperation.InvalidEcsState", Some(400), ORDERED, Plain, "AssignPrivateIpAddresses row 12"),
    rule(ASSIGN, "InvalidVSwitchId.IpInvalid", Some(403), ORDERED, Plain, "AssignPrivateIpAddresses row 13"),
    rule(ASSIGN, "InvalidIp.IpAssigned", Some(403), ORDERED, Occupancy, "AssignPrivateIpAddresses row 14"),
    rule(ASSIGN, "MaxEniPrivateIpsCountExceeded", Some(403), ORDERED, Plain, "AssignPrivateIpAddresses row 15"),
    rule(ASSIGN, "InvalidVSwitchId.IpNotEnough", Some(403), ORDERED, Occupancy, "AssignPrivateIpAddresses row 16"),
    // UnassignPrivateIpAddresses: rows 1, 3-5, 8-11 in the table's order, then an address not
    // on the ENI (it needs the ENI, as rows 13-16 do). MissingParameter is also the answer to
    // no `PrivateIpAddress.N` at all, whose place among the rows the contract does not give.
    rule(UNASSIGN, "MissingParameter", Some(400), UNORDERED, Plain, "UnassignPrivateIpAddresses: row 1, or no PrivateIpAddress.N"),
    rule(UNASSIGN, "InValidParameter", Some(400), ORDERED, Plain, "UnassignPrivateIpAddresses rows 3-4"),
    rule(UNASSIGN, "InvalidParameter", Some(400), ORDERED, Plain, "UnassignPrivateIpAddresses rows 3-4"),
    rule(UNASSIGN, "InvalidPrivateIpAddress.Duplicated", Some(400), ORDERED, Plain, "UnassignPrivateIpAddresses row 5"),
    rule(UNASSIGN, "InvalidEniId.NotFound", Some(404), ORDERED, Plain, "UnassignPrivateIpAddresses row 8"),
    rule(UNASSIGN, "InvalidVSwitchId.NotFound", Some(404), ORDERED, Plain, "UnassignPrivateIpAddresses row 9"),
    rule(UNASSIGN, "InvalidOperation.InvalidEniState", Some(400), ORDERED, Timing, "UnassignPrivateIpAddresses row 10"),
    rule(UNASSIGN, "Operation.Conflict", Some(403), ORDERED, Timing, "UnassignPrivateIpAddresses row 11"),
    rule(UNASSIGN, "InvalidIp.IpUnassigned", Some(403), ORDERED, Plain, "UnassignPrivateIpAddresses: an address not on the ENI, or its primary"),
    // CreateNetworkInterface: synchronous; its addresses obey the IP invariants and its list
    // and count the Assign table's syntax. Codes and precedence are the endpoint's.
    rule(CREATE, "InValidParameter", None, Refusal, Plain, "CreateNetworkInterface: the address list and count syntax of rows 2-6"),
    rule(CREATE, "InvalidParameter", None, Refusal, Plain, "CreateNetworkInterface: the address list and count syntax of rows 2-6"),
    rule(CREATE, "InvalidPrivateIpAddress.Duplicated", None, Refusal, Plain, "invariant 2 (no address twice on one ENI)"),
    rule(CREATE, "InvalidVSwitchId.IpInvalid", None, Refusal, Plain, "invariant 1 (addresses inside the VSwitch CIDR, not reserved)"),
    rule(CREATE, "InvalidIp.IpAssigned", None, Refusal, Occupancy, "invariant 2 (no address held by two ENIs)"),
    rule(CREATE, "InvalidVSwitchId.IpNotEnough", None, Refusal, Occupancy, "CreateNetworkInterface: a count needs that many free addresses (row 16's condition)"),
    rule(CREATE, "MaxEniPrivateIpsCountExceeded", None, Refusal, Plain, "invariant 4 (the Available cap)"),
    rule(CREATE, "InvalidVSwitchId.NotFound", None, Refusal, Plain, "CreateNetworkInterface: an existing VSwitch"),
    rule(CREATE, "InvalidSecurityGroupId.NotFound", None, Refusal, Plain, "CreateNetworkInterface: an existing security group"),
    rule(CREATE, "IdempotentParameterMismatch", None, Nothing, Plain, "DECISIONS.md (ClientToken on Create)"),
    // AttachNetworkInterface: Available -> Attaching -> InUse, to a Running or Stopped instance.
    rule(ATTACH, "InvalidEniId.NotFound", None, Refusal, Plain, "AttachNetworkInterface: an existing ENI"),
    rule(ATTACH, "InvalidInstanceId.NotFound", None, Refusal, Plain, "AttachNetworkInterface: an existing instance"),
    rule(ATTACH, "InvalidOperation.InvalidEniState", None, Refusal, Timing, "AttachNetworkInterface: only an Available ENI attaches"),
    rule(ATTACH, "InvalidOperation.InvalidEcsState", None, Refusal, Plain, "AttachNetworkInterface: the instance must be Running or Stopped"),
    rule(ATTACH, "EniPerInstanceLimitExceeded", None, Nothing, Plain, "DECISIONS.md (ENIs per instance type)"),
    rule(ATTACH, "MaxEniPrivateIpsCountExceeded", None, Nothing, Plain, "DECISIONS.md (an attach over the type's cap; invariant 4 judges the state)"),
    rule(ATTACH, "Operation.Conflict", None, Nothing, Timing, "DECISIONS.md (a task in flight)"),
    // DetachNetworkInterface: InUse -> Detaching -> Available; never a primary ENI.
    rule(DETACH, "InvalidEniId.NotFound", None, Refusal, Plain, "DetachNetworkInterface: an existing ENI"),
    rule(DETACH, "InvalidInstanceId.NotFound", None, Refusal, Plain, "DetachNetworkInterface: an existing instance"),
    rule(DETACH, "InvalidOperation.DetachPrimaryEniNotAllowed", None, Refusal, Plain, "DetachNetworkInterface: a primary ENI cannot be detached"),
    rule(DETACH, "InvalidOperation.InvalidEniState", None, Refusal, Timing, "DetachNetworkInterface: only an InUse ENI detaches"),
    rule(DETACH, "InvalidOperation.EniNotAttached", None, Refusal, Timing, "DetachNetworkInterface: only from the instance it is attached to"),
    rule(DETACH, "InvalidOperation.InvalidEcsState", None, Refusal, Plain, "DetachNetworkInterface: the instance must be Running or Stopped"),
    rule(DETACH, "MaxEniPrivateIpsCountExceeded", None, Nothing, Plain, "DECISIONS.md (a detach over the Available cap; invariant 4 judges the state)"),
    rule(DETACH, "Operation.Conflict", None, Nothing, Timing, "DECISIONS.md (a task in flight)"),
    // DeleteNetworkInterface: an Available ENI only.
    rule(DELETE, "InvalidEniId.NotFound", None, Refusal, Plain, "DeleteNetworkInterface: an existing ENI"),
    rule(DELETE, "InvalidOperation.InvalidEniState", None, Refusal, Timing, "DeleteNetworkInterface: the ENI must be Available"),
    rule(DELETE, "Operation.Conflict", None, Nothing, Timing, "DECISIONS.md (a task in flight)"),
    // Reads change nothing; an unknown ENI cannot be described one by one. The listing's
    // filters and their validation are the endpoint's.
    rule(DESCRIBE_ATTRIBUTE, "InvalidEniId.NotFound", None, Refusal, Plain, "DescribeNetworkInterfaceAttribute: one existing ENI"),
    rule(DESCRIBE, "MissingParameter", None, Nothing, Plain, "DECISIONS.md (the listing's filters)"),
    rule(DESCRIBE, "InvalidParameter", None, Nothing, Plain, "DECISIONS.md (the listing's filters)"),
    rule(DESCRIBE, "InValidParameter", None, Nothing, Plain, "DECISIONS.md (the listing's filters)"),
    rule(DESCRIBE, "InvalidEniId.NotFound", None, Nothing, Plain, "DECISIONS.md (the listing's filters)"),
    // Codes the `current` contract documents beyond the tables.
    current("QuotaExceeded.PrivateIpAddress"),
    current("InvalidOperation.Ipv4CountExceeded"),
    current("IdempotentFailed"),
    current("IdempotentProcessing"),
    current("LastTokenProcessing"),
    current("InvalidEcsId.NotFound"),
    current("UnsupportedParameter"),
    current("Forbidden.RAM"),
    current("InvalidOperation.EniServiceManaged"),
    current("InvalidIp.IpRepeated"),
    current("MaxEniCountExceeded"),
    current("OperationConflict"),
];

/// The table's line for an action's code: the action's own, else the common one.
pub(crate) fn ruling(action: &str, code: &str) -> Option<&'static Ruling> {
    RULINGS
        .iter()
        .find(|r| r.action == action && r.code == code)
        .or_else(|| RULINGS.iter().find(|r| r.action == "*" && r.code == code))
}

/// The status the contract gives `code` when `action` answers it.
pub(crate) fn documented_status(action: &str, code: &str) -> Option<u16> {
    ruling(action, code).and_then(|r| r.status)
}

/// Whether `code` is documented under the contract version named `contract`.
pub(crate) fn is_documented(contract: &str, code: &str) -> bool {
    RULINGS.iter().any(|r| {
        r.code == code
            && match r.documented_in {
                DocumentedIn::Every => true,
                DocumentedIn::Current => contract == "current",
            }
    })
}

/// Whether every contract version documents `code`.
pub(crate) fn documented_everywhere(code: &str) -> bool {
    RULINGS
        .iter()
        .any(|r| r.code == code && r.documented_in == DocumentedIn::Every)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_per_action_with_an_error_status() {
        for (i, r) in RULINGS.iter().enumerate() {
            assert!(r.status.is_none_or(|s| (400..600).contains(&s)), "{r:?}");
            assert!(
                !RULINGS[..i]
                    .iter()
                    .any(|o| o.action == r.action && o.code == r.code),
                "{r:?} listed twice"
            );
        }
    }

    #[test]
    fn a_code_is_documented_by_every_version_or_by_current_only() {
        for code in [
            "InValidParameter",
            "InvalidParameter",
            "RequestEntityTooLarge",
        ] {
            assert!(
                is_documented("seed", code) && is_documented("current", code),
                "{code}"
            );
            assert!(documented_everywhere(code), "{code}");
        }
        for code in ["QuotaExceeded.PrivateIpAddress", "OperationConflict"] {
            assert!(
                !is_documented("seed", code) && is_documented("current", code),
                "{code}"
            );
            assert!(!documented_everywhere(code), "{code}");
        }
        assert!(!is_documented("current", "InvalidEniId.Malformed"));
        // A code only `current` documents is never also listed for every version: it would be
        // documented everywhere.
        for r in RULINGS
            .iter()
            .filter(|r| r.documented_in == DocumentedIn::Current)
        {
            assert!(!documented_everywhere(r.code), "{r:?}");
        }
    }
}
