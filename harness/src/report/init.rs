//! What `eni-harness init` tells the user once the profile is written: what it read, what the
//! endpoint does not offer, the fixtures written and missing, the cases the profile leaves
//! without a fixture, and the command to run next. Endpoint text goes through
//! [`terminal`], never as terminal controls.

use std::fmt::Write as _;

use crate::escape::terminal;
use crate::init::{Choice, Discovery, SuiteCheck};
use crate::profile::Profile;

/// The lines after a profile was discovered from `shown` and written to `out`.
pub(crate) fn written(
    found: &Discovery,
    choice: &Choice,
    profile: &Profile,
    shown: &str,
    out: &str,
) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Read {shown} (region {}): {} ENIs, {} instances, {} VSwitches, {} security groups",
        terminal(&found.region),
        found.enis.len(),
        found.instances.len(),
        found.vswitches.len(),
        found.security_groups.len()
    );
    for line in &found.unavailable {
        let _ = writeln!(text, "  not offered: {}", terminal(line));
    }
    for line in &found.notes {
        let _ = writeln!(text, "  note: {}", terminal(line));
    }
    let _ = writeln!(
        text,
        "Wrote {out} with {} fixtures ({})",
        profile.fixtures.len(),
        profile
            .fixtures
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (name, (reason, _)) in &choice.missing {
        let _ = writeln!(text, "  missing {name}: {}", terminal(reason));
    }
    text
}

/// Which cases of the suite the written profile leaves without a fixture, and the next step.
pub(crate) fn suite_check(check: &SuiteCheck, shown: &str, out: &str) -> String {
    let mut text = String::new();
    match check {
        SuiteCheck::Checked { suite, skipped, .. } if skipped.is_empty() => {
            let _ = writeln!(text, "Every case of {suite} has its fixtures");
        }
        SuiteCheck::Checked { cases, skipped, .. } => {
            let _ = writeln!(
                text,
                "{} of {cases} cases will be skipped for lack of a fixture (fill in the MISSING entries of the profile):",
                skipped.len(),
            );
            for (id, missing) in skipped {
                let _ = writeln!(text, "  {id}: needs {}", missing.join(", "));
            }
        }
        SuiteCheck::NotChecked { suite, why } => {
            let _ = writeln!(text, "(cases not checked: {suite}: {})", terminal(why));
        }
    }
    let _ = writeln!(
        text,
        "Next: eni-harness run --target {shown} --profile {out}"
    );
    text
}
