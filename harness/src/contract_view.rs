//! The contract view of a case's redacted exchanges: what of them the contract decides, so that a
//! recording of one endpoint judges another. Both sides of a comparison go through
//! [`contract_view`]; whatever it drops (extra fields, message wording, list order, ids and
//! addresses the endpoint chose, other ENIs it lists) is the endpoint's free choice.
//!
//! Per step the view keeps: the step's name; the request as the case wrote it; the HTTP status or
//! that there was no answer; the error `Code`; for a code whose message the contract quotes, the
//! quoted sentence found in the message; and, on a 200, the fields the contract names for that
//! action's answer, lists as multisets. Endpoint-chosen tokens (`<eni:N>`, `<ip:N>`, …) are
//! renumbered in the order the view meets them, so two views are equal exactly when the same
//! tokens stand in the same places up to renaming: the identity relations between ids and
//! addresses.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::checks::describe;

/// A token the redactor numbered: a value the endpoint chose.
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(ip|eni|vpc|mac|cidr|literal-ip):(\d+)>").expect("the pattern is valid")
});

/// A numbered address in a request. Addresses a case computes or captures carry their
/// expression's name, so a numbered one is an address the case wrote literally; that it equals
/// one the endpoint chose (`192.168.0.1` in `192.168.0.1.2`, a primary elsewhere) is the
/// endpoint's allocation, no relation the case set up.
static REQUEST_ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<ip:(\d+)>").expect("the pattern is valid"));

/// The codes whose message the contract quotes, and the quoted sentence (its placeholders
/// matched by whatever the redacted message holds there).
static QUOTED_MESSAGES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        (
            "InvalidOperation.InvalidEniState",
            r"Expecting status is “[^”]*” while current status is “[^”]*”\.",
        ),
        ("Operation.Conflict", r"ecs task is conflicted\."),
        (
            "InvalidVSwitchId.IpInvalid",
            r"The specified IpAddress “[^”]*” is not valid in VSwitch CIDR block “[^”]*”\.",
        ),
        (
            "InvalidVSwitchId.IpNotEnough",
            r#"The specified VSwitch "[^"]*" has not enough IpAddress\."#,
        ),
        (
            "InvalidIp.IpUnassigned",
            r"The specified IP “[^”]*” is not assigned on this ENI\.",
        ),
        (
            "SignatureDoesNotMatch",
            r"Specified signature is not matched with our calculation\. server string to sign is:",
        ),
    ]
    .into_iter()
    .map(|(code, pattern)| (code, Regex::new(pattern).expect("the pattern is valid")))
    .collect()
});

/// The request keys of a snapshot step, in the order the view shows them.
// `format` and `signing` are left out: a run may ask for another format or sign another way
// (`--format`, `--signing`) without changing what the contract decides.
const REQUEST_KEYS: &[&str] = &[
    "method",
    "request",
    "raw_query",
    "omit",
    "corrupt_signature",
];

/// The fields of one ENI the contract names (CONTRACT.md, neighbouring actions), besides its
/// address list.
const ENI_FIELDS: &[&str] = &[
    "NetworkInterfaceId",
    "Status",
    "Type",
    "VSwitchId",
    "InstanceId",
    "PrivateIpAddress",
];

/// The fields of a Create's answer the contract names, besides its address list.
const CREATE_FIELDS: &[&str] = &[
    "NetworkInterfaceId",
    "Status",
    "VSwitchId",
    "PrivateIpAddress",
];

/// Request parameters that make a `DescribeNetworkInterfaces` call one page of several.
const PAGING_PARAMS: &[&str] = &["MaxResults", "NextToken", "PageNumber", "PageSize"];

