//! The conformance matrix: one row per case, one column per target, each cell pass, fail,
//! expected failure, skip or not run. Built from JSON reports (`eni-harness matrix`), where the
//! reports of one target and profile (the shards of a run) merge into one column, or from one
//! run (`run --markdown/--html`). Rendered as Markdown (for a CI summary or a pull request) and
//! as a self-contained HTML page (inline CSS, no scripts).

use std::collections::BTreeMap;

/// The most of one failure kept from a report for the page, in bytes: a snapshot diff fits.
const DETAIL_LIMIT: usize = 16 * 1024;
use std::fmt::Write;

use serde::Deserialize;

use super::RunInfo;
use crate::escape::{
    first_line, html, html_lines, markdown as md, markdown_code, markdown_code_cell,
    url_without_userinfo,
};
use crate::runner::{SuiteReport, Verdict};

/// What one cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CellKind {
    Pass,
    Fail,
    ExpectedFailure,
    Skip,
    /// The case is not in this target's reports.
    NotRun,
}

impl CellKind {
    fn from_name(name: &str) -> CellKind {
        match name {
            "pass" => CellKind::Pass,
            "xfail" => CellKind::ExpectedFailure,
            "skip" => CellKind::Skip,
            _ => CellKind::Fail,
        }
    }

    fn markdown(self) -> &'static str {
        match self {
            CellKind::Pass => "✅ pass",
            CellKind::Fail => "❌ fail",
            CellKind::ExpectedFailure => "⚠️ xfail",
            CellKind::Skip => "⏭️ skip",
            CellKind::NotRun => "·",
        }
    }

    fn html(self) -> (&'static str, &'static str) {
        match self {
            CellKind::Pass => ("pass", "pass"),
            CellKind::Fail => ("fail", "FAIL"),
            CellKind::ExpectedFailure => ("xfail", "xfail"),
            CellKind::Skip => ("skip", "skip"),
            CellKind::NotRun => ("none", "·"),
        }
    }
}

/// One cell: its kind and a one-line note (first failure, known-failure reason, skip reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub kind: CellKind,
    pub note: String,
    /// Every failure in full (expected against actual, a snapshot diff), for a page that
    /// opens a failure.
    pub details: Vec<String>,
    /// The command that reruns the case against this target (empty when unknown).
    pub rerun: String,
}

impl Cell {
    fn not_run() -> Cell {
        Cell {
            kind: CellKind::NotRun,
            note: String::new(),
            details: Vec::new(),
            rerun: String::new(),
        }
    }
}

/// What a row's case says of itself: its tags and the codes its steps expect (the coverage
/// view reads both).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CaseMeta {
    pub tags: Vec<String>,
    pub codes: Vec<String>,
}

/// One target (and profile): the runs against it, merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub target: String,
    pub profile: String,
    pub contract: String,
    pub harness: String,
    pub started: String,
    /// The shards merged into this column (`1/4`, `2/4`, …), when the runs were sharded.
    pub shards: Vec<String>,
    /// Known-failure entries that went stale in these runs.
    pub stale: Vec<String>,
}

impl Column {
    pub(crate) fn label(&self) -> String {
        format!("{} ({})", self.target, self.profile)
    }
}

/// The matrix: columns in the order first met, rows sorted by case id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Matrix {
    pub columns: Vec<Column>,
    /// Case id → (title, a cell per column).
    pub rows: BTreeMap<String, (String, Vec<Cell>)>,
    /// Case id → its tags and expected codes, as the last report naming it gave them.
    pub meta: BTreeMap<String, CaseMeta>,
}

/// A JSON report as the matrix reads it: the fields it needs, unknown fields ignored, so older
/// and newer reports both load.
#[derive(Debug, Deserialize)]
struct InputReport {
    target: String,
    profile: String,
    #[serde(default)]
    contract: String,
    #[serde(default)]
    harness: String,
    #[serde(default)]
    started: String,
    #[serde(default)]
    shard: Option<String>,
    #[serde(default)]
    stale_known_failures: Vec<String>,
    cases: Vec<InputCase>,
}

