//! Running one case: its steps in order (teardown always), each answer held against the step's
//! expectations and the named checks, state read back around every mutating request, and the
//! exchanges recorded for the snapshot.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eni_spec::{Case, Send, Step};

use super::scope::{EvalError, EvalErrorKind, Scope};
use super::{CaseOutcome, Failure, FailureKind, Section, Verdict};
use crate::checks::describe::ASSIGNED_PATH;
use crate::checks::expect::{Expectation, mismatches};
use crate::checks::invariants::{Mutation, Violation, check_disjoint_reports, check_state};
use crate::checks::mutation;
use crate::checks::observe::{Observation, first_read, observe_from};
use crate::checks::response::check_exchange;
use crate::checks::{self, CheckSet, NO_LEAKS};
use crate::profile::{Fixture, Profile};
use crate::redact::Redactor;
use crate::snapshot::SnapshotOutcome;
use crate::targets::{Connection, EmulatorKnobs, Exchange, RawAnswer, Target, TransportError};
use crate::wire::{self, Format, Method, Signing, WireRequest};

/// A tag `requires-contract-NAME` limits a case to profiles of that contract version.
pub const REQUIRES_CONTRACT_TAG: &str = "requires-contract-";
/// A case that pins a choice of the reference emulator's `DECISIONS.md` (not of the contract)
/// runs only against the reference emulator (a profile saying `reference_emulator: true`).
pub const REFERENCE_EMULATOR_TAG: &str = "reference-emulator";
/// A case about v1's common parameters (`AccessKeyId`, `Signature`, `SignatureNonce`,
/// `Timestamp`, …), which V3 requests do not carry: it runs only under v1 signing.
pub const V1_ONLY_TAG: &str = "v1-only";
/// A case tagged `prefix` is about IPv4 prefixes: it runs only under a contract that has them.
pub const PREFIX_TAG: &str = "prefix";
/// A case about V3's headers: it runs only under V3 signing.
pub const V3_ONLY_TAG: &str = "v3-only";

/// What a case run needs besides the case.
#[derive(Debug, Clone)]
pub struct CaseContext {
    /// The profile the case runs with: fixtures, contract, signing.
    pub profile: Arc<Profile>,
    /// Base URL printed in reproduction curl lines.
    pub repro_url: String,
    /// Unique per run, so that `${unique}` differs between runs against a shared endpoint.
    pub run_token: String,
}

/// One request as the snapshot shows it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The section the step is in.
    pub section: Section,
    /// The step's name in the case file.
    pub name: String,
    /// The request as the case wrote it, before signing.
    pub request: WireRequest,
    /// The status and decoded body of the answer, or why none came back.
    pub outcome: Result<(u16, serde_json::Value), Unanswered>,
}

/// Why a recorded request has no answer in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unanswered {
    /// The target's transport gave no answer.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A timeout among concurrent requests: the state read after them settles what happened.
    #[error("timed out after {0:?}")]
    AmongConcurrent(Duration),
}

/// The case fields the runner turns into target knobs.
pub fn knobs_of(case: &Case) -> EmulatorKnobs {
    EmulatorKnobs {
        task_duration: case.emulator.task_duration,
        async_delay: case.emulator.async_delay,
    }
}

/// Runs one case to the end. Never panics on what a target answers.
pub async fn run_case(case: &Case, target: &dyn Target, context: &CaseContext) -> CaseOutcome {
    let started = Instant::now();
    let profile = context.profile.as_ref();
    let mut outcome = CaseOutcome::new(case);
    if let Some(missing) = case
        .uses
        .iter()
        .find(|name| !profile.fixtures.contains_key(*name))
    {
        outcome.verdict = Verdict::Skip(format!(
            "profile `{}` has no fixture `{missing}`",
            profile.name
        ));
        return outcome;
    }
    // Cases whose numbers are the seed page's limits (eleven literal addresses, `assigned_count:
    // 10`) say so with a tag, and are skipped against a target that follows another contract.
    if let Some(contract) = case
        .tags
        .iter()
        .find_map(|tag| tag.strip_prefix(REQUIRES_CONTRACT_TAG))
        && contract != profile.contract.name
    {
        outcome.verdict = Verdict::Skip(format!(
            "written for the `{contract}` contract; profile `{}` follows `{}`",
            profile.name, profile.contract.name
        ));
        return outcome;
    }
    if let Some(reason) = skip_reason(case, profile) {
        outcome.verdict = Verdict::Skip(reason);
        return outcome;
    }
    let mut knobs = knobs_of(case);
    // A target that cannot be told the knobs runs the case by racing, when the profile's
    // `timing` gives a basis.
    let races = match race::basis(&knobs, target.supports_knobs(), profile) {
        Ok(races) => races,
        Err(reason) => {
            outcome.verdict = Verdict::Skip(reason.to_string());
            return outcome;
        }
    };
    if !target.supports_knobs() {
        knobs = EmulatorKnobs::default();
    }
    let disabled = profile
        .disabled_checks
        .iter()
        .map(String::as_str)
        .chain(case.disabled_checks.iter().map(|name| name.value.as_str()));
    let checks = match CheckSet::without(disabled) {
        Ok(checks) => checks.under(&profile.contract),
        Err(unknown) => {
            outcome.fail(Failure::new(
                Section::Setup,
                "checks",
                FailureKind::CaseFile,
                unknown.to_string(),
            ));
            return outcome;
        }
    };
    let connection: Arc<dyn Connection> = match target.connect(&knobs) {
        Ok(connection) => Arc::from(connection),
        Err(error) => {
            outcome.fail(Failure::new(
                Section::Setup,
                "connect",
                FailureKind::Transport,
                format!("{error:#}"),
            ));
            return outcome;
        }
    };
    let mut run = CaseRun {
        case,
        context,
        profile,
        checks,
        connection,
        scope: Scope::new(
            profile,
            format!("{}-{}", context.run_token, short_hash(&case.id)),
            &case.id,
        ),
        redactor: Redactor::new(profile),
        vswitch_ids: vswitch_ids(case, profile),
        primaries: Default::default(),
        created: BTreeSet::new(),
        recorded: Vec::new(),
        failures: Vec::new(),
        skipped: None,
        state_fresh: false,
        last_observation: None,
        requests: 0,
        races,
    };
    if !profile.resource_prefix.is_empty() {
        run.redactor
            .name_fixed(&super::resource_name(profile, &case.id), "<resource_name>");
    }
    run.run().await;
    outcome.requests = run.requests;
    outcome.snapshot_text = case.snapshot.then(|| run.snapshot_text());
    outcome.failures = std::mem::take(&mut run.failures);
    outcome.verdict = match (outcome.failures.is_empty(), run.skipped.take()) {
        (false, _) => Verdict::Fail,
        (true, Some(reason)) => Verdict::Skip(reason),
        (true, None) => Verdict::Pass,
    };
    outcome.snapshot = SnapshotOutcome::Skipped;
    outcome.duration = started.elapsed();
    outcome
}

