//! One test per case file, run against the embedded emulator, with its exchanges compared to the
//! insta snapshot under `snapshots/` (so `cargo insta review` reviews them, and nextest can
//! filter and partition the suite). A case about IPv4 prefixes (tagged `prefix`) runs, and keeps
//! its reference recording, under `profiles/current.yaml`: the seed contract has no prefixes. Files under `cases/invalid/` must fail to parse, and their
//! rendered errors are snapshots too. Every file under `snapshots/` must belong to a case.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eni_harness::profile::Profile;
use eni_harness::report::console;
use eni_harness::runner::{self, CaseContext, SuiteReport, Verdict};
use eni_harness::snapshot::Provenance;
use eni_harness::targets::{EmbeddedTarget, Target};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `cases/a/b.yaml` → (`snapshots/a`, `b`).
fn snapshot_location(case_file: &Path) -> (PathBuf, String) {
    let relative = case_file.strip_prefix("cases").unwrap_or(case_file);
    let folder = workspace()
        .join("snapshots")
        .join(relative.parent().unwrap_or(Path::new("")));
    let name = relative
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    (folder, name)
}

/// Compares (or, under `cargo insta`, proposes) a snapshot. A case's exchanges carry the
/// provenance a `run --snapshots update` would give them, so accepting a proposal with
/// `cargo insta accept` keeps the header's `info:` too.
fn assert_snapshot(
    case_file: &Path,
    description: &str,
    contents: &str,
    provenance: Option<&Provenance>,
) {
    let (folder, name) = snapshot_location(case_file);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(folder);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(description);
    settings.set_omit_expression(true);
    if let Some(provenance) = provenance {
        settings.set_info(provenance);
    }
    settings.bind(|| insta::assert_snapshot!(name, contents.trim_end()));
}

fn run_case_file(path: &Path) -> datatest_stable::Result<()> {
    let source = std::fs::read_to_string(path)?;
    let origin = path.display().to_string();
    let case = eni_spec::parse_case(&source, &origin).map_err(|errors| {
        errors
            .iter()
            .map(|error| error.render(&source))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let profile = if case.tags.iter().any(|tag| tag == runner::PREFIX_TAG) {
        Profile::load(&workspace().join("profiles/current.yaml"))?
    } else {
        Profile::embedded()
    };
    let profile = Arc::new(profile);
    let target = EmbeddedTarget::new(&profile);
    let context = CaseContext {
        profile,
        repro_url: "http://127.0.0.1:8080/".into(),
        run_token: "test".into(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(runner::run_case(&case, &target, &context));
    match &outcome.verdict {
        Verdict::Pass => {}
        Verdict::Skip(reason) => {
            return Err(format!("skipped against the embedded emulator: {reason}").into());
        }
        Verdict::Fail | Verdict::ExpectedFailure(_) | Verdict::Flaky => {
            let report = SuiteReport {
                target: "embedded".into(),
                profile: context.profile.name.clone(),
                outcomes: vec![outcome.clone()],
                wall: outcome.duration,
                notes: Vec::new(),
                runner_requests: 0,
            };
            return Err(console::failure_details(&report, None).into());
        }
    }
    if let Some(text) = &outcome.snapshot_text {
        let provenance = Provenance::now(
            &target.describe(),
            &context.profile.name,
            &context.profile.contract.name,
        );
        assert_snapshot(path, &case.title, text, Some(&provenance));
    }
    Ok(())
}

fn invalid_case_file(path: &Path) -> datatest_stable::Result<()> {
    let source = std::fs::read_to_string(path)?;
    let origin = path.display().to_string();
    match eni_spec::parse_case(&source, &origin) {
        Ok(_) => Err(format!(
            "{origin} is under cases/invalid/ but parses; move it or break it on purpose"
        )
        .into()),
        Err(errors) => {
            let rendered: Vec<String> = errors.iter().map(|error| error.render(&source)).collect();
            assert_snapshot(path, "rendered errors", &rendered.join("\n"), None);
            Ok(())
        }
    }
}

/// Every snapshot belongs to a case that keeps one; nothing is left pending review.
fn snapshot_is_referenced(path: &Path) -> datatest_stable::Result<()> {
    let relative = path.strip_prefix("snapshots").unwrap_or(path);
    let text = relative.to_string_lossy();
    if text.ends_with(".snap.new") || text.ends_with(".pending-snap") {
        return Err(format!(
            "{} is pending review: run `cargo insta review`",
            path.display()
        )
        .into());
    }
    let Some(stem) = text.strip_suffix(".snap") else {
        return Err(format!(
            "{} is not a snapshot; only .snap files belong under snapshots/",
            path.display()
        )
        .into());
    };
    let case_file = workspace().join("cases").join(format!("{stem}.yaml"));
    let source = std::fs::read_to_string(&case_file).map_err(|_| {
        format!(
            "{} is unreferenced: no case file {}; delete it",
            path.display(),
            case_file.display()
        )
    })?;
    if !stem.starts_with("invalid/") {
        let case = eni_spec::parse_case(&source, &case_file.display().to_string())
            .map_err(|_| "its case file does not parse")?;
        if !case.snapshot {
            return Err(format!(
                "{} is unreferenced: the case says `snapshot: false`; delete it",
                path.display()
            )
            .into());
        }
    }
    Ok(())
}

datatest_stable::harness! {
    { test = run_case_file, root = "cases", pattern = r"^(?!invalid/).*\.yaml$" },
    { test = invalid_case_file, root = "cases", pattern = r"^invalid/.*\.yaml$" },
    { test = snapshot_is_referenced, root = "snapshots", pattern = r".*" },
}
