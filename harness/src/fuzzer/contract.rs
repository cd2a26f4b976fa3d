//! What the contract decides about an answer, by the one code table (`checks::codes`): how the
//! target's answer compares with the reference's ([`judge`]), and the rule each judgement and
//! each named check rests on. The differential oracle and the status check consult nothing
//! else, so that a correct endpoint that chooses otherwise where the contract is silent is never
//! a finding.

use std::fmt;

// Codes the `current` contract accepts in place of another: one table, shared with the
// runner's expectations and the snapshots' contract view.
use crate::alternatives::is_alternative;
pub(crate) use crate::checks::codes::{Decides, Ruling, Sensitivity, documented_status, ruling};

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
    use crate::checks::codes::{
        ASSIGN, ATTACH, CREATE, DESCRIBE, DESCRIBE_ATTRIBUTE, DETACH, UNASSIGN,
    };

    fn answer(status: u16, code: &'static str) -> Answer<'static> {
        Answer {
            status,
            code: (status != 200).then_some(code),
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
