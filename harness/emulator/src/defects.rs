//! Planted defects: deliberate, realistic deviations from the contract that the emulator can be
//! told to show, so that a harness can prove it catches each of them (a kill matrix).
//!
//! Each defect is a `has(Defect::X)` branch at the one place in the emulator where that bug
//! would really live; with no defect configured the emulator behaves exactly as the contract
//! says. Names are stable, kebab-case, and used on command lines and in reports.

use std::fmt;
use std::str::FromStr;

/// One deliberate deviation from the contract. See [`Defect::doc`] for what each does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Defect {
    /// An address outside the VSwitch CIDR is accepted (row 13 skipped for it).
    IpOutsideVswitchAccepted,
    /// Allocation may hand out the network address; reserved addresses are accepted by address.
    ReservedAddressHandedOut,
    /// A count assign hands out its first address twice in one call.
    DuplicateInOneCall,
    /// The in-use check looks at the ENI's own addresses only.
    DuplicateAcrossEnis,
    /// `PrivateIpAddress.N` and `SecondaryPrivateIpAddressCount` together are accepted.
    BothParamsAccepted,
    /// No cap on an `Available` ENI.
    AvailableCapMissing,
    /// The `Available` cap allows one address more than it should.
    AvailableCapOffByOne,
    /// An `InUse` ENI gets the `Available` cap instead of its instance type's.
    InstanceCapIgnored,
    /// A list assign is not atomic: addresses before the failing one stay assigned.
    PartialAssignment,
    /// Unassigning an address not on the ENI answers 200 silently.
    UnassignMissingAccepted,
    /// The primary address can be unassigned.
    PrimaryUnassignable,
    /// 403 and 404 errors are answered as 400.
    WrongHttpStatus,
    /// `InvalidEniID.NotFound` and `InvalidVswitchId.IpInvalid` instead of the documented codes.
    MisspelledCode,
    /// The seed's `PrivateIpAddress. 1` key crashes the parser: 500 `InternalError`.
    SeedSpaceKey500,
    /// `ClientToken` is never remembered: a retry assigns again.
    ClientTokenIgnored,
    /// Describe omits the most recently assigned secondary address of an ENI.
    DescribeDisagrees,
    /// Error bodies carry no `RequestId`.
    ErrorWithoutRequestId,
    /// XML error bodies are not well-formed (the root element is never closed).
    MalformedXmlError,
    /// Signatures are required but never compared.
    SignaturesUnchecked,
    /// A prefix overlapping another ENI's prefix is accepted (row 14 looks at addresses only).
    PrefixOverlapAccepted,
    /// An unaligned `Ipv4Prefix.N` (`192.168.0.17/28`) is accepted and stored as written.
    UnalignedPrefixAccepted,
    /// Prefixes take no slot of the cap (row 15 counts secondary addresses only).
    PrefixNotCounted,
    /// Deleting an ENI frees its addresses but not its prefixes.
    PrefixNotFreedOnDelete,
    /// An address inside another ENI's prefix is accepted by address (row 14).
    AddressInsidePrefixAccepted,
    /// An address kind and a prefix kind together are accepted (the prefixes win) instead of row 2.
    PrefixAndAddressMixedAccepted,
    /// Describe never shows `Ipv4PrefixSets`.
    PrefixSetMissingFromDescribe,
}

impl Defect {
    /// Every defect, in the order reports list them.
    pub const ALL: [Defect; 26] = [
        Defect::IpOutsideVswitchAccepted,
        Defect::ReservedAddressHandedOut,
        Defect::DuplicateInOneCall,
        Defect::DuplicateAcrossEnis,
        Defect::BothParamsAccepted,
        Defect::AvailableCapMissing,
        Defect::AvailableCapOffByOne,
        Defect::InstanceCapIgnored,
        Defect::PartialAssignment,
        Defect::UnassignMissingAccepted,
        Defect::PrimaryUnassignable,
        Defect::WrongHttpStatus,
        Defect::MisspelledCode,
        Defect::SeedSpaceKey500,
        Defect::ClientTokenIgnored,
        Defect::DescribeDisagrees,
        Defect::ErrorWithoutRequestId,
        Defect::MalformedXmlError,
        Defect::SignaturesUnchecked,
        Defect::PrefixOverlapAccepted,
        Defect::UnalignedPrefixAccepted,
        Defect::PrefixNotCounted,
        Defect::PrefixNotFreedOnDelete,
        Defect::AddressInsidePrefixAccepted,
        Defect::PrefixAndAddressMixedAccepted,
        Defect::PrefixSetMissingFromDescribe,
    ];

