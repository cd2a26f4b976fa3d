//! The endpoint's free choices — everything the contract leaves to the endpoint — as the
//! reference emulator makes them, or as a variant world draws them from a seed.
//!
//! A variant exists so that the project can keep itself honest without a second
//! implementation: a case or check that only passes when the emulator chooses as the reference
//! does fails against a variant. Every choice of a variant differs from the reference's while
//! staying within the contract; the seed makes it reproducible. `DECISIONS.md` ("Variant
//! worlds") lists each one.

use std::collections::{BTreeSet, HashSet};
use std::net::Ipv4Addr;

use crate::config::{Allocation, Config};
use crate::error::Wording;
use crate::ids::{IdShapes, hash_str, mix};
use crate::world::{World, usable};

const ID_STREAM: u64 = 0x1D;
const ORDER_STREAM: u64 = 0x0D;
const ALLOCATION_STREAM: u64 = 0xA1;
const PLACEMENT_STREAM: u64 = 0x91;
const PRIMARY_ID_STREAM: u64 = 0x9E;
const FOREIGN_STREAM: u64 = 0xF0;

/// The choices one emulator makes.
#[derive(Debug, Clone)]
pub(crate) struct Choices {
    /// The variant seed; `None`: the reference's choices.
    pub variant: Option<u64>,
    /// Shapes of ENI ids, request ids, MACs and the `HostId`.
    pub shapes: IdShapes,
    /// Seeds generated ids.
    pub id_seed: u64,
    /// How messages are worded.
    pub wording: Wording,
    /// How automatic allocation picks addresses.
    pub allocation: Allocation,
    /// Seeds where primaries the world leaves out are placed, and their ids.
    placement_seed: u64,
    /// Answers the alternative codes ([`Config::alternative_codes`]).
    pub alternative_codes: bool,
}

impl Choices {
    pub(crate) fn new(config: &Config) -> Choices {
        match config.variant {
            None => Choices {
                variant: None,
                shapes: IdShapes::reference(),
                id_seed: config.seed,
                wording: Wording::Reference,
                allocation: config.allocation,
                placement_seed: config.seed,
                alternative_codes: config.alternative_codes,
            },
            Some(seed) => Choices {
                variant: Some(seed),
                shapes: IdShapes::variant(seed, &config.world.region),
                id_seed: config.seed ^ mix(seed, ID_STREAM, 0),
                wording: Wording::Variant,
                allocation: Allocation::Seeded(mix(seed, ALLOCATION_STREAM, 0)),
                placement_seed: mix(seed, PLACEMENT_STREAM, 0),
                alternative_codes: config.alternative_codes,
            },
        }
    }

    pub(crate) fn is_variant(&self) -> bool {
        self.variant.is_some()
    }

    /// Where an ENI falls in `DescribeNetworkInterfaces` listings, ties broken by creation
    /// order. The reference lists in creation order (every rank 0); a variant by a keyed hash
    /// of the id: shuffled, but the same for every page, so paging still lists every ENI once.
    pub(crate) fn list_rank(&self, id: &str) -> u64 {
        match self.variant {
            None => 0,
            Some(seed) => mix(seed, ORDER_STREAM, hash_str(id)),
        }
    }

    /// `SecondaryPrivateIpAddressCount` in `min..=max`. The reference takes only the canonical
    /// spelling; a variant also reads `+3`, `03` and ` 3 ` as the number (the contract allows
    /// both).
    pub(crate) fn count(&self, raw: &str, min: u64, max: u64) -> Option<u64> {
        if let Some(n) = crate::params::whole_number(raw, min, max) {
            return Some(n);
        }
        if !self.is_variant() {
            return None;
        }
        let trimmed = raw.trim_matches(' ');
        let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        (min..=max).contains(&n).then_some(n)
    }

    /// Whether an invalid `Format` is refused (the reference) or answered in the default
    /// format (a variant; the contract allows both).
    pub(crate) fn refuses_invalid_format(&self) -> bool {
        !self.is_variant()
    }

    /// The status of `InvalidOperation.DetachPrimaryEniNotAllowed`, which the contract does not
    /// give: 403 in the reference, 400 in a variant.
    pub(crate) fn detach_primary_status(&self) -> u16 {
        if self.is_variant() { 400 } else { 403 }
    }

    /// The world with every primary ENI it leaves out placed: a seeded random free usable
    /// address of its VSwitch, and a generated id. Primaries the world gives stay where they
    /// are. A primary that finds no room (only in an unvalidated world) stays unplaced.
    pub(crate) fn place_primaries(&self, world: &World) -> World {
        let mut placed = world.clone();
        let mut taken: HashSet<Ipv4Addr> = world
            .instances
            .iter()
            .filter_map(|i| i.primary_eni.primary_ip)
            .collect();
        let mut ids: HashSet<String> = world.ids().map(str::to_owned).collect();
        let mut next_id = 0u64;
        for (n, instance) in placed.instances.iter_mut().enumerate() {
            let eni = &mut instance.primary_eni;
            if eni.id.is_none() {
                let id = loop {
                    next_id += 1;
                    let id = self
                        .shapes
                        .eni_id(mix(self.placement_seed, PRIMARY_ID_STREAM, 0), next_id);
                    if !ids.contains(&id) {
                        break id;
                    }
                };
                ids.insert(id.clone());
                eni.id = Some(id);
            }
            if eni.primary_ip.is_none()
                && let Some(vsw) = world.vswitches.iter().find(|v| v.id == eni.vswitch_id)
            {
                let first = u32::from(vsw.cidr.network()) + 1;
                let last = u32::from(vsw.cidr.broadcast()).saturating_sub(3);
                let size = u64::from(last.saturating_sub(first)) + 1;
                let start = mix(self.placement_seed, PLACEMENT_STREAM, n as u64) % size;
                let pick = (0..size)
                    .map(|step| Ipv4Addr::from(first + ((start + step) % size) as u32))
                    .find(|ip| usable(&vsw.cidr, *ip) && !taken.contains(ip));
                if let Some(ip) = pick {
                    taken.insert(ip);
                    eni.primary_ip = Some(ip);
                }
            }
        }
        placed
    }

