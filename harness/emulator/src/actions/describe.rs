//! `DescribeNetworkInterfaces` (filters and two paging styles) and
//! `DescribeNetworkInterfaceAttribute` (one ENI, flat).
//!
//! Decided: ENIs are listed in creation order (a variant world: in an order keyed by its seed,
//! the same for every page). Empty filter values count as absent. Unknown
//! `Status`/`Type` values, malformed list keys or addresses, and paging values out of range
//! answer the profile's invalid-parameter code naming the key. `MaxResults` or `NextToken`
//! selects token paging (answer: `TotalCount`, `MaxResults`, `NextToken`, empty on the last
//! page); otherwise `PageNumber`/`PageSize` paging (answer: `TotalCount`, `PageNumber`,
//! `PageSize`). `NextToken` is opaque: 16 hex digits the emulator issued.

use super::{eni_fields, required};
use crate::error::ApiError;
use crate::model::{Eni, State};
use crate::params::{Params, canonical_ipv4, whole_number};
use crate::render::{Fields, Node, s};

const STATUSES: [&str; 7] = [
    "Available",
    "Attaching",
    "InUse",
    "Detaching",
    "Deleting",
    "Creating",
    "CreateFailed",
];
const TYPES: [&str; 2] = ["Primary", "Secondary"];
/// `NetworkInterfaceId.N` accepts up to 100 ids in ECS.
const MAX_IDS: u32 = 100;