struct CaseRun<'a> {
    case: &'a Case,
    context: &'a CaseContext,
    profile: &'a Profile,
    checks: CheckSet,
    connection: Arc<dyn Connection>,
    scope: Scope<'a>,
    redactor: Redactor,
    /// The VSwitches whose ENIs are read back around mutating requests.
    vswitch_ids: Vec<String>,
    primaries: std::collections::BTreeMap<String, String>,
    /// ENIs this case created, for the leak check.
    created: BTreeSet<String>,
    recorded: Vec<Recorded>,
    failures: Vec<Failure>,
    /// Why the case stopped without a verdict: the target's state cannot give it what it needs
    /// (an address it must use is held by someone else, no address is free).
    skipped: Option<String>,
    /// Whether the scope holds the state as it is now: no mutating request since it was read.
    state_fresh: bool,
    /// The state as last read, the `before` of the next mutating step while still fresh.
    /// Shared with the step that reads it as its `before`, not copied.
    last_observation: Option<Arc<Observation>>,
    requests: usize,
    /// The target's timing and the tasks the case started, for races and `wait: tasks`.
    races: race::Races,
}

impl CaseRun<'_> {
    async fn run(&mut self) {
        let case = self.case;
        'sections: for (section, steps) in
            [(Section::Setup, &case.setup), (Section::Steps, &case.steps)]
        {
            for step in steps {
                self.step(section, step).await;
                if !self.failures.is_empty() || self.skipped.is_some() {
                    break 'sections;
                }
            }
        }
        let stopped_early = !self.failures.is_empty() || self.skipped.is_some();
        for step in &case.teardown {
            if stopped_early && !self.teardown_can_run(step) {
                // The values it needs were never captured (or the addresses it names never
                // taken) because the case stopped early; why is already reported.
                continue;
            }
            if !self.names_only_bound(step) {
                // A variable it names was never captured: the step that would have set it
                // was refused, as its expectation allowed, so there is nothing to give back.
                continue;
            }
            self.step(Section::Teardown, step).await;
        }
        self.check_leaks().await;
    }

    /// Whether every variable a teardown step names has been captured, and every `free(N)`
    /// address it names was picked.
    fn teardown_can_run(&self, step: &Step) -> bool {
        let Step::Send(send) = step else { return true };
        let picked = send
            .params
            .iter()
            .map(|(_, template)| template)
            .chain(send.raw_query.iter())
            .all(|template| self.scope.is_bound(template));
        picked && self.names_only_bound(step)
    }

    /// Whether every variable a step names is bound: captured, a fixture, or built in.
    fn names_only_bound(&self, step: &Step) -> bool {
        let Step::Send(send) = step else { return true };
        send.params
            .iter()
            .map(|(_, template)| template)
            .chain(send.raw_query.iter())
            .flat_map(|template| template.parts.iter())
            .all(|part| match part {
                eni_spec::Part::Expr(expr) => {
                    self.scope.get(&expr.root).is_some()
                        || self.profile.fixtures.contains_key(&expr.root)
                        || eni_spec::BUILTIN_ROOTS.contains(&expr.root.as_str())
                }
                eni_spec::Part::Lit(_) => true,
            })
    }

    async fn step(&mut self, section: Section, step: &Step) {
        match step {
            Step::Send(send) => self.send(section, send).await,
            Step::Wait {
                duration, tasks, ..
            } => {
                if *tasks {
                    self.wait_for_tasks().await;
                } else {
                    self.connection.wait(*duration).await;
                }
                // Transitions may have completed meanwhile (a Deleting ENI gone).
                self.state_fresh = false;
            }
            Step::Concurrent { sends, .. } => self.concurrent(section, sends).await,
        }
    }

    fn eval_error(&mut self, section: Section, send: &Send, error: EvalError) {
        let where_ = format!(
            "{}:{}:{}",
            self.case.origin, error.span.line, error.span.col
        );
        if error.kind == EvalErrorKind::Unavailable {
            if self.skipped.is_none() {
                self.skipped = Some(format!(
                    "{section}.{step}: {message} ({where_})",
                    section = section.name(),
                    step = send.name,
                    message = error.message
                ));
            }
            return;
        }
        self.failures.push(Failure::new(
            section,
            &send.name,
            FailureKind::CaseFile,
            format!("{where_}: {}", error.message),
        ));
    }

    fn build(&mut self, send: &Send) -> Result<WireRequest, EvalError> {
        let mut params = Vec::with_capacity(send.params.len() + 1);
        if let Some(action) = &send.action {
            params.push(("Action".to_string(), action.clone()));
        }
        for (key, template) in &send.params {
            let value = self.scope.eval(template, &mut self.redactor)?;
            // A count read from the state (`free_count`) or from the contract's limits (the
            // `Available` cap is 10 under one contract version, 49 under the other) differs by
            // target: the snapshot shows the expression.
            if let [eni_spec::Part::Expr(expr)] = template.parts.as_slice()
                && (expr.root == "limits"
                    || expr
                        .member
                        .as_ref()
                        .is_some_and(|member| member.name == "free_count"))
            {
                let token = format!("<{}>", super::scope::expression_text(expr));
                self.redactor
                    .name_request_value(&send.name, &key.value, &value, token);
            }
            params.push((key.value.clone(), value));
        }
        let raw_query = match &send.raw_query {
            Some(template) => Some(self.scope.eval(template, &mut self.redactor)?),
            None => None,
        };
        if raw_query.is_none()
            && let Some(name) = super::resource_name_for(self.profile, &self.case.id, &params)
        {
            params.push((super::RESOURCE_NAME_PARAM.to_string(), name));
        }
        let format = match send.format.or(self.case.format) {
            Some(eni_spec::Format::Xml) => Format::Xml,
            Some(eni_spec::Format::Json) => Format::Json,
            None => self.profile.format,
        };
        let signing = match send.signing.or(self.case.signing) {
            Some(eni_spec::Signing::V1) => Signing::V1,
            Some(eni_spec::Signing::V3) => Signing::V3,
            Some(eni_spec::Signing::None) => Signing::None,
            None => self.profile.signing,
        };
        Ok(WireRequest {
            method: match send.method {
                eni_spec::Method::Get => Method::Get,
                eni_spec::Method::Post => Method::Post,
            },
            params,
            raw_query,
            format,
            signing,
            omit: send.omit.clone(),
            corrupt_signature: send.corrupt_signature,
        })
    }

    fn expectation(&mut self, send: &Send) -> Result<Expectation, EvalError> {
        self.expectation_of(&send.expect)
    }

    fn expectation_of(&mut self, expect: &eni_spec::Expect) -> Result<Expectation, EvalError> {
        let scope = &mut self.scope;
        let redactor = &mut self.redactor;
        let mut eval = |template: &eni_spec::Template| scope.eval(template, redactor);
        let mut fields = Vec::new();
        for (path, template) in &expect.fields {
            fields.push((path.clone(), eval(template)?));
        }
        let message_contains = match &expect.message_contains {
            Some(template) => Some(eval(template)?),
            None => None,
        };
        let assigned = match &expect.assigned {
            Some(templates) => Some(
                templates
                    .iter()
                    .map(&mut eval)
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        Ok(Expectation {
            status: expect.status.clone(),
            codes: expect
                .codes
                .iter()
                .map(|code| self.profile.spell(code).to_string())
                .collect(),
            message_contains,
            fields,
            absent: expect.absent.clone(),
            assigned,
            assigned_count: expect.assigned_count,
            count: expect
                .count
                .as_ref()
                .map(|(path, count)| (path.clone(), *count)),
            contains: expect
                .contains
                .iter()
                .map(|(path, items)| Ok((path.clone(), evaluated_items(items, &mut eval)?)))
                .collect::<Result<_, EvalError>>()?,
        })
    }

    async fn send(&mut self, section: Section, send: &Send) {
        // The state is read before the request is built when a template needs it (an address
        // to pick free, or to check free), and before every mutating request anyway: one read
        // serves both.
        let mutating = is_mutating(send);
        let needs_state = self.needs_state(send);
        // The state read after the last mutating step is the state before this one: nothing
        // this case sent has changed it since, so it is not read twice.
        let before = match (&self.last_observation, self.state_fresh) {
            (Some(last), true) if mutating => Some(Arc::clone(last)),
            _ if mutating || needs_state => self.observe(section, &send.name, needs_state).await,
            _ => None,
        };
        let request = match self.build(send) {
            Ok(request) => request,
            Err(error) => return self.eval_error(section, send, error),
        };
        let expectation = match self.expectation(send) {
            Ok(expectation) => expectation,
            Err(error) => return self.eval_error(section, send, error),
        };
        let mut raced = match &send.race {
            Some(race) => match self.prepare_race(race) {
                Ok(raced) => Some(raced),
                Err(error) => return self.eval_error(section, send, error),
            },
            None => None,
        };
        if mutating {
            self.state_fresh = false;
        }
        let mutation = mutation::requested(&request);
        // The state after is read only where the state before was: a transition needs both.
        let read_after = mutation.is_some() && before.is_some() && self.observes(false);
        // The state read after a plain request travels with it (pipelined, where the target
        // can): its answer lands here, and is used below instead of reading again.
        let mut read_ahead = None;
        let result = match (&send.poll, &send.paginate, &mut raced) {
            (Some(poll), _, _) => self.poll(section, send, &request, poll).await,
            (None, Some(paginate), _) => self.paginate(section, send, &request, paginate).await,
            (None, None, Some(raced)) => self.raced_exchange(section, send, &request, raced).await,
            (None, None, None) => {
                if mutating && let Some(eni) = request_eni(&request) {
                    self.pace_tasks(&eni).await;
                }
                if read_after {
                    let (result, read) = self.exchange_then_read(&request).await;
                    read_ahead = read;
                    result
                } else {
                    self.exchange(&request).await
                }
            }
        };
        // A paged read has recorded every page it sent, each under its own name.
        let recorded = send.paginate.is_some();
        let exchange = match result {
            Ok(exchange) => exchange,
            Err(error) => {
                if !recorded {
                    self.record(section, &send.name, &request, Err(error.clone().into()));
                }
                let message = format!("no answer: {error}");
                self.fail_step(
                    section,
                    &send.name,
                    FailureKind::Transport,
                    message,
                    &request,
                );
                return;
            }
        };
        if !recorded && self.case.snapshot {
            self.record(
                section,
                &send.name,
                &request,
                Ok((exchange.status, exchange.decoded.body.clone())),
            );
        }
        let expectation = match &raced {
            Some(raced) => self.race_expectation(section, send, raced, &exchange),
            None => expectation,
        };
        let eni_status = request_eni(&request).and_then(|eni| {
            before
                .as_ref()
                .and_then(|state| state.enis.get(&eni).map(|view| view.status.clone()))
        });
        let expectation = crate::checks::expect::admit_alternatives(
            expectation,
            &self.profile.contract.name,
            send.action.as_deref().unwrap_or(""),
            eni_status.as_deref(),
            &exchange,
        );
        self.judge(section, send, &request, &expectation, &exchange);
        let succeeded = exchange.status == 200;
        if let (Some(Mutation::Assign { eni, .. } | Mutation::Unassign { eni, .. }), true) =
            (&mutation, succeeded)
        {
            let window = self.races.last();
            self.races.task_started(eni, window);
        }
        if let Some(mutation) = &mutation {
            let after = match &before {
                Some(_) => {
                    self.observe_from(section, &send.name, false, read_ahead)
                        .await
                }
                None => None,
            };
            let step = checks::step::Step {
                mutation,
                status: exchange.status,
                answer: &exchange.decoded,
                before: before.as_deref(),
                after: after.as_deref(),
            };
            let found = checks::step::judge_step(&step, &self.checks);
            self.violations(section, &send.name, &request, found);
        }
    }

    /// Expectations, answer checks and captures of one exchange.
    fn judge(
        &mut self,
        section: Section,
        send: &Send,
        request: &WireRequest,
        expectation: &Expectation,
        exchange: &Exchange,
    ) {
        for mismatch in mismatches(expectation, exchange) {
            self.fail_expectation(section, send, mismatch, request);
        }
        let found = check_exchange(exchange, &expectation.status, &self.checks);
        self.violations(section, &send.name, request, found);
        if exchange.status == 200
            && send.action.as_deref() == Some("CreateNetworkInterface")
            && let Some(id) = exchange
                .decoded
                .get("NetworkInterfaceId")
                .and_then(|id| id.as_str())
        {
            self.created.insert(id.to_string());
        }
        for (name, path) in &send.capture {
            match exchange.decoded.at(path).and_then(|value| value.as_str()) {
                Some(value) => self.scope.set(name, value.to_string()),
                // A refusal carries no such value: the variable stays unbound, and the
                // teardown steps naming it are skipped (what was refused made nothing to give
                // back). Whether the refusal was right is the expectation's to say.
                None if !(200..300).contains(&exchange.status) => {}
                None => {
                    let message =
                        format!("capture `{name}`: no text at `{}` in the answer", path.text);
                    self.fail_expectation(section, send, message, request);
                }
            }
        }
    }

    /// [`Self::exchange`], and the first request of the state read after it sent behind it;
    /// returns the read's answer when it came back.
    async fn exchange_then_read(
        &mut self,
        request: &WireRequest,
    ) -> (Result<Exchange, TransportError>, Option<RawAnswer>) {
        let Some(read) = first_read(&self.vswitch_ids, self.profile.signing) else {
            return (self.exchange(request).await, None);
        };
        self.requests += 1;
        let sent = self.connection.clock();
        let (result, read) = self.connection.send_then_read(request, &read).await;
        // Answered when the request's own answer ended, not the read's behind it: now, less
        // the time between the two answers (both timed from one start, in real time, since a
        // target that pipelined lives in it). Never `sent` plus the request's elapsed time:
        // that start is the connection's, later than `sent` by whatever kept the request from
        // the wire, and a task judged to end that much early meets its own `Operation.Conflict`.
        let now = self.connection.clock();
        let answered = match (&result, &read) {
            (Ok(exchange), Some(read)) => now
                .saturating_sub(read.elapsed.saturating_sub(exchange.elapsed))
                .max(sent),
            _ => now,
        };
        self.races.sent(race::Window { sent, answered });
        (result, read)
    }

    async fn exchange(&mut self, request: &WireRequest) -> Result<Exchange, TransportError> {
        self.requests += 1;
        let sent = self.connection.clock();
        let result = self.connection.send(request).await;
        let answered = self.connection.clock();
        self.races.sent(race::Window { sent, answered });
        result
    }

    async fn poll(
        &mut self,
        section: Section,
        send: &Send,
        request: &WireRequest,
        poll: &eni_spec::Poll,
    ) -> Result<Exchange, TransportError> {
        let mut until = Vec::new();
        for (path, template) in &poll.until {
            match self.scope.eval(template, &mut self.redactor) {
                Ok(value) => until.push((path, value)),
                Err(error) => {
                    self.eval_error(section, send, error);
                    return self.exchange(request).await;
                }
            }
        }
        let mut waited = Duration::ZERO;
        loop {
            let exchange = self.exchange(request).await?;
            let pending: Vec<String> = until
                .iter()
                .filter_map(|(path, expected)| {
                    let actual = exchange
                        .decoded
                        .at(path)
                        .and_then(|value| value.as_str())
                        .unwrap_or("(absent)");
                    (actual != expected)
                        .then(|| format!("{path} is {actual:?}, waiting for {expected:?}"))
                })
                .collect();
            if pending.is_empty() {
                return Ok(exchange);
            }
            if waited >= poll.timeout {
                let message = format!("poll gave up after {waited:?}: {}", pending.join("; "));
                self.fail_expectation(section, send, message, request);
                return Ok(exchange);
            }
            self.connection.wait(poll.interval).await;
            waited += poll.interval;
        }
    }

    /// Sends every page of a paged read and joins them into the one answer the expectations
    /// see: the first page, its list holding every page's elements in page order (a repeated
    /// element stays repeated, so `count` and `contains` see it) and, when paging by token, the
    /// last page's token. Each page is counted, recorded for the snapshot and held to the answer
    /// checks. A page that does not answer 200 ends the paging and is what the step is judged on.
    async fn paginate(
        &mut self,
        section: Section,
        send: &Send,
        request: &WireRequest,
        paginate: &eni_spec::Paginate,
    ) -> Result<Exchange, TransportError> {
        let parameter = paginate.parameter();
        let first_value = match &paginate.by {
            eni_spec::PageBy::Token(_) => None,
            eni_spec::PageBy::Number(_) => Some("1".to_string()),
        };
        let (mut page_request, mut joined) = self
            .page(section, send, request, parameter, first_value, 1)
            .await?;
        if joined.status != 200 {
            return Ok(joined);
        }
        let mut elements = list_elements(&joined, &paginate.list);
        let mut last_token = joined.decoded.body.get(parameter).cloned();
        let mut last_total = total_count(&joined);
        let mut next = next_page(paginate, &joined, 1, elements.len(), elements.is_empty());
        let mut number = 1;
        while let Some(value) = next {
            if number == eni_spec::Paginate::MAX_PAGES {
                let why = match &paginate.by {
                    eni_spec::PageBy::Token(_) => {
                        format!("every answer gave another `{parameter}`")
                    }
                    eni_spec::PageBy::Number(_) => format!(
                        "no page was empty, and the pages hold {} elements, short of TotalCount {}",
                        elements.len(),
                        last_total
                            .map_or_else(|| "(absent)".to_string(), |total| total.to_string())
                    ),
                };
                let message =
                    format!("still paging after {number} pages: {why}; a paged read stops there");
                self.fail_expectation(section, send, message, &page_request);
                break;
            }
            number += 1;
            let page;
            (page_request, page) = self
                .page(section, send, request, parameter, Some(value), number)
                .await?;
            if page.status != 200 {
                let decoded = &page.decoded;
                let message = format!(
                    "page {number} answered {} {}: {}; every page of a paged read must answer 200",
                    page.status,
                    decoded.code.as_deref().unwrap_or(""),
                    decoded.message.as_deref().unwrap_or("")
                );
                self.fail_expectation(section, send, message, &page_request);
                return Ok(page);
            }
            // The first page is checked by the caller, as the joined answer.
            let found = check_exchange(&page, &[200], &self.checks);
            self.violations(section, &send.name, &page_request, found);
            let items = list_elements(&page, &paginate.list);
            let empty = items.is_empty();
            elements.extend(items);
            last_token = page.decoded.body.get(parameter).cloned();
            last_total = total_count(&page);
            next = next_page(paginate, &page, number, elements.len(), empty);
        }
        set_at(
            &mut joined.decoded.body,
            &paginate.list,
            serde_json::Value::Array(elements),
        );
        if let (eni_spec::PageBy::Token(_), Some(body)) =
            (&paginate.by, joined.decoded.body.as_object_mut())
        {
            match last_token {
                Some(token) => body.insert(parameter.to_string(), token),
                None => body.remove(parameter),
            };
        }
        Ok(joined)
    }

    /// Sends page `number` of a paged read, with the paging parameter set to `value` (none:
    /// left out), and records it as `<step>.page-<number>`.
    async fn page(
        &mut self,
        section: Section,
        send: &Send,
        request: &WireRequest,
        parameter: &str,
        value: Option<String>,
        number: usize,
    ) -> Result<(WireRequest, Exchange), TransportError> {
        let mut page_request = request.clone();
        page_request
            .params
            .extend(value.map(|value| (parameter.to_string(), value)));
        let name = format!("{}.page-{number}", send.name);
        match self.exchange(&page_request).await {
            Ok(page) => {
                let body = page.decoded.body.clone();
                self.record(section, &name, &page_request, Ok((page.status, body)));
                Ok((page_request, page))
            }
            Err(error) => {
                self.record(section, &name, &page_request, Err(error.clone().into()));
                Err(error)
            }
        }
    }

    async fn concurrent(&mut self, section: Section, sends: &[Send]) {
        let mutating = sends.iter().any(is_mutating);
        let needs_state = sends.iter().any(|send| self.needs_state(send));
        if (mutating || needs_state) && !self.state_fresh {
            // Read once before (unless the last read is still the state), so the group's
            // effects are judged against a known state and its templates pick free addresses.
            let _ = self.observe(section, &sends[0].name, needs_state).await;
        }
        if mutating {
            self.state_fresh = false;
        }
        let mut prepared = Vec::new();
        for send in sends {
            match (self.build(send), self.expectation(send)) {
                (Ok(request), Ok(expectation)) => prepared.push((send, request, expectation)),
                (Err(error), _) | (_, Err(error)) => return self.eval_error(section, send, error),
            }
        }
        let sent = self.connection.clock();
        let mut tasks = tokio::task::JoinSet::new();
        for (index, (_, request, _)) in prepared.iter().enumerate() {
            let connection = Arc::clone(&self.connection);
            let request = request.clone();
            tasks.spawn(async move { (index, connection.send(&request).await) });
        }
        let mut results: Vec<Option<Result<Exchange, TransportError>>> = vec![None; prepared.len()];
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, result)) => results[index] = Some(result),
                Err(error) => {
                    let message = format!("a concurrent send did not finish: {error}");
                    self.failures.push(Failure::new(
                        section,
                        &sends[0].name,
                        FailureKind::Transport,
                        message,
                    ));
                }
            }
        }
        self.requests += prepared.len();
        let window = race::Window {
            sent,
            answered: self.connection.clock(),
        };
        let mut reports = Vec::new();
        for ((send, request, expectation), result) in prepared.iter().zip(results) {
            match result {
                Some(Ok(exchange)) => {
                    self.record(
                        section,
                        &send.name,
                        request,
                        Ok((exchange.status, exchange.decoded.body.clone())),
                    );
                    self.judge(section, send, request, expectation, &exchange);
                    if let (
                        Some(Mutation::Assign { eni, .. } | Mutation::Unassign { eni, .. }),
                        200,
                    ) = (mutation::requested(request), exchange.status)
                    {
                        self.races.task_started(&eni, window);
                    }
                    if exchange.status == 200
                        && matches!(mutation::requested(request), Some(Mutation::Assign { .. }))
                    {
                        reports.push((
                            send.name.clone(),
                            exchange.decoded.strings_at(ASSIGNED_PATH),
                        ));
                    }
                }
                // Under concurrency a timeout is an unknown outcome: the state read below
                // settles what happened, so it is not a failure by itself.
                Some(Err(TransportError::Timeout(after))) => {
                    self.record(
                        section,
                        &send.name,
                        request,
                        Err(Unanswered::AmongConcurrent(after)),
                    );
                }
                Some(Err(error)) => {
                    self.record(section, &send.name, request, Err(error.clone().into()));
                    self.fail_step(
                        section,
                        &send.name,
                        FailureKind::Transport,
                        format!("no answer: {error}"),
                        request,
                    );
                }
                None => {}
            }
        }
        let found = check_disjoint_reports(&reports, &self.checks);
        self.violations(section, &sends[0].name, &prepared[0].1, found);
        if mutating && let Some(after) = self.observe(section, &sends[0].name, false).await {
            for (step, addresses) in &reports {
                let held: BTreeSet<&String> = after
                    .enis
                    .values()
                    .flat_map(|eni| eni.secondaries.iter())
                    .collect();
                let missing: Vec<&str> = addresses
                    .iter()
                    .filter(|a| !held.contains(a))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() && self.checks.is_on(crate::checks::ASSIGN_MATCHES_DESCRIBE)
                {
                    let message = format!(
                        "`{step}` was acknowledged, but {} is not on any ENI afterwards",
                        missing.join(", ")
                    );
                    self.failures.push(Failure::check(
                        section,
                        step,
                        crate::checks::ASSIGN_MATCHES_DESCRIBE.name,
                        message,
                    ));
                }
            }
        }
        if let Some(reason) = self.races.group_outlasted_task(window)
            && self.skipped.is_none()
        {
            self.skipped = Some(reason);
        }
    }

    /// Whether a step's templates need the VSwitches' state as it is now, and the scope does
    /// not hold it.
    fn needs_state(&self, send: &Send) -> bool {
        if self.state_fresh {
            return false;
        }
        send.templates()
            .any(|template| self.scope.needs_state(template))
    }

    /// Reads the state back and checks the state invariants on it. `for_templates`: the
    /// scope needs the state to pick or check addresses, even where no check would read it.
    async fn observe(
        &mut self,
        section: Section,
        step: &str,
        for_templates: bool,
    ) -> Option<Arc<Observation>> {
        self.observe_from(section, step, for_templates, None).await
    }

    /// Whether [`Self::observe`] reads anything.
    fn observes(&self, for_templates: bool) -> bool {
        !self.vswitch_ids.is_empty() && (for_templates || self.checks.needs_observation())
    }

    /// [`Self::observe`], with the answer to the read's first request in hand when `first` is
    /// given (it came back pipelined behind the request before).
    async fn observe_from(
        &mut self,
        section: Section,
        step: &str,
        for_templates: bool,
        first: Option<RawAnswer>,
    ) -> Option<Arc<Observation>> {
        if !self.observes(for_templates) {
            return None;
        }
        let signing = self.profile.signing;
        let result =
            observe_from(self.connection.as_ref(), &self.vswitch_ids, signing, first).await;
        match result {
            Ok(observation) => {
                let observation = Arc::new(observation);
                self.requests += observation.requests;
                self.scope.observed(&observation);
                self.state_fresh = true;
                self.last_observation = Some(Arc::clone(&observation));
                let found = check_state(
                    &observation,
                    self.profile,
                    &self.checks,
                    &mut self.primaries,
                );
                for violation in found {
                    self.failures.push(Failure::check(
                        section,
                        step,
                        violation.check.name,
                        violation.message,
                    ));
                }
                Some(observation)
            }
            Err(message) => {
                let message = format!("cannot read the state back: {message}");
                self.failures
                    .push(Failure::new(section, step, FailureKind::Transport, message));
                None
            }
        }
    }

    async fn check_leaks(&mut self) {
        if self.created.is_empty() || !self.checks.is_on(NO_LEAKS) {
            return;
        }
        let mut params = vec![(
            "Action".to_string(),
            "DescribeNetworkInterfaces".to_string(),
        )];
        for (index, id) in self.created.iter().enumerate() {
            params.push((format!("NetworkInterfaceId.{}", index + 1), id.clone()));
        }
        let request = WireRequest {
            params,
            format: Format::Json,
            signing: self.profile.signing,
            ..WireRequest::default()
        };
        // Every way the check can end badly is one teardown failure of the leak check; only
        // the message differs.
        let message = match self.exchange(&request).await {
            Ok(exchange) if exchange.status == 200 => {
                let leaked: Vec<String> = exchange
                    .decoded
                    .get("NetworkInterfaceSets.NetworkInterfaceSet")
                    .and_then(|sets| sets.as_array())
                    .into_iter()
                    .flatten()
                    .filter(|set| set.get("Status").and_then(|s| s.as_str()) != Some("Deleting"))
                    .filter_map(|set| {
                        set.get("NetworkInterfaceId")
                            .and_then(|id| id.as_str())
                            .map(str::to_string)
                    })
                    .collect();
                if leaked.is_empty() {
                    return;
                }
                format!("created and never deleted: {}", leaked.join(", "))
            }
            Ok(exchange) => format!(
                "cannot check for leaks: DescribeNetworkInterfaces answered {}",
                exchange.status
            ),
            Err(error) => format!("cannot check for leaks: {error}"),
        };
        self.failures.push(Failure::check(
            Section::Teardown,
            "leaks",
            NO_LEAKS.name,
            message,
        ));
    }

    fn violations(
        &mut self,
        section: Section,
        step: &str,
        request: &WireRequest,
        found: Vec<Violation>,
    ) {
        for violation in found {
            let mut failure =
                Failure::check(section, step, violation.check.name, violation.message);
            failure.curl = Some(self.curl(request));
            self.failures.push(failure);
        }
    }

    /// A step's answer was not what the case expects: the failure names the step and carries
    /// the request as curl.
    fn fail_expectation(
        &mut self,
        section: Section,
        send: &Send,
        message: String,
        request: &WireRequest,
    ) {
        self.fail_step(
            section,
            &send.name,
            FailureKind::Expectation,
            message,
            request,
        );
    }

    fn fail_step(
        &mut self,
        section: Section,
        step: &str,
        kind: FailureKind,
        message: String,
        request: &WireRequest,
    ) {
        let mut failure = Failure::new(section, step, kind, message);
        failure.curl = Some(self.curl(request));
        self.failures.push(failure);
    }

    /// An unsigned curl line for the request, for an emulator with relaxed signing.
    fn curl(&self, request: &WireRequest) -> String {
        let unsigned = WireRequest {
            signing: Signing::None,
            ..request.clone()
        };
        let context = wire::PrepareContext {
            host: String::new(),
            region: Some(self.profile.region.clone()),
            now: std::time::SystemTime::now(),
            nonce: String::new(),
        };
        wire::prepare::curl_line(
            &wire::prepare(&unsigned, None, &context),
            &self.context.repro_url,
        )
    }

    fn record(
        &mut self,
        section: Section,
        name: &str,
        request: &WireRequest,
        outcome: Result<(u16, serde_json::Value), Unanswered>,
    ) {
        // Only the snapshot reads the recordings: a case without one keeps none (a long case
        // would otherwise hold a copy of every request and answer until it ends).
        if !self.case.snapshot {
            return;
        }
        self.recorded.push(Recorded {
            section,
            name: name.to_string(),
            request: request.clone(),
            outcome,
        });
    }

    /// The case's exchanges, redacted, as YAML.
    fn snapshot_text(&mut self) -> String {
        let mut steps = Vec::new();
        for recorded in std::mem::take(&mut self.recorded) {
            let mut step = serde_json::Map::new();
            step.insert(
                "step".into(),
                format!("{}.{}", recorded.section.name(), recorded.name).into(),
            );
            let request =
                &super::without_resource_name(&recorded.request, self.profile, &self.case.id);
            if request.method == Method::Post {
                step.insert("method".into(), "POST".into());
            }
            if request.format == Format::Xml {
                step.insert("format".into(), "XML".into());
            }
            if request.signing != Signing::V1 {
                step.insert(
                    "signing".into(),
                    format!("{:?}", request.signing).to_lowercase().into(),
                );
            }
            let keys: BTreeSet<&str> = request.params.iter().map(|(key, _)| key.as_str()).collect();
            let params: serde_json::Value = if keys.len() == request.params.len() {
                let mut map = serde_json::Map::new();
                for (key, value) in &request.params {
                    let shown = self.redactor.request_text(&recorded.name, key, value);
                    map.insert(key.clone(), shown.into());
                }
                map.into()
            } else {
                let pairs = request.params.iter().map(|(key, value)| {
                    serde_json::json!([key, self.redactor.request_text(&recorded.name, key, value)])
                });
                serde_json::Value::Array(pairs.collect())
            };
            step.insert("request".into(), params);
            if let Some(raw) = &request.raw_query {
                step.insert("raw_query".into(), self.redactor.text(raw).into());
            }
            if !request.omit.is_empty() {
                step.insert("omit".into(), request.omit.clone().into());
            }
            if request.corrupt_signature {
                step.insert("corrupt_signature".into(), true.into());
            }
            match recorded.outcome {
                Ok((status, mut body)) => {
                    step.insert("status".into(), status.into());
                    self.redactor.value(&mut body);
                    step.insert("response".into(), body);
                }
                Err(error) => {
                    step.insert("error".into(), error.to_string().into());
                }
            }
            steps.push(serde_json::Value::Object(step));
        }
        let document = serde_json::json!({ "case": self.case.id, "steps": steps });
        serde_saphyr::to_string(&document)
            .unwrap_or_else(|error| format!("cannot render the snapshot: {error}"))
    }
}

