//! Running one sequence: each operation is rendered against the reference's state, sent to the
//! target, steered onto the reference (where the target chose addresses itself, the reference is
//! told the target's choice), and judged by what the contract decides (`super::contract`):
//! answer checks, the status the contract gives each code, the differential comparison of
//! answers, reads and the state after every mutating operation, and the IP invariants on the
//! state read back. Against a shared endpoint (`super::endpoint`) a sequence starts by giving
//! back what earlier ones left, mirrors the ENIs it does not own into the reference, keeps the
//! reference's transitions in step with the endpoint's, and gives back what it took.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use eni_emulator::{Config, ContractProfile, InstanceStatus, Timings, World};

use super::contract::{self, Answer, Decides, Judgement, Sensitivity};
use super::endpoint::{
    self, CLEANUP_TIMEOUT, Gated, Lane, Mirror, Reach, Reached, Restored, is_transitional,
};
use super::fixtures::Fixtures;
use super::inproc::{DescribeProbe, InProcess, StateProbe};
use super::ops::{self, EniPick, Op, Rendered, StateView, Val};
use super::oracle::{self, Finding, Kind, Pair};
use super::rng;
use crate::checks::ASSIGN_MATCHES_DESCRIBE;
use crate::checks::CheckSet;
use crate::checks::describe;
use crate::checks::describe::{ASSIGNED_PATH, ASSIGNED_PREFIX_PATH};
use crate::checks::invariants::check_state;
use crate::checks::mutation::mutation_of;
use crate::checks::observe::Observation;
use crate::checks::response::check_exchange;
use crate::checks::step as judge;
use crate::profile::Profile;
use crate::targets::{Connection, EmulatorKnobs, Exchange, HttpTarget, Target};
use crate::wire::{Format, Signing, WireRequest};

/// Stands for an ENI one side never created (the other did: that is a finding already).
const MISSING_ENI: &str = "eni-bp1fuzzmissing0000001";
/// Bound on waiting for a real target's transitions to settle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);
/// On a real clock the reference's transitions never end by themselves: they end when the
/// target's are seen to have ended, so that the reference is never ahead of the target.
const REFERENCE_TRANSITION: Duration = Duration::from_secs(3600);
/// How far the reference's clock moves on after each transition it begins (real clock).
const TICK: Duration = Duration::from_millis(1);
/// Added to the transition time in the waits the fuzzer makes and the cases it writes.
pub const WAIT_MARGIN: Duration = Duration::from_secs(1);
/// Bytes drawn per operation on another ENI; more than the largest one consumes.
const FILLER_BYTES: usize = 64;
/// Statuses a written case accepts for a refusal whose status the contract leaves open.
const REFUSED: [u16; 4] = [400, 403, 404, 409];

/// Plants defects into an embedded target's emulator (a no-op for a clean one).
pub type Configure = Arc<dyn Fn(&mut Config) + Send + Sync>;

