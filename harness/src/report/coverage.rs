//! Coverage by contract rule: the areas of the contract (one table, here), which cases exercise
//! each (by their tags), their verdicts per target with a pass rate, and the rows of the Assign
//! table and the documented codes that no case reached on a target. A case *reaches* a row or
//! a code when it ran on that target (pass, fail or expected failure; not skipped) and is
//! tagged `contract-row-N` or expects that code.

use std::collections::BTreeSet;

use super::matrix::{CellKind, Matrix};

/// One area of the contract (a section of CONTRACT.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Area {
    pub id: &'static str,
    pub title: &'static str,
    /// A case belongs to the area when it carries one of these tags.
    pub tags: &'static [&'static str],
    /// Whether every `contract-row-N` tag puts a case in this area too.
    pub row_tags: bool,
    /// The rows a case must reach (`contract-row-N`), with their condition in short.
    pub rows: &'static [(&'static str, &'static str)],
    /// The codes the contract documents for the area, as case files spell them.
    pub codes: &'static [&'static str],
}

/// The Assign table of CONTRACT.md, row by row.
pub(crate) const ASSIGN_ROWS: [(&str, &str); 16] = [
    ("contract-row-1", "1 NetworkInterfaceId missing"),
    ("contract-row-2", "2 both or neither of addresses and count"),
    ("contract-row-3", "3 malformed list key"),
    ("contract-row-4", "4 address not canonical IPv4"),
    ("contract-row-5", "5 address given twice"),
    ("contract-row-6", "6 count not in 1..50"),
    ("contract-row-7", "7 ClientToken replay or mismatch"),
    ("contract-row-8", "8 ENI unknown"),
    ("contract-row-9", "9 ENI's VSwitch gone"),
    ("contract-row-10", "10 ENI not Available/InUse"),
    ("contract-row-11", "11 assign or unassign in flight"),
    ("contract-row-12", "12 instance not Running/Stopped"),
    ("contract-row-13", "13 address outside the CIDR or reserved"),
    ("contract-row-14", "14 address in use"),
    ("contract-row-15", "15 over the cap"),
    ("contract-row-16", "16 too few free addresses"),
];

/// The areas, in the order of CONTRACT.md.
pub(crate) const AREAS: &[Area] = &[
    Area {
        id: "wire",
        title: "Wire format and signing",
        tags: &["wire", "xml", "post", "v3", "v1-only", "format"],
        row_tags: false,
        rows: &[],
        codes: &[],
    },
    Area {
        id: "common",
        title: "Common errors",
        tags: &["common", "auth"],
        row_tags: false,
        rows: &[],
        codes: &[
            "MissingParameter",
            "InvalidAction.NotFound",
            "InvalidParameter",
            "InvalidAccessKeyId.NotFound",
            "SignatureDoesNotMatch",
            "SignatureNonceUsed",
            "InvalidTimeStamp.Expired",
            "InvalidRegionId.NotFound",
        ],
    },
    Area {
        id: "assign",
        title: "AssignPrivateIpAddresses rows 1–16",
        tags: &[
            "assign",
            "precedence",
            "parser",
            "happy-path",
            "count",
            "primary-eni",
            "boundary",
        ],
        row_tags: true,
        rows: &ASSIGN_ROWS,
        codes: &[
            "MissingParameter",
            "InValidParameter",
            "InvalidPrivateIpAddress.Duplicated",
            "IdempotentParameterMismatch",
            "InvalidEniId.NotFound",
            "InvalidVSwitchId.NotFound",
            "InvalidOperation.InvalidEniState",
            "Operation.Conflict",
            "InvalidOperation.InvalidEcsState",
            "InvalidVSwitchId.IpInvalid",
            "InvalidIp.IpAssigned",
            "MaxEniPrivateIpsCountExceeded",
            "InvalidVSwitchId.IpNotEnough",
        ],
    },
    Area {
        id: "caps",
        title: "Caps and exhaustion (rows 15, 16)",
        tags: &["caps", "exhaustion"],
        row_tags: false,
        rows: &[],
        codes: &[
            "MaxEniPrivateIpsCountExceeded",
            "InvalidVSwitchId.IpNotEnough",
        ],
    },
    Area {
        id: "prefixes",
        title: "IPv4 prefixes",
        tags: &["prefix"],
        row_tags: false,
        rows: &[],
        codes: &[],
    },
    Area {
        id: "unassign",
        title: "UnassignPrivateIpAddresses",
        tags: &["unassign"],
        row_tags: false,
        rows: &[],
        codes: &["InvalidIp.IpUnassigned"],
    },
    Area {
        id: "neighbours",
        title: "Neighbouring actions and lifecycle",
        tags: &[
            "lifecycle",
            "describe",
            "create",
            "attach",
            "detach",
            "delete",
            "filter",
            "paging",
            "async",
        ],
        row_tags: false,
        rows: &[],
        codes: &[],
    },
    Area {
        id: "invariants",
        title: "IP invariants (atomicity; the invariant checks run on every case)",
        tags: &["atomic", "invariant"],
        row_tags: false,
        rows: &[],
        codes: &[],
    },
    Area {
        id: "idempotency",
        title: "Idempotency (ClientToken)",
        tags: &["idempotency"],
        row_tags: false,
        rows: &[],
        codes: &["IdempotentParameterMismatch"],
    },
    Area {
        id: "concurrency",
        title: "Concurrency and task windows",
        tags: &["concurrency", "task-window"],
        row_tags: false,
        rows: &[],
        codes: &["Operation.Conflict"],
    },
    Area {
        id: "consumers",
        title: "What official clients send",
        tags: &["consumer"],
        row_tags: false,
        rows: &[],
        codes: &[],
    },
    Area {
        id: "regressions",
        title: "Regressions found by fuzzing",
        tags: &["regression"],
        row_tags: false,
        rows: &[],
        codes: &[],
    },
];

