//! `AssignPrivateIpAddresses`: the contract's sixteen rows, in order, atomically; under a
//! profile with IPv4 prefixes, the prefix rows of the contract slot into the same order.

use std::time::SystemTime;

use super::{
    Action, PREFIX_LIST, address_held, address_list, address_usable, client_token, ip_invalid,
    no_duplicates, prefix_held, prefix_list, replay, required, usable_eni,
};
use crate::defects::Defect;
use crate::error::ApiError;
use crate::model::{EniType, State};
use crate::params::Params;
use crate::render::{Fields, Node, ipv4, s};
use crate::world::InstanceStatus;

const LIST: &str = "PrivateIpAddress";
const COUNT: &str = "SecondaryPrivateIpAddressCount";
const PREFIX_COUNT: &str = "Ipv4PrefixCount";
/// Row 2's name when a prefix parameter is involved.
const FOUR_KINDS: &str =
    "PrivateIpAddress.N/SecondaryPrivateIpAddressCount/Ipv4Prefix.N/Ipv4PrefixCount";

pub(super) fn assign(
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    const A: Action = Action::Assign;
    let invalid = state.profile.invalid_parameter_code.as_str();
    // Row 1.
    let eni_id = required(params, "NetworkInterfaceId").map_err(|e| e.at(A.row(1)))?;
    // Row 2: a malformed key of the list counts as the list being given, so that it is
    // answered by row 3 rather than as "neither".
    let has_list = params.has_list(LIST);
    let mut raw_count = params.get(COUNT);
    // Defect: only "neither" is refused; with both, the list wins and the count is ignored.
    if has_list && state.has(Defect::BothParamsAccepted) {
        raw_count = None;
    }
    // Prefix parameters exist only in a profile that has prefixes; elsewhere they are
    // unknown parameters, ignored like any other.
    let max_prefixes = state.profile.max_ipv4_prefixes;
    let has_prefixes = max_prefixes > 0 && params.has_list(PREFIX_LIST);
    let raw_prefix_count = params.get(PREFIX_COUNT).filter(|_| max_prefixes > 0);
    let kinds = [
        has_list,
        raw_count.is_some(),
        has_prefixes,
        raw_prefix_count.is_some(),
    ];
    // Defect: the address kinds and the prefix kinds are checked apart, so one of each passes
    // (and the prefix branch below assigns the prefixes and drops the addresses).
    let mixed_passes = state.has(Defect::PrefixAndAddressMixedAccepted)
        && u8::from(kinds[0]) + u8::from(kinds[1]) == 1
        && u8::from(kinds[2]) + u8::from(kinds[3]) == 1;
    if kinds.iter().filter(|k| **k).count() != 1 && !mixed_passes {
        let name = if has_prefixes || raw_prefix_count.is_some() {
            FOUR_KINDS
        } else {
            "PrivateIpAddress.N/SecondaryPrivateIpAddressCount"
        };
        return Err(ApiError::invalid(invalid, name).at(A.row(2)));
    }
    // Rows 3 and 4.
    let requested = if has_list {
        address_list(state, A, params, LIST)?
    } else {
        Vec::new()
    };
    // Rows 3 to 5 for prefixes.
    let requested_prefixes = if has_prefixes {
        prefix_list(state, A, params)?
    } else {
        Vec::new()
    };
    // Row 5.
    no_duplicates(A, &requested)?;
    // Row 6.
    let count = match raw_count {
        Some(raw) => (state.choices)
            .count(raw, 1, u64::from(state.profile.max_list_index))
            .ok_or_else(|| ApiError::invalid(invalid, COUNT).at(A.row(6)))?
            as usize,
        None => requested.len(),
    };
    let prefix_count = match raw_prefix_count {
        Some(raw) => (state.choices)
            .count(raw, 1, u64::from(max_prefixes))
            .ok_or_else(|| ApiError::invalid(invalid, PREFIX_COUNT).at(A.row(6)))?
            as usize,
        None => requested_prefixes.len(),
    };
    // Row 7.
    let token = client_token(state, A, params)?;
    let remember = match replay(state, A, params, token)? {
        Ok(remember) => remember,
        Err(fields) => return Ok(fields),
    };
    // Rows 8 to 11.
    let eni = usable_eni(state, A, eni_id, now)?;
    // Row 12.
    if eni.kind == EniType::Primary
        && let Some((id, inst)) = eni
            .instance_id
            .as_deref()
            .and_then(|i| state.instances.get_key_value(i))
        && !matches!(
            inst.status,
            InstanceStatus::Running | InstanceStatus::Stopped
        )
    {
        return Err(ApiError::ecs_state(id, inst.status.as_str()).at(A.row(12)));
    }
    let Some(vsw) = state.vswitches.get(&eni.vswitch_id) else {
        return Err(ApiError::vswitch_not_found(&eni.vswitch_id).at(A.row(9)));
    };
    let vswitch_id = eni.vswitch_id.clone();
    // Defect: each address is checked (rows 13 and 14) and taken in turn, so the ones before
    // a failing address stay assigned although the error is answered. The cap comes first.
    if has_list && state.has(Defect::PartialAssignment) {
        let (cap, reason) = state.cap(eni);
        let would_hold = eni.secondary.len() + count;
        if would_hold > cap as usize {
            return Err(ApiError::cap_exceeded(eni_id, would_hold, cap, &reason).at(A.row(15)));
        }
        for ip in &requested {
            let (Some(vsw), Some(eni)) = (state.vswitches.get(&vswitch_id), state.enis.get(eni_id))
            else {
                break;
            };
            if !address_usable(state, vsw, *ip) {
                return Err(ip_invalid(state, *ip, vsw).at(A.row(13)));
            }
            if address_held(state, vsw, Some(eni), *ip) {
                return Err(ApiError::ip_assigned(*ip, &vswitch_id).at(A.row(14)));
            }
            state.take(&vswitch_id, &[*ip]);
            if let Some(eni) = state.enis.get_mut(eni_id) {
                eni.secondary.push(*ip);
            }
        }
        return Ok(finish(state, eni_id, ip_set(&requested), remember, now));
    }
    // Row 13.
    if let Some(ip) = requested
        .iter()
        .find(|ip| !address_usable(state, vsw, **ip))
    {
        return Err(ip_invalid(state, *ip, vsw).at(A.row(13)));
    }
    if let Some(p) = requested_prefixes.iter().find(|p| !vsw.prefix_usable(p)) {
        return Err(ip_invalid(state, p, vsw).at(A.row(13)));
    }
    // Row 14.
    if let Some(ip) = requested
        .iter()
        .find(|ip| address_held(state, vsw, Some(eni), **ip))
    {
        return Err(ApiError::ip_assigned(*ip, &eni.vswitch_id).at(A.row(14)));
    }
    if let Some(p) = requested_prefixes
        .iter()
        .find(|p| prefix_held(state, vsw, p))
    {
        return Err(ApiError::ip_assigned(p, &eni.vswitch_id).at(A.row(14)));
    }
    // Row 15: each prefix takes one slot.
    let (cap, reason) = state.cap(eni);
    let mut would_hold = eni.slots() + count + prefix_count;
    // Defect: the cap counts secondary addresses only.
    if state.has(Defect::PrefixNotCounted) {
        would_hold = eni.secondary.len() + count;
    }
    if would_hold > cap as usize {
        return Err(ApiError::cap_exceeded(eni_id, would_hold, cap, &reason).at(A.row(15)));
    }
    // Row 16, in the code the configuration answers it with.
    let not_enough = |vswitch: &str| {
        if state.choices.alternative_codes {
            ApiError::quota_exceeded(vswitch)
        } else {
            ApiError::ip_not_enough(vswitch)
        }
    };
    if raw_count.is_some() && vsw.free() < count as u64 {
        return Err(not_enough(&eni.vswitch_id).at(A.row(16)));
    }
    if raw_prefix_count.is_some() && vsw.free_prefixes().len() < prefix_count {
        return Err(not_enough(&eni.vswitch_id).at(A.row(16)));
    }

    if has_prefixes || raw_prefix_count.is_some() {
        let prefixes = if has_prefixes {
            state.take_prefixes(&vswitch_id, &requested_prefixes);
            requested_prefixes
        } else {
            state.allocate_prefixes(&vswitch_id, prefix_count)
        };
        if let Some(eni) = state.enis.get_mut(eni_id) {
            eni.prefixes.extend_from_slice(&prefixes);
        }
        let set = (
            "Ipv4PrefixSet",
            Node::List(
                "Ipv4Prefixes",
                prefixes.iter().map(|p| s(p.to_string())).collect(),
            ),
        );
        return Ok(finish(state, eni_id, set, remember, now));
    }

    let ips = if has_list {
        state.take(&vswitch_id, &requested);
        requested
    } else {
        state.allocate(&vswitch_id, count)
    };
    if let Some(eni) = state.enis.get_mut(eni_id) {
        eni.secondary.extend_from_slice(&ips);
    }
    Ok(finish(state, eni_id, ip_set(&ips), remember, now))
}

/// The answer's `PrivateIpSet`: the addresses assigned.
fn ip_set(ips: &[std::net::Ipv4Addr]) -> (&'static str, Node) {
    (
        "PrivateIpSet",
        Node::List("PrivateIpAddress", ips.iter().map(|ip| ipv4(*ip)).collect()),
    )
}

/// After the addresses (or prefixes) are on the ENI: keep it busy for the task's duration,
/// answer with `set` (what was assigned), and remember the answer under the request's
/// `ClientToken`.
fn finish(
    state: &mut State,
    eni_id: &str,
    set: (&'static str, Node),
    remember: Option<(String, String)>,
    now: SystemTime,
) -> Fields {
    let task = state.timings.task;
    if !task.is_zero()
        && let Some(eni) = state.enis.get_mut(eni_id)
    {
        eni.busy_until = Some(crate::model::later(now, task));
    }
    let fields: Fields = vec![(
        "AssignedPrivateIpAddressesSet",
        Node::Obj(vec![("NetworkInterfaceId", s(eni_id)), set]),
    )];
    if let Some((key, fp)) = remember {
        state.remember(key, fp, fields.clone(), eni_id);
    }
    fields
}
