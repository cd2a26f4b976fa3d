//! The embedded target: the reference emulator in-process. Each case gets a fresh emulator on a
//! virtual clock, so cases run in parallel and asynchronous states pass in no wall time. Requests
//! go through the emulator's HTTP router with `oneshot`, so in-process runs exercise the same
//! parsing and signature checks as HTTP runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use eni_emulator::{Clock, Config, ContractProfile, Defect, Emulator, ManualClock, World};

use crate::checks::observe::{EniView, Observation};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{BoxFuture, Connection, EmulatorKnobs, Exchange, Target, TransportError};
use crate::profile::Profile;
use crate::wire::{Credentials, PrepareContext, WireRequest, prepare};

/// Largest body read back from the emulator, as for any target.
const MAX_BODY_BYTES: usize = 4 << 20;

/// The reference emulator, embedded.
#[derive(Debug, Clone)]
pub struct EmbeddedTarget {
    world: World,
    contract: ContractProfile,
    region: String,
    credentials: Credentials,
    /// Planted defects, for the self-test (empty in normal runs).
    defects: Vec<Defect>,
    /// The seed of a variant world (`None`: the reference's own choices).
    variant: Option<u64>,
}

impl EmbeddedTarget {
    /// The emulator's built-in world, under the contract version the profile names.
    pub fn new(profile: &Profile) -> EmbeddedTarget {
        EmbeddedTarget::with_world(profile, World::builtin())
    }

    /// The emulator starting from `world` instead, under the contract version the profile names.
    pub fn with_world(profile: &Profile, world: World) -> EmbeddedTarget {
        let contract = match profile.contract.name.as_str() {
            "current" => ContractProfile::current(),
            _ => ContractProfile::seed(),
        };
        EmbeddedTarget {
            world,
            contract,
            region: profile.region.clone(),
            credentials: Credentials::builtin_emulator(),
            defects: Vec::new(),
            variant: None,
        }
    }

    /// Plants `defects` in every emulator this target starts (for the self-test: does the
    /// suite catch a broken endpoint?).
    pub fn with_defects(mut self, defects: Vec<Defect>) -> EmbeddedTarget {
        self.defects = defects;
        self
    }

    /// Makes every emulator this target starts a variant world of `seed` (`None`: the
    /// reference's own choices), so that the suite can show it asserts nothing the contract
    /// leaves to the endpoint.
    pub fn with_variant(mut self, seed: Option<u64>) -> EmbeddedTarget {
        self.variant = seed;
        self
    }

    /// A connection to a fresh emulator, for callers that drive it directly (fuzzer, benches).
    pub fn open(&self, knobs: &EmulatorKnobs) -> EmbeddedConnection {
        let mut config = Config::new(self.world.clone());
        config.contract = self.contract.clone();
        if let Some(delay) = knobs.async_delay {
            config.timings.set_transitions(delay);
        }
        if let Some(task) = knobs.task_duration {
            config.timings.task = task;
        }
        config.defects = self.defects.clone();
        config.variant = self.variant;
        EmbeddedConnection::start(
            config,
            self.region.clone(),
            self.credentials.clone(),
            "embedded",
        )
    }
}

impl Target for EmbeddedTarget {
    fn describe(&self) -> String {
        let mut notes = Vec::new();
        if let Some(seed) = self.variant {
            notes.push(format!("variant world, seed {seed}"));
        }
        if !self.defects.is_empty() {
            let names: Vec<&str> = self.defects.iter().map(|d| d.name()).collect();
            notes.push(format!("defects planted: {}", names.join(", ")));
        }
        if notes.is_empty() {
            return "embedded".into();
        }
        format!("embedded ({})", notes.join("; "))
    }

    fn is_shared(&self) -> bool {
        false
    }

    fn supports_knobs(&self) -> bool {
        true
    }

    fn connect(&self, knobs: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>> {
        Ok(Box::new(self.open(knobs)))
    }
}

/// One fresh emulator in-process and its virtual clock: what a case runs against on the
/// embedded target, and the fuzzer's reference (a clean emulator beside the target, whose state
/// it also reads directly, which is much cheaper than Describe).
#[derive(Debug)]
pub struct EmbeddedConnection {
    emulator: Emulator,
    router: axum::Router,
    clock: ManualClock,
    region: String,
    credentials: Credentials,
    /// Starts every `SignatureNonce` this connection sends (`embedded-1`, `fuzz-1`, ...).
    nonce_prefix: &'static str,
    nonces: AtomicU64,
}

/// An emulator's ENI as the checks see one read back (its addresses in the emulator's order).
pub fn eni_view(eni: eni_emulator::EniSnapshot) -> EniView {
    EniView {
        id: eni.id,
        status: eni.status,
        vswitch_id: eni.vswitch_id,
        instance_id: eni.instance_id,
        primary: Some(eni.primary_ip.to_string()),
        secondaries: eni.secondary_ips.iter().map(ToString::to_string).collect(),
        prefixes: eni.ipv4_prefixes.iter().map(ToString::to_string).collect(),
    }
}

impl EmbeddedConnection {
    /// A fresh emulator from `config`, on a virtual clock starting now that this connection
    /// moves (the config's clock is replaced by it).
    pub fn start(
        mut config: Config,
        region: String,
        credentials: Credentials,
        nonce_prefix: &'static str,
    ) -> EmbeddedConnection {
        let clock = ManualClock::now_real();
        config.clock = Clock::Manual(clock.clone());
        let emulator = Emulator::new(config);
        EmbeddedConnection {
            router: eni_emulator::app(emulator.clone()),
            emulator,
            clock,
            region,
            credentials,
            nonce_prefix,
            nonces: AtomicU64::new(0),
        }
    }

