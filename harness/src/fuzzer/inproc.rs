//! How the fuzzer reads state ([`StateProbe`]): directly from an emulator in-process (its
//! reference, a clean emulator beside the target, and for `--target embedded` the target
//! itself, each the embedded target's own [`EmbeddedConnection`]), or through
//! `DescribeNetworkInterfaces` for HTTP targets.

use std::sync::Arc;

use eni_emulator::{Config, ContractProfile, World};

use crate::checks::observe::{Observation, ObserveError, observe};
use crate::targets::embedded::EmbeddedConnection;
use crate::targets::{BoxFuture, Connection};
use crate::wire::{Credentials, Signing};

/// Reads the ENIs of some VSwitches at one moment.
pub(crate) trait StateProbe: Send + Sync {
    fn observe<'a>(
        &'a self,
        vswitch_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Observation, ObserveError>>;
}

/// Reads state through `DescribeNetworkInterfaces`, as any client could.
#[derive(Clone)]
pub(crate) struct DescribeProbe {
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
    ) -> BoxFuture<'a, Result<Observation, ObserveError>> {
        Box::pin(observe(self.connection.as_ref(), vswitch_ids, self.signing))
    }
}

/// One emulator in-process, kept by handle: the embedded target's connection.
pub(crate) type InProcess = EmbeddedConnection;

/// A fresh emulator over `world` on a virtual clock, signing with the world's first
/// credential. `configure` adjusts the config last (planted defects, timings).
pub(crate) fn in_process(
    world: &World,
    contract: &ContractProfile,
    configure: &dyn Fn(&mut Config),
) -> InProcess {
    let mut config = Config::new(world.clone());
    config.contract = contract.clone();
    configure(&mut config);
    let credentials = world
        .credentials
        .first()
        .map(|c| Credentials::new(c.access_key_id.clone(), c.access_key_secret.clone()))
        .unwrap_or_else(Credentials::builtin_emulator);
    EmbeddedConnection::start(config, world.region.clone(), credentials, "fuzz")
}

impl StateProbe for InProcess {
    fn observe<'a>(
        &'a self,
        vswitch_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Observation, ObserveError>> {
        Box::pin(std::future::ready(Ok(self.observation(vswitch_ids))))
    }
}
