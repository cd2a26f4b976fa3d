//! The fuzzer's IPv4 prefix operations (contract `current`): prefixes picked relative to the
//! VSwitch and the state — a free aligned /28, one taken by an ENI or overlapping an address in
//! use, an unaligned or reserved block, one outside the VSwitch, malformed text — and the
//! request kinds mixed in ways the contract refuses (addresses with prefixes, both prefix
//! kinds). Only drawn when the profile's contract has prefixes, so that a seed profile's
//! sequences stay those of its seed.

use std::net::Ipv4Addr;

use arbitrary::{Arbitrary, Unstructured};
use ipnet::Ipv4Net;

use super::ops::{AddrPick, CountPick, StateView};

/// The prefix length the contract's prefixes have.
pub(crate) const PREFIX_LEN: u8 = 28;
/// Most prefixes in one generated list parameter.
const MAX_PREFIX_LIST: usize = 3;

/// A prefix, picked relative to the VSwitch of the operation and the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum PrefixPick {
    /// The n-th (modulo) aligned /28 of the VSwitch that holds no reserved address, no address
    /// and no prefix in use, as the reference sees it; the n-th aligned block if none is free.
    Free(u8),
    /// A prefix some ENI of a fixture VSwitch holds now (a free one if none does).
    Held(u8),
    /// A prefix the operation's own ENI holds (a free one if it holds none).
    Own(u8),
    /// The aligned /28 around an address some ENI holds (row 14 where it is the VSwitch's).
    AroundHeld(u8),
    /// A free block's address plus 1 to 15: not aligned.
    Unaligned(u8, u8),
    /// The block holding the network address (reserved).
    First,
    /// The block holding the top reserved addresses.
    Last,
    /// The block just past the VSwitch.
    Outside,
    /// A block of the other VSwitch.
    OtherVSwitch(u8),
    /// A free block written wrongly.
    Malformed(PrefixMangle, u8),
}

/// How a prefix is written wrongly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum PrefixMangle {
    /// `/27`: not the contract's length.
    Slash27,
    /// `/32`.
    Slash32,
    /// No length at all.
    NoLength,
    Spaces,
    LeadingZeros,
    Ipv6,
    Empty,
}

/// Request kinds together that the contract refuses (row 2 for Assign, the invalid-parameter
/// code for Create), each with what it is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Mix {
    AddressAndPrefix(AddrPick, PrefixPick),
    AddressAndPrefixCount(AddrPick, CountPick),
    CountAndPrefix(CountPick, PrefixPick),
    CountAndPrefixCount(CountPick, CountPick),
    /// `Ipv4Prefix.N` and `Ipv4PrefixCount` together.
    BothPrefixKinds(PrefixPick, CountPick),
}

pub(crate) fn pick(u: &mut Unstructured<'_>) -> arbitrary::Result<PrefixPick> {
    Ok(match u.int_in_range(0..=19u8)? {
        0..=7 => PrefixPick::Free(u.arbitrary()?),
        8..=9 => PrefixPick::Held(u.arbitrary()?),
        10 => PrefixPick::Own(u.arbitrary()?),
        11..=12 => PrefixPick::AroundHeld(u.arbitrary()?),
        13 => PrefixPick::Unaligned(u.arbitrary()?, u.arbitrary()?),
        14 => PrefixPick::First,
        15 => PrefixPick::Last,
        16 => PrefixPick::Outside,
        17 => PrefixPick::OtherVSwitch(u.arbitrary()?),
        _ => PrefixPick::Malformed(u.arbitrary()?, u.arbitrary()?),
    })
}