#[derive(Debug, Deserialize)]
struct InputCase {
    id: String,
    #[serde(default)]
    title: String,
    verdict: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    failures: Vec<InputFailure>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    rerun: String,
}

#[derive(Debug, Deserialize)]
struct InputFailure {
    #[serde(default)]
    section: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    message: String,
}

impl Matrix {
    /// Adds a JSON report (`run --json`). Reports of the same target and profile share a column;
    /// a case met twice in one column keeps its last verdict.
    pub(crate) fn add_json(&mut self, json: &str, origin: &str) -> Result<(), String> {
        let report: InputReport = serde_json::from_str(json)
            .map_err(|error| format!("{origin} is not an eni-harness JSON report: {error}"))?;
        let column = self.column(Column {
            // A report from elsewhere may name a target with credentials in its URL.
            target: url_without_userinfo(&report.target).into_owned(),
            profile: report.profile,
            contract: report.contract,
            harness: report.harness,
            started: report.started,
            shards: report.shard.into_iter().collect(),
            stale: report.stale_known_failures,
        });
        for case in report.cases {
            let kind = CellKind::from_name(&case.verdict);
            let note = match kind {
                CellKind::Fail => case.failures.first().map_or(String::new(), |failure| {
                    format!(
                        "{}.{}: {}",
                        failure.section,
                        failure.step,
                        first_line(&failure.message)
                    )
                }),
                _ => case.reason.unwrap_or_default(),
            };
            // A report written elsewhere may quote an endpoint at any length.
            let note = crate::escape::cut(&note, crate::escape::LINE_LIMIT).into_owned();
            let details = case
                .failures
                .iter()
                .map(|f| {
                    let text = format!("{}.{}: {}", f.section, f.step, f.message);
                    crate::escape::cut(&text, DETAIL_LIMIT).into_owned()
                })
                .collect();
            let rerun = crate::escape::cut(&case.rerun, crate::escape::LINE_LIMIT).into_owned();
            self.meta.insert(
                case.id.clone(),
                CaseMeta {
                    tags: case.tags,
                    codes: case.codes,
                },
            );
            self.set(
                column,
                &case.id,
                &case.title,
                Cell {
                    kind,
                    note,
                    details,
                    rerun,
                },
            );
        }
        Ok(())
    }

    /// Adds a run that just finished.
    pub(crate) fn add_run(&mut self, report: &SuiteReport, info: &RunInfo) {
        let column = self.column(Column {
            target: report.target.clone(),
            profile: report.profile.clone(),
            contract: info.contract.clone(),
            harness: env!("CARGO_PKG_VERSION").to_string(),
            started: info.started.clone(),
            shards: info.shard.iter().cloned().collect(),
            stale: info.stale_known_failures.clone(),
        });
        for outcome in &report.outcomes {
            let (kind, note) = match &outcome.verdict {
                Verdict::Pass => (CellKind::Pass, String::new()),
                Verdict::Fail => (
                    CellKind::Fail,
                    outcome.failures.first().map_or(String::new(), |failure| {
                        format!(
                            "{}.{}: {}",
                            failure.section.name(),
                            failure.step,
                            first_line(&failure.message)
                        )
                    }),
                ),
                Verdict::Flaky => (
                    CellKind::Pass,
                    format!(
                        "flaky: passed on attempt {}",
                        outcome.failed_attempts.len() + 1
                    ),
                ),
                Verdict::Skip(reason) => (CellKind::Skip, reason.clone()),
                Verdict::ExpectedFailure(reason) => (CellKind::ExpectedFailure, reason.clone()),
            };
            let details = outcome
                .failures
                .iter()
                .map(|f| format!("{}.{}: {}", f.section.name(), f.step, f.message))
                .collect();
            let rerun = super::rerun_command(&outcome.origin, &report.target, Some(&info.rerun));
            self.meta.insert(
                outcome.id.clone(),
                CaseMeta {
                    tags: outcome.tags.clone(),
                    codes: outcome.codes.clone(),
                },
            );
            self.set(
                column,
                &outcome.id,
                &outcome.title,
                Cell {
                    kind,
                    note,
                    details,
                    rerun,
                },
            );
        }
    }

