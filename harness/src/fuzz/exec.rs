//! Running one sequence: each operation is rendered against the reference's state, sent to the
//! target, steered onto the reference (where the target chose addresses itself, the reference is
//! told the target's choice), and judged: answer checks, the code→status table, the differential
//! comparison, and the IP invariants on the state read back after every mutating operation.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eni_emulator::{Config, ContractProfile, World};

use super::fixtures::Fixtures;
use super::inproc::{DescribeProbe, InProcess, StateProbe};
use super::ops::{Op, Rendered, StateView, Val};
use super::oracle::{self, Finding, Kind};
use crate::checks::CheckSet;
use crate::checks::expect::ASSIGNED_PATH;
use crate::checks::invariants::{Mutation, check_assign_report, check_state, check_transition};
use crate::checks::observe::{EniView, Observation};
use crate::checks::response::check_exchange;
use crate::profile::Profile;
use crate::target::{Connection, EmulatorKnobs, Exchange, HttpTarget, Target};
use crate::wire::{Format, Signing, WireRequest};

/// Stands for an ENI one side never created (the other did: that is a finding already).
const MISSING_ENI: &str = "eni-bp1fuzzmissing0000001";
/// Longest real pause of a `Wait` against a target on the real clock.
const MAX_REAL_WAIT: Duration = Duration::from_millis(2500);
/// Bound on waiting for a real target's transitions to settle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);

/// Plants defects into an embedded target's emulator (a no-op for a clean one).
pub type Configure = Arc<dyn Fn(&mut Config) + Send + Sync>;

/// What the fuzzer talks to.
#[derive(Clone)]
pub enum TargetSpec {
    /// A fresh in-process emulator per sequence; `configure` plants defects.
    Embedded { configure: Configure, label: String },
    /// A shared endpoint.
    Http {
        target: Arc<HttpTarget>,
        signing: Signing,
    },
}

impl std::fmt::Debug for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Embedded { label, .. } => write!(f, "Embedded({label})"),
            TargetSpec::Http { target, .. } => write!(f, "Http({})", target.describe()),
        }
    }
}

impl TargetSpec {
    pub fn describe(&self) -> String {
        match self {
            TargetSpec::Embedded { label, .. } => label.clone(),
            TargetSpec::Http { target, .. } => target.describe(),
        }
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self, TargetSpec::Embedded { .. })
    }
}

/// Everything a run shares.
#[derive(Debug, Clone)]
pub struct Env {
    pub fixtures: Fixtures,
    pub profile: Arc<Profile>,
    pub checks: CheckSet,
    pub world: World,
    pub contract: ContractProfile,
    pub target: TargetSpec,
    /// Async transition time the reference assumes for a target on the real clock.
    pub async_delay: Duration,
}

impl Env {
    pub fn new(
        profile: Arc<Profile>,
        target: TargetSpec,
        async_delay: Duration,
    ) -> Result<Env, String> {
        let fixtures = Fixtures::from_profile(&profile)?;
        let checks = CheckSet::without(profile.disabled_checks.iter().map(String::as_str))?;
        let contract = match profile.contract.name.as_str() {
            "current" => ContractProfile::current(),
            _ => ContractProfile::seed(),
        };
        Ok(Env {
            world: fixtures.reference_world(),
            fixtures,
            profile,
            checks,
            contract,
            target,
            async_delay,
        })
    }

    /// One environment per lane of the fixtures ([`Fixtures::lanes`]), each with the reference
    /// world of its own lane: sequences on different lanes can run at once against one endpoint.
    pub fn lanes(&self) -> Vec<Env> {
        self.fixtures
            .lanes()
            .into_iter()
            .map(|fixtures| Env {
                world: fixtures.reference_world(),
                fixtures,
                ..self.clone()
            })
            .collect()
    }

