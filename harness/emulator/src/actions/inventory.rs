//! The read-only ECS actions that describe the world around the ENIs: `DescribeInstances`
//! (type, status, primary ENI), `DescribeVSwitches` (CIDR, free addresses) and
//! `DescribeSecurityGroups`, and `DescribeRegions` (the one region served), in the 2014-05-26 answer shapes, so that a client can discover
//! the fixtures of a world without reading its file.
//!
//! Decided: results are listed by id; filter values that are empty count as absent; paging
//! values out of range and malformed JSON id lists answer the invalid-parameter code naming
//! the parameter. `PageNumber`/`PageSize` paging everywhere (`PageSize` up to 100 for
//! instances, 50 otherwise, default 10); `DescribeInstances` and `DescribeSecurityGroups`
//! also page with `MaxResults` + `NextToken` (then `NextToken` is empty on the last page, and
//! is opaque: 16 hex digits the emulator issued).

use crate::error::ApiError;
use crate::model::{EniType, State};
use crate::params::{Params, whole_number};
use crate::render::{Fields, Node, s};

/// Instance statuses `DescribeInstances` filters on.
const INSTANCE_STATUSES: [&str; 5] = ["Pending", "Running", "Starting", "Stopping", "Stopped"];
/// Most ids one JSON id list (`InstanceIds`, `SecurityGroupIds`) may name, as in ECS.
const MAX_JSON_IDS: usize = 100;

/// How one listing is paged.
struct Paging {
    /// `MaxResults`/`NextToken` paging: the answer carries `NextToken`.
    token: bool,
    number: u64,
    size: u64,
    /// Index of the first result shown.
    start: usize,
}

/// Reads either paging style; `token_max` is `None` for actions with page numbers only.
fn paging(
    state: &State,
    params: &Params,
    page_max: u64,
    token_max: Option<u64>,
) -> Result<Paging, ApiError> {
    let bad = |key: &str| ApiError::invalid(&state.profile.invalid_parameter_code, key);
    let max_results = params.get_nonempty("MaxResults");
    let next_token = params.get_nonempty("NextToken");
    if let Some(token_max) = token_max
        && (max_results.is_some() || next_token.is_some())
    {
        let size = match max_results {
            Some(v) => whole_number(v, 1, token_max).ok_or_else(|| bad("MaxResults"))?,
            None => 10,
        };
        let start = match next_token {
            Some(t) => parse_token(t).ok_or_else(|| bad("NextToken"))?,
            None => 0,
        };
        return Ok(Paging {
            token: true,
            number: 1,
            size,
            start,
        });
    }
    let number = match params.get_nonempty("PageNumber") {
        Some(v) => whole_number(v, 1, u64::from(u32::MAX)).ok_or_else(|| bad("PageNumber"))?,
        None => 1,
    };
    let size = match params.get_nonempty("PageSize") {
        Some(v) => whole_number(v, 1, page_max).ok_or_else(|| bad("PageSize"))?,
        None => 10,
    };
    let start = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    Ok(Paging {
        token: false,
        number,
        size,
        start,
    })
}

fn parse_token(text: &str) -> Option<usize> {
    (text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u64::from_str_radix(text, 16).ok())
        .flatten()
        .and_then(|n| usize::try_from(n).ok())
}

/// The page of `all` that `paging` selects, and the answer's paging fields in front of it.
fn page<T>(all: Vec<T>, paging: &Paging) -> (Fields, Vec<T>) {
    let total = all.len();
    let size = usize::try_from(paging.size).unwrap_or(usize::MAX);
    let end = paging.start.saturating_add(size);
    let shown: Vec<T> = all.into_iter().skip(paging.start).take(size).collect();
    let mut fields: Fields = vec![("TotalCount", Node::Int(total as i64))];
    if paging.token {
        let next = if end < total {
            format!("{end:016x}")
        } else {
            String::new()
        };
        fields.push(("MaxResults", Node::Int(paging.size as i64)));
        fields.push(("NextToken", s(next)));
    } else {
        fields.push(("PageNumber", Node::Int(paging.number as i64)));
        fields.push(("PageSize", Node::Int(paging.size as i64)));
    }
    (fields, shown)
}