/// Why a case does not apply to this profile, if it does not: it pins the reference emulator's
/// own choices, it is about IPv4 prefixes and the contract has none, or it is about one
/// signature version and the run signs with another.
fn skip_reason(case: &Case, profile: &Profile) -> Option<String> {
    let tagged = |tag: &str| case.tags.iter().any(|t| t == tag);
    if tagged(REFERENCE_EMULATOR_TAG) && !profile.reference_emulator {
        return Some(format!(
            "pins a choice of the reference emulator (its DECISIONS.md), not of the contract; profile `{}` is not the reference emulator",
            profile.name
        ));
    }
    if tagged(PREFIX_TAG) && !profile.contract.has_prefixes() {
        return Some(format!(
            "about IPv4 prefixes, which the `{}` contract of profile `{}` does not have",
            profile.contract.name, profile.name
        ));
    }
    let signing = match case.signing {
        Some(eni_spec::Signing::V1) => Signing::V1,
        Some(eni_spec::Signing::V3) => Signing::V3,
        Some(eni_spec::Signing::None) => Signing::None,
        None => profile.signing,
    };
    if tagged(V1_ONLY_TAG) && signing == Signing::V3 {
        return Some(
            "about v1's common parameters, which V3 requests do not carry; this run signs with V3"
                .into(),
        );
    }
    if tagged(V3_ONLY_TAG) && signing == Signing::V1 {
        return Some("about V3's signed headers; this run signs with v1".into());
    }
    None
}

