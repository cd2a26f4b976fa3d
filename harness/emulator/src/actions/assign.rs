//! `AssignPrivateIpAddresses`: the contract's sixteen rows, in order, atomically.

use std::time::SystemTime;

use super::{
    Action, address_held, address_list, address_usable, client_token, ip_invalid, no_duplicates,
    replay, required, usable_eni,
};
use crate::defects::Defect;
use crate::error::ApiError;
use crate::model::{EniType, State};
use crate::params::Params;
use crate::render::{Fields, Node, s};
use crate::world::InstanceStatus;

const LIST: &str = "PrivateIpAddress";
const COUNT: &str = "SecondaryPrivateIpAddressCount";

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
    if has_list == raw_count.is_some() {
        return Err(ApiError::invalid(
            invalid,
            "PrivateIpAddress.N/SecondaryPrivateIpAddressCount",
        )
        .at(A.row(2)));
    }
    // Rows 3 and 4.
    let requested = if has_list {
        address_list(state, A, params, LIST)?
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
        return Ok(finish(state, eni_id, requested, remember, now));
    }
    // Row 13.
    if let Some(ip) = requested
        .iter()
        .find(|ip| !address_usable(state, vsw, **ip))
    {
        return Err(ip_invalid(state, *ip, vsw).at(A.row(13)));
    }
    // Row 14.
    if let Some(ip) = requested
        .iter()
        .find(|ip| address_held(state, vsw, Some(eni), **ip))
    {
        return Err(ApiError::ip_assigned(*ip, &eni.vswitch_id).at(A.row(14)));
    }
    // Row 15.
    let (cap, reason) = state.cap(eni);
    let would_hold = eni.secondary.len() + count;
    if would_hold > cap as usize {
        return Err(ApiError::cap_exceeded(eni_id, would_hold, cap, &reason).at(A.row(15)));
    }
    // Row 16.
    if !has_list && vsw.free() < count as u64 {
        return Err(ApiError::ip_not_enough(&eni.vswitch_id).at(A.row(16)));
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
    Ok(finish(state, eni_id, ips, remember, now))
}

/// After the addresses are on the ENI: keep it busy for the task's duration, answer, and
/// remember the answer under the request's `ClientToken`.
fn finish(
    state: &mut State,
    eni_id: &str,
    ips: Vec<std::net::Ipv4Addr>,
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
        Node::Obj(vec![
            ("NetworkInterfaceId", s(eni_id)),
            (
                "PrivateIpSet",
                Node::List(
                    "PrivateIpAddress",
                    ips.iter().map(|ip| s(ip.to_string())).collect(),
                ),
            ),
        ]),
    )];
    if let Some((key, fp)) = remember {
        state.remember(key, fp, fields.clone(), eni_id);
    }
    fields
}
