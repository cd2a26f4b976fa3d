//! Builds the table of the suite the binary carries: every file under `cases/`, `snapshots/`,
//! `profiles/`, `schemas/` and `harness/emulator/worlds/`, each kept by `include_bytes!` under
//! its repository path, so an installed binary runs the suite from any folder while the
//! repository's files stay the one source (`harness/src/builtin.rs` reads the table).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The folders carried, as repository paths.
const ROOTS: &[&str] = &[
    "cases",
    "snapshots",
    "profiles",
    "schemas",
    "harness/emulator/worlds",
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = Vec::new();
    for root in ROOTS {
        // A folder named here rebuilds the table when any file below it is added or removed
        // (cargo scans a folder's entries); `include_bytes!` tracks each file's content.
        println!("cargo::rerun-if-changed={root}");
        walk(&manifest, &manifest.join(root), &mut files);
    }
    files.sort();
    let mut table = String::from("&[\n");
    for (relative, absolute) in &files {
        writeln!(
            table,
            "    ({relative:?}, include_bytes!({:?}) as &[u8]),",
            absolute.display().to_string()
        )
        .expect("writing to a String");
    }
    table.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("builtin_files.rs"), table).expect("OUT_DIR is writable");
}

fn walk(manifest: &Path, folder: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(manifest, &path, files);
            continue;
        }
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        // Pending snapshots (`cargo insta` and `--snapshots update` leftovers) are not the suite.
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") || name.starts_with('.') {
            continue;
        }
        let Ok(relative) = path.strip_prefix(manifest) else {
            continue;
        };
        // Repository paths with `/`, whatever the build machine's separator.
        let relative: Vec<String> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        files.push((relative.join("/"), path));
    }
}
