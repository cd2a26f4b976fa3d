//! Finding and loading case files: folders are walked in name order, `invalid/` folders (case
//! files that must fail to parse, kept for their error messages) are passed over, every file is
//! parsed and every error is kept, so one run reports all broken files at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use eni_spec::Case;

/// A parsed case and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case: Case,
    pub path: PathBuf,
}

/// Why cases could not be loaded: every problem found, rendered with file:line:col.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .rendered.join("\n"))]
pub struct SuiteError {
    pub rendered: Vec<String>,
}

/// Folders whose case files are meant not to parse.
pub const INVALID_FOLDER: &str = "invalid";

/// The case files under the given paths (files are taken as given; folders are walked).
pub fn case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SuiteError> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, &mut problems);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            problems.push(format!("error: no such case file or folder: {}", path.display()));
        }
    }
    if problems.is_empty() { Ok(files) } else { Err(SuiteError { rendered: problems }) }
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) => return problems.push(format!("error: cannot read {}: {error}", folder.display())),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != INVALID_FOLDER) {
                walk(&path, files, problems);
            }
        } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
            files.push(path);
        }
    }
}

/// Loads and validates every case file under `paths`. Ids must be unique across the suite.
pub fn load_cases(paths: &[PathBuf]) -> Result<Vec<LoadedCase>, SuiteError> {
    let files = case_files(paths)?;
    let mut cases = Vec::new();
    let mut rendered = Vec::new();
    let mut ids: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in files {
        let origin = path.display().to_string();
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(error) => {
                rendered.push(format!("error: cannot read {origin}: {error}"));
                continue;
            }
        };
        match eni_spec::parse_case(&source, &origin) {
            Ok(case) => {
                if let Some(first) = ids.insert(case.id.clone(), path.clone()) {
                    rendered.push(format!(
                        "error: case id `{}` is used twice\n  --> {origin}\n  = help: it is also the id of {}; ids must be unique",
                        case.id,
                        first.display()
                    ));
                    continue;
                }
                cases.push(LoadedCase { case, path });
            }
            Err(errors) => rendered.extend(errors.iter().map(|error| error.render(&source))),
        }
    }
    if rendered.is_empty() { Ok(cases) } else { Err(SuiteError { rendered }) }
}

/// Keeps the cases a filter selects. Terms are separated by commas and any may match:
/// `tag:NAME`, `id:GLOB` (`*` matches anything), or text found in the id.
pub fn filter_cases(cases: Vec<LoadedCase>, filter: &str) -> Vec<LoadedCase> {
    let terms: Vec<&str> = filter.split(',').map(str::trim).filter(|term| !term.is_empty()).collect();
    if terms.is_empty() {
        return cases;
    }
    cases
        .into_iter()
        .filter(|loaded| terms.iter().any(|term| matches(&loaded.case, term)))
        .collect()
}

fn matches(case: &Case, term: &str) -> bool {
    if let Some(tag) = term.strip_prefix("tag:") {
        case.tags.iter().any(|candidate| candidate == tag)
    } else if let Some(glob) = term.strip_prefix("id:") {
        glob_match(glob, &case.id)
    } else {
        case.id.contains(term)
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_match(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("assign.*", "assign.by-address"));
        assert!(glob_match("*.xml", "describe.xml"));
        assert!(glob_match("a*b*c", "a-x-b-y-c"));
        assert!(!glob_match("a*b*c", "a-x-c"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }
}
