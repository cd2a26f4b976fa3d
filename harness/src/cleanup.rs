//! The clean-up protocol behind `eni-harness cleanup`: finds the ENIs a run left behind on a shared target (a served emulator,
//! the real cloud) and, with `--yes`, removes them. Cases name every ENI they create
//! `<resource_prefix><case id>`, so leftovers are the ENIs of the profile's VSwitches whose name
//! starts with the profile's `resource_prefix`. Primary ENIs are never touched.
//!
//! Removal: an `Available` ENI is deleted; an `InUse` one is detached from its instance first,
//! then deleted once `Available`; `Attaching`/`Detaching` ones are waited for (up to `--wait`)
//! and then treated the same; `Deleting` ones are on their way out and left alone.
//!
//! The listing is bounded whatever the endpoint answers: at most [`MAX_PAGES`] pages per
//! VSwitch, and a `NextToken` that comes back a second time ends it; either is said, and the
//! command then exits 1 (what was found is still listed, and with `--yes` removed).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::escape::cut;
use crate::profile::Profile;
use crate::targets::{Connection, EmbeddedTarget, EmulatorKnobs, Target};
use crate::wire::{Decoded, Format, Signing, WireRequest};

/// The most pages of 100 ENIs one VSwitch's listing may take: more than a /16 holds (65,531
/// addresses, so at most 656 pages), so only an endpoint whose `NextToken` never ends meets it.
pub(crate) const MAX_PAGES: usize = 1000;

/// The most of one field (id, name, status, token) kept from a listing, in bytes.
const FIELD_LIMIT: usize = 256;

/// What the listing found, and the VSwitches whose listing the endpoint did not let end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Found {
    pub leftovers: Vec<Leftover>,
    /// One line per VSwitch whose listing was stopped, saying why.
    pub cut_short: Vec<String>,
}

/// An ENI a run left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leftover {
    pub id: String,
    pub name: String,
    pub status: String,
    pub vswitch: String,
    pub instance: String,
}

/// A target and a connection to it.
pub(crate) type Connected = (Arc<dyn Target>, Box<dyn Connection>);

/// A connection to `target` (`embedded` or a URL) for the runs of `profile`, after checking that
/// the profile's `resource_prefix` can tell the harness's ENIs from others (`profile_path`
/// names the file in that error).
pub(crate) fn connect(
    target: &str,
    profile: &Profile,
    profile_path: &std::path::Path,
    timeout: Duration,
) -> Result<Connected, String> {
    if profile.resource_prefix.len() < 3 {
        return Err(format!(
            "error: profile {}: resource_prefix `{}` is too short to tell the harness's ENIs from others\n  = help: set e.g. `resource_prefix: eni-harness-`",
            profile_path.display(),
            profile.resource_prefix
        ));
    }
    let target: Arc<dyn Target> = if target == "embedded" {
        Arc::new(EmbeddedTarget::new(profile))
    } else {
        Arc::new(
            crate::runner::plan::http_target_for(target, profile, timeout, true)
                .map_err(|error| format!("error: {error:#}"))?,
        )
    };
    let connection = target
        .connect(&EmulatorKnobs::default())
        .map_err(|error| format!("error: {error:#}"))?;
    Ok((target, connection))
}

