//! The fuzzer's oracle: what makes an answer or a state a finding. On top of the named checks
//! (`checks::response`, `checks::invariants`), a code must come with the status the contract
//! gives it, and the target must agree with the reference emulator as far as the contract
//! decides (`super::contract`): answers, reads of the sequence's ENIs, and the state after
//! every mutating step. Every finding names the contract rule it rests on.

use std::collections::{BTreeMap, BTreeSet};

use super::contract::{self, Judgement};
use super::endpoint::{end_of, is_transitional};
use crate::checks::codes::documented_everywhere;
use crate::checks::invariants::Violation;
use crate::checks::observe::{EniView, Observation};
use crate::checks::{self, CheckSet, describe};
use crate::targets::Exchange;

/// The finding's name when a target and the reference disagree.
pub const DIFFERENTIAL: &str = checks::DIFFERENTIAL.name;
/// The finding's name when a documented code comes with another status.
pub const CODE_STATUS: &str = checks::CODE_STATUS_DOCUMENTED.name;

/// What kind of finding: deduplicated on this.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind {
    /// A check name, `differential` or `code_status_documented`.
    pub check: String,
    /// The code/status signature, without addresses or ids.
    pub signature: String,
}

impl Kind {
    /// An address handed out twice: held by two ENIs at once, or given where the contract
    /// answers `InvalidIp.IpAssigned`.
    pub fn is_double_allocation(&self) -> bool {
        self.check == crate::checks::IP_UNIQUE_IN_VSWITCH.name
            || self.signature.contains("InvalidIp.IpAssigned")
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.signature.is_empty() {
            write!(f, "{}", self.check)
        } else {
            write!(f, "{} ({})", self.check, self.signature)
        }
    }
}

/// One thing that went wrong at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind of thing went wrong: one of each kind is reported per run.
    pub kind: Kind,
    /// Index of the step in the sequence.
    pub step: usize,
    /// What went wrong, ending with the rule it rests on.
    pub message: String,
    /// The contract rule the finding rests on: `AssignPrivateIpAddresses row 14`, `invariant 2`.
    pub rests_on: String,
}

impl Finding {
    /// A finding of `check`, resting on `rests_on`; the rule is named in the message too.
    /// What the endpoint sent is bounded here (its signature to one line's limit, the message as
    /// a failure's), so that a 3 MB message is not printed, kept and written whole.
    pub fn new(mut kind: Kind, step: usize, message: impl Into<String>, rests_on: &str) -> Finding {
        if kind.signature.len() > crate::escape::LINE_LIMIT {
            kind.signature =
                crate::escape::cut(&kind.signature, crate::escape::LINE_LIMIT).into_owned();
        }
        Finding {
            kind,
            step,
            message: format!(
                "{} [contract: {rests_on}]",
                crate::escape::bounded_message(message.into())
            ),
            rests_on: rests_on.to_string(),
        }
    }
}

/// A finding from a named check; the signature is the action (and the answer's code).
pub fn from_violation(
    violation: Violation,
    step: usize,
    action: &str,
    exchange: Option<&Exchange>,
) -> Finding {
    let code = exchange.map(signature_of).unwrap_or_default();
    let kind = Kind {
        check: violation.check.name.into(),
        signature: format!("{action}{code}").trim().to_string(),
    };
    let rests_on = contract::rests_on_check(violation.check.name);
    Finding::new(kind, step, violation.message, rests_on)
}

/// ` 403 InvalidIp.IpAssigned`, ` 200`.
pub fn signature_of(exchange: &Exchange) -> String {
    match exchange.decoded.code.as_deref() {
        Some(code) if exchange.status != 200 => format!(" {} {code}", exchange.status),
        _ => format!(" {}", exchange.status),
    }
}

