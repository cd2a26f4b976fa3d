//! Reading a target's state back: every ENI of the VSwitches a case uses, through paged
//! `DescribeNetworkInterfaces`, as the raw values the invariant checks compare: addresses and,
//! where the target shows them, IPv4 prefixes.

use std::collections::{BTreeMap, BTreeSet};

use super::describe;
use crate::targets::{Connection, TransportError};
use crate::wire::{Format, Signing, WireRequest};

/// Largest page `DescribeNetworkInterfaces` serves with `MaxResults`.
const PAGE_SIZE: &str = "500";
/// A VSwitch holds at most a /16's worth of addresses: 140 pages of 500 is more than that, so
/// a target whose `NextToken` never ends cannot keep a run busy forever.
const MAX_PAGES: usize = 140;

/// One ENI as `DescribeNetworkInterfaces` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EniView {
    /// `NetworkInterfaceId`, as the target spelled it.
    pub id: String,
    /// `Status` (`Available`, `InUse`, `Attaching`, …), as the target spelled it.
    pub status: String,
    /// `VSwitchId`: the VSwitch whose listing showed the ENI.
    pub vswitch_id: String,
    /// `InstanceId` of the instance it is attached to; `None` when detached.
    pub instance_id: Option<String>,
    /// The primary address, as the target spelled it.
    pub primary: Option<String>,
    /// Secondary addresses in the order the target listed them; repeats kept so that an ENI
    /// holding one address twice can be caught.
    pub secondaries: Vec<String>,
    /// IPv4 prefixes (`a.b.c.d/28`) in the order the target listed them, repeats kept; empty
    /// where the target shows none (and always under a contract without prefixes).
    pub prefixes: Vec<String>,
}

impl EniView {
    /// The secondary addresses without repeats or order.
    pub fn secondary_set(&self) -> BTreeSet<String> {
        self.secondaries.iter().cloned().collect()
    }

    /// The prefixes without repeats or order.
    pub fn prefix_set(&self) -> BTreeSet<String> {
        self.prefixes.iter().cloned().collect()
    }
}

/// The ENIs of some VSwitches at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// Every ENI listed, by id.
    pub enis: BTreeMap<String, EniView>,
    /// Requests it took, for the run's statistics.
    pub requests: usize,
}

/// Why the state could not be read back; each names the VSwitch whose listing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObserveError {
    /// The listing got no answer.
    #[error("DescribeNetworkInterfaces for {vswitch_id}: {error}")]
    NoAnswer {
        /// The VSwitch being listed.
        vswitch_id: String,
        /// Why no answer came.
        #[source]
        error: TransportError,
    },
    #[error("DescribeNetworkInterfaces for {vswitch_id} answered {status} {code}")]
    /// The listing was answered with an error.
    Refused {
        /// The VSwitch being listed.
        vswitch_id: String,
        /// The answer's HTTP status.
        status: u16,
        /// The answer's code, `(no code)` when it had none.
        code: String,
    },
    #[error("an ENI of {vswitch_id} has no NetworkInterfaceId: {item}")]
    /// A listed item has no id to know it by.
    NoEniId {
        /// The VSwitch being listed.
        vswitch_id: String,
        /// The item, as JSON.
        item: String,
    },
    #[error(
        "DescribeNetworkInterfaces for {vswitch_id} did not stop paging after {MAX_PAGES} pages"
    )]
    /// The listing's `NextToken` never ended.
    EndlessPaging {
        /// The VSwitch being listed.
        vswitch_id: String,
    },
}

/// Reads every ENI of the given VSwitches.
pub(crate) async fn observe(
    connection: &dyn Connection,
    vswitch_ids: &[String],
    signing: Signing,
) -> Result<Observation, ObserveError> {
    observe_from(connection, vswitch_ids, signing, None).await
}

/// The first request [`observe`] sends for these VSwitches, if any: one a caller may send
/// ahead (pipelined behind a request) and hand to [`observe_from`] answered.
pub(crate) fn first_read(vswitch_ids: &[String], signing: Signing) -> Option<WireRequest> {
    let vswitch_id = vswitch_ids.first()?;
    Some(page_request(vswitch_id, None, signing))
}

