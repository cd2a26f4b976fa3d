//! The summary of a journal ([`crate::journal`]) for a terminal, and as JSON for tools.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::escape::terminal;
use crate::journal::{Deviation, Summary};

/// Request numbers as the summary cites them: `#1, #2`.
fn example_list(seqs: &[u64]) -> String {
    let examples: Vec<String> = seqs.iter().map(|seq| format!("#{seq}")).collect();
    examples.join(", ")
}

/// Counts by name as the summary lists them: `name count, name count`, in the map's order.
fn count_list(counts: &BTreeMap<String, usize>) -> String {
    let parts: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    parts.join(", ")
}

/// One section of kinds (deviations or client mistakes) under `heading`, one line per kind:
/// `  LABEL id: description: N request(s), e.g. #1, #2`. Nothing when there are none.
fn render_kinds(out: &mut String, heading: &str, label: &str, kinds: &[Deviation]) {
    if kinds.is_empty() {
        return;
    }
    let _ = writeln!(out, "{heading}");
    for kind in kinds {
        let _ = writeln!(
            out,
            "  {label} {}: {}: {} request(s), e.g. {}",
            terminal(&kind.id),
            terminal(&kind.description),
            kind.count,
            example_list(&kind.examples),
        );
    }
}

/// The summary as the command prints it.
pub(crate) fn render(summary: &Summary, source: &str) -> String {
    let mut out = String::new();
    let span = summary
        .span
        .as_ref()
        .map_or(String::new(), |(first, last)| {
            format!(", {first} to {last}")
        });
    let _ = writeln!(out, "Journal {source}: {} requests{span}", summary.requests);
    let _ = writeln!(
        out,
        "  well-formed: {} of {}; signatures valid: {} of {} checked; 5xx answers: {}",
        summary.well_formed,
        summary.requests,
        summary.signatures_valid,
        summary.signatures_checked,
        summary.server_errors
    );
    let _ = writeln!(out, "  by verdict: {}", count_list(&summary.by_verdict));
    let _ = writeln!(
        out,
        "  by signing: {}; by method: {}",
        count_list(&summary.by_signing),
        count_list(&summary.by_method)
    );
    let _ = writeln!(out, "  by Format: {}", count_list(&summary.by_format));
    let _ = writeln!(out, "  by action:");
    // Actions, parameter names and codes are what clients sent: shown as text, never as
    // terminal controls or lines of their own.
    let width = summary
        .by_action
        .keys()
        .map(|action| terminal(action).chars().count())
        .max()
        .unwrap_or(0);
    for (action, verdicts) in &summary.by_action {
        let action = terminal(action);
        let total: usize = verdicts.values().sum();
        let _ = writeln!(
            out,
            "    {action:<width$}  {total:>5}  ({})",
            count_list(verdicts)
        );
    }
    if summary.problems.is_empty() {
        let _ = writeln!(
            out,
            "No problems: every request was well-formed and correctly signed."
        );
    } else {
        let _ = writeln!(out, "Problems (what the client sent wrong):");
        for problem in &summary.problems {
            let _ = writeln!(
                out,
                "  [{}] {}: {} request(s), e.g. {} — answered by {} ({})",
                terminal(&problem.verdict),
                terminal(&problem.description),
                problem.count,
                example_list(&problem.examples),
                terminal(&problem.rule),
                terminal(&problem.code),
            );
        }
    }
    render_kinds(
        &mut out,
        "Deviations (the contract leaves these open; the emulator decided, see its DECISIONS.md):",
        "deviation",
        &summary.deviations,
    );
    render_kinds(
        &mut out,
        "Client mistakes (answered as the contract says, but a correct client would not send these):",
        "mistake",
        &summary.mistakes,
    );
    let failing = summary.failing();
    if failing == 0 {
        let _ = writeln!(
            out,
            "PASS: no request was malformed, unsigned or badly signed."
        );
    } else {
        let _ = writeln!(
            out,
            "FAIL: {failing} of {} requests were malformed, unsigned, badly signed or refused by authentication.",
            summary.requests
        );
    }
    out
}

/// The summary as JSON, with the gate's verdict: what a tool reads instead of the text.
pub(crate) fn write_json(summary: &Summary, path: &std::path::Path) -> std::io::Result<()> {
    let value = serde_json::json!({
        "passed": summary.failing() == 0,
        "failing": summary.failing(),
        "summary": summary,
    });
    // What clients sent is hostile text: the project's JSON sink escapes it.
    let text = crate::escape::json_pretty(&value).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}
