//! What a mutating request asks for (addresses, and under a contract with them IPv4 prefixes),
//! read from the request as sent: the one mapping from a
//! request to the [`Mutation`] the transition checks compare against, and the list of actions
//! that change state. The scenario runner and the sequence fuzzer both use it, so a request
//! means the same to both.

use super::invariants::Mutation;
use crate::wire::WireRequest;

/// Actions that change state, around which the state is read back.
pub const MUTATING: &[&str] = &[
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
    "CreateNetworkInterface",
    "DeleteNetworkInterface",
    "AttachNetworkInterface",
    "DetachNetworkInterface",
];

/// What `request` asks for when its `Action` parameter names an action that changes state
/// (`None` for a read, or a request without an action).
pub fn requested(request: &WireRequest) -> Option<Mutation> {
    let action = request
        .params
        .iter()
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.as_str())?;
    MUTATING
        .contains(&action)
        .then(|| mutation_of(action, request))
}

/// The mutation `request` asks for, given its action (the caller knows which action it sent).
///
/// Parameters are the request's own and the pairs of its raw query, decoded as the endpoint
/// decodes them, since the endpoint sees both. An empty `ClientToken` names no earlier request,
/// so it is no token: counting it as one would let a retry's "nothing allocated" excuse an
/// assign that allocated nothing.
pub(crate) fn mutation_of(action: &str, request: &WireRequest) -> Mutation {
    let raw_pairs = request.raw_query.iter().flat_map(|raw| {
        form_urlencoded::parse(raw.as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
    });
    let params: Vec<(String, String)> = request.params.iter().cloned().chain(raw_pairs).collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let addresses: Vec<String> = params
        .iter()
        .filter(|(key, _)| is_address_list_key(key))
        .map(|(_, value)| value.clone())
        .collect();
    let prefixes: Vec<String> = params
        .iter()
        .filter(|(key, _)| is_list_key(key, "Ipv4Prefix."))
        .map(|(_, value)| value.clone())
        .collect();
    let prefix_count = param("Ipv4PrefixCount").and_then(|count| count_value(&count));
    let client_token = param("ClientToken").filter(|token| !token.is_empty());
    let eni = param("NetworkInterfaceId").unwrap_or_default();
    match action {
        "AssignPrivateIpAddresses" => Mutation::Assign {
            eni,
            requested: addresses,
            count: param("SecondaryPrivateIpAddressCount").and_then(|count| count_value(&count)),
            prefixes,
            prefix_count,
            client_token,
        },
        "UnassignPrivateIpAddresses" => Mutation::Unassign {
            eni,
            named: addresses,
            prefixes,
        },
        "CreateNetworkInterface" => Mutation::Create {
            prefixes,
            prefix_count,
            client_token,
        },
        _ => Mutation::Other,
    }
}

/// The number a `SecondaryPrivateIpAddressCount` says when an endpoint reads it as a number:
/// digits, or a spelling the contract leaves open (`+3`, `03`, ` 3`), which an endpoint that
/// accepts it must honour exactly. `None` for anything else (`-1`, `1.5`, `abc`, too large).
pub(crate) fn count_value(text: &str) -> Option<usize> {
    let trimmed = text.trim_start_matches(' ');
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `PrivateIpAddress.N` with a well-formed `N` (no leading zero).
fn is_address_list_key(key: &str) -> bool {
    is_list_key(key, "PrivateIpAddress.")
}

/// `<list>N` with a well-formed `N` (no leading zero): `list` is `PrivateIpAddress.` or
/// `Ipv4Prefix.`.
fn is_list_key(key: &str, list: &str) -> bool {
    key.strip_prefix(list).is_some_and(|index| {
        !index.is_empty() && !index.starts_with('0') && index.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(params: &[(&str, &str)], raw_query: Option<&str>) -> WireRequest {
        WireRequest {
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            raw_query: raw_query.map(str::to_string),
            ..WireRequest::default()
        }
    }

    #[test]
    fn an_assign_reads_addresses_count_and_token() {
        let sent = request(
            &[
                ("NetworkInterfaceId", "eni-1"),
                ("PrivateIpAddress.1", "10.0.0.5"),
                ("PrivateIpAddress.01", "10.0.0.6"),
                ("ClientToken", ""),
            ],
            Some("PrivateIpAddress.2=10.0.0.7&SecondaryPrivateIpAddressCount=%2B2"),
        );
        assert_eq!(
            mutation_of("AssignPrivateIpAddresses", &sent),
            Mutation::Assign {
                eni: "eni-1".into(),
                requested: vec!["10.0.0.5".into(), "10.0.0.7".into()],
                count: Some(2),
                prefixes: vec![],
                prefix_count: None,
                client_token: None,
            }
        );
        let retry = request(&[("ClientToken", "t")], None);
        assert!(matches!(
            mutation_of("AssignPrivateIpAddresses", &retry),
            Mutation::Assign { client_token: Some(token), .. } if token == "t"
        ));
        assert_eq!(
            mutation_of("DeleteNetworkInterface", &retry),
            Mutation::Other
        );
    }

    #[test]
    fn a_request_names_its_own_action() {
        let assign = request(
            &[
                ("Action", "AssignPrivateIpAddresses"),
                ("NetworkInterfaceId", "eni-1"),
                ("ClientToken", ""),
            ],
            Some("PrivateIpAddress.1=10.0.0.9"),
        );
        // The raw query and the empty token read as `mutation_of` reads them.
        assert_eq!(
            requested(&assign),
            Some(mutation_of("AssignPrivateIpAddresses", &assign))
        );
        assert!(matches!(
            requested(&assign),
            Some(Mutation::Assign { requested, client_token: None, .. }) if requested == ["10.0.0.9"]
        ));
        let delete = request(&[("Action", "DeleteNetworkInterface")], None);
        assert_eq!(requested(&delete), Some(Mutation::Other));
        let read = request(&[("Action", "DescribeNetworkInterfaces")], None);
        assert_eq!(requested(&read), None);
        assert_eq!(requested(&request(&[], None)), None);
    }

    #[test]
    fn prefixes_are_read_on_assign_unassign_and_create() {
        let sent = request(
            &[
                ("NetworkInterfaceId", "eni-1"),
                ("Ipv4Prefix.1", "10.0.0.16/28"),
                ("Ipv4Prefix.01", "10.0.0.32/28"),
                ("Ipv4PrefixCount", "2"),
            ],
            Some("Ipv4Prefix.2=10.0.0.48%2F28"),
        );
        let Mutation::Assign {
            prefixes,
            prefix_count,
            requested,
            ..
        } = mutation_of("AssignPrivateIpAddresses", &sent)
        else {
            panic!("an assign");
        };
        assert_eq!(prefixes, ["10.0.0.16/28", "10.0.0.48/28"]);
        assert_eq!(prefix_count, Some(2));
        assert!(requested.is_empty());
        assert!(matches!(
            mutation_of("UnassignPrivateIpAddresses", &sent),
            Mutation::Unassign { prefixes, named, .. } if prefixes.len() == 2 && named.is_empty()
        ));
        assert_eq!(
            mutation_of("CreateNetworkInterface", &sent),
            Mutation::Create {
                prefixes: vec!["10.0.0.16/28".into(), "10.0.0.48/28".into()],
                prefix_count: Some(2),
                client_token: None,
            }
        );
    }

    #[test]
    fn only_numbers_and_the_open_spellings_count() {
        for (text, value) in [
            ("3", Some(3)),
            ("+3", Some(3)),
            ("03", Some(3)),
            (" 3", Some(3)),
        ] {
            assert_eq!(count_value(text), value, "{text:?}");
        }
        for refused in [
            "",
            "-1",
            "1.5",
            "abc",
            "++3",
            "+ 3",
            "3 ",
            "\t3",
            "99999999999999999999",
        ] {
            assert_eq!(count_value(refused), None, "{refused:?}");
        }
    }
}