    /// The emulator itself, for reading its state.
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Moves the virtual clock.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The state of the given VSwitches, read directly.
    pub fn observation(&self, vswitch_ids: &[String]) -> Observation {
        let enis = self
            .emulator
            .network_interfaces()
            .into_iter()
            .filter(|eni| vswitch_ids.contains(&eni.vswitch_id))
            .map(eni_view)
            .map(|view| (view.id.clone(), view))
            .collect();
        Observation { enis, requests: 0 }
    }

    async fn exchange(&self, request: &WireRequest) -> Result<Exchange, TransportError> {
        let n = self.nonces.fetch_add(1, Ordering::Relaxed);
        let context = PrepareContext {
            host: "ecs.embedded".into(),
            region: Some(self.region.clone()),
            now: self.now(),
            nonce: format!("{}-{n}", self.nonce_prefix),
        };
        // An unsigned request carries no credentials whatever it is given.
        exchange_in_process(&self.router, request, Some(&self.credentials), &context).await
    }

    /// The virtual time the emulator lives in; requests are signed with it so that waiting
    /// hours of virtual time never trips the timestamp window.
    fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

impl Connection for EmbeddedConnection {
    fn send<'a>(
        &'a self,
        request: &'a WireRequest,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        Box::pin(self.exchange(request))
    }

    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.clock.advance(duration);
        Box::pin(std::future::ready(()))
    }

