//! Checks on one answer by itself: no unexpected 5xx, a RequestId, a well-formed error body, and
//! only documented error codes.

use super::codes::is_documented;
use super::invariants::{Findings, Violation};
use super::{CheckSet, ERROR_BODY_WELL_FORMED, ERROR_CODE_DOCUMENTED, NO_5XX, REQUEST_ID_PRESENT};
use crate::targets::Exchange;

/// Checks one exchange. `expected_status` lists the statuses the step accepts, so that a step
/// which asks for a 503 (fault injection) is not also a `no_5xx` finding.
pub(crate) fn check_exchange(
    exchange: &Exchange,
    expected_status: &[u16],
    checks: &CheckSet,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut found = Findings::new(checks, &mut violations);
    let decoded = &exchange.decoded;
    if exchange.status >= 500 && !expected_status.contains(&exchange.status) {
        found.report(
            NO_5XX,
            format!(
                "answered {} {}",
                exchange.status,
                decoded.code.as_deref().unwrap_or("(no code)")
            ),
        );
    }
    if decoded.request_id.as_deref().is_none_or(str::is_empty) {
        found.report(
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
            found.report(
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
            && !is_documented(checks.contract_name(), code)
        {
            found.report(
                ERROR_CODE_DOCUMENTED,
                format!(
                    "error code `{code}` is not documented (under the `{}` contract)",
                    checks.contract_name()
                ),
            );
        }
    } else if exchange.status == 200 && !decoded.problems.is_empty() {
        found.report(
            ERROR_BODY_WELL_FORMED,
            format!("the 200 body is malformed: {}", decoded.problems.join("; ")),
        );
    }
    violations
}
