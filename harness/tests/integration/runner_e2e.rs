//! End-to-end properties of the runner: the suite gives the same verdicts and the same snapshots
//! over HTTP (against `serve` on a loopback port) as in-process; a wrong expectation fails with a
//! readable diff, a rerun command, and a curl line that really reproduces the request.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eni_emulator::{Config, SigningMode, World};
use eni_harness::profile::Profile;
use eni_harness::report::console;
use eni_harness::runner::{self, CaseContext, SuiteOptions, SuiteReport, Verdict};
use eni_harness::snapshot::SnapshotMode;
use eni_harness::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};

/// Serves a fresh emulator on 127.0.0.1:0 until the returned sender is dropped or fired.
async fn serve(configure: impl FnOnce(&mut Config)) -> (String, eni_emulator::Spawned) {
    let mut config = Config::new(World::builtin());
    configure(&mut config);
    let server = eni_emulator::spawn(config).await.unwrap();
    (server.url().to_owned(), server)
}

fn http_target(base_url: &str, profile: &Profile) -> Arc<dyn Target> {
    Arc::new(HttpTarget::new(HttpTargetOptions::local_emulator(base_url, profile)).unwrap())
}

async fn suite(target: Arc<dyn Target>, profile: &Arc<Profile>, run_token: &str) -> SuiteReport {
    let cases =
        runner::load_cases(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases")]).unwrap();
    let options = SuiteOptions {
        jobs: 8,
        snapshots: SnapshotMode::Off,
        repro_url: String::new(),
        run_token: run_token.into(),
    };
    runner::run_suite(cases, target, Arc::clone(profile), options, |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_run_gives_the_embedded_verdicts_and_snapshots() {
    let profile = Arc::new(Profile::embedded());
    let embedded = suite(Arc::new(EmbeddedTarget::new(&profile)), &profile, "parity").await;
    let (url, stop) = serve(|config| {
        // Asynchronous states pass at once: polls then need no real sleeping.
        config.timings.set_transitions(Duration::ZERO);
    })
    .await;
    let served = suite(http_target(&url, &profile), &profile, "parity").await;
    stop.stop().await.unwrap();

    assert_eq!(
        embedded.failed(),
        0,
        "{}",
        console::failure_details(&embedded, None)
    );
    assert_eq!(
        served.failed(),
        0,
        "{}",
        console::failure_details(&served, None)
    );
    let mut compared = 0;
    for (inside, over_http) in embedded.outcomes.iter().zip(&served.outcomes) {
        assert_eq!(inside.id, over_http.id);
        match &over_http.verdict {
            // A case skipped in-process for the same reason (one about IPv4 prefixes under the
            // seed contract) is skipped over HTTP too.
            Verdict::Skip(_) if over_http.verdict == inside.verdict => {}
            // Otherwise only cases that race what the profile (no `timing:`) gives no basis for
            // may be skipped over HTTP.
            Verdict::Skip(reason) => assert!(
                reason.contains("states no `timing."),
                "{}: {reason}",
                over_http.id
            ),
            verdict => {
                assert_eq!(verdict, &inside.verdict, "{}", inside.id);
                assert_eq!(
                    inside.snapshot_text, over_http.snapshot_text,
                    "snapshot of {} differs over HTTP",
                    inside.id
                );
                compared += usize::from(inside.snapshot_text.is_some());
            }
        }
    }
    assert!(compared > 100, "only {compared} snapshots compared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_expectation_fails_readably_with_a_working_reproduction() {
    let dir = std::env::temp_dir().join(format!("eni-harness-e2e-{}", std::process::id()));
    let case_file = dir.join("cases").join("wrong-expectation.yaml");
    std::fs::create_dir_all(case_file.parent().unwrap()).unwrap();
    std::fs::write(
        &case_file,
        r#"id: e2e.wrong-expectation
title: Expects a refusal where the contract says success
uses: [running_instance, vswitch]
steps:
  - name: assign
    action: AssignPrivateIpAddresses
    params:
      NetworkInterfaceId: ${running_instance.primary_eni}
      PrivateIpAddress.1: ${vswitch.host(77)}
    expect:
      status: 403
      code: InvalidIp.IpAssigned
"#,
    )
    .unwrap();
    let case_path = case_file.display().to_string();
    let source = std::fs::read_to_string(&case_file).unwrap();
    let case = eni_spec::parse_case(&source, &case_path).unwrap();
    let profile = Arc::new(Profile::embedded());
    let (url, stop) = serve(|config| config.signing = SigningMode::Relaxed).await;
    let context = CaseContext {
        profile: Arc::clone(&profile),
        repro_url: url.clone(),
        run_token: "e2e".into(),
    };
    let outcome = runner::run_case(&case, &EmbeddedTarget::new(&profile), &context).await;
    assert_eq!(outcome.verdict, Verdict::Fail);

    let report = SuiteReport {
        target: "embedded".into(),
        profile: "embedded".into(),
        outcomes: vec![outcome.clone()],
        wall: outcome.duration,
        notes: Vec::new(),
        runner_requests: 0,
    };
    let details = console::failure_details(&report, None);
    assert!(details.contains("steps.assign [expectation]"), "{details}");
    assert!(
        details.contains("status: expected 403, got 200"),
        "{details}"
    );
    assert!(
        details.contains("code: expected `InvalidIp.IpAssigned`")
            || details.contains("code: expected InvalidIp.IpAssigned"),
        "{details}"
    );
    assert!(
        details.contains(&format!("rerun: eni-harness run {case_path}")),
        "{details}"
    );
    assert!(
        !details.contains("testsecret"),
        "a secret leaked: {details}"
    );

    // The curl line resends the very request: run it (its URL) against a relaxed emulator.
    let curl = outcome
        .failures
        .iter()
        .find_map(|failure| failure.curl.clone())
        .expect("a curl line");
    assert!(
        !curl.contains("Signature") && !curl.contains("AccessKeyId"),
        "{curl}"
    );
    let quoted_url = curl.split('\'').nth(1).expect("the URL is quoted");
    assert!(quoted_url.starts_with(&url), "{curl}");
    let answer = reqwest::get(quoted_url).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200, "{curl}");
    let body = answer.text().await.unwrap();
    assert!(body.contains("192.168.0.77"), "{body}");
    stop.stop().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// A case that writes an exact address another ENI of the endpoint already holds cannot run
/// there: it is skipped, saying which address and why, never failed. The same case written with
/// `free(1)` picks an address nobody holds and passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_held_by_a_foreign_eni_skips_a_fixed_case_and_free_avoids_it() {
    let profile = Arc::new(Profile::embedded());
    let (url, stop) = serve(|config| config.timings.set_transitions(Duration::ZERO)).await;
    let target = http_target(&url, &profile);
    // Somebody else's ENI holds 192.168.0.10 (`host(10)`) as its primary address.
    let connection = target
        .connect(&eni_harness::targets::EmulatorKnobs::default())
        .unwrap();
    let params = [
        ("Action", "CreateNetworkInterface"),
        ("VSwitchId", "vsw-bp1main00000000000001"),
        ("SecurityGroupId", "sg-bp1default00000000001"),
        ("PrimaryIpAddress", "192.168.0.10"),
    ];
    let request = eni_harness::wire::WireRequest {
        params: params
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
        format: eni_harness::wire::Format::Json,
        ..eni_harness::wire::WireRequest::default()
    };
    let created = connection.send(&request).await.unwrap();
    assert_eq!(created.status, 200, "{:?}", created.decoded.body);

    let case_with = |address: &str| {
        let source = format!(
            "id: portable.{name}\ntitle: assign one address\nuses: [vswitch, security_group]\n\
             setup:\n  - name: create\n    action: CreateNetworkInterface\n    params:\n      \
             VSwitchId: ${{vswitch.id}}\n      SecurityGroupId: ${{security_group.id}}\n    \
             capture:\n      eni: NetworkInterfaceId\n\
             steps:\n  - name: assign\n    action: AssignPrivateIpAddresses\n    params:\n      \
             NetworkInterfaceId: ${{eni}}\n      PrivateIpAddress.1: ${{vswitch.{address}}}\n    \
             expect:\n      assigned: [\"${{vswitch.{address}}}\"]\n\
             teardown:\n  - name: delete\n    action: DeleteNetworkInterface\n    params:\n      \
             NetworkInterfaceId: ${{eni}}\n",
            name = if address.starts_with("host") {
                "fixed"
            } else {
                "free"
            },
        );
        eni_spec::parse_case(&source, "inline.yaml").unwrap()
    };
    let context = CaseContext {
        profile: Arc::clone(&profile),
        repro_url: url.clone(),
        run_token: "foreign".into(),
    };
    let fixed = runner::run_case(&case_with("host(10)"), target.as_ref(), &context).await;
    match &fixed.verdict {
        Verdict::Skip(reason) => {
            assert!(reason.contains("192.168.0.10"), "{reason}");
            assert!(reason.contains("already holds"), "{reason}");
        }
        other => panic!(
            "expected SKIP, got {other:?}: {}",
            fixed
                .failures
                .iter()
                .map(|failure| failure.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
    // The skipped case still gave back the ENI it had created.
    assert!(fixed.failures.is_empty(), "{:?}", fixed.failures);

    let free = runner::run_case(&case_with("free(1)"), target.as_ref(), &context).await;
    assert_eq!(free.verdict, Verdict::Pass, "{:?}", free.failures);
    stop.stop().await.unwrap();
}

/// A profile may name instances by id alone: their primary ENIs, addresses and VSwitches are
/// read from the endpoint at the start of the run, and the cases that use them run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primaries_left_out_of_the_profile_are_read_from_the_endpoint() {
    let mut bare = Profile::embedded();
    for fixture in bare.fixtures.values_mut() {
        if let eni_harness::profile::Fixture::Instance(instance) = fixture {
            instance.primary_eni = None;
            instance.primary_ip = None;
            instance.vswitch = None;
        }
    }
    let bare = Arc::new(bare);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let paths: Vec<PathBuf> = [
        "describe/primary-eni-of-instance.yaml",
        "assign/running-instance-primary-eni.yaml",
        "assign/row-14-other-eni-primary.yaml",
        "unassign/instance-primary-eni.yaml",
    ]
    .iter()
    .map(|path| root.join(path))
    .collect();
    let cases = runner::load_cases(&paths).unwrap();
    assert_eq!(cases.len(), 4);
    let options = SuiteOptions {
        jobs: 2,
        snapshots: SnapshotMode::Off,
        repro_url: String::new(),
        run_token: "bare".into(),
    };
    let report = runner::run_suite(
        cases,
        Arc::new(EmbeddedTarget::new(&bare)),
        Arc::clone(&bare),
        options,
        |_| {},
    )
    .await;
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(
        report.passed(),
        4,
        "{}",
        console::failure_details(&report, None)
    );
}

/// A create whose outcome the case leaves open captures its ENI only when it succeeds: a refusal
/// leaves the variable unbound and the teardown steps naming it are skipped (nothing to give
/// back), while a success is captured and deleted, so neither way leaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_create_refused_captures_nothing_and_its_teardown_is_skipped() {
    let profile = Arc::new(Profile::embedded());
    let target = EmbeddedTarget::new(&profile);
    let case_with = |vswitch: &str| {
        let source = format!(
            "id: open.create\ntitle: an open create\nuses: [vswitch, security_group]\n\
             steps:\n  - name: create\n    action: CreateNetworkInterface\n    params:\n      \
             VSwitchId: {vswitch}\n      SecurityGroupId: ${{security_group.id}}\n    \
             expect:\n      status: [200, 403, 404]\n    \
             capture:\n      eni: NetworkInterfaceId\n\
             teardown:\n  - name: delete\n    action: DeleteNetworkInterface\n    params:\n      \
             NetworkInterfaceId: ${{eni}}\n"
        );
        eni_spec::parse_case(&source, "inline.yaml").unwrap()
    };
    let context = CaseContext {
        profile: Arc::clone(&profile),
        repro_url: String::new(),
        run_token: "open".into(),
    };
    for vswitch in ["vsw-bp1nosuchvswitch000001", "${vswitch.id}"] {
        let outcome = runner::run_case(&case_with(vswitch), &target, &context).await;
        let messages: Vec<String> = outcome.failures.iter().map(|f| f.message.clone()).collect();
        assert_eq!(outcome.verdict, Verdict::Pass, "{vswitch}: {messages:?}");
    }
}