    /// Whether the defect is about IPv4 prefixes: it shows only under a contract that has them
    /// (`current`), so a kill matrix must run the suite under such a profile to catch it.
    pub fn needs_prefixes(self) -> bool {
        matches!(
            self,
            Defect::PrefixOverlapAccepted
                | Defect::UnalignedPrefixAccepted
                | Defect::PrefixNotCounted
                | Defect::PrefixNotFreedOnDelete
                | Defect::AddressInsidePrefixAccepted
                | Defect::PrefixAndAddressMixedAccepted
                | Defect::PrefixSetMissingFromDescribe
        )
    }

    /// The stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Defect::IpOutsideVswitchAccepted => "ip-outside-vswitch-accepted",
            Defect::ReservedAddressHandedOut => "reserved-address-handed-out",
            Defect::DuplicateInOneCall => "duplicate-in-one-call",
            Defect::DuplicateAcrossEnis => "duplicate-across-enis",
            Defect::BothParamsAccepted => "both-params-accepted",
            Defect::AvailableCapMissing => "available-cap-missing",
            Defect::AvailableCapOffByOne => "available-cap-off-by-one",
            Defect::InstanceCapIgnored => "instance-cap-ignored",
            Defect::PartialAssignment => "partial-assignment",
            Defect::UnassignMissingAccepted => "unassign-missing-accepted",
            Defect::PrimaryUnassignable => "primary-unassignable",
            Defect::WrongHttpStatus => "wrong-http-status",
            Defect::MisspelledCode => "misspelled-code",
            Defect::SeedSpaceKey500 => "seed-space-key-500",
            Defect::ClientTokenIgnored => "client-token-ignored",
            Defect::DescribeDisagrees => "describe-disagrees",
            Defect::ErrorWithoutRequestId => "error-without-request-id",
            Defect::MalformedXmlError => "malformed-xml-error",
            Defect::SignaturesUnchecked => "signatures-unchecked",
            Defect::PrefixOverlapAccepted => "prefix-overlap-accepted",
            Defect::UnalignedPrefixAccepted => "unaligned-prefix-accepted",
            Defect::PrefixNotCounted => "prefix-not-counted",
            Defect::PrefixNotFreedOnDelete => "prefix-not-freed-on-delete",
            Defect::AddressInsidePrefixAccepted => "address-inside-prefix-accepted",
            Defect::PrefixAndAddressMixedAccepted => "prefix-and-address-mixed-accepted",
            Defect::PrefixSetMissingFromDescribe => "prefix-set-missing-from-describe",
        }
    }

    /// One line saying what the deviation is.
    pub fn doc(self) -> &'static str {
        match self {
            Defect::IpOutsideVswitchAccepted => {
                "an address outside the VSwitch CIDR is accepted by address (row 13 only checks reserved positions)"
            }
            Defect::ReservedAddressHandedOut => {
                "count allocation starts at the network address, and reserved addresses are accepted by address"
            }
            Defect::DuplicateInOneCall => {
                "a count assign of two or more hands out its first address twice in one answer"
            }
            Defect::DuplicateAcrossEnis => {
                "an address held by another ENI is accepted again: the in-use check (row 14) looks at the ENI's own addresses only"
            }
            Defect::BothParamsAccepted => {
                "PrivateIpAddress.N and SecondaryPrivateIpAddressCount together are accepted (the list wins) instead of row 2"
            }
            Defect::AvailableCapMissing => {
                "an Available ENI has no secondary-address cap (row 15 never fires)"
            }
            Defect::AvailableCapOffByOne => {
                "the Available cap lets one address too many through (11 in the seed profile)"
            }
            Defect::InstanceCapIgnored => {
                "an InUse ENI gets the Available cap instead of its instance type's private IPs per ENI"
            }
            Defect::PartialAssignment => {
                "a list assign is not atomic: addresses before the one that fails rows 13/14 stay assigned though the error is answered"
            }
            Defect::UnassignMissingAccepted => {
                "unassigning an address that is not on the ENI answers 200 instead of InvalidIp.IpUnassigned"
            }
            Defect::PrimaryUnassignable => {
                "the primary address can be unassigned: 200, and the VSwitch takes it back as free"
            }
            Defect::WrongHttpStatus => {
                "documented 403 and 404 errors (e.g. InvalidEniId.NotFound) are answered with HTTP 400"
            }
            Defect::MisspelledCode => {
                "InvalidEniID.NotFound and InvalidVswitchId.IpInvalid instead of InvalidEniId.NotFound and InvalidVSwitchId.IpInvalid"
            }
            Defect::SeedSpaceKey500 => {
                "the seed's `PrivateIpAddress. 1` key (with a space) crashes the list parser: 500 InternalError"
            }
            Defect::ClientTokenIgnored => {
                "ClientToken is never remembered: a retry with the same token assigns again"
            }
            Defect::DescribeDisagrees => {
                "Describe omits the most recently assigned secondary address of each ENI"
            }
            Defect::ErrorWithoutRequestId => "error bodies carry no RequestId",
            Defect::MalformedXmlError => {
                "XML error bodies are not well-formed: </Error> is never written"
            }
            Defect::SignaturesUnchecked => {
                "signature parameters are required but the signature itself is never compared (v1 and V3)"
            }
            Defect::PrefixOverlapAccepted => {
                "an Ipv4Prefix.N overlapping a prefix already held is accepted: row 14 for prefixes looks at addresses only"
            }
            Defect::UnalignedPrefixAccepted => {
                "an unaligned Ipv4Prefix.N such as 192.168.0.17/28 is accepted (row 4 checks the shape, not the alignment) and shown as written"
            }
            Defect::PrefixNotCounted => {
                "prefixes take no slot of the cap: row 15 counts secondary addresses only"
            }
            Defect::PrefixNotFreedOnDelete => {
                "deleting an ENI frees its addresses but not its prefixes: their blocks stay in use"
            }
            Defect::AddressInsidePrefixAccepted => {
                "an address inside another ENI's prefix is accepted by address: row 14 for addresses ignores prefixes"
            }
            Defect::PrefixAndAddressMixedAccepted => {
                "an address kind and a prefix kind in one assign are accepted (the prefixes are assigned, the addresses dropped) instead of row 2"
            }
            Defect::PrefixSetMissingFromDescribe => {
                "the Describes never show Ipv4PrefixSets, though the ENI holds prefixes"
            }
        }
    }

    /// The defect of that name, if any.
    pub fn from_name(name: &str) -> Option<Defect> {
        Defect::ALL.into_iter().find(|d| d.name() == name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a defect name was refused: it names every known defect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown defect `{name}`; known defects: {}", Defect::ALL.map(Defect::name).join(", "))]
pub struct UnknownDefect {
    /// The name as given.
    pub name: String,
}

impl FromStr for Defect {
    type Err = UnknownDefect;

    fn from_str(s: &str) -> Result<Defect, UnknownDefect> {
        Defect::from_name(s).ok_or_else(|| UnknownDefect { name: s.to_owned() })
    }
}

/// The configured defects as a bit set: one load and a mask on the hot path (32 bits: room for
/// six more defects).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Defects(u32);

impl Defects {
    pub(crate) fn new(defects: &[Defect]) -> Defects {
        Defects(defects.iter().fold(0, |bits, d| bits | d.bit()))
    }

    #[inline]
    pub(crate) fn has(self, defect: Defect) -> bool {
        self.0 & defect.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for (i, d) in Defect::ALL.iter().enumerate() {
            assert_eq!(Defect::from_name(d.name()), Some(*d));
            assert_eq!(d.name().parse::<Defect>(), Ok(*d));
            assert!(!d.doc().is_empty());
            assert!(Defect::ALL[i + 1..].iter().all(|o| o.name() != d.name()));
            assert_eq!(*d as usize, i, "ALL is in declaration order");
        }
        let err = "no-such".parse::<Defect>().unwrap_err().to_string();
        assert!(err.contains("signatures-unchecked"), "{err}");
    }

    #[test]
    fn bit_set() {
        let set = Defects::new(&[Defect::MisspelledCode, Defect::SignaturesUnchecked]);
        assert!(set.has(Defect::MisspelledCode));
        assert!(set.has(Defect::SignaturesUnchecked));
        assert!(!set.has(Defect::WrongHttpStatus));
        assert!(!Defects::default().has(Defect::IpOutsideVswitchAccepted));
    }
}
