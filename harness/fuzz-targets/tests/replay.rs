//! Replays every committed fuzz input — the seeds under `fuzz/seeds/<target>/` and the crash
//! inputs under `fuzz/regressions/<target>/` — through the same `eni_fuzz_targets` function
//! the libFuzzer target calls, so the suite keeps them passing on stable, without cargo-fuzz.

use std::path::Path;

/// `fuzz/<kind>/<target>/<file>` → `<target>`.
fn target_of(path: &Path) -> Option<&str> {
    path.parent()?.file_name()?.to_str()
}

fn replay(path: &Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    // Each folder keeps a README.md that explains it and is no input. It is matched anyway:
    // datatest-stable fails on a root without a single match, as a fresh regressions/ is.
    if path.file_name().is_some_and(|name| name == "README.md") {
        return Ok(());
    }
    let target = target_of(path).ok_or("a fuzz input outside a target folder")?;
    if !eni_fuzz_targets::run_target(target, &bytes) {
        return Err(format!("{}: no fuzz target is named `{target}`", path.display()).into());
    }
    Ok(())
}

datatest_stable::harness! {
    { test = replay, root = "../../fuzz/seeds", pattern = r"^[^/]+/[^/]+$" },
    { test = replay, root = "../../fuzz/regressions", pattern = r"^[^/]+/[^/]+$" },
}
