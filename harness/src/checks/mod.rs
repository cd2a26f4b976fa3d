//! The named checks a run applies on top of each step's own expectations. Each has a stable name
//! and a one-line doc, and can be turned off per case (`checks: {disable: [...]}`) or per
//! profile. They run on raw values, before anything is redacted.

pub(crate) mod codes;
pub mod describe;
pub(crate) mod expect;
pub mod invariants;
pub mod mutation;
pub mod observe;
mod plain_listing;
pub(crate) mod registry;
pub(crate) mod response;
pub mod step;

pub use registry::{
    ALL, ASSIGN_ADDS_EXACTLY_REPORTED, ASSIGN_MATCHES_DESCRIBE, AppliedBy, CODE_STATUS_DOCUMENTED,
    CheckInfo, CheckSet, DIFFERENTIAL, ENI_CAP_RESPECTED, ERROR_BODY_WELL_FORMED,
    ERROR_CODE_DOCUMENTED, FAILED_REQUEST_CHANGES_NOTHING, IP_IN_VSWITCH_CIDR, IP_NOT_RESERVED,
    IP_UNIQUE_IN_VSWITCH, NO_5XX, NO_LEAKS, PREFIX_ALIGNED_IN_VSWITCH, PREFIX_DISJOINT_IN_VSWITCH,
    PRIMARY_IP_STABLE, REQUEST_ID_PRESENT, UNASSIGN_REMOVES_EXACTLY_NAMED, UnknownCheck, by_name,
};
