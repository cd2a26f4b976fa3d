//! Checks on one answer by itself: no unexpected 5xx, a RequestId, a well-formed error body, and
//! only documented error codes.

use super::invariants::Violation;
use super::{CheckSet, ERROR_BODY_WELL_FORMED, ERROR_CODE_DOCUMENTED, NO_5XX, REQUEST_ID_PRESENT};
use crate::targets::Exchange;

/// Error codes the seed page, the contract and the API reference of the neighbouring actions
/// document. A code outside this list is a finding: clients cannot be written against it.
pub(crate) const DOCUMENTED_CODES: &[&str] = &[
    // The seed page.
    "InValidParameter",
    "MissingParameter",
    "InvalidOperation.InvalidEniState",
    "InvalidIp.IpUnassigned",
    "InvalidVSwitchId.IpInvalid",
    "Operation.Conflict",
    "InvalidEniId.NotFound",
    "InvalidVSwitchId.NotFound",
    // The contract: common errors.
    "InvalidParameter",
    "InvalidAction.NotFound",
    "InvalidAccessKeyId.NotFound",
    "SignatureDoesNotMatch",
    "SignatureNonceUsed",
    "InvalidTimeStamp.Expired",
    "InvalidTimeStamp.Format",
    "InvalidRegionId.NotFound",
    "Throttling",
    "InternalError",
    "ServiceUnavailable",
    // The contract: AssignPrivateIpAddresses beyond the seed.
    "InvalidPrivateIpAddress.Duplicated",
    "IdempotentParameterMismatch",
    "InvalidOperation.InvalidEcsState",
    "InvalidIp.IpAssigned",
    "MaxEniPrivateIpsCountExceeded",
    "InvalidVSwitchId.IpNotEnough",
    // The neighbouring actions' reference pages.
    "InvalidSecurityGroupId.NotFound",
    "InvalidInstanceId.NotFound",
    "InvalidOperation.DetachPrimaryEniNotAllowed",
    "InvalidOperation.EniNotAttached",
    "EniPerInstanceLimitExceeded",
    "IncompleteSignature",
    "RequestEntityTooLarge",
];

/// Codes the `current` contract documents beyond [`DOCUMENTED_CODES`] (CONTRACT.md, "Codes the
/// real cloud is known to answer"). Their statuses are not all documented, so only the code is
/// accepted here; what status answers with which is the contract's table's business.
pub(crate) const CURRENT_DOCUMENTED_CODES: &[&str] = &[
    "QuotaExceeded.PrivateIpAddress",
    "InvalidOperation.Ipv4CountExceeded",
    "IdempotentFailed",
    "IdempotentProcessing",
    "LastTokenProcessing",
    "InvalidEcsId.NotFound",
    "UnsupportedParameter",
    "Forbidden.RAM",
    "InvalidOperation.EniServiceManaged",
    "InvalidIp.IpRepeated",
    "MaxEniCountExceeded",
    "OperationConflict",
];

/// The codes a contract version documents beyond those every version does.
pub(crate) fn documented_by(contract: &str) -> &'static [&'static str] {
    match contract {
        "current" => CURRENT_DOCUMENTED_CODES,
        _ => &[],
    }
}

/// Whether `code` is documented under the named contract version.
#[cfg(test)]
pub(crate) fn documented_under(contract: &str, code: &str) -> bool {
    DOCUMENTED_CODES.contains(&code) || documented_by(contract).contains(&code)
}

/// Checks one exchange. `expected_status` lists the statuses the step accepts, so that a step
/// which asks for a 503 (fault injection) is not also a `no_5xx` finding.
pub(crate) fn check_exchange(
    exchange: &Exchange,
    expected_status: &[u16],
    checks: &CheckSet,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut report = |check, message: String| {
        if checks.is_on(check) {
            violations.push(Violation { check, message });
        }
    };
    let decoded = &exchange.decoded;
    if exchange.status >= 500 && !expected_status.contains(&exchange.status) {
        report(
            NO_5XX,
            format!(
                "answered {} {}",
                exchange.status,
                decoded.code.as_deref().unwrap_or("(no code)")
            ),
        );
    }
    if decoded.request_id.as_deref().is_none_or(str::is_empty) {
        report(
            REQUEST_ID_PRESENT,
            format!("the {} answer carries no RequestId", exchange.status),
        );
    }
    if exchange.status >= 400 {
        let mut problems: Vec<String> = decoded.problems.clone();
        if decoded.code.as_deref().is_none_or(str::is_empty) {
            problems.push("no Code".into());
        }
        if decoded.message.is_none() {
            problems.push("no Message".into());
        }
        if !problems.is_empty() {
            report(
                ERROR_BODY_WELL_FORMED,
                format!(
                    "the {} error body is malformed: {}",
                    exchange.status,
                    problems.join("; ")
                ),
            );
        }
        if let Some(code) = decoded.code.as_deref()
            && !code.is_empty()
            && !DOCUMENTED_CODES.contains(&code)
            && !checks.documented().contains(&code)
        {
            report(
                ERROR_CODE_DOCUMENTED,
                format!(
                    "error code `{code}` is not documented (under the `{}` contract)",
                    checks.contract_name()
                ),
            );
        }
    } else if exchange.status == 200 && !decoded.problems.is_empty() {
        report(
            ERROR_BODY_WELL_FORMED,
            format!("the 200 body is malformed: {}", decoded.problems.join("; ")),
        );
    }
    violations
}
