//! How the runner schedules cases on a shared target (an emulator served on a loopback port):
//! cases on different lanes run at once, cases on one fixture take turns, a case marked
//! `exclusive` waits for the ENIs earlier cases deleted from its VSwitch, and a case reads the
//! state once between two mutating steps.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eni_emulator::{Config, World};
use eni_harness::profile::{LANES_WORLD, Profile};
use eni_harness::runner::{self, CaseContext, LoadedCase, SuiteOptions, SuiteReport, Verdict};
use eni_harness::snapshot::SnapshotMode;
use eni_harness::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};

/// Serves `world` on 127.0.0.1:0, transitions taking `transitions`, until the sender fires.
async fn serve(world: World, transitions: Duration) -> (String, eni_emulator::Spawned) {
    let mut config = Config::new(world);
    config.timings.set_transitions(transitions);
    let server = eni_emulator::spawn(config).await.unwrap();
    (server.url().to_owned(), server)
}

fn loaded(text: &str) -> LoadedCase {
    let case = eni_spec::parse_case(text, "t.yaml").unwrap();
    LoadedCase {
        path: PathBuf::from(format!("{}.yaml", case.id)),
        case,
    }
}

/// A case that creates an ENI in `vswitch`, waits `pause`, and deletes it.
fn create_wait_delete(id: &str, vswitch: &str, extra: &str, pause: &str) -> LoadedCase {
    loaded(&format!(
        "id: {id}\ntitle: t\nuses: [{vswitch}, security_group]\n{extra}snapshot: false\nsetup:\n  - name: create\n    action: CreateNetworkInterface\n    params: {{ VSwitchId: \"${{{vswitch}.id}}\", SecurityGroupId: \"${{security_group.id}}\" }}\n    capture: {{ eni: NetworkInterfaceId }}\nsteps:\n  - wait: {pause}\nteardown:\n  - name: delete\n    action: DeleteNetworkInterface\n    params: {{ NetworkInterfaceId: \"${{eni}}\" }}\n"
    ))
}

/// Runs the cases, returning the report and each case's interval (from its start to its end).
async fn run(
    cases: Vec<LoadedCase>,
    url: &str,
    profile: Profile,
) -> (SuiteReport, Vec<(String, Instant, Instant)>) {
    let profile = Arc::new(profile);
    let target: Arc<dyn Target> =
        Arc::new(HttpTarget::new(HttpTargetOptions::local_emulator(url, &profile)).unwrap());
    let intervals = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&intervals);
    let options = SuiteOptions {
        jobs: 8,
        snapshots: SnapshotMode::Off,
        repro_url: String::new(),
        run_token: "lanes".into(),
    };
    let report = runner::run_suite(cases, target, profile, options, move |outcome| {
        let end = Instant::now();
        seen.lock()
            .unwrap()
            .push((outcome.id.clone(), end - outcome.duration, end));
    })
    .await;
    let intervals = intervals.lock().unwrap().clone();
    (report, intervals)
}

fn overlap(a: &(String, Instant, Instant), b: &(String, Instant, Instant)) -> bool {
    a.1 < b.2 && b.1 < a.2
}

