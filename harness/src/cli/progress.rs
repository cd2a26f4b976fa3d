//! What `eni-harness run` prints while it runs: the banner, then a line per case, above a
//! progress bar on a terminal.

use std::sync::OnceLock;

use crate::escape::terminal;
use crate::report::console;
use crate::runner::CaseOutcome;
use crate::runner::plan::{RunObserver, RunStart};

/// Prints a run as it goes: the banner, then a line per case (above a progress bar on a terminal).
pub(crate) struct Printer {
    progress: bool,
    bar: OnceLock<indicatif::ProgressBar>,
}

impl Printer {
    /// A printer; with `progress`, a bar below the case lines.
    pub(crate) fn new(progress: bool) -> Printer {
        Printer {
            progress,
            bar: OnceLock::new(),
        }
    }
}

impl RunObserver for Printer {
    fn started(&self, start: &RunStart) {
        if self.progress {
            let bar = indicatif::ProgressBar::new(start.cases as u64);
            let template = "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}";
            bar.set_style(indicatif::ProgressStyle::with_template(template).expect("valid"));
            let _ = self.bar.set(bar);
        }
        println!("Suite: {}", terminal(&start.suite));
        let (cases, jobs) = (start.cases, start.jobs);
        let (target, profile) = (terminal(&start.target), terminal(&start.profile));
        println!("Running {cases} cases against {target} (profile {profile}, {jobs} at once)");
        if let Some(warning) = &start.warning {
            eprintln!("{warning}");
        }
    }

    fn case_done(&self, outcome: &CaseOutcome) {
        let line = console::case_line(outcome);
        match self.bar.get() {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => println!("{line}"),
        }
    }

    fn finished(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}
