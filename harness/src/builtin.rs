//! The suite the binary carries: the repository's case files, snapshots, profiles, schemas and
//! emulator worlds, built in by `build.rs`, so an installed `eni-harness` runs from any folder.
//!
//! Which suite a command uses (`eni-harness run`, `list`): case paths given on the command line
//! win; without any, a `cases/` folder in the current folder (a checkout, or a copy written by
//! `eni-harness cases export`); without one, the built-in suite. The built-in files are written
//! once per content to a cache folder and run from there, so every path a report names (a case
//! file, its snapshot, a rerun line) is a real file the user can open.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Every carried file: its repository path (with `/`) and its bytes, sorted by path.
static FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// Where the emulator's worlds live in the repository (and in an export).
pub(crate) const WORLDS: &str = "harness/emulator/worlds";

/// One carried file by its repository path.
pub(crate) fn file(path: &str) -> Option<&'static [u8]> {
    FILES
        .binary_search_by(|(name, _)| (*name).cmp(path))
        .ok()
        .map(|index| FILES[index].1)
}

/// The names of the carried files directly in `folder` with extension `.yaml`, without it
/// (`profiles` → `embedded`, `lanes`, ...).
pub(crate) fn names_in(folder: &str) -> Vec<&'static str> {
    FILES
        .iter()
        .filter_map(|(path, _)| {
            let rest = path.strip_prefix(folder)?.strip_prefix('/')?;
            (!rest.contains('/')).then_some(rest.strip_suffix(".yaml")?)
        })
        .collect()
}

/// A carried world by name (`lanes`), or by its repository path
/// (`harness/emulator/worlds/lanes.yaml`, as a checkout's README spells it), as text.
pub(crate) fn world(name: &str) -> Option<&'static str> {
    let name = name
        .strip_prefix(WORLDS)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.strip_suffix(".yaml"))
        .unwrap_or(name);
    builtin_yaml(WORLDS, name)
}

fn builtin_yaml(folder: &str, name: &str) -> Option<&'static str> {
    if name.is_empty() || name.contains(['/', '\\', '.']) {
        return None;
    }
    std::str::from_utf8(file(&format!("{folder}/{name}.yaml"))?).ok()
}

/// Which suite a run uses, and why: the header line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SuiteSource {
    /// Case paths given on the command line.
    Given(Vec<PathBuf>),
    /// `cases/` in the current folder, taken because no path was given.
    HereCases,
    /// The built-in suite, written out to this folder (its `cases/` is run).
    BuiltIn(PathBuf),
}

impl SuiteSource {
    /// The case paths to load.
    pub(crate) fn case_paths(&self) -> Vec<PathBuf> {
        match self {
            SuiteSource::Given(paths) => paths.clone(),
            SuiteSource::HereCases => vec![PathBuf::from("cases")],
            SuiteSource::BuiltIn(root) => vec![root.join("cases")],
        }
    }

    /// The folder holding the built-in suite's profiles, when the built-in suite is used.
    pub(crate) fn builtin_root(&self) -> Option<&Path> {
        match self {
            SuiteSource::BuiltIn(root) => Some(root),
            _ => None,
        }
    }

    /// One line for a run's header.
    pub(crate) fn describe(&self) -> String {
        match self {
            SuiteSource::Given(paths) => {
                let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!("the case paths given ({})", shown.join(", "))
            }
            SuiteSource::HereCases => {
                "cases/ in the current folder (no case path given)".to_string()
            }
            SuiteSource::BuiltIn(root) => format!(
                "built-in (eni-harness {}, no case path given and no cases/ here; files at {})",
                env!("CARGO_PKG_VERSION"),
                root.display()
            ),
        }
    }
}

/// Decides the suite: given paths win; then `cases/` here; then the built-in suite (written to
/// its cache folder).
pub(crate) fn resolve(given: &[PathBuf]) -> Result<SuiteSource, String> {
    if !given.is_empty() {
        return Ok(SuiteSource::Given(given.to_vec()));
    }
    if Path::new("cases").is_dir() {
        return Ok(SuiteSource::HereCases);
    }
    materialize().map(SuiteSource::BuiltIn)
}

/// The folder the built-in suite is written to: one per content, in the user's cache folder
/// (`$XDG_CACHE_HOME`, `~/.cache`, else the system's temporary folder).
pub(crate) fn cache_folder() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|value| !value.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("eni-harness").join(format!(
        "suite-{}-{:016x}",
        env!("CARGO_PKG_VERSION"),
        content_hash()
    ))
}

