//! Snapshots that mean something on any target: against an endpoint with no recording of its
//! own, a case's exchanges are compared with the reference recording by their contract view
//! only (another endpoint's ids, allocation and extra fields are information, never a failure);
//! against a profile with its own recordings, `--snapshots update` then `check` is a full
//! regression review of that endpoint.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use eni_emulator::{Allocation, Config, World};
use eni_harness::profile::Profile;
use eni_harness::report::console;
use eni_harness::runner::{self, FailureKind, SuiteOptions, SuiteReport};
use eni_harness::snapshot::{SnapshotMode, SnapshotOutcome};
use eni_harness::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eni-harness-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Serves a reference emulator that chooses otherwise (random allocation, other ids) on
/// 127.0.0.1:0 until the returned sender fires.
async fn serve_foreign() -> (String, eni_emulator::Spawned) {
    let mut config = Config::new(World::builtin());
    config.allocation = Allocation::Seeded(17);
    config.seed = 4242;
    config.timings.set_transitions(Duration::ZERO);
    let server = eni_emulator::spawn(config).await.unwrap();
    (server.url().to_owned(), server)
}

/// Codes whose message the contract quotes: the rewording proxy leaves those alone.
const QUOTED: &[&str] = &[
    "InvalidOperation.InvalidEniState",
    "Operation.Conflict",
    "InvalidVSwitchId.IpInvalid",
    "InvalidVSwitchId.IpNotEnough",
    "InvalidIp.IpUnassigned",
    "SignatureDoesNotMatch",
];

/// What another correct endpoint may answer where the contract decides nothing: fields the
/// reference does not return, its own wording around a message, its own list order.
fn as_another_endpoint_answers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key("NetworkInterfaceId") && map.contains_key("Status") {
                map.insert("CreationTime".into(), "2026-01-02T03:04:05Z".into());
                map.insert(
                    "AssociatedPublicIp".into(),
                    serde_json::json!({ "PublicIpAddress": "" }),
                );
            }
            let quoted = map
                .get("Code")
                .and_then(|code| code.as_str())
                .is_some_and(|code| QUOTED.contains(&code));
            if let Some(serde_json::Value::String(message)) = map.get_mut("Message")
                && !quoted
            {
                *message = format!("This endpoint refuses the request: {message}");
            }
            map.values_mut().for_each(as_another_endpoint_answers);
        }
        serde_json::Value::Array(items) => {
            // The primary stays first in an ENI's address list: the cases read it there.
            let primary_first = items
                .first()
                .is_some_and(|item| item.get("Primary").is_some());
            let start = usize::from(primary_first);
            items[start..].reverse();
            items.iter_mut().for_each(as_another_endpoint_answers);
        }
        _ => {}
    }
}

/// A loopback proxy in front of `upstream` that answers as another endpoint would (JSON
/// answers rewritten by [`as_another_endpoint_answers`]).
async fn serve_rewording_proxy(upstream: String) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let client = client.clone();
        let upstream = upstream.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let query = parts
                .uri
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let mut forward = client.request(parts.method.clone(), format!("{upstream}{query}"));
            for (name, value) in &parts.headers {
                if name != http::header::CONTENT_LENGTH {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body).send().await.unwrap();
            let status = answer.status();
            let content_type = answer.headers().get(http::header::CONTENT_TYPE).cloned();
            let bytes = answer.bytes().await.unwrap();
            let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(mut value) => {
                    as_another_endpoint_answers(&mut value);
                    serde_json::to_vec(&value).unwrap().into()
                }
                Err(_) => bytes,
            };
            let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
            *response.status_mut() = status;
            if let Some(content_type) = content_type {
                response
                    .headers_mut()
                    .insert(http::header::CONTENT_TYPE, content_type);
            }
            response
        }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    (format!("http://{addr}/"), stop)
}

async fn run(
    paths: &[PathBuf],
    target: Arc<dyn Target>,
    profile: Profile,
    mode: SnapshotMode,
) -> SuiteReport {
    let cases = runner::load_cases(paths).unwrap();
    let options = SuiteOptions {
        jobs: 4,
        snapshots: mode,
        repro_url: "http://127.0.0.1:8080/".into(),
        run_token: "portable".into(),
    };
    runner::run_suite(cases, target, Arc::new(profile), options, |_| {}).await
}

/// A foreign profile: the built-in fixtures, not the reference emulator, no recordings.
fn foreign_profile() -> Profile {
    let mut profile = Profile::embedded();
    profile.reference_emulator = false;
    profile.snapshots = None;
    profile
}

