//! Running a scenario in process against a fresh reference emulator, and the properties checked
//! after every request.

use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

use axum::body::Body as HttpBody;
use axum::http::{Request as HttpRequest, header};
use eni_emulator::{
    Allocation, Config, ContractProfile, EniSnapshot, ManualClock, SigningMode, World,
};
use http_body_util::BodyExt;
use serde_json::Value as Json;
use tower::ServiceExt;

use super::build::*;
use super::scenario::*;
use crate::codec::from_bytes;
use eni_harness::checks::describe;
use eni_harness::wire::decode::BodyFormat;
use eni_harness::wire::{Decoded, decode_response};

/// Decodes `bytes` into a [`Scenario`] and runs it; panics when a property fails. Bytes that
/// do not decode are skipped.
pub fn emulator_request(bytes: &[u8]) {
    if let Some(scenario) = from_bytes::<Scenario>(bytes) {
        run_scenario(&scenario);
    }
}

/// Runs `scenario` against a fresh emulator and checks, after every request: no panic, no
/// 5xx, a body that decodes with no problems, the emulator's invariants, a failed request
/// changing nothing, an assign or unassign changing exactly what it reports (and an identical
/// `ClientToken` retry nothing), and a describe showing what the emulator holds.
pub fn run_scenario(scenario: &Scenario) {
    run_scenario_with(scenario, Config::new(World::builtin()));
}

/// [`run_scenario`] on an emulator built from `config` (the scenario's knobs, relaxed signing
/// and a manual clock are applied on top): for trying the properties against a planted defect.
pub fn run_scenario_with(scenario: &Scenario, config: Config) {
    run(scenario, config, &mut |_, _, _| {});
}

/// Every answer `scenario` gets, as status, content type and body (the decoder's seeds).
pub fn answers(scenario: &Scenario) -> Vec<(u16, Option<String>, Vec<u8>)> {
    let mut out = Vec::new();
    run(
        scenario,
        Config::new(World::builtin()),
        &mut |status, content_type, body| {
            out.push((status, content_type.map(str::to_owned), body.to_vec()));
        },
    );
    out
}

/// Called with every answer: status, content type, body.
type OnAnswer<'a> = dyn FnMut(u16, Option<&str>, &[u8]) + 'a;

fn run(scenario: &Scenario, mut config: Config, on_answer: &mut OnAnswer<'_>) {
    let knobs = scenario.knobs;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let clock = ManualClock::starting_at(start);
    config.signing = SigningMode::Relaxed;
    config.clock = eni_emulator::Clock::Manual(clock.clone());
    if knobs.busy_tasks {
        config.timings.task = Duration::from_secs(1);
    }
    if knobs.current_profile {
        config.contract = ContractProfile::current();
    }
    if knobs.seeded_allocation {
        config.allocation = Allocation::Seeded(7);
    }
    let world = config.world.clone();
    let emulator = eni_emulator::Emulator::new(config);
    let app = eni_emulator::app(emulator.clone());
    let mut seen = Seen::new(&world);
    // Assigns with a `ClientToken` that succeeded, as sent: an identical retry must allocate
    // nothing (contract row 7).
    let mut token_assigns: Vec<String> = Vec::new();
    for (step, op) in scenario.ops.iter().enumerate() {
        match op {
            Op::Advance(seconds) => clock.advance(Duration::from_secs(u64::from(*seconds))),
            Op::Send(request) => {
                let Some(http) = build(request, &world, &seen) else {
                    continue;
                };
                let before = emulator.network_interfaces();
                let (status, content_type, body) = send(&app, http.request);
                let context = || {
                    format!(
                        "step {step}: {} {}\nbody sent: {:?}\nanswer {status}: {}",
                        http.method,
                        http.uri,
                        http.body_text,
                        String::from_utf8_lossy(&body)
                    )
                };
                assert!(status < 500, "5xx answer\n{}", context());
                let decoded = decode_response(status, content_type.as_deref(), &body);
                assert!(
                    matches!(decoded.format, BodyFormat::Json | BodyFormat::Xml),
                    "answer is {:?}\n{}",
                    decoded.format,
                    context()
                );
                assert!(
                    decoded.problems.is_empty(),
                    "answer has problems: {:?}\n{}",
                    decoded.problems,
                    context()
                );
                if let Err(violation) = emulator.check_invariants() {
                    panic!("invariant broken: {violation}\n{}", context());
                }
                let after = emulator.network_interfaces();
                if status >= 400 {
                    assert!(
                        before == after,
                        "a failed request changed the state\nbefore: {before:?}\nafter: {after:?}\n{}",
                        context()
                    );
                } else {
                    let fingerprint = format!("{} {} {}", http.method, http.uri, http.body_text);
                    let retry = token_assigns.contains(&fingerprint);
                    check_delta(request, retry, &decoded, &before, &after, &context);
                    check_describe(request, &decoded, &after, &context);
                    let has_token = request
                        .params
                        .iter()
                        .any(|p| p.key == Key::Name(Name::ClientToken));
                    if has_token
                        && !retry
                        && request.action == ActionName::Known(KnownAction::Assign)
                    {
                        token_assigns.push(fingerprint);
                    }
                }
                seen.learn(&decoded.body);
                on_answer(status, content_type.as_deref(), &body);
            }
        }
    }
}

