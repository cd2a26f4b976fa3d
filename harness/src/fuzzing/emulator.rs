//! The `emulator_request` target: short scenarios of structured requests sent in process to the
//! reference emulator, with the contract's properties checked after every request.
//!
//! Inputs are structured, not raw bytes: actions from the known set (or junk), parameter names
//! from the API's vocabulary, list keys with good and malformed indices, addresses picked by
//! index inside a VSwitch's CIDR, ENI ids and addresses taken from earlier answers, and small
//! bounded counts. That is what reaches the deep states (an ENI at its cap, a VSwitch out of
//! addresses, an ENI attaching) that unstructured bytes do not find in minutes.

use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

use arbitrary::Arbitrary;
use axum::body::Body as HttpBody;
use axum::http::{HeaderName, HeaderValue, Request as HttpRequest, header};
use eni_emulator::{
    Allocation, Config, ContractProfile, EniSnapshot, ManualClock, SigningMode, World,
};
use http_body_util::BodyExt;
use serde_json::Value as Json;
use tower::ServiceExt;

use super::codec::{Encode, List, Text, encode_tag, from_bytes};
use crate::checks::describe;
use crate::wire::decode::BodyFormat;
use crate::wire::{Decoded, decode_response};

/// One fuzz input: emulator knobs, then up to 12 operations.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub struct Scenario {
    pub knobs: Knobs,
    pub ops: List<Op, 12>,
}

