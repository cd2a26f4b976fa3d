//! The client-compatibility scenario through the crates.io client `aliyun-openapi-core-rust-sdk`
//! (`RPClient`), an independent v1 signer: timestamps with fractional seconds, parameters sorted
//! by key only, `Signature` first in the query, every action a GET. Its error type
//! (`Error::InvalidResponse`) carries the code and the `RequestId` but not the HTTP status, so a
//! step checks the code through the client and the status is judged from the journal.
//!
//! `eni-harness-rust-client PORT RESULT.json` prints `PASS step` / `FAIL step: reason` per step
//! and `N passed, N failed`, writes the steps to RESULT.json for the compatibility table and
//! exits 1 if a step failed. Only the emulator's public test credentials and 127.0.0.1 are used.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aliyun_openapi_core_rust_sdk::client::error::Error;
use aliyun_openapi_core_rust_sdk::client::rpc::RPClient;
use serde_json::{json, Value};

const VERSION: &str = "1.1.0"; // keep in step with Cargo.toml's exact pin
const REGION: &str = "cn-hangzhou";
const VSWITCH: &str = "vsw-bp1main00000000000001";
const SECURITY_GROUP: &str = "sg-bp1default00000000001";
const INSTANCE_PRIMARY: &str = "192.168.0.200"; // the running instance's primary: in use
const UNKNOWN_ENI: &str = "eni-bp1doesnotexist000001";

type StepResult = Result<String, String>;

struct Scenario {
    client: RPClient,
    eni: String,
    primary: String,
    secondaries: Vec<String>,
    prefixes: Vec<String>,
}

/// The usable addresses of 192.168.0.0/24: not the first nor the last three.
fn usable() -> Vec<String> {
    (1..=252).map(|i| format!("192.168.0.{i}")).collect()
}

/// The aligned /28 blocks of 192.168.0.0/24 holding no reserved address: .16/28 to .224/28,
/// by their first address's last octet.
fn usable_blocks() -> Vec<u8> {
    (1..=14).map(|i| i * 16).collect()
}

/// The block of a canonical usable prefix (`192.168.0.N/28`), or None.
fn block_of(prefix: &str) -> Option<u8> {
    let octet: u8 = prefix
        .strip_prefix("192.168.0.")?
        .strip_suffix("/28")?
        .parse()
        .ok()?;
    (usable_blocks().contains(&octet) && prefix == format!("192.168.0.{octet}/28")).then_some(octet)
}

/// The block an address of 192.168.0.0/24 lies in.
fn block_of_address(ip: &str) -> Option<u8> {
    let octet: u8 = ip.strip_prefix("192.168.0.")?.parse().ok()?;
    Some(octet & !15)
}

/// The IPv4 prefixes of one ENI (an ENI without prefixes may omit the list).
fn prefixes_of(eni: &Value) -> BTreeSet<String> {
    list(eni, "Ipv4PrefixSets", "Ipv4PrefixSet")
        .iter()
        .filter_map(|p| p["Ipv4Prefix"].as_str().map(str::to_owned))
        .collect()
}

fn text(value: &Value, path: &[&str]) -> Result<String, String> {
    let mut at = value;
    for key in path {
        at = at
            .get(key)
            .ok_or_else(|| format!("answer has no {}", path.join(".")))?;
    }
    at.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} is not a string", path.join(".")))
}

fn list<'a>(value: &'a Value, outer: &str, inner: &str) -> &'a [Value] {
    value
        .get(outer)
        .and_then(|v| v.get(inner))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// (address, primary) pairs of one ENI as Describe or DescribeAttribute shows it.
