//! What `eni-harness cleanup` found, for a terminal: a line per leftover ENI.

use std::fmt::Write as _;

use crate::cleanup::Leftover;
use crate::escape::terminal;
use crate::profile::Profile;

/// The heading (how many ENIs named after the profile's prefix, where) and a line per ENI; ids,
/// names and statuses are what the endpoint answered, escaped.
pub(crate) fn listing(leftovers: &[Leftover], profile: &Profile, target: &str) -> String {
    let vswitches: Vec<&str> = profile.vswitches().map(|(_, id, _)| id).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ENIs named `{}*` in {} ({}):",
        leftovers.len(),
        terminal(&profile.resource_prefix),
        terminal(target),
        terminal(&vswitches.join(", "))
    );
    for eni in leftovers {
        let instance = if eni.instance.is_empty() {
            String::new()
        } else {
            format!(" on {}", terminal(&eni.instance))
        };
        let _ = writeln!(
            out,
            "  {:<28} {:<10} {:<26} {}{instance}",
            terminal(&eni.id),
            terminal(&eni.status),
            terminal(&eni.vswitch),
            terminal(&eni.name)
        );
    }
    out
}
