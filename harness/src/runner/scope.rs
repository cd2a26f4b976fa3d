//! Evaluating `${...}` templates: captured variables, fixtures of the profile with their address
//! helpers (`host(N)`, `network`, `last_usable`, …), addresses and IPv4 prefixes picked free at
//! run time (`free(N)`, `free_count`, `free_prefix(N)`) and built-ins (`region`, `unique`,
//! `limits`).
//!
//! A case never assumes an address is free (other ENIs may hold any address of a VSwitch at any
//! time): `free(N)` picks, when the step runs, an address the state the case has just read shows
//! free, and a fixed address (`host(N)`, `first_usable`, …) is checked free before it is first
//! used. An address the endpoint holds makes the case SKIP with the reason, never FAIL.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use eni_spec::{Expr, Part, Template};
use ipnet::Ipv4Net;

use crate::checks::observe::Observation;
use crate::profile::{Fixture, Profile};
use crate::redact::Redactor;

/// Variables and fixtures visible to one case run.
#[derive(Debug)]
pub(crate) struct Scope<'a> {
    profile: &'a Profile,
    vars: BTreeMap<String, String>,
    unique: String,
    /// Addresses held by any ENI, per VSwitch id, in the state the case read last.
    held: BTreeMap<String, BTreeSet<Ipv4Addr>>,
    /// `free(N)` handles bound so far: (fixture, N) → the address picked for it.
    free: BTreeMap<(String, i64), Ipv4Addr>,
    /// `free_prefix(N)` handles bound so far: (fixture, N) → the aligned /28 picked for it.
    free_prefixes: BTreeMap<(String, i64), Ipv4Net>,
    /// Every address of a VSwitch block the case has named so far (fixed or picked): `free(N)`
    /// never picks one of them, and a fixed one is checked free only the first time.
    named: BTreeSet<Ipv4Addr>,
    /// Spreads the picks of different cases over the block, so that cases sharing a VSwitch
    /// rarely reach for the same address.
    seed: u64,
}

/// A template that cannot be evaluated, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EvalError {
    pub span: eni_spec::Span,
    pub message: String,
    /// Whether the case is wrong for this profile (a failure), or the target's state does not
    /// allow it to run (a skip: an address it needs is held, no address is free).
    pub kind: EvalErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EvalErrorKind {
    /// The case file or the profile is at fault: the case fails.
    Invalid,
    /// The target cannot give the case what it needs right now: the case is skipped.
    Unavailable,
}

/// Why an expression has no value: the case is wrong for the profile, or the target's state
/// cannot give it what it needs now.
#[derive(Debug, thiserror::Error)]
enum ExprError {
    #[error(transparent)]
    Invalid(#[from] InvalidExpr),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// An expression the case file or the profile gets wrong: the case fails, naming it.
#[derive(Debug, thiserror::Error)]
enum InvalidExpr {
    #[error("`{root}` is a captured value and has no members")]
    CapturedValueMember { root: String },
    #[error("`limits` has members `available_cap` and `max_list_index`")]
    LimitsMember,
    #[error("`{root}` is neither a captured value nor a fixture of profile `{profile}`")]
    UnknownName { root: String, profile: String },
    #[error("`host` takes the host number: `host(10)`, or `host(-1)` for the last address")]
    HostWithoutNumber,
    #[error("VSwitch fixture `{root}` has no member `{member}`{members}", members = vswitch_members())]
    NoVSwitchMember { root: String, member: String },
    #[error("the profile does not know instance type {instance_type}")]
    UnknownInstanceType { instance_type: String },
    #[error(
        "fixture `{root}` has no `{member}`: the profile names none and the endpoint showed none"
    )]
    NoPrimary { root: String, member: &'static str },
    #[error("`{root}` is a fixture: name a member, e.g. `${{{root}.id}}`")]
    FixtureWithoutMember { root: String },
    #[error("fixture `{root}` has no member `{member}`")]
    NoMember { root: String, member: String },
    #[error(
        "`free` takes a handle number from 1: `free(1)` is one free address, `free(2)` another; the same handle names the same address for the whole case"
    )]
    FreeWithoutHandle,
    #[error(
        "`free_prefix` takes a handle number from 1: `free_prefix(1)` is one free aligned /28, `free_prefix(2)` another"
    )]
    FreePrefixWithoutHandle,
    #[error(
        "`{expression}`: an offset on `free_prefix` names an address of the block, from `+1` to `+15`"
    )]
    FreePrefixOffset { expression: String },
    #[error(transparent)]
    Offset(#[from] OffsetError),
}

