//! Racing a request against a state that changes on its own: an ENI's transition (`Attaching`,
//! `Detaching`, `Deleting`) or a task in flight (`Operation.Conflict`). An emulator is told how
//! long those last (`emulator:` knobs), so there the answer is known in advance; on any other
//! target the case runs only when the profile's `timing` gives a basis, and the answer is judged
//! against what the runner reads right before and right after the request, never accepting a
//! state neither read showed.

use std::collections::BTreeMap;
use std::time::Duration;

use eni_spec::{Race, RaceOn, Send};

use super::super::scope::EvalError;
use super::super::{Failure, FailureKind, Section};
use super::CaseRun;
use crate::checks::expect::{Expectation, mismatches};
use crate::profile::Profile;
use crate::targets::{EmulatorKnobs, Exchange, TransportError};
use crate::wire::{Format, WireRequest};

/// The list `DescribeNetworkInterfaces` answers with.
const ENI_LIST: &str = "NetworkInterfaceSets.NetworkInterfaceSet";

/// What the runner knows about the timing of one case's target, and the tasks the case started.
#[derive(Debug, Default)]
pub(super) struct Races {
    /// The target honours the case's knobs: its transitions last exactly `async_delay` on a
    /// clock that stands still between requests, so a status race has one result, its first.
    decided: bool,
    /// How long a task keeps its ENI busy after it began: the knob, or the profile's
    /// `timing.task`. `None` when the case sets no task knob.
    task: Option<Duration>,
    /// For a case that races no task, on a target whose profile states a task window
    /// (`timing.task` above zero): how long to let an ENI's task end before the case's next
    /// mutating request on it, so a correct endpoint's `Operation.Conflict` is never provoked by
    /// a case that is not about conflicts.
    pace: Option<Duration>,
    /// Per ENI, the clock window (sent, answered) of the last task the case started on it.
    tasks: BTreeMap<String, Window>,
    /// The clock window of the last request sent.
    last: Window,
}

/// When a request was sent and when its answer came, on the connection's clock.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Window {
    pub sent: Duration,
    pub answered: Duration,
}

/// What a race read on either side of its request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Read {
    /// The ENI's status as listed, or `gone`.
    Status(String),
    /// The clock decided the task's state: running or ended.
    Task(&'static str),
    /// The clock cannot tell: the task may have ended while the request was under way.
    TaskEither,
}

/// A race with its templates evaluated: the ENI it reads and each branch's expectation.
pub(super) struct Prepared {
    on_task: bool,
    eni: String,
    branches: Vec<(String, Expectation)>,
    /// The status read right before the request; for a task race, what the clock says of the
    /// task for the request's window.
    before: Option<Read>,
    /// The status read right after the request (a status race only).
    after: Option<Read>,
}

/// Why a case that sets knobs cannot run on a target that cannot be told them: the profile
/// gives no timing to race instead. The case is skipped with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum NoRaceBasis {
    #[error(
        "races an ENI's transition (`emulator.async_delay`), which this target cannot be told; profile `{profile}` states no `timing.transition`, so there is no basis to race it"
    )]
    Transition { profile: String },
    #[error(
        "races a task in flight (`emulator.task_duration`), which this target cannot be told; profile `{profile}` states no `timing.task`, so there is no basis to race it"
    )]
    Task { profile: String },
    #[error(
        "races a task in flight (`emulator.task_duration`); profile `{profile}` states `timing.task: 0s`: the target runs no task long enough to conflict"
    )]
    NoTask { profile: String },
}

/// Whether a case that sets knobs can run on a target: where the target honours them, always;
/// elsewhere, each knob needs the `timing.*` key of the profile that stands in for it. `Err` is
/// the reason to skip, naming the missing key.
pub(super) fn basis(
    knobs: &EmulatorKnobs,
    honoured: bool,
    profile: &Profile,
) -> Result<Races, NoRaceBasis> {
    if honoured {
        return Ok(Races {
            decided: true,
            task: knobs.task_duration,
            ..Races::default()
        });
    }
    if knobs.async_delay.is_some() && profile.timing.transition.is_none() {
        return Err(NoRaceBasis::Transition {
            profile: profile.name.clone(),
        });
    }
    let pace = match (knobs.task_duration, profile.timing.task) {
        (None, Some(task)) if !task.is_zero() => Some(task),
        _ => None,
    };
    let task = match (knobs.task_duration, profile.timing.task) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(NoRaceBasis::Task {
                profile: profile.name.clone(),
            });
        }
        (Some(_), Some(task)) if task.is_zero() => {
            return Err(NoRaceBasis::NoTask {
                profile: profile.name.clone(),
            });
        }
        (Some(_), Some(task)) => Some(task),
    };
    Ok(Races {
        decided: false,
        task,
        pace,
        ..Races::default()
    })
}

