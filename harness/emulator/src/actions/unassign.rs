//! `UnassignPrivateIpAddresses`: rows 1, 3–5 and 8–11 of the assign table, then the addresses
//! must be secondary addresses of the ENI; atomic.
//!
//! `ClientToken` is honoured as for assign (**decided**; the contract does not list it).
//! Under a profile with IPv4 prefixes, `Ipv4Prefix.N` instead of `PrivateIpAddress.N` removes
//! prefixes the ENI holds; both lists together answer the invalid-parameter code.

use std::time::SystemTime;

use super::{
    Action, PREFIX_LIST, address_list, client_token, no_duplicates, prefix_list, replay, required,
    usable_eni,
};
use crate::defects::Defect;
use crate::error::ApiError;
use crate::model::{Eni, State};
use crate::params::Params;
use crate::render::Fields;

const LIST: &str = "PrivateIpAddress";

pub(super) fn unassign(
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    const A: Action = Action::Unassign;
    let eni_id = required(params, "NetworkInterfaceId").map_err(|e| e.at(A.row(1)))?;
    let has_prefixes = state.profile.max_ipv4_prefixes > 0 && params.has_list(PREFIX_LIST);
    if has_prefixes && params.has_list(LIST) {
        return Err(ApiError::invalid(
            &state.profile.invalid_parameter_code,
            "PrivateIpAddress.N/Ipv4Prefix.N",
        )
        .at("unassign.both-lists"));
    }
    if has_prefixes {
        return unassign_prefixes(state, params, eni_id, now);
    }
    if !params.has_list(LIST) {
        return Err(ApiError::missing("PrivateIpAddress.N").at("unassign.list-missing"));
    }
    let mut ips = address_list(state, A, params, LIST)?;
    no_duplicates(A, &ips)?;
    let token = client_token(state, A, params)?;
    let remember = match replay(state, A, params, token)? {
        Ok(remember) => remember,
        Err(fields) => return Ok(fields),
    };
    let eni = usable_eni(state, A, eni_id, now)?;
    // The primary address is never "assigned" in the secondary sense: Terway observes
    // `InvalidIp.IpUnassigned` for it too.
    let refused = |ip: &std::net::Ipv4Addr| {
        if *ip == eni.primary_ip {
            // Defect: the primary address is treated like any other.
            !state.has(Defect::PrimaryUnassignable)
        } else {
            // Defect: addresses the ENI does not hold are skipped silently.
            !eni.secondary.contains(ip) && !state.has(Defect::UnassignMissingAccepted)
        }
    };
    if let Some(ip) = ips.iter().find(|ip| refused(ip)) {
        return Err(ApiError::ip_unassigned(&ip.to_string()).at("unassign.not-assigned"));
    }
    if state.has(Defect::UnassignMissingAccepted) {
        ips.retain(|ip| *ip == eni.primary_ip || eni.secondary.contains(ip));
    }
    let vswitch_id = eni.vswitch_id.clone();
    state.release(&vswitch_id, &ips);
    Ok(settle(state, eni_id, now, remember, |eni| {
        eni.secondary.retain(|ip| !ips.contains(ip));
    }))
}

/// What both kinds of unassign do once the addresses are back in the vSwitch: drop them from
/// the ENI (`remove`), mark it busy for the task time, and remember the answer under the token.
fn settle(
    state: &mut State,
    eni_id: &str,
    now: SystemTime,
    remember: Option<(String, String)>,
    remove: impl FnOnce(&mut Eni),
) -> Fields {
    let task = state.timings.task;
    if let Some(eni) = state.enis.get_mut(eni_id) {
        remove(eni);
        if !task.is_zero() {
            eni.busy_until = Some(crate::model::later(now, task));
        }
    }
    let fields = Fields::new();
    if let Some((key, fp)) = remember {
        state.remember(key, fp, fields.clone(), eni_id);
    }
    fields
}

/// Unassign of `Ipv4Prefix.N`: rows 3 to 5 for prefixes, the token, rows 8 to 11, then every
/// prefix must be one the ENI holds (`InvalidIp.IpUnassigned` naming it); atomic.
fn unassign_prefixes(
    state: &mut State,
    params: &Params,
    eni_id: &str,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    const A: Action = Action::Unassign;
    let prefixes = prefix_list(state, A, params)?;
    let token = client_token(state, A, params)?;
    let remember = match replay(state, A, params, token)? {
        Ok(remember) => remember,
        Err(fields) => return Ok(fields),
    };
    let eni = usable_eni(state, A, eni_id, now)?;
    if let Some(p) = prefixes.iter().find(|p| !eni.prefixes.contains(p)) {
        return Err(ApiError::ip_unassigned(&p.to_string()).at("unassign.not-assigned"));
    }
    let vswitch_id = eni.vswitch_id.clone();
    state.release_prefixes(&vswitch_id, &prefixes);
    Ok(settle(state, eni_id, now, remember, |eni| {
        eni.prefixes.retain(|p| !prefixes.contains(p));
    }))
}
