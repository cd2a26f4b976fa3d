//! The fuzzer's input language: operations across the ENI lifecycle, decoded with `arbitrary`
//! from seeded bytes. Inputs are structured (enums for actions and error paths, addresses by
//! index into a VSwitch block and near its edges, small bounded counts, ENIs by index into the
//! ENIs created so far), so that a few bytes reach deep states; and every parser edge case users
//! hit has its own variant.

use std::net::Ipv4Addr;
use std::slice;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use ipnet::Ipv4Net;

use super::fixtures::Fixtures;
use super::prefixes::{self, Mix, PrefixPick};

/// Most operations in one generated sequence.
pub const MAX_OPS: usize = 24;
/// Most addresses in one generated list parameter.
const MAX_LIST: usize = 4;
/// An ENI id no target knows.
pub const UNKNOWN_ENI: &str = "eni-bp1fuzzunknown0000001";

/// One operation of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `CreateNetworkInterface`.
    Create {
        /// 0 takes the profile's first VSwitch, anything else its last (the two may be one).
        vswitch: u8,
        /// `PrimaryIpAddress`, or none to let the endpoint pick.
        primary: Option<AddrPick>,
        /// What the new ENI holds beside its primary.
        secondaries: CreateSecondaries,
        /// `ClientToken`, for the idempotency paths.
        token: TokenPick,
    },
    /// `AssignPrivateIpAddresses`.
    Assign {
        /// The ENI the addresses go to.
        eni: EniPick,
        /// What the request asks for: addresses, a count, prefixes, or a mix the contract refuses.
        shape: AssignShape,
        /// `ClientToken`, for the idempotency paths.
        token: TokenPick,
    },
    /// `UnassignPrivateIpAddresses`.
    Unassign {
        /// The ENI the addresses are taken from.
        eni: EniPick,
        /// What the request names: addresses, prefixes, both, or nothing.
        shape: UnassignShape,
    },
    /// `AttachNetworkInterface`.
    Attach {
        /// The ENI to attach.
        eni: EniPick,
        /// Index into the profile's instances (modulo how many there are).
        instance: u8,
    },
    /// `DetachNetworkInterface`.
    Detach {
        /// The ENI to detach.
        eni: EniPick,
        /// Index into the profile's instances (modulo how many there are).
        instance: u8,
    },
    /// `DeleteNetworkInterface`.
    Delete {
        /// The ENI to delete.
        eni: EniPick,
    },
    /// A read: `DescribeNetworkInterfaces` or `DescribeNetworkInterfaceAttribute`.
    Describe {
        /// The ENI to read.
        eni: EniPick,
        /// `DescribeNetworkInterfaces` with `NetworkInterfaceId.1`; else the attribute call.
        list: bool,
    },
    /// A pause, so that transitions (`Attaching`, `Deleting`, ...) can end mid-sequence.
    Wait {
        /// How long, in seconds.
        seconds: u8,
    },
}

/// Which ENI an operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum EniPick {
    /// The n-th ENI created so far (modulo how many there are).
    Created(u8),
    /// The primary ENI of an instance fixture.
    Primary(u8),
    /// An ENI id no endpoint knows (the not-found paths).
    Unknown,
    /// `NetworkInterfaceId=` with an empty value.
    Empty,
    /// No `NetworkInterfaceId` parameter at all.
    Missing,
}

/// An address, picked relative to the fixtures and the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum AddrPick {
    /// Host `n` (modulo the block size) of the chosen VSwitch.
    Host(u16),
    /// An address at or beyond an edge of the chosen VSwitch's block.
    Edge(Edge),
    /// An address some ENI holds now (index into every held address).
    Held(u8),
    /// A secondary address the operation's own ENI holds.
    OwnSecondary(u8),
    /// The operation's own ENI's primary address.
    OwnPrimary,
    /// An address of the other VSwitch.
    OtherVSwitch(u16),
    /// A well-formed address, then mangled.
    Malformed(Mangle, u16),
}

/// An address at or just beyond an edge of a VSwitch's block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Edge {
    /// The network address (reserved).
    Network,
    /// The first address after the network address.
    FirstUsable,
    /// The last address before the three reserved at the top.
    LastUsable,
    /// The three reserved addresses at the top of the block.
    ReservedTop(u8),
    /// One past the broadcast address: outside the block.
    Outside,
    /// One below the network address: outside the block.
    BelowNetwork,
}

/// How a well-formed address is made malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Mangle {
    /// Octets with leading zeros (`10.0.0.005`).
    LeadingZeros,
    /// The IPv4-mapped IPv6 form (`::ffff:10.0.0.5`).
    Ipv6Mapped,
    /// An IPv6 address (`fe80::1`).
    Ipv6,
    /// An empty value.
    Empty,
    /// A fullwidth digit in the last octet: looks like an address, is not ASCII.
    NonAscii,
    /// A leading space.
    Spaces,
    /// An octet of 256.
    Octet256,
    /// Three octets only.
    ThreeParts,
    /// With a `/32` suffix.
    Cidr,
}

