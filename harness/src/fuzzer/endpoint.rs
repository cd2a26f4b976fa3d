//! Fuzzing a shared endpoint: what one lane remembers between sequences (what the fuzzer still
//! has to give back, the fixture ENIs' addresses before it touched them, where the endpoint put
//! its instances' primaries), giving back what a sequence took and verifying that it is gone,
//! mirroring the ENIs the fuzzer does not own into the reference as ghosts holding the same
//! addresses, and the gate that sends nothing past the run's deadline.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eni_emulator::{ContractProfile, World};

use super::fixtures::Fixtures;
use super::inproc::{InProcess, StateProbe};
use crate::checks::observe::Observation;
use crate::targets::{BoxFuture, Connection, EmulatorKnobs, Exchange, Target, TransportError};
use crate::wire::{Format, Signing, WireRequest};

/// Longest a clean-up keeps trying: generous against endpoints whose transitions take seconds.
pub(crate) const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a clean-up keeps trying while nothing changes and nothing is in transition: an
/// endpoint may refuse for a while (a task in flight answers `Operation.Conflict`), or for good.
const NO_PROGRESS: Duration = Duration::from_secs(5);
/// Most secondary addresses one request names: the `Available` cap of the seed contract.
const CHUNK: usize = 10;

/// Whether a status is one an ENI passes through on its own.
pub(crate) fn is_transitional(status: &str) -> bool {
    matches!(status, "Attaching" | "Detaching" | "Deleting")
}

/// The status a transition ends in (`None`: the ENI is gone).
pub(crate) fn end_of(status: &str) -> Option<&'static str> {
    match status {
        "Attaching" => Some("InUse"),
        "Detaching" => Some("Available"),
        _ => None,
    }
}

/// What one lane of fixtures on a shared endpoint remembers between the sequences run on it.
#[derive(Debug, Default)]
pub struct Lane {
    state: Mutex<LaneState>,
}

#[derive(Debug, Default, Clone)]
struct LaneState {
    /// The secondary addresses of the fixture primary ENIs when the run first saw them.
    baseline: Option<BTreeMap<String, Vec<String>>>,
    /// ENIs the fuzzer created and has not yet seen gone.
    leftovers: BTreeSet<String>,
    /// The reference's world, with the instances' primaries where the endpoint put them.
    world: Option<World>,
}

impl Lane {
    fn with<T>(&self, f: impl FnOnce(&mut LaneState) -> T) -> T {
        f(&mut self.state.lock().expect("not poisoned"))
    }

    /// ENIs the fuzzer created on this lane and has not seen gone.
    pub fn leftovers(&self) -> Vec<String> {
        self.with(|s| s.leftovers.iter().cloned().collect())
    }

    pub fn remember_created(&self, ids: impl IntoIterator<Item = String>) {
        self.with(|s| s.leftovers.extend(ids));
    }

    fn forget(&self, gone: &[String]) {
        self.with(|s| {
            for id in gone {
                s.leftovers.remove(id);
            }
        });
    }

    /// The fixture ENIs' secondaries to give back to: recorded the first time the lane is seen.
    pub fn baseline(
        &self,
        now: &Observation,
        fixture_enis: &[String],
    ) -> BTreeMap<String, Vec<String>> {
        self.with(|s| {
            s.baseline
                .get_or_insert_with(|| {
                    fixture_enis
                        .iter()
                        .filter_map(|id| {
                            now.enis
                                .get(id)
                                .map(|e| (id.clone(), e.secondaries.clone()))
                        })
                        .collect()
                })
                .clone()
        })
    }

    /// The reference world of this lane: `world` with each instance's primary address where
    /// the endpoint shows it (recorded once; an endpoint's primaries are wherever it put them).
    pub fn world(&self, world: &World, contract: &ContractProfile, now: &Observation) -> World {
        self.with(|s| {
            s.world
                .get_or_insert_with(|| {
                    let mut adjusted = world.clone();
                    for instance in &mut adjusted.instances {
                        let shown = instance
                            .primary_eni
                            .id
                            .as_ref()
                            .and_then(|id| now.enis.get(id))
                            .and_then(|e| e.primary.as_deref())
                            .and_then(|p| p.parse().ok());
                        if let Some(primary) = shown {
                            instance.primary_eni.primary_ip = Some(primary);
                        }
                    }
                    if adjusted.validate(contract).is_ok() {
                        adjusted
                    } else {
                        world.clone()
                    }
                })
                .clone()
        })
    }

