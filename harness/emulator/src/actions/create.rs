//! `CreateNetworkInterface`: synchronous; the new ENI is `Available`, type `Secondary`.
//!
//! Check order (**decided**, mirroring assign): `VSwitchId` missing; no security group given;
//! both `PrivateIpAddress.N` and `SecondaryPrivateIpAddressCount`; malformed list keys;
//! malformed addresses (`PrimaryIpAddress` first); an address given twice (the primary
//! included); a bad count; name or description too long; `ClientToken`; VSwitch unknown;
//! security group unknown; address outside the block or reserved; address in use (a variant
//! answers the first address with either fault); more secondary addresses than the
//! `Available` cap; too few free addresses.

use std::net::Ipv4Addr;

use super::{
    Action, address_held, address_list, address_usable, client_token, eni_fields, ip_invalid,
    no_duplicates, replay, required,
};
use crate::error::ApiError;
use crate::model::{Eni, EniStatus, EniType, State};
use crate::params::{Params, canonical_ipv4};
use crate::render::Fields;

const LIST: &str = "PrivateIpAddress";
const COUNT: &str = "SecondaryPrivateIpAddressCount";
/// Security groups per ENI (ECS allows five).
const MAX_SECURITY_GROUPS: u32 = 5;

pub(super) fn create(state: &mut State, params: &Params) -> Result<Fields, ApiError> {
    let invalid = state.profile.invalid_parameter_code.as_str();
    let vswitch_id = required(params, "VSwitchId")?;
    let sg_list = params
        .list("SecurityGroupIds", MAX_SECURITY_GROUPS)
        .map_err(|key| ApiError::invalid_item(invalid, "SecurityGroupIds", key))?;
    let mut security_groups: Vec<String> = Vec::new();
    if let Some(sg) = params.get_nonempty("SecurityGroupId") {
        security_groups.push(sg.to_owned());
    }
    for item in &sg_list {
        if item.value.is_empty() {
            return Err(ApiError::invalid_item(
                invalid,
                "SecurityGroupIds",
                item.key,
            ));
        }
        if !security_groups.iter().any(|g| g == item.value) {
            security_groups.push(item.value.to_owned());
        }
    }
    if security_groups.is_empty() {
        return Err(ApiError::missing("SecurityGroupId"));
    }
    let has_list = params.has_list(LIST);
    let raw_count = params.get(COUNT);
    if has_list && raw_count.is_some() {
        return Err(ApiError::invalid(
            invalid,
            "PrivateIpAddress.N/SecondaryPrivateIpAddressCount",
        ));
    }
    let requested = if has_list {
        address_list(state, Action::Create, params, LIST)?
    } else {
        Vec::new()
    };
    let primary = match params.get("PrimaryIpAddress") {
        None | Some("") => None,
        Some(raw) => Some(
            canonical_ipv4(raw).ok_or_else(|| ApiError::invalid(invalid, "PrimaryIpAddress"))?,
        ),
    };
    let mut all = Vec::with_capacity(requested.len() + 1);
    all.extend(primary);
    all.extend_from_slice(&requested);
    no_duplicates(Action::Create, &all)?;
    let count = match raw_count {
        Some(raw) => (state.choices)
            .count(raw, 1, u64::from(state.profile.max_list_index))
            .ok_or_else(|| ApiError::invalid(invalid, COUNT))? as usize,
        None => requested.len(),
    };
    let name = params.get("NetworkInterfaceName").unwrap_or("");
    if name.chars().count() > 128 {
        return Err(ApiError::invalid(invalid, "NetworkInterfaceName"));
    }
    let description = params.get("Description").unwrap_or("");
    if description.chars().count() > 256 {
        return Err(ApiError::invalid(invalid, "Description"));
    }
    let token = client_token(state, Action::Create, params)?;
    let remember = match replay(state, Action::Create, params, token)? {
        Ok(remember) => remember,
        Err(fields) => return Ok(fields),
    };
    let Some(vsw) = state.vswitches.get(vswitch_id) else {
        return Err(ApiError::vswitch_not_found(vswitch_id));
    };
    if let Some(sg) = security_groups
        .iter()
        .find(|g| !state.security_groups.contains(g.as_str()))
    {
        return Err(ApiError::security_group_not_found(sg));
    }
    let outside = |ip: &Ipv4Addr| !address_usable(state, vsw, *ip);
    let held = |ip: &Ipv4Addr| address_held(state, vsw, None, *ip);
    // The contract orders no create's faults: the reference answers any address outside the
    // block or reserved before any address in use; a variant answers the first bad address,
    // whichever its fault.
    if state.choices.is_variant()
        && let Some(ip) = all.iter().find(|ip| outside(ip) || held(ip))
    {
        return Err(if outside(ip) {
            ip_invalid(state, *ip, vsw)
        } else {
            ApiError::ip_assigned(*ip, vswitch_id)
        });
    }
    if let Some(ip) = all.iter().find(|ip| outside(ip)) {
        return Err(ip_invalid(state, *ip, vsw));
    }
    if let Some(ip) = all.iter().find(|ip| held(ip)) {
        return Err(ApiError::ip_assigned(*ip, vswitch_id));
    }
    let cap = state.available_cap();
    if count > cap as usize {
        return Err(ApiError::cap_exceeded(
            "(new)",
            count,
            cap,
            "on an Available ENI",
        ));
    }
    let automatic = usize::from(primary.is_none()) + if has_list { 0 } else { count };
    // The addresses named explicitly are free now (checked above) and are taken first, so the
    // automatic ones must fit in what is left after them.
    if vsw.free() < (automatic + all.len()) as u64 {
        return Err(ApiError::ip_not_enough(vswitch_id));
    }

    state.take(vswitch_id, &all);
    let primary_ip = match primary {
        Some(ip) => ip,
        None => match state.allocate(vswitch_id, 1).first() {
            Some(ip) => *ip,
            None => return Err(ApiError::ip_not_enough(vswitch_id)),
        },
    };
    let secondary = if has_list {
        requested
    } else {
        state.allocate(vswitch_id, count)
    };
    let (id, mac, seq) = state.new_eni_identity();
    let eni = Eni {
        rank: state.choices.list_rank(&id),
        id: id.clone(),
        seq,
        vswitch_id: vswitch_id.to_owned(),
        primary_ip,
        secondary,
        prefixes: Vec::new(),
        status: EniStatus::Available,
        kind: EniType::Secondary,
        instance_id: None,
        name: name.to_owned(),
        description: description.to_owned(),
        security_groups,
        mac,
        transition: None,
        busy_until: None,
        tokens: Vec::new(),
    };
    let fields = eni_fields(state, &eni);
    state.insert_eni(eni);
    if let Some((key, fp)) = remember {
        state.remember(key, fp, fields.clone(), &id);
    }
    Ok(fields)
}
