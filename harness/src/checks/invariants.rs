//! The IP invariants of the contract, checked on raw observed values: properties of one state
//! (addresses inside the block, not reserved, unique, under the cap, primaries stable) and of
//! one transition (a failure changes nothing; an assign adds exactly what it reports; an unassign
//! removes exactly what it names).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::observe::Observation;
use super::{
    ASSIGN_ADDS_EXACTLY_REPORTED, ASSIGN_MATCHES_DESCRIBE, CheckInfo, CheckSet, ENI_CAP_RESPECTED,
    FAILED_REQUEST_CHANGES_NOTHING, IP_IN_VSWITCH_CIDR, IP_NOT_RESERVED, IP_UNIQUE_IN_VSWITCH,
    PRIMARY_IP_STABLE, UNASSIGN_REMOVES_EXACTLY_NAMED,
};
use crate::profile::Profile;

/// A check that did not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub check: CheckInfo,
    pub message: String,
}

/// What a mutating request asked for, as far as the transition checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// `client_token`: a retry with a used token answers the first request's addresses again
    /// and allocates nothing (contract row 7).
    Assign {
        eni: String,
        requested: Vec<String>,
        count: Option<usize>,
        client_token: Option<String>,
    },
    Unassign {
        eni: String,
        named: Vec<String>,
    },
    /// Create, attach, detach, delete: only "a failure changes nothing" applies.
    Other,
}

/// The addresses reserved in a block: its first and its last three.
pub fn is_reserved(cidr: Ipv4Net, address: Ipv4Addr) -> bool {
    let network = u32::from(cidr.network());
    let broadcast = u32::from(cidr.broadcast());
    let address = u32::from(address);
    address == network || address + 3 > broadcast
}

/// Parses an address the way the contract requires it written: a canonical dotted quad.
pub fn canonical_ipv4(text: &str) -> Option<Ipv4Addr> {
    let address: Ipv4Addr = text.parse().ok()?;
    (address.to_string() == text).then_some(address)
}

/// Properties of one observed state. `primaries` remembers each ENI's first-seen primary address
/// across the observations of one case.
pub fn check_state(
    observation: &Observation,
    profile: &Profile,
    checks: &CheckSet,
    primaries: &mut BTreeMap<String, String>,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut report = |check: CheckInfo, message: String| {
        if checks.is_on(check) {
            violations.push(Violation { check, message });
        }
    };
    let cidrs: BTreeMap<&str, Ipv4Net> = profile
        .vswitches()
        .map(|(_, id, cidr)| (id, cidr))
        .collect();
    let mut holders: BTreeMap<&str, Vec<&str>> = BTreeMap::new();

    for eni in observation.enis.values() {
        let addresses = eni.primary.iter().chain(eni.secondaries.iter());
        for address in addresses {
            holders
                .entry(address.as_str())
                .or_default()
                .push(eni.id.as_str());
            let Some(cidr) = cidrs.get(eni.vswitch_id.as_str()) else {
                continue;
            };
            match canonical_ipv4(address) {
                None => report(
                    IP_IN_VSWITCH_CIDR,
                    format!(
                        "{} holds `{address}`, which is not a canonical IPv4 address",
                        eni.id
                    ),
                ),
                Some(ip) if !cidr.contains(&ip) => report(
                    IP_IN_VSWITCH_CIDR,
                    format!(
                        "{} holds {address}, outside its VSwitch block {cidr}",
                        eni.id
                    ),
                ),
                Some(ip) if is_reserved(*cidr, ip) => report(
                    IP_NOT_RESERVED,
                    format!("{} holds {address}, a reserved address of {cidr}", eni.id),
                ),
                Some(_) => {}
            }
        }
        if let Some(primary) = &eni.primary {
            let first = primaries
                .entry(eni.id.clone())
                .or_insert_with(|| primary.clone());
            if first != primary {
                report(
                    PRIMARY_IP_STABLE,
                    format!(
                        "{}'s primary address changed from {first} to {primary}",
                        eni.id
                    ),
                );
            }
        }
        let cap = match eni.status.as_str() {
            "Available" => Some(profile.contract.available_cap),
            "InUse" => eni
                .instance_id
                .as_deref()
                .and_then(|instance| profile.instance_type_of(instance))
                .and_then(|instance_type| profile.contract.secondary_cap(instance_type)),
            _ => None,
        };
        if let Some(cap) = cap
            && eni.secondaries.len() > cap as usize
        {
            report(
                ENI_CAP_RESPECTED,
                format!(
                    "{} ({}) holds {} secondary addresses; the cap is {cap}",
                    eni.id,
                    eni.status,
                    eni.secondaries.len()
                ),
            );
        }
    }
    for (address, enis) in holders {
        if enis.len() > 1 {
            report(
                IP_UNIQUE_IN_VSWITCH,
                format!(
                    "{address} is held {} times: by {}",
                    enis.len(),
                    enis.join(", ")
                ),
            );
        }
    }
    violations
}

