//! The emulator's state: VSwitches, instances, ENIs, address allocation, asynchronous
//! transitions, idempotency records, and the IP invariants checked over all of it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

// Every request looks up its ENI, VSwitch or instance by id, some several times: foldhash
// hashes an id several times faster than std's SipHash, and is seeded at random per process
// all the same.
use foldhash::{HashMap, HashMapExt, HashSet};
use std::net::Ipv4Addr;
use std::time::SystemTime;

use ipnet::Ipv4Net;

use crate::config::{Allocation, Config, Timings};
use crate::contract::ContractProfile;
use crate::defects::{Defect, Defects};
use crate::faults::FaultState;
use crate::ids;
use crate::render::Fields;
use crate::sign::NonceStore;
use crate::variant::Choices;
use crate::world::{InstanceStatus, World, usable};

/// ENI statuses as ECS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EniStatus {
    Available,
    Attaching,
    InUse,
    Detaching,
    Deleting,
}

impl EniStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EniStatus::Available => "Available",
            EniStatus::Attaching => "Attaching",
            EniStatus::InUse => "InUse",
            EniStatus::Detaching => "Detaching",
            EniStatus::Deleting => "Deleting",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EniType {
    Primary,
    Secondary,
}

impl EniType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EniType::Primary => "Primary",
            EniType::Secondary => "Secondary",
        }
    }
}

/// The asynchronous transition an ENI is in, and when it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Attach,
    Detach,
    Delete,
}

#[derive(Debug, Clone)]
pub(crate) struct Eni {
    pub id: String,
    /// Creation order: describe lists ENIs in it, and `NextToken` points into it.
    pub seq: u64,
    /// Where describe lists it before creation order breaks the tie (always 0 in the
    /// reference: creation order alone).
    pub rank: u64,
    pub vswitch_id: String,
    pub primary_ip: Ipv4Addr,
    pub secondary: Vec<Ipv4Addr>,
    /// IPv4 prefixes (aligned /28 blocks), in the order they were assigned. Each takes one
    /// slot of the cap, and its 16 addresses are in its VSwitch's used set.
    pub prefixes: Vec<Ipv4Net>,
    pub status: EniStatus,
    pub kind: EniType,
    pub instance_id: Option<String>,
    pub name: String,
    pub description: String,
    pub security_groups: Vec<String>,
    pub mac: String,
    pub transition: Option<(Transition, SystemTime)>,
    /// An assign or unassign is in flight until then.
    pub busy_until: Option<SystemTime>,
    /// Idempotency records that refer to this ENI, dropped with it.
    pub tokens: Vec<String>,
}

impl Eni {
    /// Slots of the private-IP cap the ENI takes: one per secondary address and per prefix.
    pub(crate) fn slots(&self) -> usize {
        self.secondary.len() + self.prefixes.len()
    }
}

/// The addresses of a prefix, as the used set counts them.
pub(crate) fn prefix_range(prefix: &Ipv4Net) -> std::ops::RangeInclusive<u32> {
    u32::from(prefix.network())..=u32::from(prefix.broadcast())
}

#[derive(Debug, Clone)]
pub(crate) struct VSwitchState {
    pub cidr: Ipv4Net,
    pub cidr_text: String,
    /// First and last usable address.
    pub first: u32,
    pub last: u32,
    /// Addresses held by ENIs of this VSwitch, primary ones included.
    pub used: BTreeSet<u32>,
}

impl VSwitchState {
    fn new(cidr: Ipv4Net) -> VSwitchState {
        let first = u32::from(cidr.network()).saturating_add(1);
        let last = u32::from(cidr.broadcast()).saturating_sub(3);
        VSwitchState {
            cidr,
            cidr_text: cidr.to_string(),
            first,
            last,
            used: BTreeSet::new(),
        }
    }

    pub(crate) fn usable(&self, ip: Ipv4Addr) -> bool {
        usable(&self.cidr, ip)
    }