/// An offset (`+N`, `-N`) that has no result.
#[derive(Debug, thiserror::Error)]
enum OffsetError {
    #[error("cannot add {offset} to `{value}`: it is neither a number nor an IPv4 address")]
    NotANumberOrAddress { value: String, offset: i64 },
    #[error("the number overflows")]
    NumberOverflows,
    #[error("the address falls outside 0.0.0.0–255.255.255.255")]
    AddressOutOfRange,
}

/// What the target's state cannot give the case right now: the case is skipped, saying why.
#[derive(Debug, thiserror::Error)]
enum Unavailable {
    #[error("VSwitch `{root}` ({id}, {cidr}) has no free address left for `{expression}`")]
    NoFreeAddress {
        root: String,
        id: String,
        cidr: Ipv4Net,
        expression: String,
    },
    #[error("VSwitch `{root}` ({id}, {cidr}) has no free aligned /28 left for `{expression}`")]
    NoFreePrefix {
        root: String,
        id: String,
        cidr: Ipv4Net,
        expression: String,
    },
    #[error(
        "the case needs {ip} (`{expression}`) free, but the endpoint already holds it in VSwitch `{root}` ({id}); write `free(N)` where any free address will do"
    )]
    AddressHeld {
        ip: Ipv4Addr,
        expression: String,
        root: String,
        id: String,
    },
    /// A fixture's primary ENI or address the profile names none of and the endpoint has not
    /// shown yet.
    #[error(transparent)]
    PrimaryUnknown(InvalidExpr),
}

