//! `CreateNetworkInterface`: synchronous; the new ENI is `Available`, type `Secondary`.
//!
//! Check order (**decided**, mirroring assign): `VSwitchId` missing; no security group given;
//! both `PrivateIpAddress.N` and `SecondaryPrivateIpAddressCount`; malformed list keys;
//! malformed addresses (`PrimaryIpAddress` first); an address given twice (the primary
//! included); a bad count; name or description too long; `ClientToken`; VSwitch unknown;
//! security group unknown; address outside the block or reserved; address in use (a variant
//! answers the first address with either fault); more secondary addresses than the
//! `Available` cap; too few free addresses.
//!
//! Under a profile with IPv4 prefixes, `Ipv4Prefix.N` or `Ipv4PrefixCount` may come beside the
//! primary address, never with secondary addresses nor with each other (the invalid-parameter
//! code, checked with the address kinds). Prefix keys and values are checked after the
//! addresses, the prefix count after the address count; a prefix outside the block or holding
//! a reserved address after the addresses; a prefix overlapping an address in use or the
//! requested primary after the addresses in use; then the cap (prefixes take a slot each), and
//! too few free aligned blocks. Prefixes are taken before an automatic primary is picked.

use std::net::Ipv4Addr;

use super::{
    Action, PREFIX_LIST, address_held, address_list, address_usable, client_token, eni_fields,
    ip_invalid, no_duplicates, prefix_list, replay, required,
};
use crate::error::ApiError;
use crate::model::{Eni, EniStatus, EniType, State};
use crate::params::{Params, canonical_ipv4};
use crate::render::Fields;

const LIST: &str = "PrivateIpAddress";
const COUNT: &str = "SecondaryPrivateIpAddressCount";
const PREFIX_COUNT: &str = "Ipv4PrefixCount";
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
    // Prefix parameters exist only in a profile that has prefixes.
    let max_prefixes = state.profile.max_ipv4_prefixes;
    let has_prefixes = max_prefixes > 0 && params.has_list(PREFIX_LIST);
    let raw_prefix_count = params.get(PREFIX_COUNT).filter(|_| max_prefixes > 0);
    let wants_prefixes = has_prefixes || raw_prefix_count.is_some();
    if wants_prefixes
        && (has_list || raw_count.is_some() || (has_prefixes && raw_prefix_count.is_some()))
    {
        return Err(ApiError::invalid(
            invalid,
            "PrivateIpAddress.N/SecondaryPrivateIpAddressCount/Ipv4Prefix.N/Ipv4PrefixCount",
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
    let requested_prefixes = if has_prefixes {
        prefix_list(state, Action::Create, params)?
    } else {
        Vec::new()
    };
    let count = match raw_count {
        Some(raw) => (state.choices)
            .count(raw, 1, u64::from(state.profile.max_list_index))
            .ok_or_else(|| ApiError::invalid(invalid, COUNT))? as usize,
        None => requested.len(),
    };
    let prefix_count = match raw_prefix_count {
        Some(raw) => (state.choices)
            .count(raw, 1, u64::from(max_prefixes))
            .ok_or_else(|| ApiError::invalid(invalid, PREFIX_COUNT))? as usize,
        None => requested_prefixes.len(),
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
    if let Some(p) = requested_prefixes.iter().find(|p| !vsw.prefix_usable(p)) {
        return Err(ip_invalid(state, p, vsw));
    }
    if let Some(ip) = all.iter().find(|ip| held(ip)) {
        return Err(ApiError::ip_assigned(*ip, vswitch_id));
    }
    if let Some(p) = requested_prefixes
        .iter()
        .find(|p| vsw.prefix_in_use(p) || all.iter().any(|ip| p.contains(ip)))
    {
        return Err(ApiError::ip_assigned(p, vswitch_id));
    }
    let cap = state.available_cap();
    if count + prefix_count > cap as usize {
        return Err(ApiError::cap_exceeded(
            "(new)",
            count + prefix_count,
            cap,
            "on an Available ENI",
        ));
    }
    // Blocks free for a prefix count: none holding the requested primary address.
    if raw_prefix_count.is_some()
        && vsw
            .free_prefixes()
            .iter()
            .filter(|b| !all.iter().any(|ip| b.contains(ip)))
            .count()
            < prefix_count
    {
        return Err(ApiError::ip_not_enough(vswitch_id));
    }
    let automatic = usize::from(primary.is_none()) + if has_list { 0 } else { count };
    // The addresses named explicitly are free now (checked above) and are taken first, so the
    // automatic ones must fit in what is left after them.
    if vsw.free() < (automatic + all.len() + 16 * prefix_count) as u64 {
        return Err(ApiError::ip_not_enough(vswitch_id));
    }

    state.take(vswitch_id, &all);
    let prefixes = if has_prefixes {
        state.take_prefixes(vswitch_id, &requested_prefixes);
        requested_prefixes
    } else if prefix_count > 0 {
        state.allocate_prefixes(vswitch_id, prefix_count)
    } else {
        Vec::new()
    };
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
        prefixes,
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
