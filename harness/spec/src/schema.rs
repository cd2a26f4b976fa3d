//! The JSON Schema of a case file, for editors (completion, errors as you type) and for the
//! tests that validate every shipped case. The validator reads a generic YAML tree (see `raw`),
//! so the schema is written here as types of the YAML a user writes; a test keeps every mapping's
//! keys equal to the validator's key lists, and the validator stays the judge of what the schema
//! cannot say (exactly one kind per step, templates, durations).

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, schema_for};

/// The schema of a case file.
pub fn case_schema() -> Schema {
    schema_for!(CaseFile)
}

/// An eni-harness case file: one case, its fixtures, its steps and their expectations.
#[derive(JsonSchema)]
#[schemars(title = "eni-harness case file", deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
pub(crate) struct CaseFile {
    /// Stable, unique id (`assign.by-count.one`): reports, filters and known failures use it.
    id: String,
    /// One line: what the case shows.
    title: String,
    /// Tags for `--filter tag:NAME`.
    tags: Option<Vec<String>>,
    /// Fixtures the case needs from the profile (`vswitch`, `security_group`, ...).
    uses: Option<Vec<String>>,
    /// Fixtures (of `uses`) the case needs to itself on a shared target.
    exclusive: Option<Vec<String>>,
    /// Checks turned off for this case.
    checks: Option<Checks>,
    /// Whether the case keeps a snapshot of its exchanges (default true).
    snapshot: Option<bool>,
    /// Response format asked for (default: the profile's).
    format: Option<FormatName>,
    /// Signature version (default: the profile's).
    signing: Option<SigningName>,
    /// Knobs of the embedded emulator for this case.
    emulator: Option<Emulator>,
    /// Steps that prepare the case (their failures are errors of the case).
    setup: Option<Vec<Step>>,
    /// The steps the case is about.
    steps: Vec<Step>,
    /// Steps that run even when a step fails (cleanup).
    teardown: Option<Vec<Step>>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Checks {
    /// Names of checks to turn off (`eni-harness list --checks`).
    disable: Option<Vec<String>>,
}

#[derive(JsonSchema)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
enum FormatName {
    #[serde(rename = "JSON")]
    Json,
    #[serde(rename = "XML")]
    Xml,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
enum SigningName {
    V1,
    V3,
    None,
}

#[derive(JsonSchema)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
enum MethodName {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Emulator {
    /// How long an assign or unassign stays in flight after it answered (`2s`).
    task_duration: Option<Duration>,
    /// How long Attaching, Detaching and Deleting last (`1s`).
    async_delay: Option<Duration>,
}

/// A duration: `500ms`, `2s`, `1.5s`, `1m` (at most an hour).
#[derive(JsonSchema)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Duration(#[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(ms|s|m)$"))] String);

/// A scalar value as written: text (templates such as `${eni}` included), a number or a boolean;
/// the case reads every one as its text.
#[derive(JsonSchema)]
#[serde(untagged)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
enum Scalar {
    Text(String),
    Number(f64),
    Flag(bool),
}

/// One or several of a thing.
#[derive(JsonSchema)]
#[serde(untagged)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// One step: a request (`action`, or `omit` of it), a `wait`, or `concurrent` requests.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Step {
    /// The step's name in reports (`steps.assign`).
    name: Option<String>,
    /// The API action (`AssignPrivateIpAddresses`).
    action: Option<String>,
    /// HTTP method (default GET).
    method: Option<MethodName>,
    /// Response format for this request.
    format: Option<FormatName>,
    /// Signature version for this request.
    signing: Option<SigningName>,
    /// Request parameters (`PrivateIpAddress.1: ${vswitch.host(10)}`).
    params: Option<BTreeMap<String, Scalar>>,
    /// Parameters as `[name, value]` pairs, for sending one name twice.
    pairs: Option<Vec<(String, Scalar)>>,
    /// A query string sent as written, after the parameters.
    raw_query: Option<String>,
    /// Common parameters to leave out (`Version`, `Action`, ...).
    omit: Option<Vec<String>>,
    /// Send a wrong signature.
    corrupt_signature: Option<bool>,
    /// What the answer must be.
    expect: Option<Expect>,
    /// Values of the answer to keep as variables: `name: Path.In.Answer`.
    capture: Option<BTreeMap<String, String>>,
    /// Repeat the request until the answer matches.
    poll: Option<Poll>,
    /// Follow the pages of a listing.
    paginate: Option<Paginate>,
    /// Accept the expectation of whichever state the request met.
    race: Option<Race>,
    /// Wait this long (a duration), or `tasks` (until the case's tasks ended).
    wait: Option<String>,
    /// Requests sent at once.
    concurrent: Option<Vec<Step>>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Expect {
    /// HTTP status, or any of several.
    status: Option<OneOrMany<u16>>,
    /// Error code, or any of several (spelled as the contract writes it).
    code: Option<OneOrMany<String>>,
    /// Text the error message must contain.
    message_contains: Option<String>,
    /// Fields of the answer and their values (`PrivateIpSets.PrivateIpSet[0].Primary: "true"`).
    fields: Option<BTreeMap<String, Scalar>>,
    /// Fields the answer must not have.
    absent: Option<Vec<String>>,
    /// The addresses an assign must answer.
    assigned: Option<Vec<String>>,
    /// How many addresses an assign must answer.
    assigned_count: Option<Scalar>,
    /// How many items a list of the answer holds.
    count: Option<Count>,
    /// Items a list of the answer must contain: list path to items (fields and values, or
    /// plain values for a list of scalars such as `Ipv4PrefixSet.Ipv4Prefixes`).
    contains: Option<BTreeMap<String, Vec<ContainsItem>>>,
}

/// One item a `contains` list must hold: fields and values, or a plain value.
#[derive(JsonSchema)]
#[serde(untagged)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
enum ContainsItem {
    Fields(BTreeMap<String, Matched>),
    Value(Scalar),
}

/// A value a `contains` item matches: a scalar, a list of scalars, or a list of items.
#[derive(JsonSchema)]
#[serde(untagged)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
enum Matched {
    Value(Scalar),
    Items(Vec<BTreeMap<String, Matched>>),
    Values(Vec<Scalar>),
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Count {
    /// The list's path in the answer.
    path: String,
    /// How many items it holds.
    equals: Scalar,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Poll {
    /// Fields and values the answer must reach.
    until: BTreeMap<String, Scalar>,
    /// Pause between requests.
    interval: Option<Duration>,
    /// Give up after this long.
    timeout: Option<Duration>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Paginate {
    /// Token paging: the answer's field holding the next token (`NextToken`).
    token: Option<String>,
    /// Number paging: the parameter of the page number.
    page: Option<String>,
    /// The list whose items are gathered over the pages.
    list: String,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read only by the derived JSON Schema, never by code"
)]
struct Race {
    /// Race the status of this ENI (`${eni}`).
    status_of: Option<String>,
    /// Race a task the case started on this ENI.
    task_on: Option<String>,
    /// One expectation per state met (`Attaching`, `InUse`; `running`, `ended`).
    when: BTreeMap<String, Expect>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::key_lists;

    /// The keys of every mapping the schema describes are the validator's, no more, no fewer.
    #[test]
    fn the_schema_has_the_validators_keys() {
        let schema = case_schema();
        let value = schema.as_value();
        let properties = |definition: Option<&str>| -> Vec<String> {
            let object = match definition {
                None => value,
                Some(name) => &value["$defs"][name],
            };
            let mut keys: Vec<String> = object["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{definition:?} has properties"))
                .keys()
                .cloned()
                .collect();
            keys.sort();
            keys
        };
        for (definition, keys) in [
            (None, key_lists::CASE),
            (Some("Checks"), key_lists::CHECKS),
            (Some("Emulator"), key_lists::EMULATOR),
            (Some("Step"), key_lists::STEP),
            (Some("Expect"), key_lists::EXPECT),
            (Some("Count"), key_lists::COUNT),
            (Some("Paginate"), key_lists::PAGINATE),
            (Some("Poll"), key_lists::POLL),
            (Some("Race"), key_lists::RACE),
        ] {
            let mut wanted: Vec<String> = keys.iter().map(|key| key.to_string()).collect();
            wanted.sort();
            assert_eq!(properties(definition), wanted, "{definition:?}");
        }
    }
}
