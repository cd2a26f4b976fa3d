//! The actions: dispatch, and the checks and pieces of answer they share.
//!
//! Every action checks everything before it changes anything, so a failed request leaves the
//! state exactly as it found it (invariant 5).

use std::net::Ipv4Addr;
use std::time::SystemTime;

use crate::error::ApiError;
use crate::model::{Eni, Idempotency, State};
use crate::params::{Params, canonical_ipv4, valid_client_token};
use crate::render::{Fields, Node, s};

mod assign;
mod attach_detach;
mod create;
mod delete;
mod describe;
mod unassign;

/// The actions the emulator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Assign,
    Unassign,
    Create,
    Delete,
    Attach,
    Detach,
    Describe,
    DescribeAttribute,
}

impl Action {
    const ALL: [Action; 8] = [
        Action::Assign,
        Action::Unassign,
        Action::Create,
        Action::Delete,
        Action::Attach,
        Action::Detach,
        Action::Describe,
        Action::DescribeAttribute,
    ];

    /// Action names are case-sensitive, like every other key and value of the API.
    pub fn from_name(name: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Assign => "AssignPrivateIpAddresses",
            Action::Unassign => "UnassignPrivateIpAddresses",
            Action::Create => "CreateNetworkInterface",
            Action::Delete => "DeleteNetworkInterface",
            Action::Attach => "AttachNetworkInterface",
            Action::Detach => "DetachNetworkInterface",
            Action::Describe => "DescribeNetworkInterfaces",
            Action::DescribeAttribute => "DescribeNetworkInterfaceAttribute",
        }
    }
}

/// Runs `action`; the fields of a success body come back (without `RequestId`).
pub(crate) fn run(
    action: Action,
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    match action {
        Action::Assign => assign::assign(state, params, now),
        Action::Unassign => unassign::unassign(state, params, now),
        Action::Create => create::create(state, params),
        Action::Delete => delete::delete(state, params, now),
        Action::Attach => attach_detach::attach(state, params, now),
        Action::Detach => attach_detach::detach(state, params, now),
        Action::Describe => describe::describe(state, params),
        Action::DescribeAttribute => describe::describe_attribute(state, params),
    }
}

/// A required, non-empty parameter.
fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get_nonempty(name)
        .ok_or_else(|| ApiError::missing(name))
}

/// Rows 3 and 4: every key of list `name` well-formed, then every value a canonical address.
fn address_list(state: &State, params: &Params, name: &str) -> Result<Vec<Ipv4Addr>, ApiError> {
    let invalid = &state.profile.invalid_parameter_code;
    let items = params
        .list(name, state.profile.max_list_index)
        .map_err(|key| ApiError::invalid(invalid, key))?;
    items
        .iter()
        .map(|item| canonical_ipv4(item.value).ok_or_else(|| ApiError::invalid(invalid, item.key)))
        .collect()
}

/// Row 5: the first address given twice.
fn no_duplicates(ips: &[Ipv4Addr]) -> Result<(), ApiError> {
    for (i, ip) in ips.iter().enumerate() {
        if ips.get(..i).is_some_and(|before| before.contains(ip)) {
            return Err(ApiError::duplicated(*ip));
        }
    }
    Ok(())
}

/// The `ClientToken`, if one is given; empty counts as absent.
fn client_token<'a>(state: &State, params: &'a Params) -> Result<Option<&'a str>, ApiError> {
    match params.get_nonempty("ClientToken") {
        None => Ok(None),
        Some(t) if valid_client_token(t) => Ok(Some(t)),
        Some(_) => Err(ApiError::invalid(
            &state.profile.invalid_parameter_code,
            "ClientToken",
        )),
    }
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
    let mut pairs: Vec<&(String, String)> = params
        .pairs
        .iter()
        .filter(|(k, _)| !NOT_FINGERPRINTED.contains(&k.as_str()))
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
fn replay(
    state: &State,
    action: Action,
    params: &Params,
    token: Option<&str>,
) -> Result<Result<Option<(String, String)>, Fields>, ApiError> {
    let Some(token) = token else {
        return Ok(Ok(None));
    };
    let key = Idempotency::key(action.name(), token);
    let fp = fingerprint(params);
    match state.idempotency.get(&key) {
        Some(record) if record.fingerprint == fp => Ok(Err(record.fields.clone())),
        Some(_) => Err(ApiError::idempotent_mismatch(token)),
        None => Ok(Ok(Some((key, fp)))),
    }
}

/// Rows 8 to 11, shared by assign and unassign: the ENI exists, its VSwitch exists, it is
/// `Available` or `InUse`, and no other assign or unassign on it is in flight.
fn usable_eni<'a>(state: &'a State, id: &str, now: SystemTime) -> Result<&'a Eni, ApiError> {
    use crate::model::EniStatus::{Available, InUse};
    let eni = state
        .enis
        .get(id)
        .ok_or_else(|| ApiError::eni_not_found(id))?;
    if !state.vswitches.contains_key(&eni.vswitch_id) {
        return Err(ApiError::vswitch_not_found(&eni.vswitch_id));
    }
    if !matches!(eni.status, Available | InUse) {
        return Err(ApiError::eni_state("Available/InUse", eni.status.as_str()));
    }
    if is_busy(eni, now) {
        return Err(ApiError::conflict());
    }
    Ok(eni)
}

fn is_busy(eni: &Eni, now: SystemTime) -> bool {
    eni.busy_until.is_some_and(|until| now < until)
}

/// One ENI as `DescribeNetworkInterfaces` lists it (and the attribute call shows it flat).
fn eni_fields(state: &State, eni: &Eni) -> Fields {
    let mut ips = Vec::with_capacity(eni.secondary.len() + 1);
    ips.push(ip_set_entry(eni.primary_ip, true));
    ips.extend(eni.secondary.iter().map(|ip| ip_set_entry(*ip, false)));
    vec![
        ("NetworkInterfaceId", s(&eni.id)),
        ("Status", s(eni.status.as_str())),
        ("Type", s(eni.kind.as_str())),
        ("VpcId", s(&state.vpc_id)),
        ("VSwitchId", s(&eni.vswitch_id)),
        ("ZoneId", s(&state.zone)),
        ("PrivateIpAddress", s(eni.primary_ip.to_string())),
        ("MacAddress", s(&eni.mac)),
        ("InstanceId", s(eni.instance_id.as_deref().unwrap_or(""))),
        ("NetworkInterfaceName", s(&eni.name)),
        ("Description", s(&eni.description)),
        (
            "SecurityGroupIds",
            Node::List(
                "SecurityGroupId",
                eni.security_groups.iter().map(s).collect(),
            ),
        ),
        ("PrivateIpSets", Node::List("PrivateIpSet", ips)),
    ]
}

fn ip_set_entry(ip: Ipv4Addr, primary: bool) -> Node {
    Node::Obj(vec![
        ("PrivateIpAddress", s(ip.to_string())),
        ("Primary", Node::Bool(primary)),
    ])
}