    /// The lane's world if it was recorded.
    pub fn recorded_world(&self) -> Option<World> {
        self.with(|s| s.world.clone())
    }
}

/// A request to an endpoint or the reference, in JSON.
pub(crate) fn request(
    action: &str,
    params: Vec<(String, String)>,
    signing: Signing,
) -> WireRequest {
    let mut wire = vec![("Action".to_string(), action.to_string())];
    wire.extend(params);
    WireRequest {
        params: wire,
        format: Format::Json,
        signing,
        ..WireRequest::default()
    }
}

fn list(addresses: &[String]) -> impl Iterator<Item = (String, String)> + '_ {
    addresses
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("PrivateIpAddress.{}", i + 1), a.clone()))
}

/// How to reach an endpoint: where to send, how to read its state, how to sign.
#[derive(Clone, Copy)]
pub(crate) struct Reach<'a> {
    pub connection: &'a dyn Connection,
    pub probe: &'a dyn StateProbe,
    pub signing: Signing,
}

impl std::fmt::Debug for Reach<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reach")
            .field("signing", &self.signing)
            .finish_non_exhaustive()
    }
}

/// What one clean-up pass saw of an ENI: id, status, the addresses it was asked to give back.
type PassShape = (String, String, Vec<String>);

/// What a clean-up achieved.
#[derive(Debug, Clone, Default)]
pub struct Restored {
    /// ENIs of the fuzzer still on the endpoint.
    pub left: Vec<String>,
    /// Fixture ENIs still holding addresses the fuzzer gave them.
    pub fixtures_left: Vec<String>,
    pub requests: usize,
}

impl Restored {
    pub fn is_clean(&self) -> bool {
        self.left.is_empty() && self.fixtures_left.is_empty()
    }
}

/// Gives back what the fuzzer holds on this lane (`own` and the lane's leftovers; addresses
/// added to fixture ENIs since the baseline) and, with `until`, reads the lane back until it is
/// all gone or until then; without, it makes one pass and does not wait (the next sequence's
/// pass goes on where it stopped: what is still Detaching is deleted then). What stays is
/// remembered as leftovers.
pub(crate) async fn restore(
    reach: Reach<'_>,
    fixtures: &Fixtures,
    lane: &Lane,
    own: &[String],
    until: Option<Instant>,
    poll: Duration,
) -> Restored {
    let Reach {
        connection,
        probe,
        signing,
    } = reach;
    lane.remember_created(own.iter().cloned());
    let vswitch_ids = fixtures.vswitch_ids();
    let fixture_enis = fixtures.primary_enis();
    let mut restored = Restored::default();
    let mut last: Option<(Instant, Vec<PassShape>)> = None;
    let send = |action: &'static str, params: Vec<(String, String)>| {
        let request = request(action, params, signing);
        async move { connection.send(&request).await.ok() }
    };
    loop {
        let Ok(now) = probe.observe(&vswitch_ids).await else {
            restored.left = lane.leftovers();
            return restored;
        };
        restored.requests += now.requests;
        let baseline = lane.baseline(&now, &fixture_enis);
        let leftovers = lane.leftovers();
        let gone: Vec<String> = leftovers
            .iter()
            .filter(|id| !now.enis.contains_key(*id))
            .cloned()
            .collect();
        lane.forget(&gone);
        restored.left = lane.leftovers();
        restored.fixtures_left.clear();
        let mut added: Vec<(String, Vec<String>)> = Vec::new();
        for (id, before) in &baseline {
            let Some(eni) = now.enis.get(id) else {
                continue;
            };
            let extra: Vec<String> = eni
                .secondaries
                .iter()
                .filter(|a| !before.contains(a))
                .cloned()
                .collect();
            if !extra.is_empty() {
                restored.fixtures_left.push(id.clone());
                added.push((id.clone(), extra));
            }
        }
        if restored.is_clean() || until.is_some_and(|until| Instant::now() >= until) {
            return restored;
        }
        for (id, extra) in &added {
            for chunk in extra.chunks(CHUNK) {
                let mut params = vec![("NetworkInterfaceId".to_string(), id.clone())];
                params.extend(list(chunk));
                restored.requests += 1;
                send("UnassignPrivateIpAddresses", params).await;
            }
        }
        let pass: Vec<_> = restored
            .left
            .iter()
            .filter_map(|id| now.enis.get(id))
            .collect();
        // An endpoint that refuses to give something back does not keep a run waiting: once a
        // pass over settled ENIs changes nothing, what stays is left.
        let shape: Vec<PassShape> = pass
            .iter()
            .map(|e| (e.id.clone(), e.status.clone(), e.secondaries.clone()))
            .chain(
                added
                    .iter()
                    .map(|(id, a)| (id.clone(), String::new(), a.clone())),
            )
            .collect();
        let settled = !pass.iter().any(|e| is_transitional(&e.status));
        match &last {
            Some((since, before)) if settled && *before == shape => {
                if since.elapsed() >= NO_PROGRESS {
                    return restored;
                }
            }
            _ => last = Some((Instant::now(), shape)),
        }
        for eni in pass {
            let id = &eni.id;
            match eni.status.as_str() {
                "InUse" => {
                    // A detach is refused while the ENI holds more than an Available ENI may.
                    for chunk in eni.secondaries.chunks(CHUNK) {
                        let mut params = vec![("NetworkInterfaceId".to_string(), id.clone())];
                        params.extend(list(chunk));
                        restored.requests += 1;
                        send("UnassignPrivateIpAddresses", params).await;
                    }
                    let params = vec![
                        ("NetworkInterfaceId".to_string(), id.clone()),
                        (
                            "InstanceId".to_string(),
                            eni.instance_id.clone().unwrap_or_default(),
                        ),
                    ];
                    restored.requests += 1;
                    send("DetachNetworkInterface", params).await;
                }
                "Available" => {
                    restored.requests += 1;
                    let params = vec![("NetworkInterfaceId".to_string(), id.clone())];
                    send("DeleteNetworkInterface", params).await;
                }
                _ => {}
            }
        }
        let Some(until) = until else {
            return restored;
        };
        let pause = poll.min(until.saturating_duration_since(Instant::now()));
        tokio::time::sleep(pause).await;
    }
}