/// The row number of a `contract-row-N` tag.
pub(crate) fn row_number(tag: &str) -> Option<u32> {
    tag.strip_prefix("contract-row-")?.parse().ok()
}

/// The areas a case with these tags belongs to.
pub(crate) fn areas_of(tags: &[String]) -> Vec<&'static Area> {
    AREAS
        .iter()
        .filter(|area| {
            tags.iter().any(|tag| {
                area.tags.contains(&tag.as_str()) || (area.row_tags && row_number(tag).is_some())
            })
        })
        .collect()
}

/// What one target shows of one area.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct AreaColumn {
    pub passed: usize,
    pub failed: usize,
    pub expected_failures: usize,
    pub skipped: usize,
    /// Passed of judged (passed, failed, expected failures), in percent; `None` when none ran.
    pub pass_rate: Option<f64>,
    /// Rows of the area no case reached here.
    pub rows_not_reached: Vec<String>,
    /// Documented codes of the area no case expected here.
    pub codes_not_reached: Vec<String>,
}

/// One area over every target of a matrix.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct AreaView {
    pub area: &'static str,
    pub title: &'static str,
    /// The ids of its cases.
    pub cases: Vec<String>,
    /// Each row of the area (the Assign table's) with the ids of the cases tagged for it.
    pub rows: Vec<(&'static str, Vec<String>)>,
    /// One per column of the matrix.
    pub targets: Vec<AreaColumn>,
}