    /// A fresh clean emulator, as the reference.
    pub fn reference(&self) -> InProcess {
        let delay = if self.target.is_embedded() {
            None
        } else {
            Some(self.async_delay)
        };
        InProcess::new(&self.world, &self.contract, &move |config: &mut Config| {
            // The reference judges the API, not the wire: it skips signature checks (and its
            // requests go unsigned), which halves the cost of each step.
            config.signing = eni_emulator::SigningMode::Relaxed;
            if let Some(delay) = delay {
                config.timings.set_transitions(delay);
            }
        })
    }

    /// A connection to the target and the way to read its state.
    pub fn open_target(&self) -> anyhow::Result<Side> {
        match &self.target {
            TargetSpec::Embedded { configure, .. } => {
                let configure = Arc::clone(configure);
                // Like the reference, the embedded target skips signatures: the fuzzer judges the
                // API; the suite's wire cases judge signing. HTTP targets are always signed.
                let emulator = Arc::new(InProcess::new(
                    &World::builtin(),
                    &self.contract,
                    &move |c: &mut Config| {
                        c.signing = eni_emulator::SigningMode::Relaxed;
                        configure(c)
                    },
                ));
                Ok(Side {
                    connection: emulator.clone(),
                    probe: emulator,
                    virtual_clock: true,
                })
            }
            TargetSpec::Http { target, signing } => {
                let connection: Arc<dyn Connection> =
                    Arc::from(target.connect(&EmulatorKnobs::default())?);
                let probe = Arc::new(DescribeProbe {
                    connection: Arc::clone(&connection),
                    signing: *signing,
                });
                Ok(Side {
                    connection,
                    probe,
                    virtual_clock: false,
                })
            }
        }
    }
}

/// One endpoint of a sequence run.
#[derive(Clone)]
pub struct Side {
    pub connection: Arc<dyn Connection>,
    pub probe: Arc<dyn StateProbe>,
    /// Whether waiting is instant (an embedded emulator's virtual clock).
    pub virtual_clock: bool,
}

impl std::fmt::Debug for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Side")
            .field("virtual_clock", &self.virtual_clock)
            .finish_non_exhaustive()
    }
}

/// An ENI a sequence created, by its id on each side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handle {
    pub target: Option<String>,
    pub reference: Option<String>,
}

/// One executed step, as the case writer needs it.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub rendered: Rendered,
    /// The reference's answer (status, code): what the contract says.
    pub expected: Option<(u16, Option<String>)>,
    /// The handle this step created.
    pub created: Option<usize>,
}

/// The result of one sequence.
#[derive(Debug, Clone, Default)]
pub struct SeqResult {
    pub findings: Vec<Finding>,
    pub steps: Vec<StepRecord>,
    /// Requests the target answered (reads included).
    pub requests: usize,
    pub reference_requests: usize,
    pub mutating: usize,
    pub mutating_ok: usize,
    /// A request went unanswered: the sequence stopped there (an unknown outcome, no finding).
    pub unknown_outcomes: usize,
}

/// Runs `ops` on a fresh reference and a fresh (or cleaned) target. Stops after the first step
/// with a finding of kind `stop_on` if given, else after the first step with any finding: once
/// the target and the reference disagree, later differences are mostly consequences. Past
/// `deadline` no further step starts (a shared target is still cleaned up).
pub async fn execute(
    env: &Env,
    ops: &[Op],
    stop_on: Option<&Kind>,
    deadline: Option<Instant>,
) -> SeqResult {
    let mut result = SeqResult::default();
    let target = match env.open_target() {
        Ok(side) => side,
        Err(error) => {
            result.unknown_outcomes += 1;
            result.findings.clear();
            eprintln!("warning: cannot connect to the target: {error:#}");
            return result;
        }
    };
    let reference = env.reference();
    let mut run = SeqRun {
        env,
        target,
        reference,
        vswitch_ids: env.fixtures.vswitch_ids(),
        scope: env.fixtures.vswitches.iter().map(|v| v.cidr).collect(),
        handles: Vec::new(),
        primaries: BTreeMap::new(),
        tokens: 0,
        before: None,
        clock_origin: Instant::now(),
        reference_elapsed: Duration::ZERO,
        fixture_secondaries: BTreeMap::new(),
        token_uses: BTreeMap::new(),
        token_prefix: String::new(),
        result,
    };
    if !run.target.virtual_clock {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        run.token_prefix = format!("fuzz-{started:x}-{n}-");
        run.mirror_target().await;
    }
    for (index, op) in ops.iter().enumerate() {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
        let had = run.result.findings.len();
        if !run.step(index, op).await {
            break;
        }
        let new = &run.result.findings[had..];
        if stop_on.map_or(!new.is_empty(), |kind| {
            new.iter().any(|finding| &finding.kind == kind)
        }) {
            break;
        }
    }
    if !run.target.virtual_clock {
        run.clean_up().await;
    }
    run.result
}