/// Invariant 5 for successes: an assign adds exactly the addresses it reports to the ENI it
/// names (nothing when a `ClientToken` replays an earlier answer), an unassign only removes
/// secondary addresses from one ENI, and neither touches any other ENI.
fn check_delta(
    request: &Request,
    retry: bool,
    decoded: &Decoded,
    before: &[EniSnapshot],
    after: &[EniSnapshot],
    context: &dyn Fn() -> String,
) {
    let action = match &request.action {
        ActionName::Known(a) if !has_v3_headers(request) => *a,
        _ => return,
    };
    let changed: Vec<(&EniSnapshot, &EniSnapshot)> = before
        .iter()
        .zip(after)
        .filter(|(old, new)| old != new)
        .collect();
    let describe = || format!("before: {before:?}\nafter: {after:?}\n{}", context());
    match action {
        KnownAction::Assign => {
            let id = decoded
                .get("AssignedPrivateIpAddressesSet.NetworkInterfaceId")
                .and_then(Json::as_str)
                .unwrap_or_else(|| {
                    panic!("assign succeeded without naming its ENI\n{}", context())
                });
            let reported: Vec<Ipv4Addr> = decoded
                .strings_at("AssignedPrivateIpAddressesSet.PrivateIpSet.PrivateIpAddress")
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect();
            // A prefix assign reports prefixes and no address: it adds exactly those.
            let prefixes: Vec<ipnet::Ipv4Net> = decoded
                .strings_at("AssignedPrivateIpAddressesSet.Ipv4PrefixSet.Ipv4Prefixes")
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect();
            assert!(
                reported.is_empty() != prefixes.is_empty(),
                "assign reported {reported:?} and prefixes {prefixes:?}: one kind, not none or both\n{}",
                context()
            );
            assert_eq!(
                before.len(),
                after.len(),
                "assign changed the ENIs\n{}",
                describe()
            );
            match changed.as_slice() {
                // A replay of an earlier answer (same `ClientToken`) allocates nothing.
                [] => {}
                _ if retry => panic!(
                    "an identical retry with a ClientToken allocated again\n{}",
                    describe()
                ),
                [(old, new)] => {
                    let mut expected = old.secondary_ips.clone();
                    expected.extend(&reported);
                    let mut expected_prefixes = old.ipv4_prefixes.clone();
                    expected_prefixes.extend(&prefixes);
                    assert!(
                        old.id == id
                            && new.secondary_ips == expected
                            && new.ipv4_prefixes == expected_prefixes,
                        "assign reported {reported:?} and prefixes {prefixes:?} on {id}\n{}",
                        describe()
                    );
                }
                _ => panic!("assign changed several ENIs\n{}", describe()),
            }
        }
        KnownAction::Unassign => {
            assert_eq!(
                before.len(),
                after.len(),
                "unassign changed the ENIs\n{}",
                describe()
            );
            let [(old, new)] = changed.as_slice() else {
                panic!("unassign did not change exactly one ENI\n{}", describe());
            };
            let kept: Vec<Ipv4Addr> = old
                .secondary_ips
                .iter()
                .copied()
                .filter(|ip| new.secondary_ips.contains(ip))
                .collect();
            let kept_prefixes: Vec<ipnet::Ipv4Net> = old
                .ipv4_prefixes
                .iter()
                .copied()
                .filter(|p| new.ipv4_prefixes.contains(p))
                .collect();
            // One kind per request: addresses or prefixes go, the other kind stays.
            let addresses_went = new.secondary_ips.len() < old.secondary_ips.len()
                && new.ipv4_prefixes == old.ipv4_prefixes;
            let prefixes_went = new.ipv4_prefixes.len() < old.ipv4_prefixes.len()
                && new.secondary_ips == old.secondary_ips;
            assert!(
                (addresses_went || prefixes_went)
                    && kept == new.secondary_ips
                    && kept_prefixes == new.ipv4_prefixes
                    && new.primary_ip == old.primary_ip
                    && new.status == old.status,
                "unassign did more than remove secondary addresses or prefixes\n{}",
                describe()
            );
        }
        _ => {}
    }
}

