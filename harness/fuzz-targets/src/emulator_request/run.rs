//! Running a scenario in process against a fresh reference emulator, and the properties checked
//! after every request.

use std::time::{Duration, SystemTime};

use axum::body::Body as HttpBody;
use axum::http::{Request as HttpRequest, header};
use eni_emulator::{
    Allocation, Config, ContractProfile, EniSnapshot, ManualClock, SigningMode, World,
};
use http_body_util::BodyExt;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tower::ServiceExt;

use super::build::*;
use super::scenario::*;
use crate::codec::from_bytes;
use eni_harness::checks::invariants::{Violation, check_state};
use eni_harness::checks::observe::Observation;
use eni_harness::checks::step::{Step, judge_step};
use eni_harness::checks::{CheckSet, describe, mutation};
use eni_harness::profile::{Contract, Profile};
use eni_harness::targets::eni_view;
use eni_harness::wire::decode::BodyFormat;
use eni_harness::wire::{Decoded, WireRequest, decode_response};

/// Decodes `bytes` into a scenario (`Scenario`: three emulator knobs, then up to 12 requests or
/// clock advances) and runs it; panics when a property fails. Bytes that do not decode are
/// skipped.
pub fn emulator_request(bytes: &[u8]) {
    if let Some(scenario) = from_bytes::<Scenario>(bytes) {
        run_scenario(&scenario);
    }
}

/// Runs `scenario` against a fresh emulator and checks, after every request: no panic, no
/// 5xx, a body that decodes with no problems, the harness's own named checks on the state
/// (the IP invariants) and on the step (a failed request changing nothing, an assign or
/// unassign changing exactly what it reports; never the emulator's judgement of itself), an
/// identical `ClientToken` retry allocating nothing, and a describe showing what the emulator
/// holds.
pub(crate) fn run_scenario(scenario: &Scenario) {
    run_scenario_with(scenario, Config::new(World::builtin()));
}

/// [`run_scenario`] on an emulator built from `config` (the scenario's knobs, relaxed signing
/// and a manual clock are applied on top): for trying the properties against a planted defect.
pub(crate) fn run_scenario_with(scenario: &Scenario, config: Config) {
    run(scenario, config, &mut |_, _, _| {});
}

/// Every answer `scenario` gets, as status, content type and body (the decoder's seeds).
#[cfg(test)]
pub(crate) fn answers(scenario: &Scenario) -> Vec<(u16, Option<String>, Vec<u8>)> {
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
    // The built-in world is the embedded profile's: its VSwitch blocks, instance types and caps
    // are what the harness's checks judge the state by.
    let profile = if knobs.current_profile {
        current_profile()
    } else {
        seed_profile()
    };
    let checks = CheckSet::default().under(&profile.contract);
    let mut primaries = BTreeMap::new();
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
                let after = emulator.network_interfaces();
                let (before_state, after_state) = (observation(&before), observation(&after));
                let broken = check_state(&after_state, profile, &checks, &mut primaries);
                assert_holds(&broken, "a state invariant", &context);
                if let Some(mutation) = requested_mutation(request, &http.uri, &http.body_text) {
                    let step = Step {
                        mutation: &mutation,
                        status,
                        answer: &decoded,
                        before: Some(&before_state),
                        after: Some(&after_state),
                    };
                    assert_holds(&judge_step(&step, &checks), "a step check", &context);
                }
                if status >= 400 {
                    assert!(
                        before == after,
                        "a failed request changed the state\nbefore: {before:?}\nafter: {after:?}\n{}",
                        context()
                    );
                } else {
                    let fingerprint = format!("{} {} {}", http.method, http.uri, http.body_text);
                    let retry = token_assigns.contains(&fingerprint);
                    // Contract row 7, which no named check holds: the replay allocates nothing.
                    assert!(
                        !retry || before == after,
                        "an identical retry with a ClientToken allocated again\nbefore: {before:?}\nafter: {after:?}\n{}",
                        context()
                    );
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

/// The state as the harness's checks read it back.
fn observation(enis: &[EniSnapshot]) -> Observation {
    Observation {
        enis: enis
            .iter()
            .cloned()
            .map(eni_view)
            .map(|view| (view.id.clone(), view))
            .collect(),
        requests: 0,
    }
}

/// Panics naming every violation of `what`, with the step's context.
fn assert_holds(violations: &[Violation], what: &str, context: &dyn Fn() -> String) {
    if violations.is_empty() {
        return;
    }
    let named: Vec<String> = violations
        .iter()
        .map(|v| format!("{}: {}", v.check.name, v.message))
        .collect();
    panic!("{what} broken: {}\n{}", named.join("; "), context());
}

/// What the request asks for, read as the harness reads any request it sends: its query and
/// form pairs (the emulator reads both), by the action the query names. `None` for a read, an
/// unknown action, or a request whose V3 headers may name another action than `Action`.
fn requested_mutation(
    request: &Request,
    uri: &str,
    body_text: &str,
) -> Option<eni_harness::checks::invariants::Mutation> {
    if has_v3_headers(request) {
        return None;
    }
    let query = uri.split_once('?').map(|(_, query)| query).unwrap_or("");
    let params = form_urlencoded::parse(query.as_bytes())
        .chain(form_urlencoded::parse(body_text.as_bytes()))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    mutation::requested(&WireRequest {
        params,
        ..WireRequest::default()
    })
}

/// The embedded profile (the built-in world under the seed contract), parsed once per process.
fn seed_profile() -> &'static Profile {
    static PROFILE: OnceLock<Profile> = OnceLock::new();
    PROFILE.get_or_init(Profile::embedded)
}

/// The embedded profile under the `current` contract (the scenario's `current_profile` knob).
fn current_profile() -> &'static Profile {
    static PROFILE: OnceLock<Profile> = OnceLock::new();
    PROFILE.get_or_init(|| {
        let mut profile = Profile::embedded();
        profile.contract = Contract::current();
        profile
    })
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