/// A documented code answered with a status the contract does not give it (for this action;
/// the neighbouring actions' statuses are the endpoint's).
pub fn check_code_status(
    exchange: &Exchange,
    step: usize,
    action: &str,
    checks: &CheckSet,
) -> Option<Finding> {
    if !checks.is_on(checks::CODE_STATUS_DOCUMENTED) {
        return None;
    }
    let code = exchange.decoded.code.as_deref()?;
    if exchange.status == 200 || !documented_everywhere(code) {
        return None;
    }
    let expected = contract::documented_status(action, code)?;
    (expected != exchange.status).then(|| {
        let kind = Kind {
            check: CODE_STATUS.into(),
            signature: format!("{code} {}", exchange.status),
        };
        let rests_on = contract::ruling(action, code).map_or("", |r| r.rests_on);
        Finding::new(
            kind,
            step,
            format!(
                "{action} answered {code} with HTTP {}; the contract gives it {expected}",
                exchange.status
            ),
            &format!("{}; {rests_on}", contract::rests_on_check(CODE_STATUS)),
        )
    })
}

/// The finding for a judgement that the contract decides otherwise (`None` for any other, or
/// when the profile turned `differential` off).
pub fn differential(
    judgement: &Judgement,
    target: &Exchange,
    reference: &Exchange,
    step: usize,
    action: &str,
    steered: bool,
    checks: &CheckSet,
) -> Option<Finding> {
    if !checks.is_on(checks::DIFFERENTIAL) {
        return None;
    }
    let Judgement::Differs {
        ruling, message, ..
    } = judgement
    else {
        return None;
    };
    let kind = Kind {
        check: DIFFERENTIAL.into(),
        signature: format!(
            "{action}:{} vs{}",
            signature_of(target),
            signature_of(reference)
        ),
    };
    let how = if steered {
        " (the reference was given the target's own choice of addresses)"
    } else {
        ""
    };
    let mut text = format!("{action}: {message}{how}");
    for (side, exchange) in [("target", target), ("reference", reference)] {
        if let Some(said) = exchange.decoded.message.as_deref() {
            text.push_str(&format!("; the {side} says: {said}"));
        }
    }
    Some(Finding::new(kind, step, text, ruling.rests_on))
}

/// What a successful read shows about one ENI: status and addresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShownEni {
    /// The ENI's `Status` (`Available`, `InUse`, ...).
    pub status: String,
    /// Its primary address, when the answer shows one.
    pub primary: Option<String>,
    /// Its secondary addresses.
    pub secondaries: BTreeSet<String>,
}

/// The ENIs a Describe answer shows, in order (either action's shape).
pub fn shown_enis(exchange: &Exchange) -> Vec<ShownEni> {
    describe::enis(&exchange.decoded)
        .into_iter()
        .map(|shown| {
            let mut primary = shown.private_ip;
            let mut secondaries = BTreeSet::new();
            for ip in shown.ips {
                if ip.primary {
                    primary.get_or_insert(ip.address);
                } else {
                    secondaries.insert(ip.address);
                }
            }
            ShownEni {
                status: shown.status.unwrap_or_default(),
                primary,
                secondaries,
            }
        })
        .collect()
}

/// Reads must show what the reference shows, for the ENIs whose primary address is one of
/// `compared` (the sequence's own ENIs and the fixtures': the reference's copies of other ENIs
/// are ghosts that only hold the same addresses). `with_status`: compare statuses too (only when
/// both run on the same virtual clock).
pub fn compare_reads(
    target: &Exchange,
    reference: &Exchange,
    step: usize,
    action: &str,
    with_status: bool,
    compared: &BTreeSet<String>,
) -> Option<Finding> {
    if target.status != 200 || reference.status != 200 {
        return None;
    }
    // One page of a listing shows ENIs in id order, and the reference's ids differ (its copies
    // of the endpoint's other ENIs are new ENIs): only whole listings can be compared.
    let whole = |exchange: &Exchange, shown: usize| {
        exchange
            .decoded
            .get("TotalCount")
            // Decoded answers keep numbers as text (XML has nothing else).
            .and_then(|total| total.as_u64().or_else(|| total.as_str()?.parse().ok()))
            .is_none_or(|total: u64| total == shown as u64)
    };
    let (target_enis, reference_enis) = (shown_enis(target), shown_enis(reference));
    if !whole(target, target_enis.len()) || !whole(reference, reference_enis.len()) {
        return None;
    }
    let in_scope = |eni: &ShownEni| {
        eni.primary
            .as_deref()
            .is_none_or(|primary| compared.contains(primary))
    };
    let strip = |mut enis: Vec<ShownEni>| {
        enis.retain(in_scope);
        if !with_status {
            enis.iter_mut().for_each(|eni| eni.status.clear());
        }
        enis.sort();
        enis
    };
    let (t, r) = (strip(target_enis), strip(reference_enis));
    (t != r).then(|| {
        let kind = Kind {
            check: DIFFERENTIAL.into(),
            signature: format!("{action}: shows other addresses or status"),
        };
        Finding::new(
            kind,
            step,
            format!(
                "{action} shows {}; the reference shows {}",
                show(&t),
                show(&r)
            ),
            STATE_RULE,
        )
    })
}