/// A JSON array of ids (`InstanceIds=["i-1","i-2"]`), as ECS takes them; absent or empty:
/// no filter.
fn json_ids(state: &State, params: &Params, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(text) = params.get_nonempty(name) else {
        return Ok(None);
    };
    let bad = || ApiError::invalid(&state.profile.invalid_parameter_code, name);
    let ids: Vec<String> = serde_json::from_str(text).map_err(|_| bad())?;
    if ids.len() > MAX_JSON_IDS {
        return Err(bad());
    }
    Ok(Some(ids))
}

pub(super) fn describe_instances(state: &State, params: &Params) -> Result<Fields, ApiError> {
    let invalid = state.profile.invalid_parameter_code.as_str();
    let ids = json_ids(state, params, "InstanceIds")?;
    let status = params.get_nonempty("Status");
    if status.is_some_and(|v| !INSTANCE_STATUSES.contains(&v)) {
        return Err(ApiError::invalid(invalid, "Status"));
    }
    let instance_type = params.get_nonempty("InstanceType");
    let zone = params.get_nonempty("ZoneId");
    let vpc = params.get_nonempty("VpcId");
    let vswitch = params.get_nonempty("VSwitchId");
    let paging = paging(state, params, 100, Some(100))?;

    let mut all: Vec<(&String, &crate::model::InstanceState)> = state
        .instances
        .iter()
        .filter(|(id, inst)| {
            let primary = primary_eni(state, id);
            ids.as_ref().is_none_or(|ids| ids.contains(id))
                && status.is_none_or(|v| v == inst.status.as_str())
                && instance_type.is_none_or(|v| v == inst.instance_type)
                && zone.is_none_or(|v| v == state.zone)
                && vpc.is_none_or(|v| v == state.vpc_id)
                && vswitch.is_none_or(|v| primary.is_some_and(|e| e.vswitch_id == v))
        })
        .collect();
    all.sort_unstable_by_key(|(id, _)| id.as_str());
    let (mut fields, shown) = page(all, &paging);
    let instances = shown
        .into_iter()
        .map(|(id, inst)| {
            let primary = primary_eni(state, id);
            let mut vpc_attributes = vec![
                ("VpcId", s(&state.vpc_id)),
                (
                    "VSwitchId",
                    s(primary.map_or("", |e| e.vswitch_id.as_str())),
                ),
                (
                    "PrivateIpAddress",
                    Node::List(
                        "IpAddress",
                        primary
                            .map(|e| vec![s(e.primary_ip.to_string())])
                            .unwrap_or_default(),
                    ),
                ),
            ];
            vpc_attributes.push(("NatIpAddress", s("")));
            let interfaces = state
                .enis
                .values()
                .filter(|e| e.instance_id.as_deref() == Some(id.as_str()))
                .map(|e| {
                    Node::Obj(vec![
                        ("NetworkInterfaceId", s(&e.id)),
                        ("MacAddress", s(&e.mac)),
                        ("PrimaryIpAddress", s(e.primary_ip.to_string())),
                        ("Type", s(e.kind.as_str())),
                    ])
                })
                .collect::<Vec<_>>();
            let groups = primary
                .map(|e| e.security_groups.iter().map(s).collect())
                .unwrap_or_default();
            Node::Obj(vec![
                ("InstanceId", s(id.as_str())),
                ("InstanceName", s(id.as_str())),
                ("InstanceType", s(&inst.instance_type)),
                ("Status", s(inst.status.as_str())),
                ("RegionId", s(&state.region)),
                ("ZoneId", s(&state.zone)),
                ("InstanceNetworkType", s("vpc")),
                ("VpcAttributes", Node::Obj(vpc_attributes)),
                ("SecurityGroupIds", Node::List("SecurityGroupId", groups)),
                (
                    "NetworkInterfaces",
                    Node::List("NetworkInterface", sorted_by_id(interfaces)),
                ),
            ])
        })
        .collect();
    fields.push(("Instances", Node::List("Instance", instances)));
    Ok(fields)
}

