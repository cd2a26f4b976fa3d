//! Snapshot files: where a case's snapshot lives and how the CLI compares, accepts or proposes
//! one. The files are insta's `.snap` format, so `cargo insta review` reviews what a CLI run
//! proposed (`.snap.new`) exactly as it reviews what `cargo test` proposed.
//!
//! A snapshot written by `run --snapshots update` carries its provenance (target, profile,
//! contract, date, harness version) in the `info:` field of the header. insta compares contents
//! only, so the provenance never fails a comparison; it says which endpoint the reference
//! behaviour was recorded against (the real cloud, ideally), for emulators compared with it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
    /// Equal to the snapshot on disk.
    Matched,
    /// Written (update mode), new or changed.
    Written,
    /// No snapshot on disk yet; the proposal is in `.snap.new`.
    New {
        /// The `.snap.new` file holding the proposal.
        pending: PathBuf,
    },
    /// Differs from the one on disk; the unified diff, old → new.
    Changed {
        /// The unified diff, old → new.
        diff: String,
        /// The `.snap.new` file holding the proposal; `None` in a read-only run.
        pending: Option<PathBuf>,
    },
    /// The target has no recording of its own for this case: its contract view matched the
    /// reference recording's. `information` is the full diff of what the contract leaves to
    /// the endpoint (extra fields, message wording, order, the endpoint's ids), when any.
    ContractMatched {
        /// The reference recording compared with.
        reference: PathBuf,
        /// The full diff, when the two differ only where the contract lets them.
        information: Option<String>,
    },
    /// The contract view differs from the reference recording's. `diff` is the diff of the two
    /// views, `information` the full diff; a proposal for the target's own recordings is in
    /// `pending` when its profile names a snapshot directory.
    ContractChanged {
        /// The reference recording compared with.
        reference: PathBuf,
        /// The diff of the two contract views.
        diff: String,
        /// The full diff of the two recordings.
        information: String,
        /// The proposal for the target's own recordings, when its profile names a directory.
        pending: Option<PathBuf>,
    },
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

/// Where the snapshot of a case file lives in a target's own recordings: `cases/a/b.yaml` →
/// `DIR/a/b.snap`.
pub fn snapshot_path_in(dir: &Path, case_file: &Path) -> Option<PathBuf> {
    let beside = snapshot_path(case_file)?;
    let relative = relative_to_cases(case_file)
        .or_else(|| relative_to_cases(&std::env::current_dir().ok()?.join(case_file)))?;
    let mut path = dir.join(relative);
    path.set_extension("snap");
    // Keep a lexically different spelling of the same place (`profiles/../snapshots`) as the
    // reference recording's path, so that reports name one file one way.
    Some(if same_place(&path, &beside) {
        beside
    } else {
        path
    })
}

/// The case file's path below the nearest folder named `cases`, extension and all.
fn relative_to_cases(case_file: &Path) -> Option<PathBuf> {
    let mut parts = Vec::new();
    let mut at = case_file;
    loop {
        parts.push(at.file_name()?.to_os_string());
        at = at.parent()?;
        if at.file_name()? == "cases" {
            return Some(parts.iter().rev().collect());
        }
    }
}

/// Whether two paths name the same file, existing or not (their folders compared).
fn same_place(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    let folder = |path: &Path| {
        path.parent()
            .and_then(|parent| std::fs::canonicalize(parent).ok())
    };
    a.file_name() == b.file_name() && folder(a).is_some() && folder(a) == folder(b)
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

/// Where a snapshot was recorded: the `info:` of its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The target, as reports describe it (`embedded`, `https://ecs.cn-hangzhou.aliyuncs.com/`);
    /// a loopback URL without its port, which changes from run to run.
    pub target: String,
    /// The profile's name.
    pub profile: String,
    /// The contract the profile follows (`seed`, `current`).
    pub contract: String,
    /// The day it was recorded (UTC), `YYYY-MM-DD`.
    pub recorded: String,
    /// The harness version that recorded it.
    pub harness: String,
}