/// What the reference was told about the ENIs the sequence does not own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mirror {
    /// Ghost (reference id) → the endpoint's ENI, for ghosts of Deleting ENIs: they go when it
    /// goes.
    pub deleting: BTreeMap<String, String>,
    /// The ghosts' deletions, in the order they began.
    pub started: Vec<String>,
    /// Every address held by an ENI that is neither the sequence's nor a fixture's.
    pub foreign: BTreeSet<String>,
    /// Whether the reference took every ghost: if not, it does not know every address in use.
    pub complete: bool,
}

/// Gives the reference the endpoint's occupancy: the fixture ENIs' secondaries, and a ghost
/// ENI (or several: an Available ENI holds at most 11 addresses) for every other ENI, holding
/// the same addresses; ghosts of Deleting ENIs are deleted in the reference too.
pub(crate) async fn mirror(
    reference: &InProcess,
    now: &Observation,
    fixtures: &Fixtures,
) -> Mirror {
    let mut mirror = Mirror {
        complete: true,
        ..Mirror::default()
    };
    let fixture_enis = fixtures.primary_enis();
    let sg = fixtures
        .security_group
        .as_ref()
        .map(|sg| sg.id.clone())
        .unwrap_or_default();
    let sent = |request: WireRequest| async move { reference.send(&request).await.ok() };
    for eni in now.enis.values() {
        if fixture_enis.contains(&eni.id) {
            for chunk in eni.secondaries.chunks(CHUNK) {
                let mut params = vec![("NetworkInterfaceId".to_string(), eni.id.clone())];
                params.extend(list(chunk));
                let answer = sent(request("AssignPrivateIpAddresses", params, Signing::None)).await;
                mirror.complete &= answer.is_some_and(|a| a.status == 200);
            }
            continue;
        }
        let addresses: Vec<String> = eni
            .primary
            .iter()
            .chain(eni.secondaries.iter())
            .cloned()
            .collect();
        mirror.foreign.extend(addresses.iter().cloned());
        for group in addresses.chunks(CHUNK + 1) {
            let mut params = vec![
                ("VSwitchId".to_string(), eni.vswitch_id.clone()),
                ("SecurityGroupId".to_string(), sg.clone()),
                ("PrimaryIpAddress".to_string(), group[0].clone()),
            ];
            params.extend(list(&group[1..]));
            let answer = sent(request("CreateNetworkInterface", params, Signing::None)).await;
            let ghost = answer
                .filter(|a| a.status == 200)
                .and_then(|a| created_id(&a));
            let Some(ghost) = ghost else {
                mirror.complete = false;
                continue;
            };
            if eni.status == "Deleting" {
                let params = vec![("NetworkInterfaceId".to_string(), ghost.clone())];
                sent(request("DeleteNetworkInterface", params, Signing::None)).await;
                mirror.deleting.insert(ghost.clone(), eni.id.clone());
                mirror.started.push(ghost);
            }
        }
    }
    mirror
}

