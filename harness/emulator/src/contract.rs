//! Contract profiles: the limits and code spellings that differ between versions of the docs.

use std::collections::BTreeMap;

/// Limits and spellings of one version of the API documentation. Data, not code: the emulator
/// reads every version-dependent value from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractProfile {
    /// The profile's name: `seed` or `current`.
    pub name: String,
    /// Spelling of the invalid-parameter code: `InValidParameter` (seed) or `InvalidParameter`.
    pub invalid_parameter_code: String,
    /// Most secondary addresses an `Available` ENI may hold: 10 (seed) or 49 (current).
    pub available_cap: u32,
    /// Private IPv4 addresses per ENI by instance type, primary included.
    pub instance_type_caps: BTreeMap<String, u32>,
    /// Highest accepted `N` of `PrivateIpAddress.N` (the list's maxItems): 50.
    pub max_list_index: u32,
    /// ENIs per instance by instance type, primary included (**decided**, from the 2021 instance
    /// type tables); attaching beyond it answers `EniPerInstanceLimitExceeded`.
    pub instance_type_enis: BTreeMap<String, u32>,
    /// Highest `N` of `Ipv4Prefix.N` and highest `Ipv4PrefixCount`: 10 (current). 0 means the
    /// profile's API has no IPv4 prefixes (seed): their parameters are unknown and ignored.
    pub max_ipv4_prefixes: u32,
}

impl ContractProfile {
    /// The profile of the seed page: `InValidParameter`, `Available` cap 10.
    pub fn seed() -> ContractProfile {
        ContractProfile {
            name: "seed".to_owned(),
            invalid_parameter_code: "InValidParameter".to_owned(),
            available_cap: 10,
            instance_type_caps: table(&[
                ("ecs.g5.large", 6),
                ("ecs.g6.large", 6),
                ("ecs.g6.xlarge", 10),
                ("ecs.g6.2xlarge", 10),
                ("ecs.g7.large", 6),
                ("ecs.g7.xlarge", 15),
                ("ecs.g7.2xlarge", 15),
            ]),
            max_list_index: 50,
            instance_type_enis: table(&[
                ("ecs.g5.large", 2),
                ("ecs.g6.large", 2),
                ("ecs.g6.xlarge", 3),
                ("ecs.g6.2xlarge", 4),
                ("ecs.g7.large", 3),
                ("ecs.g7.xlarge", 4),
                ("ecs.g7.2xlarge", 4),
            ]),
            max_ipv4_prefixes: 0,
        }
    }

    /// The profile of the 2021+ docs: `InvalidParameter`, `Available` cap 49, IPv4 prefixes.
    pub fn current() -> ContractProfile {
        ContractProfile {
            name: "current".to_owned(),
            invalid_parameter_code: "InvalidParameter".to_owned(),
            available_cap: 49,
            max_ipv4_prefixes: 10,
            ..ContractProfile::seed()
        }
    }
}

impl Default for ContractProfile {
    fn default() -> ContractProfile {
        ContractProfile::seed()
    }
}

fn table(rows: &[(&str, u32)]) -> BTreeMap<String, u32> {
    rows.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[cfg(test)]
mod tests {
    //! The two profiles as the docs give them; `name` is what a journal or a report prints, so a
    //! `current` profile must not call itself `seed`.
    use super::ContractProfile;

    #[test]
    fn each_profile_carries_its_own_name_and_spellings() {
        let (seed, current) = (ContractProfile::seed(), ContractProfile::current());
        assert_eq!(seed.name, "seed");
        assert_eq!(current.name, "current");
        assert_eq!(seed.invalid_parameter_code, "InValidParameter");
        assert_eq!(current.invalid_parameter_code, "InvalidParameter");
        assert_eq!((seed.available_cap, current.available_cap), (10, 49));
        assert_eq!((seed.max_ipv4_prefixes, current.max_ipv4_prefixes), (0, 10));
        assert_eq!(ContractProfile::default(), seed);
    }

    #[test]
    fn current_shares_the_seed_tables() {
        let (seed, current) = (ContractProfile::seed(), ContractProfile::current());
        assert_eq!(current.instance_type_caps, seed.instance_type_caps);
        assert_eq!(current.instance_type_enis, seed.instance_type_enis);
        assert_eq!(current.max_list_index, 50);
        assert_eq!(seed.instance_type_caps.get("ecs.g7.xlarge"), Some(&15));
        assert_eq!(seed.instance_type_enis.get("ecs.g6.2xlarge"), Some(&4));
    }
}
