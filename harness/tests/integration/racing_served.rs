//! The cases about transitions and tasks over HTTP, where no knob sets the emulator's timing:
//! against `serve`'s defaults (2s transitions, no task window) with `profiles/served.yaml`, the
//! transition cases run by racing and pass, and the task cases are skipped because the profile
//! states `timing.task: 0s`; against a served emulator whose tasks last 1s, with a profile saying
//! so, the task cases run and pass too; with no `timing` at all, every one of them is skipped
//! naming the missing key.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eni_emulator::{Config, Defect, World};
use eni_harness::profile::{Profile, Timing};
use eni_harness::report::console;
use eni_harness::runner::{self, LoadedCase, SuiteOptions, SuiteReport, Verdict};
use eni_harness::snapshot::SnapshotMode;
use eni_harness::targets::{HttpTarget, HttpTargetOptions, Target};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Serves a fresh emulator with `serve`'s default timing but `task`, and `defects`, on
/// 127.0.0.1:0.
async fn serve(task: Duration, defects: Vec<Defect>) -> (String, eni_emulator::Spawned) {
    let mut config = Config::new(World::builtin());
    // `eni-harness serve`'s defaults: `--async-delay 2s`.
    config.timings.set_transitions(Duration::from_secs(2));
    config.timings.task = task;
    config.defects = defects;
    let server = eni_emulator::spawn(config).await.unwrap();
    (server.url().to_owned(), server)
}

/// The cases that set emulator knobs: the ones a target without knobs must race.
fn knob_cases() -> Vec<LoadedCase> {
    let cases = runner::load_cases(&[root().join("cases")]).unwrap();
    let knobbed: Vec<LoadedCase> = cases
        .into_iter()
        .filter(|loaded| !runner::case::knobs_of(&loaded.case).is_empty())
        .collect();
    assert!(knobbed.len() >= 10, "only {} knob cases", knobbed.len());
    knobbed
}

fn races_tasks(loaded: &LoadedCase) -> bool {
    loaded.case.emulator.task_duration.is_some()
}

async fn suite(cases: Vec<LoadedCase>, url: &str, profile: Profile) -> SuiteReport {
    let profile = Arc::new(profile);
    let target: Arc<dyn Target> =
        Arc::new(HttpTarget::new(HttpTargetOptions::local_emulator(url, &profile)).unwrap());
    let options = SuiteOptions {
        jobs: 8,
        // The profile names no recordings of its own: compared by the contract view, where a
        // raced answer is open.
        snapshots: SnapshotMode::Check,
        repro_url: String::new(),
        run_token: "racing".into(),
    };
    runner::run_suite(cases, target, profile, options, |_| {}).await
}

fn served_profile() -> Profile {
    Profile::load(&root().join("profiles/served.yaml")).unwrap()
}