pub(crate) fn list(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<PrefixPick>> {
    let n = if u.ratio(2, 3)? {
        1
    } else {
        u.int_in_range(1..=MAX_PREFIX_LIST)?
    };
    (0..n).map(|_| pick(u)).collect()
}

/// Unassigns mostly name what the ENI holds.
pub(crate) fn unassign_list(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<PrefixPick>> {
    let n = u.int_in_range(1..=MAX_PREFIX_LIST)?;
    (0..n)
        .map(|_| {
            if u.ratio(2, 3)? {
                Ok(PrefixPick::Own(u.arbitrary()?))
            } else {
                pick(u)
            }
        })
        .collect()
}

/// The aligned /28 blocks of `cidr` that hold no reserved address (the first address and the
/// last three), in address order.
fn usable_blocks(cidr: Ipv4Net) -> impl Iterator<Item = Ipv4Net> {
    let network = u32::from(cidr.network());
    let broadcast = u32::from(cidr.broadcast());
    let blocks = if cidr.prefix_len() <= PREFIX_LEN {
        1u32 << (PREFIX_LEN - cidr.prefix_len())
    } else {
        0
    };
    (0..blocks)
        .map(move |i| network + i * 16)
        .filter(move |&start| start != network && start + 15 < broadcast - 2)
        .filter_map(|start| Ipv4Net::new(Ipv4Addr::from(start), PREFIX_LEN).ok())
}

/// Every aligned /28 of `cidr` (reserved ones included), for when none is usable.
fn block(cidr: Ipv4Net, n: u32) -> Ipv4Net {
    let size = if cidr.prefix_len() <= PREFIX_LEN {
        1u32 << (PREFIX_LEN - cidr.prefix_len())
    } else {
        1
    };
    let start = u32::from(cidr.network()) + (n % size) * 16;
    Ipv4Net::new(Ipv4Addr::from(start), PREFIX_LEN)
        .map(|net| net.trunc())
        .unwrap_or(cidr)
}

/// Whether `block` overlaps an address or a prefix in use.
fn in_use(block: &Ipv4Net, state: &StateView) -> bool {
    state.held.iter().any(|a| block.contains(a))
        || state
            .held_prefixes
            .iter()
            .any(|p| p.contains(&block.network()) || block.contains(&p.network()))
}

/// The n-th free block of `cidr` (modulo how many there are), or the n-th block.
fn free(cidr: Ipv4Net, n: u8, state: &StateView) -> Ipv4Net {
    let free: Vec<Ipv4Net> = usable_blocks(cidr).filter(|b| !in_use(b, state)).collect();
    match free.len() {
        0 => block(cidr, u32::from(n)),
        len => free[usize::from(n) % len],
    }
}

/// The prefix a pick stands for, as text.
pub(crate) fn resolve(
    pick: &PrefixPick,
    cidr: Ipv4Net,
    other: Option<Ipv4Net>,
    own: &[Ipv4Net],
    state: &StateView,
) -> String {
    let prefix = match pick {
        PrefixPick::Free(n) => free(cidr, *n, state),
        PrefixPick::Held(n) => {
            let held: Vec<&Ipv4Net> = state
                .held_prefixes
                .iter()
                .filter(|p| cidr.contains(&p.network()))
                .collect();
            match held.len() {
                0 => free(cidr, *n, state),
                len => *held[usize::from(*n) % len],
            }
        }
        PrefixPick::Own(n) if !own.is_empty() => own[usize::from(*n) % own.len()],
        PrefixPick::Own(n) => free(cidr, *n, state),
        PrefixPick::AroundHeld(n) => {
            let held: Vec<&Ipv4Addr> = state.held.iter().filter(|a| cidr.contains(*a)).collect();
            match held.len() {
                0 => free(cidr, *n, state),
                len => Ipv4Net::new(*held[usize::from(*n) % len], PREFIX_LEN)
                    .map(|net| net.trunc())
                    .unwrap_or(cidr),
            }
        }
        PrefixPick::Unaligned(n, offset) => {
            let base = free(cidr, *n, state);
            let start = u32::from(base.network()) + u32::from(offset % 15) + 1;
            return format!("{}/{PREFIX_LEN}", Ipv4Addr::from(start));
        }
        PrefixPick::First => block(cidr, 0),
        PrefixPick::Last => block(cidr, u32::MAX),
        PrefixPick::Outside => {
            let start = u32::from(cidr.broadcast()).wrapping_add(1);
            Ipv4Net::new(Ipv4Addr::from(start), PREFIX_LEN).unwrap_or(cidr)
        }
        PrefixPick::OtherVSwitch(n) => {
            let other = other.unwrap_or(cidr);
            usable_blocks(other)
                .nth(usize::from(*n) % 4)
                .unwrap_or_else(|| block(other, 1))
        }
        PrefixPick::Malformed(mangle, n) => return mangle.apply(free(cidr, *n, state)),
    };
    prefix.to_string()
}

impl PrefixMangle {
    fn apply(&self, prefix: Ipv4Net) -> String {
        let address = prefix.network();
        let [a, b, c, d] = address.octets();
        match self {
            PrefixMangle::Slash27 => format!("{address}/27"),
            PrefixMangle::Slash32 => format!("{address}/32"),
            PrefixMangle::NoLength => address.to_string(),
            PrefixMangle::Spaces => format!(" {prefix}"),
            PrefixMangle::LeadingZeros => format!("{a}.{b}.{c}.{d:03}/{PREFIX_LEN}"),
            PrefixMangle::Ipv6 => "fd00::/124".into(),
            PrefixMangle::Empty => String::new(),
        }
    }
}

/// Whether a request names prefixes of either kind.
pub(crate) fn names_prefixes(params: &[(String, super::ops::Val)]) -> bool {
    params
        .iter()
        .any(|(k, _)| k == "Ipv4PrefixCount" || k.starts_with("Ipv4Prefix."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Ipv4Net {
        text.parse().unwrap()
    }

    #[test]
    fn usable_blocks_hold_no_reserved_address() {
        // A /27 has none: both blocks hold a reserved address; a /26 has two.
        assert_eq!(usable_blocks(net("192.168.1.0/27")).count(), 0);
        let blocks: Vec<String> = usable_blocks(net("192.168.2.0/26"))
            .map(|b| b.to_string())
            .collect();
        assert_eq!(blocks, ["192.168.2.16/28", "192.168.2.32/28"]);
        assert_eq!(usable_blocks(net("192.168.0.0/24")).count(), 14);
    }

    #[test]
    fn free_skips_blocks_in_use_and_picks_relative_to_the_state() {
        let state = StateView {
            held: vec!["192.168.0.20".parse().unwrap()],
            held_prefixes: vec![net("192.168.0.32/28")],
            ..StateView::default()
        };
        let cidr = net("192.168.0.0/24");
        assert_eq!(
            resolve(&PrefixPick::Free(0), cidr, None, &[], &state),
            "192.168.0.48/28"
        );
        assert_eq!(
            resolve(&PrefixPick::AroundHeld(0), cidr, None, &[], &state),
            "192.168.0.16/28"
        );
        assert_eq!(
            resolve(&PrefixPick::Held(0), cidr, None, &[], &state),
            "192.168.0.32/28"
        );
        assert_eq!(
            resolve(&PrefixPick::Outside, cidr, None, &[], &state),
            "192.168.1.0/28"
        );
        assert_eq!(
            resolve(&PrefixPick::Last, cidr, None, &[], &state),
            "192.168.0.240/28"
        );
        assert_eq!(
            resolve(&PrefixPick::Unaligned(0, 0), cidr, None, &[], &state),
            "192.168.0.49/28"
        );
    }
}