/// The contract view of a redacted snapshot (`{case, steps: [...]}`, as the runner renders it).
/// `open_steps` names the steps (`steps.assign`) whose answer the case itself leaves open — an
/// expectation admitting several statuses or codes, where the contract allows either — so only
/// their request is kept.
pub(crate) fn contract_view(snapshot: &Value, open_steps: &BTreeSet<String>) -> Value {
    let mut known = BTreeSet::new();
    let steps: Vec<Value> = snapshot
        .get("steps")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|step| {
            let view = step_view(step, open_steps, &known);
            collect_numbered(step, &mut known);
            view
        })
        .collect();
    let mut view = Map::new();
    if let Some(case) = snapshot.get("case") {
        view.insert("case".into(), case.clone());
    }
    view.insert("steps".into(), Value::Array(steps));
    let mut view = Value::Object(view);
    renumber(&mut view);
    view
}

/// Spells every code of a view as `spell` does: the reference recordings are the reference
/// emulator's under the seed contract, and a target judged under another contract version (the
/// `current` profile's `InvalidParameter`) is held to the code as its own contract spells it.
pub(crate) fn respell_codes(view: &mut Value, spell: &dyn Fn(&str) -> String) {
    let Some(steps) = view.get_mut("steps").and_then(Value::as_array_mut) else {
        return;
    };
    for step in steps {
        if let Some(code) = step.get_mut("code")
            && let Some(text) = code.as_str()
        {
            *code = Value::String(spell(text));
        }
    }
}

/// Folds the codes `contract` accepts in place of another ([`crate::alternatives`]) into the
/// code they stand for, on both sides of a comparison: an endpoint answering the alternative
/// answers what the recording holds. On a step whose code has an alternative, the view also
/// drops what the alternative does not share with it: the quoted message (the contract quotes
/// none for an alternative), and the status where an alternative's is not documented. A
/// contract without alternatives (`seed`) leaves the view as it is.
pub(crate) fn fold_alternatives(view: &mut Value, contract: &str) {
    let Some(steps) = view.get_mut("steps").and_then(Value::as_array_mut) else {
        return;
    };
    for step in steps {
        let action = action(step);
        let Some(code) = step.get("code").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let code = match crate::alternatives::stands_for(contract, &action, &code) {
            Some(alt) => alt.code.to_owned(),
            None => code,
        };
        let alternatives: Vec<_> =
            crate::alternatives::alternatives_of(contract, &action, &code, None).collect();
        if alternatives.is_empty() {
            continue;
        }
        let Some(fields) = step.as_object_mut() else {
            continue;
        };
        fields.insert("code".into(), Value::String(code));
        fields.remove("message");
        if alternatives.iter().any(|alt| alt.status.is_none()) {
            fields.remove("status");
        }
    }
}

/// The contract view of a snapshot's text (the contents of a `.snap` file, or what a run
/// rendered). `None` when the text is not a snapshot document.
pub(crate) fn contract_view_of_text(text: &str, open_steps: &BTreeSet<String>) -> Option<Value> {
    let value: Value = serde_saphyr::from_str(text).ok()?;
    value
        .get("steps")
        .is_some_and(Value::is_array)
        .then(|| contract_view(&value, open_steps))
}

/// A view rendered for a diff.
pub(crate) fn render(view: &Value) -> String {
    serde_saphyr::to_string(view).unwrap_or_else(|error| format!("cannot render: {error}"))
}

