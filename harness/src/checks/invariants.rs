//! The IP invariants of the contract, checked on raw observed values: properties of one state
//! (addresses inside the block, not reserved, unique, under the cap, primaries stable) and of
//! one transition (a failure changes nothing; an assign adds exactly what it reports; an unassign
//! removes exactly what it names). Under a contract with IPv4 prefixes the same functions judge
//! prefixes too (aligned /28s inside the block, disjoint from every address and prefix of the
//! VSwitch, one cap slot each, added and removed exactly), so the runner and the fuzzers, which
//! call them after every mutating step, check prefixes without knowing about them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::describe::{ASSIGNED_PATH, ASSIGNED_PREFIX_PATH};
use super::observe::{EniView, Observation};
use super::{
    ASSIGN_ADDS_EXACTLY_REPORTED, ASSIGN_MATCHES_DESCRIBE, CheckInfo, CheckSet, ENI_CAP_RESPECTED,
    FAILED_REQUEST_CHANGES_NOTHING, IP_IN_VSWITCH_CIDR, IP_NOT_RESERVED, IP_UNIQUE_IN_VSWITCH,
    PREFIX_ALIGNED_IN_VSWITCH, PREFIX_DISJOINT_IN_VSWITCH, PRIMARY_IP_STABLE,
    UNASSIGN_REMOVES_EXACTLY_NAMED,
};
use crate::profile::Profile;
use crate::wire::Decoded;

/// A check that did not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The check that did not hold.
    pub check: CheckInfo,
    /// What was seen, naming the ENI, address or request concerned.
    pub message: String,
}

/// Where a check function gathers what it finds: a check turned off reports nothing, so the
/// checks themselves need not ask.
pub(super) struct Findings<'a> {
    checks: &'a CheckSet,
    violations: &'a mut Vec<Violation>,
}

impl<'a> Findings<'a> {
    pub(super) fn new(checks: &'a CheckSet, violations: &'a mut Vec<Violation>) -> Self {
        Findings { checks, violations }
    }

    /// Records that `check` did not hold, if it is on.
    pub(super) fn report(&mut self, check: CheckInfo, message: String) {
        if self.checks.is_on(check) {
            self.violations.push(Violation { check, message });
        }
    }
}

/// What a mutating request asked for, as far as the transition checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// An `AssignPrivateIpAddresses`.
    Assign {
        /// `NetworkInterfaceId`.
        eni: String,
        /// `PrivateIpAddress.N`, as the request spelled them.
        requested: Vec<String>,
        /// `SecondaryPrivateIpAddressCount`.
        count: Option<usize>,
        /// `Ipv4Prefix.N`, whatever the contract: the checks judge prefixes only under one
        /// with prefixes.
        prefixes: Vec<String>,
        /// `Ipv4PrefixCount`, the same way.
        prefix_count: Option<usize>,
        /// `ClientToken`: a retry with a used token answers the first request's addresses
        /// again and allocates nothing (contract row 7). An empty token is no token.
        client_token: Option<String>,
    },
    /// An `UnassignPrivateIpAddresses`.
    Unassign {
        /// `NetworkInterfaceId`.
        eni: String,
        /// `PrivateIpAddress.N`, as the request spelled them.
        named: Vec<String>,
        /// `Ipv4Prefix.N`.
        prefixes: Vec<String>,
    },
    /// A create: beside "a failure changes nothing", the new ENI holds the prefixes asked for.
    Create {
        /// `Ipv4Prefix.N`.
        prefixes: Vec<String>,
        /// `Ipv4PrefixCount`.
        prefix_count: Option<usize>,
        /// `ClientToken`.
        client_token: Option<String>,
    },
    /// Attach, detach, delete: only "a failure changes nothing" applies.
    Other,
}

/// What a successful answer says it did: the addresses and prefixes an assign reports, and the
/// ENI it names (a create's new ENI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reported {
    pub addresses: Vec<String>,
    pub prefixes: Vec<String>,
    pub eni: Option<String>,
}