    fn column(&mut self, new: Column) -> usize {
        if let Some(index) = self
            .columns
            .iter()
            .position(|column| column.target == new.target && column.profile == new.profile)
        {
            let column = &mut self.columns[index];
            column.shards.extend(new.shards);
            column.shards.sort();
            column.shards.dedup();
            column.stale.extend(new.stale);
            if column.started.is_empty()
                || (!new.started.is_empty() && new.started < column.started)
            {
                column.started = new.started;
            }
            return index;
        }
        self.columns.push(new);
        for (_, cells) in self.rows.values_mut() {
            cells.push(Cell::not_run());
        }
        self.columns.len() - 1
    }

    fn set(&mut self, column: usize, id: &str, title: &str, cell: Cell) {
        let width = self.columns.len();
        let (row_title, cells) = self
            .rows
            .entry(id.to_string())
            .or_insert_with(|| (title.to_string(), vec![Cell::not_run(); width]));
        if row_title.is_empty() {
            *row_title = title.to_string();
        }
        cells[column] = cell;
    }

    /// Cells of each kind in a column.
    pub(crate) fn counts(&self, column: usize) -> BTreeMap<CellKind, usize> {
        let mut counts = BTreeMap::new();
        for (_, cells) in self.rows.values() {
            *counts.entry(cells[column].kind).or_insert(0) += 1;
        }
        counts
    }

    /// `142 pass · 3 fail · 2 xfail · 1 skip (97.9% of judged cases pass)`.
    fn summary(&self, column: usize) -> String {
        let counts = self.counts(column);
        let get = |kind| counts.get(&kind).copied().unwrap_or(0);
        let mut parts = vec![
            format!("{} pass", get(CellKind::Pass)),
            format!("{} fail", get(CellKind::Fail)),
        ];
        for (kind, name) in [
            (CellKind::ExpectedFailure, "xfail"),
            (CellKind::Skip, "skip"),
            (CellKind::NotRun, "not run"),
        ] {
            if get(kind) > 0 {
                parts.push(format!("{} {name}", get(kind)));
            }
        }
        let judged = get(CellKind::Pass) + get(CellKind::Fail) + get(CellKind::ExpectedFailure);
        if judged > 0 {
            let rate = 100.0 * get(CellKind::Pass) as f64 / judged as f64;
            format!("{} ({rate:.1}% of judged cases pass)", parts.join(" · "))
        } else {
            parts.join(" · ")
        }
    }

    /// The targets table as both pages show it: each column, its target cell and its result
    /// summary. The target cell is the target escaped by `escape`, then, when the column was
    /// merged from shards, their list marked up by `shards_note`: each page brings its own.
    fn target_rows(
        &self,
        escape: fn(&str) -> String,
        shards_note: fn(&str) -> String,
    ) -> impl Iterator<Item = (&Column, String, String)> {
        self.columns.iter().enumerate().map(move |(index, column)| {
            let mut target = escape(&column.target);
            if !column.shards.is_empty() {
                target.push_str(&shards_note(&column.shards.join(", ")));
            }
            (column, target, self.summary(index))
        })
    }

    /// Every column's known-failure entries that went stale (they fail the run), in column order.
    fn stale_known_failures(&self) -> Vec<(&Column, &String)> {
        self.columns
            .iter()
            .flat_map(|column| column.stale.iter().map(move |stale| (column, stale)))
            .collect()
    }

    /// Rows where some cell is not a pass: what a reader looks for first.
    fn notes(&self) -> Vec<(&str, &str, usize, &Cell)> {
        let mut notes = Vec::new();
        for (id, (title, cells)) in &self.rows {
            for (column, cell) in cells.iter().enumerate() {
                if matches!(cell.kind, CellKind::Fail | CellKind::ExpectedFailure) {
                    notes.push((id.as_str(), title.as_str(), column, cell));
                }
            }
        }
        notes
    }

