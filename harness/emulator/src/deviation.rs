//! Deviations: what a client did that the contract does not decide, so that the emulator had to
//! (DECISIONS.md, "Client deviations"). A deviation is not an error — the request is answered as
//! decided — but an SDK team should know that the real cloud may decide otherwise, so the
//! journal names each one a request showed (`JournalEntry::deviations`).

use axum::http::Method;

use crate::params::Params;
use crate::sign::parse_timestamp;

/// Actions whose `ClientToken` the emulator honours (assign, unassign and create).
const IDEMPOTENT_ACTIONS: [&str; 3] = [
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
    "CreateNetworkInterface",
];

/// A v1 `Timestamp` with fractional seconds (`2026-01-02T03:04:05.123Z`): accepted.
pub(crate) const TIMESTAMP_FRACTIONAL: &str = "timestamp-fractional-seconds";
/// A v1 `Signature` in a POST form body rather than the query: accepted, body and query are
/// one parameter set.
pub(crate) const SIGNATURE_IN_BODY: &str = "signature-in-form-body";
/// A v1 request that also carries `x-acs-action`/`x-acs-version` headers: signed and read as
/// v1 (only an `ACS3-HMAC-SHA256` Authorization header makes a request V3).
pub(crate) const V1_WITH_ACS_HEADERS: &str = "v1-with-acs-headers";
/// A `ClientToken` on an action the emulator does not make idempotent: ignored.
pub(crate) const CLIENT_TOKEN_IGNORED: &str = "client-token-ignored";

/// Client mistakes: what a correct client would not send. The contract decides the answer (an
/// unknown parameter is ignored, a filter value is matched as given), so the request is answered
/// as usual and the gate does not fail; but the client is wrong, and `journal` says so apart
/// from deviations (`JournalEntry::mistakes`).
///
/// A parameter whose name is not spelled as every ECS parameter is (dot-separated segments, each
/// an UpperCamelCase word or a list index: `PrivateIpAddress.3`, `Tag.1.Key`): no action has
/// it, so the client built it by mistake (footmark 1.26.0 sends `on=<Action>`).
pub(crate) const STRAY_PARAMETER: &str = "stray-parameter";
/// A value that is a language's spelling of "nothing" (`None`, `null`, `undefined`, `NaN`,
/// `[object Object]`, `<nil>`): the client stringified a missing value instead of leaving the
/// parameter out (ansible_alicloud's `ali_eni` sends `NetworkInterfaceId.1=None`).
pub(crate) const PLACEHOLDER_VALUE: &str = "placeholder-value";

/// How languages print a missing or unprintable value.
const PLACEHOLDERS: [&str; 6] = [
    "None",
    "null",
    "undefined",
    "NaN",
    "[object Object]",
    "<nil>",
];

/// Whether `name` is spelled as ECS parameters are.
fn is_ecs_parameter_name(name: &str) -> bool {
    name.split('.').all(|segment| {
        let mut chars = segment.chars();
        match chars.next() {
            Some(first) if first.is_ascii_uppercase() => chars.all(|c| c.is_ascii_alphanumeric()),
            Some(first) if first.is_ascii_digit() => chars.all(|c| c.is_ascii_digit()),
            _ => false,
        }
    })
}

/// The client mistakes one request showed, in a fixed order.
pub(crate) fn mistakes(params: &Params) -> Vec<&'static str> {
    let mut found = Vec::new();
    if params.pairs.iter().any(|(k, _)| !is_ecs_parameter_name(k)) {
        found.push(STRAY_PARAMETER);
    }
    if params
        .pairs
        .iter()
        .any(|(_, v)| PLACEHOLDERS.contains(&v.as_ref()))
    {
        found.push(PLACEHOLDER_VALUE);
    }
    found
}