/// What the state comparisons rest on.
pub const STATE_RULE: &str =
    "invariants 5 and 6 (each request changes exactly what it reports, as Describe shows)";

/// One ENI compared between the two sides: its id on the target and in the reference (`None`:
/// it does not exist there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// Its id on the target; `None`: it does not exist there.
    pub target: Option<String>,
    /// Its id in the reference; `None`: it does not exist there.
    pub reference: Option<String>,
}

/// After a mutating step, the sequence's ENIs and the fixtures' must be on the target what they
/// are in the reference: the same addresses, and the same status. On a real clock a transition
/// may have ended on the target and not yet in the reference (its transitions end when the
/// target's are seen to), so the target may be one transition ahead.
pub fn compare_states(
    target: &Observation,
    reference: &Observation,
    pairs: &[Pair],
    real_clock: bool,
    step: usize,
    action: &str,
) -> Option<Finding> {
    let mut differences = Vec::new();
    for pair in pairs {
        let t = pair.target.as_ref().and_then(|id| target.enis.get(id));
        let r = pair
            .reference
            .as_ref()
            .and_then(|id| reference.enis.get(id));
        let name = pair
            .target
            .as_deref()
            .or(pair.reference.as_deref())
            .unwrap_or("?");
        match (t, r) {
            (None, None) => {}
            (None, Some(r)) if real_clock && r.status == "Deleting" => {}
            (Some(t), Some(r)) => {
                let ahead = real_clock
                    && is_transitional(&r.status)
                    && end_of(&r.status) == Some(t.status.as_str());
                if t.status != r.status && !ahead {
                    differences.push(format!(
                        "{name} is {} on the target, {} in the reference",
                        t.status, r.status
                    ));
                }
                if t.primary != r.primary
                    || t.secondary_set() != r.secondary_set()
                    || t.prefix_set() != r.prefix_set()
                {
                    differences.push(format!(
                        "{name} holds {} on the target, {} in the reference",
                        addresses(t),
                        addresses(r)
                    ));
                }
            }
            (Some(t), None) => differences.push(format!(
                "{name} exists on the target ({}), not in the reference",
                t.status
            )),
            (None, Some(r)) => differences.push(format!(
                "{name} is gone from the target, {} in the reference",
                r.status
            )),
        }
    }
    if differences.is_empty() {
        return None;
    }
    let kind = Kind {
        check: DIFFERENTIAL.into(),
        signature: format!("state after {action}"),
    };
    Some(Finding::new(
        kind,
        step,
        format!("after {action}: {}", differences.join("; ")),
        STATE_RULE,
    ))
}

fn addresses(eni: &EniView) -> String {
    let secondaries: Vec<String> = eni.secondary_set().into_iter().collect();
    let held = format!(
        "{} + [{}]",
        eni.primary.as_deref().unwrap_or("none"),
        secondaries.join(", ")
    );
    let prefixes: Vec<String> = eni.prefix_set().into_iter().collect();
    if prefixes.is_empty() {
        held
    } else {
        format!("{held} and prefixes [{}]", prefixes.join(", "))
    }
}