/// What the fuzzer talks to.
#[derive(Clone)]
pub enum TargetSpec {
    /// A fresh in-process emulator per sequence; `configure` plants defects.
    Embedded {
        /// Changes each fresh emulator's configuration (defects, timings) before it starts.
        configure: Configure,
        /// How reports name the target.
        label: String,
    },
    /// A shared endpoint.
    Http {
        /// The endpoint, as its profile and URL describe it.
        target: Arc<HttpTarget>,
        /// How requests to it are signed.
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
    /// How the target is named in reports: its label, or its URL.
    pub fn describe(&self) -> String {
        match self {
            TargetSpec::Embedded { label, .. } => label.clone(),
            TargetSpec::Http { target, .. } => target.describe(),
        }
    }

    pub(crate) fn is_embedded(&self) -> bool {
        matches!(self, TargetSpec::Embedded { .. })
    }

    fn signing(&self) -> Signing {
        match self {
            TargetSpec::Embedded { .. } => Signing::None,
            TargetSpec::Http { signing, .. } => *signing,
        }
    }
}

/// The longest transition of the emulator's default timings: what the embedded target and the
/// reference that proves a written case take.
pub fn default_transition() -> Duration {
    let timings = Timings::default();
    timings.attach.max(timings.detach).max(timings.delete)
}

/// Everything a run shares.
#[derive(Debug, Clone)]
pub struct Env {
    /// What the run may use, taken from the profile.
    pub fixtures: Fixtures,
    /// The profile the target is run with.
    pub profile: Arc<Profile>,
    /// The named checks the judge applies, the profile's disabled ones left out.
    pub checks: CheckSet,
    /// The world the in-process reference starts each sequence from, mirroring the target's.
    pub world: World,
    /// The contract version the reference emulator follows (caps, spellings, prefixes).
    pub contract: ContractProfile,
    /// The target.
    pub target: TargetSpec,
    /// The transition time (Attaching, Detaching, Deleting) a target on the real clock is
    /// expected to take: how often clean-up polls, and the least a written case waits.
    pub async_delay: Duration,
    /// What this lane of a shared endpoint remembers between sequences.
    pub lane: Arc<Lane>,
    /// What the target's connections met, over every lane.
    pub reached: Arc<Reached>,
}

impl Env {
    /// Everything a run against `target` shares; fails naming what the profile lacks.
    pub fn new(
        profile: Arc<Profile>,
        target: TargetSpec,
        async_delay: Duration,
    ) -> Result<Env, String> {
        let fixtures = Fixtures::from_profile(&profile)?;
        let checks = CheckSet::without(profile.disabled_checks.iter().map(String::as_str))
            .map_err(|unknown| unknown.to_string())?
            .under(&profile.contract);
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
            lane: Arc::default(),
            reached: Arc::default(),
        })
    }

    /// One environment per lane of the fixtures ([`Fixtures::lanes`]), each with the reference
    /// world and the memory of its own lane: sequences on different lanes can run at once
    /// against one endpoint.
    pub fn lanes(&self) -> Vec<Env> {
        self.fixtures
            .lanes()
            .into_iter()
            .map(|fixtures| Env {
                world: fixtures.reference_world(),
                fixtures,
                lane: Arc::default(),
                ..self.clone()
            })
            .collect()
    }

    /// The world a clean reference of this lane starts from: for an endpoint, with the
    /// instances' primaries where the endpoint put them once it was seen.
    pub fn reference_world(&self) -> World {
        self.lane
            .recorded_world()
            .unwrap_or_else(|| self.world.clone())
    }

    /// A fresh clean emulator over `world`, as the reference.
    pub fn reference(&self, world: &World) -> InProcess {
        let real_clock = !self.target.is_embedded();
        super::inproc::in_process(world, &self.contract, &move |config: &mut Config| {
            // The reference judges the API, not the wire: it skips signature checks (and its
            // requests go unsigned), which halves the cost of each step.
            config.signing = eni_emulator::SigningMode::Relaxed;
            if real_clock {
                config.timings.set_transitions(REFERENCE_TRANSITION);
            }
        })
    }

    /// A connection to the target and the way to read its state; against an endpoint nothing
    /// is sent past `deadline`.
    pub fn open_target(&self, deadline: Option<Instant>) -> anyhow::Result<Side> {
        match &self.target {
            TargetSpec::Embedded { configure, .. } => {
                let configure = Arc::clone(configure);
                // Like the reference, the embedded target skips signatures: the fuzzer judges the
                // API; the suite's wire cases judge signing. HTTP targets are always signed.
                let emulator = Arc::new(super::inproc::in_process(
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
                let inner: Arc<dyn Connection> =
                    Arc::from(target.connect(&EmulatorKnobs::default())?);
                let connection: Arc<dyn Connection> = Arc::new(Gated {
                    inner,
                    deadline,
                    reached: Arc::clone(&self.reached),
                });
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

    /// The least a written case waits for a transition: longer than the reference that proves
    /// it takes, than the target is expected to take, and than it was seen to take.
    pub fn case_wait(&self, seen: Duration) -> Duration {
        let longest = default_transition().max(self.async_delay).max(seen) + WAIT_MARGIN;
        Duration::from_secs(longest.as_secs() + u64::from(longest.subsec_nanos() > 0))
    }

    /// How often a settling endpoint is read again.
    pub fn poll_interval(&self) -> Duration {
        (self.async_delay / 10).clamp(Duration::from_millis(10), Duration::from_millis(250))
    }

    /// Against an endpoint: gives back everything the fuzzer holds on this lane and reads the
    /// lane back until it is gone (or `deadline`, or the clean-up timeout). Shrinking and
    /// proving start only from a lane known clean.
    pub async fn make_clean(&self, deadline: Option<Instant>) -> Restored {
        if self.target.is_embedded() {
            return Restored::default();
        }
        let side = match self.open_target(deadline) {
            Ok(side) => side,
            Err(_) => {
                return Restored {
                    left: self.lane.leftovers(),
                    ..Restored::default()
                };
            }
        };
        let until = cleanup_until(deadline);
        endpoint::restore(
            side.reach(self.target.signing()),
            &self.fixtures,
            &self.lane,
            &[],
            Some(until),
            self.poll_interval(),
        )
        .await
    }
}

fn cleanup_until(deadline: Option<Instant>) -> Instant {
    let bound = Instant::now() + CLEANUP_TIMEOUT;
    deadline.map_or(bound, |deadline| deadline.min(bound))
}

/// One endpoint of a sequence run.
#[derive(Clone)]
pub struct Side {
    /// How requests reach the endpoint.
    pub connection: Arc<dyn Connection>,
    pub(crate) probe: Arc<dyn StateProbe>,
    /// Whether waiting is instant (an embedded emulator's virtual clock).
    pub virtual_clock: bool,
}

impl Side {
    fn reach(&self, signing: Signing) -> Reach<'_> {
        Reach {
            connection: self.connection.as_ref(),
            probe: self.probe.as_ref(),
            signing,
        }
    }
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
    /// Its id on the target; `None` if the create failed there.
    pub target: Option<String>,
    /// Its id on the in-process reference; `None` if the create failed there.
    pub reference: Option<String>,
}

/// What a written step expects: one of `statuses` (none: any), and one of `codes` (none: not
/// checked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// HTTP statuses accepted; empty: any.
    pub statuses: Vec<u16>,
    /// Error codes accepted: the reference's, and the target's where the contract lets the two
    /// differ; empty: not checked.
    pub codes: Vec<String>,
}

impl Expected {
    /// Nothing is checked.
    pub fn anything() -> Expected {
        Expected::default()
    }

    /// An answer of 200.
    pub fn success() -> Expected {
        Expected {
            statuses: vec![200],
            codes: Vec::new(),
        }
    }

    /// Refused, with a status the contract leaves open (the ones seen included).
    fn refused(seen: &[u16]) -> Expected {
        let mut statuses: Vec<u16> = REFUSED.iter().chain(seen).copied().collect();
        statuses.sort_unstable();
        statuses.dedup();
        Expected {
            statuses,
            codes: Vec::new(),
        }
    }

    pub(crate) fn is_success(&self) -> bool {
        self.statuses == [200]
    }
}

/// One executed step, as the case writer needs it.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// As a case writes it: a count the target read as a number is written as that number.
    pub rendered: Rendered,
    /// What the contract says the answer is.
    pub expected: Expected,
    /// The handle this step created.
    pub created: Option<usize>,
    /// A transition ended on the target before this step: a case waits this long first.
    pub settle_before: Option<Duration>,
    /// Addresses the target chose itself in this step's answer, each with the path a case
    /// captures it from: a later step naming one names the capture, not a fixed address.
    pub chosen: Vec<(String, String)>,
}

impl StepRecord {
    fn new(rendered: Rendered, expected: Expected) -> StepRecord {
        StepRecord {
            rendered,
            expected,
            created: None,
            settle_before: None,
            chosen: Vec::new(),
        }
    }
}

/// The result of one sequence.
#[derive(Debug, Clone, Default)]
pub struct SeqResult {
    /// Every finding, in the order the steps met them.
    pub findings: Vec<Finding>,
    /// Every step executed, for the case writer.
    pub steps: Vec<StepRecord>,
    /// Requests the target answered (reads and clean-up included).
    pub requests: usize,
    /// Requests sent to the in-process reference.
    pub reference_requests: usize,
    /// Requests that may change addresses or ENIs.
    pub mutating: usize,
    /// Of those, the ones the target answered with success.
    pub mutating_ok: usize,
    /// A request went unanswered: the sequence stopped there (an unknown outcome, no finding).
    pub unknown_outcomes: usize,
    /// The sequence stopped being compared here: the target and the reference both did what
    /// the contract allows, and their states now differ.
    pub diverged: Option<String>,
    /// Whether the sequence started on a lane known clean (always, for an embedded target).
    pub clean_start: bool,
    /// ENIs of the fuzzer it could not give back.
    pub left_behind: Vec<String>,
    /// Why the first request that went unanswered did.
    pub transport_error: Option<String>,
    /// The operations run, in order, one per step: the sequence's own and the work done on
    /// other ENIs while its transitions were under way. What shrinking starts from.
    pub ops: Vec<Op>,
    /// How many of `ops` were that work.
    pub fillers: usize,
}

/// When a sequence stops.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// No step starts after this; clean-up still runs.
    pub steps_until: Option<Instant>,
    /// Nothing is sent to the target after this, clean-up included: the run's hard bound.
    pub deadline: Option<Instant>,
    /// Set by another stream to stop at the next step (`--fail-fast`).
    pub stop: Option<Arc<AtomicBool>>,
    /// Against an endpoint, start only once what the fuzzer left on the lane is read back gone
    /// (shrinking): else the sequence starts while the last one's ENIs are still going, and
    /// they are mirrored like any other ENI.
    pub strict: bool,
    /// On a real clock, a `Wait` whose transitions are still under way first works on the
    /// sequence's other ENIs (assigns, unassigns and reads drawn from this seed, on ENIs in no
    /// transition) until the target has ended them, instead of idling. The work is recorded as
    /// steps ([`SeqResult::ops`]), so that shrinking and a written case replay it exactly;
    /// `None` (shrinking, a virtual clock): a `Wait` only waits.
    pub fill: Option<u64>,
}