impl Reported {
    /// Reads an answer: `AssignedPrivateIpAddressesSet`'s `PrivateIpSet` and `Ipv4PrefixSet`,
    /// and the `NetworkInterfaceId` a create answers.
    pub(crate) fn of(decoded: &Decoded) -> Reported {
        Reported {
            addresses: decoded.strings_at(ASSIGNED_PATH),
            prefixes: decoded.strings_at(ASSIGNED_PREFIX_PATH),
            eni: decoded
                .get("NetworkInterfaceId")
                .and_then(|id| id.as_str())
                .map(str::to_string),
        }
    }

    /// Addresses only, as an answer of the seed contract reports them.
    #[cfg(test)]
    pub(crate) fn addresses(addresses: Vec<String>) -> Reported {
        Reported {
            addresses,
            ..Reported::default()
        }
    }
}

/// The length of every IPv4 prefix the contract knows.
pub(crate) const PREFIX_LEN: u8 = 28;

/// Parses a prefix the way the contract requires it written: a canonical address, `/28`. The
/// block may still be unaligned (`192.168.0.17/28`): [`Ipv4Net::trunc`] tells.
pub(crate) fn canonical_prefix(text: &str) -> Option<Ipv4Net> {
    let (address, len) = text.split_once('/')?;
    let address = canonical_ipv4(address)?;
    (len == PREFIX_LEN.to_string()).then_some(())?;
    Ipv4Net::new(address, PREFIX_LEN).ok()
}

/// Whether `prefix` holds a reserved address of `cidr`.
fn holds_reserved(cidr: Ipv4Net, prefix: Ipv4Net) -> bool {
    let range = u32::from(prefix.network())..=u32::from(prefix.broadcast());
    range
        .into_iter()
        .any(|ip| is_reserved(cidr, Ipv4Addr::from(ip)))
}

/// The addresses reserved in a block: its first and its last three.
pub(crate) fn is_reserved(cidr: Ipv4Net, address: Ipv4Addr) -> bool {
    let network = u32::from(cidr.network());
    let broadcast = u32::from(cidr.broadcast());
    let address = u32::from(address);
    address == network || address + 3 > broadcast
}

