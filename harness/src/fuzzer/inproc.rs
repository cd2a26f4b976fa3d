//! An emulator in-process, kept by handle: the fuzzer's reference (a clean emulator beside the
//! target) and, for `--target embedded`, the target itself (with its planted defects). Requests
//! go through the emulator's HTTP router as for [`crate::targets::EmbeddedTarget`]; the handle
//! also lets the fuzzer read the state directly, which is much cheaper than Describe. Reading
//! state goes through [`StateProbe`], so HTTP targets use `DescribeNetworkInterfaces` instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use eni_emulator::{Clock, Config, ContractProfile, Emulator, ManualClock, World};

use crate::checks::observe::{EniView, Observation, observe};
use crate::targets::embedded::exchange_in_process;
use crate::targets::{BoxFuture, Connection, Exchange, TransportError};
use crate::wire::{Credentials, PrepareContext, Signing, WireRequest};

/// Reads the ENIs of some VSwitches at one moment.
pub trait StateProbe: Send + Sync {
    fn observe<'a>(
        &'a self,
        vswitch_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Observation, String>>;
}

/// Reads state through `DescribeNetworkInterfaces`, as any client could.
#[derive(Clone)]
pub struct DescribeProbe {
    pub connection: Arc<dyn Connection>,
    pub signing: Signing,
}

impl std::fmt::Debug for DescribeProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DescribeProbe").finish_non_exhaustive()
    }
}

impl StateProbe for DescribeProbe {
    fn observe<'a>(
        &'a self,
        vswitch_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Observation, String>> {
        Box::pin(observe(self.connection.as_ref(), vswitch_ids, self.signing))
    }
}

/// One emulator in-process.
#[derive(Debug)]
pub struct InProcess {
    emulator: Emulator,
    router: axum::Router,
    clock: ManualClock,
    region: String,
    credentials: Credentials,
    nonces: AtomicU64,
}

impl InProcess {
    /// A fresh emulator over `world` on a virtual clock. `configure` adjusts the config last
    /// (planted defects, timings).
    pub fn new(
        world: &World,
        contract: &ContractProfile,
        configure: &dyn Fn(&mut Config),
    ) -> InProcess {
        let clock = ManualClock::now_real();
        let mut config = Config::new(world.clone());
        config.contract = contract.clone();
        config.clock = Clock::Manual(clock.clone());
        configure(&mut config);
        let credentials = world
            .credentials
            .first()
            .map(|c| Credentials::new(c.access_key_id.clone(), c.access_key_secret.clone()))
            .unwrap_or_else(Credentials::builtin_emulator);
        let emulator = Emulator::new(config);
        InProcess {
            router: eni_emulator::app(emulator.clone()),
            emulator,
            clock,
            region: world.region.clone(),
            credentials,
            nonces: AtomicU64::new(0),
        }
    }

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
            .map(|eni| {
                let view = EniView {
                    id: eni.id,
                    status: eni.status,
                    vswitch_id: eni.vswitch_id,
                    instance_id: eni.instance_id,
                    primary: Some(eni.primary_ip.to_string()),
                    secondaries: eni.secondary_ips.iter().map(ToString::to_string).collect(),
                    prefixes: eni.ipv4_prefixes.iter().map(ToString::to_string).collect(),
                };
                (view.id.clone(), view)
            })
            .collect();
        Observation { enis, requests: 0 }
    }

    async fn exchange(&self, request: &WireRequest) -> Result<Exchange, TransportError> {
        let nonce = format!("fuzz-{}", self.nonces.fetch_add(1, Ordering::Relaxed));
        let context = PrepareContext {
            host: "ecs.embedded".into(),
            region: Some(self.region.clone()),
            now: self.clock.now(),
            nonce,
        };
        let credentials = (request.signing != Signing::None).then_some(&self.credentials);
        exchange_in_process(&self.router, request, credentials, &context).await
    }
}

impl Connection for InProcess {
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

impl StateProbe for InProcess {
    fn observe<'a>(
        &'a self,
        vswitch_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Observation, String>> {
        Box::pin(std::future::ready(Ok(self.observation(vswitch_ids))))
    }
}