/// Properties of one transition: the state before a mutating request, its outcome, the state
/// after. `succeeded` is false for an error answer; a transport failure is an unknown outcome and
/// is not checked here.
pub fn check_transition(
    before: &Observation,
    after: &Observation,
    mutation: &Mutation,
    succeeded: bool,
    reported: &[String],
    checks: &CheckSet,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut report = |check: CheckInfo, message: String| {
        if checks.is_on(check) {
            violations.push(Violation { check, message });
        }
    };
    if !succeeded {
        for (id, old) in &before.enis {
            match after.enis.get(id) {
                // Deletion runs on after the request that started it; vanishing then is expected.
                None if old.status == "Deleting" => {}
                None => report(
                    FAILED_REQUEST_CHANGES_NOTHING,
                    format!("{id} disappeared after a failed request"),
                ),
                Some(new)
                    if new.primary != old.primary || new.secondary_set() != old.secondary_set() =>
                {
                    report(
                        FAILED_REQUEST_CHANGES_NOTHING,
                        format!(
                            "{id}'s addresses changed after a failed request: {} → {}",
                            describe_addresses(old.primary.as_deref(), &old.secondary_set()),
                            describe_addresses(new.primary.as_deref(), &new.secondary_set())
                        ),
                    )
                }
                Some(_) => {}
            }
        }
        for id in after
            .enis
            .keys()
            .filter(|id| !before.enis.contains_key(*id))
        {
            report(
                FAILED_REQUEST_CHANGES_NOTHING,
                format!("{id} appeared after a failed request"),
            );
        }
        return violations;
    }
    match mutation {
        Mutation::Assign {
            eni, client_token, ..
        } => {
            let (Some(old), Some(new)) = (before.enis.get(eni), after.enis.get(eni)) else {
                report(
                    ASSIGN_MATCHES_DESCRIBE,
                    format!("{eni} is not listed by DescribeNetworkInterfaces around the assign"),
                );
                return violations;
            };
            let reported: BTreeSet<String> = reported.iter().cloned().collect();
            // A replay may report addresses unassigned since the first request: what tells it
            // apart is that a token was given and nothing changed.
            let replay = client_token.is_some() && new.secondary_set() == old.secondary_set();
            if replay {
                return violations;
            }
            let reused: Vec<_> = reported
                .intersection(&old.secondary_set())
                .cloned()
                .collect();
            if !reused.is_empty() {
                report(
                    ASSIGN_MATCHES_DESCRIBE,
                    format!(
                        "the assign reported {} as new, but {eni} held them already",
                        reused.join(", ")
                    ),
                );
            }
            let expected: BTreeSet<String> =
                old.secondary_set().union(&reported).cloned().collect();
            if new.secondary_set() != expected {
                report(
                    ASSIGN_MATCHES_DESCRIBE,
                    format!(
                        "after the assign {eni} holds {}, but it held {} and the assign reported {}",
                        list(&new.secondary_set()),
                        list(&old.secondary_set()),
                        list(&reported)
                    ),
                );
            }
        }
        Mutation::Unassign { eni, named } => {
            let (Some(old), Some(new)) = (before.enis.get(eni), after.enis.get(eni)) else {
                report(
                    UNASSIGN_REMOVES_EXACTLY_NAMED,
                    format!("{eni} is not listed by DescribeNetworkInterfaces around the unassign"),
                );
                return violations;
            };
            let named: BTreeSet<String> = named.iter().cloned().collect();
            let expected: BTreeSet<String> =
                old.secondary_set().difference(&named).cloned().collect();
            if new.secondary_set() != expected {
                report(
                    UNASSIGN_REMOVES_EXACTLY_NAMED,
                    format!(
                        "after unassigning {} {eni} holds {}; expected {}",
                        list(&named),
                        list(&new.secondary_set()),
                        list(&expected)
                    ),
                );
            }
        }
        Mutation::Other => {}
    }
    violations
}