fn snapshot_failures(report: &SuiteReport) -> Vec<&str> {
    report
        .outcomes
        .iter()
        .filter(|outcome| {
            outcome
                .failures
                .iter()
                .any(|failure| failure.kind == FailureKind::Snapshot)
        })
        .map(|outcome| outcome.id.as_str())
        .collect()
}

fn pending_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.to_string_lossy().ends_with(".snap.new") {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_endpoint_passes_the_reference_snapshots_by_their_contract_view() {
    let (upstream, stop_upstream) = serve_foreign().await;
    let (url, stop) = serve_rewording_proxy(upstream).await;
    let profile = foreign_profile();
    let target: Arc<dyn Target> =
        Arc::new(HttpTarget::new(HttpTargetOptions::local_emulator(&url, &profile)).unwrap());
    let report = run(
        &[root().join("cases")],
        target,
        profile,
        SnapshotMode::Check,
    )
    .await;
    let _ = stop.send(());
    stop_upstream.stop().await.unwrap();
    assert_eq!(
        report.failed(),
        0,
        "{}",
        console::failure_details(&report, None)
    );
    let informed = report
        .outcomes
        .iter()
        .filter(|outcome| {
            matches!(
                &outcome.snapshot,
                SnapshotOutcome::ContractMatched {
                    information: Some(_),
                    ..
                }
            )
        })
        .count();
    // Its full exchanges differ from the reference's (other ids, other addresses): shown, not
    // failed.
    assert!(
        informed > 100,
        "only {informed} cases compared by their contract view with differences shown"
    );
    assert!(
        !report
            .outcomes
            .iter()
            .any(|outcome| matches!(outcome.snapshot, SnapshotOutcome::Matched)),
        "no case was compared in full: the target has no recordings of its own"
    );
    let information = runner::snapshot_information(&report, 0);
    assert!(
        information.contains("info assign.by-address.one: ")
            && information.contains("cases compared with the reference recordings"),
        "{information}"
    );
    let pending = pending_files(&root().join("snapshots"));
    assert!(
        pending.is_empty(),
        "proposals over the reference: {pending:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_endpoints_own_recordings_compare_in_full_and_fail_on_the_reference_ones() {
    // Give the foreign endpoint a copy of the reference recordings as its own: compared in
    // full, its other ids and addresses fail, which the contract view does not.
    let own = scratch("foreign-own");
    let cases = [
        "assign/by-count-several",
        "assign/by-address-one",
        "describe/agrees-with-assign",
    ];
    for case in cases {
        let to = own.join(format!("{case}.snap"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(format!("snapshots/{case}.snap")), &to).unwrap();
    }
    let paths: Vec<PathBuf> = cases
        .iter()
        .map(|case| root().join(format!("cases/{case}.yaml")))
        .collect();
    let (upstream, stop_upstream) = serve_foreign().await;
    let (url, stop) = serve_rewording_proxy(upstream).await;
    let mut profile = foreign_profile();
    profile.snapshots = Some(own.clone());
    let target: Arc<dyn Target> =
        Arc::new(HttpTarget::new(HttpTargetOptions::local_emulator(&url, &profile)).unwrap());
    let full = run(
        &paths,
        Arc::clone(&target),
        profile.clone(),
        SnapshotMode::Check,
    )
    .await;
    assert_eq!(
        snapshot_failures(&full).len(),
        cases.len(),
        "{}",
        console::failure_details(&full, None)
    );
    assert_eq!(
        pending_files(&own).len(),
        cases.len(),
        "proposals for its own recordings"
    );
    // Recorded as its own, the next check matches in full.
    let update = run(
        &paths,
        Arc::clone(&target),
        profile.clone(),
        SnapshotMode::Update,
    )
    .await;
    assert_eq!(
        update.failed(),
        0,
        "{}",
        console::failure_details(&update, None)
    );
    let check = run(&paths, target, profile, SnapshotMode::Check).await;
    let _ = stop.send(());
    stop_upstream.stop().await.unwrap();
    assert_eq!(
        check.failed(),
        0,
        "{}",
        console::failure_details(&check, None)
    );
    assert!(
        check
            .outcomes
            .iter()
            .all(|outcome| outcome.snapshot == SnapshotOutcome::Matched),
        "{:?}",
        check
            .outcomes
            .iter()
            .map(|o| &o.snapshot)
            .collect::<Vec<_>>()
    );
    std::fs::remove_dir_all(own).unwrap();
}

#[tokio::test]
async fn own_recordings_round_trip_and_a_change_fails_the_full_comparison() {
    let own = scratch("own-recordings");
    let mut profile = Profile::embedded();
    profile.snapshots = Some(own.clone());
    let target: Arc<dyn Target> = Arc::new(EmbeddedTarget::new(&profile));
    let case = root().join("cases/assign/by-address-one.yaml");
    let other = root().join("cases/assign/by-count-one.yaml");
    let recorded = own.join("assign/by-address-one.snap");

    // No recording of its own yet: the reference decides, by the contract view.
    let first = run(
        std::slice::from_ref(&case),
        Arc::clone(&target),
        profile.clone(),
        SnapshotMode::Check,
    )
    .await;
    assert_eq!(
        first.failed(),
        0,
        "{}",
        console::failure_details(&first, None)
    );
    assert!(matches!(
        first.outcomes[0].snapshot,
        SnapshotOutcome::ContractMatched { .. }
    ));
    assert!(!recorded.exists());

    let update = run(
        std::slice::from_ref(&case),
        Arc::clone(&target),
        profile.clone(),
        SnapshotMode::Update,
    )
    .await;
    assert_eq!(update.outcomes[0].snapshot, SnapshotOutcome::Written);
    let text = std::fs::read_to_string(&recorded).unwrap();
    assert!(text.contains("info:\n  target: \"embedded\""), "{text}");

    let check = run(
        &[case.clone(), other],
        Arc::clone(&target),
        profile.clone(),
        SnapshotMode::Check,
    )
    .await;
    assert_eq!(
        check.failed(),
        0,
        "{}",
        console::failure_details(&check, None)
    );
    assert_eq!(check.outcomes[0].snapshot, SnapshotOutcome::Matched);
    // The case without a file in its own recordings is still judged by the reference.
    assert!(matches!(
        check.outcomes[1].snapshot,
        SnapshotOutcome::ContractMatched { .. }
    ));

    // A change the contract view would let pass (a field the contract does not name) fails the
    // full comparison of the target's own recording.
    std::fs::write(
        &recorded,
        text.replacen("MacAddress: <mac:1>", "MacAddress: <mac:7>", 1),
    )
    .unwrap();
    let changed = run(&[case], target, profile, SnapshotMode::Check).await;
    assert_eq!(snapshot_failures(&changed), ["assign.by-address.one"]);
    match &changed.outcomes[0].snapshot {
        SnapshotOutcome::Changed { diff, pending } => {
            assert!(diff.contains("-    MacAddress: <mac:7>"), "{diff}");
            assert!(pending.as_ref().is_some_and(|p| p.starts_with(&own)));
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(own).unwrap();
}

#[tokio::test]
async fn update_without_own_recordings_writes_nothing_over_the_reference() {
    let mut profile = foreign_profile();
    profile.snapshots = None;
    let target: Arc<dyn Target> = Arc::new(EmbeddedTarget::new(&profile));
    let case = root().join("cases/assign/by-address-one.yaml");
    let reference = root().join("snapshots/assign/by-address-one.snap");
    let before = std::fs::read_to_string(&reference).unwrap();
    let report = run(&[case], target, profile, SnapshotMode::Update).await;
    assert_eq!(
        report.failed(),
        0,
        "{}",
        console::failure_details(&report, None)
    );
    assert!(matches!(
        report.outcomes[0].snapshot,
        SnapshotOutcome::ContractMatched { .. }
    ));
    assert!(
        report
            .notes
            .iter()
            .any(|note| note.contains("names no `snapshots:` folder"))
    );
    assert_eq!(std::fs::read_to_string(&reference).unwrap(), before);
}

/// Under the `current` contract (`InvalidParameter`, an `Available` cap of 49) the reference
/// recordings, made under `seed`, still judge a correct endpoint: their codes are respelled as
/// the target's contract spells them, and counts taken from the contract's limits are shown as
/// the expression, their answers' lists not compared item by item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_recordings_judge_an_endpoint_under_the_current_contract() {
    let profile = Profile::load(&root().join("profiles/current.yaml")).unwrap();
    assert_eq!(profile.contract.name, "current");
    assert_eq!(
        profile.snapshots, None,
        "current.yaml must not claim the seed recordings"
    );
    let target: Arc<dyn Target> = Arc::new(EmbeddedTarget::new(&profile));
    let report = run(
        &[root().join("cases")],
        target,
        profile,
        SnapshotMode::Check,
    )
    .await;
    assert_eq!(
        report.failed(),
        0,
        "{}",
        console::failure_details(&report, None)
    );
    assert!(report.outcomes.len() > 170);
}