fn step_view(step: &Value, open_steps: &BTreeSet<String>, known: &BTreeSet<String>) -> Value {
    let mut view = Map::new();
    let name = step.get("step").and_then(Value::as_str).unwrap_or_default();
    view.insert("step".into(), name.into());
    for key in REQUEST_KEYS {
        if let Some(value) = step.get(*key) {
            let mut value = value.clone();
            literal_addresses(&mut value);
            view.insert((*key).into(), value);
        }
    }
    if open_steps.contains(name) {
        view.insert("answer".into(), "left open by the case".into());
        return Value::Object(view);
    }
    if step.get("error").is_some() {
        view.insert("answer".into(), "none (transport error)".into());
        return Value::Object(view);
    }
    let status = step.get("status").map(scalar).unwrap_or_default();
    view.insert("status".into(), status.clone().into());
    let response = step.get("response").unwrap_or(&Value::Null);
    if let Some(code) = response.get("Code").map(scalar) {
        if let Some(message) = quoted_message(&code, step.get("request"), response) {
            view.insert("message".into(), message.into());
        }
        view.insert("code".into(), code.into());
    }
    if status == "200" {
        let mut known = known.clone();
        collect_numbered(step.get("request").unwrap_or(&Value::Null), &mut known);
        let mut fields = answer_fields(action(step), step, response, &known);
        // A request sized by the target's state (`free_count`) gets as many addresses as that
        // state had free, one sized by the contract's limits (`limits.available_cap`) as many as
        // the target's contract version allows: how many is not the reference's, so its lists
        // are not compared item by item.
        let request = step
            .get("request")
            .map(Value::to_string)
            .unwrap_or_default();
        let sized = if request.contains("free_count") {
            Some("(as many as the target's free addresses)")
        } else if request.contains("<limits.") {
            Some("(as many as the target's contract limits make it)")
        } else {
            None
        };
        if let Some(sized) = sized {
            for value in fields.values_mut() {
                if value.is_array() {
                    *value = sized.into();
                }
            }
        }
        if !fields.is_empty() {
            view.insert("answer".into(), Value::Object(fields));
        }
    }
    Value::Object(view)
}

/// The sentence the contract quotes for this code, as the message holds it; a marker when the
/// message does not hold it.
fn quoted_message(code: &str, request: Option<&Value>, response: &Value) -> Option<String> {
    // The contract quotes `InvalidIp.IpUnassigned`'s sentence for an address; for a prefix it
    // gives the code only, so how the message words a prefix is the endpoint's.
    if code == "InvalidIp.IpUnassigned" && names_prefix(request) {
        return None;
    }
    let (_, pattern) = QUOTED_MESSAGES.iter().find(|(quoted, _)| *quoted == code)?;
    let message = response.get("Message").map(scalar).unwrap_or_default();
    Some(pattern.find(&message).map_or_else(
        || "(not the quoted sentence)".into(),
        |found| found.as_str().into(),
    ))
}

/// Whether a step's request (a map, or `[key, value]` pairs) has an `Ipv4Prefix.N` key.
fn names_prefix(request: Option<&Value>) -> bool {
    let is_prefix_key = |key: &str| key.starts_with("Ipv4Prefix.");
    match request {
        Some(Value::Object(params)) => params.keys().any(|key| is_prefix_key(key)),
        Some(Value::Array(pairs)) => pairs.iter().any(|pair| {
            pair.get(0)
                .and_then(Value::as_str)
                .is_some_and(is_prefix_key)
        }),
        _ => false,
    }
}

