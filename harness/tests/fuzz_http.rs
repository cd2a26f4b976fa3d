//! The sequence fuzzer against the emulator served on a loopback port, as against any endpoint:
//! with the lanes world it runs one sequence stream per lane at once, finds nothing on the clean
//! emulator and gives back everything it took; with a planted allocation bug it finds it over
//! HTTP, shrinks it and writes a case that fails on the endpoint and passes on a clean emulator.
//! Bounded by runs and time, not timed.

use std::sync::Arc;
use std::time::Duration;

use eni_emulator::{Config, Defect, Emulator, World};
use eni_harness::fuzz::fixtures::Fixtures;
use eni_harness::fuzz::{
    self, Env, FuzzOptions, FuzzReport, Kind, ShrinkBudget, TargetSpec, Verify,
};
use eni_harness::profile::{LANES_WORLD, Profile};
use eni_harness::target::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};

/// Serves the lanes world on 127.0.0.1:0 with instant transitions; returns the emulator (to
/// inspect afterwards), its URL and the switch that stops it.
async fn serve_lanes(defects: Vec<Defect>) -> (Emulator, String, tokio::sync::oneshot::Sender<()>) {
    let world = World::from_yaml(LANES_WORLD, "worlds/lanes.yaml").unwrap();
    let mut config = Config::new(world);
    config.timings.set_transitions(Duration::ZERO);
    config.defects = defects;
    let emulator = Emulator::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(eni_emulator::serve(listener, emulator.clone(), async {
        let _ = stopped.await;
    }));
    (emulator, url, stop)
}

fn http_target(url: &str, profile: &Profile) -> Arc<HttpTarget> {
    Arc::new(
        HttpTarget::new(HttpTargetOptions {
            request_timeout: Duration::from_secs(10),
            ..HttpTargetOptions::local_emulator(url, profile)
        })
        .unwrap(),
    )
}

async fn fuzz_served(
    url: &str,
    profile: &Arc<Profile>,
    runs: u64,
    verify: Option<Verify>,
    out: Option<std::path::PathBuf>,
) -> FuzzReport {
    let target = http_target(url, profile);
    let spec = TargetSpec::Http {
        target,
        signing: profile.signing,
    };
    let env = Arc::new(Env::new(Arc::clone(profile), spec, Duration::ZERO).unwrap());
    let options = FuzzOptions {
        seed: 7,
        runs: Some(runs),
        time: Some(Duration::from_secs(60)),
        jobs: 8,
        concurrency: false,
        out,
        shrink: ShrinkBudget {
            attempts: 300,
            time: Duration::from_secs(10),
        },
        live: false,
        verify,
        ..FuzzOptions::default()
    };
    fuzz::fuzz(env, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lanes_run_at_once_without_false_findings_and_give_back_what_they_took() {
    let (emulator, url, stop) = serve_lanes(Vec::new()).await;
    let profile = Arc::new(Profile::lanes());
    let report = fuzz_served(&url, &profile, 64, None, None).await;
    let _ = stop.send(());

    assert_eq!(report.streams, 4, "one stream per lane");
    assert_eq!(report.sequences, 64);
    assert!(report.findings.is_empty(), "{}", report.summary());
    assert!(!report.is_vacuous(), "{}", report.summary());
    assert_eq!(report.unknown_outcomes, 0, "{}", report.summary());

    // Every ENI a sequence created is deleted again, and every address it added to an
    // instance's primary ENI is given back.
    emulator.check_invariants().unwrap();
    let world = World::from_yaml(LANES_WORLD, "worlds/lanes.yaml").unwrap();
    let left: Vec<String> = emulator
        .network_interfaces()
        .into_iter()
        .filter(|eni| {
            !world.instances.iter().any(|i| i.primary_eni.id == eni.id)
                || !eni.secondary_ips.is_empty()
        })
        .map(|eni| format!("{} {:?} {:?}", eni.id, eni.status, eni.secondary_ips))
        .collect();
    assert!(left.is_empty(), "left behind on the endpoint: {left:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_up_frees_an_attached_eni_holding_more_than_an_available_one_may() {
    use eni_harness::fuzz::ops::{
        AssignShape, CountPick, CreateSecondaries, EniPick, Op, TokenPick,
    };
    let (emulator, url, stop) = serve_lanes(Vec::new()).await;
    let profile = Arc::new(Profile::lanes());
    let spec = TargetSpec::Http {
        target: http_target(&url, &profile),
        signing: profile.signing,
    };
    let env = Env::new(Arc::clone(&profile), spec, Duration::ZERO).unwrap();
    let lane = env.lanes().remove(1);
    // The instance type that allows 15 secondaries while attached (10 while Available): a
    // detach is refused until the ENI gives some back.
    let xlarge = lane
        .fixtures
        .instances
        .iter()
        .position(|i| i.instance_type == "ecs.g7.xlarge")
        .unwrap() as u8;
    // Three assigns of four addresses (`Small(3)` is a count of 4): 12 secondaries.
    let assign = Op::Assign {
        eni: EniPick::Created(0),
        shape: AssignShape::Count(CountPick::Small(3)),
        token: TokenPick::None,
    };
    let ops = [
        Op::Create {
            vswitch: 0,
            primary: None,
            secondaries: CreateSecondaries::None,
            token: TokenPick::None,
        },
        Op::Attach {
            eni: EniPick::Created(0),
            instance: xlarge,
        },
        assign.clone(),
        assign.clone(),
        assign,
    ];
    let result = fuzz::execute(&lane, &ops, None, &fuzz::Limits::default()).await;
    assert!(result.findings.is_empty(), "{:#?}", result.findings);
    assert_eq!(
        result.mutating_ok, 5,
        "create, attach and the assigns succeed"
    );
    // A sequence gives back without waiting; what a transition still holds is given back by
    // the next sequence, or by the clean-up that ends the run and proving, which reads it back.
    let restored = lane.make_clean(None).await;
    let _ = stop.send(());
    assert!(restored.is_clean(), "{restored:?}");
    let world = World::from_yaml(LANES_WORLD, "worlds/lanes.yaml").unwrap();
    let created: Vec<String> = emulator
        .network_interfaces()
        .into_iter()
        .filter(|eni| !world.instances.iter().any(|i| i.primary_eni.id == eni.id))
        .map(|eni| format!("{} {:?} {:?}", eni.id, eni.status, eni.secondary_ips))
        .collect();
    assert!(created.is_empty(), "left behind: {created:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_duplicate_is_found_over_http_and_written_as_a_case_that_reproduces() {
    let defect = Defect::DuplicateAcrossEnis;
    let (_emulator, url, stop) = serve_lanes(vec![defect]).await;
    let profile = Arc::new(Profile::lanes());
    let world = Fixtures::from_profile(&profile).unwrap().reference_world();
    let verify = Verify {
        clean: Arc::new(EmbeddedTarget::with_world(&profile, world)),
        failing: http_target(&url, &profile) as Arc<dyn Target>,
        profile: Arc::clone(&profile),
    };
    let out = std::env::temp_dir().join(format!("eni-harness-fuzz-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let report = fuzz_served(&url, &profile, 24, Some(verify), Some(out.clone())).await;
    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(&out);

    let found = report.reproduced(Kind::is_double_allocation, 5);
    assert!(
        found.is_some_and(|found| found.case.is_some()),
        "no allocation finding shrunk to <= 5 steps and verified:\n{}",
        report.summary()
    );
}
