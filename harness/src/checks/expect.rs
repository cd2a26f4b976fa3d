//! A step's own expectations (status, code, message, fields, assigned addresses, list lengths,
//! order-free list contents) held against what came back. Templates are evaluated by the runner
//! first; this compares plain values.

use eni_spec::Path;
use serde_json::Value;

use super::describe::ASSIGNED_PATH;
use crate::targets::Exchange;
use crate::wire::decode::value_at;

/// A step's expectations with every template evaluated and every code spelled for the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Expectation {
    /// Accepted statuses; empty means not checked.
    pub status: Vec<u16>,
    /// Accepted codes; empty means not checked.
    pub codes: Vec<String>,
    pub message_contains: Option<String>,
    pub fields: Vec<(Path, String)>,
    pub absent: Vec<Path>,
    pub assigned: Option<Vec<String>>,
    pub assigned_count: Option<u32>,
    pub count: Option<(Path, usize)>,
    /// Lists that must hold a distinct element for each item, in any order.
    pub contains: Vec<(Path, Vec<Item>)>,
}

/// What one element of an order-free list must look like, its templates evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// A scalar element with this text.
    Value(String),
    /// An object element whose fields (paths relative to it) all match.
    Fields(Vec<(Path, FieldMatch)>),
}

/// What one field of an [`Item::Fields`] element must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldMatch {
    Equals(String),
    /// A nested list holding a distinct element for each item.
    Contains(Vec<Item>),
}

/// The expectation with the codes the contract accepts in place of those it names
/// ([`crate::alternatives`]): a case names the code of the contract's table, and under a
/// contract version that allows another in its place the other meets it too. An answer with an
/// alternative is held to the alternative's documented status, or, where none is documented, to
/// being a refusal (4xx). `eni_status` is the ENI's status as last read (`None`: not known).
pub(crate) fn admit_alternatives(
    mut expectation: Expectation,
    contract: &str,
    action: &str,
    eni_status: Option<&str>,
    exchange: &Exchange,
) -> Expectation {
    let answered = exchange.decoded.code.as_deref().unwrap_or("");
    let named = expectation.codes.clone();
    for code in &named {
        for alt in crate::alternatives::alternatives_of(contract, action, code, eni_status) {
            if !expectation.codes.iter().any(|c| c == alt.alternative) {
                expectation.codes.push(alt.alternative.to_string());
            }
            if answered != alt.alternative || expectation.status.is_empty() {
                continue;
            }
            let status = match alt.status {
                Some(status) => status,
                None if (400..500).contains(&exchange.status) => exchange.status,
                None => continue,
            };
            if !expectation.status.contains(&status) {
                expectation.status.push(status);
            }
        }
    }
    expectation
}

