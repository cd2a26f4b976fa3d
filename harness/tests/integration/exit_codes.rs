//! The documented exit codes, one test per code, from the command as a user runs it: 0 when
//! every case passed, 1 when a case failed, 2 for usage, profile and case-file errors (nothing
//! was judged), the error said once.

use std::path::Path;
use std::process::{Command, Output};

use crate::scratch::Scratch;

const BIN: &str = env!("CARGO_BIN_EXE_eni-harness");

fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `eni-harness ARGS` in the checkout, against the embedded emulator unless told otherwise.
fn harness(args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(checkout())
        .args(args)
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
        .output()
        .unwrap()
}

fn said(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn exit_0_when_every_case_passes() {
    let output = harness(&["run", "cases/assign/by-address-one.yaml", "--no-progress"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("error"),
        "{}",
        said(&output)
    );
}

#[test]
fn exit_1_when_a_case_fails() {
    let scratch = Scratch::new("exit", "failed");
    // The shipped case with one expectation the emulator does not meet: two addresses, not three.
    let source = std::fs::read_to_string(checkout().join("cases/assign/by-address-one.yaml"))
        .unwrap()
        .replace("equals: 2", "equals: 3");
    assert!(source.contains("equals: 3"));
    let case = scratch.0.join("failing.yaml");
    std::fs::write(&case, source).unwrap();
    let output = harness(&["run", case.to_str().unwrap(), "--no-progress"]);
    assert_eq!(output.status.code(), Some(1), "{}", said(&output));
    assert!(said(&output).contains("FAIL"), "{}", said(&output));
}

#[test]
fn exit_2_for_usage_profile_and_case_file_errors_said_once() {
    let output = harness(&["run", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));

    let output = harness(&["run", "--profile", "no-such-profile.yaml", "--no-progress"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("no-such-profile").count(),
        1,
        "said once: {stderr}"
    );

    let scratch = Scratch::new("exit", "usage");
    let case = scratch.0.join("broken.yaml");
    std::fs::write(&case, "id: broken\nsteps: [\n").unwrap();
    let output = harness(&["run", case.to_str().unwrap(), "--no-progress"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("broken.yaml"),
        "{}",
        said(&output)
    );

    let output = harness(&["journal", "no-such-journal.jsonl"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("cannot read the journal").count(),
        1,
        "said once: {stderr}"
    );
}
