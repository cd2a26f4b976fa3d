//! The sequence fuzzer finds a planted allocation bug (`duplicate-across-enis`: the in-use
//! check skipped, so an address is handed out twice), shrinks it to at most 5 steps, and writes
//! a case that `run_case` proves: it fails against the defective emulator and passes against the
//! clean one. Bounded by runs and time, not timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eni_emulator::Defect;
use eni_harness::fuzzer::{self, Env, FuzzOptions, Kind, ShrinkBudget, TargetSpec, Verify};
use eni_harness::profile::Profile;
use eni_harness::runner::{CaseContext, Verdict, run_case};
use eni_harness::targets::{EmbeddedTarget, Target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_duplicate_is_found_shrunk_and_written_as_a_failing_case() {
    let started = Instant::now();
    let profile = Arc::new(Profile::embedded());
    let defect = Defect::DuplicateAcrossEnis;
    let configure: fuzzer::Configure = Arc::new(move |config| config.defects = vec![defect]);
    let spec = TargetSpec::Embedded {
        configure,
        label: "embedded (duplicate-across-enis)".into(),
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::from_secs(2)).unwrap());
    let clean: Arc<dyn Target> = Arc::new(EmbeddedTarget::new(&profile));
    let defective: Arc<dyn Target> =
        Arc::new(EmbeddedTarget::new(&profile).with_defects(vec![defect]));
    let out = std::env::temp_dir().join(format!("eni-harness-fuzz-planted-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let options = FuzzOptions {
        seed: 1,
        runs: Some(300),
        time: Some(Duration::from_secs(20)),
        jobs: 1,
        concurrency: false,
        out: Some(out.clone()),
        shrink: ShrinkBudget {
            attempts: 400,
            time: Duration::from_secs(5),
        },
        live: false,
        verify: Some(Verify {
            clean: Arc::clone(&clean),
            failing: Arc::clone(&defective),
            profile: Arc::clone(&profile),
        }),
        ..FuzzOptions::default()
    };
    let report = fuzzer::fuzz(env, options).await;
    assert!(
        !report.findings.is_empty(),
        "no finding:\n{}",
        report.summary()
    );
    assert!(!report.is_vacuous(), "{}", report.summary());

    // An allocation finding: an address held twice, or handed out where the contract refuses it.
    let found = report
        .reproduced(Kind::is_double_allocation, 5)
        .unwrap_or_else(|| {
            panic!(
                "no allocation finding shrunk to <= 5 steps and verified:\n{}",
                report.summary()
            )
        });

    // The written file is a case that fails on the defective target and passes on the clean one.
    let path = found.path.as_ref().unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains("--seed 1"),
        "the case names its seed:\n{text}"
    );
    let case =
        eni_spec::parse_case(&text, &path.display().to_string()).expect("the written case parses");
    let context = CaseContext {
        profile: Arc::clone(&profile),
        repro_url: "http://127.0.0.1:0/".into(),
        run_token: "test".into(),
    };
    let on_defective = run_case(&case, defective.as_ref(), &context).await;
    assert_eq!(on_defective.verdict, Verdict::Fail, "{text}");
    let on_clean = run_case(&case, clean.as_ref(), &context).await;
    assert_eq!(
        on_clean.verdict,
        Verdict::Pass,
        "{:#?}\n{text}",
        on_clean.failures
    );

    let _ = std::fs::remove_dir_all(&out);
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "bounded run took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_run_and_a_clean_emulator_is_not_vacuous() {
    let profile = Arc::new(Profile::embedded());
    let configure: fuzzer::Configure = Arc::new(|_| {});
    let run = || {
        let spec = TargetSpec::Embedded {
            configure: Arc::clone(&configure),
            label: "embedded".into(),
        };
        let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::from_secs(2)).unwrap());
        let options = FuzzOptions {
            seed: 42,
            runs: Some(40),
            time: Some(Duration::from_secs(20)),
            jobs: 1,
            concurrency: false,
            out: None,
            shrink: ShrinkBudget {
                attempts: 50,
                time: Duration::from_secs(2),
            },
            live: false,
            verify: None,
            ..FuzzOptions::default()
        };
        fuzzer::fuzz(env, options)
    };
    let (a, b) = (run().await, run().await);
    assert_eq!(
        (a.requests, a.mutating, a.mutating_ok),
        (b.requests, b.mutating, b.mutating_ok)
    );
    assert!(!a.is_vacuous(), "{}", a.summary());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_mode_runs_bounded_rounds() {
    let profile = Arc::new(Profile::embedded());
    let configure: fuzzer::Configure = Arc::new(|_| {});
    let spec = TargetSpec::Embedded {
        configure,
        label: "embedded".into(),
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::from_secs(2)).unwrap());
    let options = FuzzOptions {
        seed: 3,
        runs: Some(30),
        time: Some(Duration::from_secs(20)),
        jobs: 2,
        concurrency: true,
        out: None,
        shrink: ShrinkBudget {
            attempts: 20,
            time: Duration::from_secs(2),
        },
        live: false,
        verify: None,
        ..FuzzOptions::default()
    };
    let report = fuzzer::fuzz(env, options).await;
    assert_eq!(report.sequences, 30);
    assert!(report.findings.is_empty(), "{}", report.summary());
    assert!(report.mutating_ok > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_defects_are_still_found_with_the_rule_they_break() {
    let profile = Arc::new(Profile::embedded());
    for (defect, expected) in [
        (Defect::SeedSpaceKey500, "common errors: a 5xx"),
        (
            Defect::DuplicateAcrossEnis,
            "AssignPrivateIpAddresses row 14",
        ),
    ] {
        let configure: fuzzer::Configure = Arc::new(move |config| config.defects = vec![defect]);
        let spec = TargetSpec::Embedded {
            configure,
            label: format!("embedded ({})", defect.name()),
        };
        let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::ZERO).unwrap());
        let options = FuzzOptions {
            seed: 0,
            runs: Some(300),
            time: Some(Duration::from_secs(20)),
            jobs: 2,
            shrink: ShrinkBudget {
                attempts: 50,
                time: Duration::from_secs(2),
            },
            ..FuzzOptions::default()
        };
        let report = fuzzer::fuzz(env, options).await;
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.rests_on.starts_with(expected)),
            "{}: nothing resting on {expected}:\n{}",
            defect.name(),
            report.summary()
        );
    }
}