/// The primary ENI of an instance, if it has one.
fn primary_eni<'a>(state: &'a State, instance: &str) -> Option<&'a crate::model::Eni> {
    state
        .enis
        .values()
        .find(|e| e.kind == EniType::Primary && e.instance_id.as_deref() == Some(instance))
}

/// Objects whose first field is their id, listed by it.
fn sorted_by_id(mut nodes: Vec<Node>) -> Vec<Node> {
    nodes.sort_by(|a, b| first_text(a).cmp(first_text(b)));
    nodes
}

fn first_text(node: &Node) -> &str {
    match node {
        Node::Obj(fields) => match fields.first() {
            Some((_, Node::Str(text))) => text,
            _ => "",
        },
        _ => "",
    }
}

pub(super) fn describe_vswitches(state: &State, params: &Params) -> Result<Fields, ApiError> {
    let id = params.get_nonempty("VSwitchId");
    let vpc = params.get_nonempty("VpcId");
    let zone = params.get_nonempty("ZoneId");
    let paging = paging(state, params, 50, None)?;
    let mut all: Vec<(&String, &crate::model::VSwitchState)> = state
        .vswitches
        .iter()
        .filter(|(vsw_id, _)| {
            id.is_none_or(|v| v == vsw_id.as_str())
                && vpc.is_none_or(|v| v == state.vpc_id)
                && zone.is_none_or(|v| v == state.zone)
        })
        .collect();
    all.sort_unstable_by_key(|(id, _)| id.as_str());
    let (mut fields, shown) = page(all, &paging);
    let vswitches = shown
        .into_iter()
        .map(|(id, vsw)| {
            Node::Obj(vec![
                ("VSwitchId", s(id.as_str())),
                ("VpcId", s(&state.vpc_id)),
                ("Status", s("Available")),
                ("CidrBlock", s(&vsw.cidr_text)),
                ("ZoneId", s(&state.zone)),
                (
                    "AvailableIpAddressCount",
                    Node::Int(i64::try_from(vsw.free()).unwrap_or(i64::MAX)),
                ),
                ("VSwitchName", s("")),
                ("Description", s("")),
                ("IsDefault", Node::Bool(false)),
            ])
        })
        .collect();
    fields.push(("VSwitches", Node::List("VSwitch", vswitches)));
    Ok(fields)
}

pub(super) fn describe_security_groups(state: &State, params: &Params) -> Result<Fields, ApiError> {
    let single = params.get_nonempty("SecurityGroupId");
    let ids = json_ids(state, params, "SecurityGroupIds")?;
    let vpc = params.get_nonempty("VpcId");
    let paging = paging(state, params, 50, Some(100))?;
    let mut all: Vec<&String> = state
        .security_groups
        .iter()
        .filter(|sg| {
            single.is_none_or(|v| v == sg.as_str())
                && ids.as_ref().is_none_or(|ids| ids.contains(sg))
                && vpc.is_none_or(|v| v == state.vpc_id)
        })
        .collect();
    all.sort_unstable();
    let (mut fields, shown) = page(all, &paging);
    fields.push(("RegionId", s(&state.region)));
    let groups = shown
        .into_iter()
        .map(|id| {
            Node::Obj(vec![
                ("SecurityGroupId", s(id.as_str())),
                ("SecurityGroupName", s("")),
                ("Description", s("")),
                ("VpcId", s(&state.vpc_id)),
                ("SecurityGroupType", s("normal")),
            ])
        })
        .collect();
    fields.push(("SecurityGroups", Node::List("SecurityGroup", groups)));
    Ok(fields)
}

/// `DescribeRegions`: the one region the emulator answers for (`RegionId` optional here, as in
/// ECS; a wrong one answers `InvalidRegionId.NotFound` as for every action).
pub(super) fn describe_regions(state: &State) -> Fields {
    let region = Node::Obj(vec![
        ("RegionId", s(&state.region)),
        ("LocalName", s(&state.region)),
        (
            "RegionEndpoint",
            s(format!("ecs.{}.aliyuncs.com", state.region)),
        ),
        ("Status", s("available")),
    ]);
    vec![("Regions", Node::List("Region", vec![region]))]
}