/// How `PrivateIpAddress.N` keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum KeyStyle {
    /// `.1`, `.2`, ...: the documented form.
    Plain,
    /// `.1` and `.3`: gaps are allowed.
    Gaps,
    /// The seed's `PrivateIpAddress. 1`.
    SpaceInKey,
    /// `.0` on the first key (the index starts at 1).
    IndexZero,
    /// `.11` on the first key (inside 1..50, past 1..10 of `Ipv4Prefix.N`).
    Index11,
    /// `.51` on the first key (past the list's 1..50).
    Index51,
    /// An index of twenty digits on the first key.
    IndexHuge,
    /// `.-1` on the first key.
    IndexNegative,
    /// `.01` on the first key.
    IndexLeadingZero,
    /// `.x` on the first key.
    IndexText,
    /// A trailing space after the first key.
    TrailingSpace,
    /// The first key written twice.
    RepeatedKey,
    /// `privateipaddress.1`: an unknown parameter, ignored.
    WrongCase,
}

/// A `SecondaryPrivateIpAddressCount` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum CountPick {
    /// 1 to 4 (the byte modulo 4, plus one).
    Small(u8),
    /// `0`.
    Zero,
    /// `-1`.
    Negative,
    /// Twenty digits: past every integer type.
    Huge,
    /// `50`: the top of a count's 1..50.
    Fifty,
    /// `51`: one past a count's 1..50.
    FiftyOne,
    /// `1.5`.
    Fraction,
    /// An empty value.
    Empty,
    /// `abc`.
    Text,
    /// `01`.
    LeadingZero,
    /// ` 1`: a leading space.
    Spaced,
}

/// A request kind of the two Assign accepts, or two together, or neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignShape {
    /// `PrivateIpAddress.N` addresses.
    Addresses {
        /// The addresses, in order.
        addresses: Vec<AddrPick>,
        /// How their keys are written.
        keys: KeyStyle,
    },
    /// `SecondaryPrivateIpAddressCount`.
    Count(CountPick),
    /// The same address twice in one request.
    Duplicate(AddrPick),
    /// Both an address and a count.
    Both(AddrPick, CountPick),
    /// Neither addresses nor a count.
    Neither,
    /// `Ipv4Prefix.N` (contract `current`).
    Prefixes {
        /// The prefixes, in order.
        prefixes: Vec<PrefixPick>,
        /// How their keys are written.
        keys: KeyStyle,
    },
    /// `Ipv4PrefixCount`.
    PrefixCount(CountPick),
    /// The same prefix twice in one request.
    DuplicatePrefix(PrefixPick),
    /// Two request kinds together.
    Mixed(Mix),
}

/// What an Unassign names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnassignShape {
    /// `PrivateIpAddress.N` addresses.
    Addresses {
        /// The addresses, in order.
        addresses: Vec<AddrPick>,
        /// How their keys are written.
        keys: KeyStyle,
    },
    /// The same address twice in one request.
    Duplicate(AddrPick),
    /// No address and no prefix.
    Nothing,
    /// `Ipv4Prefix.N` (contract `current`).
    Prefixes {
        /// The prefixes, in order.
        prefixes: Vec<PrefixPick>,
        /// How their keys are written.
        keys: KeyStyle,
    },
    /// The same prefix twice in one request.
    DuplicatePrefix(PrefixPick),
    /// `PrivateIpAddress.N` and `Ipv4Prefix.N` together.
    Mixed(AddrPick, PrefixPick),
}

/// What a created ENI holds beside its primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateSecondaries {
    /// Nothing but the primary.
    None,
    /// `PrivateIpAddress.N` addresses.
    Addresses(Vec<AddrPick>),
    /// `SecondaryPrivateIpAddressCount`.
    Count(CountPick),
    /// `Ipv4Prefix.N` beside the primary (contract `current`).
    Prefixes(Vec<PrefixPick>),
    /// `Ipv4PrefixCount` beside the primary (contract `current`).
    PrefixCount(CountPick),
    /// Two request kinds together.
    Mixed(Mix),
}

/// Whether a request carries a `ClientToken`, and which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum TokenPick {
    /// No token.
    None,
    /// A token not used before in the sequence.
    Fresh,
    /// The n-th token used before (modulo), or a fresh one if none was.
    Reuse(u8),
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Op> {
        op(u, false)
    }
}

/// One operation; `prefixes`: the contract has IPv4 prefixes, so a sixth of the operations are
/// prefix operations. Without them the bytes decode exactly as they always did.
fn op(u: &mut Unstructured<'_>, prefixes: bool) -> arbitrary::Result<Op> {
    // Weighted: assigns and unassigns are what the harness is about; creates feed them.
    let top = if prefixes { 119 } else { 99 };
    let op = match u.int_in_range(0..=top)? {
        100..=107 => {
            let eni = eni(u)?;
            prefix_assign(u, eni)?
        }
        108..=112 => {
            let eni = eni(u)?;
            Op::Unassign {
                eni,
                shape: match u.int_in_range(0..=9u8)? {
                    0..=6 => UnassignShape::Prefixes {
                        prefixes: prefixes::unassign_list(u)?,
                        keys: keys(u)?,
                    },
                    7 => UnassignShape::DuplicatePrefix(prefixes::pick(u)?),
                    _ => UnassignShape::Mixed(addr(u)?, prefixes::pick(u)?),
                },
            }
        }
        113..=119 => Op::Create {
            vswitch: small_weighted(u)?,
            primary: if u.ratio(1, 4)? { Some(addr(u)?) } else { None },
            secondaries: match u.int_in_range(0..=5u8)? {
                0..=2 => CreateSecondaries::Prefixes(prefixes::list(u)?),
                3..=4 => CreateSecondaries::PrefixCount(count(u)?),
                _ => CreateSecondaries::Mixed(u.arbitrary()?),
            },
            token: token(u)?,
        },
        0..=17 => Op::Create {
            vswitch: small_weighted(u)?,
            primary: if u.ratio(1, 4)? { Some(addr(u)?) } else { None },
            secondaries: match u.int_in_range(0..=5u8)? {
                0..=3 => CreateSecondaries::None,
                4 => CreateSecondaries::Addresses(addr_list(u)?),
                _ => CreateSecondaries::Count(count(u)?),
            },
            token: token(u)?,
        },
        18..=54 => {
            let eni = eni(u)?;
            assign(u, eni)?
        }
        55..=72 => {
            let eni = eni(u)?;
            unassign(u, eni)?
        }
        73..=78 => Op::Attach {
            eni: eni(u)?,
            instance: u.arbitrary()?,
        },
        79..=83 => Op::Detach {
            eni: eni(u)?,
            instance: u.arbitrary()?,
        },
        84..=88 => Op::Delete { eni: eni(u)? },
        89..=95 => Op::Describe {
            eni: eni(u)?,
            list: u.arbitrary()?,
        },
        _ => Op::Wait {
            seconds: u.int_in_range(1..=5u8)?,
        },
    };
    Ok(op)
}