fn interval<'i>(
    intervals: &'i [(String, Instant, Instant)],
    id: &str,
) -> &'i (String, Instant, Instant) {
    intervals.iter().find(|(case, _, _)| case == id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_on_one_vswitch_run_at_once_on_different_lanes() {
    let world = World::from_yaml(LANES_WORLD, "lanes.yaml").unwrap();
    let (url, stop) = serve(world, Duration::ZERO).await;
    let cases: Vec<LoadedCase> = (1..=4)
        .map(|n| create_wait_delete(&format!("lane.{n}"), "vswitch", "", "300ms"))
        .collect();
    let (report, intervals) = run(cases, &url, Profile::lanes()).await;
    stop.stop().await.unwrap();
    assert_eq!(report.failed(), 0, "{:?}", report.outcomes);
    assert_eq!(report.passed(), 4);
    // All four use `vswitch`; on one lane they would take turns. Four lanes: all at once.
    for a in &intervals {
        for b in &intervals {
            assert!(
                a.0 == b.0 || overlap(a, b),
                "{} and {} took turns",
                a.0,
                b.0
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_on_one_fixture_take_turns_and_an_exclusive_one_waits_for_deletions() {
    // Deleting takes 400 ms; the profile says so.
    let (url, stop) = serve(World::builtin(), Duration::from_millis(400)).await;
    let mut profile = Profile::embedded();
    profile.timing.transition = Some(Duration::from_millis(400));
    // The /29 has four usable addresses. Three cases each leave one ENI Deleting; the exclusive
    // case needs the first usable address free and all four counted free: without its wait it
    // would find the deleted ENIs still holding addresses.
    let mut cases: Vec<LoadedCase> = (1..=3)
        .map(|n| create_wait_delete(&format!("plain.{n}"), "small_vswitch", "", "50ms"))
        .collect();
    cases.push(loaded(
        "id: exclusive\ntitle: t\nuses: [small_vswitch, security_group]\nexclusive: [small_vswitch]\nsnapshot: false\nsetup:\n  - name: create\n    action: CreateNetworkInterface\n    params: { VSwitchId: \"${small_vswitch.id}\", SecurityGroupId: \"${security_group.id}\", PrimaryIpAddress: \"${small_vswitch.first_usable}\", SecondaryPrivateIpAddressCount: \"${small_vswitch.free_count-1}\" }\n    capture: { eni: NetworkInterfaceId }\nsteps:\n  - action: DescribeNetworkInterfaces\n    params: { VSwitchId: \"${small_vswitch.id}\" }\n    expect:\n      count: { path: NetworkInterfaceSets.NetworkInterfaceSet, equals: 1 }\n  - action: DescribeNetworkInterfaceAttribute\n    params: { NetworkInterfaceId: \"${eni}\" }\n    expect:\n      count: { path: PrivateIpSets.PrivateIpSet, equals: 4 }\nteardown:\n  - name: delete\n    action: DeleteNetworkInterface\n    params: { NetworkInterfaceId: \"${eni}\" }\n",
    ));
    let (report, intervals) = run(cases, &url, profile).await;
    stop.stop().await.unwrap();
    assert!(
        report.outcomes.iter().all(|o| o.verdict == Verdict::Pass),
        "{:#?}",
        report.outcomes
    );
    // One lane, one fixture: no two of them ran at once.
    for a in &intervals {
        for b in &intervals {
            assert!(
                a.0 == b.0 || !overlap(a, b),
                "{} and {} overlapped",
                a.0,
                b.0
            );
        }
    }
    // The exclusive case looked for Deleting ENIs (and found some) before it started.
    assert!(report.runner_requests >= 2, "{}", report.runner_requests);
    let last_plain = interval(&intervals, "plain.3");
    let exclusive = interval(&intervals, "exclusive");
    assert!(exclusive.1 >= last_plain.2);
}

#[tokio::test]
async fn one_state_read_between_two_mutating_steps() {
    let profile = Arc::new(Profile::embedded());
    let case = loaded(
        "id: reads\ntitle: t\nuses: [vswitch, security_group]\nsnapshot: false\nsetup:\n  - name: create\n    action: CreateNetworkInterface\n    params: { VSwitchId: \"${vswitch.id}\", SecurityGroupId: \"${security_group.id}\" }\n    capture: { eni: NetworkInterfaceId }\nsteps:\n  - name: assign\n    action: AssignPrivateIpAddresses\n    params: { NetworkInterfaceId: \"${eni}\", PrivateIpAddress.1: \"${vswitch.free(1)}\" }\n  - name: unassign\n    action: UnassignPrivateIpAddresses\n    params: { NetworkInterfaceId: \"${eni}\", PrivateIpAddress.1: \"${vswitch.free(1)}\" }\nteardown:\n  - name: delete\n    action: DeleteNetworkInterface\n    params: { NetworkInterfaceId: \"${eni}\" }\n",
    );
    let context = CaseContext {
        profile: Arc::clone(&profile),
        repro_url: String::new(),
        run_token: "reads".into(),
    };
    let outcome = runner::run_case(&case.case, &EmbeddedTarget::new(&profile), &context).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", outcome.failures);
    // Four mutating requests; the state read once before the first and once after each (the
    // read after one is the read before the next); one read for the leak check. Reading
    // before and after every step would be 4 + 8 + 1.
    assert_eq!(outcome.requests, 4 + 1 + 4 + 1);
}
