//! The emulator's configuration: the world it starts from and the knobs tests turn.

use std::time::Duration;

use crate::clock::Clock;
use crate::contract::ContractProfile;
use crate::defects::Defect;
use crate::faults::FaultRule;
use crate::journal::Journal;
use crate::world::World;

/// Everything an [`Emulator`](crate::Emulator) is built from. `Config::new(world)` gives the
/// defaults for the rest; change fields directly.
#[derive(Debug, Clone)]
pub struct Config {
    /// What exists at start: region, VPC, VSwitches, security groups, instances, credentials.
    pub world: World,
    /// Whether signatures are verified.
    pub signing: SigningMode,
    /// Limits and code spellings of the contract version the emulator plays.
    pub contract: ContractProfile,
    /// The time source.
    pub clock: Clock,
    /// How long asynchronous transitions and tasks take.
    pub timings: Timings,
    /// Injected faults, checked in order.
    pub faults: Vec<FaultRule>,
    /// How automatic address allocation picks free addresses.
    pub allocation: Allocation,
    /// Seeds generated ids (ENI ids, request ids, MAC addresses) and fault randomness.
    pub seed: u64,
    /// Size limits on the wire.
    pub limits: WireLimits,
    /// Deliberate deviations from the contract, for proving that a harness catches them.
    /// Empty (the default): the emulator follows the contract.
    pub defects: Vec<Defect>,
    /// Receives one entry per request, saying how it was judged. `None` (the default) costs
    /// nothing per request.
    pub journal: Option<Journal>,
    /// A variant world: with a seed, the emulator makes every choice the contract leaves to
    /// the endpoint differently from the reference, reproducibly — addresses allocated in a
    /// seeded random order (this overrides `allocation`), other shapes of ids, MACs, request
    /// ids and `HostId`, a shuffled but stable listing order, other message wording, primaries
    /// the world leaves out placed at random, ENIs of another tenant in every VSwitch, and the
    /// other allowed answer where the contract allows two. `DECISIONS.md` ("Variant worlds")
    /// lists every choice. `None` (the default): the reference's choices.
    pub variant: Option<u64>,
    /// Answer the codes the `current` contract accepts in place of the reference's (CONTRACT.md,
    /// "Codes the real cloud is known to answer"): `QuotaExceeded.PrivateIpAddress` (403)
    /// instead of `InvalidVSwitchId.IpNotEnough` when an Assign finds too few free addresses or
    /// blocks (row 16). Under the `seed` contract that code is undocumented: a harness must say
    /// so. `false` (the default): the table's codes.
    pub alternative_codes: bool,
}

impl Config {
    /// A configuration for `world` with every other field at its default: signatures verified,
    /// the `seed` profile, the system clock, 2 s transitions, no task delay, no faults, lowest
    /// free addresses first, seed 0, 16 KiB query and 64 KiB body limits, no defects, no
    /// journal, no variant, the table's codes.
    pub fn new(world: World) -> Config {
        Config {
            world,
            signing: SigningMode::default(),
            contract: ContractProfile::seed(),
            clock: Clock::default(),
            timings: Timings::default(),
            faults: Vec::new(),
            allocation: Allocation::default(),
            seed: 0,
            limits: WireLimits::default(),
            defects: Vec::new(),
            journal: None,
            variant: None,
            alternative_codes: false,
        }
    }

    /// Whether `defect` is planted.
    pub fn has(&self, defect: Defect) -> bool {
        self.defects.contains(&defect)
    }
}

impl Default for Config {
    /// [`Config::new`] over [`World::builtin`].
    fn default() -> Config {
        Config::new(World::builtin())
    }
}

/// Whether the emulator verifies request signatures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SigningMode {
    /// Verify AccessKeyId, signature, timestamp window and nonce (v1 and V3).
    #[default]
    Verify,
    /// Accept missing or wrong signatures: no AccessKeyId, signature, timestamp or nonce checks.
    /// Every other parameter is still checked. Meant for hand-made requests only.
    Relaxed,
}

/// Durations of asynchronous work, measured on the configured [`Clock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// `Attaching` → `InUse`.
    pub attach: Duration,
    /// `Detaching` → `Available`.
    pub detach: Duration,
    /// `Deleting` → gone.
    pub delete: Duration,
    /// How long a successful assign or unassign keeps its ENI busy; while busy, another assign
    /// or unassign on that ENI answers `Operation.Conflict`. Zero: never busy.
    pub task: Duration,
}

impl Timings {
    /// Gives the asynchronous transitions (`Attaching`, `Detaching`, `Deleting`) one duration;
    /// zero makes them complete at once.
    pub fn set_transitions(&mut self, every: Duration) {
        self.attach = every;
        self.detach = every;
        self.delete = every;
    }
}

impl Default for Timings {
    fn default() -> Timings {
        Timings {
            attach: Duration::from_secs(2),
            detach: Duration::from_secs(2),
            delete: Duration::from_secs(2),
            task: Duration::ZERO,
        }
    }
}

/// How automatic allocation (`SecondaryPrivateIpAddressCount`, or a create without an explicit
/// address) picks among the free addresses of a VSwitch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Allocation {
    /// The lowest free addresses first: easy to predict in tests.
    #[default]
    Lowest,
    /// Pseudo-random free addresses from this seed: reproducible, but exercises clients that
    /// wrongly assume ordered allocation.
    Seeded(u64),
}

/// Size limits on the wire; larger requests answer `RequestEntityTooLarge` (413).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireLimits {
    /// Longest accepted query string, in bytes (after `?`, before decoding).
    pub max_query_bytes: usize,
    /// Longest accepted request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for WireLimits {
    fn default() -> WireLimits {
        WireLimits {
            max_query_bytes: 16 * 1024,
            max_body_bytes: 64 * 1024,
        }
    }
}