    /// The ENIs of another tenant a variant puts in a VSwitch (the `index`th of the world):
    /// for each, how many addresses it holds (its primary and then secondaries), and which.
    /// Sparse on purpose, so that exhaustion stays reachable: one address in a VSwitch of at
    /// most 16 usable addresses, 3 to 12 over 1 to 3 ENIs in a larger one, never more than a
    /// quarter of what is free (at least one while anything is free), never more secondaries
    /// per ENI than `secondary_cap`. The reference adds none.
    pub(crate) fn foreign_enis(
        &self,
        index: usize,
        usable_range: (u32, u32),
        used: &BTreeSet<u32>,
        secondary_cap: u32,
    ) -> Vec<Vec<Ipv4Addr>> {
        let Some(seed) = self.variant else {
            return Vec::new();
        };
        let (first, last) = usable_range;
        if first > last {
            return Vec::new();
        }
        let size = u64::from(last - first) + 1;
        let free = size.saturating_sub(used.len() as u64);
        let draw = |n: u64| mix(seed, FOREIGN_STREAM ^ ((index as u64) << 16), n);
        let wanted = if size <= 16 { 1 } else { 3 + draw(0) % 10 };
        let budget = wanted.min((free / 4).max(u64::from(free > 0)));
        if budget == 0 {
            return Vec::new();
        }
        let per_eni = u64::from(secondary_cap) + 1;
        let enis = (1 + draw(1) % 3).min(budget).max(budget.div_ceil(per_eni));
        let mut sizes = vec![1u64; enis as usize];
        let mut left = budget - enis;
        let mut turn = 2;
        while left > 0 {
            let slot = (draw(turn) % enis) as usize;
            turn += 1;
            if sizes[slot] < per_eni {
                sizes[slot] += 1;
                left -= 1;
            }
        }
        let mut taken = used.clone();
        let mut out = Vec::with_capacity(sizes.len());
        for held in sizes {
            let mut addresses = Vec::with_capacity(held as usize);
            for _ in 0..held {
                let start = draw(turn) % size;
                turn += 1;
                let Some(ip) = (0..size)
                    .map(|step| first + ((start + step) % size) as u32)
                    .find(|ip| !taken.contains(ip))
                else {
                    break;
                };
                taken.insert(ip);
                addresses.push(Ipv4Addr::from(ip));
            }
            if !addresses.is_empty() {
                out.push(addresses);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(seed: u64) -> Choices {
        Choices::new(&Config {
            variant: Some(seed),
            ..Config::default()
        })
    }

    #[test]
    fn the_reference_reads_only_canonical_counts_and_a_variant_reads_padded_ones() {
        let reference = Choices::new(&Config::default());
        let variant = variant(3);
        for (raw, read) in [
            ("3", Some(3)),
            ("+3", Some(3)),
            ("03", Some(3)),
            (" 3", Some(3)),
        ] {
            assert_eq!(variant.count(raw, 1, 50), read, "{raw:?}");
            let canonical = raw == "3";
            assert_eq!(reference.count(raw, 1, 50).is_some(), canonical, "{raw:?}");
        }
        for raw in [
            "", " ", "+", "0", "00", "-3", "3.0", "51", "+051", "3 4", "x",
        ] {
            assert_eq!(variant.count(raw, 1, 50), None, "{raw:?}");
        }
    }

    #[test]
    fn foreign_enis_are_sparse_and_fit_the_vswitch() {
        let small = (1u32, 4u32);
        let large = (1u32, 252u32);
        for seed in 0..50 {
            let v = variant(seed);
            let in_small = v.foreign_enis(1, small, &BTreeSet::new(), 10);
            assert_eq!(
                in_small.iter().map(Vec::len).sum::<usize>(),
                1,
                "seed {seed}"
            );
            let used: BTreeSet<u32> = [200, 201, 202].into();
            let in_large = v.foreign_enis(0, large, &used, 10);
            let held: Vec<u32> = in_large.iter().flatten().map(|ip| u32::from(*ip)).collect();
            assert!(
                (1..=3).contains(&in_large.len()),
                "seed {seed}: {in_large:?}"
            );
            assert!((3..=12).contains(&held.len()), "seed {seed}: {held:?}");
            let distinct: BTreeSet<u32> = held.iter().copied().collect();
            assert_eq!(distinct.len(), held.len());
            assert!(
                held.iter()
                    .all(|ip| (1..=252).contains(ip) && !used.contains(ip))
            );
            assert!(in_large.iter().all(|eni| eni.len() <= 11));
        }
        let full: BTreeSet<u32> = (1..=4).collect();
        assert!(variant(1).foreign_enis(0, small, &full, 10).is_empty());
        assert!(
            Choices::new(&Config::default())
                .foreign_enis(0, large, &BTreeSet::new(), 10)
                .is_empty()
        );
    }

    #[test]
    fn list_ranks_are_keyed_by_the_seed() {
        let reference = Choices::new(&Config::default());
        assert_eq!(reference.list_rank("eni-a"), reference.list_rank("eni-b"));
        assert_eq!(variant(1).list_rank("eni-a"), variant(1).list_rank("eni-a"));
        assert_ne!(variant(1).list_rank("eni-a"), variant(2).list_rank("eni-a"));
        assert_ne!(variant(1).list_rank("eni-a"), variant(1).list_rank("eni-b"));
    }
}
