//! The `emulator_request` target's input: a scenario of structured requests, decoded from raw
//! bytes by `arbitrary` (and written back by `encode.rs` for the committed seeds).

use arbitrary::Arbitrary;

use crate::codec::{List, Text};

/// One fuzz input: emulator knobs, then up to 12 operations.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct Scenario {
    pub(crate) knobs: Knobs,
    pub(crate) ops: List<Op, 12>,
}

/// The few configuration knobs worth varying; the world is always [`eni_emulator::World::builtin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Arbitrary)]
pub(crate) struct Knobs {
    /// A successful assign or unassign keeps its ENI busy for one second (reaches
    /// `Operation.Conflict`).
    pub(crate) busy_tasks: bool,
    /// The `current` profile (cap 49, `InvalidParameter`) instead of `seed`.
    pub(crate) current_profile: bool,
    /// Seeded pseudo-random allocation instead of lowest-first.
    pub(crate) seeded_allocation: bool,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Op {
    Send(Request),
    /// Moves the emulator's clock forward by this many seconds (transitions take 2 s).
    Advance(u8),
}

/// One HTTP request, described by what it means rather than by its bytes.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct Request {
    pub(crate) method: HttpMethod,
    pub(crate) action: ActionName,
    pub(crate) format: FormatParam,
    pub(crate) region: RegionParam,
    pub(crate) params: List<Param, 10>,
    pub(crate) headers: List<Header, 3>,
    /// Appended verbatim to the query (bytes a URI cannot hold are percent-encoded; `%` is not).
    pub(crate) raw_query: Option<Text>,
    /// What a POST carries besides its form parameters.
    pub(crate) body: BodyExtra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub(crate) enum HttpMethod {
    Get,
    Post,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum ActionName {
    Known(KnownAction),
    Missing,
    Other(Text),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub(crate) enum KnownAction {
    Assign,
    Unassign,
    Create,
    Delete,
    Attach,
    Detach,
    Describe,
    DescribeAttribute,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum FormatParam {
    Absent,
    Json,
    Xml,
    /// `json` or `xml` in lower case.
    Lower(bool),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum RegionParam {
    Right,
    Missing,
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct Param {
    pub(crate) key: Key,
    pub(crate) value: Value,
    /// For a POST: in the form body rather than the query.
    pub(crate) in_body: bool,
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Key {
    Name(Name),
    Item(ListName, Index),
    Other(Text),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
#[expect(
    clippy::enum_variant_names,
    reason = "each variant's Debug text is the API parameter it sends (`NetworkInterfaceName`)"
)]
pub(crate) enum Name {
    NetworkInterfaceId,
    InstanceId,
    VSwitchId,
    SecurityGroupId,
    SecondaryPrivateIpAddressCount,
    PrimaryIpAddress,
    ClientToken,
    NetworkInterfaceName,
    Description,
    Status,
    Type,
    MaxResults,
    NextToken,
    PageNumber,
    PageSize,
    VpcId,
    Action,
    Version,
    Format,
    RegionId,
    SignatureType,
    /// IPv4 prefixes (contract `current`).
    Ipv4PrefixCount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub(crate) enum ListName {
    PrivateIpAddress,
    NetworkInterfaceId,
    SecurityGroupIds,
    /// `Ipv4Prefix.N` (contract `current`).
    Ipv4Prefix,
}

/// The `N` of `Name.N`: well-formed (1..=50) or one of the malformed shapes of contract row 3.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Index {
    /// `1 + n % 50`.
    N(u8),
    Zero,
    /// `51 + n`.
    Over(u8),
    /// `0` then `1 + n % 50`.
    LeadingZero(u8),
    LeadingSpace(u8),
    TrailingSpace(u8),
    Negative(u8),
    Plus(u8),
    Letter,
    Empty,
    Huge,
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Value {
    /// An ENI id: the instances' primary ENIs, those seen in answers, and one that never existed.
    Eni(u8),
    Instance(u8),
    VSwitch(u8),
    SecurityGroup(u8),
    Ip(Ip),
    Count(Count),
    ClientToken(u8),
    /// An ENI status or type word.
    Word(u8),
    Empty,
    /// Non-ASCII text.
    NonAscii(u8),
    Other(Text),
    /// An IPv4 prefix (contract `current`).
    Prefix(Prefix),
}

/// An IPv4 prefix value: an aligned /28 of a VSwitch or one seen in an answer, and the
/// malformed shapes the contract refuses.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Prefix {
    /// Aligned /28 number `block` (modulo the VSwitch's) of VSwitch `vswitch`, reserved ones
    /// included.
    Block {
        vswitch: u8,
        block: u8,
    },
    /// A prefix seen in an earlier answer.
    Seen(u8),
    /// `host % size` inside VSwitch `vswitch`, written as a /28 (mostly unaligned).
    Unaligned {
        vswitch: u8,
        host: u8,
    },
    /// An aligned block with another length (`/n % 33`).
    Length {
        block: u8,
        length: u8,
    },
    /// No length at all.
    Bare(u8),
    Spaced(u8),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Ip {
    /// `host % size` inside VSwitch `vswitch` (reserved addresses included).
    Host {
        vswitch: u8,
        host: u8,
    },
    /// An address seen in an earlier answer.
    Seen(u8),
    /// Outside every VSwitch.
    Outside(u8),
    LeadingZeros(u8),
    Ipv6,
    Octet256,
    ThreeOctets,
    Spaced(u8),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Count {
    N(u8),
    Huge,
    Negative,
    Fraction,
    Padded(u8),
    Plus(u8),
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Header {
    /// A form type, JSON, or junk text.
    ContentType(u8, Text),
    /// V3's action header (which makes the request V3 and its answer JSON by default).
    AcsAction(ActionName),
    AcsVersion(bool),
    Authorization(Text),
    Other(Text, Text),
}

#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum BodyExtra {
    None,
    /// Appended after the form parameters (with `&` when there are some).
    Raw(Text),
    /// A body of `n * 4096` bytes of `a=b&`.
    Large(u8),
}
