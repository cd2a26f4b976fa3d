//! The fuzzer's oracle: what makes an answer or a state a finding. On top of the named checks
//! (`checks::response`, `checks::invariants`), every documented code must come with its
//! documented status, and the target must agree with the reference emulator (status and code;
//! for reads, the ENI it shows).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::checks::invariants::Violation;
use crate::checks::response::DOCUMENTED_CODES;
use crate::target::Exchange;

/// The finding's name when a target and the reference disagree.
pub const DIFFERENTIAL: &str = "differential";
/// The finding's name when a documented code comes with another status.
pub const CODE_STATUS: &str = "code_status_documented";

/// Documented code → HTTP status, from the seed page and the contract (common errors,
/// AssignPrivateIpAddresses rows, neighbouring actions). A code of `DOCUMENTED_CODES` missing here
/// has no documented status and is accepted with any 4xx.
pub const CODE_STATUS_TABLE: &[(&str, u16)] = &[
    ("MissingParameter", 400),
    ("InValidParameter", 400),
    ("InvalidParameter", 400),
    ("InvalidAction.NotFound", 404),
    ("InvalidAccessKeyId.NotFound", 404),
    ("SignatureDoesNotMatch", 400),
    ("SignatureNonceUsed", 400),
    ("InvalidTimeStamp.Expired", 400),
    ("InvalidRegionId.NotFound", 404),
    ("Throttling", 400),
    ("InternalError", 500),
    ("ServiceUnavailable", 503),
    ("InvalidPrivateIpAddress.Duplicated", 400),
    ("IdempotentParameterMismatch", 400),
    ("InvalidEniId.NotFound", 404),
    ("InvalidVSwitchId.NotFound", 404),
    ("InvalidOperation.InvalidEniState", 400),
    ("Operation.Conflict", 403),
    ("InvalidOperation.InvalidEcsState", 400),
    ("InvalidVSwitchId.IpInvalid", 403),
    ("InvalidIp.IpAssigned", 403),
    ("MaxEniPrivateIpsCountExceeded", 403),
    ("InvalidVSwitchId.IpNotEnough", 403),
    ("InvalidIp.IpUnassigned", 403),
    ("InvalidSecurityGroupId.NotFound", 404),
    ("InvalidInstanceId.NotFound", 404),
    ("RequestEntityTooLarge", 413),
];

/// The documented status of a code, if the contract gives one.
pub fn documented_status(code: &str) -> Option<u16> {
    CODE_STATUS_TABLE
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, status)| *status)
}

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
    pub kind: Kind,
    /// Index of the step in the sequence.
    pub step: usize,
    pub message: String,
}

/// A finding from a named check; the signature is the action (and the answer's code).
pub fn from_violation(
    violation: Violation,
    step: usize,
    action: &str,
    exchange: Option<&Exchange>,
) -> Finding {
    let code = exchange.map(signature_of).unwrap_or_default();
    Finding {
        kind: Kind {
            check: violation.check.name.into(),
            signature: format!("{action}{code}").trim().to_string(),
        },
        step,
        message: violation.message,
    }
}

/// ` 403 InvalidIp.IpAssigned`, ` 200`.
pub fn signature_of(exchange: &Exchange) -> String {
    match exchange.decoded.code.as_deref() {
        Some(code) if exchange.status != 200 => format!(" {} {code}", exchange.status),
        _ => format!(" {}", exchange.status),
    }
}

/// A documented code answered with a status the contract does not give it.
pub fn check_code_status(exchange: &Exchange, step: usize, action: &str) -> Option<Finding> {
    let code = exchange.decoded.code.as_deref()?;
    if exchange.status == 200 || !DOCUMENTED_CODES.contains(&code) {
        return None;
    }
    let expected = documented_status(code)?;
    (expected != exchange.status).then(|| Finding {
        kind: Kind {
            check: CODE_STATUS.into(),
            signature: format!("{code} {}", exchange.status),
        },
        step,
        message: format!(
            "{action} answered {code} with HTTP {}; the contract gives it {expected}",
            exchange.status
        ),
    })
}

