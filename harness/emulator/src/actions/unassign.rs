//! `UnassignPrivateIpAddresses`: rows 1, 3–5 and 8–11 of the assign table, then the addresses
//! must be secondary addresses of the ENI; atomic.
//!
//! `ClientToken` is honoured as for assign (**decided**; the contract does not list it).

use std::time::SystemTime;

use super::{Action, address_list, client_token, no_duplicates, replay, required, usable_eni};
use crate::error::ApiError;
use crate::model::State;
use crate::params::Params;
use crate::render::Fields;

const LIST: &str = "PrivateIpAddress";

pub(super) fn unassign(
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    let eni_id = required(params, "NetworkInterfaceId")?;
    if !params.has_list(LIST) {
        return Err(ApiError::missing("PrivateIpAddress.N"));
    }
    let ips = address_list(state, params, LIST)?;
    no_duplicates(&ips)?;
    let token = client_token(state, params)?;
    let remember = match replay(state, Action::Unassign, params, token)? {
        Ok(remember) => remember,
        Err(fields) => return Ok(fields),
    };
    let eni = usable_eni(state, eni_id, now)?;
    // The primary address is never "assigned" in the secondary sense: Terway observes
    // `InvalidIp.IpUnassigned` for it too.
    if let Some(ip) = ips
        .iter()
        .find(|ip| **ip == eni.primary_ip || !eni.secondary.contains(ip))
    {
        return Err(ApiError::ip_unassigned(&ip.to_string()));
    }
    let vswitch_id = eni.vswitch_id.clone();
    state.release(&vswitch_id, &ips);
    let task = state.timings.task;
    if let Some(eni) = state.enis.get_mut(eni_id) {
        eni.secondary.retain(|ip| !ips.contains(ip));
        if !task.is_zero() {
            eni.busy_until = Some(crate::model::later(now, task));
        }
    }
    let fields = Fields::new();
    if let Some((key, fp)) = remember {
        state.remember(key, fp, fields.clone(), eni_id);
    }
    Ok(fields)
}