/// The coverage view of a matrix: every area, its cases and a column per target.
pub(crate) fn view(matrix: &Matrix) -> Vec<AreaView> {
    AREAS
        .iter()
        .map(|area| {
            let cases: Vec<&String> = matrix
                .rows
                .keys()
                .filter(|id| {
                    matrix
                        .meta
                        .get(*id)
                        .is_some_and(|meta| areas_of(&meta.tags).contains(&area))
                })
                .collect();
            let targets = (0..matrix.columns.len())
                .map(|column| {
                    let mut col = AreaColumn::default();
                    let mut rows = BTreeSet::new();
                    let mut codes = BTreeSet::new();
                    for id in &cases {
                        let kind = matrix.rows[*id].1[column].kind;
                        match kind {
                            CellKind::Pass => col.passed += 1,
                            CellKind::Fail => col.failed += 1,
                            CellKind::ExpectedFailure => col.expected_failures += 1,
                            CellKind::Skip => col.skipped += 1,
                            CellKind::NotRun => {}
                        }
                        if matches!(
                            kind,
                            CellKind::Pass | CellKind::Fail | CellKind::ExpectedFailure
                        ) && let Some(meta) = matrix.meta.get(*id)
                        {
                            rows.extend(meta.tags.iter().map(String::as_str));
                            codes.extend(meta.codes.iter().map(String::as_str));
                        }
                    }
                    let judged = col.passed + col.failed + col.expected_failures;
                    col.pass_rate = (judged > 0).then(|| 100.0 * col.passed as f64 / judged as f64);
                    col.rows_not_reached = area
                        .rows
                        .iter()
                        .filter(|(tag, _)| !rows.contains(tag))
                        .map(|(_, label)| (*label).to_string())
                        .collect();
                    col.codes_not_reached = area
                        .codes
                        .iter()
                        .filter(|code| !codes.contains(*code))
                        .map(|code| (*code).to_string())
                        .collect();
                    col
                })
                .collect();
            let rows = area
                .rows
                .iter()
                .map(|(tag, label)| {
                    let tagged = cases
                        .iter()
                        .filter(|id| {
                            matrix
                                .meta
                                .get(**id)
                                .is_some_and(|meta| meta.tags.iter().any(|t| t == tag))
                        })
                        .map(|id| (*id).clone())
                        .collect();
                    (*label, tagged)
                })
                .collect();
            AreaView {
                area: area.id,
                title: area.title,
                rows,
                cases: cases.into_iter().cloned().collect(),
                targets,
            }
        })
        .collect()
}

