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
}

/// The usable addresses of 192.168.0.0/24: not the first nor the last three.
fn usable() -> Vec<String> {
    (1..=252).map(|i| format!("192.168.0.{i}")).collect()
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
    };
    let names = [
        "create",
        "assign-by-address",
        "assign-by-count",
        "describe",
        "describe-attribute",
        "error-eni-not-found",
        "error-ip-in-use",
        "error-ip-outside-cidr",
        "unassign",
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
