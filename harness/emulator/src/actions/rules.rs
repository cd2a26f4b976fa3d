//! The checks and lookups every action shares: required parameters, address and prefix lists,
//! client tokens and their replay, which addresses are usable or held, which ENI may be
//! changed now.

use std::net::Ipv4Addr;
use std::time::SystemTime;

use ipnet::Ipv4Net;

use super::action::Action;
use crate::defects::Defect;
use crate::error::ApiError;
use crate::model::{Eni, Idempotency, State, VSwitchState};
use crate::params::{Pair, Params, canonical_ipv4, canonical_prefix28, valid_client_token};
use crate::render::Fields;

/// A required, non-empty parameter.
pub(super) fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get_nonempty(name)
        .ok_or_else(|| ApiError::missing(name))
}

/// Rows 3 and 4: every key of list `name` well-formed, then every value a canonical address.
pub(super) fn address_list(
    state: &State,
    action: Action,
    params: &Params,
    name: &str,
) -> Result<Vec<Ipv4Addr>, ApiError> {
    let invalid = &state.profile.invalid_parameter_code;
    // Defect: the index is parsed without a check, and a space before it crashes the handler.
    if state.has(Defect::SeedSpaceKey500)
        && params.pairs.iter().any(|(key, _)| {
            key.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|index| index.starts_with(' '))
        })
    {
        return Err(ApiError::internal().at(action.row(3)));
    }
    let items = params
        .list(name, state.profile.max_list_index)
        .map_err(|key| ApiError::invalid_item(invalid, name, key).at(action.row(3)))?;
    items
        .iter()
        .map(|item| {
            canonical_ipv4(item.value)
                .ok_or_else(|| ApiError::invalid_item(invalid, name, item.key).at(action.row(4)))
        })
        .collect()
}

/// The list of IPv4 prefixes, `Ipv4Prefix.N`.
pub(super) const PREFIX_LIST: &str = "Ipv4Prefix";

/// Rows 3 to 5 for `Ipv4Prefix.N`: every key well-formed (index in `1..=max`), then every
/// value a canonical aligned /28, then no prefix twice (the invalid-parameter code naming the
/// second key, **decided**).
pub(super) fn prefix_list(
    state: &State,
    action: Action,
    params: &Params,
) -> Result<Vec<Ipv4Net>, ApiError> {
    let invalid = &state.profile.invalid_parameter_code;
    let items = params
        .list(PREFIX_LIST, state.profile.max_ipv4_prefixes)
        .map_err(|key| ApiError::invalid_item(invalid, PREFIX_LIST, key).at(action.row(3)))?;
    // Defect: the value's shape is checked (`a.b.c.d/28`), its alignment is not.
    let unaligned = |value: &str| {
        let address = canonical_ipv4(value.strip_suffix("/28")?)?;
        Ipv4Net::new(address, 28).ok()
    };
    let prefixes = items
        .iter()
        .map(|item| {
            canonical_prefix28(item.value)
                .or_else(|| {
                    state
                        .has(Defect::UnalignedPrefixAccepted)
                        .then(|| unaligned(item.value))
                        .flatten()
                })
                .ok_or_else(|| {
                    ApiError::invalid_item(invalid, PREFIX_LIST, item.key).at(action.row(4))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, prefix) in prefixes.iter().enumerate() {
        if prefixes
            .get(..i)
            .is_some_and(|before| before.contains(prefix))
        {
            let key = items.get(i).map_or(PREFIX_LIST, |item| item.key);
            return Err(ApiError::invalid_item(invalid, PREFIX_LIST, key).at(action.row(5)));
        }
    }
    Ok(prefixes)
}

/// Row 5: the first address given twice.
pub(super) fn no_duplicates(action: Action, ips: &[Ipv4Addr]) -> Result<(), ApiError> {
    for (i, ip) in ips.iter().enumerate() {
        if ips.get(..i).is_some_and(|before| before.contains(ip)) {
            return Err(ApiError::duplicated(*ip).at(action.row(5)));
        }
    }
    Ok(())
}

/// The `ClientToken`, if one is given; empty counts as absent.
pub(super) fn client_token<'a>(
    state: &State,
    action: Action,
    params: &'a Params,
) -> Result<Option<&'a str>, ApiError> {
    match params.get_nonempty("ClientToken") {
        None => Ok(None),
        Some(t) if valid_client_token(t) => Ok(Some(t)),
        Some(_) => Err(
            ApiError::invalid(&state.profile.invalid_parameter_code, "ClientToken")
                .at(action.row(7)),
        ),
    }
}

/// Row 13: whether `ip` may be held in `vsw`: inside its block and not reserved.
pub(super) fn address_usable(state: &State, vsw: &VSwitchState, ip: Ipv4Addr) -> bool {
    // Defects: a check of only one of the two conditions.
    if state.has(Defect::IpOutsideVswitchAccepted) && !vsw.cidr.contains(&ip) {
        return true;
    }
    if state.has(Defect::ReservedAddressHandedOut) && vsw.cidr.contains(&ip) {
        return true;
    }
    vsw.usable(ip)
}

/// Row 13's error, for an address or a prefix.
pub(super) fn ip_invalid(
    state: &State,
    ip: impl std::fmt::Display,
    vsw: &VSwitchState,
) -> ApiError {
    let mut err = ApiError::ip_invalid(ip, &vsw.cidr_text);
    if state.has(Defect::MisspelledCode) {
        err.code = "InvalidVswitchId.IpInvalid".into();
    }
    err
}

/// Row 14: whether `ip` is already held in `vsw` (by any ENI, primary addresses included).
/// `eni` is the ENI the request is for, if it exists yet.
pub(super) fn address_held(
    state: &State,
    vsw: &VSwitchState,
    eni: Option<&Eni>,
    ip: Ipv4Addr,
) -> bool {
    // Defect: only the ENI's own addresses are looked at.
    if state.has(Defect::DuplicateAcrossEnis) {
        return eni.is_some_and(|e| e.primary_ip == ip || e.secondary.contains(&ip));
    }
    // Defect: only addresses are looked at; an address inside another ENI's prefix passes.
    if state.has(Defect::AddressInsidePrefixAccepted) {
        return holds_address(state, vsw, ip);
    }
    vsw.in_use(ip)
}

/// Row 14 for a prefix: whether any address of `prefix` is in use in `vsw` (an address, or a
/// prefix).
pub(super) fn prefix_held(state: &State, vsw: &VSwitchState, prefix: &Ipv4Net) -> bool {
    // Defect: only addresses are looked at; a prefix overlapping another prefix passes.
    if state.has(Defect::PrefixOverlapAccepted) {
        return crate::model::prefix_range(prefix)
            .any(|ip| holds_address(state, vsw, Ipv4Addr::from(ip)));
    }
    vsw.prefix_in_use(prefix)
}

/// Whether an ENI of `vsw` holds `ip` as its primary or a secondary address (prefixes not
/// counted): what the defects above look at instead of the VSwitch's used set. An ENI is of
/// the VSwitch whose block holds its primary address, since VSwitches do not overlap.
fn holds_address(state: &State, vsw: &VSwitchState, ip: Ipv4Addr) -> bool {
    state
        .enis
        .values()
        .filter(|e| vsw.cidr.contains(&e.primary_ip))
        .any(|e| e.primary_ip == ip || e.secondary.contains(&ip))
}

/// Parameters that do not change what a request asks for: signing, format and the token.
const NOT_FINGERPRINTED: [&str; 11] = [
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "Format",
    "Version",
    "SecurityToken",
    "ClientToken",
];

/// What a request asks for, to compare a `ClientToken` retry with the first request.
fn fingerprint(params: &Params) -> String {
    let mut pairs: Vec<&Pair<'_>> = params
        .pairs
        .iter()
        .filter(|(k, _)| !NOT_FINGERPRINTED.contains(&k.as_ref()))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(k);
        out.push('\u{0}');
        out.push_str(v);
        out.push('\u{0}');
    }
    out
}