/// The `Action` of a step's request (a map, or `[key, value]` pairs when a key repeats).
fn action(step: &Value) -> String {
    match step.get("request") {
        Some(Value::Object(params)) => params.get("Action").map(scalar).unwrap_or_default(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .filter_map(Value::as_array)
            .find(|pair| pair.first().and_then(Value::as_str) == Some("Action"))
            .and_then(|pair| pair.get(1))
            .map(scalar)
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn request_has(step: &Value, keys: &[&str]) -> bool {
    match step.get("request") {
        Some(Value::Object(params)) => keys.iter().any(|key| params.contains_key(*key)),
        Some(Value::Array(pairs)) => pairs.iter().filter_map(Value::as_array).any(|pair| {
            pair.first()
                .and_then(Value::as_str)
                .is_some_and(|key| keys.contains(&key))
        }),
        _ => false,
    }
}

/// The fields the contract names in a successful answer of this action.
fn answer_fields(
    action: String,
    step: &Value,
    response: &Value,
    known: &BTreeSet<String>,
) -> Map<String, Value> {
    let mut fields = Map::new();
    match action.as_str() {
        "AssignPrivateIpAddresses" => {
            let set = response
                .get("AssignedPrivateIpAddressesSet")
                .unwrap_or(&Value::Null);
            put(
                &mut fields,
                "NetworkInterfaceId",
                set.get("NetworkInterfaceId"),
            );
            // The path every check reads an assign's report at.
            let assigned = list_at(response, describe::ASSIGNED_KEYS)
                .iter()
                .map(|address| Value::String(scalar(address)))
                .collect();
            fields.insert("AssignedPrivateIpAddresses".into(), Value::Array(assigned));
        }
        "CreateNetworkInterface" => {
            for field in CREATE_FIELDS {
                put(&mut fields, field, response.get(*field));
            }
            fields.insert("PrivateIpSets".into(), address_sets(response));
        }
        "DescribeNetworkInterfaceAttribute" => fields = eni_view(response),
        "DescribeNetworkInterfaces" => {
            // ENIs the case never met are other ENIs in the VSwitch, which the contract
            // allows at any time; fixture ENIs carry their fixture's name, never a number.
            let listed: Vec<Value> =
                list_at(response, &describe::ENI_LIST.split('.').collect::<Vec<_>>())
                    .iter()
                    .filter(|eni| {
                        let id = eni
                            .get("NetworkInterfaceId")
                            .map(scalar)
                            .unwrap_or_default();
                        !NUMBERED.is_match(&id) || known.contains(&id)
                    })
                    .map(|eni| Value::Object(eni_view(eni)))
                    .collect();
            if request_has(step, PAGING_PARAMS) {
                // Which ENIs land on which page follows the endpoint's listing order.
                fields.insert("ListedOnThisPage".into(), listed.len().into());
            } else {
                fields.insert("NetworkInterfaceSet".into(), Value::Array(listed));
            }
        }
        _ => {}
    }
    fields
}

fn eni_view(eni: &Value) -> Map<String, Value> {
    let mut fields = Map::new();
    for field in ENI_FIELDS {
        put(&mut fields, field, eni.get(*field));
    }
    fields.insert("PrivateIpSets".into(), address_sets(eni));
    fields
}

/// `PrivateIpSets.PrivateIpSet[]{PrivateIpAddress, Primary}`.
fn address_sets(eni: &Value) -> Value {
    let sets = list_at(eni, describe::IP_SET_PATH)
        .iter()
        .map(|set| {
            let mut entry = Map::new();
            put(&mut entry, "PrivateIpAddress", set.get("PrivateIpAddress"));
            put(&mut entry, "Primary", set.get("Primary"));
            Value::Object(entry)
        })
        .collect();
    Value::Array(sets)
}

/// Puts a field in as a string; an absent or empty field is left out, since an empty value and
/// no value read the same.
fn put(fields: &mut Map<String, Value>, name: &str, value: Option<&Value>) {
    if let Some(value) = value.map(scalar).filter(|value| !value.is_empty()) {
        fields.insert(name.into(), value.into());
    }
}

/// The list at a path; a single item (an XML list of one) is a list of one.
fn list_at<'a>(value: &'a Value, path: &[&str]) -> Vec<&'a Value> {
    let mut at = value;
    for key in path {
        match at.get(*key) {
            Some(next) => at = next,
            None => return Vec::new(),
        }
    }
    match at {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        item => vec![item],
    }
}

/// A scalar as text: `200`, `"200"` and `true`, `"true"` read the same in JSON and XML.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn literal_addresses(value: &mut Value) {
    match value {
        Value::String(text) if REQUEST_ADDRESS.is_match(text) => {
            *text = REQUEST_ADDRESS
                .replace_all(text, "<literal-ip:$1>")
                .into_owned();
        }
        Value::Array(items) => items.iter_mut().for_each(literal_addresses),
        Value::Object(map) => map.values_mut().for_each(literal_addresses),
        _ => {}
    }
}