impl Provenance {
    /// The provenance of a recording made now.
    pub fn now(target: &str, profile: &str, contract: &str) -> Provenance {
        let today = time::OffsetDateTime::now_utc().date();
        Provenance {
            target: stable_target(target),
            profile: profile.to_string(),
            contract: contract.to_string(),
            recorded: format!(
                "{:04}-{:02}-{:02}",
                today.year(),
                u8::from(today.month()),
                today.day()
            ),
            harness: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Recorded against the same endpoint under the same profile (the date and version aside).
    pub fn same_source(&self, other: &Provenance) -> bool {
        self.target == other.target
            && self.profile == other.profile
            && self.contract == other.contract
    }
}

/// A target description without a loopback port (`http://127.0.0.1:40123/` → `http://127.0.0.1/`).
fn stable_target(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://") else {
        return target.to_string();
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, ""), |(authority, path)| (authority, path));
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':') => {
            host
        }
        _ => authority,
    };
    if ["127.0.0.1", "localhost", "[::1]"].contains(&host) || host.starts_with("127.") {
        format!("{scheme}://{host}/{path}")
    } else {
        target.to_string()
    }
}

/// The header insta writes above a snapshot's contents.
pub fn file_text(description: &str, contents: &str) -> String {
    file_text_with(description, None, contents)
}

/// The header with the provenance as insta's `info:` metadata, then the contents.
pub fn file_text_with(
    description: &str,
    provenance: Option<&Provenance>,
    contents: &str,
) -> String {
    // The case language's quoting: JSON's leaves C1 controls and U+FFFE/U+FFFF raw, which no
    // YAML reader accepts (a title can quote what an endpoint answered).
    let quote = eni_spec::double_quoted;
    let mut header = format!(
        "---\nsource: harness/tests/cases.rs\ndescription: {}\n",
        quote(description)
    );
    if let Some(provenance) = provenance {
        header.push_str(&format!(
            "info:\n  target: {}\n  profile: {}\n  contract: {}\n  recorded: {}\n  harness: {}\n",
            quote(&provenance.target),
            quote(&provenance.profile),
            quote(&provenance.contract),
            quote(&provenance.recorded),
            quote(&provenance.harness),
        ));
    }
    format!("{header}---\n{}\n", contents.trim_end())
}

/// The provenance in a `.snap` file's header, if it has one.
pub fn provenance_of(file_text: &str) -> Option<Provenance> {
    #[derive(Deserialize)]
    struct Header {
        #[serde(default)]
        info: Option<Provenance>,
    }
    let rest = file_text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    let header: Header = serde_saphyr::from_str(&rest[..end]).ok()?;
    header.info
}

/// The contents of a `.snap` file: everything after the metadata block.
pub fn contents_of(file_text: &str) -> Option<&str> {
    let rest = file_text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + 5..])
}

/// Compares (or writes) one case's snapshot. Update mode rewrites a snapshot whose contents
/// changed, or whose provenance names another target, profile or contract (so a recording
/// against the real cloud that confirms an emulator's snapshot says so); the date alone never
/// causes a rewrite.
pub fn settle(
    path: &Path,
    description: &str,
    contents: &str,
    mode: SnapshotMode,
    provenance: Option<&Provenance>,
) -> std::io::Result<SnapshotOutcome> {
    let pending = path.with_extension("snap.new");
    match mode {
        SnapshotMode::Off => Ok(SnapshotOutcome::Skipped),
        SnapshotMode::Update => {
            let old = std::fs::read_to_string(path).ok();
            let same_contents = old.as_deref().and_then(contents_of).map(str::trim_end)
                == Some(contents.trim_end());
            let same_source = match (provenance, old.as_deref().and_then(provenance_of)) {
                (None, _) => true,
                (Some(new), Some(old)) => new.same_source(&old),
                (Some(_), None) => false,
            };
            if same_contents && same_source {
                let _ = std::fs::remove_file(&pending);
                return Ok(SnapshotOutcome::Matched);
            }
            write(path, &file_text_with(description, provenance, contents))?;
            let _ = std::fs::remove_file(&pending);
            Ok(SnapshotOutcome::Written)
        }
        SnapshotMode::Check => match std::fs::read_to_string(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                write(&pending, &file_text_with(description, provenance, contents))?;
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
                let pending = write(&pending, &file_text_with(description, provenance, contents))
                    .ok()
                    .map(|()| pending);
                Ok(SnapshotOutcome::Changed { diff, pending })
            }
        },
    }
}

