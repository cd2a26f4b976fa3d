//! The registry of named checks: each check's stable name, its doc and who applies it, looked
//! up by name, and the set a case or profile leaves on.

/// A named, documented check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// The check's name, as case files, profiles and known-failures files write it.
    pub name: &'static str,
    /// What the check asserts, as `list --checks` shows it.
    pub doc: &'static str,
    /// Who applies it: a case run and the fuzzer, or the sequence fuzzer only (a check that
    /// needs a reference to compare with, or the contract's status per code, which a case's
    /// own `expect` states instead).
    pub applied_by: AppliedBy,
}

/// Which runs apply a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliedBy {
    /// Case runs and the sequence fuzzer.
    Everyone,
    /// The sequence fuzzer only.
    Fuzzer,
}

macro_rules! checks {
    ($($ident:ident = $name:literal $(($applied_by:ident))? : $doc:literal;)*) => {
        $(#[doc = $doc] pub const $ident: CheckInfo = CheckInfo {
            name: $name,
            doc: $doc,
            applied_by: checks!(@applied_by $($applied_by)?),
        };)*
        /// Every check, in the order `list` shows them.
        pub const ALL: &[CheckInfo] = &[$($ident),*];
    };
    (@applied_by) => { AppliedBy::Everyone };
    (@applied_by $applied_by:ident) => { AppliedBy::$applied_by };
}

checks! {
    NO_5XX = "no_5xx": "No answer is a 5xx unless the step expects one.";
    REQUEST_ID_PRESENT = "request_id_present": "Every answer carries a RequestId.";
    ERROR_BODY_WELL_FORMED = "error_body_well_formed": "An error answer is a parseable JSON or XML body with Code and Message.";
    ERROR_CODE_DOCUMENTED = "error_code_documented": "Every error code is one the API reference or the contract documents.";
    IP_IN_VSWITCH_CIDR = "ip_in_vswitch_cidr": "Every address on an ENI lies inside its VSwitch CIDR block.";
    IP_NOT_RESERVED = "ip_not_reserved": "No ENI holds a reserved address (the first of the block and the last three).";
    IP_UNIQUE_IN_VSWITCH = "ip_unique_in_vswitch": "No address is held by two ENIs of one VSwitch, nor twice by one ENI, nor handed out twice at once.";
    PRIMARY_IP_STABLE = "primary_ip_stable": "An ENI's primary address never changes while the ENI exists.";
    PREFIX_ALIGNED_IN_VSWITCH = "prefix_aligned_in_vswitch": "Every IPv4 prefix on an ENI is an aligned /28 inside its VSwitch CIDR block holding no reserved address (contracts with prefixes).";
    PREFIX_DISJOINT_IN_VSWITCH = "prefix_disjoint_in_vswitch": "Within a VSwitch no address lies inside a prefix and no two prefixes overlap (contracts with prefixes).";
    ENI_CAP_RESPECTED = "eni_cap_respected": "Secondary addresses (plus prefixes, one slot each, where the contract has them) never exceed the cap for the ENI's state and instance type.";
    FAILED_REQUEST_CHANGES_NOTHING = "failed_request_changes_nothing": "A request that failed left every address and prefix where it was.";
    ASSIGN_ADDS_EXACTLY_REPORTED = "assign_adds_exactly_reported": "A successful assign reports exactly the requested addresses or prefixes, or `count` new ones; a create with prefixes holds exactly those asked for.";
    ASSIGN_MATCHES_DESCRIBE = "assign_matches_describe": "After an assign, DescribeNetworkInterfaces shows exactly the old addresses and prefixes plus the reported ones.";
    UNASSIGN_REMOVES_EXACTLY_NAMED = "unassign_removes_exactly_named": "A successful unassign removes exactly the named addresses or prefixes.";
    NO_LEAKS = "no_leaks": "Every ENI a case created is gone (or Deleting) once its teardown ran.";
    CODE_STATUS_DOCUMENTED = "code_status_documented" (Fuzzer): "A documented error code comes with the HTTP status the contract gives it for that action.";
    DIFFERENTIAL = "differential" (Fuzzer): "The target answers, reads and holds what the reference emulator does, wherever the contract decides the outcome.";
}