/// Every way the answer differs from the expectation, one line each.
pub(crate) fn mismatches(expectation: &Expectation, exchange: &Exchange) -> Vec<String> {
    let decoded = &exchange.decoded;
    let mut found = Vec::new();
    let actual_code = decoded.code.as_deref().unwrap_or("");
    if !expectation.status.is_empty() && !expectation.status.contains(&exchange.status) {
        found.push(format!(
            "status: expected {}, got {}{}",
            one_of(expectation.status.iter().map(u16::to_string)),
            exchange.status,
            if actual_code.is_empty() {
                String::new()
            } else {
                format!(
                    " {actual_code}: {}",
                    decoded.message.as_deref().unwrap_or("")
                )
            }
        ));
    }
    // A step that accepts a success among its outcomes (`status: [200, 403]`) checks the code
    // only when the answer is an error: a success has no code.
    let success_accepted = exchange.status == 200 && expectation.status.contains(&200);
    if !expectation.codes.is_empty()
        && !success_accepted
        && !expectation.codes.iter().any(|code| code == actual_code)
    {
        found.push(format!(
            "code: expected {}, got {}",
            one_of(expectation.codes.iter().cloned()),
            if actual_code.is_empty() {
                "no code".to_string()
            } else {
                format!("`{actual_code}`")
            }
        ));
    }
    if let Some(needle) = &expectation.message_contains {
        let message = decoded.message.as_deref().unwrap_or("");
        if !message.contains(needle.as_str()) {
            found.push(format!(
                "message: expected it to contain {needle:?}, got {message:?}"
            ));
        }
    }
    for (path, expected) in &expectation.fields {
        match decoded.at(path).map(scalar_text) {
            Some(Some(actual)) if actual == *expected => {}
            Some(Some(actual)) => found.push(format!(
                "field {path}: expected {expected:?}, got {actual:?}"
            )),
            Some(None) => found.push(format!(
                "field {path}: expected {expected:?}, got a list or object"
            )),
            None => found.push(format!(
                "field {path}: expected {expected:?}, but it is absent"
            )),
        }
    }
    for path in &expectation.absent {
        if decoded.at(path).is_some() {
            found.push(format!(
                "field {path}: expected it absent, but it is present"
            ));
        }
    }
    let assigned = decoded.strings_at(ASSIGNED_PATH);
    if let Some(expected) = &expectation.assigned {
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        let mut actual_sorted = assigned.clone();
        actual_sorted.sort();
        if expected_sorted != actual_sorted {
            found.push(format!(
                "assigned: expected [{}], got [{}]",
                expected.join(", "),
                assigned.join(", ")
            ));
        }
    }
    if let Some(count) = expectation.assigned_count
        && assigned.len() != count as usize
    {
        found.push(format!(
            "assigned: expected {count} addresses, got {}: [{}]",
            assigned.len(),
            assigned.join(", ")
        ));
    }
    if let Some((path, expected)) = &expectation.count {
        let actual = match decoded.at(path) {
            Some(serde_json::Value::Array(items)) => items.len(),
            Some(_) => 1,
            None => 0,
        };
        if actual != *expected {
            found.push(format!(
                "count of {path}: expected {expected}, got {actual}"
            ));
        }
    }
    for (path, items) in &expectation.contains {
        let elements = elements_of(decoded.at(path));
        found.extend(unmatched(items, &elements).into_iter().map(|miss| {
            format!(
                "contains {path}: {}; the list holds {}",
                miss.describe(),
                holdings(items, &elements)
            )
        }));
    }
    found
}

/// Elements shown in a mismatch message, and characters shown of each value: enough to see
/// what the list holds, bounded whatever the endpoint sent.
const SHOWN_ELEMENTS: usize = 10;
const SHOWN_CHARS: usize = 64;

/// The elements of a list: an array's items; a lone value is a list of one (an endpoint that
/// answers XML cannot tell them apart), and nothing is an empty list, as `count` reads them.
fn elements_of(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// An item that found no distinct element of its own.
struct Miss<'i> {
    item: &'i Item,
    /// How many elements match it (all of them taken by other items).
    matching: usize,
}

impl Miss<'_> {
    fn describe(&self) -> String {
        let item = shown_item(self.item);
        match self.matching {
            0 => format!("no element matches {item}"),
            n => format!(
                "{item} matches {n} element{}, each of them needed by another item: the list lacks a distinct element for it",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The items that cannot each be given an element of their own: a maximum bipartite matching
/// between items and the elements matching them, so the verdict does not depend on the order of
/// either (a greedy pick can give an element to the wrong item and miss a complete matching).
fn unmatched<'i>(items: &'i [Item], elements: &[&Value]) -> Vec<Miss<'i>> {
    let candidates: Vec<Vec<usize>> = items
        .iter()
        .map(|item| {
            (0..elements.len())
                .filter(|&e| matches(item, elements[e]))
                .collect()
        })
        .collect();
    let matched = maximum_matching(&candidates, elements.len());
    items
        .iter()
        .zip(&candidates)
        .zip(matched)
        .filter(|(_, element)| element.is_none())
        .map(|((item, candidates), _)| Miss {
            item,
            matching: candidates.len(),
        })
        .collect()
}

/// Whether every item can be given a distinct element.
fn holds_all(items: &[Item], elements: &[&Value]) -> bool {
    unmatched(items, elements).is_empty()
}

fn matches(item: &Item, element: &Value) -> bool {
    match item {
        Item::Value(expected) => scalar_text(element).is_some_and(|actual| actual == *expected),
        Item::Fields(fields) => fields.iter().all(|(path, field)| {
            let value = value_at(element, path);
            match field {
                FieldMatch::Equals(expected) => value
                    .and_then(scalar_text)
                    .is_some_and(|actual| actual == *expected),
                FieldMatch::Contains(nested) => holds_all(nested, &elements_of(value)),
            }
        }),
    }
}

/// For each item (its candidate elements given), the element it is matched to in a maximum
/// matching. Augmenting paths are found breadth-first, without recursion: the lists come from
/// the endpoint and can be long.
fn maximum_matching(candidates: &[Vec<usize>], elements: usize) -> Vec<Option<usize>> {
    let mut element_of: Vec<Option<usize>> = vec![None; candidates.len()];
    let mut item_of: Vec<Option<usize>> = vec![None; elements];
    for start in 0..candidates.len() {
        // `reached_from[e]`: the item through which the search first reached element `e`.
        let mut reached_from: Vec<Option<usize>> = vec![None; elements];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut free = None;
        'search: while let Some(item) = queue.pop_front() {
            for &element in &candidates[item] {
                if reached_from[element].is_some() {
                    continue;
                }
                reached_from[element] = Some(item);
                match item_of[element] {
                    None => {
                        free = Some(element);
                        break 'search;
                    }
                    Some(holder) => queue.push_back(holder),
                }
            }
        }
        // Flip the path: each item on it takes the element the search reached through it.
        let mut next = free;
        while let Some(element) = next {
            let Some(item) = reached_from[element] else {
                break;
            };
            next = element_of[item];
            element_of[item] = Some(element);
            item_of[element] = Some(item);
        }
    }
    element_of
}

