//! The codes a contract version accepts in place of another (CONTRACT.md, "Codes the real cloud
//! is known to answer"): one table, read by the runner's expectations, the contract view of
//! snapshots and the sequence fuzzer's differential judge, so that all three agree on what a
//! correct endpoint may answer.

/// One code that answers for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Alternative {
    /// The contract version that accepts it.
    pub contract: &'static str,
    pub action: &'static str,
    /// The code the contract's table gives (as the reference emulator answers it).
    pub code: &'static str,
    /// The code accepted in its place.
    pub alternative: &'static str,
    /// The status the contract gives the alternative; `None`: not documented, so an answer
    /// with the alternative is held to being a refusal (4xx), not to one status.
    pub status: Option<u16>,
    /// The ENI status the alternative is limited to (`InUse`: the instance type's cap is the
    /// InUse cap); `None`: any.
    pub eni_status: Option<&'static str>,
}

const ASSIGN: &str = "AssignPrivateIpAddresses";

/// The table.
pub(crate) const ALTERNATIVES: &[Alternative] = &[
    // Row 16: the cloud sometimes answers an exhausted VSwitch with the quota code.
    Alternative {
        contract: "current",
        action: ASSIGN,
        code: "InvalidVSwitchId.IpNotEnough",
        alternative: "QuotaExceeded.PrivateIpAddress",
        status: Some(403),
        eni_status: None,
    },
    // Row 15 on an InUse ENI: the per-instance-type cap's own code.
    Alternative {
        contract: "current",
        action: ASSIGN,
        code: "MaxEniPrivateIpsCountExceeded",
        alternative: "InvalidOperation.Ipv4CountExceeded",
        status: None,
        eni_status: Some("InUse"),
    },
];

/// The alternatives of `code` for `action` under `contract`, for an ENI in `eni_status`
/// (`None`: the status is not known to the caller, so every alternative of the code counts).
pub(crate) fn alternatives_of<'a>(
    contract: &'a str,
    action: &'a str,
    code: &'a str,
    eni_status: Option<&'a str>,
) -> impl Iterator<Item = &'static Alternative> + 'a {
    ALTERNATIVES.iter().filter(move |alt| {
        alt.contract == contract
            && alt.action == action
            && alt.code == code
            && match (alt.eni_status, eni_status) {
                (Some(wanted), Some(actual)) => wanted == actual,
                _ => true,
            }
    })
}

/// Whether `alternative` answers for `code` under `contract` (the ENI's status not known).
pub(crate) fn is_alternative(contract: &str, action: &str, code: &str, alternative: &str) -> bool {
    alternatives_of(contract, action, code, None).any(|alt| alt.alternative == alternative)
}

/// The code `answered` stands for under `contract`, when it is an alternative of one.
pub(crate) fn stands_for(
    contract: &str,
    action: &str,
    answered: &str,
) -> Option<&'static Alternative> {
    ALTERNATIVES
        .iter()
        .find(|alt| alt.contract == contract && alt.action == action && alt.alternative == answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_current_contract_has_alternatives() {
        assert!(is_alternative(
            "current",
            ASSIGN,
            "InvalidVSwitchId.IpNotEnough",
            "QuotaExceeded.PrivateIpAddress"
        ));
        assert!(!is_alternative(
            "seed",
            ASSIGN,
            "InvalidVSwitchId.IpNotEnough",
            "QuotaExceeded.PrivateIpAddress"
        ));
        assert!(!is_alternative(
            "current",
            "CreateNetworkInterface",
            "InvalidVSwitchId.IpNotEnough",
            "QuotaExceeded.PrivateIpAddress"
        ));
    }

    #[test]
    fn the_instance_type_cap_code_answers_for_an_in_use_eni_only() {
        let row_15 = |status| {
            alternatives_of("current", ASSIGN, "MaxEniPrivateIpsCountExceeded", status)
                .map(|alt| alt.alternative)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            row_15(Some("InUse")),
            ["InvalidOperation.Ipv4CountExceeded"]
        );
        assert!(row_15(Some("Available")).is_empty());
        assert_eq!(row_15(None), ["InvalidOperation.Ipv4CountExceeded"]);
    }

    #[test]
    fn every_alternative_is_a_documented_code_of_its_contract() {
        for alt in ALTERNATIVES {
            assert!(
                crate::checks::codes::is_documented(alt.contract, alt.alternative),
                "{alt:?}"
            );
            assert_eq!(
                stands_for(alt.contract, alt.action, alt.alternative).map(|a| a.code),
                Some(alt.code)
            );
        }
    }
}