/// What a successful assign answer must say about itself, from the request alone.
pub fn check_assign_report(
    mutation: &Mutation,
    reported: &[String],
    checks: &CheckSet,
) -> Vec<Violation> {
    let Mutation::Assign {
        requested, count, ..
    } = mutation
    else {
        return Vec::new();
    };
    if !checks.is_on(ASSIGN_ADDS_EXACTLY_REPORTED) {
        return Vec::new();
    }
    let distinct: BTreeSet<String> = reported.iter().cloned().collect();
    let mut violations = Vec::new();
    let mut report = |message: String| {
        violations.push(Violation {
            check: ASSIGN_ADDS_EXACTLY_REPORTED,
            message,
        })
    };
    if distinct.len() != reported.len() {
        report(format!(
            "the assign reported an address twice: {}",
            reported.join(", ")
        ));
    }
    if let Some(count) = count {
        if reported.len() != *count {
            report(format!(
                "asked for {count} addresses, the assign reported {}: {}",
                reported.len(),
                reported.join(", ")
            ));
        }
    } else {
        let requested: BTreeSet<String> = requested.iter().cloned().collect();
        if requested != distinct {
            report(format!(
                "asked for {}, the assign reported {}",
                list(&requested),
                list(&distinct)
            ));
        }
    }
    violations
}

/// Concurrent successful assigns must never report the same address.
pub fn check_disjoint_reports(
    reports: &[(String, Vec<String>)],
    checks: &CheckSet,
) -> Vec<Violation> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut violations = Vec::new();
    for (step, addresses) in reports {
        for address in addresses {
            if let Some(first) = seen.insert(address, step)
                && checks.is_on(IP_UNIQUE_IN_VSWITCH)
            {
                violations.push(Violation {
                    check: IP_UNIQUE_IN_VSWITCH,
                    message: format!(
                        "{address} was handed out twice at once: to `{first}` and to `{step}`"
                    ),
                });
            }
        }
    }
    violations
}