/// The id a successful Create answers.
pub(crate) fn created_id(exchange: &Exchange) -> Option<String> {
    exchange
        .decoded
        .get("NetworkInterfaceId")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// The addresses ENIs outside `own` and the fixtures hold now.
pub(crate) fn foreign_occupancy(
    now: &Observation,
    own: &BTreeSet<String>,
    fixtures: &Fixtures,
) -> BTreeSet<String> {
    let fixture_enis = fixtures.primary_enis();
    now.enis
        .values()
        .filter(|e| !own.contains(&e.id) && !fixture_enis.contains(&e.id))
        .flat_map(|e| e.primary.iter().chain(e.secondaries.iter()).cloned())
        .collect()
}

/// A connection that sends nothing once the run's deadline has passed, and whose waits end at
/// it: what `--time` bounds. A request already in flight finishes within its own timeout.
pub(crate) struct Gated {
    pub inner: Arc<dyn Connection>,
    pub deadline: Option<Instant>,
    /// What the requests through it met, for a run that got nowhere to say why.
    pub reached: Arc<Reached>,
}

/// What an endpoint's connections met over a run: how many requests it answered at all (with
/// any status), and the first failure of one it did not answer. A run whose requests never got
/// as far as a mutating one (its observations timed out, say) names that failure instead of
/// blaming the profile's fixtures.
#[derive(Debug, Default)]
pub struct Reached {
    answered: std::sync::atomic::AtomicUsize,
    first_failure: std::sync::OnceLock<String>,
}

impl Reached {
    fn note(&self, outcome: &Result<Exchange, TransportError>) {
        match outcome {
            Ok(_) => {
                self.answered
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(error) => {
                self.first_failure.get_or_init(|| error.to_string());
            }
        }
    }

    /// Requests the endpoint answered, whatever it answered.
    pub fn answered(&self) -> usize {
        self.answered.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Why the first request that was not answered was not.
    pub fn first_failure(&self) -> Option<&str> {
        self.first_failure.get().map(String::as_str)
    }
}

/// Why a gated request was not sent.
pub(crate) const TIME_UP: &str = "not sent: the run's time (--time) is up";

impl std::fmt::Debug for Gated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gated")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Gated {
    fn past(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

impl Connection for Gated {
    fn send<'a>(
        &'a self,
        request: &'a WireRequest,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        if self.past() {
            return Box::pin(std::future::ready(Err(TransportError::Other(
                TIME_UP.into(),
            ))));
        }
        let sent = self.inner.send(request);
        Box::pin(async move {
            let outcome = sent.await;
            self.reached.note(&outcome);
            outcome
        })
    }

    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        let duration = match self.deadline {
            Some(deadline) => duration.min(deadline.saturating_duration_since(Instant::now())),
            None => duration,
        };
        self.inner.wait(duration)
    }
}

/// A target whose connections are [`Gated`]: a case run to prove a finding stops at the
/// deadline too.
pub(crate) struct GatedTarget {
    pub inner: Arc<dyn Target>,
    pub deadline: Option<Instant>,
}

impl std::fmt::Debug for GatedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatedTarget")
            .field("inner", &self.inner.describe())
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Target for GatedTarget {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn is_shared(&self) -> bool {
        self.inner.is_shared()
    }

    fn supports_knobs(&self) -> bool {
        self.inner.supports_knobs()
    }

    fn connect(&self, knobs: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>> {
        let inner: Arc<dyn Connection> = Arc::from(self.inner.connect(knobs)?);
        Ok(Box::new(Gated {
            inner,
            deadline: self.deadline,
            reached: Arc::default(),
        }))
    }
}
