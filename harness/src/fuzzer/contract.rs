//! What the contract decides about an answer, as data in one table ([`RULINGS`]): for an action
//! and an error code, whether the contract fixes the answer (the code, its status, and for the
//! Assign and Unassign tables which of several failing checks answers first), only that such a
//! request is refused (code, status and precedence are then the endpoint's), or nothing at all
//! (a choice of the reference emulator, listed in its DECISIONS.md); and the rule each judgement
//! rests on. The differential oracle ([`judge`]) and the status check consult nothing else, so
//! that a correct endpoint that chooses otherwise where the contract is silent is never a
//! finding.

use std::fmt;

// Codes the `current` contract accepts in place of another: one table, shared with the
// runner's expectations and the snapshots' contract view.
use crate::alternatives::is_alternative;

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
    /// Nothing: the reference emulator's own choice (DECISIONS.md), or a code beyond the
    /// contract. Either answer is allowed.
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
}

const ASSIGN: &str = "AssignPrivateIpAddresses";
const UNASSIGN: &str = "UnassignPrivateIpAddresses";
const CREATE: &str = "CreateNetworkInterface";
const ATTACH: &str = "AttachNetworkInterface";
const DETACH: &str = "DetachNetworkInterface";
const DELETE: &str = "DeleteNetworkInterface";
const DESCRIBE: &str = "DescribeNetworkInterfaces";
const DESCRIBE_ATTRIBUTE: &str = "DescribeNetworkInterfaceAttribute";

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
    }
}

const ORDERED: Decides = Decides::Answer { ordered: true };
const UNORDERED: Decides = Decides::Answer { ordered: false };
use Decides::{Nothing, Refusal, Transient};
use Sensitivity::{None as Plain, Occupancy, Timing};

/// The table. A code an action answers that is listed neither for it nor for `*` decides
/// nothing (`error_code_documented` judges whether it is documented at all). Both spellings of
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
];

/// The contract rule each named check, and each of the fuzzer's own kinds of finding, rests on.
pub(crate) const CHECK_RULES: &[(&str, &str)] = &[
    (
        "no_5xx",
        "common errors: a 5xx is a server fault, never the answer to a request",
    ),
    (
        "request_id_present",
        "wire format: every answer carries a RequestId",
    ),
    (
        "error_body_well_formed",
        "wire format: an error body with Code and Message",
    ),
    (
        "error_code_documented",
        "documented codes (the seed page, the contract, the neighbouring actions)",
    ),
    (
        "ip_in_vswitch_cidr",
        "invariant 1 (inside the VSwitch CIDR)",
    ),
    ("ip_not_reserved", "invariant 1 (not reserved)"),
    (
        "prefix_aligned_in_vswitch",
        "IPv4 prefixes: an aligned /28 inside the VSwitch CIDR, no reserved address",
    ),
    (
        "prefix_disjoint_in_vswitch",
        "IPv4 prefixes: addresses and prefixes of a VSwitch pairwise disjoint",
    ),
    (
        "ip_unique_in_vswitch",
        "invariant 2 (no address held twice)",
    ),
    (
        "primary_ip_stable",
        "invariant 3 (the primary address never changes)",
    ),
    (
        "eni_cap_respected",
        "invariant 4 (the cap for the ENI's state and type)",
    ),
    (
        "failed_request_changes_nothing",
        "invariant 5 (a failed request changes nothing)",
    ),
    (
        "assign_adds_exactly_reported",
        "invariant 5 (an assign adds exactly what it reports)",
    ),
    (
        "unassign_removes_exactly_named",
        "invariant 5 (an unassign removes exactly the named)",
    ),
    (
        "assign_matches_describe",
        "invariant 6 (Describe shows what Assign reported)",
    ),
    (
        "no_leaks",
        "invariant 8 (nothing a run created is left behind)",
    ),
    (
        "code_status_documented",
        "the status the contract gives the code",
    ),
    (
        "differential",
        "what the contract decides (each finding names its row)",
    ),
];

/// The rule a named check rests on.
pub(crate) fn rests_on_check(check: &str) -> &'static str {
    CHECK_RULES
        .iter()
        .find(|(name, _)| *name == check)
        .map_or("the contract", |(_, rule)| rule)
}

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

/// One side's answer, as the judge needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer<'a> {
    pub status: u16,
    pub code: Option<&'a str>,
}

impl Answer<'_> {
    pub(crate) fn accepted(&self) -> bool {
        self.status == 200
    }
}