/// Row 7: a token already used by a successful request. Same parameters: that answer again.
/// Other parameters: `IdempotentParameterMismatch`. Returns the key and fingerprint to
/// remember the answer under if the request goes on.
pub(super) fn replay(
    state: &State,
    action: Action,
    params: &Params,
    token: Option<&str>,
) -> Result<Result<Option<(String, String)>, Fields>, ApiError> {
    // Defect: the token is read and validated, then forgotten.
    let Some(token) = token.filter(|_| !state.has(Defect::ClientTokenIgnored)) else {
        return Ok(Ok(None));
    };
    let key = Idempotency::key(action.name(), token);
    let fp = fingerprint(params);
    match state.idempotency.get(&key) {
        Some(record) if record.fingerprint == fp => Ok(Err(record.fields.clone())),
        Some(_) => Err(ApiError::idempotent_mismatch(token).at(action.row(7))),
        None => Ok(Ok(Some((key, fp)))),
    }
}

/// Rows 8 to 11, shared by assign and unassign: the ENI exists, its VSwitch exists, it is
/// `Available` or `InUse`, and no other assign or unassign on it is in flight.
pub(super) fn usable_eni<'a>(
    state: &'a State,
    action: Action,
    id: &str,
    now: SystemTime,
) -> Result<&'a Eni, ApiError> {
    use crate::model::EniStatus::{Available, InUse};
    let eni = state.enis.get(id).ok_or_else(|| {
        let mut err = ApiError::eni_not_found(id).at(action.row(8));
        if state.has(Defect::MisspelledCode) {
            err.code = "InvalidEniID.NotFound".into();
        }
        err
    })?;
    if !state.vswitches.contains_key(&eni.vswitch_id) {
        return Err(ApiError::vswitch_not_found(&eni.vswitch_id).at(action.row(9)));
    }
    if !matches!(eni.status, Available | InUse) {
        return Err(ApiError::eni_state("Available/InUse", eni.status.as_str()).at(action.row(10)));
    }
    if is_busy(eni, now) {
        return Err(ApiError::conflict().at(action.row(11)));
    }
    Ok(eni)
}

pub(super) fn is_busy(eni: &Eni, now: SystemTime) -> bool {
    eni.busy_until.is_some_and(|until| now < until)
}
