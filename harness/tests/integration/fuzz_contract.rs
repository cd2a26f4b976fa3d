//! The fuzzer judges by the contract, not by the reference emulator's choices. A loopback
//! endpoint of the test's own — the emulator behind a proxy that makes, everywhere the contract
//! leaves the choice to the endpoint, the other choice (the other code for a Create with several
//! faults and for a detach of a detached ENI, 400 for the primary-detach refusal, a duplicate
//! in a Create refused with the invalid-parameter code, its own message wording, the listing in
//! reverse, counts written `01` and ` 1` read as numbers), with ENIs of another tenant in every
//! VSwitch and the instances' primaries elsewhere than the profile says — is fuzzed without a
//! finding; the same proxy answering one tabled Assign row with another row's code is a finding
//! that names the row. Bounded by runs and time, not timed.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use eni_emulator::{Config, Emulator, SigningMode, World};
use eni_harness::fuzzer::{self, Env, FuzzOptions, FuzzReport, ShrinkBudget, TargetSpec};
use eni_harness::profile::{LANES_WORLD, Profile};
use eni_harness::targets::{HttpTarget, HttpTargetOptions};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// What the proxy changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only choices the contract leaves to the endpoint.
    OpenChoices,
    /// Also row 14 of the Assign table answered with row 13's code.
    WrongRow,
}

#[derive(Default)]
struct Rewrites {
    create_code: AtomicUsize,
    detach_code: AtomicUsize,
    primary_detach_status: AtomicUsize,
    count: AtomicUsize,
    message: AtomicUsize,
    listing: AtomicUsize,
    wrong_row: AtomicUsize,
}

struct Proxy {
    inner: axum::Router,
    mode: Mode,
    rewrites: Rewrites,
}

/// A count the contract lets an endpoint read as a number.
fn read_count(value: &str) -> Option<String> {
    let digits = value.trim_matches(' ').trim_start_matches('+');
    (digits != value && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<u64>().ok().map(|n| n.to_string()))
        .flatten()
        .or_else(|| {
            (value.len() > 1 && value.starts_with('0') && value.bytes().all(|b| b.is_ascii_digit()))
                .then(|| value.trim_start_matches('0').to_string())
                .filter(|n| !n.is_empty())
        })
}