struct SeqRun<'a> {
    env: &'a Env,
    target: Side,
    reference: InProcess,
    vswitch_ids: Vec<String>,
    /// The blocks of those VSwitches: reads are compared for the ENIs in them.
    scope: Vec<ipnet::Ipv4Net>,
    handles: Vec<Handle>,
    primaries: BTreeMap<String, String>,
    tokens: usize,
    before: Option<Observation>,
    clock_origin: Instant,
    reference_elapsed: Duration,
    /// Secondary addresses the fixture primary ENIs held when the sequence began (real targets).
    fixture_secondaries: BTreeMap<String, Vec<String>>,
    /// ClientToken → the parameters of its first use and whether that use was steered.
    token_uses: BTreeMap<String, (Vec<(String, Val)>, bool)>,
    /// Replaces `fuzz-token-` in ClientTokens on a shared target (empty: kept).
    token_prefix: String,
    result: SeqResult,
}

impl SeqRun<'_> {
    /// The reference's view of the run, for rendering.
    fn view(&self) -> StateView {
        let enis = self.reference.emulator().network_interfaces();
        let by_id = |id: &str| {
            enis.iter()
                .find(|e| e.id == id)
                .map(|e| (e.primary_ip, e.secondary_ips.clone()))
        };
        let mut held: Vec<Ipv4Addr> = enis
            .iter()
            .filter(|e| self.vswitch_ids.contains(&e.vswitch_id))
            .flat_map(|e| std::iter::once(e.primary_ip).chain(e.secondary_ips.iter().copied()))
            .collect();
        held.sort();
        StateView {
            handles: self
                .handles
                .iter()
                .map(|h| h.reference.as_deref().and_then(by_id))
                .collect(),
            primaries: self
                .env
                .fixtures
                .instances
                .iter()
                .filter_map(|i| i.primary_eni.as_ref())
                .filter_map(|id| by_id(id).map(|(p, s)| (id.clone(), p, s)))
                .collect(),
            held,
            tokens: self.tokens,
        }
    }

    fn materialize(&self, action: &str, params: &[(String, Val)], target: bool) -> WireRequest {
        let mut wire = vec![("Action".to_string(), action.to_string())];
        for (key, value) in params {
            let text = match value {
                // Tokens are unique per sequence, so that sequences on a shared endpoint never
                // replay each other's requests.
                Val::Text(text) if key == "ClientToken" && !self.token_prefix.is_empty() => {
                    text.replacen("fuzz-token-", &self.token_prefix, 1)
                }
                Val::Text(text) => text.clone(),
                Val::Eni(h) => {
                    let handle = &self.handles[*h];
                    let id = if target {
                        &handle.target
                    } else {
                        &handle.reference
                    };
                    id.clone().unwrap_or_else(|| MISSING_ENI.into())
                }
            };
            wire.push((key.clone(), text));
        }
        let signing = if target && !self.target.virtual_clock {
            Signing::V1
        } else {
            Signing::None
        };
        WireRequest {
            params: wire,
            format: Format::Json,
            signing,
            ..WireRequest::default()
        }
    }

    /// Keeps the reference's clock in step with the real one, for a target on the real clock.
    fn sync_reference_clock(&mut self) {
        if self.target.virtual_clock {
            return;
        }
        let now = self.clock_origin.elapsed();
        if now > self.reference_elapsed {
            self.reference.advance(now - self.reference_elapsed);
            self.reference_elapsed = now;
        }
    }

    async fn observe_target(&mut self) -> Option<Observation> {
        match self.target.probe.observe(&self.vswitch_ids).await {
            Ok(observation) => {
                self.result.requests += observation.requests;
                Some(observation)
            }
            Err(_) => None,
        }
    }

    /// One step; false when the sequence cannot go on (no answer).
    async fn step(&mut self, index: usize, op: &Op) -> bool {
        let rendered = op.render(&self.env.fixtures, &self.view());
        let (action, params) = match &rendered {
            Rendered::Wait(duration) => {
                if self.target.virtual_clock {
                    self.target.connection.wait(*duration).await;
                    self.reference.advance(*duration);
                } else {
                    // Transitions take `async_delay`: waiting longer changes nothing, and a
                    // target whose transitions are instant needs no pause at all.
                    let enough = if self.env.async_delay.is_zero() {
                        Duration::ZERO
                    } else {
                        self.env.async_delay + Duration::from_millis(50)
                    };
                    tokio::time::sleep((*duration).min(enough).min(MAX_REAL_WAIT)).await;
                }
                self.before = None;
                self.result.steps.push(StepRecord {
                    rendered,
                    expected: None,
                    created: None,
                });
                return true;
            }
            Rendered::Send { action, params } => (*action, params.clone()),
        };
        for (key, value) in &params {
            if let (true, Val::Text(token)) = (key == "ClientToken", value)
                && let Some(n) = token
                    .strip_prefix("fuzz-token-")
                    .and_then(|n| n.parse::<usize>().ok())
            {
                self.tokens = self.tokens.max(n + 1);
            }
        }
        let mutating = op.is_mutating();
        let request = self.materialize(action, &params, true);
        let before = if mutating {
            match self.before.take() {
                Some(before) => Some(before),
                None => self.observe_target().await,
            }
        } else {
            None
        };
        self.result.requests += 1;
        let exchange = match self.target.connection.send(&request).await {
            Ok(exchange) => exchange,
            Err(_) => {
                self.result.unknown_outcomes += 1;
                self.result.steps.push(StepRecord {
                    rendered,
                    expected: None,
                    created: None,
                });
                return false;
            }
        };
        if mutating {
            self.result.mutating += 1;
            self.result.mutating_ok += usize::from(exchange.status == 200);
        }
        let mut findings = Vec::new();
        for violation in check_exchange(&exchange, &[], &self.env.checks) {
            findings.push(oracle::from_violation(
                violation,
                index,
                action,
                Some(&exchange),
            ));
        }
        findings.extend(oracle::check_code_status(&exchange, index, action));

        // The reference, steered to the target's own choices.
        let (reference_params, steered) = steer(action, &params, &exchange);
        // A token first used by a steered request is known to the reference with other
        // parameters than the target saw: a later use with different parameters cannot be
        // compared (the target rightly answers IdempotentParameterMismatch, the reference may not).
        let token = params
            .iter()
            .find(|(k, _)| k == "ClientToken")
            .and_then(|(_, v)| match v {
                Val::Text(text) => Some(text.clone()),
                Val::Eni(_) => None,
            });
        let mut comparable = true;
        let mut replay = false;
        if let Some(token) = token {
            let mut key = params.clone();
            key.insert(0, ("Action".into(), Val::Text(action.into())));
            match self.token_uses.get(&token) {
                Some((first, true)) if *first != key => comparable = false,
                Some((first, _)) => replay = *first == key,
                // Only a successful request makes a token "used" (contract row 7).
                None if exchange.status == 200 => {
                    self.token_uses.insert(token, (key, steered));
                }
                None => {}
            }
        }
        let reference_request = self.materialize(action, &reference_params, false);
        self.sync_reference_clock();
        self.result.reference_requests += 1;
        let expected = match self.reference.send(&reference_request).await {
            Ok(reference) => {
                let rendered = rendered.clone();
                if comparable {
                    findings.extend(oracle::compare_answers(
                        &exchange, &reference, index, action, steered,
                    ));
                }
                if action.starts_with("Describe") {
                    let with_status = self.target.virtual_clock;
                    findings.extend(oracle::compare_reads(
                        &exchange,
                        &reference,
                        index,
                        action,
                        with_status,
                        &self.scope,
                    ));
                }
                let created = self.record_create(action, &exchange, &reference);
                // The contract's answer to the request as sent: where the reference was told the
                // target's choice, the original (automatic) request deserves a 200; whether the
                // choice was sound is for the checks (`assign_adds_exactly_reported`, uniqueness).
                let expected = if steered {
                    (200, None)
                } else {
                    (reference.status, reference.decoded.code.clone())
                };
                self.result.steps.push(StepRecord {
                    rendered,
                    expected: Some(expected),
                    created,
                });
                true
            }
            Err(_) => false,
        };
        if !expected {
            self.result.steps.push(StepRecord {
                rendered,
                expected: None,
                created: None,
            });
        }

        if mutating && let Some(after) = self.observe_target().await {
            let checks = &self.env.checks;
            // A broken state invariant is one kind whatever request revealed it.
            for violation in check_state(&after, &self.env.profile, checks, &mut self.primaries) {
                findings.push(oracle::from_violation(violation, index, "", None));
            }
            let succeeded = exchange.status == 200;
            let mutation = mutation_of(action, &request);
            let reported = exchange.decoded.strings_at(ASSIGNED_PATH);
            if succeeded {
                for violation in check_assign_report(&mutation, &reported, checks) {
                    findings.push(oracle::from_violation(
                        violation,
                        index,
                        action,
                        Some(&exchange),
                    ));
                }
            }
            // A replayed create (a used ClientToken) answers the first response again, whatever
            // happened to the ENI since.
            let replayed = exchange
                .decoded
                .get("NetworkInterfaceId")
                .and_then(|v| v.as_str())
                .is_some_and(|id| before.as_ref().is_some_and(|b| b.enis.contains_key(id)));
            if succeeded && action == "CreateNetworkInterface" && !replayed {
                findings.extend(check_create_report(
                    &params, &exchange, &after, index, checks,
                ));
            }
            if let Some(before) = &before {
                // A token replay answers the first response again and changes nothing, even when
                // the ENI lost some of those addresses since: not a mismatch with Describe.
                let unchanged = before.enis == after.enis;
                for violation in
                    check_transition(before, &after, &mutation, succeeded, &reported, checks)
                        .into_iter()
                        .filter(|v| {
                            !(replay && unchanged && v.check.name == "assign_matches_describe")
                        })
                {
                    findings.push(oracle::from_violation(
                        violation,
                        index,
                        action,
                        Some(&exchange),
                    ));
                }
            }
            self.before = Some(after);
        }
        self.result.findings.extend(findings);
        true
    }

    /// Adds a handle for an ENI either side created (a replayed create adds none).
    fn record_create(
        &mut self,
        action: &str,
        target: &Exchange,
        reference: &Exchange,
    ) -> Option<usize> {
        if action != "CreateNetworkInterface" {
            return None;
        }
        let id = |exchange: &Exchange| {
            (exchange.status == 200)
                .then(|| {
                    exchange
                        .decoded
                        .get("NetworkInterfaceId")
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                })
                .flatten()
        };
        let handle = Handle {
            target: id(target),
            reference: id(reference),
        };
        if handle == Handle::default() {
            return None;
        }
        if let Some(existing) = self.handles.iter().position(|h| {
            (handle.target.is_some() && h.target == handle.target)
                || (handle.reference.is_some() && h.reference == handle.reference)
        }) {
            return Some(existing);
        }
        self.handles.push(handle);
        Some(self.handles.len() - 1)
    }

    /// How long to pause before reading a settling target again: never longer than its
    /// transitions take, so a target with instant transitions is polled without sleeping.
    fn settle_pause(&self, longest: Duration) -> Duration {
        self.env.async_delay.min(longest)
    }

    /// Against a shared target: waits for its transitions to settle, then gives the reference
    /// the same occupancy (every foreign ENI becomes a "ghost" ENI holding the same addresses).
    async fn mirror_target(&mut self) {
        let started = Instant::now();
        let observation = loop {
            let Some(observation) = self.observe_target().await else {
                return;
            };
            let busy = observation
                .enis
                .values()
                .any(|e| matches!(e.status.as_str(), "Attaching" | "Detaching" | "Deleting"));
            if !busy || started.elapsed() > SETTLE_TIMEOUT {
                break observation;
            }
            tokio::time::sleep(self.settle_pause(Duration::from_millis(200))).await;
        };
        let sg = self
            .env
            .fixtures
            .security_group
            .as_ref()
            .map(|sg| sg.id.clone())
            .unwrap_or_default();
        let fixture_enis: Vec<&String> = self
            .env
            .fixtures
            .instances
            .iter()
            .filter_map(|i| i.primary_eni.as_ref())
            .collect();
        for eni in observation.enis.values() {
            let mut params: Vec<(String, Val)> = Vec::new();
            let chunks: Vec<&[String]> = eni.secondaries.chunks(10).collect();
            let action = if fixture_enis.contains(&&eni.id) {
                self.fixture_secondaries
                    .insert(eni.id.clone(), eni.secondaries.clone());
                for chunk in &chunks {
                    let mut params =
                        vec![("NetworkInterfaceId".to_string(), Val::Text(eni.id.clone()))];
                    params.extend(chunk.iter().enumerate().map(|(i, a)| {
                        (format!("PrivateIpAddress.{}", i + 1), Val::Text(a.clone()))
                    }));
                    let request = self.materialize("AssignPrivateIpAddresses", &params, false);
                    let _ = self.reference.send(&request).await;
                }
                continue;
            } else {
                params.push(("VSwitchId".into(), Val::Text(eni.vswitch_id.clone())));
                params.push(("SecurityGroupId".into(), Val::Text(sg.clone())));
                params.extend(
                    eni.primary
                        .iter()
                        .map(|p| ("PrimaryIpAddress".to_string(), Val::Text(p.clone()))),
                );
                if let Some(first) = chunks.first() {
                    params.extend(first.iter().enumerate().map(|(i, a)| {
                        (format!("PrivateIpAddress.{}", i + 1), Val::Text(a.clone()))
                    }));
                }
                "CreateNetworkInterface"
            };
            let request = self.materialize(action, &params, false);
            // Ghosts never take part in the sequence; only the addresses they hold matter.
            let _ = self.reference.send(&request).await;
        }
        self.clock_origin = Instant::now();
        self.reference_elapsed = Duration::ZERO;
    }

    /// Against a shared target: gives back what the sequence took. Bounded in time, and given up
    /// when a pass changes nothing (the target refuses): what stays is foreign state to later
    /// sequences, mirrored like any other.
    async fn clean_up(&mut self) {
        let started = Instant::now();
        // Addresses the sequence added to fixture primary ENIs.
        if let Some(now) = self.observe_target().await {
            for (id, before) in &self.fixture_secondaries.clone() {
                let Some(eni) = now.enis.get(id) else {
                    continue;
                };
                let added: Vec<String> = eni
                    .secondaries
                    .iter()
                    .filter(|a| !before.contains(a))
                    .cloned()
                    .collect();
                self.unassign_all(id, &added).await;
            }
        }
        let mut remaining: Vec<String> = self
            .handles
            .iter()
            .filter_map(|h| h.target.clone())
            .collect();
        let mut last_pass = None;
        while !remaining.is_empty() && started.elapsed() < SETTLE_TIMEOUT {
            let Some(now) = self.observe_target().await else {
                return;
            };
            remaining.retain(|id| now.enis.contains_key(id));
            let pass: Vec<EniView> = remaining.iter().map(|id| now.enis[id].clone()).collect();
            let settling = pass
                .iter()
                .any(|e| matches!(e.status.as_str(), "Attaching" | "Detaching" | "Deleting"));
            if !settling && last_pass.as_ref() == Some(&pass) {
                return;
            }
            for eni in &pass {
                match eni.status.as_str() {
                    "InUse" => {
                        // Detaching is refused while the ENI holds more secondaries than an
                        // Available ENI may: give them back first.
                        self.unassign_all(&eni.id, &eni.secondaries).await;
                        let instance = eni.instance_id.clone().unwrap_or_default();
                        let params = vec![
                            ("NetworkInterfaceId", eni.id.clone()),
                            ("InstanceId", instance),
                        ];
                        self.send_quietly("DetachNetworkInterface", params).await;
                    }
                    "Available" => {
                        let params = vec![("NetworkInterfaceId", eni.id.clone())];
                        self.send_quietly("DeleteNetworkInterface", params).await;
                    }
                    _ => {}
                }
            }
            last_pass = Some(pass);
            if !remaining.is_empty() {
                tokio::time::sleep(self.settle_pause(Duration::from_millis(100))).await;
            }
        }
    }

    /// Unassigns `addresses` from an ENI of the target, ten at a time (the most one request may
    /// name on an Available ENI).
    async fn unassign_all(&self, eni: &str, addresses: &[String]) {
        for chunk in addresses.chunks(10) {
            let mut params = vec![("NetworkInterfaceId".to_string(), eni.to_string())];
            params.extend(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (format!("PrivateIpAddress.{}", i + 1), a.clone())),
            );
            self.send_quietly("UnassignPrivateIpAddresses", params)
                .await;
        }
    }

    /// Sends a clean-up request to the target; its answer does not matter (the next read does).
    async fn send_quietly(&self, action: &str, params: Vec<(impl Into<String>, String)>) {
        let mut wire = vec![("Action".to_string(), action.to_string())];
        wire.extend(params.into_iter().map(|(key, value)| (key.into(), value)));
        let request = WireRequest {
            params: wire,
            format: Format::Json,
            ..WireRequest::default()
        };
        let _ = self.target.connection.send(&request).await;
    }
}

