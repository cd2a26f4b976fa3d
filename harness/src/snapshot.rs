//! Snapshot files: where a case's snapshot lives and how the CLI compares, accepts or proposes
//! one. The files are insta's `.snap` format, so `cargo insta review` reviews what a CLI run
//! proposed (`.snap.new`) exactly as it reviews what `cargo test` proposed.

use std::path::{Path, PathBuf};

/// What `run` does with snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SnapshotMode {
    /// Compare; a difference fails the case and is written as `.snap.new` for review.
    #[default]
    Check,
    /// Write the new snapshot over the old one.
    Update,
    /// Neither compare nor write.
    Off,
}

/// How one case's snapshot compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    Matched,
    /// Written (update mode), new or changed.
    Written,
    /// No snapshot on disk yet; the proposal is in `.snap.new`.
    New { pending: PathBuf },
    /// Differs from the one on disk; the unified diff, old → new.
    Changed { diff: String, pending: Option<PathBuf> },
    /// Off for this case or this run, or the case file has no snapshot location.
    Skipped,
}

/// Where the snapshot of a case file lives: `cases/a/b.yaml` → `snapshots/a/b.snap`, `snapshots/`
/// being the sibling of the nearest folder named `cases` above the file.
pub fn snapshot_path(case_file: &Path) -> Option<PathBuf> {
    // A relative case path gives a relative snapshot path, which reads better in reports.
    snapshot_path_within(case_file).or_else(|| {
        let absolute = std::env::current_dir().ok()?.join(case_file);
        snapshot_path_within(&absolute)
    })
}

fn snapshot_path_within(case_file: &Path) -> Option<PathBuf> {
    let mut relative = Vec::new();
    let mut folder = case_file.parent()?;
    relative.push(case_file.file_stem()?.to_os_string());
    loop {
        if folder.file_name()? == "cases" {
            let mut path = folder.parent()?.join("snapshots");
            for part in relative.iter().rev() {
                path.push(part);
            }
            path.set_extension("snap");
            return Some(path);
        }
        relative.push(folder.file_name()?.to_os_string());
        folder = folder.parent()?;
    }
}

/// The header insta writes above a snapshot's contents.
pub fn file_text(description: &str, contents: &str) -> String {
    let description = serde_json::to_string(description).unwrap_or_default();
    format!("---\nsource: harness/tests/cases.rs\ndescription: {description}\n---\n{}\n", contents.trim_end())
}

/// The contents of a `.snap` file: everything after the metadata block.
pub fn contents_of(file_text: &str) -> Option<&str> {
    let rest = file_text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + 5..])
}

/// Compares (or writes) one case's snapshot.
pub fn settle(path: &Path, description: &str, contents: &str, mode: SnapshotMode) -> std::io::Result<SnapshotOutcome> {
    let pending = path.with_extension("snap.new");
    match mode {
        SnapshotMode::Off => Ok(SnapshotOutcome::Skipped),
        SnapshotMode::Update => {
            let old = std::fs::read_to_string(path).ok();
            if old.as_deref().and_then(contents_of).map(str::trim_end) == Some(contents.trim_end()) {
                return Ok(SnapshotOutcome::Matched);
            }
            write(path, &file_text(description, contents))?;
            let _ = std::fs::remove_file(&pending);
            Ok(SnapshotOutcome::Written)
        }
        SnapshotMode::Check => match std::fs::read_to_string(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                write(&pending, &file_text(description, contents))?;
                Ok(SnapshotOutcome::New { pending })
            }
            Err(error) => Err(error),
            Ok(old) => {
                let old = contents_of(&old).unwrap_or(&old).trim_end();
                if old == contents.trim_end() {
                    let _ = std::fs::remove_file(&pending);
                    return Ok(SnapshotOutcome::Matched);
                }
                let diff = similar::TextDiff::from_lines(old, contents.trim_end())
                    .unified_diff()
                    .context_radius(3)
                    .header("snapshot", "this run")
                    .to_string();
                // A read-only checkout (CI) still reports the difference.
                let pending = write(&pending, &file_text(description, contents)).ok().map(|()| pending);
                Ok(SnapshotOutcome::Changed { diff, pending })
            }
        },
    }
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_mirror_cases() {
        let path = snapshot_path(Path::new("/x/cases/assign/by-address.yaml")).unwrap();
        assert_eq!(path, Path::new("/x/snapshots/assign/by-address.snap"));
        assert_eq!(snapshot_path(Path::new("/x/other/a.yaml")), None);
        let relative = snapshot_path(Path::new("cases/a/b.yaml")).unwrap();
        assert_eq!(relative, Path::new("snapshots/a/b.snap"));
    }

    #[test]
    fn header_and_contents_round_trip() {
        let text = file_text("A \"title\"", "a: 1\nb: 2\n");
        assert_eq!(contents_of(&text), Some("a: 1\nb: 2\n"));
    }

    #[test]
    fn check_update_and_diff() {
        let dir = std::env::temp_dir().join(format!("eni-harness-snap-{}", std::process::id()));
        let path = dir.join("a.snap");
        let outcome = settle(&path, "t", "a: 1", SnapshotMode::Check).unwrap();
        assert!(matches!(outcome, SnapshotOutcome::New { .. }));
        assert_eq!(settle(&path, "t", "a: 1", SnapshotMode::Update).unwrap(), SnapshotOutcome::Written);
        assert_eq!(settle(&path, "t", "a: 1", SnapshotMode::Check).unwrap(), SnapshotOutcome::Matched);
        match settle(&path, "t", "a: 2", SnapshotMode::Check).unwrap() {
            SnapshotOutcome::Changed { diff, .. } => assert!(diff.contains("-a: 1") && diff.contains("+a: 2"), "{diff}"),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
