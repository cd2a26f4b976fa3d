//! The summary of a journal ([`crate::journal`]) for a terminal, and as JSON for tools.

use std::fmt::Write as _;

use crate::escape::terminal;
use crate::journal::{Deviation, Summary};

/// One section of kinds (deviations or client mistakes) under `heading`, one line per kind:
/// `  LABEL id: description: N request(s), e.g. #1, #2`. Nothing when there are none.
fn render_kinds(out: &mut String, heading: &str, label: &str, kinds: &[Deviation]) {
    if kinds.is_empty() {
        return;
    }
    let _ = writeln!(out, "{heading}");
    for kind in kinds {
        let examples: Vec<String> = kind.examples.iter().map(|seq| format!("#{seq}")).collect();
        let _ = writeln!(
            out,
            "  {label} {}: {}: {} request(s), e.g. {}",
            terminal(&kind.id),
            terminal(&kind.description),
            kind.count,
            examples.join(", "),
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
    let verdicts: Vec<String> = summary
        .by_verdict
        .iter()
        .map(|(v, n)| format!("{v} {n}"))
        .collect();
    let _ = writeln!(out, "  by verdict: {}", verdicts.join(", "));
    let signing: Vec<String> = summary
        .by_signing
        .iter()
        .map(|(v, n)| format!("{v} {n}"))
        .collect();
    let methods: Vec<String> = summary
        .by_method
        .iter()
        .map(|(v, n)| format!("{v} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "  by signing: {}; by method: {}",
        signing.join(", "),
        methods.join(", ")
    );
    let formats: Vec<String> = summary
        .by_format
        .iter()
        .map(|(v, n)| format!("{v} {n}"))
        .collect();
    let _ = writeln!(out, "  by Format: {}", formats.join(", "));
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
        let parts: Vec<String> = verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
        let _ = writeln!(
            out,
            "    {action:<width$}  {total:>5}  ({})",
            parts.join(", ")
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
            let examples: Vec<String> = problem
                .examples
                .iter()
                .map(|seq| format!("#{seq}"))
                .collect();
            let _ = writeln!(
                out,
                "  [{}] {}: {} request(s), e.g. {} — answered by {} ({})",
                terminal(&problem.verdict),
                terminal(&problem.description),
                problem.count,
                examples.join(", "),
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