impl Races {
    /// Notes that a request that may start a task on `eni` succeeded in `window`.
    pub(super) fn task_started(&mut self, eni: &str, window: Window) {
        if (self.task.is_some() || self.pace.is_some()) && !eni.is_empty() {
            self.tasks.insert(eni.to_string(), window);
        }
    }

    /// Notes the clock window of the request just sent.
    pub(super) fn sent(&mut self, window: Window) {
        self.last = window;
    }

    pub(super) fn last(&self) -> Window {
        self.last
    }

    /// The state of the task on `eni` for a request sent in `window`: running when the request
    /// was answered before the task could have ended (it began no earlier than its request was
    /// sent), ended when the request was sent after it surely ended (it began no later than its
    /// answer came), either in between.
    fn task_state(&self, eni: &str, window: Window) -> Read {
        let (Some(task), Some(started)) = (self.task, self.tasks.get(eni)) else {
            return Read::Task(eni_spec::TASK_ENDED);
        };
        if window.answered < started.sent + task {
            Read::Task(eni_spec::TASK_RUNNING)
        } else if window.sent >= started.answered + task {
            Read::Task(eni_spec::TASK_ENDED)
        } else {
            Read::TaskEither
        }
    }

    /// Why a concurrent group cannot be judged as sent at once: it took the task time or longer
    /// on a target whose timing no knob sets, so one of its requests may have met another's
    /// task ended (two successes where the case expects one). `None` when it was quick enough.
    pub(super) fn group_outlasted_task(&self, window: Window) -> Option<String> {
        let task = self.task.filter(|_| !self.decided)?;
        let took = window.answered.saturating_sub(window.sent);
        (took >= task).then(|| {
            format!(
                "the concurrent group took {took:?}, not less than the task time {task:?} (`timing.task`): its requests were not at once as far as tasks go, so the case cannot judge them"
            )
        })
    }

    /// When every task the case started has surely ended, on the connection's clock.
    fn tasks_end(&self) -> Option<Duration> {
        let task = self.task?;
        self.tasks
            .values()
            .map(|window| window.answered + task)
            .max()
    }
}