impl<'a> Scope<'a> {
    /// `case_id` seeds where `free(N)` starts looking, so a case picks the same addresses on
    /// the same state every run.
    pub(crate) fn new(profile: &'a Profile, unique: String, case_id: &str) -> Scope<'a> {
        let seed = fnv1a(case_id.as_bytes());
        Scope {
            profile,
            vars: BTreeMap::new(),
            unique,
            held: BTreeMap::new(),
            free: BTreeMap::new(),
            free_prefixes: BTreeMap::new(),
            named: BTreeSet::new(),
            seed,
        }
    }

    /// Takes in the state just read: which addresses of each VSwitch are held, by any ENI.
    pub(crate) fn observed(&mut self, observation: &Observation) {
        self.held.clear();
        for eni in observation.enis.values() {
            let held = self.held.entry(eni.vswitch_id.clone()).or_default();
            let addresses = eni.primary.iter().chain(eni.secondaries.iter());
            held.extend(addresses.filter_map(|address| address.parse::<Ipv4Addr>().ok()));
            // Every address of a prefix is in use: `free(N)` must not pick inside one.
            for prefix in eni
                .prefixes
                .iter()
                .filter_map(|p| p.parse::<Ipv4Net>().ok())
            {
                held.extend(block_addresses(prefix.trunc()));
            }
        }
    }

    /// Whether evaluating `template` now needs the VSwitches' current state: it picks a new
    /// free address, counts free addresses, or names a fixed address not yet checked free.
    pub(crate) fn needs_state(&self, template: &Template) -> bool {
        template.exprs().any(|expr| {
            let Some(Fixture::VSwitch { cidr, .. }) = self.vswitch_fixture(expr) else {
                return false;
            };
            match expr.member.as_ref().map(|member| member.name.as_str()) {
                Some("free") => {
                    let n = expr.member.as_ref().and_then(|member| member.arg);
                    !self.free.contains_key(&(expr.root.clone(), n.unwrap_or(0)))
                }
                Some("free_count") => true,
                Some("free_prefix") => {
                    let n = expr.member.as_ref().and_then(|member| member.arg);
                    !self
                        .free_prefixes
                        .contains_key(&(expr.root.clone(), n.unwrap_or(0)))
                }
                _ => self
                    .eval_expr(expr)
                    .ok()
                    .and_then(|value| value.parse::<Ipv4Addr>().ok())
                    .is_some_and(|ip| is_usable(*cidr, ip) && !self.named.contains(&ip)),
            }
        })
    }

    /// Whether every value `template` needs is at hand without a new pick: used to leave out
    /// teardown steps that would name an address the case never took.
    pub(crate) fn is_bound(&self, template: &Template) -> bool {
        template.exprs().all(|expr| {
            let member = expr.member.as_ref();
            if self.vswitch_fixture(expr).is_some()
                && member.is_some_and(|member| member.name == "free")
            {
                let n = member.and_then(|member| member.arg).unwrap_or(0);
                return self.free.contains_key(&(expr.root.clone(), n));
            }
            if self.vswitch_fixture(expr).is_some()
                && member.is_some_and(|member| member.name == "free_prefix")
            {
                let n = member.and_then(|member| member.arg).unwrap_or(0);
                return self.free_prefixes.contains_key(&(expr.root.clone(), n));
            }
            true
        })
    }

    /// An instance's primary ENI or address that neither the profile names nor the endpoint
    /// showed: the case cannot run here, but it is not wrong.
    fn is_unknown_primary(&self, expr: &Expr) -> bool {
        let member = expr.member.as_ref().map(|member| member.name.as_str());
        match (self.profile.fixtures.get(&expr.root), member) {
            (Some(Fixture::Instance(instance)), Some("primary_ip")) => {
                instance.primary_ip.is_none()
            }
            (Some(Fixture::Instance(instance)), Some("primary_eni")) => {
                instance.primary_eni.is_none()
            }
            _ => false,
        }
    }

    fn vswitch_fixture(&self, expr: &Expr) -> Option<&'a Fixture> {
        if self.vars.contains_key(&expr.root) {
            return None;
        }
        let profile: &'a Profile = self.profile;
        profile
            .fixtures
            .get(&expr.root)
            .filter(|fixture| matches!(fixture, Fixture::VSwitch { .. }))
    }

    pub(crate) fn set(&mut self, name: &str, value: String) {
        self.vars.insert(name.to_string(), value);
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Evaluates a template. Target-specific values an expression produced are given the
    /// expression's name in the redactor, so that snapshots read `<vswitch.host(10)>`.
    pub(crate) fn eval(
        &mut self,
        template: &Template,
        redactor: &mut Redactor,
    ) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in &template.parts {
            match part {
                Part::Lit(text) => out.push_str(text),
                Part::Expr(expr) => {
                    let value = self.eval_address_aware(expr).map_err(|error| {
                        let kind = match error {
                            ExprError::Invalid(_) => EvalErrorKind::Invalid,
                            ExprError::Unavailable(_) => EvalErrorKind::Unavailable,
                        };
                        EvalError {
                            span: expr.span,
                            message: error.to_string(),
                            kind,
                        }
                    })?;
                    redactor.name_value(&value, &expression_text(expr));
                    out.push_str(&value);
                }
            }
        }
        Ok(out)
    }

