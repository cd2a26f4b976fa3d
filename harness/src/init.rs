//! `eni-harness init`: discovers a profile from an endpoint by reading it only. It lists the
//! ENIs (paged `DescribeNetworkInterfaces`) to find instances, their primary ENIs and addresses,
//! VSwitches and security groups; asks `DescribeInstances`, `DescribeVSwitches` and
//! `DescribeSecurityGroups` for types, states and CIDRs where the endpoint offers them; picks
//! the fixtures the cases need; and writes a commented profile saying what it found, what it
//! inferred and what is missing. What the endpoint does not tell, it leaves for the user (a
//! commented-out fixture to fill in), never guessed.
//!
//! Every value it writes into the profile is one it checked (an id of plain characters, a CIDR,
//! an address); whatever else the endpoint answered reaches the file only in comments, through
//! [`crate::escape::yaml_comment`].

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use eni_emulator::InstanceStatus;
use ipnet::Ipv4Net;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::escape::{cut, yaml_comment};
use crate::profile::{Contract, Fixture, Profile};
use crate::runner::suite::LoadedCase;
use crate::targets::Connection;
use crate::wire::{Decoded, Format, Signing, WireRequest};

/// The most pages one listing may take: only an endpoint whose paging never ends meets it.
pub(crate) const MAX_PAGES: usize = 1000;
/// The most items kept from one listing.
pub(crate) const MAX_ITEMS: usize = 100_000;
/// The most of one text field kept from an answer, in bytes.
const FIELD_LIMIT: usize = 256;
/// The cases' instance fixture states other than `Running` and `Stopped` the profile can say.
const TRANSIENT: [&str; 2] = ["Starting", "Stopping"];

/// One ENI as the listing showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EniSeen {
    pub id: String,
    pub primary: bool,
    pub vswitch: String,
    pub instance: Option<String>,
    pub primary_ip: Option<Ipv4Addr>,
    pub security_groups: Vec<String>,
}

/// One instance: what the ENI listing and `DescribeInstances` say of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InstanceSeen {
    pub instance_type: Option<String>,
    pub status: Option<String>,
    pub primary_eni: Option<String>,
    pub primary_ip: Option<Ipv4Addr>,
    pub vswitch: Option<String>,
}

/// One VSwitch: where ENIs sit, and its CIDR when `DescribeVSwitches` gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VSwitchSeen {
    pub cidr: Option<Ipv4Net>,
    pub zone: Option<String>,
    /// ENIs listed in it.
    pub enis: usize,
}

/// Everything the reads found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Discovery {
    pub region: String,
    /// How the region was learnt.
    pub region_from: String,
    /// The contract the endpoint's spelling of the invalid-parameter code points to, and the
    /// code it answered (`None`: the probe told nothing).
    pub contract: Option<(String, String)>,
    pub enis: Vec<EniSeen>,
    pub instances: BTreeMap<String, InstanceSeen>,
    pub vswitches: BTreeMap<String, VSwitchSeen>,
    pub security_groups: BTreeSet<String>,
    /// Read-only actions the endpoint did not answer, with what it answered instead.
    pub unavailable: Vec<String>,
    /// Values left out (not plain ids, not addresses), listings cut short: one line each.
    pub notes: Vec<String>,
}

/// The fixtures picked for the cases, and what could not be picked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Choice {
    /// Fixture name → the fixture, in the profile loader's terms.
    pub fixtures: BTreeMap<String, Fixture>,
    /// Fixture name → why it was picked.
    pub why: BTreeMap<String, String>,
    /// Fixture name → what is missing and how the user fills it in, with a commented-out
    /// fixture to complete (empty when there is nothing to start from).
    pub missing: BTreeMap<String, (String, String)>,
}

/// Why discovery stopped: the endpoint did not answer the one listing it cannot do without.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub(crate) struct InitError(pub String);

/// Reads the endpoint. `region`: the one to use, or `None` to ask `DescribeRegions` (one
/// region answered is taken; several are listed for the user to choose).
pub(crate) async fn discover(
    connection: &dyn Connection,
    signing: Signing,
    region: Option<&str>,
) -> Result<Discovery, InitError> {
    let mut found = Discovery::default();
    let reader = Reader {
        connection,
        signing,
    };
    match region {
        Some(region) => {
            found.region = region.to_string();
            found.region_from = "given with --region".into();
        }
        None => {
            let answer = reader
                .call("DescribeRegions", None, vec![])
                .await
                .map_err(|why| {
                    InitError(format!(
                        "could not learn the region: {why}; pass --region R (the RegionId your endpoint serves)"
                    ))
                })?;
            let regions: Vec<String> = items(&answer, "Regions.Region")
                .iter()
                .filter_map(|r| text(r, "RegionId"))
                .filter(|id| plain(id))
                .collect();
            match regions.as_slice() {
                [one] => {
                    found.region = one.clone();
                    found.region_from = "the one region DescribeRegions listed".into();
                }
                [] => {
                    return Err(InitError(
                        "DescribeRegions listed no region; pass --region R".into(),
                    ));
                }
                many => {
                    return Err(InitError(format!(
                        "the endpoint serves {} regions ({}); pass --region R to pick one",
                        many.len(),
                        cut(&many.join(", "), 2000)
                    )));
                }
            }
        }
    }
    let region = found.region.clone();
    let reader = RegionReader {
        reader,
        region: &region,
    };
    found.contract = reader.contract_probe().await;
    reader.list_enis(&mut found).await?;
    reader.list_instances(&mut found).await;
    reader.list_vswitches(&mut found).await;
    reader.list_security_groups(&mut found).await;
    Ok(found)
}