/// An item as the case wrote it, its templates evaluated: `{NetworkInterfaceId: "eni-1"}`.
fn shown_item(item: &Item) -> String {
    match item {
        Item::Value(value) => shown_text(value),
        Item::Fields(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(path, field)| match field {
                    FieldMatch::Equals(value) => format!("{path}: {}", shown_text(value)),
                    FieldMatch::Contains(nested) => format!(
                        "{path}: [{}]",
                        nested.iter().map(shown_item).collect::<Vec<_>>().join(", ")
                    ),
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// What the list holds, as far as the items look at it: each element cut down to the fields
/// the items name (a nested list shows its length), at most [`SHOWN_ELEMENTS`] of them.
fn holdings(items: &[Item], elements: &[&Value]) -> String {
    if elements.is_empty() {
        return "no element".into();
    }
    let mut paths: Vec<&Path> = Vec::new();
    for item in items {
        if let Item::Fields(fields) = item {
            for (path, _) in fields {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    let shown: Vec<String> = elements
        .iter()
        .take(SHOWN_ELEMENTS)
        .map(|element| match scalar_text(element) {
            Some(text) => shown_text(&text),
            None if paths.is_empty() => "(an object)".into(),
            None => {
                let fields: Vec<String> = paths
                    .iter()
                    .map(|path| format!("{path}: {}", shown_value(value_at(element, path))))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
        })
        .collect();
    let more = elements.len().saturating_sub(SHOWN_ELEMENTS);
    format!(
        "{} element{}: {}{}",
        elements.len(),
        if elements.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if more > 0 {
            format!(", … and {more} more")
        } else {
            String::new()
        }
    )
}

fn shown_value(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".into(),
        Some(Value::Array(items)) => format!("[{} elements]", items.len()),
        Some(Value::Object(_)) => "(an object)".into(),
        Some(value) => scalar_text(value).map_or_else(String::new, |text| shown_text(&text)),
    }
}

/// Text quoted and escaped (it may come from the endpoint), cut to [`SHOWN_CHARS`].
fn shown_text(text: &str) -> String {
    if text.chars().count() <= SHOWN_CHARS {
        format!("{text:?}")
    } else {
        let cut: String = text.chars().take(SHOWN_CHARS).collect();
        format!("{cut:?}…")
    }
}

/// A scalar as text (the decoded model holds every scalar as a string already).
fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Null => Some(String::new()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn one_of(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [one] => one.clone(),
        _ => format!("one of [{}]", items.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "NetworkInterfaceSets.NetworkInterfaceSet";

    fn answer(body: serde_json::Value) -> Exchange {
        let text = body.to_string();
        Exchange {
            method: "GET",
            params: Vec::new(),
            raw_query: None,
            status: 200,
            content_type: Some("application/json".into()),
            decoded: crate::wire::decode_response(200, Some("application/json"), text.as_bytes()),
            body: text.into(),
            elapsed: std::time::Duration::ZERO,
        }
    }

    /// One listed ENI: id, status, and its addresses with whether each is the primary.
    type Listed<'a> = (&'a str, &'a str, &'a [(&'a str, bool)]);

    /// A Describe answer listing these ENIs.
    fn listing(enis: &[Listed<'_>]) -> Exchange {
        let sets: Vec<Value> = enis
            .iter()
            .map(|(id, status, ips)| {
                let ips: Vec<Value> = ips
                    .iter()
                    .map(|(ip, primary)| serde_json::json!({"PrivateIpAddress": ip, "Primary": primary}))
                    .collect();
                serde_json::json!({
                    "NetworkInterfaceId": id,
                    "Status": status,
                    "PrivateIpSets": {"PrivateIpSet": ips},
                })
            })
            .collect();
        answer(serde_json::json!({
            "RequestId": "R",
            "TotalCount": enis.len(),
            "NetworkInterfaceSets": {"NetworkInterfaceSet": sets},
        }))
    }

    fn path(text: &str) -> Path {
        Path::parse(text).unwrap()
    }

    fn eni(id: &str) -> Item {
        Item::Fields(vec![(
            path("NetworkInterfaceId"),
            FieldMatch::Equals(id.into()),
        )])
    }

    fn fields(pairs: &[(&str, &str)]) -> Item {
        Item::Fields(
            pairs
                .iter()
                .map(|(p, v)| (path(p), FieldMatch::Equals((*v).into())))
                .collect(),
        )
    }

    fn contains(list: &str, items: Vec<Item>) -> Expectation {
        Expectation {
            contains: vec![(path(list), items)],
            ..Expectation::default()
        }
    }

    fn refusal(status: u16, code: &str) -> Exchange {
        let text = serde_json::json!({"RequestId": "R", "Code": code, "Message": "m"}).to_string();
        Exchange {
            status,
            decoded: crate::wire::decode_response(
                status,
                Some("application/json"),
                text.as_bytes(),
            ),
            body: text.into(),
            ..answer(serde_json::json!({}))
        }
    }

    fn expecting(status: u16, code: &str) -> Expectation {
        Expectation {
            status: vec![status],
            codes: vec![code.into()],
            ..Expectation::default()
        }
    }

    const ASSIGN: &str = "AssignPrivateIpAddresses";

    #[test]
    fn the_current_contract_admits_the_quota_code_for_row_16_and_the_seed_does_not() {
        let want = expecting(403, "InvalidVSwitchId.IpNotEnough");
        let quota = refusal(403, "QuotaExceeded.PrivateIpAddress");
        let current =
            admit_alternatives(want.clone(), "current", ASSIGN, Some("Available"), &quota);
        assert!(mismatches(&current, &quota).is_empty());
        let seed = admit_alternatives(want.clone(), "seed", ASSIGN, Some("Available"), &quota);
        assert_eq!(seed, want);
        assert_eq!(
            mismatches(&seed, &quota),
            ["code: expected InvalidVSwitchId.IpNotEnough, got `QuotaExceeded.PrivateIpAddress`"]
        );
        // The alternative's documented status holds.
        let wrong_status = refusal(400, "QuotaExceeded.PrivateIpAddress");
        let current = admit_alternatives(want, "current", ASSIGN, None, &wrong_status);
        assert_eq!(mismatches(&current, &wrong_status).len(), 1);
    }

    #[test]
    fn the_instance_type_cap_code_meets_row_15_on_an_in_use_eni_only() {
        let want = expecting(403, "MaxEniPrivateIpsCountExceeded");
        // Its status is not documented: any refusal, never a success or a 5xx.
        let answered = refusal(400, "InvalidOperation.Ipv4CountExceeded");
        let in_use = admit_alternatives(want.clone(), "current", ASSIGN, Some("InUse"), &answered);
        assert!(mismatches(&in_use, &answered).is_empty());
        let available = admit_alternatives(
            want.clone(),
            "current",
            ASSIGN,
            Some("Available"),
            &answered,
        );
        assert_eq!(mismatches(&available, &answered).len(), 2);
        let fault = refusal(500, "InvalidOperation.Ipv4CountExceeded");
        let in_use = admit_alternatives(want.clone(), "current", ASSIGN, Some("InUse"), &fault);
        assert_eq!(mismatches(&in_use, &fault).len(), 1);
        // Another action's row 15 has no alternative.
        let unassign = admit_alternatives(
            want.clone(),
            "current",
            "CreateNetworkInterface",
            None,
            &answered,
        );
        assert_eq!(unassign, want);
    }

    #[test]
    fn contains_holds_in_any_order() {
        let exchange = listing(&[
            ("eni-a", "InUse", &[]),
            ("eni-b", "Available", &[]),
            ("eni-c", "Available", &[]),
        ]);
        let want = contains(
            LIST,
            vec![
                eni("eni-c"),
                fields(&[("NetworkInterfaceId", "eni-a"), ("Status", "InUse")]),
            ],
        );
        assert_eq!(mismatches(&want, &exchange), Vec::<String>::new());
        let wrong = contains(
            LIST,
            vec![fields(&[
                ("NetworkInterfaceId", "eni-a"),
                ("Status", "Available"),
            ])],
        );
        let found = mismatches(&wrong, &exchange);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(&format!(
                "contains {LIST}: no element matches {{NetworkInterfaceId: \"eni-a\", Status: \"Available\"}}; the list holds 3 elements: {{NetworkInterfaceId: \"eni-a\", Status: \"InUse\"}}, "
            )),
            "{}",
            found[0]
        );
    }

    #[test]
    fn every_item_needs_an_element_of_its_own() {
        let one = listing(&[("eni-a", "Available", &[])]);
        let twice = contains(
            LIST,
            vec![
                fields(&[("Status", "Available")]),
                fields(&[("Status", "Available")]),
            ],
        );
        let found = mismatches(&twice, &one);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("matches 1 element, each of them needed by another item"),
            "{}",
            found[0]
        );
        let two = listing(&[("eni-a", "Available", &[]), ("eni-b", "Available", &[])]);
        assert!(mismatches(&twice, &two).is_empty());
    }

    /// A greedy pick, item by item in either order, gives `eni-a` to the item that could have
    /// taken `eni-b` as well; the matching must find the assignment that serves both.
    #[test]
    fn items_are_matched_as_a_whole_not_greedily() {
        let exchange = listing(&[("eni-a", "Available", &[]), ("eni-b", "Available", &[])]);
        for (list, items) in [
            (LIST, vec![fields(&[("Status", "Available")]), eni("eni-a")]),
            (LIST, vec![eni("eni-a"), fields(&[("Status", "Available")])]),
        ] {
            let want = contains(list, items);
            assert!(mismatches(&want, &exchange).is_empty());
        }
        let reversed = listing(&[("eni-b", "Available", &[]), ("eni-a", "Available", &[])]);
        let want = contains(LIST, vec![fields(&[("Status", "Available")]), eni("eni-a")]);
        assert!(mismatches(&want, &reversed).is_empty());
        // Three items that all want one of two elements: one is left over, whichever it is.
        let three = contains(
            LIST,
            vec![
                fields(&[("Status", "Available")]),
                eni("eni-a"),
                eni("eni-b"),
            ],
        );
        assert_eq!(mismatches(&three, &exchange).len(), 1);
    }

    #[test]
    fn nested_lists_are_order_free_too() {
        let exchange = listing(&[
            (
                "eni-a",
                "Available",
                &[("10.0.0.5", true), ("10.0.0.6", false)],
            ),
            (
                "eni-b",
                "Available",
                &[("10.0.0.7", true), ("10.0.0.8", false)],
            ),
        ]);
        let ip = |address: &str, primary: &str| {
            fields(&[("PrivateIpAddress", address), ("Primary", primary)])
        };
        let of_b = |ips: Vec<Item>| {
            Item::Fields(vec![
                (
                    path("NetworkInterfaceId"),
                    FieldMatch::Equals("eni-b".into()),
                ),
                (
                    path("PrivateIpSets.PrivateIpSet"),
                    FieldMatch::Contains(ips),
                ),
            ])
        };
        let want = contains(
            LIST,
            vec![of_b(vec![ip("10.0.0.8", "false"), ip("10.0.0.7", "true")])],
        );
        assert!(mismatches(&want, &exchange).is_empty());
        // eni-a's addresses are not eni-b's.
        let wrong = contains(LIST, vec![of_b(vec![ip("10.0.0.6", "false")])]);
        let found = mismatches(&wrong, &exchange);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains(
                "no element matches {NetworkInterfaceId: \"eni-b\", PrivateIpSets.PrivateIpSet: [{PrivateIpAddress: \"10.0.0.6\", Primary: \"false\"}]}"
            ),
            "{}",
            found[0]
        );
        assert!(
            found[0].contains("PrivateIpSets.PrivateIpSet: [2 elements]"),
            "{}",
            found[0]
        );
        // A path inside one ENI works without `contains` at the top.
        let attribute = answer(
            serde_json::json!({"RequestId": "R", "PrivateIpSets": {"PrivateIpSet": [
                {"PrivateIpAddress": "10.0.0.5", "Primary": true},
                {"PrivateIpAddress": "10.0.0.6", "Primary": false},
            ]}}),
        );
        let want = contains(
            "PrivateIpSets.PrivateIpSet",
            vec![ip("10.0.0.6", "false"), ip("10.0.0.5", "true")],
        );
        assert!(mismatches(&want, &attribute).is_empty());
    }

    #[test]
    fn scalar_items_match_scalar_elements() {
        let exchange = answer(
            serde_json::json!({"RequestId": "R", "SecurityGroupIds": {"SecurityGroupId": ["sg-1", "sg-2"]}}),
        );
        let list = "SecurityGroupIds.SecurityGroupId";
        let want = contains(
            list,
            vec![Item::Value("sg-2".into()), Item::Value("sg-1".into())],
        );
        assert!(mismatches(&want, &exchange).is_empty());
        let found = mismatches(&contains(list, vec![Item::Value("sg-3".into())]), &exchange);
        assert_eq!(
            found,
            [format!(
                "contains {list}: no element matches \"sg-3\"; the list holds 2 elements: \"sg-1\", \"sg-2\""
            )]
        );
    }

    #[test]
    fn a_missing_list_is_empty_and_a_lone_value_is_a_list_of_one() {
        let empty = answer(serde_json::json!({"RequestId": "R"}));
        let found = mismatches(&contains(LIST, vec![eni("eni-a")]), &empty);
        assert_eq!(
            found,
            [format!(
                "contains {LIST}: no element matches {{NetworkInterfaceId: \"eni-a\"}}; the list holds no element"
            )]
        );
        let lone =
            answer(serde_json::json!({"RequestId": "R", "Only": {"NetworkInterfaceId": "eni-a"}}));
        assert!(mismatches(&contains("Only", vec![eni("eni-a")]), &lone).is_empty());
    }

    #[test]
    fn a_mismatch_message_is_bounded_whatever_the_list_holds() {
        let long = "x".repeat(10_000);
        let ids: Vec<String> = (0..500).map(|i| format!("eni-{i}-{long}")).collect();
        let enis: Vec<Listed<'_>> = ids
            .iter()
            .map(|id| (id.as_str(), "Available", &[][..]))
            .collect();
        let exchange = listing(&enis);
        let found = mismatches(
            &contains(LIST, vec![eni("eni-missing\u{1b}[2J")]),
            &exchange,
        );
        assert_eq!(found.len(), 1);
        let message = &found[0];
        assert!(message.len() < 2_000, "{} characters", message.len());
        assert!(message.contains("500 elements"), "{message}");
        assert!(message.ends_with(", … and 490 more"), "{message}");
        assert!(message.contains("\"eni-0-xxxx"), "{message}");
        // Escaped, so an endpoint's (or a capture's) control characters cannot reach a terminal.
        assert!(!message.contains('\u{1b}'), "{message}");
    }

    /// What paging relies on: a repeated ENI shows up in `count` and `contains` together,
    /// whichever of the two the repetition slips past.
    #[test]
    fn count_and_contains_together_catch_a_repeated_element() {
        let want = Expectation {
            count: Some((path(LIST), 3)),
            contains: vec![(path(LIST), vec![eni("eni-a"), eni("eni-b"), eni("eni-c")])],
            ..Expectation::default()
        };
        let exactly_once = listing(&[
            ("eni-c", "Available", &[]),
            ("eni-a", "Available", &[]),
            ("eni-b", "Available", &[]),
        ]);
        assert!(mismatches(&want, &exactly_once).is_empty());
        let repeated_instead = listing(&[
            ("eni-a", "Available", &[]),
            ("eni-b", "Available", &[]),
            ("eni-b", "Available", &[]),
        ]);
        let found = mismatches(&want, &repeated_instead);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("no element matches {NetworkInterfaceId: \"eni-c\"}"));
        let repeated_besides = listing(&[
            ("eni-a", "Available", &[]),
            ("eni-b", "Available", &[]),
            ("eni-b", "Available", &[]),
            ("eni-c", "Available", &[]),
        ]);
        assert_eq!(
            mismatches(&want, &repeated_besides),
            [format!("count of {LIST}: expected 3, got 4")]
        );
    }
}