    fn clock(&self) -> Duration {
        // The virtual clock only moves forward, from a real start.
        self.now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// Signs `request` as `context` says and sends it through an emulator's router in-process,
/// exactly as it would go over HTTP.
async fn exchange_in_process(
    router: &axum::Router,
    request: &WireRequest,
    credentials: Option<&Credentials>,
    context: &PrepareContext,
) -> Result<Exchange, TransportError> {
    let started = Instant::now();
    let prepared = prepare(request, credentials, context);
    let mut builder = http::Request::builder()
        .method(prepared.method)
        .uri(&prepared.path_and_query);
    for (name, value) in &prepared.headers {
        builder = builder.header(name, value);
    }
    let http_request = builder
        .body(axum::body::Body::from(prepared.body.clone()))
        .map_err(|error| TransportError::Other(format!("cannot build the request: {error}")))?;
    let response = router
        .clone()
        .oneshot(http_request)
        .await
        .map_err(|error| TransportError::Other(error.to_string()))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let limited = http_body_util::Limited::new(response.into_body(), MAX_BODY_BYTES);
    let body: Bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Err(TransportError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
    };
    Ok(Exchange::answered(
        request,
        prepared,
        status,
        content_type,
        body,
        started.elapsed(),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::profile::{EMBEDDED_PROFILE, Fixture};
    use crate::wire::Format;

    const VARIANT_PROFILE: &str = include_str!("../../../profiles/variant.yaml");
    const VARIANT_WORLD: &str = include_str!("../../emulator/worlds/variant.yaml");

    fn variant_world() -> World {
        World::from_yaml(VARIANT_WORLD, "worlds/variant.yaml").unwrap()
    }

    #[test]
    fn the_variant_profile_describes_the_variant_world() {
        let profile = Profile::parse(VARIANT_PROFILE, "profiles/variant.yaml").unwrap();
        let world = variant_world();
        assert_eq!(profile.region, world.region);
        let mut vswitches = BTreeMap::new();
        let mut security_groups = Vec::new();
        let mut instances = BTreeMap::new();
        for fixture in profile.fixtures.values() {
            match fixture {
                Fixture::VSwitch { id, cidr, zone } => {
                    assert_eq!(zone.as_deref(), Some(world.zone.as_str()), "{id}");
                    vswitches.insert(id.clone(), *cidr);
                }
                Fixture::SecurityGroup { id } => security_groups.push(id.clone()),
                Fixture::Instance(instance) => {
                    // The variant places primaries itself: the profile names none.
                    assert_eq!(instance.primary_eni, None, "{}", instance.id);
                    assert_eq!(instance.primary_ip, None, "{}", instance.id);
                    let vswitch = match instance.vswitch.as_deref().map(|v| &profile.fixtures[v]) {
                        Some(Fixture::VSwitch { id, .. }) => id.clone(),
                        other => panic!("{}: {other:?}", instance.id),
                    };
                    let status = instance
                        .status
                        .unwrap_or(eni_emulator::InstanceStatus::Running);
                    instances.insert(
                        instance.id.clone(),
                        (instance.instance_type.clone(), status, vswitch),
                    );
                }
            }
        }
        let world_vswitches: BTreeMap<String, ipnet::Ipv4Net> = world
            .vswitches
            .iter()
            .map(|v| (v.id.clone(), v.cidr))
            .collect();
        assert_eq!(vswitches, world_vswitches);
        assert_eq!(security_groups, world.security_groups);
        let world_instances: BTreeMap<_, _> = world
            .instances
            .iter()
            .map(|i| {
                assert_eq!(i.primary_eni.id, None, "{}", i.id);
                assert_eq!(i.primary_eni.primary_ip, None, "{}", i.id);
                let described = (
                    i.instance_type.clone(),
                    i.status,
                    i.primary_eni.vswitch_id.clone(),
                );
                (i.id.clone(), described)
            })
            .collect();
        assert_eq!(instances, world_instances);
    }

    #[test]
    fn the_variant_profile_names_the_fixtures_of_the_embedded_one() {
        let kinds = |profile: &Profile| -> BTreeMap<String, &'static str> {
            (profile.fixtures.iter())
                .map(|(name, fixture)| {
                    let kind = match fixture {
                        Fixture::VSwitch { .. } => "vswitch",
                        Fixture::SecurityGroup { .. } => "security_group",
                        Fixture::Instance(_) => "instance",
                    };
                    (name.clone(), kind)
                })
                .collect()
        };
        let variant = Profile::parse(VARIANT_PROFILE, "profiles/variant.yaml").unwrap();
        let embedded = Profile::parse(EMBEDDED_PROFILE, "profiles/embedded.yaml").unwrap();
        assert_eq!(kinds(&variant), kinds(&embedded));
        assert_eq!(variant.contract, embedded.contract);
    }

    /// Creates an ENI on a fresh connection of `target` and returns its answer.
    async fn create(target: &EmbeddedTarget, vswitch: &str, security_group: &str) -> Exchange {
        let connection = target.open(&EmulatorKnobs::default());
        let request = WireRequest {
            params: vec![
                ("Action".into(), "CreateNetworkInterface".into()),
                ("VSwitchId".into(), vswitch.into()),
                ("SecurityGroupId".into(), security_group.into()),
            ],
            format: Format::Json,
            ..WireRequest::default()
        };
        connection.exchange(&request).await.unwrap()
    }

    #[tokio::test]
    async fn a_variant_target_starts_variant_emulators() {
        let profile = Profile::embedded();
        let reference = EmbeddedTarget::new(&profile);
        let variant = EmbeddedTarget::new(&profile).with_variant(Some(7));
        assert_eq!(reference.describe(), "embedded");
        assert_eq!(variant.describe(), "embedded (variant world, seed 7)");
        let (vswitch, sg) = ("vsw-bp1main00000000000001", "sg-bp1default00000000001");
        let id = |exchange: &Exchange| {
            assert_eq!(exchange.status, 200, "{:?}", exchange.body);
            let value = exchange.decoded.get("NetworkInterfaceId").unwrap();
            value.as_str().unwrap().to_owned()
        };
        let reference_id = id(&create(&reference, vswitch, sg).await);
        let variant_id = id(&create(&variant, vswitch, sg).await);
        assert!(reference_id.starts_with("eni-bp1"), "{reference_id}");
        assert_ne!(variant_id, reference_id);
        // Every connection starts the same variant: the seed makes it reproducible.
        assert_eq!(id(&create(&variant, vswitch, sg).await), variant_id);

        // The variant world under its own profile.
        let profile = Profile::parse(VARIANT_PROFILE, "profiles/variant.yaml").unwrap();
        let target = EmbeddedTarget::with_world(&profile, variant_world()).with_variant(Some(7));
        let created = create(
            &target,
            "vsw-uf6variantmain00000a",
            "sg-uf6variant00000000000a",
        )
        .await;
        let address = created.decoded.get("PrivateIpAddress").unwrap();
        let address: std::net::Ipv4Addr = address.as_str().unwrap().parse().unwrap();
        assert!(
            "10.20.8.0/24"
                .parse::<ipnet::Ipv4Net>()
                .unwrap()
                .contains(&address)
        );
    }
}