    pub(crate) fn in_use(&self, ip: Ipv4Addr) -> bool {
        self.used.contains(&u32::from(ip))
    }

    /// Whether every address of `prefix` lies inside the block and none is reserved.
    pub(crate) fn prefix_usable(&self, prefix: &Ipv4Net) -> bool {
        let range = prefix_range(prefix);
        self.cidr.contains(prefix) && *range.start() >= self.first && *range.end() <= self.last
    }

    /// Whether any address of `prefix` is in use (an address, or another prefix).
    pub(crate) fn prefix_in_use(&self, prefix: &Ipv4Net) -> bool {
        self.used.range(prefix_range(prefix)).next().is_some()
    }

    /// The aligned /28 blocks of the VSwitch that could be handed out as prefixes now: wholly
    /// usable and with no address in use, lowest first.
    pub(crate) fn free_prefixes(&self) -> Vec<Ipv4Net> {
        self.cidr
            .subnets(28)
            .map(|blocks| {
                blocks
                    .filter(|p| self.prefix_usable(p) && !self.prefix_in_use(p))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn free(&self) -> u64 {
        let size =
            u64::from(self.last.saturating_sub(self.first)) + u64::from(self.last >= self.first);
        size.saturating_sub(self.used.len() as u64)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct InstanceState {
    pub instance_type: String,
    pub status: InstanceStatus,
}

#[derive(Debug, Clone)]
pub(crate) struct IdemRecord {
    pub fingerprint: String,
    pub fields: Fields,
    pub eni: String,
    stamp: u64,
}

/// Most idempotency records kept at once (**decided**); the oldest go first. Records of a
/// deleted ENI are dropped with it.
pub(crate) const IDEMPOTENCY_CAPACITY: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct Idempotency {
    map: HashMap<String, IdemRecord>,
    fifo: VecDeque<(String, u64)>,
    next_stamp: u64,
}

impl Idempotency {
    pub(crate) fn key(action: &str, token: &str) -> String {
        format!("{action}\n{token}")
    }

    pub(crate) fn get(&self, key: &str) -> Option<&IdemRecord> {
        self.map.get(key)
    }

    fn insert(&mut self, key: String, fingerprint: String, fields: Fields, eni: String) {
        self.next_stamp += 1;
        let stamp = self.next_stamp;
        while self.map.len() >= IDEMPOTENCY_CAPACITY {
            let Some((old, old_stamp)) = self.fifo.pop_front() else {
                break;
            };
            if self.map.get(&old).is_some_and(|r| r.stamp == old_stamp) {
                self.map.remove(&old);
            }
        }
        self.fifo.push_back((key.clone(), stamp));
        self.map.insert(
            key,
            IdemRecord {
                fingerprint,
                fields,
                eni,
                stamp,
            },
        );
    }

    fn remove(&mut self, key: &str, eni: &str) {
        if self.map.get(key).is_some_and(|r| r.eni == eni) {
            self.map.remove(key);
        }
        // Entries of removed records linger in the queue; compacting once they outnumber the
        // live ones keeps the queue proportional to the map.
        if self.fifo.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            self.fifo
                .retain(|(k, stamp)| map.get(k).is_some_and(|r| r.stamp == *stamp));
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// `now + d`, saturating far in the future instead of overflowing on absurd durations.
pub(crate) fn later(now: SystemTime, d: std::time::Duration) -> SystemTime {
    now.checked_add(d)
        .or_else(|| now.checked_add(std::time::Duration::from_secs(1 << 40)))
        .unwrap_or(now)
}

/// The whole mutable state, behind the emulator's one mutex.
#[derive(Debug)]
pub(crate) struct State {
    pub profile: ContractProfile,
    pub defects: Defects,
    pub timings: Timings,
    /// The endpoint's free choices: the reference's or a variant's.
    pub choices: Choices,
    allocations: u64,
    pub region: String,
    pub zone: String,
    pub vpc_id: String,
    pub vswitches: HashMap<String, VSwitchState>,
    pub security_groups: HashSet<String>,
    pub instances: HashMap<String, InstanceState>,
    pub enis: HashMap<String, Eni>,
    pub order: BTreeMap<u64, String>,
    next_seq: u64,
    next_eni: u64,
    pending: Vec<String>,
    pub idempotency: Idempotency,
    pub nonces: NonceStore,
    pub faults: FaultState,
}

impl State {
    /// The state at start, in `world` (the configured world with its primaries placed).
    /// Tolerates an unvalidated world (never panics): a primary ENI without an id or an
    /// address is left out.
    pub(crate) fn new(config: &Config, world: &World, choices: Choices) -> State {
        let mut state = State {
            profile: config.contract.clone(),
            defects: Defects::new(&config.defects),
            timings: config.timings,
            choices,
            allocations: 0,
            region: world.region.clone(),
            zone: world.zone.clone(),
            vpc_id: world.vpc.id.clone(),
            vswitches: world
                .vswitches
                .iter()
                .map(|v| (v.id.clone(), VSwitchState::new(v.cidr)))
                .collect(),
            security_groups: world.security_groups.iter().cloned().collect(),
            instances: HashMap::new(),
            enis: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            next_eni: 0,
            pending: Vec::new(),
            idempotency: Idempotency::default(),
            nonces: NonceStore::default(),
            faults: FaultState::new(config.faults.clone(), config.seed),
        };
        for inst in &world.instances {
            state.instances.insert(
                inst.id.clone(),
                InstanceState {
                    instance_type: inst.instance_type.clone(),
                    status: inst.status,
                },
            );
            let p = &inst.primary_eni;
            let (Some(id), Some(primary_ip)) = (&p.id, p.primary_ip) else {
                continue;
            };
            if let Some(vsw) = state.vswitches.get_mut(&p.vswitch_id) {
                vsw.used.insert(u32::from(primary_ip));
            }
            // Reference MACs of the world's ENIs come from their ids alone; a variant's from
            // its seed too.
            let mac_seed = if state.choices.is_variant() {
                ids::hash_str(id) ^ state.choices.id_seed
            } else {
                ids::hash_str(id)
            };
            let seq = state.take_seq();
            state.insert_eni(Eni {
                id: id.clone(),
                seq,
                rank: state.choices.list_rank(id),
                vswitch_id: p.vswitch_id.clone(),
                primary_ip,
                secondary: Vec::new(),
                prefixes: Vec::new(),
                status: EniStatus::InUse,
                kind: EniType::Primary,
                instance_id: Some(inst.id.clone()),
                name: String::new(),
                description: String::new(),
                security_groups: p.security_group_ids.clone(),
                mac: state.choices.shapes.mac(mac_seed, 0),
                transition: None,
                busy_until: None,
                tokens: Vec::new(),
            });
        }
        state.add_foreign_enis(world);
        state
    }

    /// A variant's ENIs of another tenant: `Available`, attached to nothing the world names,
    /// holding a few addresses of every VSwitch (see [`Choices::foreign_enis`]). They are
    /// ordinary ENIs; nothing removes them but a request.
    fn add_foreign_enis(&mut self, world: &World) {
        let security_groups: Vec<String> = world.security_groups.iter().take(1).cloned().collect();
        let mut tenant_enis = 0;
        for (index, vsw) in world.vswitches.iter().enumerate() {
            let Some(state) = self.vswitches.get(&vsw.id) else {
                continue;
            };
            let plan = self.choices.foreign_enis(
                index,
                (state.first, state.last),
                &state.used,
                self.profile.available_cap,
            );
            for addresses in plan {
                let Some((&primary_ip, secondary)) = addresses.split_first() else {
                    continue;
                };
                self.take(&vsw.id, &addresses);
                let (id, mac, seq) = self.new_eni_identity();
                tenant_enis += 1;
                self.insert_eni(Eni {
                    rank: self.choices.list_rank(&id),
                    id,
                    seq,
                    vswitch_id: vsw.id.clone(),
                    primary_ip,
                    secondary: secondary.to_vec(),
                    prefixes: Vec::new(),
                    status: EniStatus::Available,
                    kind: EniType::Secondary,
                    instance_id: None,
                    name: format!("other-tenant-{tenant_enis}"),
                    description: "held by another tenant of the VPC".to_owned(),
                    security_groups: security_groups.clone(),
                    mac,
                    transition: None,
                    busy_until: None,
                    tokens: Vec::new(),
                });
            }
        }
    }

    /// Whether `defect` is planted.
    #[inline]
    pub(crate) fn has(&self, defect: Defect) -> bool {
        self.defects.has(defect)
    }

    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Applies every transition due by `now`; called at the start of each request, so the
    /// state seen by a request is the state at its arrival.
    pub(crate) fn settle(&mut self, now: SystemTime) {
        let mut i = 0;
        while i < self.pending.len() {
            let id = self.pending[i].clone();
            let due = self
                .enis
                .get(&id)
                .and_then(|e| e.transition)
                .filter(|(_, at)| *at <= now);
            match due {
                Some((transition, _)) => {
                    self.pending.swap_remove(i);
                    self.complete(&id, transition);
                }
                None if self.enis.get(&id).is_none_or(|e| e.transition.is_none()) => {
                    self.pending.swap_remove(i);
                }
                None => i += 1,
            }
        }
    }

    fn complete(&mut self, id: &str, transition: Transition) {
        match transition {
            Transition::Attach => {
                if let Some(eni) = self.enis.get_mut(id) {
                    eni.status = EniStatus::InUse;
                    eni.transition = None;
                }
            }
            Transition::Detach => {
                if let Some(eni) = self.enis.get_mut(id) {
                    eni.status = EniStatus::Available;
                    eni.instance_id = None;
                    eni.transition = None;
                }
            }
            Transition::Delete => {
                let Some(eni) = self.enis.remove(id) else {
                    return;
                };
                self.order.remove(&eni.seq);
                if let Some(vsw) = self.vswitches.get_mut(&eni.vswitch_id) {
                    vsw.used.remove(&u32::from(eni.primary_ip));
                    for ip in &eni.secondary {
                        vsw.used.remove(&u32::from(*ip));
                    }
                    // Defect: the prefixes' blocks are never given back.
                    let frees_prefixes = !self.defects.has(Defect::PrefixNotFreedOnDelete);
                    for prefix in eni.prefixes.iter().filter(|_| frees_prefixes) {
                        for ip in prefix_range(prefix) {
                            vsw.used.remove(&ip);
                        }
                    }
                }
                for key in &eni.tokens {
                    self.idempotency.remove(key, id);
                }
            }
        }
    }

    /// Starts an asynchronous transition that completes `after` from `now`.
    pub(crate) fn begin(
        &mut self,
        id: &str,
        transition: Transition,
        status: EniStatus,
        due: SystemTime,
    ) {
        if let Some(eni) = self.enis.get_mut(id) {
            eni.status = status;
            eni.transition = Some((transition, due));
            self.pending.push(id.to_owned());
        }
    }

    /// Most secondary addresses an `Available` ENI may hold.
    pub(crate) fn available_cap(&self) -> u32 {
        let cap = self.profile.available_cap;
        if self.has(Defect::AvailableCapMissing) {
            u32::MAX
        } else if self.has(Defect::AvailableCapOffByOne) {
            cap + 1
        } else {
            cap
        }
    }

    /// Most secondary addresses `eni` may hold in its current state, and why.
    pub(crate) fn cap(&self, eni: &Eni) -> (u32, String) {
        match eni.status {
            // Defect: one cap for every ENI, whatever its instance type.
            EniStatus::InUse if self.has(Defect::InstanceCapIgnored) => {
                (self.available_cap(), "on an ENI".to_owned())
            }
            EniStatus::InUse => {
                let ty = eni
                    .instance_id
                    .as_deref()
                    .and_then(|i| self.instances.get(i))
                    .map(|i| i.instance_type.as_str())
                    .unwrap_or("");
                (
                    self.type_cap(ty),
                    format!("on an InUse ENI of instance type “{ty}”"),
                )
            }
            _ => (self.available_cap(), "on an Available ENI".to_owned()),
        }
    }

    /// Secondary addresses per ENI for an instance type: its private IPs per ENI minus the
    /// primary. An unknown type (impossible in a validated world) allows none.
    pub(crate) fn type_cap(&self, instance_type: &str) -> u32 {
        self.profile
            .instance_type_caps
            .get(instance_type)
            .map_or(0, |c| c.saturating_sub(1))
    }

    /// Picks `count` free addresses of `vswitch_id` and marks them used. The caller has checked
    /// that enough are free; fewer come back only if it did not.
    pub(crate) fn allocate(&mut self, vswitch_id: &str, count: usize) -> Vec<Ipv4Addr> {
        let allocation = self.choices.allocation;
        let defects = self.defects;
        let Some(vsw) = self.vswitches.get_mut(vswitch_id) else {
            return Vec::new();
        };
        let mut out: Vec<u32> = Vec::with_capacity(count);
        if vsw.first > vsw.last {
            return Vec::new();
        }
        // Defect: the pool starts at the network address instead of the first usable one.
        let first = if defects.has(Defect::ReservedAddressHandedOut) {
            u32::from(vsw.cidr.network())
        } else {
            vsw.first
        };
        match allocation {
            Allocation::Lowest => {
                let mut candidate = first;
                let mut used = vsw.used.range(first..).peekable();
                while out.len() < count && candidate <= vsw.last {
                    while used.next_if(|u| **u < candidate).is_some() {}
                    if used.peek().is_some_and(|u| **u == candidate) {
                        used.next();
                    } else {
                        out.push(candidate);
                        // Defect: the cursor is not advanced after the first pick, so the
                        // same address is picked again.
                        if out.len() == 1 && defects.has(Defect::DuplicateInOneCall) {
                            continue;
                        }
                    }
                    candidate = match candidate.checked_add(1) {
                        Some(c) => c,
                        None => break,
                    };
                }
            }
            Allocation::Seeded(seed) => {
                let size = u64::from(vsw.last - first) + 1;
                let repeat = defects.has(Defect::DuplicateInOneCall);
                for _ in 0..count {
                    self.allocations += 1;
                    let start = ids::mix(seed, 5, self.allocations) % size;
                    let pick = (0..size)
                        .map(|step| first + ((start + step) % size) as u32)
                        .find(|ip| !vsw.used.contains(ip) && (repeat || !out.contains(ip)));
                    match pick {
                        Some(ip) => out.push(ip),
                        None => break,
                    }
                }
            }
        }
        for ip in &out {
            vsw.used.insert(*ip);
        }
        out.into_iter().map(Ipv4Addr::from).collect()
    }

    /// Marks specific addresses used (already checked free and usable).
    pub(crate) fn take(&mut self, vswitch_id: &str, ips: &[Ipv4Addr]) {
        if let Some(vsw) = self.vswitches.get_mut(vswitch_id) {
            vsw.used.extend(ips.iter().map(|ip| u32::from(*ip)));
        }
    }

    pub(crate) fn release(&mut self, vswitch_id: &str, ips: &[Ipv4Addr]) {
        if let Some(vsw) = self.vswitches.get_mut(vswitch_id) {
            for ip in ips {
                vsw.used.remove(&u32::from(*ip));
            }
        }
    }

    /// Picks `count` free prefixes of `vswitch_id` and marks their addresses used. The caller
    /// has checked that enough are free. The reference takes the lowest blocks; a seeded
    /// allocation starts at a seeded block and goes on cyclically.
    pub(crate) fn allocate_prefixes(&mut self, vswitch_id: &str, count: usize) -> Vec<Ipv4Net> {
        let allocation = self.choices.allocation;
        let Some(vsw) = self.vswitches.get(vswitch_id) else {
            return Vec::new();
        };
        let free = vsw.free_prefixes();
        if free.is_empty() {
            return Vec::new();
        }
        let start = match allocation {
            Allocation::Lowest => 0,
            Allocation::Seeded(seed) => {
                self.allocations += 1;
                (ids::mix(seed, 7, self.allocations) % free.len() as u64) as usize
            }
        };
        let picked: Vec<Ipv4Net> = (0..free.len().min(count))
            .map(|i| free[(start + i) % free.len()])
            .collect();
        self.take_prefixes(vswitch_id, &picked);
        picked
    }

    /// Marks the addresses of `prefixes` used (already checked usable and free).
    pub(crate) fn take_prefixes(&mut self, vswitch_id: &str, prefixes: &[Ipv4Net]) {
        if let Some(vsw) = self.vswitches.get_mut(vswitch_id) {
            for prefix in prefixes {
                vsw.used.extend(prefix_range(prefix));
            }
        }
    }

    pub(crate) fn release_prefixes(&mut self, vswitch_id: &str, prefixes: &[Ipv4Net]) {
        if let Some(vsw) = self.vswitches.get_mut(vswitch_id) {
            for prefix in prefixes {
                for ip in prefix_range(prefix) {
                    vsw.used.remove(&ip);
                }
            }
        }
    }

    /// A fresh, deterministic ENI id and its MAC, and its place in creation order.
    pub(crate) fn new_eni_identity(&mut self) -> (String, String, u64) {
        loop {
            self.next_eni += 1;
            let id = self
                .choices
                .shapes
                .eni_id(self.choices.id_seed, self.next_eni);
            if !self.enis.contains_key(&id) {
                let mac = self.choices.shapes.mac(self.choices.id_seed, self.next_eni);
                let seq = self.take_seq();
                return (id, mac, seq);
            }
        }
    }

    pub(crate) fn insert_eni(&mut self, eni: Eni) {
        self.order.insert(eni.seq, eni.id.clone());
        self.enis.insert(eni.id.clone(), eni);
    }

    /// Records a successful request's answer under its `ClientToken`.
    pub(crate) fn remember(&mut self, key: String, fingerprint: String, fields: Fields, eni: &str) {
        if let Some(e) = self.enis.get_mut(eni) {
            e.tokens.push(key.clone());
        }
        self.idempotency
            .insert(key, fingerprint, fields, eni.to_owned());
    }

    /// The IP invariants of the contract that can be checked on one state (1, 2, 4, 8), plus
    /// the bookkeeping they rest on. `Err` describes the first violation.
    pub(crate) fn check_invariants(&self) -> Result<(), String> {
        let mut held: HashMap<&str, BTreeSet<u32>> = HashMap::new();
        for eni in self.enis.values() {
            let addresses = std::iter::once(eni.primary_ip).chain(eni.secondary.iter().copied());
            let mine = held.entry(eni.vswitch_id.as_str()).or_default();
            let vsw = self.vswitches.get(&eni.vswitch_id);
            for ip in addresses {
                if let Some(vsw) = vsw
                    && !vsw.usable(ip)
                {
                    return Err(format!(
                        "{ip} on {} is outside or reserved in {}",
                        eni.id, vsw.cidr_text
                    ));
                }
                if !mine.insert(u32::from(ip)) {
                    return Err(format!(
                        "{ip} is held twice in VSwitch {} (seen again on {})",
                        eni.vswitch_id, eni.id
                    ));
                }
            }
            for prefix in &eni.prefixes {
                if prefix.prefix_len() != 28 || vsw.is_some_and(|vsw| !vsw.prefix_usable(prefix)) {
                    return Err(format!(
                        "prefix {prefix} on {} is not an aligned /28 wholly usable in its VSwitch",
                        eni.id
                    ));
                }
                for ip in prefix_range(prefix) {
                    if !mine.insert(ip) {
                        return Err(format!(
                            "prefix {prefix} on {} overlaps {} held in VSwitch {}",
                            eni.id,
                            Ipv4Addr::from(ip),
                            eni.vswitch_id
                        ));
                    }
                }
            }
            let count = eni.slots();
            let attached = matches!(
                eni.status,
                EniStatus::Attaching | EniStatus::InUse | EniStatus::Detaching
            );
            if attached {
                let Some(inst) = eni
                    .instance_id
                    .as_deref()
                    .and_then(|i| self.instances.get(i))
                else {
                    return Err(format!(
                        "{} is {} without a known instance",
                        eni.id,
                        eni.status.as_str()
                    ));
                };
                let cap = self.type_cap(&inst.instance_type);
                if count > cap as usize {
                    return Err(format!(
                        "{} holds {count} secondary addresses, over its type cap {cap}",
                        eni.id
                    ));
                }
            } else if eni.instance_id.is_some() {
                return Err(format!(
                    "{} is {} but names an instance",
                    eni.id,
                    eni.status.as_str()
                ));
            }
            if eni.status != EniStatus::InUse && count > self.profile.available_cap as usize {
                return Err(format!(
                    "{} holds {count} secondary addresses while {}, over the cap {}",
                    eni.id,
                    eni.status.as_str(),
                    self.profile.available_cap
                ));
            }
            if eni.kind == EniType::Primary && eni.status != EniStatus::InUse {
                return Err(format!("primary ENI {} is {}", eni.id, eni.status.as_str()));
            }
        }
        for (id, vsw) in &self.vswitches {
            let empty = BTreeSet::new();
            let mine = held.get(id.as_str()).unwrap_or(&empty);
            if *mine != vsw.used {
                return Err(format!(
                    "VSwitch {id}: the used set does not match the addresses its ENIs hold"
                ));
            }
        }
        if self.order.len() != self.enis.len() {
            return Err("the creation order and the ENI table disagree".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The bookkeeping no single request shows: the idempotency store's eviction and queue
    //! compaction, the pending-transition list, and the saturating deadline.

    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn record(store: &mut Idempotency, key: &str, eni: &str) {
        store.insert(
            key.to_owned(),
            format!("fp {key}"),
            Fields::new(),
            eni.to_owned(),
        );
    }

    /// At capacity the oldest live record goes first; a key removed and recorded again is as
    /// young as its second record, so its stale place in the queue evicts nothing.
    #[test]
    fn idempotency_evicts_the_oldest_live_record() {
        let mut store = Idempotency::default();
        record(&mut store, "again", "eni-1");
        record(&mut store, "oldest", "eni-1");
        store.remove("again", "eni-1");
        record(&mut store, "again", "eni-1");
        for i in 0..IDEMPOTENCY_CAPACITY - 2 {
            record(&mut store, &format!("k{i}"), "eni-1");
        }
        assert_eq!(store.len(), IDEMPOTENCY_CAPACITY);
        record(&mut store, "newest", "eni-1");
        assert_eq!(store.len(), IDEMPOTENCY_CAPACITY);
        assert!(store.get("oldest").is_none());
        assert_eq!(
            store.get("again").map(|r| r.fingerprint.as_str()),
            Some("fp again")
        );
        assert!(store.get("k0").is_some());
        assert!(store.get("newest").is_some());
    }

    /// A record goes only with the ENI it refers to.
    #[test]
    fn idempotency_removes_only_the_named_enis_record() {
        let mut store = Idempotency::default();
        record(&mut store, "t", "eni-1");
        store.remove("t", "eni-2");
        assert!(store.get("t").is_some());
        store.remove("t", "eni-1");
        assert!(store.get("t").is_none());
    }

    /// The queue keeps the places of removed records until they outnumber twice the live ones
    /// plus 1024; then it is compacted to the live ones, once (not at every removal, which would
    /// make deleting many ENIs quadratic).
    #[test]
    fn idempotency_queue_is_compacted_once_stale_places_dominate() {
        let mut store = Idempotency::default();
        for i in 0..2000 {
            record(&mut store, &format!("k{i}"), "eni-1");
        }
        // 2000 places > 2 × live + 1024 first holds with 487 live records, after 1513 removals.
        for i in 0..1512 {
            store.remove(&format!("k{i}"), "eni-1");
        }
        assert_eq!((store.map.len(), store.fifo.len()), (488, 2000));
        store.remove("k1512", "eni-1");
        assert_eq!((store.map.len(), store.fifo.len()), (487, 487));
        for i in 1513..2000 {
            store.remove(&format!("k{i}"), "eni-1");
        }
        assert_eq!((store.map.len(), store.fifo.len()), (0, 487));
    }

    /// An absurd duration saturates 2^40 s ahead instead of overflowing.
    #[test]
    fn later_saturates_far_ahead() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            later(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        assert_eq!(
            later(now, Duration::MAX),
            now + Duration::from_secs(1 << 40)
        );
    }

    /// An entry of the pending list whose ENI is gone, or no longer in a transition, is dropped
    /// by the next settle; one still due later stays.
    #[test]
    fn settle_drops_stale_pending_entries() {
        let config = Config::new(World::builtin());
        let choices = Choices::new(&config);
        let world = choices.place_primaries(&config.world);
        let mut state = State::new(&config, &world, choices);
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let ids: Vec<String> = state.enis.keys().take(3).cloned().collect();
        assert_eq!(ids.len(), 3, "the built-in world has three primary ENIs");
        let later_on = now + Duration::from_secs(60);
        for id in &ids {
            state.begin(id, Transition::Attach, EniStatus::Attaching, later_on);
        }
        state.enis.remove(&ids[0]);
        if let Some(eni) = state.enis.get_mut(&ids[1]) {
            eni.transition = None;
        }
        state.settle(now);
        assert_eq!(state.pending, [ids[2].clone()]);
        state.settle(later_on);
        assert!(state.pending.is_empty());
    }

    fn builtin_state(tweak: impl FnOnce(&mut Config)) -> State {
        let mut config = Config::new(World::builtin());
        tweak(&mut config);
        let choices = Choices::new(&config);
        let world = choices.place_primaries(&config.world);
        State::new(&config, &world, choices)
    }

    /// A block with no usable address (a /30, which validation refuses but a world built in
    /// code may hold) hands out nothing, whichever the allocation, rather than wrapping around.
    #[test]
    fn allocate_in_a_block_without_usable_addresses_gives_nothing() {
        for allocation in [Allocation::Lowest, Allocation::Seeded(7)] {
            let mut state = builtin_state(|c| c.allocation = allocation);
            let cidr: Ipv4Net = "10.9.9.0/30".parse().unwrap();
            state
                .vswitches
                .insert("vsw-tiny".to_owned(), VSwitchState::new(cidr));
            assert_eq!(state.vswitches["vsw-tiny"].free(), 0);
            assert!(state.allocate("vsw-tiny", 1).is_empty(), "{allocation:?}");
            assert!(state.allocate_prefixes("vsw-tiny", 1).is_empty());
        }
    }

    /// A prefix an ENI holds that is not wholly usable in its VSwitch breaks invariant 8, even
    /// when it is a /28 and the used set agrees with it (`&&` for `||`).
    #[test]
    fn invariants_flag_a_prefix_outside_the_usable_block() {
        let mut state = builtin_state(|_| {});
        assert_eq!(state.check_invariants(), Ok(()));
        let (id, vswitch) = state
            .enis
            .values()
            .map(|e| (e.id.clone(), e.vswitch_id.clone()))
            .next()
            .unwrap();
        // The main /24's last block holds its three reserved addresses.
        let prefix: Ipv4Net = "192.168.0.240/28".parse().unwrap();
        state.take_prefixes(&vswitch, &[prefix]);
        if let Some(eni) = state.enis.get_mut(&id) {
            eni.prefixes.push(prefix);
        }
        let err = state.check_invariants().unwrap_err();
        assert!(err.contains("not an aligned /28 wholly usable"), "{err}");
    }
}