/// The items of a case's order-free lists with their templates evaluated.
fn evaluated_items(
    items: &[eni_spec::Item],
    eval: &mut impl FnMut(&eni_spec::Template) -> Result<String, EvalError>,
) -> Result<Vec<crate::checks::expect::Item>, EvalError> {
    use crate::checks::expect::{FieldMatch, Item};
    items
        .iter()
        .map(|item| {
            Ok(match item {
                eni_spec::Item::Value(template) => Item::Value(eval(template)?),
                eni_spec::Item::Fields(fields) => Item::Fields(
                    fields
                        .iter()
                        .map(|(path, field)| {
                            let field = match field {
                                eni_spec::FieldMatch::Equals(template) => {
                                    FieldMatch::Equals(eval(template)?)
                                }
                                eni_spec::FieldMatch::Contains(nested) => {
                                    FieldMatch::Contains(evaluated_items(nested, eval)?)
                                }
                            };
                            Ok((path.clone(), field))
                        })
                        .collect::<Result<_, EvalError>>()?,
                ),
            })
        })
        .collect()
}

/// The paging parameter's value for the page after page `number`, or `None` when that was the
/// last: its token is empty or absent (by token); it was empty, or the pages so far hold
/// `TotalCount` elements (by number).
fn next_page(
    paginate: &eni_spec::Paginate,
    page: &Exchange,
    number: usize,
    held: usize,
    empty: bool,
) -> Option<String> {
    match &paginate.by {
        eni_spec::PageBy::Token(name) => page
            .decoded
            .get(name)
            .and_then(|token| token.as_str())
            .filter(|token| !token.is_empty())
            .map(str::to_string),
        eni_spec::PageBy::Number(_) => (!empty
            && total_count(page).is_none_or(|total| held < total))
        .then(|| (number + 1).to_string()),
    }
}