/// Where the target chose addresses itself and succeeded, the reference gets the target's choice
/// by address. Returns the reference's parameters and whether they were changed.
pub fn steer(
    action: &str,
    params: &[(String, Val)],
    exchange: &Exchange,
) -> (Vec<(String, Val)>, bool) {
    if exchange.status != 200 {
        return (params.to_vec(), false);
    }
    let has = |key: &str| params.iter().any(|(k, _)| k == key);
    let is_list_key = |k: &str| k.starts_with("PrivateIpAddress.");
    match action {
        "AssignPrivateIpAddresses"
            if has("SecondaryPrivateIpAddressCount")
                && !params.iter().any(|(k, _)| is_list_key(k)) =>
        {
            let reported = exchange.decoded.strings_at(ASSIGNED_PATH);
            let mut out: Vec<(String, Val)> = params
                .iter()
                .filter(|(k, _)| k != "SecondaryPrivateIpAddressCount")
                .cloned()
                .collect();
            out.extend(
                reported
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| (format!("PrivateIpAddress.{}", i + 1), Val::Text(a))),
            );
            (out, true)
        }
        "CreateNetworkInterface" => {
            let mut out = params.to_vec();
            let mut steered = false;
            let decoded = &exchange.decoded;
            let sets = decoded
                .get("PrivateIpSets.PrivateIpSet")
                .and_then(|s| s.as_array())
                .cloned()
                .unwrap_or_default();
            let text = |v: &serde_json::Value, k: &str| {
                v.get(k).and_then(|f| f.as_str()).map(str::to_string)
            };
            if !has("PrimaryIpAddress")
                && let Some(primary) = decoded.get("PrivateIpAddress").and_then(|v| v.as_str())
            {
                out.push(("PrimaryIpAddress".into(), Val::Text(primary.into())));
                steered = true;
            }
            if has("SecondaryPrivateIpAddressCount") && !params.iter().any(|(k, _)| is_list_key(k))
            {
                out.retain(|(k, _)| k != "SecondaryPrivateIpAddressCount");
                let secondaries = sets
                    .iter()
                    .filter(|s| text(s, "Primary").as_deref() != Some("true"))
                    .filter_map(|s| text(s, "PrivateIpAddress"));
                out.extend(
                    secondaries
                        .enumerate()
                        .map(|(i, a)| (format!("PrivateIpAddress.{}", i + 1), Val::Text(a))),
                );
                steered = true;
            }
            (out, steered)
        }
        _ => (params.to_vec(), false),
    }
}