async fn handle(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let mut action = String::new();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            if k == "Action" {
                action = v.to_string();
            }
            match read_count(&v) {
                Some(count) if k == "SecondaryPrivateIpAddressCount" => {
                    proxy.rewrites.count.fetch_add(1, Ordering::Relaxed);
                    (k.into_owned(), count)
                }
                _ => (k.into_owned(), v.into_owned()),
            }
        })
        .collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    parts.uri = format!("/?{query}")
        .parse()
        .expect("a query the proxy wrote");
    let answer = proxy
        .inner
        .clone()
        .oneshot(Request::from_parts(parts, body))
        .await
        .expect("the router answers");
    let (mut parts, body) = answer.into_parts();
    let bytes = body.collect().await.expect("a body").to_bytes();
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let count = |counter: &AtomicUsize| counter.fetch_add(1, Ordering::Relaxed);
    let code = json
        .get("Code")
        .and_then(|c| c.as_str())
        .map(str::to_string);
    if let Some(code) = code {
        let swap = |to: &str, counter: &AtomicUsize| {
            count(counter);
            Some(to.to_string())
        };
        let new_code = match (action.as_str(), code.as_str()) {
            ("CreateNetworkInterface", "InvalidIp.IpAssigned") => {
                swap("InvalidVSwitchId.IpInvalid", &proxy.rewrites.create_code)
            }
            ("CreateNetworkInterface", "InvalidVSwitchId.IpInvalid") => {
                swap("InvalidIp.IpAssigned", &proxy.rewrites.create_code)
            }
            ("CreateNetworkInterface", "InvalidPrivateIpAddress.Duplicated") => {
                swap("InValidParameter", &proxy.rewrites.create_code)
            }
            ("DetachNetworkInterface", "InvalidOperation.InvalidEniState") => swap(
                "InvalidOperation.EniNotAttached",
                &proxy.rewrites.detach_code,
            ),
            ("DetachNetworkInterface", "InvalidOperation.EniNotAttached") => swap(
                "InvalidOperation.InvalidEniState",
                &proxy.rewrites.detach_code,
            ),
            ("DetachNetworkInterface", "InvalidOperation.DetachPrimaryEniNotAllowed") => {
                count(&proxy.rewrites.primary_detach_status);
                parts.status = http::StatusCode::BAD_REQUEST;
                None
            }
            ("AssignPrivateIpAddresses", "InvalidIp.IpAssigned")
                if proxy.mode == Mode::WrongRow =>
            {
                swap("InvalidVSwitchId.IpInvalid", &proxy.rewrites.wrong_row)
            }
            _ => None,
        };
        let shown = new_code.unwrap_or(code);
        json["Message"] = format!("This endpoint words it its own way ({shown}).").into();
        json["Code"] = shown.into();
        count(&proxy.rewrites.message);
    }
    if let Some(list) = json
        .pointer_mut("/NetworkInterfaceSets/NetworkInterfaceSet")
        .and_then(|l| l.as_array_mut())
        && list.len() > 1
    {
        list.reverse();
        count(&proxy.rewrites.listing);
    }
    let body = serde_json::to_vec(&json).expect("JSON");
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// The lanes world with each instance's primary moved to another free address of its VSwitch.
fn moved_world() -> World {
    let mut world = World::from_yaml(LANES_WORLD, "worlds/lanes.yaml").unwrap();
    for instance in &mut world.instances {
        let old = u32::from(
            instance
                .primary_eni
                .primary_ip
                .expect("the built-in world places every primary"),
        );
        instance.primary_eni.primary_ip = Some(Ipv4Addr::from(old - 37));
    }
    world
        .validate(&eni_emulator::ContractProfile::seed())
        .unwrap();
    world
}