/// Status and code must match the reference's.
pub fn compare_answers(
    target: &Exchange,
    reference: &Exchange,
    step: usize,
    action: &str,
    steered: bool,
) -> Option<Finding> {
    let (t_code, r_code) = (
        target.decoded.code.as_deref(),
        reference.decoded.code.as_deref(),
    );
    let same = target.status == reference.status && (target.status == 200 || t_code == r_code);
    if same {
        return None;
    }
    let message = if steered {
        format!(
            "the target chose addresses itself and answered{}, but the reference rejects that choice with{}{}",
            signature_of(target),
            signature_of(reference),
            reference
                .decoded
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )
    } else {
        format!(
            "the target answered{}{}; the contract (reference emulator) answers{}{}",
            signature_of(target),
            target
                .decoded
                .message
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default(),
            signature_of(reference),
            reference
                .decoded
                .message
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        )
    };
    Some(Finding {
        kind: Kind {
            check: DIFFERENTIAL.into(),
            signature: format!(
                "{action}:{} vs{}",
                signature_of(target),
                signature_of(reference)
            ),
        },
        step,
        message,
    })
}

/// What a successful read shows about one ENI: status and addresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShownEni {
    pub status: String,
    pub primary: Option<String>,
    pub secondaries: BTreeSet<String>,
}

/// The ENIs a Describe answer shows, in order (either action's shape).
pub fn shown_enis(exchange: &Exchange) -> Vec<ShownEni> {
    let decoded = &exchange.decoded;
    let one = |value: &serde_json::Value| {
        let text = |v: &serde_json::Value, key: &str| {
            v.get(key).and_then(|f| f.as_str()).map(str::to_string)
        };
        let mut primary = text(value, "PrivateIpAddress");
        let mut secondaries = BTreeSet::new();
        let sets = value
            .get("PrivateIpSets")
            .and_then(|s| s.get("PrivateIpSet"))
            .and_then(|s| s.as_array());
        for set in sets.into_iter().flatten() {
            let Some(address) = text(set, "PrivateIpAddress") else {
                continue;
            };
            if text(set, "Primary").as_deref() == Some("true") {
                primary.get_or_insert(address);
            } else {
                secondaries.insert(address);
            }
        }
        ShownEni {
            status: text(value, "Status").unwrap_or_default(),
            primary,
            secondaries,
        }
    };
    match decoded
        .get("NetworkInterfaceSets.NetworkInterfaceSet")
        .and_then(|v| v.as_array())
    {
        Some(list) => list.iter().map(one).collect(),
        None => vec![one(&decoded.body)],
    }
}

/// Reads must show what the reference shows, for the ENIs whose primary address lies in one of
/// the `scope` blocks (the sequence's VSwitches: the reference knows nothing of other ENIs of a
/// shared endpoint). `with_status`: compare statuses too (only when both run on the same
/// virtual clock).
pub fn compare_reads(
    target: &Exchange,
    reference: &Exchange,
    step: usize,
    action: &str,
    with_status: bool,
    scope: &[Ipv4Net],
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
            .and_then(|primary| primary.parse::<Ipv4Addr>().ok())
            .is_none_or(|primary| scope.iter().any(|block| block.contains(&primary)))
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
    (t != r).then(|| Finding {
        kind: Kind {
            check: DIFFERENTIAL.into(),
            signature: format!("{action}: shows other addresses or status"),
        },
        step,
        message: format!(
            "{action} shows {}; the reference shows {}",
            show(&t),
            show(&r)
        ),
    })
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

    #[test]
    fn reads_are_compared_within_the_sequences_vswitches_only() {
        let lane: Vec<Ipv4Net> = vec!["10.0.1.0/24".parse().unwrap()];
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
        let lane: Vec<Ipv4Net> = vec!["10.0.1.0/24".parse().unwrap()];
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

    #[test]
    fn every_status_in_the_table_is_for_a_documented_code() {
        for (code, status) in CODE_STATUS_TABLE {
            assert!(DOCUMENTED_CODES.contains(code), "{code}");
            assert!((400..600).contains(status));
        }
    }
}
