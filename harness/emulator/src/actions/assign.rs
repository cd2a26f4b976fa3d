//! `AssignPrivateIpAddresses`: the contract's sixteen rows, in order, atomically.

use std::time::SystemTime;

use super::{Action, address_list, client_token, no_duplicates, replay, required, usable_eni};
use crate::error::ApiError;
use crate::model::{EniType, State};
use crate::params::{Params, whole_number};
use crate::render::{Fields, Node, s};
use crate::world::InstanceStatus;

const LIST: &str = "PrivateIpAddress";
const COUNT: &str = "SecondaryPrivateIpAddressCount";

pub(super) fn assign(
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    let invalid = state.profile.invalid_parameter_code.as_str();
    // Row 1.
    let eni_id = required(params, "NetworkInterfaceId")?;
    // Row 2: a malformed key of the list counts as the list being given, so that it is
    // answered by row 3 rather than as "neither".
    let has_list = params.has_list(LIST);
    let raw_count = params.get(COUNT);
    if has_list == raw_count.is_some() {
        return Err(ApiError::invalid(
            invalid,
            "PrivateIpAddress.N/SecondaryPrivateIpAddressCount",
        ));
    }
    // Rows 3 and 4.
    let requested = if has_list {
        address_list(state, params, LIST)?
    } else {
        Vec::new()
    };
    // Row 5.
    no_duplicates(&requested)?;
    // Row 6.
    let count = match raw_count {
        Some(raw) => whole_number(raw, 1, u64::from(state.profile.max_list_index))
            .ok_or_else(|| ApiError::invalid(invalid, COUNT))? as usize,
        None => requested.len(),
    };
    // Row 7.
    let token = client_token(state, params)?;
    let remember = match replay(state, Action::Assign, params, token)? {
        Ok(remember) => remember,
        Err(fields) => return Ok(fields),
    };
    // Rows 8 to 11.
    let eni = usable_eni(state, eni_id, now)?;
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
        return Err(ApiError::ecs_state(id, inst.status.as_str()));
    }
    let Some(vsw) = state.vswitches.get(&eni.vswitch_id) else {
        return Err(ApiError::vswitch_not_found(&eni.vswitch_id));
    };
    // Row 13.
    if let Some(ip) = requested.iter().find(|ip| !vsw.usable(**ip)) {
        return Err(ApiError::ip_invalid(*ip, &vsw.cidr_text));
    }
    // Row 14.
    if let Some(ip) = requested.iter().find(|ip| vsw.in_use(**ip)) {
        return Err(ApiError::ip_assigned(*ip, &eni.vswitch_id));
    }
    // Row 15.
    let (cap, reason) = state.cap(eni);
    let would_hold = eni.secondary.len() + count;
    if would_hold > cap as usize {
        return Err(ApiError::cap_exceeded(eni_id, would_hold, cap, &reason));
    }
    // Row 16.
    if !has_list && vsw.free() < count as u64 {
        return Err(ApiError::ip_not_enough(&eni.vswitch_id));
    }

    let vswitch_id = eni.vswitch_id.clone();
    let ips = if has_list {
        state.take(&vswitch_id, &requested);
        requested
    } else {
        state.allocate(&vswitch_id, count)
    };
    let task = state.timings.task;
    if let Some(eni) = state.enis.get_mut(eni_id) {
        eni.secondary.extend_from_slice(&ips);
        if !task.is_zero() {
            eni.busy_until = Some(crate::model::later(now, task));
        }
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
    Ok(fields)
}
