//! The embedded target: the reference emulator in-process. Each case gets a fresh emulator on a
//! virtual clock, so cases run in parallel and asynchronous states pass in no wall time. Requests
//! go through the emulator's HTTP router with `oneshot`, so in-process runs exercise the same
//! parsing and signature checks as HTTP runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use eni_emulator::{Clock, Config, ContractProfile, Defect, Emulator, ManualClock, World};
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
}

impl EmbeddedTarget {
    /// The emulator's built-in world, under the contract version the profile names.
    pub fn new(profile: &Profile) -> EmbeddedTarget {
        EmbeddedTarget::with_world(profile, World::builtin())
    }

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
        }
    }

    /// Plants `defects` in every emulator this target starts (for the self-test: does the
    /// suite catch a broken endpoint?).
    pub fn with_defects(mut self, defects: Vec<Defect>) -> EmbeddedTarget {
        self.defects = defects;
        self
    }

    /// A connection to a fresh emulator, for callers that drive it directly (fuzzer, benches).
    pub fn open(&self, knobs: &EmulatorKnobs) -> EmbeddedConnection {
        let clock = ManualClock::now_real();
        let mut config = Config::new(self.world.clone());
        config.contract = self.contract.clone();
        config.clock = Clock::Manual(clock.clone());
        if let Some(delay) = knobs.async_delay {
            config.timings.set_transitions(delay);
        }
        if let Some(task) = knobs.task_duration {
            config.timings.task = task;
        }
        config.defects = self.defects.clone();
        EmbeddedConnection {
            router: eni_emulator::app(Emulator::new(config)),
            clock,
            region: self.region.clone(),
            credentials: self.credentials.clone(),
            nonces: AtomicU64::new(0),
        }
    }
}

impl Target for EmbeddedTarget {
    fn describe(&self) -> String {
        if self.defects.is_empty() {
            return "embedded".into();
        }
        let names: Vec<&str> = self.defects.iter().map(|d| d.name()).collect();
        format!("embedded (defects planted: {})", names.join(", "))
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

/// One fresh emulator and its virtual clock.
#[derive(Debug)]
pub struct EmbeddedConnection {
    router: axum::Router,
    clock: ManualClock,
    region: String,
    credentials: Credentials,
    nonces: AtomicU64,
}

impl EmbeddedConnection {
    async fn exchange(&self, request: &WireRequest) -> Result<Exchange, TransportError> {
        let nonce = format!("embedded-{}", self.nonces.fetch_add(1, Ordering::Relaxed));
        let context = PrepareContext {
            host: "ecs.embedded".into(),
            region: Some(self.region.clone()),
            now: self.now(),
            nonce,
        };
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
}

/// Signs `request` as `context` says and sends it through an emulator's router in-process,
/// exactly as it would go over HTTP: the embedded target and the fuzzer's in-process reference
/// both call this.
pub(crate) async fn exchange_in_process(
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