impl CaseRun<'_> {
    /// Before a mutating request on `eni` of a case that races no task: lets the task the case
    /// last started on that ENI end, when the profile states a task window.
    pub(super) async fn pace_tasks(&mut self, eni: &str) {
        let (Some(pace), Some(started)) = (self.races.pace, self.races.tasks.get(eni)) else {
            return;
        };
        let end = started.answered + pace;
        let now = self.connection.clock();
        if end > now {
            self.connection.wait(end - now).await;
        }
    }

    /// `wait: tasks`: lets time pass until every task the case started has ended.
    pub(super) async fn wait_for_tasks(&mut self) {
        if let Some(end) = self.races.tasks_end() {
            let now = self.connection.clock();
            if end > now {
                self.connection.wait(end - now).await;
            }
        }
    }

    /// Evaluates a race's templates before its request is sent.
    pub(super) fn prepare_race(&mut self, race: &Race) -> Result<Prepared, EvalError> {
        let eni = self.scope.eval(race.on.template(), &mut self.redactor)?;
        let mut branches = Vec::new();
        for (state, expect) in &race.when {
            branches.push((state.clone(), self.expectation_of(expect)?));
        }
        Ok(Prepared {
            on_task: matches!(race.on, RaceOn::Task(_)),
            eni,
            branches,
            before: None,
            after: None,
        })
    }

    /// Sends a raced request between two reads of the state it races.
    pub(super) async fn raced_exchange(
        &mut self,
        section: Section,
        send: &Send,
        request: &WireRequest,
        race: &mut Prepared,
    ) -> Result<Exchange, TransportError> {
        if !race.on_task {
            race.before = self.read_status(section, send, &race.eni).await;
        }
        let result = self.exchange(request).await;
        if race.on_task {
            race.before = Some(self.races.task_state(&race.eni, self.races.last()));
        } else {
            race.after = self.read_status(section, send, &race.eni).await;
        }
        result
    }

    /// The expectation a raced answer is judged by: the branch of a state read on either side
    /// of the request that the answer matches. When there is none, a failure says what was read
    /// and what each admissible branch missed, and the expectation returned lets the answer
    /// checks run without repeating it.
    pub(super) fn race_expectation(
        &mut self,
        section: Section,
        send: &Send,
        race: &Prepared,
        exchange: &Exchange,
    ) -> Expectation {
        let permissive = Expectation {
            status: race
                .branches
                .iter()
                .flat_map(|(_, e)| e.status.iter().copied())
                .collect(),
            ..Expectation::default()
        };
        let states: Vec<String> = match (&race.before, &race.after) {
            // A status read failed: that is reported already.
            (None, _) | (Some(Read::Status(_)), None) => return permissive,
            (Some(Read::Task(state)), _) => vec![(*state).to_string()],
            (Some(Read::TaskEither), _) => vec![
                eni_spec::TASK_RUNNING.to_string(),
                eni_spec::TASK_ENDED.to_string(),
            ],
            (Some(Read::Status(before)), Some(Read::Status(after))) => {
                if self.races.decided {
                    let first = &race.branches[0].0;
                    if before != first || after != first {
                        self.failures.push(Failure::new(
                            section,
                            &send.name,
                            FailureKind::Expectation,
                            format!(
                                "race: the target honours the case's `emulator.async_delay` and its clock stood still, so the ENI must read {first} before and after the request; it read {before:?}, then {after:?}"
                            ),
                        ));
                        return permissive;
                    }
                }
                let mut states = vec![before.clone()];
                if after != before {
                    states.push(after.clone());
                }
                states
            }
            (Some(Read::Status(_)), Some(_)) => return permissive,
        };
        let read = self.race_read_text(race);
        let admissible: Vec<&(String, Expectation)> = race
            .branches
            .iter()
            .filter(|(state, _)| states.contains(state))
            .collect();
        if admissible.is_empty() {
            let listed: Vec<&str> = race.branches.iter().map(|(s, _)| s.as_str()).collect();
            self.failures.push(Failure::new(
                section,
                &send.name,
                FailureKind::Expectation,
                format!(
                    "race: {read}, a state the race has no answer for (it has {})",
                    listed.join(", ")
                ),
            ));
            return permissive;
        }
        let mut missed = Vec::new();
        for (state, expectation) in &admissible {
            let found = mismatches(expectation, exchange);
            if found.is_empty() {
                return expectation.clone();
            }
            missed.push(format!("as `{state}`: {}", found.join("; ")));
        }
        let accepted: Vec<&str> = admissible.iter().map(|(s, _)| s.as_str()).collect();
        self.failures.push(Failure::new(
            section,
            &send.name,
            FailureKind::Expectation,
            format!(
                "race: {read}, so the answer must be the one for {}; it is not ({})",
                accepted.join(" or "),
                missed.join(" / ")
            ),
        ));
        permissive
    }

    /// What the race read, in words, for a failure.
    fn race_read_text(&self, race: &Prepared) -> String {
        match (&race.before, &race.after) {
            (Some(Read::Status(before)), Some(Read::Status(after))) => format!(
                "the ENI read {before:?} right before the request and {after:?} right after it"
            ),
            (Some(Read::Task(state)), _) => {
                format!("by the clock and the task time, the ENI's task was {state}")
            }
            _ => "by the clock and the task time, the ENI's task may have ended while the request was under way".into(),
        }
    }

    /// The ENI's status as `DescribeNetworkInterfaces` lists it, or `gone`; `None` (a failure
    /// reported) when it cannot be read. Not recorded in the snapshot: what it shows is the
    /// target's timing.
    async fn read_status(&mut self, section: Section, send: &Send, eni: &str) -> Option<Read> {
        let request = WireRequest {
            params: vec![
                (
                    "Action".to_string(),
                    "DescribeNetworkInterfaces".to_string(),
                ),
                ("NetworkInterfaceId.1".to_string(), eni.to_string()),
            ],
            format: Format::Json,
            signing: self.profile.signing,
            ..WireRequest::default()
        };
        self.requests += 1;
        let problem = match self.connection.send(&request).await {
            Ok(exchange) if exchange.status == 200 => {
                let listed = match exchange.decoded.get(ENI_LIST) {
                    Some(serde_json::Value::Array(items)) => items.clone(),
                    Some(other) => vec![other.clone()],
                    None => Vec::new(),
                };
                let found = listed.iter().find(|item| {
                    item.get("NetworkInterfaceId")
                        .and_then(|id| id.as_str())
                        .is_some_and(|id| id == eni)
                });
                match found {
                    None => return Some(Read::Status(eni_spec::RACE_GONE.to_string())),
                    Some(item) => match item.get("Status").and_then(|s| s.as_str()) {
                        Some(status) => return Some(Read::Status(status.to_string())),
                        None => "the ENI is listed without a `Status`".to_string(),
                    },
                }
            }
            Ok(exchange) => format!("DescribeNetworkInterfaces answered {}", exchange.status),
            Err(error) => error.to_string(),
        };
        self.failures.push(Failure::new(
            section,
            &send.name,
            FailureKind::Transport,
            format!("race: cannot read the ENI's status: {problem}"),
        ));
        None
    }
}

#[cfg(test)]
mod tests;