/// Where one case's recordings are: the reference recording beside the case files (the
/// reference emulator's, `snapshots/` next to `cases/`) and the target's own, when its profile
/// names a snapshot directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recordings {
    /// The reference recording beside the case files; `None` when the case file has no
    /// snapshot location.
    pub reference: Option<PathBuf>,
    /// The target's own recording, when its profile names a snapshot directory.
    pub own: Option<PathBuf>,
}

impl Recordings {
    /// The recordings of a case file, `own_dir` being the profile's snapshot directory.
    pub fn of(case_file: &Path, own_dir: Option<&Path>) -> Recordings {
        Recordings {
            reference: snapshot_path(case_file),
            own: own_dir.and_then(|dir| snapshot_path_in(dir, case_file)),
        }
    }
}

/// Compares (or writes) one case's snapshot against the recordings it has. A target's own
/// recording is compared in full, and `update` writes there; without one (no snapshot
/// directory, or no file for the case in it), the contract views of this run and of the
/// reference recording are compared (`crate::contract_view`), and the rest is information.
/// `update` without a snapshot directory records nothing and compares as `check` does: the
/// reference recordings are the reference emulator's, never another target's. `spell` gives a
/// code of the reference recordings as the target's contract spells it; `contract` names the
/// target's contract version, whose alternative codes stand for the codes they replace.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is one part of the comparison; a struct would only name them again"
)]
pub fn settle_recordings(
    recordings: &Recordings,
    description: &str,
    contents: &str,
    mode: SnapshotMode,
    provenance: Option<&Provenance>,
    open_steps: &std::collections::BTreeSet<String>,
    spell: &dyn Fn(&str) -> String,
    contract: &str,
) -> std::io::Result<SnapshotOutcome> {
    if mode == SnapshotMode::Off {
        return Ok(SnapshotOutcome::Skipped);
    }
    if let Some(own) = &recordings.own {
        let same = recordings.reference.as_ref() == Some(own);
        if mode == SnapshotMode::Update || own.exists() || same {
            return settle(own, description, contents, mode, provenance);
        }
    }
    let Some(reference) = &recordings.reference else {
        return Ok(SnapshotOutcome::Skipped);
    };
    let reference_text = match std::fs::read_to_string(reference) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let pending = recordings
                .own
                .as_deref()
                .unwrap_or(reference)
                .with_extension("snap.new");
            write(&pending, &file_text_with(description, provenance, contents))?;
            return Ok(SnapshotOutcome::New { pending });
        }
        other => other?,
    };
    let recorded = contents_of(&reference_text)
        .unwrap_or(&reference_text)
        .trim_end();
    let information = (recorded != contents.trim_end()).then(|| {
        similar::TextDiff::from_lines(recorded, contents.trim_end())
            .unified_diff()
            .context_radius(3)
            .header("reference snapshot", "this run")
            .to_string()
    });
    let views = (
        crate::contract_view::contract_view_of_text(recorded, open_steps),
        crate::contract_view::contract_view_of_text(contents, open_steps),
    );
    let (Some(mut reference_view), Some(mut view)) = views else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} is not a snapshot of exchanges; cannot take its contract view",
                reference.display()
            ),
        ));
    };
    crate::contract_view::respell_codes(&mut reference_view, spell);
    crate::contract_view::fold_alternatives(&mut reference_view, contract);
    crate::contract_view::fold_alternatives(&mut view, contract);
    if reference_view == view {
        return Ok(SnapshotOutcome::ContractMatched {
            reference: reference.clone(),
            information,
        });
    }
    let reference_view = crate::contract_view::render(&reference_view);
    let view = crate::contract_view::render(&view);
    let diff = similar::TextDiff::from_lines(&reference_view, &view)
        .unified_diff()
        .context_radius(3)
        .header(
            "contract view of the reference snapshot",
            "contract view of this run",
        )
        .to_string();
    // A proposal for this target's own recordings; never over the reference's.
    let pending = recordings.own.as_ref().and_then(|own| {
        let pending = own.with_extension("snap.new");
        write(&pending, &file_text_with(description, provenance, contents))
            .ok()
            .map(|()| pending)
    });
    Ok(SnapshotOutcome::ContractChanged {
        reference: reference.clone(),
        diff,
        information: information.unwrap_or_default(),
        pending,
    })
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
    fn a_hostile_title_keeps_the_header_readable() {
        let provenance = Provenance::now("http://127.0.0.1:1/\u{9b}", "p", "seed");
        let text = file_text_with(
            "Fuzz finding \u{9b}\u{fffe}\r\nx: 1",
            Some(&provenance),
            "a: 1",
        );
        assert_eq!(provenance_of(&text), Some(provenance));
        assert_eq!(contents_of(&text), Some("a: 1\n"));
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
        let outcome = settle(&path, "t", "a: 1", SnapshotMode::Check, None).unwrap();
        assert!(matches!(outcome, SnapshotOutcome::New { .. }));
        assert_eq!(
            settle(&path, "t", "a: 1", SnapshotMode::Update, None).unwrap(),
            SnapshotOutcome::Written
        );
        assert_eq!(
            settle(&path, "t", "a: 1", SnapshotMode::Check, None).unwrap(),
            SnapshotOutcome::Matched
        );
        match settle(&path, "t", "a: 2", SnapshotMode::Check, None).unwrap() {
            SnapshotOutcome::Changed { diff, .. } => {
                assert!(diff.contains("-a: 1") && diff.contains("+a: 2"), "{diff}")
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn provenance_written_by_cargo_insta_reads_back() {
        // `cargo insta accept` writes the `info:` values as plain scalars.
        let text = "---\nsource: harness/tests/cases.rs\ndescription: t\ninfo:\n  target: embedded\n  profile: embedded\n  contract: seed\n  recorded: 2026-11-25\n  harness: 0.1.0\n---\na: 1\n";
        let provenance = provenance_of(text).expect("the header's info reads back");
        assert_eq!(provenance.recorded, "2026-11-25");
        assert_eq!(provenance.harness, "0.1.0");
        assert!(provenance.same_source(&Provenance::now("embedded", "embedded", "seed")));
    }

    #[test]
    fn provenance_is_written_on_update_and_ignored_by_checks() {
        let dir = std::env::temp_dir().join(format!("eni-harness-prov-{}", std::process::id()));
        let path = dir.join("a.snap");
        let embedded = Provenance::now("embedded", "embedded", "seed");
        let cloud = Provenance::now("https://ecs.cn-hangzhou.aliyuncs.com/", "aliyun", "current");
        assert_eq!(
            settle(&path, "t", "a: 1", SnapshotMode::Update, Some(&embedded)).unwrap(),
            SnapshotOutcome::Written
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(provenance_of(&text), Some(embedded.clone()));
        assert_eq!(contents_of(&text), Some("a: 1\n"));
        // Same contents, same source: nothing to write. Another source: the header is rewritten.
        assert_eq!(
            settle(&path, "t", "a: 1", SnapshotMode::Update, Some(&embedded)).unwrap(),
            SnapshotOutcome::Matched
        );
        assert_eq!(
            settle(&path, "t", "a: 1", SnapshotMode::Update, Some(&cloud)).unwrap(),
            SnapshotOutcome::Written
        );
        assert_eq!(
            provenance_of(&std::fs::read_to_string(&path).unwrap()),
            Some(cloud)
        );
        // Checks compare contents only, whoever recorded them.
        assert_eq!(
            settle(&path, "t", "a: 1", SnapshotMode::Check, Some(&embedded)).unwrap(),
            SnapshotOutcome::Matched
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn loopback_ports_are_not_provenance() {
        assert_eq!(
            stable_target("http://127.0.0.1:40123/"),
            "http://127.0.0.1/"
        );
        assert_eq!(stable_target("http://localhost:8080"), "http://localhost/");
        assert_eq!(
            stable_target("https://ecs.aliyuncs.com/"),
            "https://ecs.aliyuncs.com/"
        );
        assert_eq!(stable_target("embedded"), "embedded");
    }
}