struct Reader<'a> {
    connection: &'a dyn Connection,
    signing: Signing,
}

impl Reader<'_> {
    /// One read; `Err` says what came back instead of a 200.
    async fn call(
        &self,
        action: &str,
        region: Option<&str>,
        params: Vec<(String, String)>,
    ) -> Result<Decoded, String> {
        let mut all = vec![("Action".to_string(), action.to_string())];
        if let Some(region) = region {
            all.push(("RegionId".to_string(), region.to_string()));
        }
        all.extend(params);
        let request = WireRequest {
            params: all,
            format: Format::Json,
            signing: self.signing,
            ..WireRequest::default()
        };
        let exchange = self
            .connection
            .send(&request)
            .await
            .map_err(|error| format!("{action}: {error}"))?;
        if exchange.status != 200 {
            let code = exchange.decoded.code.clone().unwrap_or_default();
            return Err(format!(
                "{action} answered {} {}",
                exchange.status,
                cut(&code, FIELD_LIMIT)
            ));
        }
        Ok(exchange.decoded)
    }
}

struct RegionReader<'a> {
    reader: Reader<'a>,
    region: &'a str,
}

/// How a listing pages.
enum Paging {
    /// `MaxResults` + `NextToken`, with this page size.
    Token(u32),
    /// `PageNumber` + `PageSize`, with this page size.
    Number(u32),
}