fn held(eni: &Value) -> Vec<(String, bool)> {
    list(eni, "PrivateIpSets", "PrivateIpSet")
        .iter()
        .map(|s| {
            let ip = s["PrivateIpAddress"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (ip, s["Primary"].as_bool() == Some(true))
        })
        .collect()
}

/// The code and RequestId of an error answer, as the client surfaced it.
fn error_code(error: &Error) -> Option<(&str, &str)> {
    match error {
        Error::InvalidResponse {
            error_code,
            request_id,
            ..
        } => Some((error_code, request_id)),
        _ => None,
    }
}

impl Scenario {
    async fn call(&self, action: &str, params: &[(&str, String)]) -> Result<Value, Error> {
        let mut query: Vec<(String, String)> = vec![("RegionId".into(), REGION.into())];
        query.extend(params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        self.client
            .clone()
            .get(action)
            .version("2014-05-26")
            .query(query)
            .timeout(Duration::from_secs(10))
            .json::<Value>()
            .await
    }

    async fn ok(&self, action: &str, params: &[(&str, String)]) -> Result<Value, String> {
        self.call(action, params).await.map_err(|e| match e {
            Error::InvalidResponse { error_code, .. } => {
                format!("unexpected error answer {error_code}")
            }
            // reqwest's message names the URL, whose query holds the signature and the
            // AccessKeyId: shown without it.
            Error::Reqwest(e) => format!("client error: {}", e.without_url()),
            other => format!("client error: {other}"),
        })
    }

    async fn enis(&self, params: &[(&str, String)]) -> Result<Vec<Value>, String> {
        let answer = self.ok("DescribeNetworkInterfaces", params).await?;
        Ok(list(&answer, "NetworkInterfaceSets", "NetworkInterfaceSet").to_vec())
    }

    fn expect_held(&self, eni: &Value, what: &str) -> Result<(), String> {
        let pairs = held(eni);
        let primaries: Vec<&str> = pairs.iter().filter(|p| p.1).map(|p| p.0.as_str()).collect();
        if primaries != [self.primary.as_str()] {
            return Err(format!(
                "{what}: primaries {primaries:?}, expected {}",
                self.primary
            ));
        }
        let shown: BTreeSet<&str> = pairs
            .iter()
            .filter(|p| !p.1)
            .map(|p| p.0.as_str())
            .collect();
        let expected: BTreeSet<&str> = self.secondaries.iter().map(String::as_str).collect();
        if shown != expected || pairs.len() != self.secondaries.len() + 1 {
            return Err(format!("{what} shows {shown:?}, expected {expected:?}"));
        }
        let prefixes = prefixes_of(eni);
        let expected: BTreeSet<String> = self.prefixes.iter().cloned().collect();
        if prefixes != expected {
            return Err(format!(
                "{what} shows prefixes {prefixes:?}, expected {expected:?}"
            ));
        }
        Ok(())
    }

    async fn describe_one(&self) -> Result<Value, String> {
        let found = self
            .enis(&[("NetworkInterfaceId.1", self.eni.clone())])
            .await?;
        match found.as_slice() {
            [one] if one["NetworkInterfaceId"] == self.eni.as_str() => Ok(one.clone()),
            _ => Err(format!(
                "DescribeNetworkInterfaces listed {} ENIs",
                found.len()
            )),
        }
    }

    async fn expect_error(&self, code: &str, params: &[(&str, String)]) -> StepResult {
        match self.call("AssignPrivateIpAddresses", params).await {
            Ok(_) => Err(format!("expected {code}, the call succeeded")),
            Err(error) => match error_code(&error) {
                Some((got, request_id)) if got == code && !request_id.is_empty() => Ok(format!(
                    "Error::InvalidResponse ({code}; the client drops the HTTP status)"
                )),
                Some((got, _)) if got == code => Err(format!("the {code} error has no RequestId")),
                Some((got, _)) => Err(format!("expected {code}, got {got}")),
                None => Err(format!("expected {code}, got a client error")),
            },
        }
    }

    fn assigned(answer: &Value) -> Vec<String> {
        answer["AssignedPrivateIpAddressesSet"]["PrivateIpSet"]["PrivateIpAddress"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn assigned_prefixes(answer: &Value) -> Vec<String> {
        answer["AssignedPrivateIpAddressesSet"]["Ipv4PrefixSet"]["Ipv4Prefixes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Blocks holding an address of this ENI or one of its prefixes.
    fn own_blocks(&self) -> BTreeSet<u8> {
        let addresses = self.secondaries.iter().chain([&self.primary]);
        let mut taken: BTreeSet<u8> = addresses.filter_map(|ip| block_of_address(ip)).collect();
        taken.extend(self.prefixes.iter().filter_map(|p| block_of(p)));
        taken
    }

    fn indexed(addresses: &[String]) -> Vec<(&'static str, String)> {
        const KEYS: [&str; 8] = [
            "PrivateIpAddress.1",
            "PrivateIpAddress.2",
            "PrivateIpAddress.3",
            "PrivateIpAddress.4",
            "PrivateIpAddress.5",
            "PrivateIpAddress.6",
            "PrivateIpAddress.7",
            "PrivateIpAddress.8",
        ];
        KEYS.iter()
            .copied()
            .zip(addresses.iter().cloned())
            .collect()
    }

    async fn step(&mut self, name: &str) -> StepResult {
        let eni = || ("NetworkInterfaceId", self.eni.clone());
        match name {
            "create" => {
                let answer = self
                    .ok(
                        "CreateNetworkInterface",
                        &[
                            ("VSwitchId", VSWITCH.into()),
                            ("SecurityGroupId", SECURITY_GROUP.into()),
                            ("NetworkInterfaceName", "rust-sdk".into()),
                        ],
                    )
                    .await?;
                self.eni = text(&answer, &["NetworkInterfaceId"])?;
                self.primary = text(&answer, &["PrivateIpAddress"])?;
            }
            "assign-by-address" => {
                let mut used = BTreeSet::new();
                for e in self.enis(&[("VSwitchId", VSWITCH.into())]).await? {
                    used.extend(held(&e).into_iter().map(|p| p.0));
                }
                let free: Vec<String> = usable()
                    .into_iter()
                    .filter(|ip| !used.contains(ip))
                    .collect();
                let wanted = free[free.len().saturating_sub(2)..].to_vec();
                let mut params = vec![eni()];
                params.extend(Self::indexed(&wanted));
                let got = Self::assigned(&self.ok("AssignPrivateIpAddresses", &params).await?);
                if got != wanted {
                    return Err(format!("assigned {got:?}, asked for {wanted:?}"));
                }
                self.secondaries.extend(got);
            }
            "assign-by-count" => {
                let params = [eni(), ("SecondaryPrivateIpAddressCount", "2".into())];
                let got = Self::assigned(&self.ok("AssignPrivateIpAddresses", &params).await?);
                let distinct: BTreeSet<&String> = got.iter().collect();
                let fresh = got.iter().all(|ip| {
                    usable().contains(ip) && *ip != self.primary && !self.secondaries.contains(ip)
                });
                if got.len() != 2 || distinct.len() != 2 || !fresh {
                    return Err(format!("count 2 gave {got:?}"));
                }
                self.secondaries.extend(got);
            }
            "assign-by-prefix" => {
                let mut taken = BTreeSet::new();
                for e in self.enis(&[("VSwitchId", VSWITCH.into())]).await? {
                    taken.extend(held(&e).iter().filter_map(|p| block_of_address(&p.0)));
                    taken.extend(prefixes_of(&e).iter().filter_map(|p| block_of(p)));
                }
                let Some(free) = usable_blocks()
                    .into_iter()
                    .rev()
                    .find(|b| !taken.contains(b))
                else {
                    return Err("no free aligned /28 block".into());
                };
                let wanted = format!("192.168.0.{free}/28");
                let params = [eni(), ("Ipv4Prefix.1", wanted.clone())];
                let got =
                    Self::assigned_prefixes(&self.ok("AssignPrivateIpAddresses", &params).await?);
                if got != [wanted.clone()] {
                    return Err(format!("assigned prefixes {got:?}, asked for {wanted}"));
                }
                self.prefixes.extend(got);
            }
            "assign-by-prefix-count" => {
                let taken = self.own_blocks();
                let params = [eni(), ("Ipv4PrefixCount", "1".into())];
                let got =
                    Self::assigned_prefixes(&self.ok("AssignPrivateIpAddresses", &params).await?);
                match got.as_slice() {
                    [one] if block_of(one).is_some_and(|b| !taken.contains(&b)) => {}
                    _ => return Err(format!("prefix count 1 gave {got:?}")),
                }
                self.prefixes.extend(got);
            }
            "describe" => {
                self.expect_held(&self.describe_one().await?, "DescribeNetworkInterfaces")?
            }
            "describe-attribute" => {
                let answer = self
                    .ok("DescribeNetworkInterfaceAttribute", &[eni()])
                    .await?;
                self.expect_held(&answer, "DescribeNetworkInterfaceAttribute")?;
            }
            "error-eni-not-found" => {
                let params = [
                    ("NetworkInterfaceId", UNKNOWN_ENI.to_owned()),
                    ("SecondaryPrivateIpAddressCount", "1".into()),
                ];
                return self.expect_error("InvalidEniId.NotFound", &params).await;
            }
            "error-ip-in-use" => {
                let params = [eni(), ("PrivateIpAddress.1", INSTANCE_PRIMARY.into())];
                return self.expect_error("InvalidIp.IpAssigned", &params).await;
            }
            "error-ip-outside-cidr" => {
                let params = [eni(), ("PrivateIpAddress.1", "10.99.0.5".into())];
                return self
                    .expect_error("InvalidVSwitchId.IpInvalid", &params)
                    .await;
            }
            "unassign" => {
                let mut params = vec![eni()];
                params.extend(Self::indexed(&self.secondaries));
                self.ok("UnassignPrivateIpAddresses", &params).await?;
                self.secondaries.clear();
                self.expect_held(&self.describe_one().await?, "Describe after unassign")?;
            }
            "unassign-prefixes" => {
                const KEYS: [&str; 2] = ["Ipv4Prefix.1", "Ipv4Prefix.2"];
                let mut params = vec![eni()];
                params.extend(KEYS.iter().copied().zip(self.prefixes.iter().cloned()));
                self.ok("UnassignPrivateIpAddresses", &params).await?;
                self.prefixes.clear();
                let answer = self
                    .ok("DescribeNetworkInterfaceAttribute", &[eni()])
                    .await?;
                self.expect_held(&answer, "DescribeAttribute after unassigning the prefixes")?;
            }
            "delete" => {
                self.ok("DeleteNetworkInterface", &[eni()]).await?;
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    let found = self
                        .enis(&[("NetworkInterfaceId.1", self.eni.clone())])
                        .await?;
                    let Some(first) = found.first() else { break };
                    if first["Status"] != "Deleting" {
                        return Err(format!("deleted ENI listed as {}", first["Status"]));
                    }
                    if Instant::now() > deadline {
                        return Err("ENI still listed 20 s after delete".into());
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            other => return Err(format!("no step {other}")),
        }
        Ok(String::new())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(port), Some(result_file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: eni-harness-rust-client PORT RESULT.json");
        std::process::exit(2);
    };
    let client = RPClient::new("testid", "testsecret", format!("http://127.0.0.1:{port}/"));
    let mut scenario = Scenario {
        client,
        eni: String::new(),
        primary: String::new(),
        secondaries: Vec::new(),
        prefixes: Vec::new(),
    };
    let names = [
        "create",
        "assign-by-address",
        "assign-by-count",
        "assign-by-prefix",
        "assign-by-prefix-count",
        "describe",
        "describe-attribute",
        "error-eni-not-found",
        "error-ip-in-use",
        "error-ip-outside-cidr",
        "unassign",
        "unassign-prefixes",
        "delete",
    ];
    let mut steps = Vec::new();
    let mut failed = 0;
    for name in names {
        match scenario.step(name).await {
            Ok(detail) => {
                let shown = if detail.is_empty() {
                    String::new()
                } else {
                    format!(" — {detail}")
                };
                println!("PASS {name}{shown}");
                steps.push(json!({"step": name, "ok": true, "detail": detail}));
            }
            Err(reason) => {
                failed += 1;
                println!("FAIL {name}: {reason}");
                steps.push(json!({"step": name, "ok": false, "detail": reason}));
            }
        }
    }
    let result = json!({
        "client": "aliyun-openapi-core-rust-sdk",
        "version": VERSION,
        "language": "Rust",
        "signing": "v1 (own signer)",
        "method": "GET, query, Signature first",
        "steps": steps,
    });
    if let Err(error) = std::fs::write(result_file, format!("{result:#}\n")) {
        eprintln!("error: cannot write {result_file}: {error}");
        std::process::exit(2);
    }
    println!("{} passed, {failed} failed", steps.len() - failed);
    std::process::exit(i32::from(failed > 0));
}