impl Limits {
    /// Whether a step may start now.
    pub fn step_may_start(&self) -> bool {
        let stopped = self
            .stop
            .as_ref()
            .is_some_and(|stop| stop.load(Ordering::Relaxed));
        self.steps_until.is_none_or(|until| Instant::now() < until) && !stopped
    }
}

/// Runs `ops` on a fresh reference and a fresh (or cleaned) target. Stops after the first step
/// with a finding of kind `stop_on` if given, else after the first step with any finding: once
/// the target and the reference disagree, later differences are mostly consequences. A shared
/// target is cleaned up afterwards, within `limits.deadline`.
pub async fn execute(env: &Env, ops: &[Op], stop_on: Option<&Kind>, limits: &Limits) -> SeqResult {
    let mut result = SeqResult {
        clean_start: true,
        ..SeqResult::default()
    };
    let target = match env.open_target(limits.deadline) {
        Ok(side) => side,
        Err(error) => {
            result.unknown_outcomes += 1;
            result.transport_error = Some(format!("cannot connect: {error:#}"));
            return result;
        }
    };
    let real = !target.virtual_clock;
    let signing = env.target.signing();
    let mut start = None;
    if real {
        let restored = endpoint::restore(
            target.reach(signing),
            &env.fixtures,
            &env.lane,
            &[],
            limits.strict.then(|| cleanup_until(limits.deadline)),
            env.poll_interval(),
        )
        .await;
        result.requests += restored.requests;
        result.clean_start = restored.is_clean();
        // An endpoint whose state cannot be read is still fuzzed: its answers alone can break
        // the contract. The reference then knows nothing of its other ENIs.
        if let Ok(observation) = target.probe.observe(&env.fixtures.vswitch_ids()).await {
            result.requests += observation.requests;
            start = Some(observation);
        }
    }
    let world = match &start {
        Some(now) => env.lane.world(&env.world, &env.contract, now),
        None => env.world.clone(),
    };
    let reference = env.reference(&world);
    let mirror = match &start {
        Some(now) => endpoint::mirror(&reference, now, &env.fixtures).await,
        None => Mirror {
            complete: !real,
            ..Mirror::default()
        },
    };
    let mut run = SeqRun {
        env,
        target,
        reference,
        real,
        signing,
        vswitch_ids: env.fixtures.vswitch_ids(),
        fixture_enis: env.fixtures.primary_enis(),
        handles: Vec::new(),
        created: BTreeSet::new(),
        primaries: BTreeMap::new(),
        tokens: 0,
        before: start,
        mirror,
        settle_pending: false,
        in_flight: Vec::new(),
        reference_elapsed: Duration::ZERO,
        longest_transition: Duration::ZERO,
        token_uses: BTreeMap::new(),
        token_prefix: String::new(),
        steps_until: limits.steps_until,
        result,
    };
    for ghost in run.mirror.started.clone() {
        let target = run.mirror.deleting[&ghost].clone();
        run.began_transition(target, false);
    }
    if real {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        run.token_prefix = format!("fuzz-{started:x}-{n}-");
    }
    let mut fill = limits.fill.filter(|_| real).map(rng::SplitMix64::new);
    let mut executed = Vec::with_capacity(ops.len());
    'ops: for op in ops {
        if let (Op::Wait { .. }, Some(fill)) = (op, fill.as_mut()) {
            // Work on other ENIs while the target's transitions are under way; each step's
            // read-back shows when they have ended.
            let mut filled = 0;
            while filled < MAX_FILL_PER_WAIT && limits.step_may_start() && run.transitions_pending()
            {
                let Some(filler) = run.filler(fill) else {
                    break;
                };
                filled += 1;
                run.result.fillers += 1;
                if !run.run_op(&mut executed, filler, stop_on).await {
                    break 'ops;
                }
            }
        }
        if !limits.step_may_start() || !run.run_op(&mut executed, op.clone(), stop_on).await {
            break;
        }
    }
    run.result.ops = executed;
    if real {
        run.give_back().await;
    }
    run.result
}

/// Most operations run on other ENIs during one `Wait`: bounds a sequence's length (and what
/// shrinking starts from) against an endpoint whose transitions take long.
pub const MAX_FILL_PER_WAIT: usize = 1024;

/// A transition the reference began on a real clock, waiting for the target's to end.
#[derive(Debug, Clone)]
struct InFlight {
    /// The ENI on the target.
    target: String,
    /// When it ends on the reference's clock (since the reference started).
    due: Duration,
    /// When the target began it (the target accepted the request too).
    began: Option<Instant>,
}

struct SeqRun<'a> {
    env: &'a Env,
    target: Side,
    reference: InProcess,
    /// The target runs on the real clock (a shared endpoint).
    real: bool,
    signing: Signing,
    vswitch_ids: Vec<String>,
    fixture_enis: Vec<String>,
    handles: Vec<Handle>,
    /// Every ENI the target said it created (a replayed or repeated create included).
    created: BTreeSet<String>,
    primaries: BTreeMap<String, String>,
    tokens: usize,
    /// The target's state after the last mutating step (or the last read of it).
    before: Option<Observation>,
    /// What the reference was told of the ENIs the sequence does not own.
    mirror: Mirror,
    /// The reference was brought level with a transition that had ended on the target.
    settle_pending: bool,
    /// The reference's transitions in flight (real clock), in the order they began.
    in_flight: Vec<InFlight>,
    /// How far the reference's clock was moved on since it started.
    reference_elapsed: Duration,
    /// The longest a transition was seen to take on the target.
    longest_transition: Duration,
    /// ClientToken → the parameters of its first use and whether that use was steered.
    token_uses: BTreeMap<String, (Vec<(String, Val)>, bool)>,
    /// Replaces `fuzz-token-` in ClientTokens on a shared target (empty: kept).
    token_prefix: String,
    steps_until: Option<Instant>,
    result: SeqResult,
}

