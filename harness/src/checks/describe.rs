//! Reading ENIs out of a decoded answer: the one place that knows how `DescribeNetworkInterfaces`
//! (and `DescribeNetworkInterfaceAttribute`, and `CreateNetworkInterface`) spell an ENI and its
//! `PrivateIpSets` and `Ipv4PrefixSets`, and where `AssignPrivateIpAddresses` lists what it
//! assigned. The runner's state reads, the fuzzer's oracle and the emulator's fuzz target all go
//! through it, so they cannot drift apart on what an answer shows; the decoder's list rules and
//! the state read's plain reader (`plain_listing.rs`) name the same paths.
//!
//! Values are kept as the endpoint wrote them (empty strings included): each caller decides
//! what an empty field means for its check.

use serde_json::Value;

use crate::wire::Decoded;

/// Where a listing answer keeps its ENIs.
pub const ENI_LIST: &str = "NetworkInterfaceSets.NetworkInterfaceSet";

/// [`ENI_LIST`] key by key: the wrapper, then the item.
pub const ENI_LIST_KEYS: &[&str] = &["NetworkInterfaceSets", "NetworkInterfaceSet"];

/// Where an ENI object keeps its address entries.
pub const IP_SET_PATH: &[&str] = &["PrivateIpSets", "PrivateIpSet"];

/// Where an ENI object keeps its IPv4 prefix entries (contracts with prefixes).
pub const PREFIX_SET_PATH: &[&str] = &["Ipv4PrefixSets", "Ipv4PrefixSet"];

/// Where an Assign answer lists the addresses it assigned, key by key.
pub const ASSIGNED_KEYS: &[&str] = &[
    "AssignedPrivateIpAddressesSet",
    "PrivateIpSet",
    "PrivateIpAddress",
];

/// [`ASSIGNED_KEYS`] as a path for `Decoded::strings_at`.
pub(crate) const ASSIGNED_PATH: &str =
    "AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress";

/// The path in an Assign answer where the assigned IPv4 prefixes are listed.
pub(crate) const ASSIGNED_PREFIX_PATH: &str =
    "AssignedPrivateIpAddressesSet.Ipv4PrefixSet.Ipv4Prefixes";

/// One address entry of an ENI's `PrivateIpSets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownIp {
    /// The address, as the answer wrote it.
    pub address: String,
    /// `Primary` is the text `true`; anything else (absent, `false`, not text) is a secondary.
    pub primary: bool,
}

/// One ENI as an answer shows it; a field is `None` when absent or not text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribedEni {
    /// Its `NetworkInterfaceId`.
    pub id: Option<String>,
    /// Its `Status`.
    pub status: Option<String>,
    pub(crate) vswitch_id: Option<String>,
    pub(crate) instance_id: Option<String>,
    /// The top-level `PrivateIpAddress` (the primary address).
    pub private_ip: Option<String>,
    /// The `PrivateIpSets` entries that carry an address, in the order shown.
    pub ips: Vec<ShownIp>,
    /// The `Ipv4Prefix` of each `Ipv4PrefixSets` entry that carries one, in the order shown.
    pub prefixes: Vec<String>,
}

impl DescribedEni {
    /// The addresses flagged secondary, in the order shown, repeats kept.
    pub fn secondaries(&self) -> impl Iterator<Item = &str> {
        self.ips
            .iter()
            .filter(|ip| !ip.primary)
            .map(|ip| ip.address.as_str())
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Reads one ENI object (a listing's item, or the body of an attribute or create answer).
pub fn eni(value: &Value) -> DescribedEni {
    let ips = IP_SET_PATH
        .iter()
        .try_fold(value, |at, key| at.get(*key))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|set| {
            Some(ShownIp {
                address: text(set, "PrivateIpAddress")?,
                primary: text(set, "Primary").as_deref() == Some("true"),
            })
        })
        .collect();
    let prefixes = PREFIX_SET_PATH
        .iter()
        .try_fold(value, |at, key| at.get(*key))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|set| text(set, "Ipv4Prefix"))
        .collect();
    DescribedEni {
        id: text(value, "NetworkInterfaceId"),
        status: text(value, "Status"),
        vswitch_id: text(value, "VSwitchId"),
        instance_id: text(value, "InstanceId"),
        private_ip: text(value, "PrivateIpAddress"),
        ips,
        prefixes,
    }
}

/// The raw ENI items of a listing answer; `None` when it has no list.
pub fn listed(decoded: &Decoded) -> Option<&Vec<Value>> {
    decoded.get(ENI_LIST).and_then(Value::as_array)
}

/// The ENIs an answer shows, in order: a listing's items, or else the body as one ENI (the
/// shape of the attribute and create answers).
pub fn enis(decoded: &Decoded) -> Vec<DescribedEni> {
    match listed(decoded) {
        Some(list) => list.iter().map(eni).collect(),
        None => vec![eni(&decoded.body)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assigned_path_spells_the_assigned_keys() {
        assert_eq!(ASSIGNED_KEYS.join("."), ASSIGNED_PATH);
        assert_eq!(ENI_LIST_KEYS.join("."), ENI_LIST);
    }

    #[test]
    fn reads_an_entry_as_written() {
        let item = serde_json::json!({
            "NetworkInterfaceId": "eni-1", "Status": "InUse", "VSwitchId": "vsw-1",
            "InstanceId": "i-1", "PrivateIpAddress": "10.0.0.2",
            "PrivateIpSets": {"PrivateIpSet": [
                {"PrivateIpAddress": "10.0.0.2", "Primary": "true"},
                {"PrivateIpAddress": "10.0.0.7", "Primary": "false"},
                {"Primary": "false"},
                {"PrivateIpAddress": "", "Primary": true}
            ]},
            "Ipv4PrefixSets": {"Ipv4PrefixSet": [
                {"Ipv4Prefix": "10.0.0.16/28"}, {"Other": "x"}, {"Ipv4Prefix": ""}
            ]}
        });
        let eni = eni(&item);
        assert_eq!(eni.id.as_deref(), Some("eni-1"));
        assert_eq!(eni.private_ip.as_deref(), Some("10.0.0.2"));
        assert!(eni.ips[0].primary);
        // A JSON `true` is not the text the API writes: counted as secondary, not guessed at.
        assert_eq!(eni.secondaries().collect::<Vec<_>>(), ["10.0.0.7", ""]);
        assert_eq!(eni.prefixes, ["10.0.0.16/28", ""]);
    }

    #[test]
    fn a_body_without_a_list_is_one_eni() {
        let decoded = Decoded {
            body: serde_json::json!({"NetworkInterfaceId": "eni-9", "Status": "Available"}),
            ..Decoded::default()
        };
        let shown = enis(&decoded);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].status.as_deref(), Some("Available"));
        assert!(shown[0].ips.is_empty());
        assert!(shown[0].prefixes.is_empty());
        let listing = Decoded {
            body: serde_json::json!({"NetworkInterfaceSets": {"NetworkInterfaceSet": []}}),
            ..Decoded::default()
        };
        assert!(enis(&listing).is_empty());
    }
}