fn list(addresses: &BTreeSet<String>) -> String {
    if addresses.is_empty() {
        "nothing".into()
    } else {
        addresses.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

fn describe_addresses(primary: Option<&str>, secondaries: &BTreeSet<String>) -> String {
    format!(
        "primary {} + [{}]",
        primary.unwrap_or("none"),
        secondaries.iter().cloned().collect::<Vec<_>>().join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::super::observe::EniView;
    use super::*;

    fn eni(id: &str, status: &str, primary: &str, secondaries: &[&str]) -> EniView {
        EniView {
            id: id.into(),
            status: status.into(),
            vswitch_id: "vsw-bp1main00000000000001".into(),
            instance_id: None,
            primary: Some(primary.into()),
            secondaries: secondaries.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn observation(enis: Vec<EniView>) -> Observation {
        Observation {
            enis: enis.into_iter().map(|e| (e.id.clone(), e)).collect(),
            requests: 0,
        }
    }

    fn names(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.check.name).collect()
    }

    #[test]
    fn reserved_addresses_are_the_first_and_last_three() {
        let cidr: Ipv4Net = "192.168.1.0/29".parse().unwrap();
        let reserved: Vec<u8> = (0..8)
            .filter(|i| is_reserved(cidr, Ipv4Addr::new(192, 168, 1, *i)))
            .collect();
        assert_eq!(reserved, [0, 5, 6, 7]);
    }

    #[test]
    fn canonical_addresses_only() {
        assert!(canonical_ipv4("10.0.0.1").is_some());
        assert!(canonical_ipv4("10.0.0.01").is_none());
        assert!(canonical_ipv4(" 10.0.0.1").is_none());
    }

    #[test]
    fn state_violations_are_found() {
        let profile = Profile::embedded();
        let state = observation(vec![
            eni(
                "eni-a",
                "Available",
                "192.168.0.10",
                &["192.168.0.11", "10.1.1.1", "192.168.0.255"],
            ),
            eni("eni-b", "Available", "192.168.0.11", &[]),
        ]);
        let mut primaries = BTreeMap::new();
        let found = check_state(&state, &profile, &CheckSet::default(), &mut primaries);
        assert_eq!(
            names(&found),
            [
                "ip_in_vswitch_cidr",
                "ip_not_reserved",
                "ip_unique_in_vswitch"
            ]
        );

        let moved = observation(vec![eni("eni-b", "Available", "192.168.0.12", &[])]);
        let found = check_state(&moved, &profile, &CheckSet::default(), &mut primaries);
        assert_eq!(names(&found), ["primary_ip_stable"]);
    }

    #[test]
    fn cap_is_checked_for_available_enis() {
        let profile = Profile::embedded();
        let many: Vec<String> = (20..31).map(|i| format!("192.168.0.{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let state = observation(vec![eni("eni-a", "Available", "192.168.0.10", &many)]);
        let found = check_state(&state, &profile, &CheckSet::default(), &mut BTreeMap::new());
        assert_eq!(names(&found), ["eni_cap_respected"]);
    }

    #[test]
    fn failed_request_must_change_nothing() {
        let before = observation(vec![eni("eni-a", "Available", "192.168.0.10", &[])]);
        let after = observation(vec![eni(
            "eni-a",
            "Available",
            "192.168.0.10",
            &["192.168.0.20"],
        )]);
        let found = check_transition(
            &before,
            &after,
            &Mutation::Other,
            false,
            &[],
            &CheckSet::default(),
        );
        assert_eq!(names(&found), ["failed_request_changes_nothing"]);
        let same = check_transition(
            &before,
            &before,
            &Mutation::Other,
            false,
            &[],
            &CheckSet::default(),
        );
        assert!(same.is_empty());
    }

    #[test]
    fn assign_must_add_exactly_what_it_reports() {
        let before = observation(vec![eni(
            "eni-a",
            "Available",
            "192.168.0.10",
            &["192.168.0.20"],
        )]);
        let after = observation(vec![eni(
            "eni-a",
            "Available",
            "192.168.0.10",
            &["192.168.0.20", "192.168.0.21", "192.168.0.22"],
        )]);
        let assign = Mutation::Assign {
            eni: "eni-a".into(),
            requested: vec![],
            count: Some(1),
            client_token: None,
        };
        let reported = vec!["192.168.0.21".to_string()];
        let found = check_transition(
            &before,
            &after,
            &assign,
            true,
            &reported,
            &CheckSet::default(),
        );
        assert_eq!(names(&found), ["assign_matches_describe"]);
        assert!(check_assign_report(&assign, &reported, &CheckSet::default()).is_empty());
        let two = vec!["192.168.0.21".to_string(), "192.168.0.22".to_string()];
        assert_eq!(
            names(&check_assign_report(&assign, &two, &CheckSet::default())),
            ["assign_adds_exactly_reported"]
        );
    }

    #[test]
    fn a_client_token_replay_allocates_nothing_and_is_accepted() {
        let state = observation(vec![eni(
            "eni-a",
            "Available",
            "192.168.0.10",
            &["192.168.0.21"],
        )]);
        let reported = vec!["192.168.0.21".to_string()];
        let retry = Mutation::Assign {
            eni: "eni-a".into(),
            requested: vec![],
            count: Some(1),
            client_token: Some("t".into()),
        };
        assert!(
            check_transition(
                &state,
                &state,
                &retry,
                true,
                &reported,
                &CheckSet::default()
            )
            .is_empty()
        );
        let no_token = Mutation::Assign {
            eni: "eni-a".into(),
            requested: vec![],
            count: Some(1),
            client_token: None,
        };
        assert_eq!(
            names(&check_transition(
                &state,
                &state,
                &no_token,
                true,
                &reported,
                &CheckSet::default()
            )),
            ["assign_matches_describe"]
        );
    }

    #[test]
    fn concurrent_reports_must_be_disjoint() {
        let reports = vec![
            ("a".to_string(), vec!["192.168.0.21".to_string()]),
            ("b".to_string(), vec!["192.168.0.21".to_string()]),
        ];
        assert_eq!(
            names(&check_disjoint_reports(&reports, &CheckSet::default())),
            ["ip_unique_in_vswitch"]
        );
    }
}