impl RegionReader<'_> {
    /// Every item at `path` over the pages of `action`; stops at the last page, a repeated
    /// token, an empty page, [`MAX_PAGES`] or [`MAX_ITEMS`] (the last three noted).
    async fn list(
        &self,
        action: &str,
        path: &str,
        paging: Paging,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Value>, String> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        let mut tokens = HashSet::new();
        for page in 1..=MAX_PAGES {
            let params = match &paging {
                Paging::Token(size) => {
                    let mut p = vec![("MaxResults".to_string(), size.to_string())];
                    if let Some(token) = &token {
                        p.push(("NextToken".to_string(), token.clone()));
                    }
                    p
                }
                Paging::Number(size) => vec![
                    ("PageNumber".to_string(), page.to_string()),
                    ("PageSize".to_string(), size.to_string()),
                ],
            };
            let answer = self.reader.call(action, Some(self.region), params).await?;
            let got = items(&answer, path);
            let empty = got.is_empty();
            all.extend(got);
            if all.len() >= MAX_ITEMS {
                notes.push(format!(
                    "{action}: stopped after {MAX_ITEMS} items; later ones were not looked at"
                ));
                all.truncate(MAX_ITEMS);
                return Ok(all);
            }
            match &paging {
                Paging::Token(_) => {
                    token = answer
                        .get("NextToken")
                        .and_then(Value::as_str)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string);
                    let Some(next) = &token else {
                        return Ok(all);
                    };
                    if !tokens.insert(<[u8; 32]>::from(Sha256::digest(next.as_bytes()))) {
                        notes.push(format!(
                            "{action}: the endpoint answered the same NextToken twice (page {page}); the listing was stopped there"
                        ));
                        return Ok(all);
                    }
                }
                Paging::Number(_) => {
                    let total = answer
                        .get("TotalCount")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    if empty || all.len() as u64 >= total {
                        return Ok(all);
                    }
                }
            }
        }
        notes.push(format!(
            "{action}: stopped after {MAX_PAGES} pages; later ones were not looked at"
        ));
        Ok(all)
    }

    /// Which spelling of the invalid-parameter code the endpoint answers, from a listing
    /// filtered on a status no ENI has (a read that is refused, so nothing changes).
    async fn contract_probe(&self) -> Option<(String, String)> {
        let params = vec![("Status".to_string(), "NoSuchStatus".to_string())];
        let mut all = vec![
            (
                "Action".to_string(),
                "DescribeNetworkInterfaces".to_string(),
            ),
            ("RegionId".to_string(), self.region.to_string()),
        ];
        all.extend(params);
        let request = WireRequest {
            params: all,
            format: Format::Json,
            signing: self.reader.signing,
            ..WireRequest::default()
        };
        let exchange = self.reader.connection.send(&request).await.ok()?;
        let code = exchange.decoded.code?;
        let contract = ["seed", "current"].into_iter().find(|name| {
            Contract::by_name(name).is_some_and(|c| c.spell("InValidParameter") == code)
        })?;
        Some((contract.to_string(), code))
    }

    async fn list_enis(&self, found: &mut Discovery) -> Result<(), InitError> {
        let sets = self
            .list(
                "DescribeNetworkInterfaces",
                "NetworkInterfaceSets.NetworkInterfaceSet",
                Paging::Token(100),
                &mut found.notes,
            )
            .await
            .map_err(|why| {
                InitError(format!(
                    "could not list the ENIs ({why}); init needs DescribeNetworkInterfaces, the action the suite itself reads state with"
                ))
            })?;
        for set in &sets {
            let Some(id) = checked_id(set, "NetworkInterfaceId", "an ENI", &mut found.notes) else {
                continue;
            };
            let Some(vswitch) = checked_id(set, "VSwitchId", &id, &mut found.notes) else {
                continue;
            };
            let instance = text(set, "InstanceId")
                .filter(|t| !t.is_empty())
                .filter(|t| keep_plain(t, &id, "InstanceId", &mut found.notes));
            let primary_ip = text(set, "PrivateIpAddress").and_then(|t| t.parse().ok());
            let security_groups = set
                .get("SecurityGroupIds")
                .and_then(|v| v.get("SecurityGroupId"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|t| keep_plain(t, &id, "SecurityGroupId", &mut found.notes))
                .map(str::to_string)
                .collect::<Vec<_>>();
            let primary = text(set, "Type").as_deref() == Some("Primary");
            found.vswitches.entry(vswitch.clone()).or_default().enis += 1;
            found
                .security_groups
                .extend(security_groups.iter().cloned());
            if primary && let Some(instance) = &instance {
                let seen = found.instances.entry(instance.clone()).or_default();
                seen.primary_eni = Some(id.clone());
                seen.primary_ip = primary_ip;
                seen.vswitch = Some(vswitch.clone());
            }
            found.enis.push(EniSeen {
                id,
                primary,
                vswitch,
                instance,
                primary_ip,
                security_groups,
            });
        }
        Ok(())
    }

    async fn list_instances(&self, found: &mut Discovery) {
        let list = self
            .list(
                "DescribeInstances",
                "Instances.Instance",
                Paging::Number(100),
                &mut found.notes,
            )
            .await;
        let instances = match list {
            Ok(instances) => instances,
            Err(why) => {
                found
                    .unavailable
                    .push(format!("{why}: instance types and states are unknown"));
                return;
            }
        };
        for inst in &instances {
            let Some(id) = checked_id(inst, "InstanceId", "an instance", &mut found.notes) else {
                continue;
            };
            let seen = found.instances.entry(id.clone()).or_default();
            seen.instance_type = text(inst, "InstanceType")
                .filter(|t| keep_plain(t, &id, "InstanceType", &mut found.notes));
            seen.status =
                text(inst, "Status").filter(|t| keep_plain(t, &id, "Status", &mut found.notes));
        }
    }

    async fn list_vswitches(&self, found: &mut Discovery) {
        let list = self
            .list(
                "DescribeVSwitches",
                "VSwitches.VSwitch",
                Paging::Number(50),
                &mut found.notes,
            )
            .await;
        let vswitches = match list {
            Ok(vswitches) => vswitches,
            Err(why) => {
                found
                    .unavailable
                    .push(format!("{why}: VSwitch CIDRs are unknown"));
                return;
            }
        };
        for vsw in &vswitches {
            let Some(id) = checked_id(vsw, "VSwitchId", "a VSwitch", &mut found.notes) else {
                continue;
            };
            let cidr = text(vsw, "CidrBlock");
            let parsed = cidr.as_deref().and_then(|c| c.parse::<Ipv4Net>().ok());
            if parsed.is_none() {
                found.notes.push(format!(
                    "VSwitch {id}: CidrBlock `{}` is not an IPv4 CIDR; left out",
                    cut(cidr.as_deref().unwrap_or(""), FIELD_LIMIT)
                ));
            }
            let seen = found.vswitches.entry(id.clone()).or_default();
            seen.cidr = parsed.filter(|n| *n == n.trunc());
            seen.zone =
                text(vsw, "ZoneId").filter(|t| keep_plain(t, &id, "ZoneId", &mut found.notes));
        }
    }

    async fn list_security_groups(&self, found: &mut Discovery) {
        let list = self
            .list(
                "DescribeSecurityGroups",
                "SecurityGroups.SecurityGroup",
                Paging::Number(50),
                &mut found.notes,
            )
            .await;
        match list {
            Ok(groups) => {
                for group in &groups {
                    if let Some(id) = checked_id(
                        group,
                        "SecurityGroupId",
                        "a security group",
                        &mut found.notes,
                    ) {
                        found.security_groups.insert(id);
                    }
                }
            }
            Err(why) => found.unavailable.push(format!(
                "{why}: only the security groups of listed ENIs are known"
            )),
        }
    }
}