#[test]
fn the_served_profile_is_the_embedded_one_with_serves_timing() {
    let served = served_profile();
    let embedded = Profile::load(&root().join("profiles/embedded.yaml")).unwrap();
    assert_eq!(served.fixtures, embedded.fixtures);
    assert_eq!(served.contract.name, embedded.contract.name);
    assert!(served.reference_emulator);
    assert_eq!(
        served.timing,
        Timing {
            transition: Some(Duration::from_secs(2)),
            task: Some(Duration::ZERO),
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knob_cases_race_over_http_where_the_profile_states_timing() {
    let (defaults_url, stop_defaults) = serve(Duration::ZERO, Vec::new()).await;
    let (tasks_url, stop_tasks) = serve(Duration::from_secs(1), Vec::new()).await;
    // Conflicts answered 400 instead of 403: the raced cases must notice over HTTP too.
    let (broken_url, stop_broken) =
        serve(Duration::from_secs(1), vec![Defect::WrongHttpStatus]).await;
    let mut with_tasks = served_profile();
    with_tasks.timing.task = Some(Duration::from_secs(1));
    let task_cases =
        || -> Vec<LoadedCase> { knob_cases().into_iter().filter(races_tasks).collect() };
    let (defaults, tasks, broken) = tokio::join!(
        suite(knob_cases(), &defaults_url, served_profile()),
        suite(task_cases(), &tasks_url, with_tasks.clone()),
        suite(task_cases(), &broken_url, with_tasks),
    );
    for server in [stop_defaults, stop_tasks, stop_broken] {
        server.stop().await.unwrap();
    }

    assert_eq!(
        defaults.failed(),
        0,
        "{}",
        console::failure_details(&defaults, None)
    );
    assert_eq!(
        tasks.failed(),
        0,
        "{}",
        console::failure_details(&tasks, None)
    );
    let cases = knob_cases();
    for (loaded, outcome) in cases.iter().zip(&defaults.outcomes) {
        assert_eq!(loaded.case.id, outcome.id);
        if races_tasks(loaded) {
            assert!(
                matches!(&outcome.verdict, Verdict::Skip(reason) if reason.contains("`timing.task: 0s`")),
                "{}: {:?}",
                outcome.id,
                outcome.verdict
            );
        } else {
            assert_eq!(outcome.verdict, Verdict::Pass, "{}", outcome.id);
        }
    }
    assert!(
        tasks.outcomes.len() >= 5,
        "only {} task cases",
        tasks.outcomes.len()
    );
    for outcome in &tasks.outcomes {
        assert_eq!(outcome.verdict, Verdict::Pass, "{}", outcome.id);
    }
    let caught: Vec<&str> = broken
        .outcomes
        .iter()
        .filter(|outcome| outcome.verdict == Verdict::Fail)
        .map(|outcome| outcome.id.as_str())
        .collect();
    assert!(
        caught.contains(&"assign.rows.task-conflict") && caught.len() >= 4,
        "the planted wrong status was caught only by {caught:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_timing_knob_cases_are_skipped_naming_the_missing_key() {
    let (url, stop) = serve(Duration::ZERO, Vec::new()).await;
    let mut profile = served_profile();
    profile.timing = Timing::default();
    let report = suite(knob_cases(), &url, profile).await;
    stop.stop().await.unwrap();
    assert_eq!(report.outcomes.len(), knob_cases().len());
    for (loaded, outcome) in knob_cases().iter().zip(&report.outcomes) {
        let key = if loaded.case.emulator.async_delay.is_some() {
            "no `timing.transition`"
        } else {
            "no `timing.task`"
        };
        assert!(
            matches!(&outcome.verdict, Verdict::Skip(reason) if reason.contains(key)),
            "{}: {:?}",
            outcome.id,
            outcome.verdict
        );
        assert_eq!(outcome.requests, 0, "{} sent requests", outcome.id);
    }
}

/// Cases that are not about conflicts, against an endpoint whose assigns run as 1 s tasks (a
/// correct endpoint: a second request on a busy ENI is `Operation.Conflict`): with the window
/// stated, the runner lets each ENI's task end before the case's next mutating request on it, so
/// these cases pass there as anywhere; nothing but the task cases themselves meets a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_not_about_tasks_pass_against_an_endpoint_with_a_task_window() {
    let (url, stop) = serve(Duration::from_secs(1), Vec::new()).await;
    let mut profile = served_profile();
    profile.timing.task = Some(Duration::from_secs(1));
    let folders = ["cases/unassign", "cases/assign"];
    let mut cases = Vec::new();
    for folder in folders {
        cases.extend(runner::load_cases(&[root().join(folder)]).unwrap());
    }
    // Back-to-back assigns and unassigns, none of them about tasks.
    let sequential: Vec<LoadedCase> = cases
        .into_iter()
        .filter(|loaded| !races_tasks(loaded))
        .filter(|loaded| {
            loaded
                .case
                .sends()
                .filter(|send| {
                    matches!(
                        send.action.as_deref(),
                        Some("AssignPrivateIpAddresses" | "UnassignPrivateIpAddresses")
                    )
                })
                .count()
                >= 2
        })
        .collect();
    assert!(sequential.len() >= 5, "only {} cases", sequential.len());
    let report = suite(sequential, &url, profile).await;
    stop.stop().await.unwrap();
    assert_eq!(
        report.failed(),
        0,
        "{}",
        console::failure_details(&report, None)
    );
    assert!(report.outcomes.iter().all(|o| o.verdict == Verdict::Pass));
}