    /// An expression's value, with the VSwitch state taken into account: `free(N)` picks (once
    /// per case), `free_count` counts, and a fixed usable address is checked free the first
    /// time the case names it.
    fn eval_address_aware(&mut self, expr: &Expr) -> Result<String, ExprError> {
        let Some(Fixture::VSwitch { id, cidr, .. }) = self.vswitch_fixture(expr) else {
            return self.eval_expr(expr).map_err(|error| {
                if self.is_unknown_primary(expr) {
                    ExprError::Unavailable(Unavailable::PrimaryUnknown(error))
                } else {
                    ExprError::Invalid(error)
                }
            });
        };
        let member = expr.member.as_ref();
        match member.map(|member| member.name.as_str()) {
            Some("free") => {
                let n = match member.and_then(|member| member.arg) {
                    Some(n) if n >= 1 => n,
                    _ => {
                        return Err(InvalidExpr::FreeWithoutHandle.into());
                    }
                };
                let key = (expr.root.clone(), n);
                let ip = match self.free.get(&key) {
                    Some(ip) => *ip,
                    None => {
                        let ip = self.pick_free(id, *cidr, n).ok_or_else(|| {
                            Unavailable::NoFreeAddress {
                                root: expr.root.clone(),
                                id: id.clone(),
                                cidr: *cidr,
                                expression: expression_text(expr),
                            }
                        })?;
                        self.free.insert(key, ip);
                        self.named.insert(ip);
                        ip
                    }
                };
                Ok(address_text(i64::from(u32::from(ip)) + expr.offset)
                    .map_err(InvalidExpr::from)?)
            }
            Some("free_prefix") => {
                let n = match member.and_then(|member| member.arg) {
                    Some(n) if n >= 1 => n,
                    _ => {
                        return Err(InvalidExpr::FreePrefixWithoutHandle.into());
                    }
                };
                if !(0..=15).contains(&expr.offset) {
                    return Err(InvalidExpr::FreePrefixOffset {
                        expression: expression_text(expr),
                    }
                    .into());
                }
                let key = (expr.root.clone(), n);
                let prefix = match self.free_prefixes.get(&key) {
                    Some(prefix) => *prefix,
                    None => {
                        let prefix = self.pick_free_prefix(id, *cidr, n).ok_or_else(|| {
                            Unavailable::NoFreePrefix {
                                root: expr.root.clone(),
                                id: id.clone(),
                                cidr: *cidr,
                                expression: expression_text(expr),
                            }
                        })?;
                        self.free_prefixes.insert(key, prefix);
                        self.named.extend(block_addresses(prefix));
                        prefix
                    }
                };
                if expr.offset == 0 {
                    Ok(prefix.to_string())
                } else {
                    Ok(
                        address_text(i64::from(u32::from(prefix.network())) + expr.offset)
                            .map_err(InvalidExpr::from)?,
                    )
                }
            }
            Some("free_count") => {
                // Counted as the endpoint counts for row 16: usable and held by no ENI.
                let held = self.held.get(id);
                let free = usable_range(*cidr)
                    .map(Ipv4Addr::from)
                    .filter(|ip| !held.is_some_and(|held| held.contains(ip)))
                    .count();
                let free = i64::try_from(free).unwrap_or(i64::MAX);
                Ok(offset_number(free, expr.offset).map_err(InvalidExpr::from)?)
            }
            _ => {
                let value = self.eval_expr(expr)?;
                // A fixture's primary address is state the profile states: a case naming it
                // means it held (row 14), not free.
                if let Ok(ip) = value.parse::<Ipv4Addr>()
                    && is_usable(*cidr, ip)
                    && self.named.insert(ip)
                    && !self.fixture_primaries().contains(&ip)
                    && self.held.get(id).is_some_and(|held| held.contains(&ip))
                {
                    return Err(Unavailable::AddressHeld {
                        ip,
                        expression: expression_text(expr),
                        root: expr.root.clone(),
                        id: id.clone(),
                    }
                    .into());
                }
                Ok(value)
            }
        }
    }

