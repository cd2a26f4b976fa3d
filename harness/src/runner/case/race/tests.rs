//! Races judged against scripted endpoints: the status an ENI shows before and after the
//! request decides which answer is right, a task's window is read off the connection's clock,
//! and a case racing what the profile gives no basis for is skipped naming the missing key.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::super::{CaseContext, run_case};
use crate::profile::Profile;
use crate::runner::{CaseOutcome, Verdict};
use crate::targets::{BoxFuture, Connection, EmulatorKnobs, Exchange, Target, TransportError};
use crate::wire::{WireRequest, decode_response};

/// A scripted endpoint: `DescribeNetworkInterfaces` answers the next of `statuses` for `eni-a`
/// (the last one once they run out); every other request gets the next of `answers`. Its clock
/// moves `per_request` during every request, and by what a case waits.
struct Endpoint {
    statuses: Mutex<Vec<&'static str>>,
    answers: Mutex<Vec<(u16, serde_json::Value)>>,
    per_request: Duration,
    clock_ms: AtomicU64,
    knobs: bool,
}

struct Shared(Arc<Endpoint>);

impl Target for Shared {
    fn describe(&self) -> String {
        "scripted".into()
    }

    fn is_shared(&self) -> bool {
        false
    }

    fn supports_knobs(&self) -> bool {
        self.0.knobs
    }

    fn connect(&self, _: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>> {
        Ok(Box::new(Shared(Arc::clone(&self.0))))
    }
}

impl Connection for Shared {
    fn send<'a>(
        &'a self,
        request: &'a WireRequest,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        let endpoint = &self.0;
        let action = request
            .params
            .iter()
            .find(|(key, _)| key == "Action")
            .map(|(_, value)| value.as_str());
        let (status, body) = if action == Some("DescribeNetworkInterfaces") {
            let mut statuses = endpoint.statuses.lock().unwrap();
            let status = if statuses.len() > 1 {
                statuses.remove(0)
            } else {
                statuses[0]
            };
            let sets = if status == "gone" {
                serde_json::json!([])
            } else {
                serde_json::json!([{"NetworkInterfaceId": "eni-a", "Status": status}])
            };
            (
                200,
                serde_json::json!({"RequestId": "R", "NetworkInterfaceSets": {"NetworkInterfaceSet": sets}}),
            )
        } else {
            let mut answers = endpoint.answers.lock().unwrap();
            if answers.len() > 1 {
                answers.remove(0)
            } else {
                answers[0].clone()
            }
        };
        endpoint.clock_ms.fetch_add(
            u64::try_from(endpoint.per_request.as_millis()).unwrap(),
            Ordering::SeqCst,
        );
        let text = body.to_string();
        let decoded = decode_response(status, Some("application/json"), text.as_bytes());
        Box::pin(async move {
            Ok(Exchange {
                method: "GET",
                params: request.params.clone(),
                raw_query: None,
                status,
                content_type: Some("application/json".into()),
                body: text.into(),
                decoded,
                elapsed: Duration::ZERO,
            })
        })
    }

    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.0.clock_ms.fetch_add(
            u64::try_from(duration.as_millis()).unwrap(),
            Ordering::SeqCst,
        );
        Box::pin(async {})
    }

    fn clock(&self) -> Duration {
        Duration::from_millis(self.0.clock_ms.load(Ordering::SeqCst))
    }
}

fn assigned() -> (u16, serde_json::Value) {
    (
        200,
        serde_json::json!({"RequestId": "R", "AssignedPrivateIpAddressesSet": {
            "NetworkInterfaceId": "eni-a",
            "PrivateIpSet": {"PrivateIpAddress": ["10.0.0.5"]}}}),
    )
}

fn refused(status: u16, code: &str) -> (u16, serde_json::Value) {
    (
        status,
        serde_json::json!({"RequestId": "R", "Code": code, "Message": "m"}),
    )
}

const STATUS_RACE: &str = "id: race.status
title: t
emulator: { async_delay: 5s }
steps:
  - name: assign
    action: AssignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-a, SecondaryPrivateIpAddressCount: 1 }
    race:
      status_of: eni-a
      when:
        Attaching: { status: 400, code: InvalidOperation.InvalidEniState }
        InUse: { assigned_count: 1 }
";

const TASK_RACE: &str = "id: race.task
title: t
emulator: { task_duration: 5s }
steps:
  - name: first
    action: AssignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-a, SecondaryPrivateIpAddressCount: 1 }
  - name: second
    action: AssignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-a, SecondaryPrivateIpAddressCount: 1 }
    race:
      task_on: eni-a
      when:
        running: { status: 403, code: Operation.Conflict }
        ended: { assigned_count: 1 }
  - wait: tasks
  - name: third
    action: AssignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-a, SecondaryPrivateIpAddressCount: 1 }
";

struct Setup {
    statuses: Vec<&'static str>,
    answers: Vec<(u16, serde_json::Value)>,
    per_request: Duration,
    knobs: bool,
    transition: Option<Duration>,
    task: Option<Duration>,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            statuses: vec!["Attaching"],
            answers: vec![assigned()],
            per_request: Duration::from_millis(10),
            knobs: false,
            transition: Some(Duration::from_secs(2)),
            task: Some(Duration::from_secs(1)),
        }
    }
}

