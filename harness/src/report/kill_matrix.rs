//! The kill matrix of [`crate::selftest`] for a terminal and as a Markdown table.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use crate::selftest::Row;

/// Failing case ids shown per row; the rest are counted.
pub(crate) const SHOWN_CASES: usize = 3;

/// The matrix for a terminal.
pub(crate) fn render(rows: &[Row], cases: usize, wall: Duration, over_http: bool) -> String {
    let mut out = String::new();
    let defects = rows.iter().filter(|r| r.defect.is_some()).count();
    let emulator = if over_http {
        "the emulator served on loopback (over HTTP, 2 s transitions)"
    } else {
        "the embedded emulator"
    };
    let _ = writeln!(
        out,
        "Kill matrix: {cases} cases against {emulator}, clean and with each of {defects} planted defects ({:.1} s)",
        wall.as_secs_f64()
    );
    let width = rows.iter().map(|r| r.name().len()).max().unwrap_or(0);
    for row in rows {
        let verdict = match (row.defect, row.ok()) {
            (None, true) => "PASS",
            (None, false) => "FAILS",
            (Some(_), true) => "CAUGHT",
            (Some(_), false) => "NOT CAUGHT",
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {verdict:<10}  {}",
            row.name(),
            findings(row)
        );
    }
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| r.defect.is_some() && !r.ok())
        .map(Row::name)
        .collect();
    let clean_ok = rows.iter().filter(|r| r.defect.is_none()).all(Row::ok);
    match (missed.is_empty(), clean_ok) {
        (true, true) => {
            let _ = writeln!(
                out,
                "PASS: every defect is caught and the clean emulator passes every case."
            );
        }
        _ => {
            if !clean_ok {
                let _ = writeln!(
                    out,
                    "FAIL: the clean emulator fails cases: the suite or the emulator is wrong."
                );
            }
            if !missed.is_empty() {
                let _ = writeln!(out, "FAIL: not caught: {}", missed.join(", "));
            }
        }
    }
    out
}

/// `suite: 12 cases (a, b, c, +9) — expectation, check no_5xx`, or `0 failures`.
fn findings(row: &Row) -> String {
    let parts: Vec<String> = row
        .detections
        .iter()
        .map(|d| {
            if let Some(error) = &d.error {
                return format!("{}: ERROR {error}", d.detector);
            }
            if !d.caught() {
                return format!("{}: 0 failures [{}]", d.detector, d.scope);
            }
            let mut shown: Vec<String> = d.failures.iter().take(SHOWN_CASES).cloned().collect();
            if d.failures.len() > SHOWN_CASES {
                shown.push(format!("+{}", d.failures.len() - SHOWN_CASES));
            }
            let fired: Vec<&str> = d.fired.iter().map(String::as_str).collect();
            format!(
                "{}: {} failing ({}) — {} [{}]",
                d.detector,
                d.failures.len(),
                shown.join(", "),
                fired.join(", "),
                d.scope
            )
        })
        .collect();
    parts.join("; ")
}

/// The matrix as a Markdown table.
pub(crate) fn render_markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| Defect | Verdict | Caught by (first cases) | Checks that fired |\n|---|---|---|---|\n",
    );
    for row in rows {
        let verdict = match (row.defect, row.ok()) {
            (None, true) => "clean: passes",
            (None, false) => "clean: **FAILS**",
            (Some(_), true) => "caught",
            (Some(_), false) => "**NOT CAUGHT**",
        };
        let mut cases = Vec::new();
        let mut fired = BTreeSet::new();
        for detection in &row.detections {
            for id in detection.failures.iter().take(SHOWN_CASES) {
                cases.push(format!(
                    "{}: {}",
                    detection.detector,
                    crate::escape::markdown_code_cell(id)
                ));
            }
            if detection.failures.len() > SHOWN_CASES {
                cases.push(format!(
                    "{}: +{} more",
                    detection.detector,
                    detection.failures.len() - SHOWN_CASES
                ));
            }
            fired.extend(
                detection
                    .fired
                    .iter()
                    .map(|f| crate::escape::markdown_code_cell(f)),
            );
        }
        let doc = row
            .defect
            .map_or(String::new(), |d| format!("<br>{}", d.doc()));
        let _ = writeln!(
            out,
            "| `{}`{doc} | {verdict} | {} | {} |",
            row.name(),
            cases.join("<br>"),
            fired.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    out
}
