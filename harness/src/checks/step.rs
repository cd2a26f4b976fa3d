//! One mutating step judged by the named checks: what a successful answer reports against what
//! the request asked for, and the state read before the request against the state read after
//! it. The case runner, the sequence fuzzer and the coverage-guided emulator target all judge a
//! step through [`judge_step`], so a step means the same to the three of them; what each adds
//! on top (the runner's expectations, the fuzzer's comparison with its reference) is its own.

use super::CheckSet;
use super::invariants::{Mutation, Reported, Violation, check_assign_report, check_transition};
use super::observe::Observation;
use crate::wire::Decoded;

/// A mutating step as the checks see it.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// What the request asked for ([`super::mutation::requested`]).
    pub mutation: &'a Mutation,
    /// The answer's HTTP status: 200 is a success, anything else a refusal that must have
    /// changed nothing.
    pub status: u16,
    /// The decoded answer, for what a success reports.
    pub answer: &'a Decoded,
    /// The state before the request, when it was read.
    pub before: Option<&'a Observation>,
    /// The state after its answer, when it was read (the transition is judged when both were).
    pub after: Option<&'a Observation>,
}

/// The violations of one mutating step: a successful assign's report against its request,
/// then (when both states were read) the transition from `before` to `after`. Only the checks
/// `checks` has on are judged.
pub fn judge_step(step: &Step<'_>, checks: &CheckSet) -> Vec<Violation> {
    let succeeded = step.status == 200;
    let reported = Reported::of(step.answer);
    let mut violations = if succeeded {
        check_assign_report(step.mutation, &reported, checks)
    } else {
        Vec::new()
    };
    if let (Some(before), Some(after)) = (step.before, step.after) {
        violations.extend(check_transition(
            before,
            after,
            step.mutation,
            succeeded,
            &reported,
            checks,
        ));
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::observe::EniView;

    fn state(secondaries: &[&str]) -> Observation {
        let eni = EniView {
            id: "eni-1".into(),
            status: "Available".into(),
            vswitch_id: "vsw-1".into(),
            instance_id: None,
            primary: Some("10.0.0.2".into()),
            secondaries: secondaries.iter().map(|s| (*s).to_string()).collect(),
            prefixes: Vec::new(),
        };
        Observation {
            enis: [(eni.id.clone(), eni)].into_iter().collect(),
            requests: 0,
        }
    }

    fn answer(body: serde_json::Value) -> Decoded {
        Decoded {
            body,
            ..Decoded::default()
        }
    }

    fn assign(requested: &[&str]) -> Mutation {
        Mutation::Assign {
            eni: "eni-1".into(),
            requested: requested.iter().map(|s| (*s).to_string()).collect(),
            count: None,
            prefixes: Vec::new(),
            prefix_count: None,
            client_token: None,
        }
    }

    fn reporting(addresses: &[&str]) -> Decoded {
        answer(serde_json::json!({"AssignedPrivateIpAddressesSet": {
            "NetworkInterfaceId": "eni-1",
            "PrivateIpSet": {"PrivateIpAddress": addresses},
        }}))
    }

    fn names(violations: &[Violation]) -> Vec<&'static str> {
        violations.iter().map(|v| v.check.name).collect()
    }

    #[test]
    fn an_honest_assign_passes_and_a_lying_one_is_named() {
        let checks = CheckSet::default();
        let mutation = assign(&["10.0.0.5"]);
        let (before, after) = (state(&[]), state(&["10.0.0.5"]));
        let honest = reporting(&["10.0.0.5"]);
        let step = Step {
            mutation: &mutation,
            status: 200,
            answer: &honest,
            before: Some(&before),
            after: Some(&after),
        };
        assert!(judge_step(&step, &checks).is_empty());
        // Reports another address than asked, and Describe shows the asked one.
        let lying = reporting(&["10.0.0.6"]);
        let found = judge_step(
            &Step {
                answer: &lying,
                ..step
            },
            &checks,
        );
        assert!(
            names(&found).contains(&"assign_adds_exactly_reported"),
            "{found:?}"
        );
        assert!(
            names(&found).contains(&"assign_matches_describe"),
            "{found:?}"
        );
        // Without the states read, only the report is judged.
        let unread = judge_step(
            &Step {
                answer: &lying,
                before: None,
                after: None,
                ..step
            },
            &checks,
        );
        assert_eq!(names(&unread), ["assign_adds_exactly_reported"]);
    }

    #[test]
    fn a_successful_unassign_named_only_addresses_the_eni_held() {
        let checks = CheckSet::default();
        let unassign = |named: &[&str]| Mutation::Unassign {
            eni: "eni-1".into(),
            named: named.iter().map(|s| (*s).to_string()).collect(),
            prefixes: Vec::new(),
        };
        let ok = answer(serde_json::json!({"RequestId": "R"}));
        let judge = |mutation: &Mutation, before: &Observation, after: &Observation| {
            names(&judge_step(
                &Step {
                    mutation,
                    status: 200,
                    answer: &ok,
                    before: Some(before),
                    after: Some(after),
                },
                &checks,
            ))
        };
        let held = state(&["10.0.0.5"]);
        assert!(judge(&unassign(&["10.0.0.5"]), &held, &state(&[])).is_empty());
        // Accepted, though the address was not on the ENI (nor is the primary a secondary).
        for named in ["10.0.0.9", "10.0.0.2"] {
            assert_eq!(
                judge(&unassign(&[named]), &held, &held),
                ["unassign_removes_exactly_named"],
                "{named}"
            );
        }
    }

    #[test]
    fn a_refusal_that_changed_something_is_named_unless_turned_off() {
        let mutation = assign(&["10.0.0.5"]);
        let (before, after) = (state(&[]), state(&["10.0.0.5"]));
        let refused = answer(serde_json::json!({"Code": "InvalidIp.IpAssigned"}));
        let step = Step {
            mutation: &mutation,
            status: 403,
            answer: &refused,
            before: Some(&before),
            after: Some(&after),
        };
        assert_eq!(
            names(&judge_step(&step, &CheckSet::default())),
            ["failed_request_changes_nothing"]
        );
        let off = CheckSet::without(["failed_request_changes_nothing"]).unwrap();
        assert!(judge_step(&step, &off).is_empty());
    }
}