/// Statuses by ENI id, for the race checks.
pub fn statuses(observation: &Observation) -> BTreeMap<String, String> {
    observation
        .enis
        .iter()
        .map(|(id, e)| (id.clone(), e.status.clone()))
        .collect()
}

fn show(enis: &[ShownEni]) -> String {
    let items: Vec<String> = enis
        .iter()
        .map(|eni| {
            format!(
                "{} primary {} + [{}]",
                if eni.status.is_empty() {
                    "?"
                } else {
                    &eni.status
                },
                eni.primary.as_deref().unwrap_or("none"),
                eni.secondaries
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    if items.is_empty() {
        "no ENI".into()
    } else {
        items.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(total: usize, primaries: &[&str]) -> Exchange {
        let sets: Vec<String> = primaries
            .iter()
            .map(|p| format!(r#"{{"Status":"Available","PrivateIpAddress":"{p}"}}"#))
            .collect();
        let body = format!(
            r#"{{"RequestId":"r","TotalCount":{total},"NetworkInterfaceSets":{{"NetworkInterfaceSet":[{}]}}}}"#,
            sets.join(",")
        );
        Exchange {
            method: "POST",
            params: Vec::new(),
            raw_query: None,
            status: 200,
            content_type: Some("application/json".into()),
            decoded: crate::wire::decode::decode_response(
                200,
                Some("application/json"),
                body.as_bytes(),
            ),
            body: body.into(),
            elapsed: std::time::Duration::ZERO,
        }
    }

    fn refusal(status: u16, code: &str) -> Exchange {
        let body = format!(r#"{{"RequestId":"r","Code":"{code}","Message":"m"}}"#);
        Exchange {
            status,
            decoded: crate::wire::decode::decode_response(
                status,
                Some("application/json"),
                body.as_bytes(),
            ),
            body: body.into(),
            ..listing(0, &[])
        }
    }

    #[test]
    fn the_fuzzers_own_checks_obey_the_profile() {
        let on = CheckSet::default();
        let off = CheckSet::without(["code_status_documented", "differential"]).unwrap();
        // The contract gives InvalidIp.IpAssigned 403 on an assign.
        let wrong = refusal(400, "InvalidIp.IpAssigned");
        let assign = "AssignPrivateIpAddresses";
        let found = check_code_status(&wrong, 0, assign, &on).expect("a wrong status");
        assert_eq!(found.kind.check, CODE_STATUS);
        assert!(check_code_status(&wrong, 0, assign, &off).is_none());
        // The target accepts what the reference refuses by a row of the table.
        let accepted = listing(0, &[]);
        let refused = refusal(403, "InvalidIp.IpAssigned");
        let judgement = contract::judge("seed", assign, answer_of(&accepted), answer_of(&refused));
        assert!(
            matches!(judgement, Judgement::Differs { .. }),
            "{judgement:?}"
        );
        let found = differential(&judgement, &accepted, &refused, 0, assign, false, &on)
            .expect("a difference the contract decides");
        assert_eq!(found.kind.check, DIFFERENTIAL);
        assert!(differential(&judgement, &accepted, &refused, 0, assign, false, &off).is_none());
    }

    fn answer_of(exchange: &Exchange) -> contract::Answer<'_> {
        contract::Answer {
            status: exchange.status,
            code: exchange.decoded.code.as_deref(),
        }
    }

    fn compared(primaries: &[&str]) -> BTreeSet<String> {
        primaries.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn reads_are_compared_for_the_sequences_enis_only() {
        let lane = compared(&["10.0.1.5", "10.0.1.6"]);
        // The endpoint also shows another lane's ENI; the reference knows nothing of it.
        let target = listing(3, &["10.0.1.5", "10.0.2.9", "10.0.1.6"]);
        let reference = listing(2, &["10.0.1.6", "10.0.1.5"]);
        assert_eq!(
            compare_reads(
                &target,
                &reference,
                0,
                "DescribeNetworkInterfaces",
                true,
                &lane
            ),
            None
        );
        // Within the lane a missing ENI is a finding.
        let short = listing(2, &["10.0.1.5", "10.0.2.9"]);
        let finding = compare_reads(
            &short,
            &reference,
            0,
            "DescribeNetworkInterfaces",
            true,
            &lane,
        )
        .expect("a differing read is a finding");
        assert_eq!(finding.kind.check, DIFFERENTIAL);
    }

    #[test]
    fn one_page_of_a_longer_listing_is_not_compared() {
        let lane = compared(&["10.0.1.5", "10.0.2.1"]);
        // Ten of twelve ENIs: the lane's ENI may be on the next page.
        let page = listing(12, &["10.0.2.1"; 10]);
        let reference = listing(1, &["10.0.1.5"]);
        assert_eq!(
            compare_reads(
                &page,
                &reference,
                0,
                "DescribeNetworkInterfaces",
                true,
                &lane
            ),
            None
        );
        let whole = listing(10, &["10.0.2.1"; 10]);
        assert!(
            compare_reads(
                &whole,
                &reference,
                0,
                "DescribeNetworkInterfaces",
                true,
                &lane
            )
            .is_some()
        );
    }

    fn view(id: &str, status: &str, secondaries: &[&str]) -> (String, EniView) {
        let eni = EniView {
            id: id.into(),
            status: status.into(),
            vswitch_id: "vsw".into(),
            instance_id: None,
            primary: Some("10.0.1.5".into()),
            secondaries: secondaries.iter().map(|s| s.to_string()).collect(),
            prefixes: Vec::new(),
        };
        (id.into(), eni)
    }

    /// The same addresses but another prefix set is a difference (the reference holds the
    /// blocks the target reported: a count's picks are copied onto it).
    #[test]
    fn states_differing_only_in_prefixes_differ() {
        let observe = |prefixes: &[&str]| {
            let (id, mut eni) = view("eni-1", "Available", &["10.0.1.6"]);
            eni.prefixes = prefixes.iter().map(|p| p.to_string()).collect();
            Observation {
                enis: [(id, eni)].into_iter().collect(),
                requests: 0,
            }
        };
        let pairs = [Pair {
            target: Some("eni-1".into()),
            reference: Some("eni-1".into()),
        }];
        let target = observe(&["10.0.1.16/28"]);
        let same = observe(&["10.0.1.16/28"]);
        let other = observe(&["10.0.1.32/28"]);
        assert!(
            compare_states(&target, &same, &pairs, false, 1, "AssignPrivateIpAddresses").is_none()
        );
        let found = compare_states(
            &target,
            &other,
            &pairs,
            false,
            1,
            "AssignPrivateIpAddresses",
        )
        .expect("a prefix difference is found");
        assert!(found.message.contains("10.0.1.32/28"), "{}", found.message);
    }

    #[test]
    fn states_are_compared_one_transition_apart_on_a_real_clock_only() {
        let observe = |enis: Vec<(String, EniView)>| Observation {
            enis: enis.into_iter().collect(),
            requests: 0,
        };
        let pairs = [Pair {
            target: Some("eni-t".into()),
            reference: Some("eni-r".into()),
        }];
        let target = observe(vec![view("eni-t", "InUse", &["10.0.1.9"])]);
        let reference = observe(vec![view("eni-r", "Attaching", &["10.0.1.9"])]);
        assert_eq!(
            compare_states(&target, &reference, &pairs, true, 0, "A"),
            None
        );
        assert!(compare_states(&target, &reference, &pairs, false, 0, "A").is_some());
        // Addresses must agree whatever the clock.
        let other = observe(vec![view("eni-r", "Attaching", &["10.0.1.10"])]);
        let finding = compare_states(&target, &other, &pairs, true, 0, "A").unwrap();
        assert_eq!(finding.rests_on, STATE_RULE);
        assert!(
            finding.message.contains("[contract: invariants 5 and 6"),
            "{}",
            finding.message
        );
        // Gone on the target while Deleting in the reference is one transition ahead.
        let deleting = observe(vec![view("eni-r", "Deleting", &[])]);
        assert_eq!(
            compare_states(&observe(vec![]), &deleting, &pairs, true, 0, "A"),
            None
        );
    }
}