/// A page's `TotalCount`, when it gives a whole number.
fn total_count(page: &Exchange) -> Option<usize> {
    page.decoded
        .get("TotalCount")
        .and_then(|total| total.as_str())
        .and_then(|total| total.parse().ok())
}

/// The elements of one page's list, read as `count` reads a list: a lone value is a list of
/// one, nothing is an empty list.
fn list_elements(page: &Exchange, list: &eni_spec::Path) -> Vec<serde_json::Value> {
    match page.decoded.at(list) {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
        None => Vec::new(),
    }
}

/// Puts `value` at `path`, adding the objects on the way that the body lacks; a path that
/// runs into a scalar, or past the end of a list, is left as it is.
fn set_at(body: &mut serde_json::Value, path: &eni_spec::Path, value: serde_json::Value) {
    let Some((last, parents)) = path.segments.split_last() else {
        return;
    };
    let mut at = body;
    for segment in parents {
        let next = match (segment, at) {
            (eni_spec::Segment::Key(key), serde_json::Value::Object(map)) => map
                .entry(key.clone())
                .or_insert_with(|| serde_json::Value::Object(Default::default())),
            (eni_spec::Segment::Index(index), serde_json::Value::Array(items)) => {
                match items.get_mut(*index) {
                    Some(item) => item,
                    None => return,
                }
            }
            _ => return,
        };
        at = next;
    }
    match (last, at) {
        (eni_spec::Segment::Key(key), serde_json::Value::Object(map)) => {
            map.insert(key.clone(), value);
        }
        (eni_spec::Segment::Index(index), serde_json::Value::Array(items)) => {
            if let Some(item) = items.get_mut(*index) {
                *item = value;
            }
        }
        _ => {}
    }
}

