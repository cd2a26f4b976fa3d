//! One ENI as the answers show it: the fields of a listing entry, its address and prefix sets.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::defects::Defect;
use crate::model::{Eni, State};
use crate::render::{Fields, Node, ipv4, s};

/// One ENI as `DescribeNetworkInterfaces` lists it (and the attribute call shows it flat).
pub(super) fn eni_fields(state: &State, eni: &Eni) -> Fields {
    let mut ips = Vec::with_capacity(eni.secondary.len() + 1);
    ips.push(ip_set_entry(eni.primary_ip, true));
    // Defect: an off-by-one in the loop bound drops the newest secondary address.
    let shown = if state.has(Defect::DescribeDisagrees) {
        eni.secondary.len().saturating_sub(1)
    } else {
        eni.secondary.len()
    };
    ips.extend(
        eni.secondary[..shown]
            .iter()
            .map(|ip| ip_set_entry(*ip, false)),
    );
    let mut fields = vec![
        ("NetworkInterfaceId", s(&eni.id)),
        ("Status", s(eni.status.as_str())),
        ("Type", s(eni.kind.as_str())),
        ("VpcId", s(&state.vpc_id)),
        ("VSwitchId", s(&eni.vswitch_id)),
        ("ZoneId", s(&state.zone)),
        ("PrivateIpAddress", ipv4(eni.primary_ip)),
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
    ];
    // Only an ENI holding prefixes shows the set (**decided**), so that every answer about
    // ENIs without prefixes stays as it was before prefixes existed.
    // Defect: the prefix set is never shown.
    if !eni.prefixes.is_empty() && !state.has(Defect::PrefixSetMissingFromDescribe) {
        fields.push(("Ipv4PrefixSets", prefix_sets(&eni.prefixes)));
    }
    fields
}

/// `Ipv4PrefixSets.Ipv4PrefixSet[]{Ipv4Prefix}`, as both describes show an ENI's prefixes.
pub(super) fn prefix_sets(prefixes: &[Ipv4Net]) -> Node {
    Node::List(
        "Ipv4PrefixSet",
        prefixes
            .iter()
            .map(|p| Node::Obj(vec![("Ipv4Prefix", s(p.to_string()))]))
            .collect(),
    )
}

pub(super) fn ip_set_entry(ip: Ipv4Addr, primary: bool) -> Node {
    Node::Obj(vec![
        ("PrivateIpAddress", ipv4(ip)),
        ("Primary", Node::Bool(primary)),
    ])
}
