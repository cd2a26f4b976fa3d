//! Concurrency mode: rounds of assigns, unassigns and creates fired at once at two ENIs of the
//! smallest VSwitch, checked Jepsen-style: no address is ever held twice or handed out twice, and
//! every acknowledged assign is visible afterwards unless an unassign on that ENI (acknowledged
//! or of unknown outcome) named the address. A timeout is an unknown outcome, resolved by
//! resending with the same `ClientToken`; never a failure by itself. Against a shared endpoint a
//! round gives back every ENI it created, whatever happened, and reads the VSwitch back until
//! they are gone, so that the next round finds the VSwitch as this one did.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::contract;
use super::endpoint;
use super::exec::Env;
use super::oracle::{self, Finding, Kind};
use super::rng::SplitMix64;
use crate::checks::describe::ASSIGNED_PATH;
use crate::checks::invariants::{check_disjoint_reports, check_state};
use crate::checks::{ASSIGN_MATCHES_DESCRIBE, IP_UNIQUE_IN_VSWITCH};
use crate::targets::{Exchange, TransportError};
use crate::wire::{Format, WireRequest};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One request of a concurrent group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConcurrentOp {
    AssignCount { eni: usize, count: u8 },
    AssignAddress { eni: usize, host: u32 },
    Unassign { eni: usize, host: u32 },
    Create,
}

/// The outcome of one round.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoundResult {
    pub findings: Vec<Finding>,
    pub requests: usize,
    pub mutating: usize,
    pub mutating_ok: usize,
    pub unknown_outcomes: usize,
    /// ENIs of the round still on a shared endpoint after its clean-up.
    pub left_behind: Vec<String>,
}

/// Two ENIs, and 3–8 requests at them.
pub(crate) fn generate(rng: &mut SplitMix64) -> Vec<ConcurrentOp> {
    let n = 3 + rng.below(6) as usize;
    (0..n)
        .map(|_| match rng.below(10) {
            0..=3 => ConcurrentOp::AssignCount {
                eni: rng.below(2) as usize,
                count: 1 + rng.below(2) as u8,
            },
            4..=5 => ConcurrentOp::AssignAddress {
                eni: rng.below(2) as usize,
                host: 1 + rng.below(4) as u32,
            },
            6..=8 => ConcurrentOp::Unassign {
                eni: rng.below(2) as usize,
                host: 1 + rng.below(4) as u32,
            },
            _ => ConcurrentOp::Create,
        })
        .collect()
}

fn request(action: &str, params: Vec<(String, String)>) -> WireRequest {
    let mut wire = vec![("Action".to_string(), action.to_string())];
    wire.extend(params);
    WireRequest {
        params: wire,
        format: Format::Json,
        ..WireRequest::default()
    }
}

/// Runs one round on a fresh target (a fresh emulator, or the shared endpoint, given back
/// afterwards); nothing is sent past `deadline`.
pub(crate) async fn round(
    env: &Env,
    ops: &[ConcurrentOp],
    token_prefix: &str,
    deadline: Option<Instant>,
) -> RoundResult {
    let mut result = RoundResult::default();
    let Ok(side) = env.open_target(deadline) else {
        result.unknown_outcomes += 1;
        return result;
    };
    let small = env.fixtures.small_vswitch().clone();
    // On a shared endpoint: what earlier rounds left goes first, and what is there before the
    // round tells apart an ENI that a create of unknown outcome made.
    let mut present_before = BTreeSet::new();
    if !side.virtual_clock {
        let restored = env.make_clean(deadline).await;
        result.requests += restored.requests;
        if let Ok(now) = side.probe.observe(std::slice::from_ref(&small.id)).await {
            result.requests += now.requests;
            present_before = now.enis.into_keys().collect();
        }
    }
    let mut created: Vec<String> = Vec::new();
    let mut unknown_create = false;
    let findings = group(
        env,
        &side,
        ops,
        token_prefix,
        &small,
        &mut result,
        &mut created,
        &mut unknown_create,
    )
    .await;
    result.findings = findings;
    if !side.virtual_clock {
        if unknown_create && let Ok(now) = side.probe.observe(std::slice::from_ref(&small.id)).await
        {
            result.requests += now.requests;
            // A create whose answer never came may have made an ENI: any new one is the round's.
            let new: Vec<String> = now
                .enis
                .into_keys()
                .filter(|id| !present_before.contains(id) && !created.contains(id))
                .collect();
            created.extend(new);
        }
        env.lane.remember_created(created.iter().cloned());
        let restored = env.make_clean(deadline).await;
        result.requests += restored.requests;
        result.left_behind = restored.left;
    }
    result
}