    /// Usable addresses of the block that no ENI held when the case read the state last, that
    /// no fixture names and that the case has not named itself.
    fn free_addresses<'s>(
        &'s self,
        vswitch_id: &str,
        cidr: Ipv4Net,
    ) -> impl Iterator<Item = Ipv4Addr> + 's {
        let held = self.held.get(vswitch_id);
        let fixture_ips = self.fixture_primaries();
        usable_range(cidr).map(Ipv4Addr::from).filter(move |ip| {
            !held.is_some_and(|held| held.contains(ip))
                && !fixture_ips.contains(ip)
                && !self.named.contains(ip)
        })
    }

    /// The primary addresses the profile gives its instance fixtures.
    fn fixture_primaries(&self) -> BTreeSet<Ipv4Addr> {
        self.profile
            .fixtures
            .values()
            .filter_map(|fixture| match fixture {
                Fixture::Instance(instance) => instance.primary_ip,
                _ => None,
            })
            .collect()
    }

    /// One free address for handle `n`, from a place in the block that depends on the case and
    /// the handle (so that two cases on one VSwitch rarely pick the same), scanning on from there.
    fn pick_free(&self, vswitch_id: &str, cidr: Ipv4Net, n: i64) -> Option<Ipv4Addr> {
        let range = usable_range(cidr);
        let size = u64::from(range.end().saturating_sub(*range.start())) + 1;
        if range.is_empty() {
            return None;
        }
        let start = (self.seed ^ fnv1a(&n.to_le_bytes())) % size;
        let first = u64::from(*range.start());
        let free: BTreeSet<Ipv4Addr> = self.free_addresses(vswitch_id, cidr).collect();
        (0..size)
            .map(|step| Ipv4Addr::from((first + (start + step) % size) as u32))
            .find(|ip| free.contains(ip))
    }

    /// One free aligned /28 for handle `n`: all sixteen addresses usable (no reserved one), none
    /// held, named by a fixture or by the case; from a place that depends on the case and the
    /// handle, scanning on from there.
    fn pick_free_prefix(&self, vswitch_id: &str, cidr: Ipv4Net, n: i64) -> Option<Ipv4Net> {
        let blocks: Vec<Ipv4Net> = cidr.subnets(28).ok()?.collect();
        if blocks.is_empty() {
            return None;
        }
        let free: BTreeSet<Ipv4Addr> = self.free_addresses(vswitch_id, cidr).collect();
        let start = (self.seed ^ fnv1a(&n.to_le_bytes()) ^ fnv1a(b"prefix")) % blocks.len() as u64;
        (0..blocks.len())
            .map(|step| blocks[(start as usize + step) % blocks.len()])
            .find(|block| block_addresses(*block).all(|ip| free.contains(&ip)))
    }

    fn eval_expr(&self, expr: &Expr) -> Result<String, InvalidExpr> {
        let member = expr.member.as_ref();
        let member_name = member.map(|member| member.name.as_str());
        if let Some(value) = self.vars.get(&expr.root) {
            if member.is_some() {
                return Err(InvalidExpr::CapturedValueMember {
                    root: expr.root.clone(),
                });
            }
            return Ok(offset_value(value, expr.offset)?);
        }
        match (expr.root.as_str(), member_name) {
            ("region", None) => return Ok(no_offset(self.profile.region.clone(), expr)?),
            ("unique", None) => return Ok(no_offset(self.unique.clone(), expr)?),
            ("limits", Some("available_cap")) => {
                return Ok(offset_number(
                    i64::from(self.profile.contract.available_cap),
                    expr.offset,
                )?);
            }
            ("limits", Some("max_list_index")) => {
                return Ok(offset_number(
                    i64::from(self.profile.contract.max_list_index),
                    expr.offset,
                )?);
            }
            ("limits", _) => {
                return Err(InvalidExpr::LimitsMember);
            }
            _ => {}
        }
        let Some(fixture) = self.profile.fixtures.get(&expr.root) else {
            return Err(InvalidExpr::UnknownName {
                root: expr.root.clone(),
                profile: self.profile.name.clone(),
            });
        };
        let arg = member.and_then(|member| member.arg);
        let value = match (fixture, member_name) {
            (_, Some("id")) => fixture.id().to_string(),
            (Fixture::VSwitch { cidr, .. }, Some("cidr")) => cidr.to_string(),
            (
                Fixture::VSwitch {
                    zone: Some(zone), ..
                },
                Some("zone"),
            ) => zone.clone(),
            (Fixture::VSwitch { cidr, .. }, Some(helper)) => {
                let network = i64::from(u32::from(cidr.network()));
                let broadcast = i64::from(u32::from(cidr.broadcast()));
                let address = match (helper, arg) {
                    ("network", None) => network,
                    ("broadcast", None) => broadcast,
                    ("first_usable", None) => network + 1,
                    // The last three addresses of a block are reserved.
                    ("last_usable", None) => broadcast - 3,
                    ("outside", None) => broadcast + 1,
                    ("host", Some(n)) if n >= 0 => network + n,
                    ("host", Some(n)) => broadcast + 1 + n,
                    ("host", None) => return Err(InvalidExpr::HostWithoutNumber),
                    _ => {
                        return Err(InvalidExpr::NoVSwitchMember {
                            root: expr.root.clone(),
                            member: helper.to_string(),
                        });
                    }
                };
                return Ok(address_text(address + expr.offset)?);
            }
            (Fixture::Instance(instance), Some("type")) => instance.instance_type.clone(),
            (Fixture::Instance(instance), Some("secondary_cap")) => {
                let cap = self
                    .profile
                    .contract
                    .secondary_cap(&instance.instance_type)
                    .ok_or_else(|| InvalidExpr::UnknownInstanceType {
                        instance_type: instance.instance_type.clone(),
                    })?;
                return Ok(offset_number(i64::from(cap), expr.offset)?);
            }
            (Fixture::Instance(instance), Some("primary_eni")) => instance
                .primary_eni
                .clone()
                .ok_or_else(|| InvalidExpr::NoPrimary {
                    root: expr.root.clone(),
                    member: "primary_eni",
                })?,
            (Fixture::Instance(instance), Some("primary_ip")) => {
                let ip = instance.primary_ip.ok_or_else(|| InvalidExpr::NoPrimary {
                    root: expr.root.clone(),
                    member: "primary_ip",
                })?;
                return Ok(address_text(i64::from(u32::from(ip)) + expr.offset)?);
            }
            (_, None) => {
                return Err(InvalidExpr::FixtureWithoutMember {
                    root: expr.root.clone(),
                });
            }
            (_, Some(other)) => {
                return Err(InvalidExpr::NoMember {
                    root: expr.root.clone(),
                    member: other.to_string(),
                });
            }
        };
        Ok(no_offset(value, expr)?)
    }
}