fn collect_numbered(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::String(text) => into.extend(
            NUMBERED
                .find_iter(text)
                .map(|found| found.as_str().to_string()),
        ),
        Value::Array(items) => items.iter().for_each(|item| collect_numbered(item, into)),
        Value::Object(map) => map.values().for_each(|item| collect_numbered(item, into)),
        _ => {}
    }
}

/// Renumbers endpoint-chosen tokens by first appearance and sorts the lists of answers, so that
/// neither the endpoint's numbering nor its order shows. Lists are visited in the order of their
/// items with the numbers masked, so that two lists equal up to order and renaming are
/// numbered alike.
fn renumber(view: &mut Value) {
    let mut names = BTreeMap::new();
    let mut counters = BTreeMap::new();
    assign_numbers(view, &mut names, &mut counters, false);
    rename(view, &names, false);
}

fn masked(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    NUMBERED.replace_all(&text, "<$1:?>").into_owned()
}

fn assign_numbers(
    value: &Value,
    names: &mut BTreeMap<String, String>,
    counters: &mut BTreeMap<String, usize>,
    in_answer: bool,
) {
    match value {
        Value::String(text) => {
            for found in NUMBERED.captures_iter(text) {
                names.entry(found[0].to_string()).or_insert_with(|| {
                    let counter = counters.entry(found[1].to_string()).or_insert(0);
                    *counter += 1;
                    format!("<{}:{counter}>", &found[1])
                });
            }
        }
        Value::Array(items) => {
            let mut order: Vec<&Value> = items.iter().collect();
            if in_answer {
                order.sort_by_cached_key(|item| masked(item));
            }
            for item in order {
                assign_numbers(item, names, counters, in_answer);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                assign_numbers(item, names, counters, in_answer || key == "answer");
            }
        }
        _ => {}
    }
}