/// Parses an address the way the contract requires it written: a canonical dotted quad.
pub(crate) fn canonical_ipv4(text: &str) -> Option<Ipv4Addr> {
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
    let cidrs: BTreeMap<&str, Ipv4Net> = profile
        .vswitches()
        .map(|(_, id, cidr)| (id, cidr))
        .collect();
    let mut violations = if checks.prefixes() {
        prefix_state(observation, &cidrs, checks)
    } else {
        Vec::new()
    };
    let mut found = Findings::new(checks, &mut violations);
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
                None => found.report(
                    IP_IN_VSWITCH_CIDR,
                    format!(
                        "{} holds `{address}`, which is not a canonical IPv4 address",
                        eni.id
                    ),
                ),
                Some(ip) if !cidr.contains(&ip) => found.report(
                    IP_IN_VSWITCH_CIDR,
                    format!(
                        "{} holds {address}, outside its VSwitch block {cidr}",
                        eni.id
                    ),
                ),
                Some(ip) if is_reserved(*cidr, ip) => found.report(
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
                found.report(
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
        // Each prefix takes one slot of the cap, where the contract has prefixes.
        let prefixes = if checks.prefixes() {
            eni.prefixes.len()
        } else {
            0
        };
        if let Some(cap) = cap
            && eni.secondaries.len() + prefixes > cap as usize
        {
            let held = if prefixes > 0 {
                format!(
                    "{} secondary addresses and {prefixes} prefixes",
                    eni.secondaries.len()
                )
            } else {
                format!("{} secondary addresses", eni.secondaries.len())
            };
            found.report(
                ENI_CAP_RESPECTED,
                format!("{} ({}) holds {held}; the cap is {cap}", eni.id, eni.status),
            );
        }
    }
    for (address, enis) in holders {
        if enis.len() > 1 {
            found.report(
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

/// The prefix invariants of one state: each prefix a canonical aligned /28 inside its VSwitch
/// block holding no reserved address; within a VSwitch no address inside a prefix and no two
/// prefixes overlapping (an ENI's own addresses and prefixes included).
fn prefix_state(
    observation: &Observation,
    cidrs: &BTreeMap<&str, Ipv4Net>,
    checks: &CheckSet,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut found = Findings::new(checks, &mut violations);
    // Per VSwitch: the blocks held (prefix as written, its block, holder) and the addresses.
    type Held<'o> = (Vec<(&'o str, Ipv4Net, &'o str)>, Vec<(Ipv4Addr, &'o str)>);
    let mut by_vswitch: BTreeMap<&str, Held<'_>> = BTreeMap::new();
    for eni in observation.enis.values() {
        let held = by_vswitch.entry(eni.vswitch_id.as_str()).or_default();
        for address in eni.primary.iter().chain(eni.secondaries.iter()) {
            if let Some(ip) = canonical_ipv4(address) {
                held.1.push((ip, eni.id.as_str()));
            }
        }
        for text in &eni.prefixes {
            let Some(prefix) = canonical_prefix(text) else {
                found.report(
                    PREFIX_ALIGNED_IN_VSWITCH,
                    format!(
                        "{} holds the prefix `{text}`, which is not a canonical IPv4 /28",
                        eni.id
                    ),
                );
                continue;
            };
            if prefix.trunc() != prefix {
                found.report(
                    PREFIX_ALIGNED_IN_VSWITCH,
                    format!(
                        "{} holds the prefix {text}, which is not aligned (the block is {})",
                        eni.id,
                        prefix.trunc()
                    ),
                );
            }
            let block = prefix.trunc();
            held.0.push((text.as_str(), block, eni.id.as_str()));
            let Some(cidr) = cidrs.get(eni.vswitch_id.as_str()) else {
                continue;
            };
            if !cidr.contains(&block) {
                found.report(
                    PREFIX_ALIGNED_IN_VSWITCH,
                    format!(
                        "{} holds the prefix {text}, outside its VSwitch block {cidr}",
                        eni.id
                    ),
                );
            } else if holds_reserved(*cidr, block) {
                found.report(
                    PREFIX_ALIGNED_IN_VSWITCH,
                    format!(
                        "{} holds the prefix {text}, which holds a reserved address of {cidr}",
                        eni.id
                    ),
                );
            }
        }
    }
    for (vswitch, (prefixes, addresses)) in &by_vswitch {
        for (i, (text, block, holder)) in prefixes.iter().enumerate() {
            for (other_text, other, other_holder) in &prefixes[i + 1..] {
                if block.contains(other) || other.contains(block) {
                    found.report(
                        PREFIX_DISJOINT_IN_VSWITCH,
                        format!(
                            "the prefixes {text} of {holder} and {other_text} of {other_holder} overlap in VSwitch {vswitch}"
                        ),
                    );
                }
            }
            for (ip, address_holder) in addresses {
                if block.contains(ip) {
                    found.report(
                        PREFIX_DISJOINT_IN_VSWITCH,
                        format!(
                            "{ip} of {address_holder} lies inside the prefix {text} of {holder} in VSwitch {vswitch}"
                        ),
                    );
                }
            }
        }
    }
    violations
}

/// Properties of one transition: the state before a mutating request, its outcome, the state
/// after. `succeeded` is false for an error answer; a transport failure is an unknown outcome and
/// is not checked here.
pub(crate) fn check_transition(
    before: &Observation,
    after: &Observation,
    mutation: &Mutation,
    succeeded: bool,
    reported: &Reported,
    checks: &CheckSet,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut found = Findings::new(checks, &mut violations);
    // Prefixes as the checks see them: none at all under a contract without them.
    let prefixes_of = |eni: &EniView| -> BTreeSet<String> {
        if checks.prefixes() {
            eni.prefix_set()
        } else {
            BTreeSet::new()
        }
    };
    if !succeeded {
        for (id, old) in &before.enis {
            match after.enis.get(id) {
                // Deletion runs on after the request that started it; vanishing then is expected.
                None if old.status == "Deleting" => {}
                None => found.report(
                    FAILED_REQUEST_CHANGES_NOTHING,
                    format!("{id} disappeared after a failed request"),
                ),
                Some(new)
                    if new.primary != old.primary || new.secondary_set() != old.secondary_set() =>
                {
                    found.report(
                        FAILED_REQUEST_CHANGES_NOTHING,
                        format!(
                            "{id}'s addresses changed after a failed request: {} → {}",
                            describe_addresses(old.primary.as_deref(), &old.secondary_set()),
                            describe_addresses(new.primary.as_deref(), &new.secondary_set())
                        ),
                    )
                }
                Some(new) if prefixes_of(new) != prefixes_of(old) => found.report(
                    FAILED_REQUEST_CHANGES_NOTHING,
                    format!(
                        "{id}'s prefixes changed after a failed request: {} → {}",
                        list(&prefixes_of(old)),
                        list(&prefixes_of(new))
                    ),
                ),
                Some(_) => {}
            }
        }
        for id in after
            .enis
            .keys()
            .filter(|id| !before.enis.contains_key(*id))
        {
            found.report(
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
            let Some((old, new)) = listed_around(
                before,
                after,
                eni,
                "assign",
                ASSIGN_MATCHES_DESCRIBE,
                &mut found,
            ) else {
                return violations;
            };
            let reported_prefixes: BTreeSet<String> = if checks.prefixes() {
                reported.prefixes.iter().cloned().collect()
            } else {
                BTreeSet::new()
            };
            let reported: BTreeSet<String> = reported.addresses.iter().cloned().collect();
            // A replay may report addresses unassigned since the first request: what tells it
            // apart is that a token was given and nothing changed.
            let replay = client_token.is_some()
                && new.secondary_set() == old.secondary_set()
                && prefixes_of(new) == prefixes_of(old);
            if replay {
                return violations;
            }
            HoldingChange::new(Holding::Prefixes, eni, prefixes_of(old), prefixes_of(new))
                .check_added(&reported_prefixes, &mut found);
            HoldingChange::new(
                Holding::Addresses,
                eni,
                old.secondary_set(),
                new.secondary_set(),
            )
            .check_added(&reported, &mut found);
        }
        Mutation::Unassign {
            eni,
            named,
            prefixes,
        } => {
            let Some((old, new)) = listed_around(
                before,
                after,
                eni,
                "unassign",
                UNASSIGN_REMOVES_EXACTLY_NAMED,
                &mut found,
            ) else {
                return violations;
            };
            let named: BTreeSet<String> = named.iter().cloned().collect();
            // The request is atomic and an address not on the ENI is refused
            // (`InvalidIp.IpUnassigned`, the primary included): a success removed every one it
            // named, so each was a secondary before. Other spellings are the endpoint's to read.
            let unheld: BTreeSet<String> = named
                .iter()
                .filter(|address| canonical_ipv4(address).is_some())
                .filter(|address| !old.secondaries.contains(address))
                .cloned()
                .collect();
            if !unheld.is_empty() {
                found.report(
                    UNASSIGN_REMOVES_EXACTLY_NAMED,
                    format!(
                        "the unassign succeeded naming {}, which {eni} did not hold as secondary addresses",
                        list(&unheld)
                    ),
                );
            }
            HoldingChange::new(
                Holding::Addresses,
                eni,
                old.secondary_set(),
                new.secondary_set(),
            )
            .check_removed(&named, &mut found);
            if checks.prefixes() {
                let named: BTreeSet<String> = prefixes.iter().cloned().collect();
                HoldingChange::new(Holding::Prefixes, eni, prefixes_of(old), prefixes_of(new))
                    .check_removed(&named, &mut found);
            }
        }
        Mutation::Create {
            prefixes,
            prefix_count,
            ..
        } => {
            // A replayed create names an ENI that existed before: the first answer, not news.
            let created = reported
                .eni
                .as_deref()
                .filter(|id| !before.enis.contains_key(*id))
                .and_then(|id| after.enis.get(id));
            if let (true, Some(new)) = (checks.prefixes(), created) {
                let held = prefixes_of(new);
                let asked: BTreeSet<String> = prefixes.iter().cloned().collect();
                let wrong = match prefix_count {
                    Some(count) => (held.len() != *count).then(|| format!("{count} prefixes")),
                    None => (held != asked).then(|| list(&asked)),
                };
                if let Some(asked) = wrong {
                    found.report(
                        ASSIGN_ADDS_EXACTLY_REPORTED,
                        format!(
                            "the create asked for {asked}; the new {} holds the prefixes {}",
                            new.id,
                            list(&held)
                        ),
                    );
                }
            }
        }
        Mutation::Other => {}
    }
    violations
}

/// Which holding of an ENI a transition check compares. Addresses and prefixes obey the same
/// rules; they differ only in how a message names them.
#[derive(Debug, Clone, Copy)]
enum Holding {
    Addresses,
    Prefixes,
}

impl Holding {
    /// What a message writes before a set of this holding: addresses stand unnamed, as the
    /// messages (and the verdicts recorded from them) have always shown them.
    fn label(self) -> &'static str {
        match self {
            Holding::Addresses => "",
            Holding::Prefixes => "the prefixes ",
        }
    }
}

/// The ENI a successful `operation` named, as listed before and after it. A success on an ENI
/// that either listing lacks is itself a violation of `check`, and leaves nothing to compare.
fn listed_around<'a>(
    before: &'a Observation,
    after: &'a Observation,
    eni: &str,
    operation: &str,
    check: CheckInfo,
    found: &mut Findings<'_>,
) -> Option<(&'a EniView, &'a EniView)> {
    let listed = before.enis.get(eni).zip(after.enis.get(eni));
    if listed.is_none() {
        found.report(
            check,
            format!("{eni} is not listed by DescribeNetworkInterfaces around the {operation}"),
        );
    }
    listed
}

/// One holding of the ENI a successful request named, as listed before and after it.
#[derive(Debug)]
struct HoldingChange<'a> {
    holding: Holding,
    eni: &'a str,
    before: BTreeSet<String>,
    after: BTreeSet<String>,
}

impl<'a> HoldingChange<'a> {
    fn new(
        holding: Holding,
        eni: &'a str,
        before: BTreeSet<String>,
        after: BTreeSet<String>,
    ) -> Self {
        HoldingChange {
            holding,
            eni,
            before,
            after,
        }
    }

    /// An assign adds exactly what it reports: nothing it reports as new was held already, and
    /// the ENI now holds what it held plus what was reported.
    fn check_added(&self, reported: &BTreeSet<String>, found: &mut Findings<'_>) {
        let (label, eni) = (self.holding.label(), self.eni);
        let reused: Vec<_> = reported.intersection(&self.before).cloned().collect();
        if !reused.is_empty() {
            found.report(
                ASSIGN_MATCHES_DESCRIBE,
                format!(
                    "the assign reported {label}{} as new, but {eni} held them already",
                    reused.join(", ")
                ),
            );
        }
        let expected: BTreeSet<String> = self.before.union(reported).cloned().collect();
        if self.after != expected {
            found.report(
                ASSIGN_MATCHES_DESCRIBE,
                format!(
                    "after the assign {eni} holds {label}{}, but it held {} and the assign reported {}",
                    list(&self.after),
                    list(&self.before),
                    list(reported)
                ),
            );
        }
    }

    /// An unassign removes exactly what it names.
    fn check_removed(&self, named: &BTreeSet<String>, found: &mut Findings<'_>) {
        let (label, eni) = (self.holding.label(), self.eni);
        let expected: BTreeSet<String> = self.before.difference(named).cloned().collect();
        if self.after != expected {
            found.report(
                UNASSIGN_REMOVES_EXACTLY_NAMED,
                format!(
                    "after unassigning {label}{} {eni} holds {label}{}; expected {}",
                    list(named),
                    list(&self.after),
                    list(&expected)
                ),
            );
        }
    }
}

/// What a successful assign answer must say about itself, from the request alone.
pub(crate) fn check_assign_report(
    mutation: &Mutation,
    reported: &Reported,
    checks: &CheckSet,
) -> Vec<Violation> {
    let Mutation::Assign {
        requested,
        count,
        prefixes,
        prefix_count,
        ..
    } = mutation
    else {
        return Vec::new();
    };
    if !checks.is_on(ASSIGN_ADDS_EXACTLY_REPORTED) {
        return Vec::new();
    }
    if checks.prefixes() && (!prefixes.is_empty() || prefix_count.is_some()) {
        return check_prefix_report(prefixes, *prefix_count, reported);
    }
    let reported_prefixes = &reported.prefixes;
    let reported = &reported.addresses;
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
    if checks.prefixes() && !reported_prefixes.is_empty() {
        report(format!(
            "asked for addresses, the assign reported the prefixes {}",
            reported_prefixes.join(", ")
        ));
    }
    violations
}

/// What a successful prefix assign must report: the requested prefixes, or `count` distinct
/// ones, and no address.
fn check_prefix_report(
    requested: &[String],
    count: Option<usize>,
    reported: &Reported,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut report = |message: String| {
        violations.push(Violation {
            check: ASSIGN_ADDS_EXACTLY_REPORTED,
            message,
        })
    };
    let shown = &reported.prefixes;
    let distinct: BTreeSet<String> = shown.iter().cloned().collect();
    if distinct.len() != shown.len() {
        report(format!(
            "the assign reported a prefix twice: {}",
            shown.join(", ")
        ));
    }
    match count {
        Some(count) if shown.len() != count => report(format!(
            "asked for {count} prefixes, the assign reported {}: {}",
            shown.len(),
            list(&distinct)
        )),
        Some(_) => {}
        None => {
            let requested: BTreeSet<String> = requested.iter().cloned().collect();
            if requested != distinct {
                report(format!(
                    "asked for the prefixes {}, the assign reported {}",
                    list(&requested),
                    list(&distinct)
                ));
            }
        }
    }
    if !reported.addresses.is_empty() {
        report(format!(
            "asked for prefixes, the assign reported the addresses {}",
            reported.addresses.join(", ")
        ));
    }
    violations
}

/// Concurrent successful assigns must never report the same address.
pub(crate) fn check_disjoint_reports(
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
            prefixes: Vec::new(),
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

    /// A transition judged by every check of the seed contract.
    fn seed_transition(
        before: &Observation,
        after: &Observation,
        mutation: &Mutation,
        succeeded: bool,
        reported: &Reported,
    ) -> Vec<Violation> {
        check_transition(
            before,
            after,
            mutation,
            succeeded,
            reported,
            &CheckSet::default(),
        )
    }

    /// An assign of one address by count to `eni-a`.
    fn assign_one(client_token: Option<&str>) -> Mutation {
        Mutation::Assign {
            eni: "eni-a".into(),
            requested: vec![],
            count: Some(1),
            prefixes: vec![],
            prefix_count: None,
            client_token: client_token.map(str::to_string),
        }
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
        let found = seed_transition(
            &before,
            &after,
            &Mutation::Other,
            false,
            &Reported::default(),
        );
        assert_eq!(names(&found), ["failed_request_changes_nothing"]);
        let same = seed_transition(
            &before,
            &before,
            &Mutation::Other,
            false,
            &Reported::default(),
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
        let assign = assign_one(None);
        let reported = Reported::addresses(vec!["192.168.0.21".to_string()]);
        let found = seed_transition(&before, &after, &assign, true, &reported);
        assert_eq!(names(&found), ["assign_matches_describe"]);
        assert!(check_assign_report(&assign, &reported, &CheckSet::default()).is_empty());
        let two = Reported::addresses(vec!["192.168.0.21".to_string(), "192.168.0.22".to_string()]);
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
        let reported = Reported::addresses(vec!["192.168.0.21".to_string()]);
        let retry = assign_one(Some("t"));
        assert!(seed_transition(&state, &state, &retry, true, &reported).is_empty());
        let no_token = assign_one(None);
        assert_eq!(
            names(&seed_transition(&state, &state, &no_token, true, &reported)),
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

    fn with_prefixes(mut view: EniView, prefixes: &[&str]) -> EniView {
        view.prefixes = prefixes.iter().map(|p| p.to_string()).collect();
        view
    }

    fn current() -> (Profile, CheckSet) {
        let mut profile = Profile::embedded();
        profile.contract = crate::profile::Contract::current();
        let checks = CheckSet::default().under(&profile.contract);
        (profile, checks)
    }

    fn state_names(state: &Observation) -> Vec<&'static str> {
        let (profile, checks) = current();
        check_state(state, &profile, &checks, &mut BTreeMap::new())
            .iter()
            .map(|v| v.check.name)
            .collect()
    }

    #[test]
    fn canonical_prefixes_only() {
        assert!(canonical_prefix("192.168.0.16/28").is_some());
        for bad in [
            "192.168.0.16/27",
            "192.168.0.016/28",
            "192.168.0.16",
            " 192.168.0.16/28",
        ] {
            assert!(canonical_prefix(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_prefix_must_be_aligned_inside_and_free_of_reserved_addresses() {
        let good = with_prefixes(
            eni("eni-a", "Available", "192.168.0.10", &[]),
            &["192.168.0.16/28"],
        );
        assert!(state_names(&observation(vec![good])).is_empty());
        for bad in [
            "192.168.0.17/28",
            "192.168.1.16/28",
            "192.168.0.0/28",
            "192.168.0.240/28",
            "192.168.0.16/27",
        ] {
            let view = with_prefixes(eni("eni-a", "Available", "192.168.0.100", &[]), &[bad]);
            assert_eq!(
                state_names(&observation(vec![view])),
                ["prefix_aligned_in_vswitch"],
                "{bad}"
            );
        }
    }

    #[test]
    fn addresses_and_prefixes_of_a_vswitch_are_disjoint() {
        let own = with_prefixes(
            eni("eni-a", "Available", "192.168.0.10", &["192.168.0.20"]),
            &["192.168.0.16/28"],
        );
        assert_eq!(
            state_names(&observation(vec![own])),
            ["prefix_disjoint_in_vswitch"]
        );
        let a = with_prefixes(
            eni("eni-a", "Available", "192.168.0.10", &[]),
            &["192.168.0.32/28"],
        );
        let b = with_prefixes(
            eni("eni-b", "Available", "192.168.0.11", &[]),
            &["192.168.0.32/28"],
        );
        assert_eq!(
            state_names(&observation(vec![a.clone(), b])),
            ["prefix_disjoint_in_vswitch"]
        );
        let c = eni("eni-c", "Available", "192.168.0.33", &[]);
        assert_eq!(
            state_names(&observation(vec![a.clone(), c])),
            ["prefix_disjoint_in_vswitch"]
        );
        // Under the seed contract prefixes are not judged at all.
        let twice = observation(vec![
            a.clone(),
            with_prefixes(a.clone(), &["192.168.0.17/28"]),
        ]);
        assert!(
            check_state(
                &twice,
                &Profile::embedded(),
                &CheckSet::default(),
                &mut BTreeMap::new()
            )
            .is_empty()
        );
    }

    #[test]
    fn the_cap_counts_prefixes() {
        let many: Vec<String> = (20..60).map(|i| format!("192.168.0.{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let view = eni("eni-a", "Available", "192.168.0.10", &many);
        let prefixes = [
            "192.168.0.64/28",
            "192.168.0.80/28",
            "192.168.0.96/28",
            "192.168.0.112/28",
            "192.168.0.128/28",
            "192.168.0.144/28",
            "192.168.0.160/28",
            "192.168.0.176/28",
            "192.168.0.192/28",
        ];
        let at_cap = with_prefixes(view.clone(), &prefixes);
        assert!(state_names(&observation(vec![at_cap])).is_empty());
        let mut over = prefixes.to_vec();
        over.push("192.168.0.208/28");
        let over_cap = with_prefixes(view, &over);
        assert_eq!(
            state_names(&observation(vec![over_cap])),
            ["eni_cap_respected"]
        );
    }

    fn prefix_assign(prefixes: &[&str], count: Option<usize>) -> Mutation {
        Mutation::Assign {
            eni: "eni-a".into(),
            requested: vec![],
            count: None,
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            prefix_count: count,
            client_token: None,
        }
    }

    fn reported_prefixes(prefixes: &[&str]) -> Reported {
        Reported {
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            ..Reported::default()
        }
    }

    #[test]
    fn a_failed_request_changes_no_prefix() {
        let (_, checks) = current();
        let before = observation(vec![eni("eni-a", "Available", "192.168.0.10", &[])]);
        let after = observation(vec![with_prefixes(
            eni("eni-a", "Available", "192.168.0.10", &[]),
            &["192.168.0.16/28"],
        )]);
        let failed = |checks: &CheckSet| {
            check_transition(
                &before,
                &after,
                &prefix_assign(&["192.168.0.16/28"], None),
                false,
                &Reported::default(),
                checks,
            )
        };
        assert_eq!(names(&failed(&checks)), ["failed_request_changes_nothing"]);
        assert!(failed(&CheckSet::default()).is_empty());
    }

    #[test]
    fn a_prefix_assign_reports_and_adds_exactly_what_it_asked() {
        let (_, checks) = current();
        let asked = prefix_assign(&["192.168.0.16/28"], None);
        assert!(
            check_assign_report(&asked, &reported_prefixes(&["192.168.0.16/28"]), &checks)
                .is_empty()
        );
        assert_eq!(
            names(&check_assign_report(
                &asked,
                &reported_prefixes(&["192.168.0.32/28"]),
                &checks
            )),
            ["assign_adds_exactly_reported"]
        );
        let counted = prefix_assign(&[], Some(2));
        assert_eq!(
            names(&check_assign_report(
                &counted,
                &reported_prefixes(&["192.168.0.32/28"]),
                &checks
            )),
            ["assign_adds_exactly_reported"]
        );
        let mixed = Reported {
            addresses: vec!["192.168.0.40".into()],
            ..reported_prefixes(&["192.168.0.16/28"])
        };
        assert_eq!(
            names(&check_assign_report(&asked, &mixed, &checks)),
            ["assign_adds_exactly_reported"]
        );

        let before = observation(vec![eni("eni-a", "Available", "192.168.0.10", &[])]);
        let shown = |prefixes: &[&str]| {
            observation(vec![with_prefixes(
                eni("eni-a", "Available", "192.168.0.10", &[]),
                prefixes,
            )])
        };
        let reported = reported_prefixes(&["192.168.0.16/28"]);
        let agrees = shown(&["192.168.0.16/28"]);
        assert!(check_transition(&before, &agrees, &asked, true, &reported, &checks).is_empty());
        for disagrees in [shown(&[]), shown(&["192.168.0.16/28", "192.168.0.32/28"])] {
            assert_eq!(
                names(&check_transition(
                    &before, &disagrees, &asked, true, &reported, &checks
                )),
                ["assign_matches_describe"]
            );
        }
    }

    #[test]
    fn an_unassign_removes_exactly_the_named_prefixes() {
        let (_, checks) = current();
        let held = |prefixes: &[&str]| {
            observation(vec![with_prefixes(
                eni("eni-a", "Available", "192.168.0.10", &[]),
                prefixes,
            )])
        };
        let before = held(&["192.168.0.16/28", "192.168.0.32/28"]);
        let unassign = Mutation::Unassign {
            eni: "eni-a".into(),
            named: vec![],
            prefixes: vec!["192.168.0.16/28".into()],
        };
        let right = held(&["192.168.0.32/28"]);
        assert!(
            check_transition(
                &before,
                &right,
                &unassign,
                true,
                &Reported::default(),
                &checks
            )
            .is_empty()
        );
        for wrong in [held(&[]), before.clone()] {
            assert_eq!(
                names(&check_transition(
                    &before,
                    &wrong,
                    &unassign,
                    true,
                    &Reported::default(),
                    &checks
                )),
                ["unassign_removes_exactly_named"]
            );
        }
    }

    #[test]
    fn a_create_holds_the_prefixes_it_asked_for() {
        let (_, checks) = current();
        let before = observation(vec![]);
        let after = |prefixes: &[&str]| {
            observation(vec![with_prefixes(
                eni("eni-new", "Available", "192.168.0.10", &[]),
                prefixes,
            )])
        };
        let create = Mutation::Create {
            prefixes: vec![],
            prefix_count: Some(2),
            client_token: None,
        };
        let reported = Reported {
            eni: Some("eni-new".into()),
            ..Reported::default()
        };
        let two = after(&["192.168.0.16/28", "192.168.0.32/28"]);
        assert!(check_transition(&before, &two, &create, true, &reported, &checks).is_empty());
        assert_eq!(
            names(&check_transition(
                &before,
                &after(&["192.168.0.16/28"]),
                &create,
                true,
                &reported,
                &checks
            )),
            ["assign_adds_exactly_reported"]
        );
    }
}