/// The expression as a case author wrote it, for snapshot tokens.
pub(crate) fn expression_text(expr: &Expr) -> String {
    let mut text = expr.root.clone();
    if let Some(member) = &expr.member {
        text.push('.');
        text.push_str(&member.name);
        if let Some(arg) = member.arg {
            text.push_str(&format!("({arg})"));
        }
    }
    match expr.offset {
        0 => {}
        offset if offset > 0 => text.push_str(&format!("+{offset}")),
        offset => text.push_str(&format!("{offset}")),
    }
    text
}

fn vswitch_members() -> &'static str {
    " (members: id, cidr, zone, network, broadcast, host(N), free(N), free_count, free_prefix(N), first_usable, last_usable, outside)"
}

/// The usable addresses of a block: all but the first and the last three.
fn usable_range(cidr: Ipv4Net) -> std::ops::RangeInclusive<u32> {
    let network = u32::from(cidr.network());
    let broadcast = u32::from(cidr.broadcast());
    network.saturating_add(1)..=broadcast.saturating_sub(3)
}

/// Every address of a block, its network and broadcast addresses included (a prefix holds all
/// sixteen).
fn block_addresses(block: Ipv4Net) -> impl Iterator<Item = Ipv4Addr> {
    (u32::from(block.network())..=u32::from(block.broadcast())).map(Ipv4Addr::from)
}

/// Whether an address is one an ENI of this block could hold.
fn is_usable(cidr: Ipv4Net, ip: Ipv4Addr) -> bool {
    usable_range(cidr).contains(&u32::from(ip))
}