fn rename(value: &mut Value, names: &BTreeMap<String, String>, in_answer: bool) {
    match value {
        Value::String(text) if NUMBERED.is_match(text) => {
            *text = NUMBERED
                .replace_all(text, |found: &regex::Captures| {
                    names.get(&found[0]).cloned().unwrap_or_default()
                })
                .into_owned();
        }
        Value::Array(items) => {
            items
                .iter_mut()
                .for_each(|item| rename(item, names, in_answer));
            if in_answer {
                items.sort_by_cached_key(|item| serde_json::to_string(item).unwrap_or_default());
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let in_answer = in_answer || key == "answer";
                rename(item, names, in_answer);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reference recording: a create, an assign by address, a count assign, a refused
    /// assign whose message the contract quotes, a refusal whose message it does not, and a
    /// listing.
    const REFERENCE: &str = r#"case: t
steps:
- step: setup.create
  request:
    Action: CreateNetworkInterface
    VSwitchId: <vswitch>
  status: 200
  response:
    RequestId: <request-id>
    NetworkInterfaceId: <eni:1>
    Status: Available
    Type: Secondary
    VSwitchId: <vswitch>
    PrivateIpAddress: <ip:1>
    MacAddress: <mac:1>
    PrivateIpSets:
      PrivateIpSet:
      - PrivateIpAddress: <ip:1>
        Primary: "true"
- step: steps.assign
  request:
    Action: AssignPrivateIpAddresses
    NetworkInterfaceId: <eni:1>
    PrivateIpAddress.1: <vswitch.free(1)>
  status: 200
  response:
    RequestId: <request-id>
    AssignedPrivateIpAddressesSet:
      NetworkInterfaceId: <eni:1>
      PrivateIpSet:
        PrivateIpAddress:
        - <vswitch.free(1)>
- step: steps.count
  request:
    Action: AssignPrivateIpAddresses
    NetworkInterfaceId: <eni:1>
    SecondaryPrivateIpAddressCount: "2"
  status: 200
  response:
    RequestId: <request-id>
    AssignedPrivateIpAddressesSet:
      NetworkInterfaceId: <eni:1>
      PrivateIpSet:
        PrivateIpAddress:
        - <ip:2>
        - <ip:3>
- step: steps.outside
  request:
    Action: AssignPrivateIpAddresses
    NetworkInterfaceId: <eni:1>
    PrivateIpAddress.1: <vswitch.outside>
  status: 403
  response:
    RequestId: <request-id>
    Code: InvalidVSwitchId.IpInvalid
    Message: The specified IpAddress “<vswitch.outside>” is not valid in VSwitch CIDR block “<vswitch.cidr>”.
- step: steps.bad-key
  request:
    Action: AssignPrivateIpAddresses
    NetworkInterfaceId: <eni:1>
    PrivateIpAddress.0: <vswitch.free(2)>
  status: 400
  response:
    RequestId: <request-id>
    Code: InValidParameter
    Message: the parameter(s) “PrivateIpAddress.0” provided is(are) invalid.
- step: steps.list
  request:
    Action: DescribeNetworkInterfaces
    VSwitchId: <vswitch>
  status: 200
  response:
    RequestId: <request-id>
    TotalCount: "1"
    NetworkInterfaceSets:
      NetworkInterfaceSet:
      - NetworkInterfaceId: <eni:1>
        Status: Available
        Type: Secondary
        VSwitchId: <vswitch>
        InstanceId: ""
        PrivateIpAddress: <ip:1>
        PrivateIpSets:
          PrivateIpSet:
          - PrivateIpAddress: <ip:1>
            Primary: "true"
          - PrivateIpAddress: <vswitch.free(1)>
            Primary: "false"
          - PrivateIpAddress: <ip:2>
            Primary: "false"
          - PrivateIpAddress: <ip:3>
            Primary: "false"
"#;

    fn view(text: &str) -> Value {
        contract_view_of_text(text, &BTreeSet::new()).expect("a snapshot document")
    }

    fn edited(pairs: &[(&str, &str)]) -> String {
        let mut text = REFERENCE.to_string();
        for (from, to) in pairs {
            assert!(text.contains(from), "the reference holds {from:?}");
            text = text.replacen(from, to, 1);
        }
        text
    }

    /// One Assign step refused with `code`, `status` and `message`.
    fn refused(status: u16, code: &str, message: &str) -> Value {
        view(&format!(
            "case: t\nsteps:\n- step: steps.assign\n  request:\n    Action: AssignPrivateIpAddresses\n    NetworkInterfaceId: <eni:1>\n    SecondaryPrivateIpAddressCount: \"5\"\n  status: {status}\n  response:\n    RequestId: <request-id>\n    Code: {code}\n    Message: {message}\n"
        ))
    }

    #[test]
    fn an_alternative_code_stands_for_its_code_under_current_only() {
        let not_enough = || {
            refused(
                403,
                "InvalidVSwitchId.IpNotEnough",
                r#"The specified VSwitch "<vswitch>" has not enough IpAddress."#,
            )
        };
        let quota = || refused(403, "QuotaExceeded.PrivateIpAddress", "Quota exceeded.");
        let folded = |mut view: Value, contract: &str| {
            fold_alternatives(&mut view, contract);
            view
        };
        // Under seed nothing changes: the views differ, and each is what it was.
        assert_eq!(folded(not_enough(), "seed"), not_enough());
        assert_eq!(folded(quota(), "seed"), quota());
        assert_ne!(folded(not_enough(), "seed"), folded(quota(), "seed"));
        // Under current the alternative answers what the recording holds.
        assert_eq!(folded(not_enough(), "current"), folded(quota(), "current"));
        // Another code, or another status where the alternative's is documented, still differs.
        let other = refused(403, "InvalidIp.IpAssigned", "in use");
        assert_ne!(folded(not_enough(), "current"), folded(other, "current"));
        let wrong_status = refused(400, "QuotaExceeded.PrivateIpAddress", "Quota exceeded.");
        assert_ne!(
            folded(not_enough(), "current"),
            folded(wrong_status, "current")
        );
        // Row 15's alternative has no documented status: the status is not compared.
        let cap = refused(403, "MaxEniPrivateIpsCountExceeded", "over the cap");
        let type_cap = refused(400, "InvalidOperation.Ipv4CountExceeded", "over");
        assert_eq!(folded(cap, "current"), folded(type_cap, "current"));
    }

    #[test]
    fn a_view_equals_itself_and_is_independent_of_the_endpoints_free_choices() {
        assert_eq!(view(REFERENCE), view(REFERENCE));
        let foreign = edited(&[
            // An extra field the reference does not return.
            (
                "    MacAddress: <mac:1>\n",
                "    MacAddress: <mac:1>\n    CreationTime: <timestamp>\n    AssociatedPublicIp: {}\n",
            ),
            // Other wording of a message the contract does not quote.
            (
                "the parameter(s) “PrivateIpAddress.0” provided is(are) invalid.",
                "PrivateIpAddress is malformed.",
            ),
            // Other wording around a quoted sentence.
            (
                "Message: The specified IpAddress",
                "Message: Refused. The specified IpAddress",
            ),
            // Another order of a list: the listing's secondaries.
            (
                "          - PrivateIpAddress: <vswitch.free(1)>\n            Primary: \"false\"\n          - PrivateIpAddress: <ip:2>\n",
                "          - PrivateIpAddress: <ip:2>\n            Primary: \"false\"\n          - PrivateIpAddress: <vswitch.free(1)>\n",
            ),
            // The list's total (not a contract field) and an empty InstanceId left out.
            ("    TotalCount: \"1\"\n", "    TotalCount: \"4\"\n"),
            ("        InstanceId: \"\"\n", ""),
        ]);
        assert_eq!(view(REFERENCE), view(&foreign));
    }

    #[test]
    fn other_enis_and_another_numbering_are_the_endpoints_choice() {
        // The endpoint lists another tenant's ENI first, and numbers its count-assigned
        // addresses in the other order of its answer.
        let foreign = edited(&[
            (
                "      NetworkInterfaceSet:\n      - NetworkInterfaceId: <eni:1>",
                "      NetworkInterfaceSet:\n      - NetworkInterfaceId: <eni:2>\n        Status: InUse\n        PrivateIpAddress: <ip:4>\n      - NetworkInterfaceId: <eni:1>",
            ),
            (
                "        - <ip:2>\n        - <ip:3>\n",
                "        - <ip:3>\n        - <ip:2>\n",
            ),
        ]);
        assert_eq!(view(REFERENCE), view(&foreign));
    }

    #[test]
    fn what_the_contract_decides_is_compared() {
        let changes: &[(&str, &[(&str, &str)])] = &[
            ("a status", &[("  status: 403\n", "  status: 400\n")]),
            (
                "a code",
                &[("Code: InValidParameter", "Code: InvalidParameter")],
            ),
            (
                "a quoted message",
                &[(
                    "is not valid in VSwitch CIDR block",
                    "is not in VSwitch CIDR block",
                )],
            ),
            (
                "a missing contract field",
                &[("        Type: Secondary\n", "")],
            ),
            (
                "the assigned address differs from the requested one",
                &[(
                    "        PrivateIpAddress:\n        - <vswitch.free(1)>\n",
                    "        PrivateIpAddress:\n        - <ip:9>\n",
                )],
            ),
            (
                "an assigned address listed under another ENI's id",
                &[(
                    "      - NetworkInterfaceId: <eni:1>",
                    "      - NetworkInterfaceId: <running_instance.primary_eni>",
                )],
            ),
            (
                "the listing's primary is the count-assigned address",
                &[(
                    "        PrivateIpAddress: <ip:1>\n        PrivateIpSets:",
                    "        PrivateIpAddress: <ip:2>\n        PrivateIpSets:",
                )],
            ),
            (
                "one address fewer assigned",
                &[("        - <ip:2>\n        - <ip:3>\n", "        - <ip:2>\n")],
            ),
        ];
        for (what, pairs) in changes {
            assert_ne!(view(REFERENCE), view(&edited(pairs)), "{what} must differ");
        }
    }

    #[test]
    fn a_prefix_unassign_keeps_its_code_not_its_wording() {
        let step = |key: &str, message: &str| {
            format!(
                "case: t\nsteps:\n- step: steps.unassign\n  request:\n    Action: UnassignPrivateIpAddresses\n    NetworkInterfaceId: <eni:1>\n    {key}: <vswitch.free_prefix(1)>\n  status: 403\n  response:\n    RequestId: <request-id>\n    Code: InvalidIp.IpUnassigned\n    Message: {message}\n"
            )
        };
        let quoted = "The specified IP “<vswitch.free_prefix(1)>” is not assigned on this ENI.";
        let other = "The prefix <vswitch.free_prefix(1)> is not on this ENI.";
        assert_eq!(
            view(&step("Ipv4Prefix.1", quoted)),
            view(&step("Ipv4Prefix.1", other))
        );
        assert_ne!(
            view(&step("Ipv4Prefix.1", quoted)),
            view(&step("Ipv4Prefix.1", quoted).replace("IpUnassigned", "IpAssigned")),
            "the code is still compared"
        );
        assert_ne!(
            view(&step("PrivateIpAddress.1", quoted)),
            view(&step("PrivateIpAddress.1", other)),
            "an address's sentence is the contract's"
        );
    }

    #[test]
    fn an_open_step_keeps_its_request_only() {
        let refused = edited(&[("  status: 403\n", "  status: 200\n")]);
        let open: BTreeSet<String> = ["steps.outside".to_string()].into();
        assert_ne!(view(REFERENCE), view(&refused));
        assert_eq!(
            contract_view_of_text(REFERENCE, &open),
            contract_view_of_text(&refused, &open)
        );
        let rewritten = edited(&[(
            "PrivateIpAddress.1: <vswitch.outside>",
            "PrivateIpAddress.1: 10.0.0.1",
        )]);
        assert_ne!(
            contract_view_of_text(REFERENCE, &open),
            contract_view_of_text(&rewritten, &open)
        );
    }

    #[test]
    fn a_paged_listing_keeps_the_page_size_not_which_enis() {
        let paged = edited(&[(
            "    VSwitchId: <vswitch>\n  status: 200\n  response:\n    RequestId: <request-id>\n    TotalCount",
            "    VSwitchId: <vswitch>\n    MaxResults: \"10\"\n  status: 200\n  response:\n    RequestId: <request-id>\n    TotalCount",
        )]);
        let other_eni = paged.replacen("      - NetworkInterfaceId: <eni:1>", "      - NetworkInterfaceId: <eni:1>\n        Status: Available\n      - NetworkInterfaceId: <running_instance.primary_eni>", 1);
        assert_ne!(
            view(&paged),
            view(&other_eni),
            "a known ENI more on the page"
        );
        let answer = &view(&paged)["steps"][5]["answer"];
        assert_eq!(answer["ListedOnThisPage"], 1, "{answer}");
    }

    #[test]
    fn every_reference_recording_has_a_contract_view() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
        let mut folders = vec![root.clone()];
        let mut seen = 0;
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|name| name != "invalid") {
                        folders.push(path);
                    }
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let contents = crate::snapshot::contents_of(&text).unwrap();
                let view = contract_view_of_text(contents, &BTreeSet::new());
                assert!(view.is_some(), "{} has no contract view", path.display());
                seen += 1;
            }
        }
        assert!(seen > 100, "only {seen} recordings found");
    }
}