/// Whether a step sends an action that changes state.
fn is_mutating(send: &Send) -> bool {
    send.action
        .as_deref()
        .is_some_and(|action| mutation::MUTATING.contains(&action))
}

/// The ENI a request names, if any (the ENI a task on the target would keep busy).
fn request_eni(request: &WireRequest) -> Option<String> {
    request
        .params
        .iter()
        .find(|(key, value)| key == "NetworkInterfaceId" && !value.is_empty())
        .map(|(_, value)| value.clone())
}

/// The VSwitches a case touches: its VSwitch fixtures and those its instance fixtures sit in.
fn vswitch_ids(case: &Case, profile: &Profile) -> Vec<String> {
    let mut ids = BTreeSet::new();
    for name in &case.uses {
        match profile.fixtures.get(name) {
            Some(Fixture::VSwitch { id, .. }) => {
                ids.insert(id.clone());
            }
            Some(Fixture::Instance(instance)) => {
                if let Some(Fixture::VSwitch { id, .. }) = instance
                    .vswitch
                    .as_ref()
                    .and_then(|v| profile.fixtures.get(v))
                {
                    ids.insert(id.clone());
                }
            }
            _ => {}
        }
    }
    ids.into_iter().collect()
}

/// A short stable hash of a case id, so `${unique}` differs between cases of one run.
fn short_hash(text: &str) -> String {
    // FNV-1a: stable across Rust versions, unlike the std hasher.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:08x}", hash as u32)
}

mod race;
#[cfg(test)]
mod read_ahead_tests;
#[cfg(test)]
mod tests;