/// A successful create reports the ENI as it is: `count` distinct secondaries when a count was
/// asked for, and exactly the addresses the state read back shows.
fn check_create_report(
    params: &[(String, Val)],
    exchange: &Exchange,
    after: &Observation,
    step: usize,
    checks: &crate::checks::CheckSet,
) -> Vec<Finding> {
    use crate::checks::{ASSIGN_ADDS_EXACTLY_REPORTED, ASSIGN_MATCHES_DESCRIBE};
    let mut found = Vec::new();
    let decoded = &exchange.decoded;
    let text =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|f| f.as_str()).map(str::to_string);
    let sets = decoded
        .get("PrivateIpSets.PrivateIpSet")
        .and_then(|s| s.as_array())
        .cloned()
        .unwrap_or_default();
    let secondaries: Vec<String> = sets
        .iter()
        .filter(|s| text(s, "Primary").as_deref() != Some("true"))
        .filter_map(|s| text(s, "PrivateIpAddress"))
        .collect();
    let finding = |check: crate::checks::CheckInfo, message: String| Finding {
        kind: Kind {
            check: check.name.into(),
            signature: "CreateNetworkInterface 200".into(),
        },
        step,
        message,
    };
    let count = params
        .iter()
        .find(|(k, _)| k == "SecondaryPrivateIpAddressCount")
        .and_then(|(_, v)| match v {
            Val::Text(text) => text.parse::<usize>().ok(),
            Val::Eni(_) => None,
        });
    let distinct: std::collections::BTreeSet<&String> = secondaries.iter().collect();
    if checks.is_on(ASSIGN_ADDS_EXACTLY_REPORTED)
        && (distinct.len() != secondaries.len() || count.is_some_and(|n| n != secondaries.len()))
    {
        let message = format!(
            "the create reports secondaries [{}] for a count of {count:?}",
            secondaries.join(", ")
        );
        found.push(finding(ASSIGN_ADDS_EXACTLY_REPORTED, message));
    }
    let id = decoded
        .get("NetworkInterfaceId")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if let Some(eni) = after.enis.get(id)
        && checks.is_on(ASSIGN_MATCHES_DESCRIBE)
        && (eni.primary
            != decoded
                .get("PrivateIpAddress")
                .and_then(|v| v.as_str())
                .map(str::to_string)
            || eni.secondary_set() != secondaries.iter().cloned().collect())
    {
        let message = format!(
            "the create reports primary {:?} + [{}], but {id} holds {:?} + [{}]",
            decoded.get("PrivateIpAddress").and_then(|v| v.as_str()),
            secondaries.join(", "),
            eni.primary,
            eni.secondaries.join(", ")
        );
        found.push(finding(ASSIGN_MATCHES_DESCRIBE, message));
    }
    found
}

/// What a mutating request asks for, for the transition checks.
fn mutation_of(action: &str, request: &WireRequest) -> Mutation {
    let param = |name: &str| {
        request
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let addresses: Vec<String> = request
        .params
        .iter()
        .filter(|(k, _)| {
            k.strip_prefix("PrivateIpAddress.").is_some_and(|n| {
                !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
            })
        })
        .map(|(_, v)| v.clone())
        .collect();
    let eni = param("NetworkInterfaceId").unwrap_or_default();
    match action {
        "AssignPrivateIpAddresses" => Mutation::Assign {
            eni,
            requested: addresses,
            count: param("SecondaryPrivateIpAddressCount").and_then(|c| c.parse().ok()),
            client_token: param("ClientToken"),
        },
        "UnassignPrivateIpAddresses" => Mutation::Unassign {
            eni,
            named: addresses,
        },
        _ => Mutation::Other,
    }
}
