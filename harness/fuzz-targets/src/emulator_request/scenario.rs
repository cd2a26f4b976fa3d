//! The `emulator_request` target's input: a scenario of structured requests, decoded from raw
//! bytes by `arbitrary` (and written back by `encode.rs` for the committed seeds).

use arbitrary::Arbitrary;

use crate::codec::{List, Text};

/// Declares a fieldless enum together with `ALL`, its variants in declaration order. That is
/// the order `derive(Arbitrary)` numbers them in, so the seeds' encoder writes a variant as its
/// position in `ALL` and the list cannot drift from the enum.
macro_rules! unit_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident,)*
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)*
        }

        // Only the seeds' encoder, a test module, reads it.
        #[cfg(test)]
        impl $name {
            /// Every variant, in declaration order.
            pub(crate) const ALL: &[Self] = &[$(Self::$variant),*];
        }
    };
}

/// One fuzz input: emulator knobs, then up to 12 operations.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct Scenario {
    /// How the emulator is configured before the first request.
    pub(crate) knobs: Knobs,
    /// The requests and clock advances, in order.
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

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Op {
    /// Sends the request; the properties are checked on its answer.
    Send(Request),
    /// Moves the emulator's clock forward by this many seconds (transitions take 2 s).
    Advance(u8),
}

/// One HTTP request, described by what it means rather than by its bytes.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct Request {
    /// GET or POST (a POST carries `Content-Type: application/x-www-form-urlencoded`).
    pub(crate) method: HttpMethod,
    /// The `Action` query parameter.
    pub(crate) action: ActionName,
    /// The `Format` query parameter.
    pub(crate) format: FormatParam,
    /// The `RegionId` query parameter.
    pub(crate) region: RegionParam,
    /// Parameters after `Version=2014-05-26`, `Action`, `Format` and `RegionId`, in order.
    pub(crate) params: List<Param, 10>,
    /// Headers appended after the method's own, so a `Content-Type` here is a POST's second
    /// (one a client could not send is dropped).
    pub(crate) headers: List<Header, 3>,
    /// Appended verbatim to the query (bytes a URI cannot hold are percent-encoded; `%` is not).
    pub(crate) raw_query: Option<Text>,
    /// What a POST carries besides its form parameters.
    pub(crate) body: BodyExtra,
}

unit_enum! {
    /// The request's HTTP method.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
    pub(crate) enum HttpMethod {
        /// Every parameter in the query; a body holds only `body`'s bytes.
        Get,
        /// Parameters with `in_body` in a form body, the rest in the query.
        Post,
    }
}

/// An action name, as the `Action` parameter or the `x-acs-action` header.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum ActionName {
    /// The API name of one of the emulated actions.
    Known(KnownAction),
    /// No `Action` parameter (an empty `x-acs-action` header).
    Missing,
    /// This text verbatim.
    Other(Text),
}

unit_enum! {
    /// The emulated actions.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
    pub(crate) enum KnownAction {
        /// `AssignPrivateIpAddresses`.
        Assign,
        /// `UnassignPrivateIpAddresses`.
        Unassign,
        /// `CreateNetworkInterface`.
        Create,
        /// `DeleteNetworkInterface`.
        Delete,
        /// `AttachNetworkInterface`.
        Attach,
        /// `DetachNetworkInterface`.
        Detach,
        /// `DescribeNetworkInterfaces`.
        Describe,
        /// `DescribeNetworkInterfaceAttribute`.
        DescribeAttribute,
    }
}

/// The `Format` query parameter.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum FormatParam {
    /// No `Format` (the answer's default format).
    Absent,
    /// `Format=JSON`.
    Json,
    /// `Format=XML`.
    Xml,
    /// `json` or `xml` in lower case.
    Lower(bool),
    /// This text verbatim.
    Other(Text),
}

/// The `RegionId` query parameter.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum RegionParam {
    /// The world's region.
    Right,
    /// No `RegionId`.
    Missing,
    /// This text verbatim.
    Other(Text),
}

/// One `key=value` pair, form-urlencoded.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) struct Param {
    /// The parameter's name.
    pub(crate) key: Key,
    /// The parameter's value.
    pub(crate) value: Value,
    /// For a POST: in the form body rather than the query.
    pub(crate) in_body: bool,
}

/// A parameter name.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Key {
    /// A scalar parameter of the API.
    Name(Name),
    /// A list item, `ListName.Index`.
    Item(ListName, Index),
    /// This text verbatim.
    Other(Text),
}

unit_enum! {
    /// The scalar parameters of the actions, and the common ones (`Action`, `Version`, `Format` and
    /// `RegionId` a second time, `SignatureType`); each is sent as its variant's name.
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
}

unit_enum! {
    /// The list parameters, sent as `Name.N`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
    pub(crate) enum ListName {
        /// `PrivateIpAddress.N` (assign, unassign, create, describe).
        PrivateIpAddress,
        /// `NetworkInterfaceId.N` (describe).
        NetworkInterfaceId,
        /// `SecurityGroupIds.N` (create).
        SecurityGroupIds,
        /// `Ipv4Prefix.N` (contract `current`).
        Ipv4Prefix,
    }
}