/// The round itself: two ENIs created, the group fired at them, the outcome judged. Every ENI
/// a create answered is added to `created`, whatever happens after.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is one independent part of the operation; a struct would only rename them"
)]
async fn group(
    env: &Env,
    side: &super::exec::Side,
    ops: &[ConcurrentOp],
    token_prefix: &str,
    small: &super::fixtures::VSwitchFixture,
    result: &mut RoundResult,
    created: &mut Vec<String>,
    unknown_create: &mut bool,
) -> Vec<Finding> {
    let sg = env
        .fixtures
        .security_group
        .as_ref()
        .map(|sg| sg.id.clone())
        .unwrap_or_default();
    let create = || {
        request(
            "CreateNetworkInterface",
            vec![
                ("VSwitchId".into(), small.id.clone()),
                ("SecurityGroupId".into(), sg.clone()),
            ],
        )
    };
    let mut enis = Vec::new();
    for _ in 0..2 {
        result.requests += 1;
        match side.connection.send(&create()).await {
            Ok(exchange) if exchange.status == 200 => {
                if let Some(id) = endpoint::created_id(&exchange) {
                    created.push(id.clone());
                    enis.push(id);
                }
            }
            Ok(_) => {}
            Err(_) => *unknown_create = true,
        }
    }
    if enis.len() < 2 {
        return Vec::new();
    }
    let host = |n: u32| std::net::Ipv4Addr::from(u32::from(small.cidr.network()) + n).to_string();
    let requests: Vec<WireRequest> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| match op {
            ConcurrentOp::AssignCount { eni, count } => request(
                "AssignPrivateIpAddresses",
                vec![
                    ("NetworkInterfaceId".into(), enis[*eni].clone()),
                    ("SecondaryPrivateIpAddressCount".into(), count.to_string()),
                    ("ClientToken".into(), format!("{token_prefix}-{i}")),
                ],
            ),
            ConcurrentOp::AssignAddress { eni, host: n } => request(
                "AssignPrivateIpAddresses",
                vec![
                    ("NetworkInterfaceId".into(), enis[*eni].clone()),
                    ("PrivateIpAddress.1".into(), host(*n)),
                    ("ClientToken".into(), format!("{token_prefix}-{i}")),
                ],
            ),
            ConcurrentOp::Unassign { eni, host: n } => request(
                "UnassignPrivateIpAddresses",
                vec![
                    ("NetworkInterfaceId".into(), enis[*eni].clone()),
                    ("PrivateIpAddress.1".into(), host(*n)),
                ],
            ),
            ConcurrentOp::Create => {
                let mut create = create();
                create
                    .params
                    .push(("ClientToken".into(), format!("{token_prefix}-{i}")));
                create
            }
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, request) in requests.iter().cloned().enumerate() {
        let connection = Arc::clone(&side.connection);
        tasks.spawn(async move {
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, connection.send(&request)).await;
            (
                index,
                answer.unwrap_or(Err(TransportError::Timeout(REQUEST_TIMEOUT))),
            )
        });
    }
    let mut answers: Vec<Option<Exchange>> = vec![None; requests.len()];
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, Ok(exchange))) = joined {
            answers[index] = Some(exchange);
        }
    }
    result.requests += requests.len();
    // Unknown outcomes: resend with the same ClientToken (unassigns carry none: stay unknown).
    for (index, answer) in answers.iter_mut().enumerate() {
        if answer.is_none()
            && requests[index]
                .params
                .iter()
                .any(|(k, _)| k == "ClientToken")
        {
            result.requests += 1;
            if let Ok(Ok(exchange)) =
                tokio::time::timeout(REQUEST_TIMEOUT, side.connection.send(&requests[index])).await
            {
                *answer = Some(exchange);
            }
        }
        if answer.is_none() {
            result.unknown_outcomes += 1;
            *unknown_create |= matches!(ops[index], ConcurrentOp::Create);
        }
    }
    for (op, answer) in ops.iter().zip(&answers) {
        if let (ConcurrentOp::Create, Some(exchange)) = (op, answer)
            && exchange.status == 200
            && let Some(id) = endpoint::created_id(exchange)
            && !created.contains(&id)
        {
            created.push(id);
        }
    }
    let mut findings = Vec::new();
    let mut reports: Vec<(String, Vec<String>)> = Vec::new();
    let mut acknowledged: Vec<(String, Vec<String>)> = Vec::new();
    let mut unassigned: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (index, (op, answer)) in ops.iter().zip(&answers).enumerate() {
        let name = format!("request-{}", index + 1);
        result.mutating += 1;
        let Some(exchange) = answer else {
            if let ConcurrentOp::Unassign { eni, host: n } = op {
                unassigned
                    .entry(enis[*eni].clone())
                    .or_default()
                    .insert(host(*n));
            }
            continue;
        };
        let action = requests[index].params[0].1.clone();
        for violation in crate::checks::response::check_exchange(exchange, &[], &env.checks) {
            findings.push(oracle::from_violation(
                violation,
                index,
                &action,
                Some(exchange),
            ));
        }
        findings.extend(oracle::check_code_status(
            exchange,
            index,
            &action,
            &env.checks,
        ));
        if exchange.status != 200 {
            continue;
        }
        result.mutating_ok += 1;
        match op {
            ConcurrentOp::AssignCount { eni, .. } | ConcurrentOp::AssignAddress { eni, .. } => {
                let addresses = exchange.decoded.strings_at(ASSIGNED_PATH);
                reports.push((name.clone(), addresses.clone()));
                acknowledged.push((enis[*eni].clone(), addresses));
            }
            ConcurrentOp::Unassign { eni, host: n } => {
                unassigned
                    .entry(enis[*eni].clone())
                    .or_default()
                    .insert(host(*n));
            }
            ConcurrentOp::Create => {
                if let Some(primary) = exchange
                    .decoded
                    .get("PrivateIpAddress")
                    .and_then(|v| v.as_str())
                {
                    reports.push((name.clone(), vec![primary.to_string()]));
                }
            }
        }
    }
    // An address an unassign in the group named may be freed and handed out again in between:
    // only the others must be handed out at most once.
    let freed: BTreeSet<&String> = unassigned.values().flatten().collect();
    let reports: Vec<(String, Vec<String>)> = reports
        .into_iter()
        .map(|(name, addresses)| {
            (
                name,
                addresses
                    .into_iter()
                    .filter(|a| !freed.contains(a))
                    .collect(),
            )
        })
        .collect();
    for violation in check_disjoint_reports(&reports, &env.checks) {
        findings.push(Finding::new(
            kind(IP_UNIQUE_IN_VSWITCH.name, "handed out twice at once"),
            0,
            violation.message,
            UNIQUE_UNDER_CONCURRENCY,
        ));
    }
    if let Ok(after) = side.probe.observe(std::slice::from_ref(&small.id)).await {
        result.requests += after.requests;
        for violation in check_state(&after, &env.profile, &env.checks, &mut BTreeMap::new()) {
            findings.push(Finding::new(
                kind(violation.check.name, "after a concurrent group"),
                0,
                violation.message,
                contract::rests_on_check(violation.check.name),
            ));
        }
        for (eni, addresses) in &acknowledged {
            let held: BTreeSet<&String> = after
                .enis
                .get(eni)
                .map(|e| e.secondaries.iter().collect())
                .unwrap_or_default();
            let removed = unassigned.get(eni);
            let lost: Vec<&String> = addresses
                .iter()
                .filter(|a| !held.contains(a) && !removed.is_some_and(|r| r.contains(*a)))
                .collect();
            if !lost.is_empty() && env.checks.is_on(ASSIGN_MATCHES_DESCRIBE) {
                findings.push(Finding::new(
                    kind(ASSIGN_MATCHES_DESCRIBE.name, "acknowledged assign not visible"),
                    0,
                    format!(
                        "an acknowledged assign gave {eni} {}, which it does not hold afterwards (no unassign named it)",
                        lost.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    ACKNOWLEDGED_STAYS,
                ));
            }
        }
    }
    findings
}