fn prefix_assign(u: &mut Unstructured<'_>, eni: EniPick) -> arbitrary::Result<Op> {
    Ok(Op::Assign {
        eni,
        shape: match u.int_in_range(0..=19u8)? {
            0..=8 => AssignShape::Prefixes {
                prefixes: prefixes::list(u)?,
                keys: keys(u)?,
            },
            9..=14 => AssignShape::PrefixCount(count(u)?),
            15 => AssignShape::DuplicatePrefix(prefixes::pick(u)?),
            _ => AssignShape::Mixed(u.arbitrary()?),
        },
        token: token(u)?,
    })
}

/// An operation on `eni` that starts no transition (an assign, an unassign or a read), for the
/// work done on other ENIs while the sequence's transitions are under way. Half are drawn as a
/// sequence draws those actions (every shape and parser edge case); the other half move
/// addresses — one by count, or one of the ENI's own secondaries back — so that the VSwitch's
/// addresses keep changing hands (where allocation bugs show) instead of the ENI sitting at its
/// cap.
pub fn filler(u: &mut Unstructured<'_>, eni: EniPick) -> arbitrary::Result<Op> {
    if u.arbitrary()? {
        return Ok(if u.arbitrary()? {
            Op::Assign {
                eni,
                shape: AssignShape::Count(CountPick::Small(1)),
                token: TokenPick::None,
            }
        } else {
            Op::Unassign {
                eni,
                shape: UnassignShape::Addresses {
                    addresses: vec![AddrPick::OwnSecondary(u.arbitrary()?)],
                    keys: KeyStyle::Plain,
                },
            }
        });
    }
    match u.int_in_range(0..=61u8)? {
        0..=36 => assign(u, eni),
        37..=54 => unassign(u, eni),
        _ => Ok(Op::Describe {
            eni,
            list: u.arbitrary()?,
        }),
    }
}

fn assign(u: &mut Unstructured<'_>, eni: EniPick) -> arbitrary::Result<Op> {
    Ok(Op::Assign {
        eni,
        shape: match u.int_in_range(0..=19u8)? {
            0..=8 => AssignShape::Addresses {
                addresses: addr_list(u)?,
                keys: keys(u)?,
            },
            9..=16 => AssignShape::Count(count(u)?),
            17 => AssignShape::Duplicate(addr(u)?),
            18 => AssignShape::Both(addr(u)?, count(u)?),
            _ => AssignShape::Neither,
        },
        token: token(u)?,
    })
}

fn unassign(u: &mut Unstructured<'_>, eni: EniPick) -> arbitrary::Result<Op> {
    Ok(Op::Unassign {
        eni,
        shape: match u.int_in_range(0..=9u8)? {
            0..=7 => UnassignShape::Addresses {
                addresses: unassign_list(u)?,
                keys: keys(u)?,
            },
            8 => UnassignShape::Duplicate(addr(u)?),
            _ => UnassignShape::Nothing,
        },
    })
}

/// Mostly 0 (the main VSwitch), sometimes 1 (the small one, for exhaustion).
fn small_weighted(u: &mut Unstructured<'_>) -> arbitrary::Result<u8> {
    Ok(if u.ratio(1, 4)? { 1 } else { 0 })
}

fn eni(u: &mut Unstructured<'_>) -> arbitrary::Result<EniPick> {
    Ok(match u.int_in_range(0..=19u8)? {
        0..=15 => EniPick::Created(u.int_in_range(0..=3)?),
        16 => EniPick::Primary(u.arbitrary()?),
        _ => u.arbitrary()?,
    })
}

fn addr(u: &mut Unstructured<'_>) -> arbitrary::Result<AddrPick> {
    Ok(match u.int_in_range(0..=19u8)? {
        0..=7 => AddrPick::Host(u.int_in_range(1..=40)?),
        8..=9 => AddrPick::Edge(u.arbitrary()?),
        10..=12 => AddrPick::Held(u.arbitrary()?),
        13..=14 => AddrPick::OwnSecondary(u.arbitrary()?),
        15 => AddrPick::OwnPrimary,
        16 => AddrPick::OtherVSwitch(u.arbitrary()?),
        _ => AddrPick::Malformed(u.arbitrary()?, u.int_in_range(1..=40)?),
    })
}