/// The ENIs of the profile's VSwitches whose name starts with its resource prefix; a VSwitch's
/// listing ends when the endpoint gives no `NextToken`, gives one it gave before, or after
/// [`MAX_PAGES`] pages.
pub(crate) async fn find(connection: &dyn Connection, profile: &Profile) -> Result<Found, String> {
    let mut found = Found::default();
    for (_, vswitch, _) in profile.vswitches() {
        let mut next_token: Option<String> = None;
        // Digests, not the tokens: an endpoint's tokens may be megabytes each.
        let mut tokens = HashSet::new();
        for page in 1.. {
            if page > MAX_PAGES {
                found.cut_short.push(format!(
                    "the listing of {vswitch} was stopped after {MAX_PAGES} pages: the endpoint's NextToken never ended; ENIs after them were not looked at"
                ));
                break;
            }
            let mut params = vec![
                (
                    "Action".to_string(),
                    "DescribeNetworkInterfaces".to_string(),
                ),
                ("VSwitchId".to_string(), vswitch.to_string()),
                ("MaxResults".to_string(), "100".to_string()),
            ];
            if let Some(token) = &next_token {
                params.push(("NextToken".to_string(), token.clone()));
            }
            let answer = call(connection, profile.signing, params).await?;
            let sets = answer
                .get("NetworkInterfaceSets.NetworkInterfaceSet")
                .and_then(|sets| sets.as_array());
            for set in sets.into_iter().flatten() {
                // Cut, so that endless pages of huge fields cannot fill the memory; a real
                // id, name or status is far shorter.
                let text = |key: &str| {
                    cut(
                        set.get(key).and_then(|value| value.as_str()).unwrap_or(""),
                        FIELD_LIMIT,
                    )
                    .into_owned()
                };
                let name = text("NetworkInterfaceName");
                if !name.starts_with(&profile.resource_prefix) || text("Type") == "Primary" {
                    continue;
                }
                found.leftovers.push(Leftover {
                    id: text("NetworkInterfaceId"),
                    name,
                    status: text("Status"),
                    vswitch: vswitch.to_string(),
                    instance: text("InstanceId"),
                });
            }
            next_token = answer
                .get("NextToken")
                .and_then(|token| token.as_str())
                .filter(|token| !token.is_empty())
                .map(str::to_string);
            let Some(token) = &next_token else {
                break;
            };
            if !tokens.insert(<[u8; 32]>::from(Sha256::digest(token.as_bytes()))) {
                found.cut_short.push(format!(
                    "the listing of {vswitch} was stopped at page {page}: the endpoint answered NextToken `{}` a second time, which would list the same pages forever",
                    cut(token, FIELD_LIMIT)
                ));
                break;
            }
        }
    }
    Ok(found)
}

/// Detaches (if attached) and deletes one ENI; says what it did.
pub(crate) async fn remove(
    connection: &dyn Connection,
    signing: Signing,
    eni: &Leftover,
    wait: Duration,
) -> Result<String, String> {
    let started = Instant::now();
    let mut detached = false;
    loop {
        let (status, instance) = status_of(connection, signing, &eni.id).await?;
        match status.as_deref() {
            None => {
                return Ok(if detached {
                    "detached and deleted".into()
                } else {
                    "already gone".into()
                });
            }
            Some("Deleting") => return Ok("deleting".into()),
            Some("Available") => {
                delete(connection, signing, &eni.id).await?;
                return Ok(if detached {
                    "detached and deleted".into()
                } else {
                    "deleted".into()
                });
            }
            Some("InUse") if !detached => {
                let params = vec![
                    ("Action".to_string(), "DetachNetworkInterface".to_string()),
                    ("NetworkInterfaceId".to_string(), eni.id.clone()),
                    ("InstanceId".to_string(), instance),
                ];
                call(connection, signing, params).await?;
                detached = true;
            }
            Some(other) => {
                if started.elapsed() >= wait {
                    return Err(format!("still {other} after {wait:?}"));
                }
            }
        }
        connection.wait(Duration::from_secs(2)).await;
    }
}

async fn status_of(
    connection: &dyn Connection,
    signing: Signing,
    id: &str,
) -> Result<(Option<String>, String), String> {
    let params = vec![
        (
            "Action".to_string(),
            "DescribeNetworkInterfaces".to_string(),
        ),
        ("NetworkInterfaceId.1".to_string(), id.to_string()),
    ];
    let answer = call(connection, signing, params).await?;
    let set = answer
        .get("NetworkInterfaceSets.NetworkInterfaceSet")
        .and_then(|sets| sets.as_array())
        .and_then(|sets| {
            sets.iter()
                .find(|set| set.get("NetworkInterfaceId").and_then(|v| v.as_str()) == Some(id))
        });
    let text = |key: &str| {
        set.and_then(|set| set.get(key))
            .and_then(|value| value.as_str())
            .map(str::to_string)
    };
    Ok((text("Status"), text("InstanceId").unwrap_or_default()))
}