/// The few configuration knobs worth varying; the world is always [`World::builtin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Arbitrary)]
pub struct Knobs {
    /// A successful assign or unassign keeps its ENI busy for one second (reaches
    /// `Operation.Conflict`).
    pub busy_tasks: bool,
    /// The `current` profile (cap 49, `InvalidParameter`) instead of `seed`.
    pub current_profile: bool,
    /// Seeded pseudo-random allocation instead of lowest-first.
    pub seeded_allocation: bool,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Op {
    Send(Request),
    /// Moves the emulator's clock forward by this many seconds (transitions take 2 s).
    Advance(u8),
}

/// One HTTP request, described by what it means rather than by its bytes.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub struct Request {
    pub method: HttpMethod,
    pub action: ActionName,
    pub format: FormatParam,
    pub region: RegionParam,
    pub params: List<Param, 10>,
    pub headers: List<Header, 3>,
    /// Appended verbatim to the query (bytes a URI cannot hold are percent-encoded; `%` is not).
    pub raw_query: Option<Text>,
    /// What a POST carries besides its form parameters.
    pub body: BodyExtra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum HttpMethod {
    Get,
    Post,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum ActionName {
    Known(KnownAction),
    Missing,
    Other(Text),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum KnownAction {
    Assign,
    Unassign,
    Create,
    Delete,
    Attach,
    Detach,
    Describe,
    DescribeAttribute,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum FormatParam {
    Absent,
    Json,
    Xml,
    /// `json` or `xml` in lower case.
    Lower(bool),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum RegionParam {
    Right,
    Missing,
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub struct Param {
    pub key: Key,
    pub value: Value,
    /// For a POST: in the form body rather than the query.
    pub in_body: bool,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Key {
    Name(Name),
    Item(ListName, Index),
    Other(Text),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Name {
    NetworkInterfaceId,
    InstanceId,
    VSwitchId,
    SecurityGroupId,
    SecondaryPrivateIpAddressCount,
    PrimaryIpAddress,
    ClientToken,
    NetworkInterfaceName,
    Description,
    Status,
    Type,
    MaxResults,
    NextToken,
    PageNumber,
    PageSize,
    VpcId,
    Action,
    Version,
    Format,
    RegionId,
    SignatureType,
    /// IPv4 prefixes (contract `current`).
    Ipv4PrefixCount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum ListName {
    PrivateIpAddress,
    NetworkInterfaceId,
    SecurityGroupIds,
    /// `Ipv4Prefix.N` (contract `current`).
    Ipv4Prefix,
}

/// The `N` of `Name.N`: well-formed (1..=50) or one of the malformed shapes of contract row 3.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Index {
    /// `1 + n % 50`.
    N(u8),
    Zero,
    /// `51 + n`.
    Over(u8),
    /// `0` then `1 + n % 50`.
    LeadingZero(u8),
    LeadingSpace(u8),
    TrailingSpace(u8),
    Negative(u8),
    Plus(u8),
    Letter,
    Empty,
    Huge,
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Value {
    /// An ENI id: the instances' primary ENIs, those seen in answers, and one that never existed.
    Eni(u8),
    Instance(u8),
    VSwitch(u8),
    SecurityGroup(u8),
    Ip(Ip),
    Count(Count),
    ClientToken(u8),
    /// An ENI status or type word.
    Word(u8),
    Empty,
    /// Non-ASCII text.
    NonAscii(u8),
    Other(Text),
    /// An IPv4 prefix (contract `current`).
    Prefix(Prefix),
}

/// An IPv4 prefix value: an aligned /28 of a VSwitch or one seen in an answer, and the
/// malformed shapes the contract refuses.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Prefix {
    /// Aligned /28 number `block` (modulo the VSwitch's) of VSwitch `vswitch`, reserved ones
    /// included.
    Block {
        vswitch: u8,
        block: u8,
    },
    /// A prefix seen in an earlier answer.
    Seen(u8),
    /// `host % size` inside VSwitch `vswitch`, written as a /28 (mostly unaligned).
    Unaligned {
        vswitch: u8,
        host: u8,
    },
    /// An aligned block with another length (`/n % 33`).
    Length {
        block: u8,
        length: u8,
    },
    /// No length at all.
    Bare(u8),
    Spaced(u8),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Ip {
    /// `host % size` inside VSwitch `vswitch` (reserved addresses included).
    Host {
        vswitch: u8,
        host: u8,
    },
    /// An address seen in an earlier answer.
    Seen(u8),
    /// Outside every VSwitch.
    Outside(u8),
    LeadingZeros(u8),
    Ipv6,
    Octet256,
    ThreeOctets,
    Spaced(u8),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Count {
    N(u8),
    Huge,
    Negative,
    Fraction,
    Padded(u8),
    Plus(u8),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum Header {
    /// A form type, JSON, or junk text.
    ContentType(u8, Text),
    /// V3's action header (which makes the request V3 and its answer JSON by default).
    AcsAction(ActionName),
    AcsVersion(bool),
    Authorization(Text),
    Other(Text, Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum BodyExtra {
    None,
    /// Appended after the form parameters (with `&` when there are some).
    Raw(Text),
    /// A body of `n * 4096` bytes of `a=b&`.
    Large(u8),
}

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

/// What earlier answers revealed: ENI ids and addresses, for later requests to use.
struct Seen {
    enis: Vec<String>,
    ips: Vec<String>,
    /// IPv4 prefixes answers named.
    prefixes: Vec<String>,
    instances: Vec<String>,
    vswitches: Vec<(String, ipnet::Ipv4Net)>,
    security_groups: Vec<String>,
}

impl Seen {
    fn new(world: &World) -> Seen {
        let mut enis: Vec<String> = world
            .instances
            .iter()
            .filter_map(|i| i.primary_eni.id.clone())
            .collect();
        enis.push("eni-bp1neverexisted000001".to_owned());
        let mut instances: Vec<String> = world.instances.iter().map(|i| i.id.clone()).collect();
        instances.push("i-bp1neverexisted00000001".to_owned());
        let mut vswitches: Vec<(String, ipnet::Ipv4Net)> = world
            .vswitches
            .iter()
            .map(|v| (v.id.clone(), v.cidr))
            .collect();
        vswitches.push((
            "vsw-bp1neverexisted000001".to_owned(),
            ipnet::Ipv4Net::new(Ipv4Addr::new(10, 9, 0, 0), 24).expect("a /24"),
        ));
        let mut security_groups = world.security_groups.clone();
        security_groups.push("sg-bp1neverexisted0000001".to_owned());
        Seen {
            enis,
            ips: Vec::new(),
            prefixes: Vec::new(),
            instances,
            vswitches,
            security_groups,
        }
    }

    fn learn(&mut self, body: &Json) {
        match body {
            Json::String(s) => {
                if s.starts_with("eni-") && !self.enis.contains(s) && self.enis.len() < 32 {
                    self.enis.push(s.clone());
                } else if s.parse::<Ipv4Addr>().is_ok()
                    && !self.ips.contains(s)
                    && self.ips.len() < 64
                {
                    self.ips.push(s.clone());
                } else if s.parse::<ipnet::Ipv4Net>().is_ok()
                    && !self.prefixes.contains(s)
                    && self.prefixes.len() < 32
                {
                    self.prefixes.push(s.clone());
                }
            }
            Json::Array(items) => items.iter().for_each(|i| self.learn(i)),
            Json::Object(map) => map.values().for_each(|v| self.learn(v)),
            _ => {}
        }
    }
}

fn pick<T: Clone>(items: &[T], n: u8) -> T {
    items[usize::from(n) % items.len()].clone()
}

/// A request ready to send, and how to describe it in a failure message.
struct Built {
    request: HttpRequest<HttpBody>,
    method: &'static str,
    uri: String,
    body_text: String,
}

fn build(request: &Request, world: &World, seen: &Seen) -> Option<Built> {
    let post = request.method == HttpMethod::Post;
    let mut query: Vec<(String, String)> = vec![("Version".into(), "2014-05-26".into())];
    let mut form: Vec<(String, String)> = Vec::new();
    match &request.action {
        ActionName::Known(a) => query.push(("Action".into(), action_name(*a).into())),
        ActionName::Missing => {}
        ActionName::Other(t) => query.push(("Action".into(), t.0.clone())),
    }
    match &request.format {
        FormatParam::Absent => {}
        FormatParam::Json => query.push(("Format".into(), "JSON".into())),
        FormatParam::Xml => query.push(("Format".into(), "XML".into())),
        FormatParam::Lower(json) => {
            query.push(("Format".into(), if *json { "json" } else { "xml" }.into()))
        }
        FormatParam::Other(t) => query.push(("Format".into(), t.0.clone())),
    }
    match &request.region {
        RegionParam::Right => query.push(("RegionId".into(), world.region.clone())),
        RegionParam::Missing => {}
        RegionParam::Other(t) => query.push(("RegionId".into(), t.0.clone())),
    }
    for param in request.params.iter() {
        let key = key_text(&param.key);
        let value = value_text(&param.value, seen);
        if post && param.in_body {
            form.push((key, value));
        } else {
            query.push((key, value));
        }
    }
    let mut query_text = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&query)
        .finish();
    if let Some(raw) = &request.raw_query {
        if !query_text.is_empty() {
            query_text.push('&');
        }
        query_text.push_str(&uri_safe(raw.as_str()));
    }
    let uri = format!("/?{query_text}");
    let mut body_text = if post {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish()
    } else {
        String::new()
    };
    match &request.body {
        BodyExtra::None => {}
        BodyExtra::Raw(t) => {
            if !body_text.is_empty() {
                body_text.push('&');
            }
            body_text.push_str(t.as_str());
        }
        BodyExtra::Large(n) => body_text.push_str(&"a=b&".repeat(1024 * usize::from(*n % 24))),
    }
    let method = if post { "POST" } else { "GET" };
    let mut builder = HttpRequest::builder().method(method).uri(&uri);
    if post {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let mut http = builder.body(HttpBody::from(body_text.clone())).ok()?;
    for h in request.headers.iter() {
        let (name, value) = match h {
            Header::ContentType(kind, junk) => (
                header::CONTENT_TYPE,
                match kind % 4 {
                    0 => "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
                    1 => "application/json".to_owned(),
                    2 => "APPLICATION/X-WWW-FORM-URLENCODED".to_owned(),
                    _ => junk.0.clone(),
                },
            ),
            Header::AcsAction(a) => (
                HeaderName::from_static("x-acs-action"),
                match a {
                    ActionName::Known(a) => action_name(*a).to_owned(),
                    ActionName::Missing => String::new(),
                    ActionName::Other(t) => t.0.clone(),
                },
            ),
            Header::AcsVersion(right) => (
                HeaderName::from_static("x-acs-version"),
                if *right { "2014-05-26" } else { "2016-01-01" }.to_owned(),
            ),
            Header::Authorization(t) => (
                header::AUTHORIZATION,
                format!(
                    "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature={}",
                    t.0
                ),
            ),
            Header::Other(n, v) => match HeaderName::from_bytes(n.0.as_bytes()) {
                Ok(name) => (name, v.0.clone()),
                Err(_) => continue,
            },
        };
        // Values a client could not send are not the emulator's problem.
        let Ok(value) = HeaderValue::from_str(&value) else {
            continue;
        };
        http.headers_mut().append(name, value);
    }
    Some(Built {
        request: http,
        method,
        uri,
        body_text,
    })
}

/// Percent-encodes the bytes a URI's query cannot hold, keeping `%` (so broken escapes reach
/// the emulator) and everything else a query may contain.
fn uri_safe(raw: &str) -> String {
    let mut out = String::new();
    for b in raw.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"%-._~!$&'()*+,;=:@/?".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn action_name(a: KnownAction) -> &'static str {
    match a {
        KnownAction::Assign => "AssignPrivateIpAddresses",
        KnownAction::Unassign => "UnassignPrivateIpAddresses",
        KnownAction::Create => "CreateNetworkInterface",
        KnownAction::Delete => "DeleteNetworkInterface",
        KnownAction::Attach => "AttachNetworkInterface",
        KnownAction::Detach => "DetachNetworkInterface",
        KnownAction::Describe => "DescribeNetworkInterfaces",
        KnownAction::DescribeAttribute => "DescribeNetworkInterfaceAttribute",
    }
}

fn key_text(key: &Key) -> String {
    match key {
        Key::Name(n) => format!("{n:?}"),
        Key::Item(list, index) => {
            let n = match index {
                Index::N(n) => (1 + n % 50).to_string(),
                Index::Zero => "0".into(),
                Index::Over(n) => (51 + u32::from(*n)).to_string(),
                Index::LeadingZero(n) => format!("0{}", 1 + n % 50),
                Index::LeadingSpace(n) => format!(" {}", 1 + n % 50),
                Index::TrailingSpace(n) => format!("{} ", 1 + n % 50),
                Index::Negative(n) => format!("-{}", 1 + n % 50),
                Index::Plus(n) => format!("+{}", 1 + n % 50),
                Index::Letter => "x".into(),
                Index::Empty => String::new(),
                Index::Huge => "99999999999999999999999".into(),
                Index::Other(t) => t.0.clone(),
            };
            format!("{list:?}.{n}")
        }
        Key::Other(t) => t.0.clone(),
    }
}

fn value_text(value: &Value, seen: &Seen) -> String {
    match value {
        Value::Eni(n) => pick(&seen.enis, *n),
        Value::Instance(n) => pick(&seen.instances, *n),
        Value::VSwitch(n) => pick(&seen.vswitches, *n).0,
        Value::SecurityGroup(n) => pick(&seen.security_groups, *n),
        Value::Ip(ip) => ip_text(ip, seen),
        Value::Count(c) => match c {
            Count::N(n) => n.to_string(),
            Count::Huge => "18446744073709551617".into(),
            Count::Negative => "-1".into(),
            Count::Fraction => "1.5".into(),
            Count::Padded(n) => format!("0{n}"),
            Count::Plus(n) => format!("+{n}"),
            Count::Other(t) => t.0.clone(),
        },
        Value::ClientToken(n) => match n % 4 {
            0 => "token-a".into(),
            1 => "token-b".into(),
            2 => "t".repeat(65),
            _ => "tøken".into(),
        },
        Value::Word(n) => pick(
            &[
                "Available",
                "InUse",
                "Attaching",
                "Detaching",
                "Deleting",
                "Primary",
                "Secondary",
                "available",
            ],
            *n,
        )
        .to_owned(),
        Value::Empty => String::new(),
        Value::NonAscii(n) => pick(
            &["ｅｎｉ", "١٩٢.١٦٨.٠.٥", "\u{0}", "é", "😀", "\u{feff}1"],
            *n,
        )
        .to_owned(),
        Value::Other(t) => t.0.clone(),
        Value::Prefix(prefix) => prefix_text(prefix, seen),
    }
}

fn prefix_text(prefix: &Prefix, seen: &Seen) -> String {
    let block = |vswitch: u8, block: u8| {
        let (_, net) = pick(&seen.vswitches, vswitch);
        let blocks = 1u32 << 28u8.saturating_sub(net.prefix_len());
        let start = u32::from(net.network()).wrapping_add((u32::from(block) % blocks) * 16);
        Ipv4Addr::from(start)
    };
    match prefix {
        Prefix::Block { vswitch, block: n } => format!("{}/28", block(*vswitch, *n)),
        Prefix::Seen(n) if !seen.prefixes.is_empty() => pick(&seen.prefixes, *n),
        Prefix::Seen(n) => format!("{}/28", block(0, *n)),
        Prefix::Unaligned { vswitch, host } => {
            let (_, net) = pick(&seen.vswitches, *vswitch);
            let size = 1u64 << (32 - net.prefix_len());
            let base = u32::from(net.network());
            let address = Ipv4Addr::from(base.wrapping_add((u64::from(*host) % size) as u32));
            format!("{address}/28")
        }
        Prefix::Length { block: n, length } => format!("{}/{}", block(0, *n), length % 33),
        Prefix::Bare(n) => block(0, *n).to_string(),
        Prefix::Spaced(n) => format!(" {}/28", block(0, *n)),
        Prefix::Other(t) => t.0.clone(),
    }
}

fn ip_text(ip: &Ip, seen: &Seen) -> String {
    match ip {
        Ip::Host { vswitch, host } => {
            let (_, net) = pick(&seen.vswitches, *vswitch);
            let size = 1u64 << (32 - net.prefix_len());
            let base = u32::from(net.network());
            Ipv4Addr::from(base.wrapping_add((u64::from(*host) % size) as u32)).to_string()
        }
        Ip::Seen(n) if !seen.ips.is_empty() => pick(&seen.ips, *n),
        Ip::Seen(n) => Ipv4Addr::new(192, 168, 0, *n).to_string(),
        Ip::Outside(n) => Ipv4Addr::new(172, 16, 0, *n).to_string(),
        Ip::LeadingZeros(n) => format!("192.168.0.0{n}"),
        Ip::Ipv6 => "2408:4000::1".into(),
        Ip::Octet256 => "192.168.0.256".into(),
        Ip::ThreeOctets => "192.168.0".into(),
        Ip::Spaced(n) => format!(" 192.168.0.{n}"),
        Ip::Other(t) => t.0.clone(),
    }
}

// ---- Encoding (for seeds written as values) ------------------------------------------------

impl Encode for Scenario {
    fn encode(&self, out: &mut Vec<u8>) {
        self.knobs.encode(out);
        self.ops.encode(out);
    }
}

impl Encode for Knobs {
    fn encode(&self, out: &mut Vec<u8>) {
        self.busy_tasks.encode(out);
        self.current_profile.encode(out);
        self.seeded_allocation.encode(out);
    }
}

impl Encode for Op {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Op::Send(r) => {
                encode_tag(0, 2, out);
                r.encode(out);
            }
            Op::Advance(s) => {
                encode_tag(1, 2, out);
                s.encode(out);
            }
        }
    }
}

impl Encode for Request {
    fn encode(&self, out: &mut Vec<u8>) {
        self.method.encode(out);
        self.action.encode(out);
        self.format.encode(out);
        self.region.encode(out);
        self.params.encode(out);
        self.headers.encode(out);
        self.raw_query.encode(out);
        self.body.encode(out);
    }
}

/// Encodes fieldless enums by their position among `ALL`.
macro_rules! encode_unit_enum {
    ($ty:ty, [$($variant:ident),* $(,)?]) => {
        impl Encode for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                const ALL: &[$ty] = &[$(<$ty>::$variant),*];
                let index = ALL.iter().position(|v| v == self).unwrap_or(0);
                encode_tag(index as u32, ALL.len() as u32, out);
            }
        }
    };
}

encode_unit_enum!(HttpMethod, [Get, Post]);
encode_unit_enum!(
    KnownAction,
    [
        Assign,
        Unassign,
        Create,
        Delete,
        Attach,
        Detach,
        Describe,
        DescribeAttribute
    ]
);
encode_unit_enum!(
    Name,
    [
        NetworkInterfaceId,
        InstanceId,
        VSwitchId,
        SecurityGroupId,
        SecondaryPrivateIpAddressCount,
        PrimaryIpAddress,
        ClientToken,
        NetworkInterfaceName,
        Description,
        Status,
        Type,
        MaxResults,
        NextToken,
        PageNumber,
        PageSize,
        VpcId,
        Action,
        Version,
        Format,
        RegionId,
        SignatureType,
        Ipv4PrefixCount,
    ]
);
encode_unit_enum!(
    ListName,
    [
        PrivateIpAddress,
        NetworkInterfaceId,
        SecurityGroupIds,
        Ipv4Prefix
    ]
);

impl Encode for ActionName {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ActionName::Known(a) => {
                encode_tag(0, 3, out);
                a.encode(out);
            }
            ActionName::Missing => encode_tag(1, 3, out),
            ActionName::Other(t) => {
                encode_tag(2, 3, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for FormatParam {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            FormatParam::Absent => encode_tag(0, 5, out),
            FormatParam::Json => encode_tag(1, 5, out),
            FormatParam::Xml => encode_tag(2, 5, out),
            FormatParam::Lower(json) => {
                encode_tag(3, 5, out);
                json.encode(out);
            }
            FormatParam::Other(t) => {
                encode_tag(4, 5, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for RegionParam {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            RegionParam::Right => encode_tag(0, 3, out),
            RegionParam::Missing => encode_tag(1, 3, out),
            RegionParam::Other(t) => {
                encode_tag(2, 3, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Param {
    fn encode(&self, out: &mut Vec<u8>) {
        self.key.encode(out);
        self.value.encode(out);
        self.in_body.encode(out);
    }
}

impl Encode for Key {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Key::Name(n) => {
                encode_tag(0, 3, out);
                n.encode(out);
            }
            Key::Item(list, index) => {
                encode_tag(1, 3, out);
                list.encode(out);
                index.encode(out);
            }
            Key::Other(t) => {
                encode_tag(2, 3, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Index {
    fn encode(&self, out: &mut Vec<u8>) {
        let (tag, n, text) = match self {
            Index::N(n) => (0, Some(n), None),
            Index::Zero => (1, None, None),
            Index::Over(n) => (2, Some(n), None),
            Index::LeadingZero(n) => (3, Some(n), None),
            Index::LeadingSpace(n) => (4, Some(n), None),
            Index::TrailingSpace(n) => (5, Some(n), None),
            Index::Negative(n) => (6, Some(n), None),
            Index::Plus(n) => (7, Some(n), None),
            Index::Letter => (8, None, None),
            Index::Empty => (9, None, None),
            Index::Huge => (10, None, None),
            Index::Other(t) => (11, None, Some(t)),
        };
        encode_tag(tag, 12, out);
        if let Some(n) = n {
            n.encode(out);
        }
        if let Some(t) = text {
            t.encode(out);
        }
    }
}

impl Encode for Value {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 12;
        match self {
            Value::Eni(n) => {
                encode_tag(0, COUNT, out);
                n.encode(out);
            }
            Value::Instance(n) => {
                encode_tag(1, COUNT, out);
                n.encode(out);
            }
            Value::VSwitch(n) => {
                encode_tag(2, COUNT, out);
                n.encode(out);
            }
            Value::SecurityGroup(n) => {
                encode_tag(3, COUNT, out);
                n.encode(out);
            }
            Value::Ip(ip) => {
                encode_tag(4, COUNT, out);
                ip.encode(out);
            }
            Value::Count(c) => {
                encode_tag(5, COUNT, out);
                c.encode(out);
            }
            Value::ClientToken(n) => {
                encode_tag(6, COUNT, out);
                n.encode(out);
            }
            Value::Word(n) => {
                encode_tag(7, COUNT, out);
                n.encode(out);
            }
            Value::Empty => encode_tag(8, COUNT, out),
            Value::NonAscii(n) => {
                encode_tag(9, COUNT, out);
                n.encode(out);
            }
            Value::Other(t) => {
                encode_tag(10, COUNT, out);
                t.encode(out);
            }
            Value::Prefix(prefix) => {
                encode_tag(11, COUNT, out);
                prefix.encode(out);
            }
        }
    }
}

impl Encode for Prefix {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 7;
        match self {
            Prefix::Block { vswitch, block } => {
                encode_tag(0, COUNT, out);
                vswitch.encode(out);
                block.encode(out);
            }
            Prefix::Seen(n) => {
                encode_tag(1, COUNT, out);
                n.encode(out);
            }
            Prefix::Unaligned { vswitch, host } => {
                encode_tag(2, COUNT, out);
                vswitch.encode(out);
                host.encode(out);
            }
            Prefix::Length { block, length } => {
                encode_tag(3, COUNT, out);
                block.encode(out);
                length.encode(out);
            }
            Prefix::Bare(n) => {
                encode_tag(4, COUNT, out);
                n.encode(out);
            }
            Prefix::Spaced(n) => {
                encode_tag(5, COUNT, out);
                n.encode(out);
            }
            Prefix::Other(t) => {
                encode_tag(6, COUNT, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Ip {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 9;
        match self {
            Ip::Host { vswitch, host } => {
                encode_tag(0, COUNT, out);
                vswitch.encode(out);
                host.encode(out);
            }
            Ip::Seen(n) => {
                encode_tag(1, COUNT, out);
                n.encode(out);
            }
            Ip::Outside(n) => {
                encode_tag(2, COUNT, out);
                n.encode(out);
            }
            Ip::LeadingZeros(n) => {
                encode_tag(3, COUNT, out);
                n.encode(out);
            }
            Ip::Ipv6 => encode_tag(4, COUNT, out),
            Ip::Octet256 => encode_tag(5, COUNT, out),
            Ip::ThreeOctets => encode_tag(6, COUNT, out),
            Ip::Spaced(n) => {
                encode_tag(7, COUNT, out);
                n.encode(out);
            }
            Ip::Other(t) => {
                encode_tag(8, COUNT, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Count {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 7;
        match self {
            Count::N(n) => {
                encode_tag(0, COUNT, out);
                n.encode(out);
            }
            Count::Huge => encode_tag(1, COUNT, out),
            Count::Negative => encode_tag(2, COUNT, out),
            Count::Fraction => encode_tag(3, COUNT, out),
            Count::Padded(n) => {
                encode_tag(4, COUNT, out);
                n.encode(out);
            }
            Count::Plus(n) => {
                encode_tag(5, COUNT, out);
                n.encode(out);
            }
            Count::Other(t) => {
                encode_tag(6, COUNT, out);
                t.encode(out);
            }
        }
    }
}

impl Encode for Header {
    fn encode(&self, out: &mut Vec<u8>) {
        const COUNT: u32 = 5;
        match self {
            Header::ContentType(kind, junk) => {
                encode_tag(0, COUNT, out);
                kind.encode(out);
                junk.encode(out);
            }
            Header::AcsAction(a) => {
                encode_tag(1, COUNT, out);
                a.encode(out);
            }
            Header::AcsVersion(right) => {
                encode_tag(2, COUNT, out);
                right.encode(out);
            }
            Header::Authorization(t) => {
                encode_tag(3, COUNT, out);
                t.encode(out);
            }
            Header::Other(n, v) => {
                encode_tag(4, COUNT, out);
                n.encode(out);
                v.encode(out);
            }
        }
    }
}

impl Encode for BodyExtra {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            BodyExtra::None => encode_tag(0, 3, out),
            BodyExtra::Raw(t) => {
                encode_tag(1, 3, out);
                t.encode(out);
            }
            BodyExtra::Large(n) => {
                encode_tag(2, 3, out);
                n.encode(out);
            }
        }
    }
}
