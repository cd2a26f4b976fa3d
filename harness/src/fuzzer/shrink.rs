//! Shrinking a failing sequence: drop chunks of steps (halves, then quarters, … then single
//! steps), then simplify the steps left, keeping a change only if a re-run on a fresh target and a
//! fresh reference still shows a finding of the same kind. On a shared endpoint every candidate
//! starts from a lane the fuzzer has cleaned and read back: a candidate that could not is not
//! evidence, and shrinking stops there. Bounded in attempts and in time; an unfinished shrink
//! still returns the smallest sequence found so far.

use std::time::{Duration, Instant};

use super::exec::{Env, Limits, SeqResult, execute};
use super::ops::Op;
use super::oracle::Kind;

/// Bounds of one shrink.
#[derive(Debug, Clone, Copy)]
pub struct ShrinkBudget {
    /// Most candidate sequences tried.
    pub attempts: usize,
    /// Most wall-clock time spent, within what is left of the run.
    pub time: Duration,
}

impl Default for ShrinkBudget {
    fn default() -> ShrinkBudget {
        ShrinkBudget {
            attempts: 2000,
            time: Duration::from_secs(20),
        }
    }
}

/// What a shrink ended with.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest sequence found that shows the kind.
    pub ops: Vec<Op>,
    /// Its run, for the case writer.
    pub run: SeqResult,
    /// Why the shrink stopped before it had tried every candidate, if it did.
    pub unfinished: Option<String>,
}

/// The smallest sequence found that still shows `kind`, starting from `ops` and the run that
/// found it. Nothing runs past `deadline` (the run's bound), nor past the budget.
pub async fn shrink(
    env: &Env,
    ops: Vec<Op>,
    found: SeqResult,
    kind: &Kind,
    budget: ShrinkBudget,
    deadline: Option<Instant>,
) -> Shrunk {
    let started = Instant::now();
    let until = deadline.map_or(started + budget.time, |d| d.min(started + budget.time));
    let limits = Limits {
        steps_until: Some(until),
        deadline,
        stop: None,
        strict: true,
        fill: None,
    };
    let mut attempts = 0usize;
    let mut best = Tried { ops, run: found }.cut(kind);
    // Why the search ends early: the budget, or a candidate that was no evidence. Once it holds
    // a reason `within` is false, and every loop asks `within` before its next candidate.
    let mut unfinished = None;
    let within = |attempts: usize, unfinished: &mut Option<String>| {
        let reason = if attempts >= budget.attempts {
            Some(format!("after {attempts} attempts (the budget)"))
        } else if Instant::now() >= until {
            Some(format!(
                "after {:.1} s (the shrink's share of the run's time)",
                started.elapsed().as_secs_f64()
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            unfinished.get_or_insert(reason);
            false
        } else {
            unfinished.is_none()
        }
    };
    // Runs one candidate and says what its run showed.
    let attempt = |ops: Vec<Op>| {
        let limits = limits.clone();
        async move {
            let run = execute(env, &ops, Some(kind), &limits).await;
            Candidate::classify(Tried { ops, run }, kind)
        }
    };

    // On a shared endpoint the finding may rest on what earlier sequences left there (an ENI
    // still Deleting) or on a choice the endpoint does not repeat: no candidate can then show
    // it, and shrinking would end with the whole sequence as if nothing could go. Rerun it from
    // a cleaned lane first and say so when it does not recur.
    if !env.target.is_embedded() && within(attempts, &mut unfinished) {
        attempts += 1;
        match attempt(best.ops.clone()).await {
            Candidate::Dirty(reason) => unfinished = Some(reason),
            Candidate::Shows(again) => best = again.cut(kind),
            Candidate::Misses => unfinished = Some(NOT_RECURRING.to_string()),
        }
    }

    let mut changed = true;
    while changed && within(attempts, &mut unfinished) {
        changed = false;
        // Remove chunks, largest first.
        let mut chunk = best.ops.len().div_ceil(2).max(1);
        loop {
            let mut start = 0;
            while start < best.ops.len() && best.ops.len() > 1 && within(attempts, &mut unfinished)
            {
                let mut candidate = best.ops.clone();
                let end = (start + chunk).min(candidate.len());
                candidate.drain(start..end);
                attempts += 1;
                match attempt(candidate).await {
                    Candidate::Dirty(reason) => unfinished = Some(reason),
                    Candidate::Shows(smaller) => {
                        best = smaller.cut(kind);
                        changed = true;
                    }
                    Candidate::Misses => start += chunk,
                }
            }
            if chunk == 1 || !within(attempts, &mut unfinished) {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        // Simplify single steps.
        let mut index = 0;
        while index < best.ops.len() && within(attempts, &mut unfinished) {
            let mut improved = false;
            for simpler in best.ops[index].simplifications() {
                let mut candidate = best.ops.clone();
                candidate[index] = simpler;
                attempts += 1;
                match attempt(candidate).await {
                    Candidate::Dirty(reason) => unfinished = Some(reason),
                    Candidate::Shows(simpler) => {
                        best = simpler;
                        changed = true;
                        improved = true;
                        break;
                    }
                    Candidate::Misses => {}
                }
                if !within(attempts, &mut unfinished) {
                    break;
                }
            }
            if !improved {
                index += 1;
            }
        }
    }
    Shrunk {
        ops: best.ops,
        run: best.run,
        unfinished,
    }
}

/// A sequence and its run.
struct Tried {
    ops: Vec<Op>,
    run: SeqResult,
}

impl Tried {
    /// Without the steps after the first finding of the kind: they are not needed.
    fn cut(mut self, kind: &Kind) -> Tried {
        truncate(&mut self.ops, &self.run, kind);
        self
    }
}

/// What one candidate's run showed.
enum Candidate {
    /// It did not start from a clean lane, so it is no evidence either way: why, for the report.
    Dirty(String),
    /// It shows the kind.
    Shows(Tried),
    /// It started clean and does not show the kind.
    Misses,
}

impl Candidate {
    /// A candidate's run, classified: a dirty start first, as it is no evidence even where it
    /// shows the kind.
    fn classify(tried: Tried, kind: &Kind) -> Candidate {
        if !tried.run.clean_start {
            Candidate::Dirty(dirty(&tried.run))
        } else if shows(&tried.run, kind) {
            Candidate::Shows(tried)
        } else {
            Candidate::Misses
        }
    }
}

/// Why a shrink on a shared endpoint did not start: the sequence, rerun from a cleaned lane, no
/// longer showed the finding.
pub const NOT_RECURRING: &str = "as the sequence, rerun from a cleaned lane, no longer showed it (it rests on what earlier sequences left on the endpoint, or on a choice the endpoint does not repeat)";

fn dirty(run: &SeqResult) -> String {
    format!(
        "the endpoint's lane could not be cleaned before a candidate (left: {})",
        if run.left_behind.is_empty() {
            "the fixtures' addresses".to_string()
        } else {
            run.left_behind.join(", ")
        }
    )
}

/// Whether a run shows a finding of this kind.
pub fn shows(run: &SeqResult, kind: &Kind) -> bool {
    run.findings.iter().any(|finding| &finding.kind == kind)
}

/// Steps after the first finding of the kind are not needed.
fn truncate(ops: &mut Vec<Op>, run: &SeqResult, kind: &Kind) {
    if let Some(step) = run
        .findings
        .iter()
        .filter(|f| &f.kind == kind)
        .map(|f| f.step)
        .min()
    {
        ops.truncate(step + 1);
    }
}