/// The deviations one request showed, in a fixed order. `query_len` is how many of
/// `params.pairs` came from the query (the rest from a form body).
pub(crate) fn detect(
    method: &Method,
    params: &Params,
    query_len: usize,
    is_v3: bool,
    has_acs_headers: bool,
    action: Option<&str>,
) -> Vec<&'static str> {
    let mut found = Vec::new();
    if !is_v3 {
        if let Some(ts) = params.get("Timestamp") {
            // Only a timestamp that parses: a malformed one is an error, not a deviation.
            if ts.contains('.') && parse_timestamp(ts).is_some() {
                found.push(TIMESTAMP_FRACTIONAL);
            }
        }
        let in_body = params
            .pairs
            .iter()
            .skip(query_len)
            .any(|(k, _)| k == "Signature");
        if *method == Method::POST && in_body {
            found.push(SIGNATURE_IN_BODY);
        }
        let signed_v1 = params.get("Signature").is_some();
        if signed_v1 && has_acs_headers {
            found.push(V1_WITH_ACS_HEADERS);
        }
    }
    let token = params.get_nonempty("ClientToken").is_some();
    if token && action.is_some_and(|a| !IDEMPOTENT_ACTIONS.contains(&a)) {
        found.push(CLIENT_TOKEN_IGNORED);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::params;

    #[test]
    fn client_mistakes_are_names_no_action_has_and_stringified_nothings() {
        let clean = params(&[
            ("Action", "DescribeNetworkInterfaces"),
            ("NetworkInterfaceId.1", "eni-1"),
            ("Tag.1.Key", "k"),
            ("NetworkInterfaceName", "none"),
        ]);
        assert!(mistakes(&clean).is_empty());
        // footmark's `Action`[4:] and ali_eni's stringified None.
        assert_eq!(
            mistakes(&params(&[("on", "DescribeNetworkInterfaces")])),
            [STRAY_PARAMETER]
        );
        assert_eq!(
            mistakes(&params(&[("NetworkInterfaceId.1", "None")])),
            [PLACEHOLDER_VALUE]
        );
        for stray in [
            "",
            "privateIpAddress",
            "PrivateIpAddress.",
            "Private-Ip",
            "A..1",
            "A.1x",
        ] {
            assert_eq!(
                mistakes(&params(&[(stray, "v")])),
                [STRAY_PARAMETER],
                "{stray:?}"
            );
        }
        for nothing in PLACEHOLDERS {
            assert_eq!(
                mistakes(&params(&[("Description", nothing)])),
                [PLACEHOLDER_VALUE]
            );
        }
        assert_eq!(
            mistakes(&params(&[("on", "x"), ("VSwitchId", "undefined")])),
            [STRAY_PARAMETER, PLACEHOLDER_VALUE]
        );
    }

    #[test]
    fn each_deviation_is_seen_only_where_it_happened() {
        let fractional = params(&[
            ("Timestamp", "2026-01-02T03:04:05.123Z"),
            ("Signature", "s"),
        ]);
        let whole = params(&[("Timestamp", "2026-01-02T03:04:05Z"), ("Signature", "s")]);
        let malformed = params(&[("Timestamp", "2026-01-02T03:04:05.Z")]);
        let get = Method::GET;
        assert_eq!(
            detect(&get, &fractional, 2, false, false, None),
            [TIMESTAMP_FRACTIONAL]
        );
        assert!(detect(&get, &whole, 2, false, false, None).is_empty());
        assert!(detect(&get, &malformed, 1, false, false, None).is_empty());
        // The same timestamp under V3 is not a v1 timestamp.
        assert!(detect(&get, &fractional, 2, true, false, None).is_empty());

        // Signature from the body (after the one query pair) of a POST.
        let body = params(&[("Action", "X"), ("Signature", "s")]);
        assert_eq!(
            detect(&Method::POST, &body, 1, false, false, None),
            [SIGNATURE_IN_BODY]
        );
        assert!(detect(&Method::POST, &body, 2, false, false, None).is_empty());

        assert_eq!(
            detect(&get, &whole, 2, false, true, None),
            [V1_WITH_ACS_HEADERS]
        );
        assert!(detect(&get, &params(&[]), 0, true, true, None).is_empty());

        let token = params(&[("ClientToken", "t")]);
        assert_eq!(
            detect(
                &get,
                &token,
                1,
                false,
                false,
                Some("DescribeNetworkInterfaces")
            ),
            [CLIENT_TOKEN_IGNORED]
        );
        assert!(
            detect(
                &get,
                &token,
                1,
                false,
                false,
                Some("AssignPrivateIpAddresses")
            )
            .is_empty()
        );
        let empty_token = params(&[("ClientToken", "")]);
        assert!(
            detect(
                &get,
                &empty_token,
                1,
                false,
                false,
                Some("DeleteNetworkInterface")
            )
            .is_empty()
        );
    }
}