/// What a successful describe shows agrees with the emulator's state: each ENI it lists exists,
/// with that status and exactly those addresses (primary included).
fn check_describe(
    request: &Request,
    decoded: &Decoded,
    after: &[EniSnapshot],
    context: &dyn Fn() -> String,
) {
    let items: Vec<&Json> = match &request.action {
        _ if has_v3_headers(request) => return,
        ActionName::Known(KnownAction::Describe) => {
            decoded.values_at("NetworkInterfaceSets.NetworkInterfaceSet[*]")
        }
        ActionName::Known(KnownAction::DescribeAttribute) => vec![&decoded.body],
        _ => return,
    };
    for item in items {
        let Some(id) = item.get("NetworkInterfaceId").and_then(Json::as_str) else {
            panic!(
                "a described ENI without NetworkInterfaceId: {item}\n{}",
                context()
            );
        };
        let Some(eni) = after.iter().find(|e| e.id == id) else {
            panic!("describe shows {id}, which does not exist\n{}", context());
        };
        let mut shown: Vec<String> = describe::eni(item)
            .ips
            .into_iter()
            .map(|ip| ip.address)
            .collect();
        let mut held: Vec<String> = std::iter::once(eni.primary_ip)
            .chain(eni.secondary_ips.iter().copied())
            .map(|ip| ip.to_string())
            .collect();
        shown.sort();
        held.sort();
        let status = item
            .get("Status")
            .and_then(Json::as_str)
            .unwrap_or_default();
        assert!(
            shown == held && status == eni.status,
            "describe shows {id} as {status} with {shown:?}, the emulator holds it as {} with {held:?}\n{}",
            eni.status,
            context()
        );
    }
}

/// Whether the request carries V3 headers, which may name another action than `Action`.
fn has_v3_headers(request: &Request) -> bool {
    request.headers.iter().any(|h| {
        matches!(
            h,
            Header::AcsAction(_) | Header::Authorization(_) | Header::Other(..)
        )
    })
}

thread_local! {
    /// One current-thread runtime per fuzzing process: building one per input would cost more
    /// than the requests themselves.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread tokio runtime");
}

fn send(app: &axum::Router, request: HttpRequest<HttpBody>) -> (u16, Option<String>, Vec<u8>) {
    let app = app.clone();
    RUNTIME.with(|rt| {
        rt.block_on(async move {
            let response = match app.oneshot(request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .into_body()
                .collect()
                .await
                .map(|c| c.to_bytes().to_vec())
                .unwrap_or_default();
            (status, content_type, body)
        })
    })
}