/// Unassigns mostly name what the ENI holds.
fn unassign_list(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<AddrPick>> {
    let n = u.int_in_range(1..=MAX_LIST)?;
    (0..n)
        .map(|_| {
            if u.ratio(2, 3)? {
                Ok(AddrPick::OwnSecondary(u.arbitrary()?))
            } else {
                addr(u)
            }
        })
        .collect()
}

fn addr_list(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<AddrPick>> {
    let n = if u.ratio(2, 3)? {
        1
    } else {
        u.int_in_range(1..=MAX_LIST)?
    };
    (0..n).map(|_| addr(u)).collect()
}

fn keys(u: &mut Unstructured<'_>) -> arbitrary::Result<KeyStyle> {
    Ok(if u.ratio(3, 4)? {
        KeyStyle::Plain
    } else {
        u.arbitrary()?
    })
}

fn count(u: &mut Unstructured<'_>) -> arbitrary::Result<CountPick> {
    Ok(if u.ratio(3, 4)? {
        CountPick::Small(u.int_in_range(1..=4)?)
    } else {
        u.arbitrary()?
    })
}

fn token(u: &mut Unstructured<'_>) -> arbitrary::Result<TokenPick> {
    Ok(if u.ratio(3, 4)? {
        TokenPick::None
    } else {
        u.arbitrary()?
    })
}

/// Decodes one sequence from bytes. Never fails: running out of bytes ends the sequence.
pub fn decode_sequence(bytes: &[u8]) -> Vec<Op> {
    decode_sequence_with(bytes, false)
}

/// The same, with prefix operations among them where the contract has IPv4 prefixes
/// (`prefixes`); without, exactly [`decode_sequence`].
pub fn decode_sequence_with(bytes: &[u8], prefixes: bool) -> Vec<Op> {
    let mut u = Unstructured::new(bytes);
    let len = u.int_in_range(1..=MAX_OPS).unwrap_or(1);
    let mut ops = Vec::with_capacity(len);
    for _ in 0..len {
        match op(&mut u, prefixes) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}

/// A parameter value: text, or the ENI behind a handle (whose id differs per endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// Literal text, sent as it is.
    Text(String),
    /// The ENI created at this handle (its index in creation order), by the id the endpoint gave it.
    Eni(usize),
}

/// One operation made concrete against the state: what to send, or how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    /// A request: the action and its parameters in order.
    Send {
        /// The action's name.
        action: &'static str,
        /// The parameters in the order they are sent; a key may repeat.
        params: Vec<(String, Val)>,
    },
    /// A pause before the next operation.
    Wait(Duration),
}

/// What rendering needs to know about the state of the run: the addresses held now, per ENI.
#[derive(Debug, Clone, Default)]
pub struct StateView {
    /// Handle → (primary, secondaries) on the reference, for handles that exist there.
    pub handles: Vec<Option<(Ipv4Addr, Vec<Ipv4Addr>)>>,
    /// Fixture primary ENI id → (primary, secondaries).
    pub primaries: Vec<(String, Ipv4Addr, Vec<Ipv4Addr>)>,
    /// Every address held in any fixture VSwitch.
    pub held: Vec<Ipv4Addr>,
    /// Handle → its prefixes on the reference (parallel to `handles`).
    pub handle_prefixes: Vec<Vec<Ipv4Net>>,
    /// Fixture primary ENI id → its prefixes.
    pub primary_prefixes: Vec<(String, Vec<Ipv4Net>)>,
    /// Every prefix held in any fixture VSwitch.
    pub held_prefixes: Vec<Ipv4Net>,
    /// Tokens used so far in the sequence.
    pub tokens: usize,
}

/// Which ENI an operation names, resolved.
enum Named {
    Handle(usize),
    Fixture(String),
    Literal(&'static str),
    Missing,
}

impl Named {
    /// The ENI `pick` stands for: a handle while the sequence has created ENIs, else a fixture
    /// primary ENI, else an id no endpoint knows.
    fn of(pick: &EniPick, fixtures: &Fixtures, state: &StateView) -> Named {
        let handles = state.handles.len();
        match pick {
            EniPick::Created(_) | EniPick::Primary(_)
                if handles == 0 && fixtures.instances.is_empty() =>
            {
                Named::Literal(UNKNOWN_ENI)
            }
            EniPick::Created(i) if handles > 0 => Named::Handle(*i as usize % handles),
            EniPick::Created(i) | EniPick::Primary(i) => {
                let with_eni: Vec<&String> = fixtures
                    .instances
                    .iter()
                    .filter_map(|instance| instance.primary_eni.as_ref())
                    .collect();
                match with_eni.len() {
                    0 => Named::Literal(UNKNOWN_ENI),
                    n => Named::Fixture(with_eni[*i as usize % n].clone()),
                }
            }
            EniPick::Unknown => Named::Literal(UNKNOWN_ENI),
            EniPick::Empty => Named::Literal(""),
            EniPick::Missing => Named::Missing,
        }
    }

    /// The ENI's primary and secondary addresses, where the state knows them.
    fn own_addresses(&self, state: &StateView) -> Option<(Ipv4Addr, Vec<Ipv4Addr>)> {
        match self {
            Named::Handle(h) => state.handles.get(*h).cloned().flatten(),
            Named::Fixture(id) => state
                .primaries
                .iter()
                .find(|(eni, ..)| eni == id)
                .map(|(_, p, s)| (*p, s.clone())),
            _ => None,
        }
    }

    /// The ENI's prefixes, where the state knows them.
    fn own_prefixes(&self, state: &StateView) -> Vec<Ipv4Net> {
        match self {
            Named::Handle(h) => state.handle_prefixes.get(*h).cloned().unwrap_or_default(),
            Named::Fixture(id) => state
                .primary_prefixes
                .iter()
                .find(|(eni, _)| eni == id)
                .map(|(_, p)| p.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Writes the `NetworkInterfaceId` parameter, unless the pick is to leave it out.
    fn push_param(&self, params: &mut Vec<(String, Val)>) {
        let value = match self {
            Named::Handle(h) => Val::Eni(*h),
            Named::Fixture(id) => Val::Text(id.clone()),
            Named::Literal(text) => Val::Text((*text).into()),
            Named::Missing => return,
        };
        params.push(("NetworkInterfaceId".into(), value));
    }
}

/// A request being written: its parameters so far, and what its address and prefix picks
/// resolve against (the VSwitch it works in, the other one, and its ENI's own addresses and
/// prefixes).
struct Request<'a> {
    params: Vec<(String, Val)>,
    cidr: Ipv4Net,
    other: Option<Ipv4Net>,
    own: Option<(Ipv4Addr, Vec<Ipv4Addr>)>,
    own_prefixes: Vec<Ipv4Net>,
    state: &'a StateView,
}

impl<'a> Request<'a> {
    /// A request that creates an ENI in `vswitch`: no ENI of its own yet, so picks of its own
    /// addresses fall back to hosts of the block.
    fn creating(vswitch: Ipv4Net, other: Option<Ipv4Net>, state: &'a StateView) -> Request<'a> {
        Request {
            params: Vec::new(),
            cidr: vswitch,
            other,
            own: None,
            own_prefixes: Vec::new(),
            state,
        }
    }

    /// A request on the ENI `pick` names, working in the VSwitch that holds its primary (the main
    /// one for an ENI the state does not know), its `NetworkInterfaceId` written first.
    fn on_eni(pick: &EniPick, fixtures: &Fixtures, state: &'a StateView) -> Request<'a> {
        let named = Named::of(pick, fixtures, state);
        let own = named.own_addresses(state);
        let (vswitch, other) =
            fixtures.vswitch_containing(own.as_ref().map(|(primary, _)| *primary));
        let mut params = Vec::new();
        named.push_param(&mut params);
        Request {
            params,
            cidr: vswitch.cidr,
            other,
            own,
            own_prefixes: named.own_prefixes(state),
            state,
        }
    }

    /// The address a pick stands for, as text.
    fn address(&self, pick: &AddrPick) -> String {
        resolve_addr(pick, self.cidr, self.other, self.own.as_ref(), self.state)
    }

    /// The prefix a pick stands for, as text.
    fn prefix(&self, pick: &PrefixPick) -> String {
        prefixes::resolve(pick, self.cidr, self.other, &self.own_prefixes, self.state)
    }

    fn push_text(&mut self, key: &str, value: String) {
        self.params.push((key.to_string(), Val::Text(value)));
    }

    /// `PrivateIpAddress.N` keys in the given style.
    fn push_addresses(&mut self, picks: &[AddrPick], keys: KeyStyle) {
        let values: Vec<String> = picks.iter().map(|pick| self.address(pick)).collect();
        list_params(&mut self.params, &values, keys);
    }

    /// `Ipv4Prefix.N` keys in the given style.
    fn push_prefixes(&mut self, picks: &[PrefixPick], keys: KeyStyle) {
        let values: Vec<String> = picks.iter().map(|pick| self.prefix(pick)).collect();
        named_list_params(&mut self.params, "Ipv4Prefix", &values, keys);
    }

    /// The same address as `PrivateIpAddress.1` and `PrivateIpAddress.2`.
    fn push_duplicate_address(&mut self, pick: &AddrPick) {
        let value = self.address(pick);
        list_params(&mut self.params, &[value.clone(), value], KeyStyle::Plain);
    }

    /// The same prefix as `Ipv4Prefix.1` and `Ipv4Prefix.2`.
    fn push_duplicate_prefix(&mut self, pick: &PrefixPick) {
        let value = self.prefix(pick);
        named_list_params(
            &mut self.params,
            "Ipv4Prefix",
            &[value.clone(), value],
            KeyStyle::Plain,
        );
    }

    fn push_address_count(&mut self, count: &CountPick) {
        self.push_text("SecondaryPrivateIpAddressCount", count.text());
    }

    fn push_prefix_count(&mut self, count: &CountPick) {
        self.push_text("Ipv4PrefixCount", count.text());
    }

    /// Two request kinds together.
    fn push_mix(&mut self, mix: &Mix) {
        match mix {
            Mix::AddressAndPrefix(a, p) => {
                self.push_addresses(slice::from_ref(a), KeyStyle::Plain);
                self.push_prefixes(slice::from_ref(p), KeyStyle::Plain);
            }
            Mix::AddressAndPrefixCount(a, c) => {
                self.push_addresses(slice::from_ref(a), KeyStyle::Plain);
                self.push_prefix_count(c);
            }
            Mix::CountAndPrefix(c, p) => {
                self.push_address_count(c);
                self.push_prefixes(slice::from_ref(p), KeyStyle::Plain);
            }
            Mix::CountAndPrefixCount(c, d) => {
                self.push_address_count(c);
                self.push_prefix_count(d);
            }
            Mix::BothPrefixKinds(p, c) => {
                self.push_prefixes(slice::from_ref(p), KeyStyle::Plain);
                self.push_prefix_count(c);
            }
        }
    }
}

impl Op {
    /// Whether the operation may change addresses or ENIs.
    pub fn is_mutating(&self) -> bool {
        !matches!(self, Op::Describe { .. } | Op::Wait { .. })
    }

    /// Makes the operation concrete. `handles` is how many ENIs were created so far.
    pub fn render(&self, fixtures: &Fixtures, state: &StateView) -> Rendered {
        let mut tokens = state.tokens;
        let mut token_param = |params: &mut Vec<(String, Val)>, pick: &TokenPick| {
            let n = match pick {
                TokenPick::None => return,
                TokenPick::Reuse(i) if tokens > 0 => *i as usize % tokens,
                TokenPick::Fresh | TokenPick::Reuse(_) => {
                    tokens += 1;
                    tokens - 1
                }
            };
            params.push(("ClientToken".into(), Val::Text(format!("fuzz-token-{n}"))));
        };
        match self {
            Op::Create {
                vswitch,
                primary,
                secondaries,
                token,
            } => {
                let (vswitch, other) = fixtures.pick_vswitch(*vswitch);
                let mut request = Request::creating(vswitch.cidr, other, state);
                request.push_text("VSwitchId", vswitch.id.clone());
                if let Some(sg) = &fixtures.security_group {
                    request.push_text("SecurityGroupId", sg.id.clone());
                }
                if let Some(pick) = primary {
                    let address = request.address(pick);
                    request.push_text("PrimaryIpAddress", address);
                }
                match secondaries {
                    CreateSecondaries::None => {}
                    CreateSecondaries::Addresses(list) => {
                        request.push_addresses(list, KeyStyle::Plain)
                    }
                    CreateSecondaries::Count(count) => request.push_address_count(count),
                    CreateSecondaries::Prefixes(list) => {
                        request.push_prefixes(list, KeyStyle::Plain)
                    }
                    CreateSecondaries::PrefixCount(count) => request.push_prefix_count(count),
                    CreateSecondaries::Mixed(mix) => request.push_mix(mix),
                }
                token_param(&mut request.params, token);
                Rendered::Send {
                    action: "CreateNetworkInterface",
                    params: request.params,
                }
            }
            Op::Assign { eni, shape, token } => {
                let mut request = Request::on_eni(eni, fixtures, state);
                match shape {
                    AssignShape::Addresses { addresses, keys } => {
                        request.push_addresses(addresses, *keys)
                    }
                    AssignShape::Count(count) => request.push_address_count(count),
                    AssignShape::Duplicate(pick) => request.push_duplicate_address(pick),
                    AssignShape::Both(pick, count) => {
                        request.push_addresses(slice::from_ref(pick), KeyStyle::Plain);
                        request.push_address_count(count);
                    }
                    AssignShape::Neither => {}
                    AssignShape::Prefixes { prefixes, keys } => {
                        request.push_prefixes(prefixes, *keys)
                    }
                    AssignShape::PrefixCount(count) => request.push_prefix_count(count),
                    AssignShape::DuplicatePrefix(pick) => request.push_duplicate_prefix(pick),
                    AssignShape::Mixed(mix) => request.push_mix(mix),
                }
                token_param(&mut request.params, token);
                Rendered::Send {
                    action: "AssignPrivateIpAddresses",
                    params: request.params,
                }
            }
            Op::Unassign { eni, shape } => {
                let mut request = Request::on_eni(eni, fixtures, state);
                match shape {
                    UnassignShape::Addresses { addresses, keys } => {
                        request.push_addresses(addresses, *keys)
                    }
                    UnassignShape::Duplicate(pick) => request.push_duplicate_address(pick),
                    UnassignShape::Nothing => {}
                    UnassignShape::Prefixes { prefixes, keys } => {
                        request.push_prefixes(prefixes, *keys)
                    }
                    UnassignShape::DuplicatePrefix(pick) => request.push_duplicate_prefix(pick),
                    UnassignShape::Mixed(address, pick) => {
                        request.push_addresses(slice::from_ref(address), KeyStyle::Plain);
                        request.push_prefixes(slice::from_ref(pick), KeyStyle::Plain);
                    }
                }
                Rendered::Send {
                    action: "UnassignPrivateIpAddresses",
                    params: request.params,
                }
            }
            Op::Attach { eni, instance } | Op::Detach { eni, instance } => {
                let named = Named::of(eni, fixtures, state);
                let mut params = Vec::new();
                named.push_param(&mut params);
                match fixtures.instances.len() {
                    0 => params.push((
                        "InstanceId".into(),
                        Val::Text("i-bp1fuzzunknown000000001".into()),
                    )),
                    n => params.push((
                        "InstanceId".into(),
                        Val::Text(fixtures.instances[*instance as usize % n].id.clone()),
                    )),
                }
                let action = if matches!(self, Op::Attach { .. }) {
                    "AttachNetworkInterface"
                } else {
                    "DetachNetworkInterface"
                };
                Rendered::Send { action, params }
            }
            Op::Delete { eni } => {
                let mut params = Vec::new();
                Named::of(eni, fixtures, state).push_param(&mut params);
                Rendered::Send {
                    action: "DeleteNetworkInterface",
                    params,
                }
            }
            Op::Describe { eni, list } => {
                let named = Named::of(eni, fixtures, state);
                if *list {
                    let mut params = Vec::new();
                    named.push_param(&mut params);
                    if let Some((_, value)) = params.pop() {
                        params.push(("NetworkInterfaceId.1".into(), value));
                    }
                    Rendered::Send {
                        action: "DescribeNetworkInterfaces",
                        params,
                    }
                } else {
                    let mut params = Vec::new();
                    named.push_param(&mut params);
                    Rendered::Send {
                        action: "DescribeNetworkInterfaceAttribute",
                        params,
                    }
                }
            }
            Op::Wait { seconds } => Rendered::Wait(Duration::from_secs(u64::from(*seconds))),
        }
    }

    /// Simpler variants of this operation, tried in order while shrinking.
    pub fn simplifications(&self) -> Vec<Op> {
        let mut out = Vec::new();
        match self {
            Op::Create {
                vswitch,
                primary,
                secondaries,
                token,
            } => {
                if *token != TokenPick::None {
                    out.push(Op::Create {
                        vswitch: *vswitch,
                        primary: *primary,
                        secondaries: secondaries.clone(),
                        token: TokenPick::None,
                    });
                }
                if *secondaries != CreateSecondaries::None {
                    out.push(Op::Create {
                        vswitch: *vswitch,
                        primary: *primary,
                        secondaries: CreateSecondaries::None,
                        token: *token,
                    });
                }
                if primary.is_some() {
                    out.push(Op::Create {
                        vswitch: *vswitch,
                        primary: None,
                        secondaries: secondaries.clone(),
                        token: *token,
                    });
                }
            }
            Op::Assign { eni, shape, token } => {
                if *token != TokenPick::None {
                    out.push(Op::Assign {
                        eni: *eni,
                        shape: shape.clone(),
                        token: TokenPick::None,
                    });
                }
                out.extend(shape.simplifications().into_iter().map(|shape| Op::Assign {
                    eni: *eni,
                    shape,
                    token: *token,
                }));
            }
            Op::Unassign { eni, shape } => {
                out.extend(
                    shape
                        .simplifications()
                        .into_iter()
                        .map(|shape| Op::Unassign { eni: *eni, shape }),
                );
            }
            _ => {}
        }
        out
    }
}

impl AssignShape {
    /// Simpler shapes, tried in order while shrinking.
    fn simplifications(&self) -> Vec<AssignShape> {
        match self {
            AssignShape::Addresses { addresses, keys } => {
                simpler_lists(addresses, *keys, |addresses, keys| AssignShape::Addresses {
                    addresses,
                    keys,
                })
            }
            AssignShape::Prefixes { prefixes, keys } => {
                simpler_lists(prefixes, *keys, |prefixes, keys| AssignShape::Prefixes {
                    prefixes,
                    keys,
                })
            }
            AssignShape::Count(CountPick::Small(n)) if *n > 1 => {
                vec![AssignShape::Count(CountPick::Small(1))]
            }
            _ => Vec::new(),
        }
    }
}

impl UnassignShape {
    /// Simpler shapes, tried in order while shrinking.
    fn simplifications(&self) -> Vec<UnassignShape> {
        match self {
            UnassignShape::Addresses { addresses, keys } => {
                simpler_lists(addresses, *keys, |addresses, keys| {
                    UnassignShape::Addresses { addresses, keys }
                })
            }
            UnassignShape::Prefixes { prefixes, keys } => {
                simpler_lists(prefixes, *keys, |prefixes, keys| UnassignShape::Prefixes {
                    prefixes,
                    keys,
                })
            }
            _ => Vec::new(),
        }
    }
}

/// Simpler lists of addresses or prefixes, each made a shape by `shape`: plain keys, then one
/// item fewer.
fn simpler_lists<T: Clone, S>(
    items: &[T],
    keys: KeyStyle,
    shape: impl Fn(Vec<T>, KeyStyle) -> S,
) -> Vec<S> {
    let mut out = Vec::new();
    if keys != KeyStyle::Plain {
        out.push(shape(items.to_vec(), KeyStyle::Plain));
    }
    if items.len() > 1 {
        for i in 0..items.len() {
            let mut fewer = items.to_vec();
            fewer.remove(i);
            out.push(shape(fewer, keys));
        }
    }
    out
}

impl CountPick {
    /// The value as sent: the text `SecondaryPrivateIpAddressCount` or a prefix count carries.
    pub fn text(&self) -> String {
        match self {
            CountPick::Small(n) => (n % 4 + 1).to_string(),
            CountPick::Zero => "0".into(),
            CountPick::Negative => "-1".into(),
            CountPick::Huge => "99999999999999999999".into(),
            CountPick::Fifty => "50".into(),
            CountPick::FiftyOne => "51".into(),
            CountPick::Fraction => "1.5".into(),
            CountPick::Empty => String::new(),
            CountPick::Text => "abc".into(),
            CountPick::LeadingZero => "01".into(),
            CountPick::Spaced => " 1".into(),
        }
    }
}

/// Writes addresses as `PrivateIpAddress.N` keys in the given style.
fn list_params(params: &mut Vec<(String, Val)>, values: &[String], style: KeyStyle) {
    named_list_params(params, "PrivateIpAddress", values, style);
}

/// Writes values as `NAME.N` keys in the given style.
fn named_list_params(
    params: &mut Vec<(String, Val)>,
    name: &str,
    values: &[String],
    style: KeyStyle,
) {
    for (i, value) in values.iter().enumerate() {
        let n = i + 1;
        let key = match (style, i) {
            (KeyStyle::Plain | KeyStyle::RepeatedKey, _) => format!("{name}.{n}"),
            (KeyStyle::Gaps, _) => format!("{name}.{}", 2 * n - 1),
            (KeyStyle::SpaceInKey, 0) => format!("{name}. {n}"),
            (KeyStyle::IndexZero, 0) => format!("{name}.0"),
            (KeyStyle::Index11, 0) => format!("{name}.11"),
            (KeyStyle::Index51, 0) => format!("{name}.51"),
            (KeyStyle::IndexHuge, 0) => format!("{name}.99999999999999999999"),
            (KeyStyle::IndexNegative, 0) => format!("{name}.-1"),
            (KeyStyle::IndexLeadingZero, 0) => format!("{name}.0{n}"),
            (KeyStyle::IndexText, 0) => format!("{name}.x"),
            (KeyStyle::TrailingSpace, 0) => format!("{name}.{n} "),
            (KeyStyle::WrongCase, 0) => format!("{}.{n}", name.to_ascii_lowercase()),
            _ => format!("{name}.{n}"),
        };
        params.push((key, Val::Text(value.clone())));
    }
    if style == KeyStyle::RepeatedKey
        && let Some(first) = values.first()
    {
        params.push((format!("{name}.1"), Val::Text(first.clone())));
    }
}

/// The address a pick stands for, as text.
fn resolve_addr(
    pick: &AddrPick,
    cidr: Ipv4Net,
    other: Option<Ipv4Net>,
    own: Option<&(Ipv4Addr, Vec<Ipv4Addr>)>,
    state: &StateView,
) -> String {
    let host = |cidr: Ipv4Net, n: u16| -> Ipv4Addr {
        let size = 1u32 << (32 - u32::from(cidr.prefix_len()));
        Ipv4Addr::from(u32::from(cidr.network()) + u32::from(n) % size)
    };
    let broadcast = u32::from(cidr.broadcast());
    let address = match pick {
        AddrPick::Host(n) => host(cidr, *n),
        AddrPick::Edge(edge) => match edge {
            Edge::Network => cidr.network(),
            Edge::FirstUsable => Ipv4Addr::from(u32::from(cidr.network()) + 1),
            Edge::LastUsable => Ipv4Addr::from(broadcast - 3),
            Edge::ReservedTop(i) => Ipv4Addr::from(broadcast - u32::from(i % 3)),
            Edge::Outside => Ipv4Addr::from(broadcast.wrapping_add(1)),
            Edge::BelowNetwork => Ipv4Addr::from(u32::from(cidr.network()).wrapping_sub(1)),
        },
        AddrPick::Held(i) if !state.held.is_empty() => state.held[*i as usize % state.held.len()],
        AddrPick::OwnSecondary(i) => match own {
            Some((_, secondaries)) if !secondaries.is_empty() => {
                secondaries[*i as usize % secondaries.len()]
            }
            Some((primary, _)) => *primary,
            None => host(cidr, u16::from(*i) + 1),
        },
        AddrPick::OwnPrimary => match own {
            Some((primary, _)) => *primary,
            None => host(cidr, 1),
        },
        AddrPick::OtherVSwitch(n) => host(other.unwrap_or(cidr), *n % 64 + 1),
        AddrPick::Held(i) => host(cidr, u16::from(*i) + 1),
        AddrPick::Malformed(mangle, n) => return mangle.apply(host(cidr, *n)),
    };
    address.to_string()
}

impl Mangle {
    fn apply(&self, address: Ipv4Addr) -> String {
        let [a, b, c, d] = address.octets();
        match self {
            Mangle::LeadingZeros => format!("{a}.{b}.{c}.{d:03}"),
            Mangle::Ipv6Mapped => format!("::ffff:{address}"),
            Mangle::Ipv6 => "fe80::1".into(),
            Mangle::Empty => String::new(),
            // A fullwidth digit: looks like an address, is not ASCII.
            Mangle::NonAscii => format!("{a}.{b}.{c}.\u{ff11}"),
            Mangle::Spaces => format!(" {address}"),
            Mangle::Octet256 => format!("{a}.{b}.{c}.256"),
            Mangle::ThreeParts => format!("{a}.{b}.{c}"),
            Mangle::Cidr => format!("{address}/32"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_deterministic_and_bounded() {
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let a = decode_sequence(&bytes);
        assert_eq!(a, decode_sequence(&bytes));
        assert!(!a.is_empty() && a.len() <= MAX_OPS);
        assert_eq!(decode_sequence(&[]).len(), 1);
    }

    #[test]
    fn key_styles_cover_the_seed_edge_cases() {
        let mut params = Vec::new();
        list_params(&mut params, &["10.0.0.5".into()], KeyStyle::SpaceInKey);
        assert_eq!(params[0].0, "PrivateIpAddress. 1");
        let mut params = Vec::new();
        list_params(
            &mut params,
            &["10.0.0.5".into(), "10.0.0.6".into()],
            KeyStyle::RepeatedKey,
        );
        assert_eq!(
            params
                .iter()
                .filter(|(key, _)| key == "PrivateIpAddress.1")
                .count(),
            2
        );
    }
}