/// A count the contract lets an endpoint read either way (`+3`, `03`, ` 3`), as the number it
/// stands for; `None` for a canonical count or one that is not a number at all.
pub fn open_count(params: &[(String, Val)]) -> Option<String> {
    let value = params.iter().find_map(|(k, v)| match v {
        Val::Text(text) if COUNT_KEYS.contains(&k.as_str()) => Some(text.as_str()),
        _ => None,
    })?;
    let canonical = |t: &str| {
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && (t == "0" || !t.starts_with('0'))
    };
    if canonical(value) {
        return None;
    }
    let trimmed = value.trim_matches(' ');
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().map(|n| n.to_string())
}

/// The counts of both kinds: the contract lets an endpoint read either leniently.
const COUNT_KEYS: [&str; 2] = ["SecondaryPrivateIpAddressCount", "Ipv4PrefixCount"];

fn with_count(params: &[(String, Val)], count: &str) -> Vec<(String, Val)> {
    let key = params
        .iter()
        .find(|(k, _)| COUNT_KEYS.contains(&k.as_str()))
        .map(|(k, _)| k.clone());
    params
        .iter()
        .map(|(k, v)| {
            if Some(k) == key.as_ref() {
                (k.clone(), Val::Text(count.to_string()))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

fn answer_of(exchange: &Exchange) -> Answer<'_> {
    Answer {
        status: exchange.status,
        code: exchange.decoded.code.as_deref(),
    }
}

/// What a written case expects of a step, from the judgement of it.
fn expectation(
    judgement: &Judgement,
    action: &str,
    target: &Exchange,
    reference: &Exchange,
) -> Expected {
    let decided = |exchange: &Exchange| {
        exchange
            .decoded
            .code
            .as_deref()
            .and_then(|code| contract::ruling(action, code))
            .is_some_and(|r| matches!(r.decides, Decides::Answer { .. }))
    };
    let code = |exchange: &Exchange| exchange.decoded.code.clone().unwrap_or_default();
    // A server fault or a rate limit is never what a case expects, even where it is no
    // disagreement: the case would then pass on the endpoint that answered it.
    let target_refusal_counts = target.status < 500
        && !target
            .decoded
            .code
            .as_deref()
            .and_then(|code| contract::ruling(action, code))
            .is_some_and(|r| r.decides == Decides::Transient);
    let seen: Vec<u16> = std::iter::once(reference.status)
        .chain(target_refusal_counts.then_some(target.status))
        .collect();
    match judgement {
        Judgement::Agree if reference.status == 200 => Expected::success(),
        Judgement::Agree if decided(reference) => {
            let mut codes = vec![code(reference)];
            if code(target) != codes[0] {
                codes.push(code(target));
            }
            Expected {
                statuses: vec![reference.status],
                codes,
            }
        }
        Judgement::BothRefused if decided(reference) && !target_refusal_counts => Expected {
            statuses: vec![reference.status],
            codes: vec![code(reference)],
        },
        Judgement::Agree | Judgement::BothRefused => Expected::refused(&seen),
        Judgement::Differs { .. } if reference.status == 200 => Expected::success(),
        Judgement::Differs { .. } if decided(reference) => Expected {
            statuses: vec![reference.status],
            codes: vec![code(reference)],
        },
        Judgement::Differs { .. } => Expected::refused(&[reference.status]),
        Judgement::Diverged { .. } => Expected::anything(),
    }
}

impl SeqRun<'_> {
    /// Runs `op` as the next step; false when the sequence stops there (it cannot go on, or a
    /// finding of the kind looked for came up).
    async fn run_op(&mut self, executed: &mut Vec<Op>, op: Op, stop_on: Option<&Kind>) -> bool {
        let index = executed.len();
        executed.push(op);
        let had = self.result.findings.len();
        if !self.step(index, &executed[index]).await {
            return false;
        }
        let new = &self.result.findings[had..];
        !stop_on.map_or(!new.is_empty(), |kind| {
            new.iter().any(|finding| &finding.kind == kind)
        })
    }

    /// Whether a transition the sequence began is still under way on the target, as its last
    /// read shows.
    fn transitions_pending(&self) -> bool {
        let Some(now) = &self.before else {
            return false;
        };
        self.in_flight.iter().any(|flight| {
            now.enis
                .get(&flight.target)
                .is_some_and(|e| is_transitional(&e.status))
        })
    }

    /// An operation (drawn from `rng`) on an ENI in no transition on either side: one the
    /// sequence created, or an instance's primary ENI. `None` when there is none.
    fn filler(&self, rng: &mut rng::SplitMix64) -> Option<Op> {
        let reference = self.reference.emulator().network_interfaces();
        let settled = |handle: &Handle| {
            let on_target = handle.target.as_ref().and_then(|id| {
                self.before
                    .as_ref()
                    .and_then(|now| now.enis.get(id))
                    .map(|e| e.status.clone())
            });
            let on_reference = handle
                .reference
                .as_ref()
                .and_then(|id| reference.iter().find(|e| &e.id == id))
                .map(|e| e.status.clone());
            match (on_target, on_reference) {
                (Some(t), Some(r)) => !is_transitional(&t) && !is_transitional(&r),
                _ => false,
            }
        };
        let created = self
            .handles
            .iter()
            .enumerate()
            .take(usize::from(u8::MAX))
            .filter(|(_, handle)| settled(handle))
            .map(|(h, _)| EniPick::Created(h as u8));
        // The primaries of instances in a state that takes addresses: a Starting instance's
        // refuses every one, which the sequences themselves already ask often enough.
        let primaries = self
            .env
            .fixtures
            .instances
            .iter()
            .filter(|instance| instance.primary_eni.is_some())
            .enumerate()
            .take(usize::from(u8::MAX))
            .filter(|(_, instance)| {
                matches!(
                    instance.status,
                    InstanceStatus::Running | InstanceStatus::Stopped
                )
            })
            .map(|(i, _)| EniPick::Primary(i as u8));
        let picks: Vec<EniPick> = created.chain(primaries).collect();
        if picks.is_empty() {
            return None;
        }
        let pick = picks[rng.below(picks.len() as u64) as usize];
        let bytes = rng.bytes(FILLER_BYTES);
        ops::filler(&mut arbitrary::Unstructured::new(&bytes), pick).ok()
    }

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
        let prefixes_of = |id: &str| {
            enis.iter()
                .find(|e| e.id == id)
                .map(|e| e.ipv4_prefixes.clone())
                .unwrap_or_default()
        };
        let mut held_prefixes: Vec<ipnet::Ipv4Net> = enis
            .iter()
            .filter(|e| self.vswitch_ids.contains(&e.vswitch_id))
            .flat_map(|e| e.ipv4_prefixes.iter().copied())
            .collect();
        held_prefixes.sort();
        StateView {
            handle_prefixes: self
                .handles
                .iter()
                .map(|h| h.reference.as_deref().map(prefixes_of).unwrap_or_default())
                .collect(),
            primary_prefixes: self
                .fixture_enis
                .iter()
                .map(|id| (id.clone(), prefixes_of(id)))
                .collect(),
            held_prefixes,
            handles: self
                .handles
                .iter()
                .map(|h| h.reference.as_deref().and_then(by_id))
                .collect(),
            primaries: self
                .fixture_enis
                .iter()
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
                Val::Eni(h) => self.eni_id(*h, target),
            };
            wire.push((key.clone(), text));
        }
        let signing = if target { self.signing } else { Signing::None };
        // The target is asked in the profile's format (answers in either decode to one
        // model); the reference always in JSON.
        let format = if target {
            self.env.profile.format
        } else {
            Format::Json
        };
        WireRequest {
            params: wire,
            format,
            signing,
            ..WireRequest::default()
        }
    }

    fn eni_id(&self, handle: usize, target: bool) -> String {
        let handle = &self.handles[handle];
        let id = if target {
            &handle.target
        } else {
            &handle.reference
        };
        id.clone().unwrap_or_else(|| MISSING_ENI.into())
    }

    /// The ENI a request names, by its id on the target and in the reference.
    fn named(&self, params: &[(String, Val)]) -> Option<(String, String)> {
        params.iter().find_map(|(k, v)| match v {
            _ if k != "NetworkInterfaceId" => None,
            Val::Eni(h) => Some((self.eni_id(*h, true), self.eni_id(*h, false))),
            Val::Text(id) => Some((id.clone(), id.clone())),
        })
    }

    fn reference_status(&self, id: &str) -> Option<String> {
        self.reference
            .emulator()
            .network_interfaces()
            .into_iter()
            .find(|e| e.id == id)
            .map(|e| e.status)
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

    /// The sequence's ENIs and the fixtures', paired across the two sides.
    fn pairs(&self) -> Vec<Pair> {
        let handles = self.handles.iter().map(|h| Pair {
            target: h.target.clone(),
            reference: h.reference.clone(),
        });
        let fixtures = self.fixture_enis.iter().map(|id| Pair {
            target: Some(id.clone()),
            reference: Some(id.clone()),
        });
        handles.chain(fixtures).collect()
    }

    /// The primary addresses of the ENIs reads are compared for.
    fn compared_primaries(&self) -> BTreeSet<String> {
        let ours: BTreeSet<String> = self
            .handles
            .iter()
            .filter_map(|h| h.reference.clone())
            .chain(self.fixture_enis.iter().cloned())
            .collect();
        self.reference
            .emulator()
            .network_interfaces()
            .into_iter()
            .filter(|e| ours.contains(&e.id))
            .map(|e| e.primary_ip.to_string())
            .collect()
    }

    /// Whether steps may no longer start (a wait ends then too).
    fn past_steps(&self) -> bool {
        self.steps_until.is_some_and(|d| Instant::now() >= d)
    }

    /// On a real clock, before a step: the reference's transitions that have ended on the
    /// target end in the reference too. They end in the order they began (each began one tick
    /// of the reference's clock after the last, so that advancing to one's end ends no later
    /// one), as far as the target has ended them in that order; where both sides are still
    /// mid-transition, the step is compared mid-transition.
    fn sync(&mut self) {
        let Some(now) = self.before.clone() else {
            return;
        };
        let done = |target_id: &String| {
            now.enis
                .get(target_id)
                .is_none_or(|e| !is_transitional(&e.status))
        };
        let ended = self
            .in_flight
            .iter()
            .take_while(|flight| done(&flight.target))
            .count();
        self.end_transitions(ended);
    }

    /// Ends the first `count` transitions in flight in the reference.
    fn end_transitions(&mut self, count: usize) {
        if count == 0 {
            return;
        }
        let ended: Vec<InFlight> = self.in_flight.drain(..count).collect();
        let due = ended.last().map_or(self.reference_elapsed, |f| f.due);
        if due > self.reference_elapsed {
            self.reference.advance(due - self.reference_elapsed);
            self.reference_elapsed = due;
        }
        for flight in &ended {
            if let Some(began) = flight.began {
                self.longest_transition = self.longest_transition.max(began.elapsed());
            }
        }
        self.settle_pending = true;
    }

    /// Notes a transition the reference began just now, on the counterpart of the target's
    /// ENI `target_id`, and moves the reference's clock on by a tick so that the next one ends
    /// later.
    fn began_transition(&mut self, target_id: String, real_start: bool) {
        self.in_flight.push(InFlight {
            target: target_id,
            due: self.reference_elapsed + REFERENCE_TRANSITION,
            began: real_start.then(Instant::now),
        });
        self.reference.advance(TICK);
        self.reference_elapsed += TICK;
    }

    /// A `Wait`: on a virtual clock both sides move on by the wait, at least long enough for any
    /// transition to end; on a real clock the fuzzer waits until the target has ended the
    /// transitions it knows of (no longer), and the reference ends them too. Returns how long a
    /// written case waits.
    async fn wait(&mut self, asked: Duration) -> Duration {
        if !self.real {
            let waited = asked.max(default_transition() + WAIT_MARGIN);
            self.target.connection.wait(waited).await;
            self.reference.advance(waited);
            self.before = None;
            return waited;
        }
        let started = Instant::now();
        loop {
            let Some(now) = self.observe_target().await else {
                break;
            };
            let settling = self.in_flight.iter().any(|flight| {
                now.enis
                    .get(&flight.target)
                    .is_some_and(|e| is_transitional(&e.status))
            });
            self.before = Some(now);
            if !settling || started.elapsed() > SETTLE_TIMEOUT || self.past_steps() {
                break;
            }
            tokio::time::sleep(self.next_look()).await;
        }
        let all = self.in_flight.len();
        self.end_transitions(all);
        self.settle_pending = false;
        self.env.case_wait(self.longest_transition)
    }

    /// How long a wait sleeps before it reads the target again: where the profile states the
    /// target's transition time (`timing.transition`), until the first transition under way is
    /// due to end; else (or once it is overdue) the poll interval.
    fn next_look(&self) -> Duration {
        let poll = self.env.poll_interval();
        let Some(transition) = self.env.profile.timing.transition else {
            return poll;
        };
        self.in_flight
            .iter()
            .filter_map(|flight| flight.began)
            .map(|began| (began + transition).saturating_duration_since(Instant::now()))
            .min()
            .filter(|due| !due.is_zero())
            .map_or(poll, |due| due.min(SETTLE_TIMEOUT))
    }

    /// One step; false when the sequence cannot go on (no answer, or the two sides diverged).
    async fn step(&mut self, index: usize, op: &Op) -> bool {
        if self.real {
            self.sync();
        }
        let rendered = op.render(&self.env.fixtures, &self.view());
        let (action, params) = match &rendered {
            Rendered::Wait(duration) => {
                let waited = self.wait(*duration).await;
                self.result.steps.push(StepRecord::new(
                    Rendered::Wait(waited),
                    Expected::anything(),
                ));
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
        let named = self.named(&params);
        let status_before = named.as_ref().map(|(t, r)| {
            let seen = before.as_ref().or(self.before.as_ref());
            (
                seen.and_then(|o| o.enis.get(t)).map(|e| e.status.clone()),
                self.reference_status(r),
            )
        });
        self.result.requests += 1;
        let exchange = match self.target.connection.send(&request).await {
            Ok(exchange) => exchange,
            Err(error) => {
                self.result.unknown_outcomes += 1;
                self.result.transport_error.get_or_insert(error.to_string());
                self.result
                    .steps
                    .push(StepRecord::new(rendered, Expected::anything()));
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
        findings.extend(oracle::check_code_status(
            &exchange,
            index,
            action,
            &self.env.checks,
        ));

        // A count the contract lets the endpoint read either way: refused with the
        // invalid-parameter code, it stays a refusal for the reference; otherwise the reference
        // reads it as the number, as the target did.
        let open = open_count(&params);
        let invalid = self.env.profile.contract.spell("InValidParameter");
        let refused_open = open.is_some()
            && exchange.status != 200
            && exchange.decoded.code.as_deref() == Some(invalid);
        let base = match &open {
            Some(count) if !refused_open => with_count(&params, count),
            _ => params.clone(),
        };
        // The reference, steered to the target's own choices.
        let (reference_params, steered) = steer(action, &base, &exchange);
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
        self.result.reference_requests += 1;
        let Ok(reference) = self.reference.send(&reference_request).await else {
            self.result
                .steps
                .push(StepRecord::new(rendered, Expected::anything()));
            return false;
        };
        let (t, r) = (answer_of(&exchange), answer_of(&reference));
        let mut judgement = if !comparable || refused_open {
            if t.accepted() == r.accepted() {
                Judgement::BothRefused
            } else {
                Judgement::Diverged {
                    why: format!(
                        "the target answered {t}, the reference {r}, to a request the contract lets either answer"
                    ),
                }
            }
        } else {
            contract::judge(&self.env.profile.contract.name, action, t, r)
        };
        if judgement == Judgement::BothRefused && t.accepted() {
            judgement = Judgement::Agree;
        }
        let differential_on = self.env.checks.is_on(crate::checks::DIFFERENTIAL);
        if differential_on && action.starts_with("Describe") {
            let with_status = !self.real;
            findings.extend(oracle::compare_reads(
                &exchange,
                &reference,
                index,
                action,
                with_status,
                &self.compared_primaries(),
            ));
        }
        let created = self.record_create(action, &exchange, &reference);
        if self.real
            && reference.status == 200
            && matches!(
                action,
                "AttachNetworkInterface" | "DetachNetworkInterface" | "DeleteNetworkInterface"
            )
            && let Some((target_id, _)) = named.clone()
        {
            self.began_transition(target_id, exchange.status == 200);
        }
        let after = if mutating {
            self.observe_target().await
        } else {
            None
        };
        if self.real {
            // A task in flight on the target (row 11) answers before any later row, and no
            // read shows it.
            let conflict = [&exchange, &reference]
                .iter()
                .any(|e| e.decoded.code.as_deref() == Some("Operation.Conflict"));
            judgement = self
                .confirm(
                    judgement,
                    &named,
                    status_before.as_ref(),
                    after.as_ref(),
                    conflict,
                )
                .await;
        }
        findings.extend(oracle::differential(
            &judgement,
            &exchange,
            &reference,
            index,
            action,
            steered,
            &self.env.checks,
        ));
        let expected = expectation(&judgement, action, &exchange, &reference);
        let rendered = match (&open, &rendered) {
            (Some(count), Rendered::Send { action, params }) if exchange.status == 200 => {
                Rendered::Send {
                    action,
                    params: with_count(params, count),
                }
            }
            _ => rendered,
        };
        self.result.steps.push(StepRecord {
            rendered,
            expected,
            created,
            settle_before: std::mem::take(&mut self.settle_pending)
                .then(|| self.env.case_wait(self.longest_transition)),
            chosen: chosen_addresses(action, &params, &exchange),
        });

        if mutating && let Some(after) = after {
            let checks = &self.env.checks;
            // A broken state invariant is one kind whatever request revealed it.
            for violation in check_state(&after, &self.env.profile, checks, &mut self.primaries) {
                findings.push(oracle::from_violation(violation, index, "", None));
            }
            let succeeded = exchange.status == 200;
            let mutation = mutation_of(action, &request);
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
            // A token replay answers the first response again and changes nothing, even when
            // the ENI lost some of those addresses since: not a mismatch with Describe.
            let unchanged = before
                .as_ref()
                .is_some_and(|before| before.enis == after.enis);
            let step = judge::Step {
                mutation: &mutation,
                status: exchange.status,
                answer: &exchange.decoded,
                before: before.as_ref(),
                after: Some(&after),
            };
            for violation in judge::judge_step(&step, checks)
                .into_iter()
                .filter(|v| !(replay && unchanged && v.check == ASSIGN_MATCHES_DESCRIBE))
            {
                findings.push(oracle::from_violation(
                    violation,
                    index,
                    action,
                    Some(&exchange),
                ));
            }
            // Once the answers differ (or may), the states differ as a consequence.
            if differential_on && matches!(judgement, Judgement::Agree | Judgement::BothRefused) {
                let reference_state = self.reference.observation(&self.vswitch_ids);
                findings.extend(oracle::compare_states(
                    &after,
                    &reference_state,
                    &self.pairs(),
                    self.real,
                    index,
                    action,
                ));
            }
            self.before = Some(after);
        }
        self.result.findings.extend(findings);
        if let Judgement::Diverged { why } = &judgement
            && mutating
        {
            self.result.diverged = Some(format!("step {} ({action}): {why}", index + 1));
            return false;
        }
        true
    }

    /// On a real clock a disagreement that rests on what the reference cannot see at the same
    /// moment is confirmed before it counts: a status while a transition may have ended during
    /// the request, a task in flight on the target, addresses that ENIs outside the sequence
    /// took or freed since they were mirrored. Unconfirmed, the two sides have diverged.
    async fn confirm(
        &mut self,
        judgement: Judgement,
        named: &Option<(String, String)>,
        status_before: Option<&(Option<String>, Option<String>)>,
        after: Option<&Observation>,
        conflict: bool,
    ) -> Judgement {
        let Judgement::Differs {
            ruling,
            sensitivity,
            ..
        } = &judgement
        else {
            return judgement;
        };
        let diverged = |why: &str| Judgement::Diverged {
            why: format!("{} ({why})", ruling.rests_on),
        };
        match sensitivity {
            Sensitivity::None => judgement,
            Sensitivity::Timing => {
                if conflict {
                    return diverged("a task in flight on the target is invisible to a read");
                }
                let (target_before, reference_before) = status_before.cloned().unwrap_or_default();
                let target_after = match (after, named) {
                    (Some(after), Some((id, _))) => after.enis.get(id).map(|e| e.status.clone()),
                    _ => target_before.clone(),
                };
                let moving = [&target_before, &reference_before]
                    .iter()
                    .any(|s| s.as_deref().is_some_and(is_transitional));
                if moving && (target_after != target_before || target_before != reference_before) {
                    return diverged("a transition ended around the request");
                }
                judgement
            }
            Sensitivity::Occupancy => {
                if !self.mirror.complete {
                    return diverged("the reference could not mirror every address in use");
                }
                let now = match after {
                    Some(after) => Some(after.clone()),
                    None => self.observe_target().await,
                };
                let Some(now) = now else {
                    return diverged("the target's state could not be read again");
                };
                let ours: BTreeSet<String> = self.created.clone();
                let foreign = endpoint::foreign_occupancy(&now, &ours, &self.env.fixtures);
                let deleting = now.enis.values().any(|e| e.status == "Deleting")
                    || self
                        .reference
                        .emulator()
                        .network_interfaces()
                        .iter()
                        .any(|e| e.status == "Deleting");
                if foreign != self.mirror.foreign {
                    return diverged("ENIs outside the sequence took or freed addresses");
                }
                if deleting {
                    return diverged(
                        "an ENI is Deleting: when its addresses are free again is the endpoint's",
                    );
                }
                judgement
            }
        }
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
                .then(|| endpoint::created_id(exchange))
                .flatten()
        };
        let handle = Handle {
            target: id(target),
            reference: id(reference),
        };
        if let Some(id) = &handle.target
            && self.created.insert(id.clone())
            && self.real
        {
            self.env.lane.remember_created([id.clone()]);
        }
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

    /// Against a shared target: gives back what the sequence took, and what earlier sequences
    /// of the lane left, without waiting for it to go: what stays is remembered, and the next
    /// sequence (or the end of the run) goes on giving it back.
    async fn give_back(&mut self) {
        let own: Vec<String> = self.created.iter().cloned().collect();
        let restored = endpoint::restore(
            self.target.reach(self.signing),
            &self.env.fixtures,
            &self.env.lane,
            &own,
            None,
            self.env.poll_interval(),
        )
        .await;
        self.result.requests += restored.requests;
        self.result.left_behind = restored.left;
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
    let is_prefix_key = |k: &str| k.starts_with("Ipv4Prefix.");
    // A count is steered only where it is the request's one kind: a mix the target accepted
    // is judged as sent.
    let prefixes = super::prefixes::names_prefixes(params);
    let addresses =
        has("SecondaryPrivateIpAddressCount") || params.iter().any(|(k, _)| is_list_key(k));
    match action {
        "AssignPrivateIpAddresses"
            if has("Ipv4PrefixCount")
                && !addresses
                && !params.iter().any(|(k, _)| is_prefix_key(k)) =>
        {
            (
                count_as_list(
                    params,
                    "Ipv4PrefixCount",
                    "Ipv4Prefix",
                    &exchange.decoded.strings_at(ASSIGNED_PREFIX_PATH),
                ),
                true,
            )
        }
        "AssignPrivateIpAddresses"
            if has("SecondaryPrivateIpAddressCount")
                && !prefixes
                && !params.iter().any(|(k, _)| is_list_key(k)) =>
        {
            (
                count_as_list(
                    params,
                    "SecondaryPrivateIpAddressCount",
                    "PrivateIpAddress",
                    &exchange.decoded.strings_at(ASSIGNED_PATH),
                ),
                true,
            )
        }
        "CreateNetworkInterface" => {
            let mut out = params.to_vec();
            let mut steered = false;
            let decoded = &exchange.decoded;
            if !primary_given(params)
                && let Some(primary) = decoded.get("PrivateIpAddress").and_then(|v| v.as_str())
            {
                // An empty `PrimaryIpAddress` asks for no address in particular, as an absent
                // one does: the target's choice replaces it.
                out.retain(|(k, _)| k != "PrimaryIpAddress");
                out.push(("PrimaryIpAddress".into(), Val::Text(primary.into())));
                steered = true;
            }
            if has("SecondaryPrivateIpAddressCount")
                && !prefixes
                && !params.iter().any(|(k, _)| is_list_key(k))
            {
                out.retain(|(k, _)| k != "SecondaryPrivateIpAddressCount");
                let shown = describe::eni(&decoded.body);
                out.extend(shown.secondaries().enumerate().map(|(i, a)| {
                    (
                        format!("PrivateIpAddress.{}", i + 1),
                        Val::Text(a.to_string()),
                    )
                }));
                steered = true;
            }
            if has("Ipv4PrefixCount") && !addresses && !params.iter().any(|(k, _)| is_prefix_key(k))
            {
                out.retain(|(k, _)| k != "Ipv4PrefixCount");
                out.extend(
                    describe::eni(&decoded.body)
                        .prefixes
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| (format!("Ipv4Prefix.{}", i + 1), Val::Text(p))),
                );
                steered = true;
            }
            (out, steered)
        }
        _ => (params.to_vec(), false),
    }
}

/// Whether a create names its primary address: a `PrimaryIpAddress` that is absent or empty
/// leaves the choice to the endpoint.
fn primary_given(params: &[(String, Val)]) -> bool {
    params
        .iter()
        .any(|(k, v)| k == "PrimaryIpAddress" && *v != Val::Text(String::new()))
}

/// The addresses a successful answer shows the target chose itself (a count assign's, a
/// create's primary when none was asked for), with the path each is captured from.
fn chosen_addresses(
    action: &str,
    params: &[(String, Val)],
    exchange: &Exchange,
) -> Vec<(String, String)> {
    if exchange.status != 200 {
        return Vec::new();
    }
    let has = |key: &str| params.iter().any(|(k, _)| k == key);
    let listed = params
        .iter()
        .any(|(k, _)| k.starts_with("PrivateIpAddress."));
    let prefixes = super::prefixes::names_prefixes(params);
    let prefix_listed = params.iter().any(|(k, _)| k.starts_with("Ipv4Prefix."));
    let addresses = listed || has("SecondaryPrivateIpAddressCount");
    match action {
        "AssignPrivateIpAddresses" if has("Ipv4PrefixCount") && !addresses && !prefix_listed => {
            exchange
                .decoded
                .strings_at(ASSIGNED_PREFIX_PATH)
                .into_iter()
                .enumerate()
                .map(|(i, prefix)| (format!("{ASSIGNED_PREFIX_PATH}[{i}]"), prefix))
                .collect()
        }
        "AssignPrivateIpAddresses"
            if has("SecondaryPrivateIpAddressCount") && !listed && !prefixes =>
        {
            exchange
                .decoded
                .strings_at(ASSIGNED_PATH)
                .into_iter()
                .enumerate()
                .map(|(i, address)| (format!("{ASSIGNED_PATH}[{i}]"), address))
                .collect()
        }
        "CreateNetworkInterface" if !primary_given(params) => exchange
            .decoded
            .get("PrivateIpAddress")
            .and_then(|v| v.as_str())
            .map(|address| vec![("PrivateIpAddress".to_string(), address.to_string())])
            .unwrap_or_default(),
        _ => Vec::new(),
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
    let secondaries: Vec<String> = describe::eni(&decoded.body)
        .secondaries()
        .map(str::to_string)
        .collect();
    let finding = |check: crate::checks::CheckInfo, message: String| {
        let kind = Kind {
            check: check.name.into(),
            signature: "CreateNetworkInterface 200".into(),
        };
        Finding::new(kind, step, message, contract::rests_on_check(check.name))
    };
    let count = params
        .iter()
        .find(|(k, _)| k == "SecondaryPrivateIpAddressCount")
        .and_then(|(_, v)| match v {
            Val::Text(text) => text
                .trim_matches(' ')
                .trim_start_matches('+')
                .parse::<usize>()
                .ok(),
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

/// A count request written as the list the target reported for it: `count_key` dropped,
/// `list_key.N` for each reported value, so the reference is asked for what the target chose.
fn count_as_list(
    params: &[(String, Val)],
    count_key: &str,
    list_key: &str,
    reported: &[String],
) -> Vec<(String, Val)> {
    let mut out: Vec<(String, Val)> = params
        .iter()
        .filter(|(k, _)| k != count_key)
        .cloned()
        .collect();
    out.extend(
        reported
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{list_key}.{}", i + 1), Val::Text(v.clone()))),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(value: &str) -> Option<String> {
        open_count(&[(
            "SecondaryPrivateIpAddressCount".to_string(),
            Val::Text(value.to_string()),
        )])
    }

    #[test]
    fn only_the_counts_the_contract_leaves_open_are_read_as_numbers() {
        assert_eq!(count("01").as_deref(), Some("1"));
        assert_eq!(count(" 3").as_deref(), Some("3"));
        assert_eq!(count("+3").as_deref(), Some("3"));
        for decided in [
            "1",
            "0",
            "50",
            "",
            "-1",
            "1.5",
            "abc",
            "99999999999999999999999",
        ] {
            assert_eq!(count(decided), None, "{decided:?}");
        }
    }

    #[test]
    fn an_empty_primary_address_leaves_the_choice_to_the_target() {
        let body =
            br#"{"RequestId":"r","NetworkInterfaceId":"eni-1","PrivateIpAddress":"10.20.8.49"}"#;
        let exchange = Exchange {
            method: "POST",
            params: Vec::new(),
            raw_query: None,
            status: 200,
            content_type: Some("application/json".into()),
            body: bytes::Bytes::from_static(body),
            decoded: crate::wire::decode_response(200, Some("application/json"), body),
            elapsed: Duration::ZERO,
        };
        let chosen = Val::Text("10.20.8.49".into());
        for given in [None, Some("")] {
            let params: Vec<(String, Val)> = given
                .map(|text| ("PrimaryIpAddress".to_string(), Val::Text(text.into())))
                .into_iter()
                .collect();
            let (steered, changed) = steer("CreateNetworkInterface", &params, &exchange);
            assert!(changed, "{given:?}");
            assert_eq!(
                steered,
                vec![("PrimaryIpAddress".to_string(), chosen.clone())],
                "{given:?}"
            );
            assert_eq!(
                chosen_addresses("CreateNetworkInterface", &params, &exchange),
                vec![("PrivateIpAddress".to_string(), "10.20.8.49".to_string())]
            );
        }
        // A primary asked for is the request's, not the target's choice.
        let asked = vec![("PrimaryIpAddress".to_string(), chosen.clone())];
        assert_eq!(
            steer("CreateNetworkInterface", &asked, &exchange),
            (asked.clone(), false)
        );
        assert!(chosen_addresses("CreateNetworkInterface", &asked, &exchange).is_empty());
    }

    #[test]
    fn a_written_wait_outlasts_every_transition_in_whole_seconds() {
        let profile = Arc::new(Profile::embedded());
        let configure: Configure = Arc::new(|_| {});
        let spec = TargetSpec::Embedded {
            configure,
            label: "embedded".into(),
        };
        let env = Env::new(profile, spec, Duration::from_millis(2500)).unwrap();
        assert_eq!(env.case_wait(Duration::ZERO), Duration::from_secs(4));
        assert_eq!(
            env.case_wait(Duration::from_millis(4100)),
            Duration::from_secs(6)
        );
        assert!(env.case_wait(Duration::ZERO) >= default_transition() + WAIT_MARGIN);
    }
}