/// The items of the list at `path` (a JSON array, or one object where a decoder made one).
fn items(answer: &Decoded, path: &str) -> Vec<Value> {
    match answer.get(path) {
        Some(Value::Array(items)) => items.clone(),
        Some(item @ Value::Object(_)) => vec![item.clone()],
        _ => Vec::new(),
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(|t| cut(t, FIELD_LIMIT).into_owned())
}

/// Whether `text` may go into the profile as a value: an id, type or state of plain
/// characters, short. Anything else only reaches a comment.
fn plain(text: &str) -> bool {
    (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn keep_plain(text: &str, owner: &str, key: &str, notes: &mut Vec<String>) -> bool {
    let ok = plain(text);
    if !ok {
        notes.push(format!(
            "{owner}: {key} `{}` is not a plain id; left out",
            cut(text, FIELD_LIMIT)
        ));
    }
    ok
}

fn checked_id(value: &Value, key: &str, owner: &str, notes: &mut Vec<String>) -> Option<String> {
    let id = text(value, key).unwrap_or_default();
    keep_plain(&id, owner, key, notes).then_some(id)
}

/// The prefix length of a `prefix_vswitch`: a /26 has exactly two aligned /28 blocks free of
/// the reserved addresses (the first block holds the first address, the last the last three).
const PREFIX_VSWITCH_LEN: u8 = 26;

/// Picks the fixtures the cases name: a main VSwitch with a `Running` instance's primary in it
/// (preferring one that also holds a `Stopped` and a starting or stopping one), the smallest
/// other VSwitch without ENIs for exhaustion, an empty /26 for prefix exhaustion, a security group of the main VSwitch's ENIs, and
/// the three instances.
pub(crate) fn choose(found: &Discovery, contract: &Contract) -> Choice {
    let mut choice = Choice::default();
    let with_cidr = |id: &str| found.vswitches.get(id).and_then(|v| v.cidr);
    // Instances usable as fixtures: type, state, primary ENI and address known.
    let usable: Vec<(&String, &InstanceSeen)> = found
        .instances
        .iter()
        .filter(|(_, i)| {
            i.instance_type.is_some()
                && i.status.is_some()
                && i.primary_eni.is_some()
                && i.primary_ip.is_some()
        })
        .collect();
    let in_state = |vsw: &str, pred: &dyn Fn(&str) -> bool| {
        usable
            .iter()
            .filter(|(_, i)| {
                i.vswitch.as_deref() == Some(vsw) && pred(i.status.as_deref().unwrap_or(""))
            })
            .count()
    };
    let running = |s: &str| s == "Running";
    let stopped = |s: &str| s == "Stopped";
    let transient = |s: &str| TRANSIENT.contains(&s);
    // Main: a VSwitch with a CIDR and a Running primary; most states held, then largest.
    let main = found
        .vswitches
        .iter()
        .filter(|(id, v)| v.cidr.is_some() && in_state(id, &running) > 0)
        .max_by_key(|(id, v)| {
            (
                in_state(id, &stopped).min(1) + in_state(id, &transient).min(1),
                v.cidr.map_or(0, |c| 32 - u32::from(c.prefix_len())),
                std::cmp::Reverse(id.as_str()),
            )
        })
        .map(|(id, _)| id.clone());
    let zone = |id: &str| found.vswitches.get(id).and_then(|v| v.zone.clone());
    match &main {
        Some(id) => {
            choice.fixtures.insert(
                "vswitch".into(),
                Fixture::VSwitch {
                    id: id.clone(),
                    cidr: with_cidr(id).unwrap_or_else(|| Ipv4Net::from(Ipv4Addr::UNSPECIFIED)),
                    zone: zone(id),
                },
            );
            choice.why.insert(
                "vswitch".into(),
                "holds the primary ENI of a Running instance (and of the most other states)".into(),
            );
        }
        None => {
            let hint = found
                .vswitches
                .iter()
                .find(|(id, _)| in_state(id, &running) > 0 || found.vswitches.len() == 1)
                .or_else(|| found.vswitches.iter().next())
                .map(|(id, _)| id.clone());
            let reason = if found.vswitches.values().all(|v| v.cidr.is_none()) {
                "the endpoint told no VSwitch's CIDR: fill in `cidr`"
            } else {
                "no VSwitch with a known CIDR holds a Running instance's primary ENI: name one and its CIDR"
            };
            choice.missing.insert(
                "vswitch".into(),
                (
                    reason.into(),
                    format!(
                        "vswitch: {{kind: vswitch, id: {}, cidr: A.B.C.D/N}}",
                        hint.as_deref().unwrap_or("vsw-...")
                    ),
                ),
            );
        }
    }
    // Small: another VSwitch with a CIDR and no ENIs, the smallest block.
    let small = found
        .vswitches
        .iter()
        .filter(|(id, v)| Some(id.as_str()) != main.as_deref() && v.enis == 0)
        .filter_map(|(id, v)| v.cidr.map(|c| (id, c)))
        .max_by_key(|(id, c)| (c.prefix_len(), std::cmp::Reverse(id.as_str())))
        .map(|(id, c)| (id.clone(), c));
    // Prefix: yet another VSwitch with no ENIs, a /26: of its four aligned /28 blocks exactly
    // two hold no reserved address, which the prefix exhaustion cases count on.
    let small_id = small.as_ref().map(|(id, _)| id.clone());
    let prefix = found
        .vswitches
        .iter()
        .filter(|(id, v)| {
            Some(id.as_str()) != main.as_deref()
                && Some(id.as_str()) != small_id.as_deref()
                && v.enis == 0
        })
        .filter_map(|(id, v)| v.cidr.map(|c| (id, c)))
        .filter(|(_, c)| c.prefix_len() == PREFIX_VSWITCH_LEN)
        .min_by_key(|(id, _)| id.as_str())
        .map(|(id, c)| (id.clone(), c));
    match small {
        Some((id, cidr)) => {
            let why = if cidr.prefix_len() >= 29 {
                "the smallest VSwitch without ENIs, for exhaustion".to_string()
            } else {
                format!(
                    "the smallest VSwitch without ENIs, a /{}: exhaustion cases take longer than on a /29",
                    cidr.prefix_len()
                )
            };
            choice.fixtures.insert(
                "small_vswitch".into(),
                Fixture::VSwitch {
                    id: id.clone(),
                    cidr,
                    zone: zone(&id),
                },
            );
            choice.why.insert("small_vswitch".into(), why);
        }
        None => {
            choice.missing.insert(
                "small_vswitch".into(),
                (
                    "no other VSwitch with a known CIDR and no ENIs: create an empty /29 (4 usable addresses) and name it".into(),
                    "small_vswitch: {kind: vswitch, id: vsw-..., cidr: A.B.C.D/29}".into(),
                ),
            );
        }
    }
    match prefix {
        Some((id, cidr)) => {
            choice.fixtures.insert(
                "prefix_vswitch".into(),
                Fixture::VSwitch {
                    id: id.clone(),
                    cidr,
                    zone: zone(&id),
                },
            );
            choice.why.insert(
                "prefix_vswitch".into(),
                "a /26 without ENIs: two aligned /28 blocks free of reserved addresses, for prefix exhaustion".into(),
            );
        }
        None => {
            choice.missing.insert(
                "prefix_vswitch".into(),
                (
                    "no other VSwitch with a /26 CIDR and no ENIs: create an empty /26 (two aligned /28 blocks hold no reserved address) and name it".into(),
                    "prefix_vswitch: {kind: vswitch, id: vsw-..., cidr: A.B.C.D/26}".into(),
                ),
            );
        }
    }
    // Security group: one the main VSwitch's ENIs carry, else any.
    let group = main
        .as_deref()
        .and_then(|main| {
            found
                .enis
                .iter()
                .filter(|e| e.vswitch == main)
                .flat_map(|e| e.security_groups.iter())
                .min()
        })
        .or_else(|| found.security_groups.iter().next())
        .cloned();
    match group {
        Some(id) => {
            choice
                .fixtures
                .insert("security_group".into(), Fixture::SecurityGroup { id });
            choice.why.insert(
                "security_group".into(),
                "carried by ENIs of the main VSwitch (else the first listed)".into(),
            );
        }
        None => {
            choice.missing.insert(
                "security_group".into(),
                (
                    "no security group was found: name one of the main VSwitch's VPC".into(),
                    "security_group: {kind: security_group, id: sg-...}".into(),
                ),
            );
        }
    }
    // Instances: in the main VSwitch, preferring types the contract's table knows.
    type StatePredicate<'a> = &'a dyn Fn(&str) -> bool;
    let wanted: [(&str, StatePredicate<'_>, &str); 3] = [
        ("running_instance", &running, "Running"),
        ("stopped_instance", &stopped, "Stopped"),
        ("starting_instance", &transient, "Starting or Stopping"),
    ];
    for (name, pred, state) in wanted {
        let pick = main.as_deref().and_then(|main| {
            usable
                .iter()
                .filter(|(_, i)| {
                    i.vswitch.as_deref() == Some(main) && pred(i.status.as_deref().unwrap_or(""))
                })
                .min_by_key(|(id, i)| {
                    let known = i
                        .instance_type
                        .as_deref()
                        .is_some_and(|t| contract.instance_types.contains_key(t));
                    (!known, id.as_str())
                })
        });
        match pick {
            Some((id, i)) => {
                // Running is what a profile means when it says no state.
                let status = match i.status.as_deref() {
                    Some("Stopped") => Some(InstanceStatus::Stopped),
                    Some("Starting") => Some(InstanceStatus::Starting),
                    Some("Stopping") => Some(InstanceStatus::Stopping),
                    _ => None,
                };
                choice.fixtures.insert(
                    name.into(),
                    Fixture::Instance(crate::profile::InstanceFixture {
                        id: (*id).clone(),
                        instance_type: i.instance_type.clone().unwrap_or_default(),
                        vswitch: Some("vswitch".into()),
                        primary_eni: i.primary_eni.clone(),
                        primary_ip: i.primary_ip,
                        status,
                    }),
                );
                let mut why =
                    format!("{state} (DescribeInstances), primary ENI in the main VSwitch");
                if !i
                    .instance_type
                    .as_deref()
                    .is_some_and(|t| contract.instance_types.contains_key(t))
                {
                    why.push_str("; its type is not in the contract's table of caps: add it under `limits.instance_types`");
                }
                choice.why.insert(name.into(), why);
            }
            None => {
                // What the listing knows of such an instance, to start the user off.
                let candidate = found.instances.iter().find(|(_, i)| {
                    i.vswitch.as_deref() == main.as_deref()
                        && (i.status.is_none() || i.instance_type.is_none())
                });
                let reason = if found
                    .unavailable
                    .iter()
                    .any(|u| u.starts_with("DescribeInstances"))
                {
                    format!(
                        "the endpoint does not tell instance types and states: name a {state} instance with a primary ENI in the main VSwitch, its type and state"
                    )
                } else {
                    format!("no {state} instance with a primary ENI in the main VSwitch was found")
                };
                let template = match candidate {
                    Some((id, i)) => format!(
                        "{name}: {{kind: instance, id: {id}, type: ecs.TYPE, status: STATE, vswitch: vswitch, primary_eni: {}, primary_ip: {}}}",
                        i.primary_eni.as_deref().unwrap_or("eni-..."),
                        i.primary_ip
                            .map_or("A.B.C.D".to_string(), |ip| ip.to_string())
                    ),
                    None => format!(
                        "{name}: {{kind: instance, id: i-..., type: ecs.TYPE, status: STATE, vswitch: vswitch}}"
                    ),
                };
                choice.missing.insert(name.into(), (reason, template));
            }
        }
    }
    choice
}

/// The profile as YAML text, with comments on what was found, inferred and missing.
/// `target` is the endpoint as shown (no userinfo).
pub(crate) fn profile_text(
    found: &Discovery,
    choice: &Choice,
    target: &str,
    signing: Signing,
) -> String {
    let mut out = String::new();
    let line = |out: &mut String, text: &str| {
        out.push_str(&yaml_comment(text));
        out.push('\n');
    };
    line(
        &mut out,
        &format!("A profile discovered by `eni-harness init` from {target}, by reading only."),
    );
    line(
        &mut out,
        "Review it: the comments say what was found, what was inferred and what is missing.",
    );
    line(
        &mut out,
        &format!(
            "Found: {} ENIs, {} instances, {} VSwitches ({} with a CIDR), {} security groups.",
            found.enis.len(),
            found.instances.len(),
            found.vswitches.len(),
            found
                .vswitches
                .values()
                .filter(|v| v.cidr.is_some())
                .count(),
            found.security_groups.len()
        ),
    );
    for why in &found.unavailable {
        line(&mut out, &format!("Not offered: {why}."));
    }
    for note in &found.notes {
        line(&mut out, &format!("Note: {note}."));
    }
    out.push_str("name: discovered\n");
    let contract = match &found.contract {
        Some((name, code)) => {
            line(
                &mut out,
                &format!(
                    "Inferred: the endpoint spells the invalid-parameter code `{code}` (a listing filtered on an unknown status), as the `{name}` contract does. Its limits (the Available cap) cannot be read: check them."
                ),
            );
            name.clone()
        }
        None => {
            line(
                &mut out,
                "UNKNOWN: the endpoint's spelling of the invalid-parameter code told nothing; `seed` is written as the default the loader takes. Set `seed` or `current`.",
            );
            "seed".into()
        }
    };
    let _ = writeln!(out, "contract: {contract}");
    line(&mut out, &format!("Region: {}.", found.region_from));
    let _ = writeln!(out, "region: {}", found.region);
    out.push_str("format: JSON\n");
    let _ = writeln!(out, "signing: {}", signing_name(signing));
    line(
        &mut out,
        "Not the reference emulator as far as init can tell: cases pinning its DECISIONS.md are skipped,",
    );
    line(
        &mut out,
        "and snapshots are compared with the reference recordings by their contract view.",
    );
    out.push_str("fixtures:\n");
    for (name, fixture) in &choice.fixtures {
        if let Some(why) = choice.why.get(name) {
            out.push_str("  ");
            line(&mut out, why);
        }
        let _ = writeln!(out, "  {name}:");
        match fixture {
            Fixture::VSwitch { id, cidr, zone } => {
                let _ = writeln!(out, "    kind: vswitch\n    id: {id}\n    cidr: {cidr}");
                if let Some(zone) = zone {
                    let _ = writeln!(out, "    zone: {zone}");
                }
            }
            Fixture::SecurityGroup { id } => {
                let _ = writeln!(out, "    kind: security_group\n    id: {id}");
            }
            Fixture::Instance(i) => {
                let _ = writeln!(
                    out,
                    "    kind: instance\n    id: {}\n    type: {}",
                    i.id, i.instance_type
                );
                if let Some(vswitch) = &i.vswitch {
                    let _ = writeln!(out, "    vswitch: {vswitch}");
                }
                if let Some(eni) = &i.primary_eni {
                    let _ = writeln!(out, "    primary_eni: {eni}");
                }
                if let Some(ip) = i.primary_ip {
                    let _ = writeln!(out, "    primary_ip: {ip}");
                }
                if let Some(status) = i.status {
                    let _ = writeln!(out, "    status: {}", status.as_str());
                }
            }
        }
    }
    for (name, (reason, template)) in &choice.missing {
        out.push_str("  ");
        line(
            &mut out,
            &format!("MISSING {name}: {reason}. Fill in and uncomment:"),
        );
        out.push_str("  ");
        line(&mut out, template);
    }
    // The rest of what was found, for a user who wants other fixtures.
    let chosen: HashSet<&str> = choice.fixtures.values().map(Fixture::id).collect();
    let others: Vec<String> = found
        .vswitches
        .iter()
        .filter(|(id, _)| !chosen.contains(id.as_str()))
        .map(|(id, v)| {
            format!(
                "VSwitch {id} {} ({} ENIs listed)",
                v.cidr.map_or("CIDR unknown".into(), |c| c.to_string()),
                v.enis
            )
        })
        .chain(
            found
                .instances
                .iter()
                .filter(|(id, _)| !chosen.contains(id.as_str()))
                .map(|(id, i)| {
                    format!(
                        "instance {id} {} {} in {}",
                        i.instance_type.as_deref().unwrap_or("type unknown"),
                        i.status.as_deref().unwrap_or("state unknown"),
                        i.vswitch.as_deref().unwrap_or("no primary ENI listed")
                    )
                }),
        )
        .collect();
    if !others.is_empty() {
        line(&mut out, "Also found, not used:");
        for other in others {
            line(&mut out, &format!("  {other}"));
        }
    }
    out
}

fn signing_name(signing: Signing) -> &'static str {
    match signing {
        Signing::V1 => "v1",
        Signing::V3 => "v3",
        Signing::None => "none",
    }
}

/// The suite checked against a written profile.
#[derive(Debug)]
pub(crate) enum SuiteCheck {
    /// The suite loaded: how many cases it holds, and those the profile cannot run (id and
    /// the fixtures each lacks).
    Checked {
        suite: String,
        cases: usize,
        skipped: Vec<(String, Vec<String>)>,
    },
    /// The suite did not load (a broken case file): why, for the user to fix before a run.
    NotChecked { suite: String, why: String },
}

/// Loads the suite `run` would use with `given` (the built-in suite without `cases/`) and
/// names the cases `profile` leaves without a fixture.
pub(crate) fn check_suite(given: &[std::path::PathBuf], profile: &Profile) -> SuiteCheck {
    let source = crate::builtin::resolve(given);
    let suite = match &source {
        Ok(source) => source.describe(),
        Err(_) => "the suite".to_string(),
    };
    let loaded = source.and_then(|source| {
        crate::runner::load_cases(&source.case_paths()).map_err(|error| error.to_string())
    });
    match loaded {
        Ok(cases) => SuiteCheck::Checked {
            suite,
            cases: cases.len(),
            skipped: skipped_for_fixtures(&cases, profile),
        },
        Err(why) => SuiteCheck::NotChecked { suite, why },
    }
}

/// The cases the profile cannot run for lack of a fixture: id and the fixtures it lacks.
pub(crate) fn skipped_for_fixtures(
    cases: &[LoadedCase],
    profile: &Profile,
) -> Vec<(String, Vec<String>)> {
    cases
        .iter()
        .filter_map(|loaded| {
            let missing: Vec<String> = loaded
                .case
                .uses
                .iter()
                .filter(|name| !profile.fixtures.contains_key(*name))
                .cloned()
                .collect();
            (!missing.is_empty()).then(|| (loaded.case.id.clone(), missing))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(kind: &str, status: &str, vsw: &str, eni: &str, ip: &str) -> InstanceSeen {
        InstanceSeen {
            instance_type: Some(kind.into()),
            status: Some(status.into()),
            primary_eni: Some(eni.into()),
            primary_ip: ip.parse().ok(),
            vswitch: Some(vsw.into()),
        }
    }

    fn world() -> Discovery {
        let mut found = Discovery {
            region: "r".into(),
            region_from: "given".into(),
            ..Discovery::default()
        };
        found.vswitches.insert(
            "vsw-a".into(),
            VSwitchSeen {
                cidr: "10.0.0.0/24".parse().ok(),
                zone: Some("z".into()),
                enis: 2,
            },
        );
        found.vswitches.insert(
            "vsw-b".into(),
            VSwitchSeen {
                cidr: "10.0.1.0/24".parse().ok(),
                zone: Some("z".into()),
                enis: 2,
            },
        );
        found.vswitches.insert(
            "vsw-small".into(),
            VSwitchSeen {
                cidr: "10.0.2.0/29".parse().ok(),
                zone: None,
                enis: 0,
            },
        );
        found.instances.insert(
            "i-1".into(),
            instance("ecs.g6.large", "Running", "vsw-a", "eni-1", "10.0.0.9"),
        );
        found.instances.insert(
            "i-2".into(),
            instance("ecs.g6.large", "Running", "vsw-b", "eni-2", "10.0.1.9"),
        );
        found.instances.insert(
            "i-3".into(),
            instance("ecs.g7.xlarge", "Stopped", "vsw-b", "eni-3", "10.0.1.10"),
        );
        found.security_groups.insert("sg-1".into());
        found
    }

    #[test]
    fn the_main_vswitch_holds_the_most_states_and_the_written_profile_loads() {
        let found = world();
        let choice = choose(&found, &Contract::seed());
        assert_eq!(choice.fixtures["vswitch"].id(), "vsw-b");
        assert_eq!(choice.fixtures["small_vswitch"].id(), "vsw-small");
        assert_eq!(choice.fixtures["running_instance"].id(), "i-2");
        assert_eq!(choice.fixtures["stopped_instance"].id(), "i-3");
        assert!(choice.missing.contains_key("starting_instance"));
        // No empty /26: the prefix VSwitch is asked for, not made up.
        assert!(choice.missing["prefix_vswitch"].1.contains("/26"));
        let text = profile_text(&found, &choice, "http://x/", Signing::V1);
        let profile = Profile::parse(&text, "written").unwrap();
        assert_eq!(profile.fixtures.len(), 5, "{text}");
        assert!(text.contains("MISSING prefix_vswitch"), "{text}");
        assert!(text.contains("MISSING starting_instance"), "{text}");
        assert!(
            text.contains("instance i-1 ecs.g6.large Running in vsw-a"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_slash_26_is_the_prefix_vswitch_and_nothing_else_is() {
        let mut found = world();
        let seen = |cidr: &str, enis| VSwitchSeen {
            cidr: cidr.parse().ok(),
            zone: Some("z".into()),
            enis,
        };
        // A /25 (six usable blocks) and a /26 with ENIs do not fit; the empty /26 does.
        found
            .vswitches
            .insert("vsw-wide".into(), seen("10.0.4.0/25", 0));
        found
            .vswitches
            .insert("vsw-busy".into(), seen("10.0.5.0/26", 1));
        found
            .vswitches
            .insert("vsw-prefix".into(), seen("10.0.6.0/26", 0));
        let choice = choose(&found, &Contract::current());
        assert_eq!(choice.fixtures["prefix_vswitch"].id(), "vsw-prefix");
        assert_eq!(choice.fixtures["small_vswitch"].id(), "vsw-small");
        assert!(!choice.missing.contains_key("prefix_vswitch"));
        let text = profile_text(&found, &choice, "http://x/", Signing::V1);
        let profile = Profile::parse(&text, "written").unwrap();
        assert_eq!(profile.fixtures.len(), 6, "{text}");
    }

    #[test]
    fn unknown_cidrs_and_types_are_asked_for_not_guessed() {
        let mut found = world();
        for v in found.vswitches.values_mut() {
            v.cidr = None;
        }
        for i in found.instances.values_mut() {
            i.instance_type = None;
            i.status = None;
        }
        found
            .unavailable
            .push("DescribeInstances answered 404 InvalidAction.NotFound: x".into());
        let choice = choose(&found, &Contract::seed());
        assert!(!choice.fixtures.contains_key("vswitch"));
        assert!(choice.missing["vswitch"].0.contains("CIDR"));
        assert!(
            choice.missing["running_instance"]
                .0
                .contains("does not tell")
        );
        let text = profile_text(&found, &choice, "http://x/", Signing::V1);
        let profile = Profile::parse(&text, "written").unwrap();
        assert_eq!(profile.fixtures.len(), 1, "{text}");
    }

    #[test]
    fn hostile_text_reaches_only_comments() {
        let mut found = world();
        found
            .notes
            .push("an ENI: NetworkInterfaceId `x\nfixtures: {}\r\u{2028}evil` is not a plain id; left out".into());
        let choice = choose(&found, &Contract::seed());
        let text = profile_text(&found, &choice, "http://x/", Signing::V1);
        for line in text.lines() {
            assert!(
                !line.contains("evil") || line.trim_start().starts_with('#'),
                "{line}"
            );
        }
        assert!(!text.contains('\r') && !text.contains('\u{2028}'));
        Profile::parse(&text, "written").unwrap();
        assert!(!plain("a b") && !plain("") && !plain("x\n") && plain("vsw-bp1.a_b:c"));
    }
}