/// Writes the built-in suite to [`cache_folder`] (only the files missing or changed there, so
/// an edited copy is put right and runs at once share it) and returns the folder.
pub(crate) fn materialize() -> Result<PathBuf, String> {
    let root = cache_folder();
    write_tree(&root, Overwrite::Always)
        .map(|_| root.clone())
        .map_err(|error| {
            format!(
                "cannot write the built-in suite to {}: {error}\n  = help: set XDG_CACHE_HOME to a writable folder, or export the suite with `eni-harness cases export DIR` and run it from there",
                root.display()
            )
        })
}

/// What [`export`] does with a file that exists with other content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overwrite {
    /// Replace it.
    Always,
    /// Leave every file alone and report the conflicts.
    Never,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Written {
    /// Files written (new or changed).
    pub written: usize,
    /// Files already there with the same content.
    pub unchanged: usize,
}

/// Writes the carried files below `dir` under their repository paths. With
/// [`Overwrite::Never`] nothing is written when any file exists with other content; the error
/// names them.
pub(crate) fn export(dir: &Path, overwrite: Overwrite) -> Result<Written, String> {
    write_tree(dir, overwrite)
}

fn write_tree(dir: &Path, overwrite: Overwrite) -> Result<Written, String> {
    let mut pending = Vec::new();
    let mut conflicts = Vec::new();
    let mut done = Written::default();
    for (relative, bytes) in FILES {
        let path = dir.join(relative);
        match std::fs::read(&path) {
            Ok(existing) if existing == *bytes => done.unchanged += 1,
            Ok(_) => {
                conflicts.push(path.display().to_string());
                pending.push((path, *bytes));
            }
            Err(_) => pending.push((path, *bytes)),
        }
    }
    if overwrite == Overwrite::Never && !conflicts.is_empty() {
        let shown: Vec<&str> = conflicts.iter().take(10).map(String::as_str).collect();
        return Err(format!(
            "{} file(s) exist with other content, nothing written: {}{}\n  = help: pass --force to overwrite them, or export to an empty folder",
            conflicts.len(),
            shown.join(", "),
            if conflicts.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ));
    }
    for (path, bytes) in pending {
        write_atomically(&path, bytes).map_err(|error| format!("{}: {error}", path.display()))?;
        done.written += 1;
    }
    Ok(done)
}

/// Writes through a temporary file renamed into place, so that a run reading the cache while
/// another writes it sees either file whole.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// FNV-1a over every carried path and content: the cache folder's name, so two builds of other
/// content never share one.
fn content_hash() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (path, bytes) in FILES {
        feed(path.as_bytes());
        feed(&[0]);
        feed(&(bytes.len() as u64).to_le_bytes());
        feed(bytes);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every repository file of the carried folders is carried, byte for byte.
    #[test]
    fn the_table_is_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for (relative, bytes) in FILES {
            let on_disk = std::fs::read(root.join(relative)).unwrap();
            assert_eq!(&on_disk[..], *bytes, "{relative}");
        }
        let cases = FILES
            .iter()
            .filter(|(p, _)| p.starts_with("cases/"))
            .count();
        assert!(cases > 100, "{cases} case files carried");
        assert!(file("profiles/embedded.yaml").is_some());
        assert!(world("lanes").is_some());
        assert!(world("../lanes").is_none());
        assert_eq!(world("harness/emulator/worlds/lanes.yaml"), world("lanes"));
        assert!(world("harness/emulator/worlds/../worlds/lanes.yaml").is_none());
        assert!(world("worlds/lanes.yaml").is_none());
        assert!(names_in("profiles").contains(&"lanes"));
    }

    #[test]
    fn an_export_refuses_to_overwrite_unless_asked() {
        let dir = std::env::temp_dir().join(format!("eh-export-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = export(&dir, Overwrite::Never).unwrap();
        assert_eq!(first.written, FILES.len());
        let again = export(&dir, Overwrite::Never).unwrap();
        assert_eq!(again.unchanged, FILES.len());
        let edited = dir.join("profiles/embedded.yaml");
        std::fs::write(&edited, "name: mine\n").unwrap();
        let refused = export(&dir, Overwrite::Never).unwrap_err();
        assert!(
            refused.contains("embedded.yaml") && refused.contains("--force"),
            "{refused}"
        );
        assert_eq!(std::fs::read_to_string(&edited).unwrap(), "name: mine\n");
        let forced = export(&dir, Overwrite::Always).unwrap();
        assert_eq!(forced.written, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