/// FNV-1a: stable across Rust versions and platforms, unlike the std hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn no_offset(value: String, expr: &Expr) -> Result<String, OffsetError> {
    if expr.offset == 0 {
        Ok(value)
    } else {
        offset_value(&value, expr.offset)
    }
}

/// `+N`/`-N` on a value: numbers add, addresses step.
fn offset_value(value: &str, offset: i64) -> Result<String, OffsetError> {
    if offset == 0 {
        return Ok(value.to_string());
    }
    if let Ok(number) = value.parse::<i64>() {
        return offset_number(number, offset);
    }
    if let Ok(ip) = value.parse::<Ipv4Addr>() {
        return address_text(i64::from(u32::from(ip)) + offset);
    }
    Err(OffsetError::NotANumberOrAddress {
        value: value.to_string(),
        offset,
    })
}

fn offset_number(number: i64, offset: i64) -> Result<String, OffsetError> {
    number
        .checked_add(offset)
        .map(|sum| sum.to_string())
        .ok_or(OffsetError::NumberOverflows)
}

fn address_text(address: i64) -> Result<String, OffsetError> {
    u32::try_from(address)
        .map(|address| Ipv4Addr::from(address).to_string())
        .map_err(|_| OffsetError::AddressOutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::observe::EniView;

    fn template(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    fn holding(addresses: &[&str]) -> Observation {
        let mut observation = Observation::default();
        observation.enis.insert(
            "eni-other".into(),
            EniView {
                id: "eni-other".into(),
                status: "Available".into(),
                vswitch_id: "vsw-bp1main00000000000001".into(),
                instance_id: None,
                primary: Some(addresses[0].to_string()),
                secondaries: addresses[1..].iter().map(|a| a.to_string()).collect(),
                prefixes: Vec::new(),
            },
        );
        observation
    }

    fn eval(scope: &mut Scope<'_>, text: &str) -> Result<String, EvalError> {
        let profile = Profile::embedded();
        scope.eval(&template(text), &mut Redactor::new(&profile))
    }

    #[test]
    fn free_handles_pick_distinct_free_addresses_and_keep_them() {
        let profile = Profile::embedded();
        let mut scope = Scope::new(&profile, "u".into(), "case.a");
        scope.observed(&holding(&["192.168.0.5", "192.168.0.6"]));
        let one = eval(&mut scope, "${vswitch.free(1)}").unwrap();
        let two = eval(&mut scope, "${vswitch.free(2)}").unwrap();
        assert_ne!(one, two);
        assert_eq!(eval(&mut scope, "${vswitch.free(1)}").unwrap(), one);
        for picked in [&one, &two] {
            let ip: Ipv4Addr = picked.parse().unwrap();
            let net: Ipv4Net = "192.168.0.0/24".parse().unwrap();
            assert!(is_usable(net, ip), "{ip}");
            assert!(!["192.168.0.5", "192.168.0.6"].contains(&picked.as_str()));
            // Never an instance fixture's primary address.
            assert!(
                !["192.168.0.200", "192.168.0.201", "192.168.0.202"].contains(&picked.as_str())
            );
        }
        // The same case on the same state picks the same address.
        let mut again = Scope::new(&profile, "other-run".into(), "case.a");
        again.observed(&holding(&["192.168.0.5", "192.168.0.6"]));
        assert_eq!(eval(&mut again, "${vswitch.free(1)}").unwrap(), one);
    }

    #[test]
    fn free_skips_when_nothing_is_free() {
        let profile = Profile::embedded();
        let mut scope = Scope::new(&profile, "u".into(), "case.b");
        // The /29 has four usable addresses: .1 to .4.
        let mut full = holding(&["192.168.1.1", "192.168.1.2", "192.168.1.3", "192.168.1.4"]);
        full.enis.get_mut("eni-other").unwrap().vswitch_id = "vsw-bp1small0000000000001".into();
        scope.observed(&full);
        let error = eval(&mut scope, "${small_vswitch.free(1)}").unwrap_err();
        assert_eq!(error.kind, EvalErrorKind::Unavailable);
        assert_eq!(
            eval(&mut scope, "${small_vswitch.free_count}").unwrap(),
            "0"
        );
    }

    #[test]
    fn free_count_counts_usable_addresses_nobody_holds() {
        let profile = Profile::embedded();
        let mut scope = Scope::new(&profile, "u".into(), "case.c");
        scope.observed(&Observation::default());
        assert_eq!(
            eval(&mut scope, "${small_vswitch.free_count}").unwrap(),
            "4"
        );
        assert_eq!(
            eval(&mut scope, "${small_vswitch.free_count+1}").unwrap(),
            "5"
        );
        scope.observed(&holding(&["192.168.0.1"]));
        assert_eq!(eval(&mut scope, "${vswitch.free_count}").unwrap(), "251");
    }

    #[test]
    fn a_fixed_address_someone_holds_is_unavailable_the_first_time_only() {
        let profile = Profile::embedded();
        let mut scope = Scope::new(&profile, "u".into(), "case.d");
        scope.observed(&holding(&["192.168.0.10"]));
        let error = eval(&mut scope, "${vswitch.host(10)}").unwrap_err();
        assert_eq!(error.kind, EvalErrorKind::Unavailable);
        assert!(error.message.contains("192.168.0.10"), "{}", error.message);
        // Free fixed addresses, reserved and outside ones are simply their value.
        assert_eq!(
            eval(&mut scope, "${vswitch.host(11)}").unwrap(),
            "192.168.0.11"
        );
        assert_eq!(
            eval(&mut scope, "${vswitch.network}").unwrap(),
            "192.168.0.0"
        );
        // Once the case has named an address, it is its own: holding it later is the point.
        scope.observed(&holding(&["192.168.0.11", "192.168.0.200"]));
        assert_eq!(
            eval(&mut scope, "${vswitch.host(11)}").unwrap(),
            "192.168.0.11"
        );
        // A fixture's primary address is known to be held: naming it is no skip.
        assert_eq!(
            eval(&mut scope, "${vswitch.host(200)}").unwrap(),
            "192.168.0.200"
        );
    }

    #[test]
    fn free_needs_a_handle_number() {
        let profile = Profile::embedded();
        let mut scope = Scope::new(&profile, "u".into(), "case.e");
        let error = eval(&mut scope, "${vswitch.free(0)}").unwrap_err();
        assert_eq!(error.kind, EvalErrorKind::Invalid);
    }

    #[test]
    fn free_prefix_picks_an_aligned_block_nobody_holds_and_its_addresses() {
        let profile = Profile::embedded();
        let mut scope = Scope::new(&profile, "u".into(), "case.prefix");
        // Hold one address in every block but one: that block is the only choice.
        let held: Vec<String> = (0..16)
            .filter(|block| *block != 5)
            .map(|block| format!("192.168.0.{}", block * 16 + 3))
            .collect();
        let held: Vec<&str> = held.iter().map(String::as_str).collect();
        scope.observed(&holding(&held));
        assert_eq!(
            eval(&mut scope, "${vswitch.free_prefix(1)}").unwrap(),
            "192.168.0.80/28"
        );
        assert_eq!(
            eval(&mut scope, "${vswitch.free_prefix(1)+5}").unwrap(),
            "192.168.0.85"
        );
        // The picked block is the case's own: no free address inside it, no second prefix.
        let one = eval(&mut scope, "${vswitch.free(1)}").unwrap();
        assert!(
            !one.starts_with("192.168.0.8") && !one.starts_with("192.168.0.9"),
            "{one}"
        );
        assert!(eval(&mut scope, "${vswitch.free_prefix(2)}").is_err());
        assert!(eval(&mut scope, "${vswitch.free_prefix(1)+16}").is_err());
        // The small /29 has no aligned /28 at all.
        assert!(eval(&mut scope, "${small_vswitch.free_prefix(1)}").is_err());
    }
}