async fn delete(connection: &dyn Connection, signing: Signing, id: &str) -> Result<(), String> {
    let params = vec![
        ("Action".to_string(), "DeleteNetworkInterface".to_string()),
        ("NetworkInterfaceId".to_string(), id.to_string()),
    ];
    call(connection, signing, params).await.map(|_| ())
}

async fn call(
    connection: &dyn Connection,
    signing: Signing,
    params: Vec<(String, String)>,
) -> Result<Decoded, String> {
    let request = WireRequest {
        params,
        format: Format::Json,
        signing,
        ..WireRequest::default()
    };
    send(connection, &request).await
}

async fn send(connection: &dyn Connection, request: &WireRequest) -> Result<Decoded, String> {
    let action = request
        .params
        .first()
        .map_or("", |(_, action)| action.as_str())
        .to_string();
    let exchange = connection
        .send(request)
        .await
        .map_err(|error| format!("{action}: {error}"))?;
    if exchange.status != 200 {
        let code = exchange.decoded.code.clone().unwrap_or_default();
        return Err(format!("{action} answered {} {code}", exchange.status));
    }
    Ok(exchange.decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::plan::runtime;

    async fn create(connection: &dyn Connection, profile: &Profile, name: &str) -> String {
        let vswitch = profile
            .vswitches()
            .find(|(name, _, _)| *name == "vswitch")
            .unwrap()
            .1
            .to_string();
        let params = vec![
            ("Action".to_string(), "CreateNetworkInterface".to_string()),
            ("VSwitchId".to_string(), vswitch),
            (
                "SecurityGroupId".to_string(),
                profile.fixtures["security_group"].id().to_string(),
            ),
            ("NetworkInterfaceName".to_string(), name.to_string()),
        ];
        let answer = call(connection, profile.signing, params).await.unwrap();
        answer
            .get("NetworkInterfaceId")
            .and_then(|id| id.as_str())
            .unwrap()
            .to_string()
    }

    #[test]
    fn finds_and_removes_only_prefixed_enis_detaching_first() {
        let profile = Profile::embedded();
        let target = EmbeddedTarget::new(&profile);
        let connection = target.connect(&EmulatorKnobs::default()).unwrap();
        let connection = connection.as_ref();
        runtime().block_on(async {
            let free = create(connection, &profile, "eni-harness-assign.one").await;
            let attached = create(connection, &profile, "eni-harness-attach.two").await;
            let foreign = create(connection, &profile, "production-eni").await;
            let instance = profile.fixtures["stopped_instance"].id().to_string();
            let params = vec![
                ("Action".to_string(), "AttachNetworkInterface".to_string()),
                ("NetworkInterfaceId".to_string(), attached.clone()),
                ("InstanceId".to_string(), instance),
            ];
            call(connection, profile.signing, params).await.unwrap();
            connection.wait(Duration::from_secs(60)).await;
            assert_eq!(
                status_of(connection, profile.signing, &attached)
                    .await
                    .unwrap()
                    .0
                    .as_deref(),
                Some("InUse")
            );

            let found = find(connection, &profile).await.unwrap();
            assert!(found.cut_short.is_empty(), "{found:?}");
            let found = found.leftovers;
            let ids: Vec<&str> = found.iter().map(|eni| eni.id.as_str()).collect();
            assert_eq!(ids.len(), 2, "{found:?}");
            assert!(
                ids.contains(&free.as_str()) && ids.contains(&attached.as_str()),
                "{found:?}"
            );
            for eni in &found {
                let done = remove(connection, profile.signing, eni, Duration::from_secs(300))
                    .await
                    .unwrap();
                let expected = if eni.id == attached {
                    "detached and deleted"
                } else {
                    "deleted"
                };
                assert_eq!(done, expected);
            }
            connection.wait(Duration::from_secs(60)).await;
            assert_eq!(find(connection, &profile).await.unwrap(), Found::default());
            assert_eq!(
                status_of(connection, profile.signing, &foreign)
                    .await
                    .unwrap()
                    .0
                    .as_deref(),
                Some("Available")
            );
        });
    }
}