    pub(crate) fn markdown(&self) -> String {
        let mut out = String::from("# ENI private-IP API conformance matrix\n\n");
        if self.columns.is_empty() {
            out.push_str("No reports.\n");
            return out;
        }
        out.push_str("| Target | Profile | Contract | Result |\n|---|---|---|---|\n");
        for (column, target, summary) in
            self.target_rows(md, |shards| format!(" (shards {shards})"))
        {
            let _ = writeln!(
                out,
                "| {target} | {} | {} | {summary} |",
                md(&column.profile),
                md(&column.contract),
            );
        }
        out.push_str(&self.coverage_markdown());
        out.push_str("\nLegend: ✅ pass · ❌ fail · ⚠️ xfail (expected failure: a known gap of that target) · ⏭️ skip (the case needs what the target lacks) · `·` not run\n\n");
        out.push_str("| Case |");
        for column in &self.columns {
            let _ = write!(out, " {} |", md(&column.label()));
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(self.columns.len()));
        out.push('\n');
        for (id, (_, cells)) in &self.rows {
            let _ = write!(out, "| {} |", markdown_code_cell(id));
            for cell in cells {
                let _ = write!(out, " {} |", cell.kind.markdown());
            }
            out.push('\n');
        }
        let notes = self.notes();
        if !notes.is_empty() {
            out.push_str("\n## Failures and known gaps\n\n");
            for (id, title, column, cell) in notes {
                let _ = writeln!(
                    out,
                    "- {} {} on {} — {}: {}",
                    cell.kind.markdown(),
                    markdown_code(id),
                    md(&self.columns[column].label()),
                    md(first_line(title)),
                    md(first_line(&cell.note))
                );
            }
        }
        let stale = self.stale_known_failures();
        if !stale.is_empty() {
            out.push_str("\n## Stale known failures (they fail the run)\n\n");
            for (column, stale) in stale {
                let _ = writeln!(out, "- {}: {}", md(&column.label()), md(stale));
            }
        }
        out
    }

