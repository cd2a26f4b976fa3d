//! Filling in what a profile leaves out and the endpoint can tell: an instance fixture's primary
//! ENI, its primary address and the VSwitch fixture it sits in, read once per run with
//! `DescribeNetworkInterfaces`. An endpoint puts its instances' primaries wherever it likes
//! (CONTRACT.md, "What the contract leaves to the endpoint"), so a profile need only name ids.

use crate::profile::{Fixture, Profile};
use crate::targets::{EmulatorKnobs, Target};
use crate::wire::{Format, WireRequest};

/// Reads the primary ENI of every instance fixture whose profile entry lacks its `primary_eni`,
/// `primary_ip` or `vswitch`, and fills them in. Returns one line per fixture it could not
/// complete, saying why (cases that need the missing value are then skipped with that reason).
pub async fn discover_primaries(target: &dyn Target, profile: &mut Profile) -> Vec<String> {
    let incomplete: Vec<(String, String)> = profile
        .fixtures
        .iter()
        .filter_map(|(name, fixture)| match fixture {
            Fixture::Instance(instance)
                if instance.primary_eni.is_none()
                    || instance.primary_ip.is_none()
                    || instance.vswitch.is_none() =>
            {
                Some((name.clone(), instance.id.clone()))
            }
            _ => None,
        })
        .collect();
    if incomplete.is_empty() {
        return Vec::new();
    }
    let connection = match target.connect(&EmulatorKnobs::default()) {
        Ok(connection) => connection,
        Err(error) => {
            return vec![format!(
                "cannot ask the endpoint for primary ENIs: {error:#}"
            )];
        }
    };
    let mut notes = Vec::new();
    for (name, instance_id) in incomplete {
        let request = WireRequest {
            params: vec![
                (
                    "Action".to_string(),
                    "DescribeNetworkInterfaces".to_string(),
                ),
                ("InstanceId".to_string(), instance_id.clone()),
                ("MaxResults".to_string(), "100".to_string()),
            ],
            format: Format::Json,
            signing: profile.signing,
            ..WireRequest::default()
        };
        let exchange = match connection.send(&request).await {
            Ok(exchange) if exchange.status == 200 => exchange,
            Ok(exchange) => {
                notes.push(format!(
                    "fixture `{name}`: DescribeNetworkInterfaces for {instance_id} answered {}",
                    exchange.status
                ));
                continue;
            }
            Err(error) => {
                notes.push(format!(
                    "fixture `{name}`: DescribeNetworkInterfaces for {instance_id}: {error}"
                ));
                continue;
            }
        };
        let sets = exchange
            .decoded
            .get("NetworkInterfaceSets.NetworkInterfaceSet")
            .and_then(|sets| sets.as_array())
            .cloned()
            .unwrap_or_default();
        let text = |set: &serde_json::Value, key: &str| {
            set.get(key)
                .and_then(|value| value.as_str())
                .filter(|value| !value.is_empty())
                .map(str::to_string)
        };
        let primary = sets.iter().find(|set| {
            text(set, "Type").as_deref() == Some("Primary")
                && text(set, "InstanceId").as_deref() == Some(instance_id.as_str())
        });
        let Some(primary) = primary else {
            notes.push(format!(
                "fixture `{name}`: the endpoint lists no primary ENI of instance {instance_id}"
            ));
            continue;
        };
        let eni = text(primary, "NetworkInterfaceId");
        let address = text(primary, "PrivateIpAddress").and_then(|ip| ip.parse().ok());
        let vswitch = text(primary, "VSwitchId").and_then(|vswitch_id| {
            profile
                .vswitches()
                .find_map(|(fixture, id, _)| (id == vswitch_id).then(|| fixture.to_string()))
        });
        if let Some(Fixture::Instance(instance)) = profile.fixtures.get_mut(&name) {
            if instance.primary_eni.is_none() {
                instance.primary_eni = eni;
            }
            if instance.primary_ip.is_none() {
                instance.primary_ip = address;
            }
            if instance.vswitch.is_none() {
                instance.vswitch = vswitch;
            }
        }
    }
    notes
}