/// [`observe`], with the answer to its [`first_read`] already in hand when `first` is given.
pub(crate) async fn observe_from(
    connection: &dyn Connection,
    vswitch_ids: &[String],
    signing: Signing,
    mut first: Option<crate::targets::Exchange>,
) -> Result<Observation, ObserveError> {
    let mut observation = Observation::default();
    for vswitch_id in vswitch_ids {
        let mut next_token: Option<String> = None;
        for _page in 0..MAX_PAGES {
            observation.requests += 1;
            let exchange = match first.take() {
                Some(answered) => answered,
                None => {
                    let request = page_request(vswitch_id, next_token.as_deref(), signing);
                    connection
                        .send(&request)
                        .await
                        .map_err(|error| ObserveError::NoAnswer {
                            vswitch_id: vswitch_id.clone(),
                            error,
                        })?
                }
            };
            if exchange.status != 200 {
                return Err(ObserveError::Refused {
                    vswitch_id: vswitch_id.clone(),
                    status: exchange.status,
                    code: exchange
                        .decoded
                        .code
                        .clone()
                        .unwrap_or_else(|| "(no code)".to_string()),
                });
            }
            for set in describe::listed(&exchange.decoded).into_iter().flatten() {
                let view = eni_view(set).ok_or_else(|| ObserveError::NoEniId {
                    vswitch_id: vswitch_id.clone(),
                    item: set.to_string(),
                })?;
                observation.enis.insert(view.id.clone(), view);
            }
            next_token = exchange
                .decoded
                .get("NextToken")
                .and_then(|value| value.as_str())
                .filter(|token| !token.is_empty())
                .map(str::to_string);
            if next_token.is_none() {
                break;
            }
        }
        if next_token.is_some() {
            return Err(ObserveError::EndlessPaging {
                vswitch_id: vswitch_id.clone(),
            });
        }
    }
    Ok(observation)
}

/// One page of one VSwitch's ENIs: the first without a token.
fn page_request(vswitch_id: &str, next_token: Option<&str>, signing: Signing) -> WireRequest {
    let mut params = vec![
        (
            "Action".to_string(),
            "DescribeNetworkInterfaces".to_string(),
        ),
        ("VSwitchId".to_string(), vswitch_id.to_string()),
        ("MaxResults".to_string(), PAGE_SIZE.to_string()),
    ];
    if let Some(token) = next_token {
        params.push(("NextToken".to_string(), token.to_string()));
    }
    WireRequest {
        params,
        format: Format::Json,
        signing,
        ..WireRequest::default()
    }
}

fn non_empty(field: Option<String>) -> Option<String> {
    field.filter(|field| !field.is_empty())
}

fn eni_view(set: &serde_json::Value) -> Option<EniView> {
    let shown = describe::eni(set);
    let mut primary = non_empty(shown.private_ip);
    let mut secondaries = Vec::new();
    for ip in shown.ips.into_iter().filter(|ip| !ip.address.is_empty()) {
        if ip.primary {
            primary.get_or_insert(ip.address);
        } else {
            secondaries.push(ip.address);
        }
    }
    Some(EniView {
        id: non_empty(shown.id)?,
        status: shown.status.unwrap_or_default(),
        vswitch_id: shown.vswitch_id.unwrap_or_default(),
        instance_id: non_empty(shown.instance_id),
        primary,
        secondaries,
        prefixes: shown
            .prefixes
            .into_iter()
            .filter(|prefix| !prefix.is_empty())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_primary_and_secondaries_from_a_describe_entry() {
        let set = serde_json::json!({
            "NetworkInterfaceId": "eni-1", "Status": "InUse", "VSwitchId": "vsw-1",
            "InstanceId": "i-1", "PrivateIpAddress": "10.0.0.2",
            "PrivateIpSets": {"PrivateIpSet": [
                {"PrivateIpAddress": "10.0.0.2", "Primary": "true"},
                {"PrivateIpAddress": "10.0.0.7", "Primary": "false"},
                {"PrivateIpAddress": "10.0.0.7", "Primary": "false"}
            ]},
            "Ipv4PrefixSets": {"Ipv4PrefixSet": [{"Ipv4Prefix": "10.0.0.16/28"}, {"Ipv4Prefix": ""}]}
        });
        let view = eni_view(&set).unwrap();
        assert_eq!(view.prefixes, ["10.0.0.16/28"]);
        assert_eq!(view.primary.as_deref(), Some("10.0.0.2"));
        assert_eq!(view.secondaries, ["10.0.0.7", "10.0.0.7"]);
        assert_eq!(view.instance_id.as_deref(), Some("i-1"));
    }
}