    /// The coverage view as Markdown: areas as rows, targets as columns, pass rates, then what
    /// no case reached on each target.
    fn coverage_markdown(&self) -> String {
        let view = super::coverage::view(self);
        let mut out = String::from("\n## Coverage by contract area\n\n| Area | Cases |");
        for column in &self.columns {
            let _ = write!(out, " {} |", md(&column.label()));
        }
        out.push_str("\n|---|---|");
        out.push_str(&"---|".repeat(self.columns.len()));
        out.push('\n');
        for area in &view {
            let _ = write!(out, "| {} | {} |", md(area.title), area.cases.len());
            for col in &area.targets {
                let mark = if col.failed > 0 { "❌ " } else { "" };
                let _ = write!(out, " {mark}{} |", super::coverage::rate_text(col));
            }
            out.push('\n');
        }
        for area in view.iter().filter(|area| !area.rows.is_empty()) {
            let _ = write!(
                out,
                "\n### {}: rows and their cases\n\n| Row | Cases |",
                md(area.title)
            );
            for column in &self.columns {
                let _ = write!(out, " {} |", md(&column.label()));
            }
            out.push_str("\n|---|---|");
            out.push_str(&"---|".repeat(self.columns.len()));
            out.push('\n');
            for (label, cases) in &area.rows {
                let ids: Vec<String> = cases.iter().map(|id| markdown_code_cell(id)).collect();
                let _ = write!(out, "| {} | {} |", md(label), ids.join(" "));
                for column in 0..self.columns.len() {
                    let kinds: Vec<CellKind> = cases
                        .iter()
                        .map(|id| self.rows[id].1[column].kind)
                        .collect();
                    let passed = kinds.iter().filter(|k| **k == CellKind::Pass).count();
                    let judged = kinds
                        .iter()
                        .filter(|k| {
                            matches!(
                                k,
                                CellKind::Pass | CellKind::Fail | CellKind::ExpectedFailure
                            )
                        })
                        .count();
                    let cell = if judged == 0 {
                        "not reached".to_string()
                    } else if passed == judged {
                        format!("✅ {passed}/{judged}")
                    } else {
                        format!("❌ {passed}/{judged}")
                    };
                    let _ = write!(out, " {cell} |");
                }
                out.push('\n');
            }
        }
        for (index, column) in self.columns.iter().enumerate() {
            let mut lines = Vec::new();
            for area in &view {
                let col = &area.targets[index];
                if !col.rows_not_reached.is_empty() {
                    lines.push(format!(
                        "- {}: rows not reached: {}",
                        md(area.title),
                        md(&col.rows_not_reached.join("; "))
                    ));
                }
                if !col.codes_not_reached.is_empty() {
                    let codes: Vec<String> = col
                        .codes_not_reached
                        .iter()
                        .map(|c| markdown_code(c))
                        .collect();
                    lines.push(format!(
                        "- {}: documented codes no case reached: {}",
                        md(area.title),
                        codes.join(", ")
                    ));
                }
            }
            if !lines.is_empty() {
                let _ = writeln!(out, "\nNot reached on {}:\n", md(&column.label()));
                for line in lines {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        out
    }

    /// The coverage view as HTML: a grid of areas × targets coloured by pass rate; an area
    /// opens to its cases, a failed case to its failures and reproduction.
    fn coverage_html(&self, out: &mut String) {
        let view = super::coverage::view(self);
        out.push_str("<h2>Coverage by contract area</h2>\n<table class=\"coverage\">\n<thead><tr><th>Area</th>");
        for column in &self.columns {
            let _ = write!(
                out,
                "<th>{}<br><small>{} · {}</small></th>",
                html(&column.target),
                html(&column.profile),
                html(&column.contract)
            );
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for area in &view {
            let _ = write!(
                out,
                "<tr><td class=\"area\"><details><summary><b>{}</b> <small>{} cases</small></summary><table class=\"cases\">",
                html(area.title),
                area.cases.len()
            );
            for id in &area.cases {
                let (title, cells) = &self.rows[id];
                html_case_cell(out, id, title);
                for cell in cells {
                    let (class, text) = cell.kind.html();
                    let _ = write!(out, "<td class=\"{class}\">{text}</td>");
                }
                out.push_str("</tr>");
            }
            out.push_str("</table>");
            if !area.rows.is_empty() {
                out.push_str("<table class=\"cases\"><tr><th>Row</th><th>Cases</th></tr>");
                for (label, cases) in &area.rows {
                    let ids: Vec<String> = cases
                        .iter()
                        .map(|id| format!("<code>{}</code>", html(id)))
                        .collect();
                    let _ = write!(
                        out,
                        "<tr><td>{}</td><td>{}</td></tr>",
                        html(label),
                        if ids.is_empty() {
                            "none".to_string()
                        } else {
                            ids.join(" ")
                        }
                    );
                }
                out.push_str("</table>");
            }
            out.push_str("</details></td>");
            for col in &area.targets {
                let class = match col.pass_rate {
                    None => "none",
                    Some(rate) if rate >= 100.0 => "r100",
                    Some(rate) if rate >= 90.0 => "r90",
                    Some(rate) if rate >= 50.0 => "r50",
                    Some(_) => "r0",
                };
                // In steps of 5, as classes: the page sets no inline style.
                let width = col
                    .pass_rate
                    .map_or(0, |rate| (rate.clamp(0.0, 100.0) / 5.0).floor() as u32 * 5);
                let _ = write!(
                    out,
                    "<td class=\"rate {class}\"><span class=\"big\">{}</span><div class=\"bar\"><div class=\"w{width}\"></div></div>",
                    html(&super::coverage::rate_text(col))
                );
                let mut extra = Vec::new();
                if col.skipped > 0 {
                    extra.push(format!("{} skipped", col.skipped));
                }
                if col.expected_failures > 0 {
                    extra.push(format!("{} xfail", col.expected_failures));
                }
                if !extra.is_empty() {
                    let _ = write!(out, "<small>{}</small>", html(&extra.join(" · ")));
                }
                if !col.rows_not_reached.is_empty() {
                    let _ = write!(
                        out,
                        "<div class=\"gap\">rows not reached: {}</div>",
                        html(&col.rows_not_reached.join("; "))
                    );
                }
                if !col.codes_not_reached.is_empty() {
                    let _ = write!(
                        out,
                        "<div class=\"gap\">codes not reached: {}</div>",
                        html(&col.codes_not_reached.join(", "))
                    );
                }
                out.push_str("</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n<p class=\"legend\">A cell gives passed of judged cases (skipped ones are not judged) and what no case reached on that target; open an area for its cases.</p>\n");
    }

    pub(crate) fn html(&self) -> String {
        let mut out = String::from(HTML_HEAD);
        out.push_str("<h1>ENI private-IP API conformance matrix</h1>\n");
        if self.columns.is_empty() {
            out.push_str("<p>No reports.</p>\n</body>\n</html>\n");
            return out;
        }
        out.push_str("<table class=\"targets\">\n<thead><tr><th>Target</th><th>Profile</th><th>Contract</th><th>Harness</th><th>Started</th><th>Result</th></tr></thead>\n<tbody>\n");
        for (column, target, summary) in self.target_rows(html, |shards| {
            format!(" <small>(shards {})</small>", html(shards))
        }) {
            let _ = writeln!(
                out,
                "<tr><td>{target}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html(&column.profile),
                html(&column.contract),
                html(&column.harness),
                html(&column.started),
                html(&summary)
            );
        }
        out.push_str("</tbody>\n</table>\n");
        self.coverage_html(&mut out);
        let notes = self.notes();
        if !notes.is_empty() {
            out.push_str("<h2>Failures and known gaps</h2>\n");
            for (id, title, column, cell) in &notes {
                let (class, text) = cell.kind.html();
                let _ = write!(
                    out,
                    "<details class=\"failure\"><summary><span class=\"{class}\">{text}</span> <code>{}</code> on {} — {}: {}</summary>",
                    html(id),
                    html(&self.columns[*column].label()),
                    html(title),
                    html(&cell.note)
                );
                for detail in &cell.details {
                    let _ = write!(out, "<pre>{}</pre>", html_lines(detail));
                }
                if !cell.rerun.is_empty() {
                    let _ = write!(out, "<p>Reproduce: <code>{}</code></p>", html(&cell.rerun));
                }
                out.push_str("</details>\n");
            }
        }
        out.push_str("<h2>Every case</h2>\n");
        out.push_str("<p class=\"legend\"><span class=\"pass\">pass</span> <span class=\"fail\">FAIL</span> <span class=\"xfail\">xfail</span> expected failure (a known gap) <span class=\"skip\">skip</span> the case needs what the target lacks <span class=\"none\">·</span> not run. Hover a cell for its first failure or reason.</p>\n");
        out.push_str("<table class=\"matrix\">\n<thead><tr><th>Case</th>");
        for column in &self.columns {
            let _ = write!(
                out,
                "<th>{}<br><small>{}</small></th>",
                html(&column.target),
                html(&column.profile)
            );
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for (id, (title, cells)) in &self.rows {
            html_case_cell(&mut out, id, title);
            for cell in cells {
                let (class, text) = cell.kind.html();
                if cell.note.is_empty() {
                    let _ = write!(out, "<td class=\"{class}\">{text}</td>");
                } else {
                    let _ = write!(
                        out,
                        "<td class=\"{class}\" title=\"{}\">{text}</td>",
                        html(&cell.note)
                    );
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");

        let stale = self.stale_known_failures();
        if !stale.is_empty() {
            out.push_str("<h2>Stale known failures (they fail the run)</h2>\n<ul>\n");
            for (column, stale) in stale {
                let _ = writeln!(out, "<li>{}: {}</li>", html(&column.label()), html(stale));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

/// Opens a case's row of an HTML table: the case id, its title shown on hover.
fn html_case_cell(out: &mut String, id: &str, title: &str) {
    let _ = write!(
        out,
        "<tr><td title=\"{}\"><code>{}</code></td>",
        html(title),
        html(id)
    );
}

const HTML_HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ENI private-IP API conformance matrix</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1f2328; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: left; font-size: 0.9rem; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
table.matrix td:not(:first-child) { text-align: center; }
code { font-size: 0.85rem; }
.pass { background: #dafbe1; color: #116329; }
.fail { background: #ffebe9; color: #a40e26; font-weight: bold; }
.xfail { background: #fff8c5; color: #7d4e00; }
.skip { background: #eaeef2; color: #57606a; }
.none { color: #8c959f; }
.legend span { display: inline-block; padding: 0 0.4rem; border-radius: 3px; }
table.coverage td.rate { min-width: 11rem; vertical-align: top; }
table.coverage td.area { vertical-align: top; min-width: 22rem; }
table.coverage .big { font-size: 1.15rem; font-weight: 600; }
.bar { background: #eaeef2; height: 0.4rem; border-radius: 2px; margin: 0.2rem 0; }
.bar div { background: #1a7f37; height: 100%; border-radius: 2px; }
.w0 { width: 0%; }
.w5 { width: 5%; }
.w10 { width: 10%; }
.w15 { width: 15%; }
.w20 { width: 20%; }
.w25 { width: 25%; }
.w30 { width: 30%; }
.w35 { width: 35%; }
.w40 { width: 40%; }
.w45 { width: 45%; }
.w50 { width: 50%; }
.w55 { width: 55%; }
.w60 { width: 60%; }
.w65 { width: 65%; }
.w70 { width: 70%; }
.w75 { width: 75%; }
.w80 { width: 80%; }
.w85 { width: 85%; }
.w90 { width: 90%; }
.w95 { width: 95%; }
.w100 { width: 100%; }
.r100 { background: #dafbe1; }
.r90 { background: #eef9e0; }
.r50 { background: #fff8c5; }
.r0 { background: #ffebe9; }
.gap { color: #a40e26; font-size: 0.8rem; max-width: 22rem; }
table.cases { margin: 0.4rem 0; }
table.cases td { font-size: 0.8rem; padding: 0.1rem 0.4rem; }
summary { cursor: pointer; }
details.failure { margin: 0.3rem 0; }
details.failure pre { background: #f6f8fa; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; max-height: 30rem; }
</style>
</head>
<body>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    const EMBEDDED: &str = r#"{
      "format": "eni-harness-report/1", "harness": "0.1.0", "target": "embedded", "profile": "embedded",
      "contract": "seed", "started": "2025-01-02T03:04:05Z",
      "cases": [
        {"id": "assign.by-address", "title": "Assign by address", "verdict": "pass", "failures": []},
        {"id": "assign.row-13", "title": "Outside the <CIDR>", "verdict": "pass", "failures": []},
        {"id": "wire.knobs", "title": "Needs knobs", "verdict": "pass", "failures": []}
      ]
    }"#;

    const THEIRS_SHARD_1: &str = r#"{
      "target": "http://127.0.0.1:8080/", "profile": "theirs", "contract": "current", "harness": "0.1.0",
      "started": "2025-01-02T03:05:00Z", "shard": "1/2",
      "cases": [
        {"id": "assign.by-address", "title": "Assign by address", "verdict": "fail",
         "failures": [{"section": "steps", "step": "assign", "kind": "expectation", "message": "status 500, expected 200 | body\nmore"}]},
        {"id": "wire.knobs", "title": "Needs knobs", "verdict": "skip", "reason": "needs emulator knobs"}
      ]
    }"#;

    const THEIRS_SHARD_2: &str = r#"{
      "target": "http://127.0.0.1:8080/", "profile": "theirs", "contract": "current", "harness": "0.1.0",
      "started": "2025-01-02T03:04:59Z", "shard": "2/2", "stale_known_failures": ["check no_5xx is known to fail (r), but no case failed it"],
      "cases": [
        {"id": "assign.row-13", "title": "Outside the <CIDR>", "verdict": "xfail", "reason": "accepts reserved addresses (https://example.com/1)", "failures": []}
      ]
    }"#;

    fn matrix() -> Matrix {
        let mut matrix = Matrix::default();
        matrix.add_json(EMBEDDED, "embedded.json").unwrap();
        matrix.add_json(THEIRS_SHARD_1, "theirs-1.json").unwrap();
        matrix.add_json(THEIRS_SHARD_2, "theirs-2.json").unwrap();
        matrix
    }

    #[test]
    fn shards_of_one_target_merge_into_one_column() {
        let matrix = matrix();
        assert_eq!(matrix.columns.len(), 2);
        assert_eq!(
            matrix.columns[1].shards,
            vec!["1/2".to_string(), "2/2".to_string()]
        );
        assert_eq!(matrix.columns[1].started, "2025-01-02T03:04:59Z");
        let counts = matrix.counts(1);
        assert_eq!(counts.get(&CellKind::Fail), Some(&1));
        assert_eq!(counts.get(&CellKind::ExpectedFailure), Some(&1));
        assert_eq!(counts.get(&CellKind::Skip), Some(&1));
    }

    #[test]
    fn a_case_missing_from_a_target_is_not_run() {
        let mut matrix = Matrix::default();
        matrix.add_json(THEIRS_SHARD_2, "theirs-2.json").unwrap();
        matrix.add_json(EMBEDDED, "embedded.json").unwrap();
        let (_, cells) = &matrix.rows["assign.by-address"];
        assert_eq!(cells[0].kind, CellKind::NotRun);
        assert_eq!(cells[1].kind, CellKind::Pass);
    }

    #[test]
    fn not_a_report_is_explained() {
        let error = Matrix::default()
            .add_json("{\"cases\": []}", "x.json")
            .unwrap_err();
        assert!(
            error.contains("x.json is not an eni-harness JSON report"),
            "{error}"
        );
    }

    /// A report written against a hostile endpoint: escapes, markup, credentials in the URL.
    const HOSTILE: &str = r#"{
      "target": "http://user:s3cret@127.0.0.1:1/", "profile": "p|x", "contract": "seed",
      "cases": [
        {"id": "a|`b`", "title": "<script>alert(1)</script>", "verdict": "fail",
         "failures": [{"section": "steps", "step": "s", "message": "code `\u001b]52;c;SGk=\u0007` | [x](javascript:y) \u202e\ufffe\u009b2J\nFAKE: PASS"}]}
      ]
    }"#;

    #[test]
    fn hostile_text_is_inert_in_markdown_and_html() {
        let mut matrix = Matrix::default();
        matrix.add_json(HOSTILE, "hostile.json").unwrap();
        let hostile = |c: char| c != '\n' && crate::escape::is_hostile(c);
        for page in [matrix.markdown(), matrix.html()] {
            assert!(!page.chars().any(hostile), "{page}");
            assert!(
                !page.contains("s3cret") && !page.contains("user:"),
                "{page}"
            );
            assert!(!page.contains("<script>"), "{page}");
            assert!(!page.lines().any(|line| line.starts_with("FAKE")), "{page}");
        }
        let markdown = matrix.markdown();
        assert!(!markdown.contains("[x](javascript"), "{markdown}");
        // Every row of the case table keeps its two cells.
        let row = markdown
            .lines()
            .find(|line| line.contains("❌ fail |"))
            .unwrap();
        assert_eq!(row.replace("\\|", "").matches('|').count(), 3, "{row}");
    }

    #[test]
    fn markdown() {
        insta::assert_snapshot!(matrix().markdown());
    }

    #[test]
    fn html_page() {
        let page = matrix().html();
        assert!(!page.contains("<script"), "self-contained, no scripts");
        assert!(
            !page.contains("http://") || !page.contains("src=\"http"),
            "nothing loaded from the web"
        );
        insta::assert_snapshot!(page);
    }
}