pub(super) fn describe(state: &State, params: &Params) -> Result<Fields, ApiError> {
    let invalid = state.profile.invalid_parameter_code.as_str();
    let bad = |key: &str| ApiError::invalid(invalid, key);
    let bad_ip = |key: &str| ApiError::invalid_item(invalid, "PrivateIpAddress", key);
    let ids = params
        .list("NetworkInterfaceId", MAX_IDS)
        .map_err(|key| ApiError::invalid_item(invalid, "NetworkInterfaceId", key))?;
    let ips = params
        .list("PrivateIpAddress", state.profile.max_list_index)
        .map_err(bad_ip)?;
    let ips = ips
        .iter()
        .map(|item| canonical_ipv4(item.value).ok_or_else(|| bad_ip(item.key)))
        .collect::<Result<Vec<_>, _>>()?;
    let status = params.get_nonempty("Status");
    if status.is_some_and(|v| !STATUSES.contains(&v)) {
        return Err(bad("Status"));
    }
    let kind = params.get_nonempty("Type");
    if kind.is_some_and(|v| !TYPES.contains(&v)) {
        return Err(bad("Type"));
    }
    let vswitch = params.get_nonempty("VSwitchId");
    let vpc = params.get_nonempty("VpcId");
    let instance = params.get_nonempty("InstanceId");
    let name = params.get_nonempty("NetworkInterfaceName");

    let max_results = params.get_nonempty("MaxResults");
    let next_token = params.get_nonempty("NextToken");
    let token_paging = max_results.is_some() || next_token.is_some();
    let (page_number, page_size, start) = if token_paging {
        let size = match max_results {
            Some(v) => whole_number(v, 10, 500).ok_or_else(|| bad("MaxResults"))?,
            None => 10,
        };
        let start = match next_token {
            Some(t) => parse_token(state, t).ok_or_else(|| bad("NextToken"))?,
            None => (0, 0),
        };
        (1, size, start)
    } else {
        let number = match params.get_nonempty("PageNumber") {
            Some(v) => whole_number(v, 1, u64::from(u32::MAX)).ok_or_else(|| bad("PageNumber"))?,
            None => 1,
        };
        let size = match params.get_nonempty("PageSize") {
            Some(v) => whole_number(v, 1, 100).ok_or_else(|| bad("PageSize"))?,
            None => 10,
        };
        (number, size, (0, 0))
    };

    let matches = |eni: &Eni| {
        (ids.is_empty() || ids.iter().any(|i| i.value == eni.id))
            && (ips.is_empty()
                || ips
                    .iter()
                    .any(|ip| *ip == eni.primary_ip || eni.secondary.contains(ip)))
            && status.is_none_or(|v| v == eni.status.as_str())
            && kind.is_none_or(|v| v == eni.kind.as_str())
            && vswitch.is_none_or(|v| v == eni.vswitch_id)
            && vpc.is_none_or(|v| v == state.vpc_id)
            && instance.is_none_or(|v| Some(v) == eni.instance_id.as_deref())
            && name.is_none_or(|v| v == eni.name)
    };
    let mut all: Vec<&Eni> = state
        .order
        .values()
        .filter_map(|id| state.enis.get(id))
        .filter(|e| matches(e))
        .collect();
    if state.choices.is_variant() {
        all.sort_unstable_by_key(|e| (e.rank, e.seq));
    }
    let total = all.len();
    let size = usize::try_from(page_size).unwrap_or(usize::MAX);
    let page: Vec<&Eni> = if token_paging {
        all.iter()
            .filter(|e| (e.rank, e.seq) >= start)
            .take(size.saturating_add(1))
            .copied()
            .collect()
    } else {
        let skip =
            usize::try_from((page_number - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        all.iter().skip(skip).take(size).copied().collect()
    };
    let mut fields: Fields = vec![("TotalCount", Node::Int(total as i64))];
    let shown: Vec<&Eni> = if token_paging {
        let next = page.get(size).map(|e| token(state, e)).unwrap_or_default();
        fields.push(("MaxResults", Node::Int(page_size as i64)));
        fields.push(("NextToken", s(next)));
        page.into_iter().take(size).collect()
    } else {
        fields.push(("PageNumber", Node::Int(page_number as i64)));
        fields.push(("PageSize", Node::Int(page_size as i64)));
        page
    };
    let sets = shown
        .into_iter()
        .map(|e| Node::Obj(eni_fields(state, e)))
        .collect();
    fields.push((
        "NetworkInterfaceSets",
        Node::List("NetworkInterfaceSet", sets),
    ));
    Ok(fields)
}

/// The `NextToken` pointing at `eni`: its place in the listing, as hex digits (16 in the
/// reference: the creation number; 32 in a variant: rank and creation number).
fn token(state: &State, eni: &Eni) -> String {
    if state.choices.is_variant() {
        format!("{:016x}{:016x}", eni.rank, eni.seq)
    } else {
        format!("{:016x}", eni.seq)
    }
}

/// The place in the listing a `NextToken` of [`token`]'s shape points at.
fn parse_token(state: &State, text: &str) -> Option<(u64, u64)> {
    let hex = |t: &str| {
        (t.len() == 16)
            .then(|| u64::from_str_radix(t, 16).ok())
            .flatten()
    };
    if state.choices.is_variant() {
        let (rank, seq) = (text.get(..16)?, text.get(16..)?);
        Some((hex(rank)?, hex(seq)?))
    } else {
        Some((0, hex(text)?))
    }
}

/// `DescribeNetworkInterfaceAttribute`. Under a profile with IPv4 prefixes (`current`),
/// `Attribute=basic` is accepted (what Terway sends) and adds `Attachment.InstanceId` for an
/// ENI attached to an instance (attaching and detaching ones included); any other non-empty
/// `Attribute` answers the invalid-parameter code naming it (**decided**). Under `seed` the
/// parameter is unknown and ignored.
pub(super) fn describe_attribute(state: &State, params: &Params) -> Result<Fields, ApiError> {
    let id = required(params, "NetworkInterfaceId")?;
    let basic = match params.get_nonempty("Attribute") {
        Some(_) if state.profile.max_ipv4_prefixes == 0 => false,
        Some("basic") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                &state.profile.invalid_parameter_code,
                "Attribute",
            ));
        }
        None => false,
    };
    let eni = state
        .enis
        .get(id)
        .ok_or_else(|| ApiError::eni_not_found(id))?;
    let mut fields = eni_fields(state, eni);
    if basic && let Some(instance) = eni.instance_id.as_deref() {
        fields.push(("Attachment", Node::Obj(vec![("InstanceId", s(instance))])));
    }
    Ok(fields)
}
