//! Reports of a suite run: the console (a line per case, details of every failure with its
//! reproduction, a summary), JUnit XML for CI systems, and JSON for tools.

pub mod console;
pub mod json;
pub mod junit;

/// How to reproduce a case: the command that reruns just it.
pub fn rerun_command(origin: &str, target: &str, profile_path: Option<&str>) -> String {
    let mut command = format!("eni-harness run {}", shell_quote(origin));
    if target != "embedded" {
        command.push_str(&format!(" --target {}", shell_quote(target)));
    }
    if let Some(profile) = profile_path {
        command.push_str(&format!(" --profile {}", shell_quote(profile)));
    }
    command
}

/// Quotes a word for POSIX shells when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}
