//! What every report says about its run (when, against what), and the command that reruns a
//! case, quoted for a shell.

/// What a run was, beyond its outcomes: the JSON report and the matrix carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// The profile file given, if any (the embedded profile otherwise).
    pub profile_path: Option<String>,
    /// What a rerun line needs to reproduce a verdict of this run.
    pub rerun: RerunOptions,
    /// The contract the profile follows.
    pub contract: String,
    /// When the run started, RFC 3339 UTC.
    pub started: String,
    /// `K/N` when the run was one shard.
    pub shard: Option<String>,
    /// The `--filter` expression the run used, if any.
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

/// The options of a run that change a verdict, so that a rerun line reproduces it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RerunOptions {
    /// The profile file given, if any.
    pub profile: Option<String>,
    /// `--signing` as given (`v1`, `v3`, `none`).
    pub signing: Option<String>,
    /// `--format` as given (`json`, `xml`).
    pub format: Option<String>,
    /// `--variant` as given.
    pub variant: Option<u64>,
    /// The known-failures file given, if any.
    pub expect_failures: Option<String>,
}

/// How to reproduce a case: the command that reruns just it, with every option of the run that
/// changes its verdict.
pub fn rerun_command(origin: &str, target: &str, options: Option<&RerunOptions>) -> String {
    let mut command = format!("eni-harness run {}", shell_quote(origin));
    if target != "embedded" {
        let target = crate::escape::url_without_userinfo(target);
        command.push_str(&format!(" --target {}", shell_quote(&target)));
    }
    let Some(options) = options else {
        return command;
    };
    let flags = [
        ("--profile", options.profile.clone()),
        ("--signing", options.signing.clone()),
        ("--format", options.format.clone()),
        ("--variant", options.variant.map(|seed| seed.to_string())),
        ("--expect-failures", options.expect_failures.clone()),
    ];
    for (flag, value) in flags {
        if let Some(value) = value {
            command.push_str(&format!(" {flag} {}", shell_quote(&value)));
        }
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

#[cfg(test)]
mod rerun_tests {
    use super::*;

    #[test]
    fn a_rerun_line_carries_every_option_that_changes_the_verdict() {
        let options = RerunOptions {
            profile: Some("profiles/my emulator.yaml".into()),
            signing: Some("v3".into()),
            format: Some("xml".into()),
            variant: Some(7),
            expect_failures: Some("known.yaml".into()),
        };
        let line = rerun_command(
            "cases/a.yaml",
            "http://user:secret@127.0.0.1:8080/",
            Some(&options),
        );
        assert_eq!(
            line,
            "eni-harness run cases/a.yaml --target http://127.0.0.1:8080/ --profile 'profiles/my emulator.yaml' --signing v3 --format xml --variant 7 --expect-failures known.yaml"
        );
        assert_eq!(
            rerun_command("cases/a.yaml", "embedded", None),
            "eni-harness run cases/a.yaml"
        );
    }
}