async fn run(case: &str, setup: Setup) -> CaseOutcome {
    let case = eni_spec::parse_case(case, "cases/race.yaml").unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors.iter().map(|e| e.render(case)).collect::<String>()
        )
    });
    let mut profile = Profile::embedded();
    profile.timing.transition = setup.transition;
    profile.timing.task = setup.task;
    let context = CaseContext {
        profile: Arc::new(profile),
        repro_url: String::new(),
        run_token: "test".into(),
    };
    let endpoint = Endpoint {
        statuses: Mutex::new(setup.statuses),
        answers: Mutex::new(setup.answers),
        per_request: setup.per_request,
        clock_ms: AtomicU64::new(1_000_000),
        knobs: setup.knobs,
    };
    run_case(&case, &Shared(Arc::new(endpoint)), &context).await
}

fn messages(outcome: &CaseOutcome) -> String {
    outcome
        .failures
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_answer_must_be_the_one_for_the_status_both_reads_show() {
    let refusal = || refused(400, "InvalidOperation.InvalidEniState");
    for (statuses, answer, passes) in [
        (vec!["Attaching"], refusal(), true),
        (vec!["InUse"], assigned(), true),
        // Success while both reads say Attaching, refusal while both say InUse: never both views.
        (vec!["Attaching"], assigned(), false),
        (vec!["InUse"], refusal(), false),
    ] {
        let setup = Setup {
            statuses: statuses.clone(),
            answers: vec![answer],
            ..Setup::default()
        };
        let outcome = run(STATUS_RACE, setup).await;
        assert_eq!(
            outcome.verdict == Verdict::Pass,
            passes,
            "{statuses:?}: {}",
            messages(&outcome)
        );
        if !passes {
            assert!(
                messages(&outcome).contains("race: the ENI read"),
                "{}",
                messages(&outcome)
            );
        }
    }
}

#[tokio::test]
async fn a_transition_between_the_reads_admits_either_answer() {
    for answer in [assigned(), refused(400, "InvalidOperation.InvalidEniState")] {
        let setup = Setup {
            statuses: vec!["Attaching", "InUse"],
            answers: vec![answer],
            ..Setup::default()
        };
        let outcome = run(STATUS_RACE, setup).await;
        assert_eq!(outcome.verdict, Verdict::Pass, "{}", messages(&outcome));
    }
    // Either, but not anything: a third answer fails, naming both states.
    let setup = Setup {
        statuses: vec!["Attaching", "InUse"],
        answers: vec![refused(403, "Operation.Conflict")],
        ..Setup::default()
    };
    let outcome = run(STATUS_RACE, setup).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert!(
        messages(&outcome).contains("Attaching or InUse"),
        "{}",
        messages(&outcome)
    );
}

#[tokio::test]
async fn a_status_the_race_has_no_answer_for_fails() {
    let setup = Setup {
        statuses: vec!["Available"],
        ..Setup::default()
    };
    let outcome = run(STATUS_RACE, setup).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert!(
        messages(&outcome).contains("no answer for"),
        "{}",
        messages(&outcome)
    );
}

#[tokio::test]
async fn where_the_knobs_are_honoured_the_race_must_resolve_to_its_first_state() {
    let setup = Setup {
        statuses: vec!["Attaching", "InUse"],
        knobs: true,
        transition: None,
        ..Setup::default()
    };
    let outcome = run(STATUS_RACE, setup).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert!(
        messages(&outcome).contains("clock stood still"),
        "{}",
        messages(&outcome)
    );
}

#[tokio::test]
async fn without_a_basis_in_the_profile_the_case_is_skipped_naming_the_key() {
    let setup = Setup {
        transition: None,
        ..Setup::default()
    };
    let outcome = run(STATUS_RACE, setup).await;
    assert!(
        matches!(&outcome.verdict, Verdict::Skip(reason) if reason.contains("`timing.transition`")),
        "{:?}",
        outcome.verdict
    );
    for (task, key) in [
        (None, "no `timing.task`"),
        (Some(Duration::ZERO), "`timing.task: 0s`"),
    ] {
        let setup = Setup {
            task,
            ..Setup::default()
        };
        let outcome = run(TASK_RACE, setup).await;
        assert!(
            matches!(&outcome.verdict, Verdict::Skip(reason) if reason.contains(key)),
            "{:?}",
            outcome.verdict
        );
    }
}

#[tokio::test]
async fn a_request_answered_within_the_task_time_must_conflict() {
    let conflict = || refused(403, "Operation.Conflict");
    // 10ms a request, a 1s task: the second assign surely meets the first one's task, and the
    // third, after `wait: tasks`, surely does not.
    let good = Setup {
        answers: vec![assigned(), conflict(), assigned()],
        ..Setup::default()
    };
    let outcome = run(TASK_RACE, good).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{}", messages(&outcome));
    let no_conflict = Setup {
        answers: vec![assigned(), assigned(), assigned()],
        ..Setup::default()
    };
    let outcome = run(TASK_RACE, no_conflict).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert!(
        messages(&outcome).contains("task was running"),
        "{}",
        messages(&outcome)
    );
    let conflict_after_the_wait = Setup {
        answers: vec![assigned(), conflict(), conflict()],
        ..Setup::default()
    };
    let outcome = run(TASK_RACE, conflict_after_the_wait).await;
    assert_eq!(outcome.verdict, Verdict::Fail, "{}", messages(&outcome));
}

#[tokio::test]
async fn a_request_that_may_have_outlived_the_task_admits_either_answer() {
    // 600ms a request, a 1s task: the second assign was sent 600ms after the first was
    // answered and answered 1.2s after it was sent, so the task may have ended meanwhile.
    for second in [assigned(), refused(403, "Operation.Conflict")] {
        let setup = Setup {
            answers: vec![assigned(), second, assigned()],
            per_request: Duration::from_millis(600),
            ..Setup::default()
        };
        let outcome = run(TASK_RACE, setup).await;
        assert_eq!(outcome.verdict, Verdict::Pass, "{}", messages(&outcome));
    }
}