/// What the uniqueness of concurrent answers rests on.
const UNIQUE_UNDER_CONCURRENCY: &str =
    "invariant 7 (under concurrency no address is handed out twice)";
/// What the visibility of acknowledged assigns rests on.
const ACKNOWLEDGED_STAYS: &str =
    "invariants 6 and 7 (an acknowledged assign is what Describe shows afterwards)";

fn kind(check: &str, signature: &str) -> Kind {
    Kind {
        check: check.into(),
        signature: format!("concurrent: {signature}"),
    }
}

/// The group as a case: two ENIs created in setup, one `concurrent` step, deletes in teardown.
pub(crate) fn case_text(ops: &[ConcurrentOp], env: &Env, title: &str, slug: &str) -> String {
    let small = &env.fixtures.small_vswitch().name;
    let sg = env
        .fixtures
        .security_group
        .as_ref()
        .map(|sg| sg.name.clone())
        .unwrap_or_default();
    let mut text = format!(
        "id: regressions.{slug}\ntitle: {}\ntags: [regression, fuzz, concurrency]\nuses: [{small}, {sg}]\nsnapshot: false\nsetup:\n",
        eni_spec::double_quoted(title)
    );
    for eni in ["a", "b"] {
        text.push_str(&format!(
            "  - name: create-{eni}\n    action: CreateNetworkInterface\n    params: {{ VSwitchId: \"${{{small}.id}}\", SecurityGroupId: \"${{{sg}.id}}\" }}\n    capture: {{ eni_{eni}: NetworkInterfaceId }}\n"
        ));
    }
    text.push_str("steps:\n  - concurrent:\n");
    let any = "[200, 400, 403, 404]";
    let eni = |i: &usize| if *i == 0 { "${eni_a}" } else { "${eni_b}" };
    let mut created = 0;
    for (i, op) in ops.iter().enumerate() {
        let line = match op {
            ConcurrentOp::AssignCount { eni: e, count } => format!(
                "{{ name: r{i}, action: AssignPrivateIpAddresses, params: {{ NetworkInterfaceId: \"{}\", SecondaryPrivateIpAddressCount: \"{count}\" }}, expect: {{ status: {any} }} }}",
                eni(e)
            ),
            ConcurrentOp::AssignAddress { eni: e, host } => format!(
                "{{ name: r{i}, action: AssignPrivateIpAddresses, params: {{ NetworkInterfaceId: \"{}\", PrivateIpAddress.1: \"${{{small}.host({host})}}\" }}, expect: {{ status: {any} }} }}",
                eni(e)
            ),
            ConcurrentOp::Unassign { eni: e, host } => format!(
                "{{ name: r{i}, action: UnassignPrivateIpAddresses, params: {{ NetworkInterfaceId: \"{}\", PrivateIpAddress.1: \"${{{small}.host({host})}}\" }}, expect: {{ status: {any} }} }}",
                eni(e)
            ),
            ConcurrentOp::Create => {
                created += 1;
                format!(
                    "{{ name: r{i}, action: CreateNetworkInterface, params: {{ VSwitchId: \"${{{small}.id}}\", SecurityGroupId: \"${{{sg}.id}}\" }}, expect: {{ status: {any} }} }}"
                )
            }
        };
        text.push_str(&format!("      - {line}\n"));
    }
    text.push_str(&format!(
        "teardown:\n  - wait: 10s\n  - {{ name: delete-a, action: DeleteNetworkInterface, params: {{ NetworkInterfaceId: \"${{eni_a}}\" }}, expect: {{ status: {any} }} }}\n  - {{ name: delete-b, action: DeleteNetworkInterface, params: {{ NetworkInterfaceId: \"${{eni_b}}\" }}, expect: {{ status: {any} }} }}\n"
    ));
    if created > 0 {
        // ENIs created inside the group cannot be captured; the leak check would flag them.
        text = text.replacen(
            "snapshot: false\n",
            "snapshot: false\nchecks: { disable: [no_leaks] }\n",
            1,
        );
    }
    text
}