/// The rows of every area that no case reached on column `column`: what
/// `--require-coverage` fails a run for.
pub(crate) fn rows_not_reached(matrix: &Matrix, column: usize) -> Vec<String> {
    view(matrix)
        .into_iter()
        .flat_map(|area| {
            area.targets
                .get(column)
                .map(|c| c.rows_not_reached.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// `12/14 (85.7%)`, or `—` when no case of the area ran.
pub(crate) fn rate_text(col: &AreaColumn) -> String {
    let judged = col.passed + col.failed + col.expected_failures;
    match col.pass_rate {
        Some(rate) => format!("{}/{judged} ({rate:.1}%)", col.passed),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository's suite, as `run` loads it (the deliberately broken files of
    /// `cases/invalid` are not part of it).
    fn suite() -> Vec<crate::runner::suite::LoadedCase> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        crate::runner::load_cases(&[root]).expect("the suite loads")
    }

    #[test]
    fn every_case_of_the_suite_has_an_area_and_its_rows_are_complete() {
        let cases = suite();
        assert!(cases.len() > 100, "{}", cases.len());
        let mut problems = Vec::new();
        let mut reached = BTreeSet::new();
        for loaded in &cases {
            let case = &loaded.case;
            let file = loaded.path.display();
            if areas_of(&case.tags).is_empty() {
                problems.push(format!(
                    "{file}: `{}` belongs to no area of the contract: tag it with one of the tags of an area in report/coverage.rs (or a `contract-row-N`)",
                    case.id
                ));
            }
            for tag in &case.tags {
                if tag.starts_with("contract-row-") {
                    match row_number(tag) {
                        Some(n @ 1..=16) => {
                            reached.insert(n);
                        }
                        _ => problems.push(format!(
                            "{file}: tag `{tag}` names no row of the Assign table (1 to 16)"
                        )),
                    }
                }
            }
            // A file named after rows (`row-13-…`, `precedence-08-before-13`) says so in tags.
            let name = loaded
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("");
            let named: Vec<u32> = if let Some(rest) = name.strip_prefix("row-") {
                rest.get(..2)
                    .and_then(|n| n.parse().ok())
                    .into_iter()
                    .collect()
            } else if let Some(rest) = name.strip_prefix("precedence-") {
                rest.split("-before-")
                    .filter_map(|part| part.get(..2).and_then(|n| n.parse().ok()))
                    .collect()
            } else {
                Vec::new()
            };
            for n in named {
                if !case.tags.contains(&format!("contract-row-{n}")) {
                    problems.push(format!(
                        "{file}: named after row {n} but not tagged `contract-row-{n}`"
                    ));
                }
            }
        }
        for (n, (_, label)) in (1..).zip(ASSIGN_ROWS) {
            if !reached.contains(&n) {
                problems.push(format!(
                    "no case of the suite is tagged for Assign row {label}"
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_row_of_the_assign_table_is_listed_with_its_cases() {
        let mut matrix = Matrix::default();
        let cases = suite();
        let report = serde_json::json!({
            "target": "t", "profile": "p",
            "cases": cases.iter().map(|c| serde_json::json!({
                "id": c.case.id, "verdict": "pass", "tags": c.case.tags,
            })).collect::<Vec<_>>(),
        });
        matrix.add_json(&report.to_string(), "suite").unwrap();
        assert_eq!(rows_not_reached(&matrix, 0), Vec::<String>::new());
        let view = view(&matrix);
        let assign = view.iter().find(|a| a.area == "assign").unwrap();
        assert_eq!(assign.rows.len(), 16);
        assert!(assign.rows.iter().all(|(_, cases)| !cases.is_empty()));
        let markdown = matrix.markdown();
        for area in AREAS {
            assert!(markdown.contains(area.title), "{}", area.title);
        }
        for (_, label) in ASSIGN_ROWS {
            assert!(markdown.contains(&format!("| {label} |")), "{label}");
        }
    }

    const REPORT: &str = r#"{
      "target": "t", "profile": "p", "contract": "seed",
      "cases": [
        {"id": "a.one", "title": "", "verdict": "pass", "tags": ["assign", "contract-row-1"], "codes": ["MissingParameter"]},
        {"id": "a.two", "title": "", "verdict": "fail", "tags": ["contract-row-2"], "codes": ["InValidParameter"],
         "rerun": "eni-harness run cases/a/two.yaml",
         "failures": [{"section": "steps", "step": "s", "message": "code: expected InValidParameter, got X\n--- snapshot\n+++ run"}]},
        {"id": "a.three", "title": "", "verdict": "skip", "reason": "r", "tags": ["contract-row-3"]},
        {"id": "w.one", "title": "", "verdict": "pass", "tags": ["wire"]}
      ]
    }"#;

    #[test]
    fn an_area_counts_its_cases_and_names_the_rows_no_case_reached() {
        let mut matrix = Matrix::default();
        matrix.add_json(REPORT, "r.json").unwrap();
        let view = view(&matrix);
        let assign = view.iter().find(|a| a.area == "assign").unwrap();
        assert_eq!(assign.cases, ["a.one", "a.three", "a.two"]);
        let col = &assign.targets[0];
        assert_eq!((col.passed, col.failed, col.skipped), (1, 1, 1));
        assert_eq!(col.pass_rate, Some(50.0));
        // Row 3's only case was skipped: not reached.
        assert_eq!(col.rows_not_reached.len(), 14);
        assert!(col.rows_not_reached[0].starts_with("3 "));
        assert!(
            !col.codes_not_reached
                .contains(&"MissingParameter".to_string())
        );
        assert!(
            col.codes_not_reached
                .contains(&"InvalidIp.IpAssigned".to_string())
        );
        let wire = view.iter().find(|a| a.area == "wire").unwrap();
        assert_eq!(rate_text(&wire.targets[0]), "1/1 (100.0%)");
        assert_eq!(rows_not_reached(&matrix, 0).len(), 14);
        // The page: the area's rate in its cell, the failure opening to its whole message
        // (every line indented) and its reproduction.
        let page = matrix.html();
        assert!(
            page.contains("<span class=\"big\">1/2 (50.0%)</span>"),
            "{page}"
        );
        assert!(
            page.contains("rows not reached: 3 malformed list key;"),
            "{page}"
        );
        assert!(
            page.contains("<pre>  steps.s: code: expected InValidParameter, got X\n  --- snapshot\n  +++ run</pre>"),
            "{page}"
        );
        assert!(
            page.contains("Reproduce: <code>eni-harness run cases/a/two.yaml</code>"),
            "{page}"
        );
    }
}