impl fmt::Display for Answer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) if self.status != 200 => write!(f, "{} {code}", self.status),
            _ => write!(f, "{}", self.status),
        }
    }
}

/// How the target's answer compares with the reference's, by the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// The same outcome, and the same code where the contract decides the code.
    Agree,
    /// Both refused; the contract leaves the code (or which fault answers first) open.
    BothRefused,
    /// One accepted and the other refused, on a point the contract leaves open: both may be
    /// right, but their states now differ, so the sequence cannot be compared any further.
    Diverged { why: String },
    /// The contract decides otherwise than the target answered.
    Differs {
        ruling: &'static Ruling,
        sensitivity: Sensitivity,
        message: String,
    },
}

/// Judges the target's answer to a request against the reference's answer to the same request
/// (steered to the target's own choices), as far as the contract decides.
pub(crate) fn judge(
    contract: &str,
    action: &str,
    target: Answer<'_>,
    reference: Answer<'_>,
) -> Judgement {
    let lookup = |answer: &Answer<'_>| answer.code.and_then(|code| ruling(action, code));
    match (target.accepted(), reference.accepted()) {
        (true, true) => Judgement::Agree,
        (true, false) => match lookup(&reference) {
            Some(
                r @ Ruling {
                    decides: Decides::Answer { .. } | Decides::Refusal,
                    ..
                },
            ) => Judgement::Differs {
                ruling: r,
                sensitivity: r.sensitivity,
                message: format!(
                    "the target accepted what the contract refuses ({}): the reference answers {reference}",
                    r.rests_on
                ),
            },
            _ => Judgement::Diverged {
                why: format!(
                    "the target accepted, the reference answered {reference}: the contract leaves it open"
                ),
            },
        },
        (false, true) => match lookup(&target) {
            Some(
                t @ Ruling {
                    decides: Decides::Answer { .. } | Decides::Refusal,
                    ..
                },
            ) => Judgement::Differs {
                ruling: t,
                sensitivity: t.sensitivity,
                message: format!(
                    "the target answered {target} ({}), but its condition does not hold: the reference accepts",
                    t.rests_on
                ),
            },
            _ => Judgement::Diverged {
                why: format!(
                    "the target answered {target}, the reference accepted: the contract leaves it open"
                ),
            },
        },
        (false, false) => {
            let (t_code, r_code) = (target.code.unwrap_or(""), reference.code.unwrap_or(""));
            if t_code == r_code || is_alternative(contract, action, r_code, t_code) {
                return Judgement::Agree;
            }
            let (Some(r), t) = (lookup(&reference), lookup(&target)) else {
                return Judgement::BothRefused;
            };
            let target_open = t.is_some_and(|t| {
                matches!(
                    t.decides,
                    Decides::Transient | Decides::Answer { ordered: false }
                )
            });
            match r.decides {
                // The first failing check answers: any other code is wrong, unless the target's
                // code is one whose place among the checks the contract leaves open.
                Decides::Answer { ordered: true } if !target_open => {
                    let sensitivity = match t.map(|t| t.sensitivity) {
                        Some(s) if s != Sensitivity::None => s,
                        _ => r.sensitivity,
                    };
                    Judgement::Differs {
                        ruling: r,
                        sensitivity,
                        message: format!(
                            "the target answered {target}; the contract answers {reference} ({}) first",
                            r.rests_on
                        ),
                    }
                }
                _ => Judgement::BothRefused,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::response::DOCUMENTED_CODES;

    fn answer(status: u16, code: &'static str) -> Answer<'static> {
        Answer {
            status,
            code: (status != 200).then_some(code),
        }
    }

    #[test]
    fn every_ruling_is_for_a_documented_code_and_listed_once() {
        for (i, r) in RULINGS.iter().enumerate() {
            assert!(DOCUMENTED_CODES.contains(&r.code), "{r:?}");
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
    fn every_named_check_rests_on_a_rule() {
        for check in crate::checks::ALL {
            assert!(
                CHECK_RULES.iter().any(|(name, _)| *name == check.name),
                "{} has no rule in CHECK_RULES",
                check.name
            );
        }
    }

    #[test]
    fn assign_rows_are_decided_in_their_order() {
        let j = judge(
            "seed",
            ASSIGN,
            answer(403, "InvalidVSwitchId.IpInvalid"),
            answer(403, "InvalidIp.IpAssigned"),
        );
        assert!(
            matches!(&j, Judgement::Differs { ruling, .. } if ruling.rests_on.ends_with("row 14")),
            "{j:?}"
        );
        // The wrong spelling for the profile is another code.
        let j = judge(
            "seed",
            ASSIGN,
            answer(400, "InvalidParameter"),
            answer(400, "InValidParameter"),
        );
        assert!(matches!(j, Judgement::Differs { .. }), "{j:?}");
        // Accepting what a row refuses.
        let j = judge(
            "seed",
            ASSIGN,
            answer(200, ""),
            answer(403, "InvalidIp.IpAssigned"),
        );
        assert!(matches!(j, Judgement::Differs { .. }), "{j:?}");
    }

    #[test]
    fn the_current_contracts_alternatives_agree() {
        let (t, r) = (
            answer(403, "QuotaExceeded.PrivateIpAddress"),
            answer(403, "InvalidVSwitchId.IpNotEnough"),
        );
        assert_eq!(judge("current", ASSIGN, t, r), Judgement::Agree);
        assert!(matches!(
            judge("seed", ASSIGN, t, r),
            Judgement::Differs { .. }
        ));
    }

    #[test]
    fn neighbouring_actions_compare_only_accepted_and_refused() {
        // Which of two faults a Create answers first is the endpoint's.
        let j = judge(
            "seed",
            CREATE,
            answer(403, "InvalidVSwitchId.IpInvalid"),
            answer(403, "InvalidIp.IpAssigned"),
        );
        assert_eq!(j, Judgement::BothRefused);
        // A detach of a detached ENI, either code; the primary-detach refusal, any status.
        let j = judge(
            "seed",
            DETACH,
            answer(400, "InvalidOperation.EniNotAttached"),
            answer(400, "InvalidOperation.InvalidEniState"),
        );
        assert_eq!(j, Judgement::BothRefused);
        let j = judge(
            "seed",
            DETACH,
            answer(400, "InvalidOperation.DetachPrimaryEniNotAllowed"),
            answer(403, "InvalidOperation.DetachPrimaryEniNotAllowed"),
        );
        assert_eq!(j, Judgement::Agree);
        assert_eq!(
            documented_status(DETACH, "InvalidOperation.DetachPrimaryEniNotAllowed"),
            None
        );
        // But accepting a detach of a primary ENI is a finding.
        let j = judge(
            "seed",
            DETACH,
            answer(200, ""),
            answer(403, "InvalidOperation.DetachPrimaryEniNotAllowed"),
        );
        assert!(matches!(j, Judgement::Differs { .. }), "{j:?}");
    }

    #[test]
    fn the_reference_emulators_own_decisions_are_open() {
        let j = judge(
            "seed",
            ATTACH,
            answer(200, ""),
            answer(403, "EniPerInstanceLimitExceeded"),
        );
        assert!(matches!(j, Judgement::Diverged { .. }), "{j:?}");
        // A throttled answer is never a disagreement.
        let j = judge(
            "seed",
            ASSIGN,
            answer(400, "Throttling"),
            answer(403, "InvalidIp.IpAssigned"),
        );
        assert_eq!(j, Judgement::BothRefused);
        let j = judge("seed", ASSIGN, answer(400, "Throttling"), answer(200, ""));
        assert!(matches!(j, Judgement::Diverged { .. }), "{j:?}");
    }

    #[test]
    fn the_listings_filters_are_the_endpoints() {
        // An empty filter value: the reference lists everything, another endpoint may refuse.
        let j = judge(
            "seed",
            DESCRIBE,
            answer(400, "InvalidParameter"),
            answer(200, ""),
        );
        assert!(matches!(j, Judgement::Diverged { .. }), "{j:?}");
        let j = judge(
            "seed",
            DESCRIBE_ATTRIBUTE,
            answer(200, ""),
            answer(404, "InvalidEniId.NotFound"),
        );
        assert!(matches!(j, Judgement::Differs { .. }), "{j:?}");
    }

    #[test]
    fn unassigns_missing_list_has_no_place_among_the_rows() {
        let j = judge(
            "seed",
            UNASSIGN,
            answer(400, "MissingParameter"),
            answer(404, "InvalidEniId.NotFound"),
        );
        assert_eq!(j, Judgement::BothRefused);
        let j = judge(
            "seed",
            UNASSIGN,
            answer(403, "InvalidIp.IpUnassigned"),
            answer(404, "InvalidEniId.NotFound"),
        );
        assert!(matches!(j, Judgement::Differs { .. }), "{j:?}");
    }
}