/// Serves the proxy on 127.0.0.1:0; ENIs of another tenant hold addresses in every VSwitch.
async fn serve(mode: Mode) -> (Arc<Proxy>, Emulator, Vec<String>, String) {
    let mut config = Config::new(moved_world());
    config.timings.set_transitions(Duration::ZERO);
    // The proxy rewrites what the fuzzer signed: the endpoint behind it does not check.
    config.signing = SigningMode::Relaxed;
    let emulator = Emulator::new(config);
    let inner = eni_emulator::app(emulator.clone());
    let mut foreign = Vec::new();
    for vswitch in emulator.world().vswitches.clone() {
        let host = |n: u32| Ipv4Addr::from(u32::from(vswitch.cidr.network()) + n).to_string();
        let small = vswitch.cidr.prefix_len() >= 29;
        let (primary, secondary) = if small { (2, None) } else { (7, Some(23)) };
        let mut query = format!(
            "Action=CreateNetworkInterface&Format=JSON&Version=2014-05-26&RegionId=cn-hangzhou&VSwitchId={}&SecurityGroupId=sg-bp1default00000000001&PrimaryIpAddress={}",
            vswitch.id,
            host(primary)
        );
        if let Some(n) = secondary {
            query.push_str(&format!(
                "&PrivateIpAddress.1={}&PrivateIpAddress.2={}",
                host(n),
                host(n + 9)
            ));
        }
        let answer = inner
            .clone()
            .oneshot(
                Request::get(format!("/?{query}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "the foreign ENI in {}", vswitch.id);
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        foreign.push(json["NetworkInterfaceId"].as_str().unwrap().to_string());
    }
    let proxy = Arc::new(Proxy {
        inner,
        mode,
        rewrites: Rewrites::default(),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::clone(&proxy));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (proxy, emulator, foreign, url)
}

async fn fuzz_it(url: &str, runs: u64, seed: u64) -> FuzzReport {
    let profile = Arc::new(Profile::lanes());
    let target = Arc::new(
        HttpTarget::new(HttpTargetOptions {
            request_timeout: Duration::from_secs(10),
            ..HttpTargetOptions::local_emulator(url, &profile)
        })
        .unwrap(),
    );
    let spec = TargetSpec::Http {
        target,
        signing: profile.signing,
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::ZERO).unwrap());
    let options = FuzzOptions {
        seed,
        runs: Some(runs),
        time: Some(Duration::from_secs(90)),
        jobs: 4,
        shrink: ShrinkBudget {
            attempts: 50,
            time: Duration::from_secs(5),
        },
        ..FuzzOptions::default()
    };
    fuzzer::fuzz(env, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choices_the_contract_leaves_to_the_endpoint_are_never_findings() {
    let (proxy, emulator, foreign, url) = serve(Mode::OpenChoices).await;
    let report = fuzz_it(&url, 160, 11).await;
    assert!(report.findings.is_empty(), "{}", report.summary());
    assert!(!report.is_vacuous(), "{}", report.summary());
    let r = &proxy.rewrites;
    let seen = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    eprintln!(
        "rewrites: create {} detach {} primary-detach {} count {} message {} listing {}\n{}",
        seen(&r.create_code),
        seen(&r.detach_code),
        seen(&r.primary_detach_status),
        seen(&r.count),
        seen(&r.message),
        seen(&r.listing),
        report.summary()
    );
    // The run met the other choices, or it proves nothing.
    assert!(
        seen(&r.create_code) > 0,
        "no Create answered with the other code"
    );
    assert!(
        seen(&r.detach_code) > 0,
        "no detach answered with the other code"
    );
    assert!(
        seen(&r.primary_detach_status) > 0,
        "no primary-detach refusal with 400"
    );
    assert!(seen(&r.count) > 0, "no count read as a number");
    assert!(seen(&r.message) > 0 && seen(&r.listing) > 0);
    // The other tenant's ENIs are untouched; the fuzzer's are gone.
    let left: Vec<String> = emulator
        .network_interfaces()
        .into_iter()
        .filter(|eni| {
            let fixture = emulator
                .world()
                .instances
                .iter()
                .any(|i| i.primary_eni.id.as_deref() == Some(eni.id.as_str()));
            !(foreign.contains(&eni.id) || fixture && eni.secondary_ips.is_empty())
        })
        .map(|eni| format!("{} {} {:?}", eni.id, eni.status, eni.secondary_ips))
        .collect();
    assert!(left.is_empty(), "left behind: {left:#?}");
    for id in &foreign {
        assert!(
            emulator.network_interfaces().iter().any(|e| &e.id == id),
            "the fuzzer removed another tenant's {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tabled_assign_row_answered_with_another_code_is_a_finding_naming_the_row() {
    let (proxy, _emulator, _foreign, url) = serve(Mode::WrongRow).await;
    let report = fuzz_it(&url, 160, 11).await;
    assert!(proxy.rewrites.wrong_row.load(Ordering::Relaxed) > 0);
    let found = report
        .findings
        .iter()
        .find(|f| f.kind.check == "differential" && f.rests_on == "AssignPrivateIpAddresses row 14")
        .unwrap_or_else(|| panic!("row 14 answered wrong is not found:\n{}", report.summary()));
    assert!(
        found
            .message
            .contains("[contract: AssignPrivateIpAddresses row 14]"),
        "{}",
        found.message
    );
    // Nothing else is: the open choices stay open.
    let others: Vec<String> = report
        .findings
        .iter()
        .filter(|f| !f.kind.signature.contains("InvalidVSwitchId.IpInvalid"))
        .map(|f| f.kind.to_string())
        .collect();
    assert!(others.is_empty(), "{others:?}\n{}", report.summary());
}
