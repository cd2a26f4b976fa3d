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
pub const TIMESTAMP_FRACTIONAL: &str = "timestamp-fractional-seconds";
/// A v1 `Signature` in a POST form body rather than the query: accepted, body and query are
/// one parameter set.
pub const SIGNATURE_IN_BODY: &str = "signature-in-form-body";
/// A v1 request that also carries `x-acs-action`/`x-acs-version` headers: signed and read as
/// v1 (only an `ACS3-HMAC-SHA256` Authorization header makes a request V3).
pub const V1_WITH_ACS_HEADERS: &str = "v1-with-acs-headers";
/// A `ClientToken` on an action the emulator does not make idempotent: ignored.
pub const CLIENT_TOKEN_IGNORED: &str = "client-token-ignored";

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

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
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