/// Fuzzes the embedded emulator under `profiles/current.yaml` (IPv4 prefixes), with `configure`
/// planting a deviation in the target.
async fn fuzz_current(configure: fuzzer::Configure, runs: u64) -> fuzzer::FuzzReport {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/current.yaml");
    let profile = Arc::new(Profile::load(&path).unwrap());
    let spec = TargetSpec::Embedded {
        configure,
        label: "embedded".into(),
    };
    let env = Arc::new(Env::new(Arc::clone(&profile), spec, Duration::from_secs(2)).unwrap());
    let options = FuzzOptions {
        seed: 11,
        runs: Some(runs),
        time: Some(Duration::from_secs(60)),
        jobs: 2,
        shrink: ShrinkBudget {
            attempts: 100,
            time: Duration::from_secs(5),
        },
        ..FuzzOptions::default()
    };
    fuzzer::fuzz(env, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefix_operations_on_a_clean_emulator_under_current_are_no_finding() {
    let report = fuzz_current(Arc::new(|_| {}), 150).await;
    assert_eq!(report.sequences, 150, "{}", report.summary());
    assert!(report.findings.is_empty(), "{}", report.summary());
    assert!(!report.is_vacuous(), "{}", report.summary());
}

/// A target that takes at most two prefixes per request where the contract allows ten: a
/// prefix request the contract accepts is refused. Only prefix operations can show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_short_of_the_contracts_prefixes_is_found() {
    let configure: fuzzer::Configure = Arc::new(|c| c.contract.max_ipv4_prefixes = 2);
    let report = fuzz_current(configure, 150).await;
    let found = report
        .findings
        .iter()
        .find(|f| f.kind.check == "differential")
        .unwrap_or_else(|| panic!("not found:\n{}", report.summary()));
    eprintln!("{}", report.summary());
    // Written as cases whose prefixes are relative to the fixtures, not this world's values.
    for finding in &report.findings {
        let case = finding.case.as_ref().expect("a case is written");
        let yaml = eni_spec::case_to_yaml(&case.case);
        assert!(!yaml.contains("192.168."), "{yaml}");
    }
    assert!(
        found.kind.signature.contains("AssignPrivateIpAddresses")
            || found.kind.signature.contains("CreateNetworkInterface"),
        "{}",
        report.summary()
    );
}
