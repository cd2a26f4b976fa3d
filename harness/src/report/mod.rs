//! Reports of a suite run: the console (a line per case, details of every failure with its
//! reproduction, a summary), JUnit XML for CI systems, JSON for tools, and the conformance
//! matrix (case × target) as Markdown and HTML.

pub mod console;
pub mod json;
pub mod junit;
pub mod matrix;

/// What a run was, beyond its outcomes: the JSON report and the matrix carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// The profile file given, if any (the embedded profile otherwise).
    pub profile_path: Option<String>,
    /// The contract the profile follows.
    pub contract: String,
    /// When the run started, RFC 3339 UTC.
    pub started: String,
    /// `K/N` when the run was one shard.
    pub shard: Option<String>,
    pub filter: Option<String>,
    /// The known-failures file given, if any.
    pub known_failures: Option<String>,
    /// Known-failures entries found stale (they fail the run).
    pub stale_known_failures: Vec<String>,
    /// Known-failures entries this run could not judge.
    pub unverified_known_failures: Vec<String>,
}

impl RunInfo {
    /// Whether the run failed: a case failed, or a known-failures entry is stale.
    pub fn failed(&self, report: &crate::runner::SuiteReport) -> bool {
        report.failed() > 0 || !self.stale_known_failures.is_empty()
    }
}

/// Now, RFC 3339 UTC to the second.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How to reproduce a case: the command that reruns just it.
pub fn rerun_command(origin: &str, target: &str, profile_path: Option<&str>) -> String {
    let mut command = format!("eni-harness run {}", shell_quote(origin));
    if target != "embedded" {
        let target = crate::escape::url_without_userinfo(target);
        command.push_str(&format!(" --target {}", shell_quote(&target)));
    }
    if let Some(profile) = profile_path {
        command.push_str(&format!(" --profile {}", shell_quote(profile)));
    }
    command
}

/// Quotes a word for POSIX shells when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