/// Looks a check up by name.
pub fn by_name(name: &str) -> Option<CheckInfo> {
    ALL.iter().copied().find(|check| check.name == name)
}

/// A case or profile disabled a check that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown check `{name}`; did you mean `{closest}`? (`eni-harness list --checks` shows them all)"
)]
pub struct UnknownCheck {
    /// The name as written.
    pub name: String,
    /// The registered check whose name is closest to it.
    pub closest: &'static str,
}

/// The checks that are on for one case run.
#[derive(Debug, Clone, Default)]
pub struct CheckSet {
    disabled: Vec<&'static str>,
    /// Whether the target's contract has IPv4 prefixes: only then do the checks look at them,
    /// so that verdicts under the seed contract stay what they were.
    prefixes: bool,
    /// The contract version's name: which codes are documented, which alternatives accepted.
    contract: String,
}

impl CheckSet {
    /// All checks but the named ones. Unknown names are an error naming the closest check.
    pub fn without<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<CheckSet, UnknownCheck> {
        let mut disabled = Vec::new();
        for name in names {
            match by_name(name) {
                Some(check) => disabled.push(check.name),
                None => {
                    let closest = ALL
                        .iter()
                        .map(|check| (strsim::levenshtein(name, check.name), check.name))
                        .min()
                        .map(|(_, closest)| closest)
                        .unwrap_or("no_5xx");
                    return Err(UnknownCheck {
                        name: name.to_string(),
                        closest,
                    });
                }
            }
        }
        Ok(CheckSet {
            disabled,
            ..CheckSet::default()
        })
    }

    /// The same checks, judging prefixes as `contract` has them (or not at all).
    pub fn under(mut self, contract: &crate::profile::Contract) -> CheckSet {
        self.prefixes = contract.has_prefixes();
        self.contract = contract.name.clone();
        self
    }

    /// The contract version's name (`seed` when none was given).
    pub fn contract_name(&self) -> &str {
        if self.contract.is_empty() {
            "seed"
        } else {
            &self.contract
        }
    }

    /// Whether the checks judge IPv4 prefixes.
    pub fn prefixes(&self) -> bool {
        self.prefixes
    }

    pub(crate) fn is_on(&self, check: CheckInfo) -> bool {
        !self.disabled.contains(&check.name)
    }

    /// Whether any check that needs the target's state read back is on.
    pub fn needs_observation(&self) -> bool {
        [
            IP_IN_VSWITCH_CIDR,
            IP_NOT_RESERVED,
            IP_UNIQUE_IN_VSWITCH,
            PREFIX_ALIGNED_IN_VSWITCH,
            PREFIX_DISJOINT_IN_VSWITCH,
            PRIMARY_IP_STABLE,
            ENI_CAP_RESPECTED,
            FAILED_REQUEST_CHANGES_NOTHING,
            ASSIGN_MATCHES_DESCRIBE,
            UNASSIGN_REMOVES_EXACTLY_NAMED,
        ]
        .into_iter()
        .any(|check| self.is_on(check))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        for (i, check) in ALL.iter().enumerate() {
            assert!(!check.doc.is_empty());
            assert!(
                ALL[i + 1..].iter().all(|other| other.name != check.name),
                "{}",
                check.name
            );
        }
    }

    #[test]
    fn the_fuzzers_own_checks_are_named_and_can_be_turned_off() {
        for name in ["differential", "code_status_documented"] {
            let check = by_name(name).expect("a named check");
            assert_eq!(check.applied_by, AppliedBy::Fuzzer, "{name}");
            let set = CheckSet::without([name]).unwrap();
            assert!(!set.is_on(check), "{name}");
            assert!(CheckSet::default().is_on(check), "{name}");
        }
        assert_eq!(NO_5XX.applied_by, AppliedBy::Everyone);
    }

    #[test]
    fn unknown_check_suggests_the_closest() {
        let error = CheckSet::without(["ip_unique_in_vswich"]).unwrap_err();
        assert_eq!(error.closest, "ip_unique_in_vswitch");
        assert!(
            error
                .to_string()
                .contains("did you mean `ip_unique_in_vswitch`"),
            "{error}"
        );
        let set = CheckSet::without(["no_leaks"]).unwrap();
        assert!(!set.is_on(NO_LEAKS));
        assert!(set.is_on(NO_5XX));
    }
}