/// The `N` of `Name.N`: well-formed (1..=50) or one of the malformed shapes of contract row 3.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Index {
    /// `1 + n % 50`.
    N(u8),
    /// `0`.
    Zero,
    /// `51 + n`.
    Over(u8),
    /// `0` then `1 + n % 50`.
    LeadingZero(u8),
    /// A space then `1 + n % 50`.
    LeadingSpace(u8),
    /// `1 + n % 50` then a space.
    TrailingSpace(u8),
    /// `-` then `1 + n % 50`.
    Negative(u8),
    /// `+` then `1 + n % 50`.
    Plus(u8),
    /// `x`.
    Letter,
    /// Nothing: `Name.`.
    Empty,
    /// A 23-digit number, past `u64`.
    Huge,
    /// This text verbatim.
    Other(Text),
}

/// A parameter value; a `u8` picks, modulo their number, from the candidates named.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Value {
    /// An ENI id: the instances' primary ENIs, those seen in answers, and one that never existed.
    Eni(u8),
    /// An instance id of the world, or one that never existed.
    Instance(u8),
    /// A VSwitch id of the world, or one that never existed.
    VSwitch(u8),
    /// A security group id of the world, or one that never existed.
    SecurityGroup(u8),
    /// An IPv4 address, well-formed or not.
    Ip(Ip),
    /// A count, well-formed or not.
    Count(Count),
    /// `token-a`, `token-b`, 65 characters (the contract allows 64) or non-ASCII, by `n % 4`.
    ClientToken(u8),
    /// An ENI status or type word (`Available`, `InUse`, …, `Primary`, `Secondary`, and
    /// `available` in the wrong case).
    Word(u8),
    /// The empty string.
    Empty,
    /// Non-ASCII text (full-width letters, Arabic-Indic digits, NUL, `é`, an emoji, a BOM
    /// before `1`).
    NonAscii(u8),
    /// This text verbatim.
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
        /// Picks the VSwitch (the never-existing one included).
        vswitch: u8,
        /// Picks the /28 inside it.
        block: u8,
    },
    /// A prefix seen in an earlier answer (block `n` of the first VSwitch before any).
    Seen(u8),
    /// `host % size` inside VSwitch `vswitch`, written as a /28 (mostly unaligned).
    Unaligned {
        /// Picks the VSwitch (the never-existing one included).
        vswitch: u8,
        /// The address's offset inside it, modulo its size.
        host: u8,
    },
    /// An aligned block of the first VSwitch with another length (`/n % 33`).
    Length {
        /// Picks the /28 inside the first VSwitch.
        block: u8,
        /// The length written, modulo 33.
        length: u8,
    },
    /// No length at all.
    Bare(u8),
    /// A space, then aligned block `n` of the first VSwitch as a /28.
    Spaced(u8),
    /// This text verbatim.
    Other(Text),
}

/// An IPv4 address value: one inside a VSwitch or seen in an answer, and the malformed shapes
/// the contract refuses.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Ip {
    /// `host % size` inside VSwitch `vswitch` (reserved addresses included).
    Host {
        /// Picks the VSwitch (the never-existing one included).
        vswitch: u8,
        /// The address's offset inside it, modulo its size.
        host: u8,
    },
    /// An address seen in an earlier answer (`192.168.0.n` before any).
    Seen(u8),
    /// Outside every VSwitch: `172.16.0.n`.
    Outside(u8),
    /// `192.168.0.0n`: a last octet with a leading zero.
    LeadingZeros(u8),
    /// `2408:4000::1`.
    Ipv6,
    /// `192.168.0.256`.
    Octet256,
    /// `192.168.0`.
    ThreeOctets,
    /// ` 192.168.0.n`, with a leading space.
    Spaced(u8),
    /// This text verbatim.
    Other(Text),
}

/// A count value (`SecondaryPrivateIpAddressCount`, `Ipv4PrefixCount`, paging sizes).
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Count {
    /// `n`, 0 to 255.
    N(u8),
    /// `18446744073709551617`, past `u64`.
    Huge,
    /// `-1`.
    Negative,
    /// `1.5`.
    Fraction,
    /// `0` then `n`.
    Padded(u8),
    /// `+` then `n`.
    Plus(u8),
    /// This text verbatim.
    Other(Text),
}

/// An extra header.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum Header {
    /// `Content-Type` by `n % 4`: the form type with a charset, JSON, the form type in upper
    /// case, or the text verbatim.
    ContentType(u8, Text),
    /// V3's action header (which makes the request V3 and its answer JSON by default).
    AcsAction(ActionName),
    /// `x-acs-version`: the API's `2014-05-26` when `true`, else `2016-01-01`.
    AcsVersion(bool),
    /// An `ACS3-HMAC-SHA256` `Authorization` with this text as its signature.
    Authorization(Text),
    /// This name and value verbatim (dropped when either is no valid header).
    Other(Text, Text),
}

/// Bytes a POST carries besides its form parameters (a GET sends only these).
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub(crate) enum BodyExtra {
    /// Nothing more.
    None,
    /// Appended after the form parameters (with `&` when there are some).
    Raw(Text),
    /// `(n % 24) * 4096` bytes of `a=b&` (up to 92 KiB).
    Large(u8),
}
