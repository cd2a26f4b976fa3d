//! Finding and loading case files: folders are walked in name order, `invalid/` folders (case
//! files that must fail to parse, kept for their error messages) are passed over, every file is
//! parsed and every error is kept, so one run reports all broken files at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use eni_spec::Case;

/// A parsed case and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The case, parsed and validated.
    pub case: Case,
    /// The file it was read from.
    pub path: PathBuf,
}

/// Why cases could not be loaded: every problem found, rendered with file:line:col.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .rendered.join("\n"))]
pub struct SuiteError {
    /// Each problem, rendered as `file:line:col: message`.
    pub rendered: Vec<String>,
}

/// Folders whose case files are meant not to parse.
pub(crate) const INVALID_FOLDER: &str = "invalid";

/// The case files under the given paths (files are taken as given; folders are walked).
pub(crate) fn case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SuiteError> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, &mut problems);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            problems.push(format!(
                "error: no such case file or folder: {}",
                path.display()
            ));
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(SuiteError { rendered: problems })
    }
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) => {
            return problems.push(format!("error: cannot read {}: {error}", folder.display()));
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != INVALID_FOLDER) {
                walk(&path, files, problems);
            }
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
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
    if rendered.is_empty() {
        Ok(cases)
    } else {
        Err(SuiteError { rendered })
    }
}

/// Keeps the cases a filter selects. Terms are separated by commas and any may match:
/// `tag:NAME`, `id:GLOB` (`*` matches anything), or text found in the id.
pub(crate) fn filter_cases(cases: Vec<LoadedCase>, filter: &str) -> Vec<LoadedCase> {
    let terms: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|term| !term.is_empty())
        .collect();
    if terms.is_empty() {
        return cases;
    }
    cases
        .into_iter()
        .filter(|loaded| terms.iter().any(|term| matches(&loaded.case, term)))
        .collect()
}

/// One CI machine's share of the suite: `--shard K/N`, K being 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// A `--shard` value that is not `K/N` with `1 <= K <= N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a shard like 1/4 (K/N with 1 <= K <= N)")]
pub struct ShardError {
    pub text: String,
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let usage = || ShardError {
            text: text.to_string(),
        };
        let (index, count) = text.split_once('/').ok_or_else(usage)?;
        let index: usize = index.trim().parse().map_err(|_| usage())?;
        let count: usize = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || index == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Keeps the shard's cases: sorted by id, the case at position `i` (0-based) belongs to shard
/// `i % N + 1`, as nextest's `--partition count:K/N` deals tests out. Deterministic on every
/// machine that has the same case files and the same `--filter` (apply it first); the shards of
/// one suite are disjoint and together are the whole suite. The kept cases stay in file order.
pub(crate) fn shard_cases(cases: Vec<LoadedCase>, shard: Shard) -> Vec<LoadedCase> {
    let mut ids: Vec<&str> = cases.iter().map(|loaded| loaded.case.id.as_str()).collect();
    ids.sort_unstable();
    let keep: std::collections::BTreeSet<String> = ids
        .iter()
        .enumerate()
        .filter(|(position, _)| position % shard.count == shard.index - 1)
        .map(|(_, id)| id.to_string())
        .collect();
    cases
        .into_iter()
        .filter(|loaded| keep.contains(&loaded.case.id))
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
    fn shards_parse_and_validate() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/3/4", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_the_suite() {
        // Ids in no particular order, as files in folders give them.
        let cases: Vec<LoadedCase> = (0..53)
            .map(|n| {
                let id = format!("topic{}.case-{:02}", n % 5, (n * 37) % 53);
                let source = format!("id: {id}\ntitle: t\nsteps:\n  - name: d\n    action: DescribeNetworkInterfaces\n");
                let case = eni_spec::parse_case(&source, "t.yaml").unwrap_or_else(|_| panic!("{source}"));
                LoadedCase { case, path: PathBuf::from(format!("cases/{id}.yaml")) }
            })
            .collect();
        let all: Vec<String> = cases.iter().map(|loaded| loaded.case.id.clone()).collect();
        assert!(all.len() > 10);
        for count in [1, 2, 3, 7, all.len() + 5] {
            let mut seen: Vec<String> = Vec::new();
            let mut sizes = Vec::new();
            for index in 1..=count {
                let shard: Vec<String> = shard_cases(cases.clone(), Shard { index, count })
                    .into_iter()
                    .map(|loaded| loaded.case.id)
                    .collect();
                sizes.push(shard.len());
                seen.extend(shard);
            }
            let mut expected = all.clone();
            expected.sort();
            seen.sort();
            assert_eq!(
                seen, expected,
                "{count} shards: every case in exactly one shard"
            );
            // Dealt round robin: shard sizes differ by at most one.
            assert!(
                sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
                "{sizes:?}"
            );
        }
        // The same input on another machine (another load order) gives the same shard.
        let mut reversed = cases.clone();
        reversed.reverse();
        let ids = |cases: Vec<LoadedCase>| -> Vec<String> {
            let mut ids: Vec<String> = cases.into_iter().map(|loaded| loaded.case.id).collect();
            ids.sort();
            ids
        };
        let shard = Shard { index: 2, count: 3 };
        assert_eq!(
            ids(shard_cases(cases, shard)),
            ids(shard_cases(reversed, shard))
        );
    }

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
