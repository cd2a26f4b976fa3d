//! Shrinking a failing sequence: drop chunks of steps (halves, then quarters, … then single
//! steps), then simplify the steps left, keeping a change only if a re-run on a fresh target and a
//! fresh reference still shows a finding of the same kind. Bounded in attempts and in time.

use std::time::{Duration, Instant};

use super::exec::{Env, SeqResult, execute};
use super::ops::Op;
use super::oracle::Kind;

/// Bounds of one shrink.
#[derive(Debug, Clone, Copy)]
pub struct ShrinkBudget {
    pub attempts: usize,
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

/// The smallest sequence found that still shows `kind`, and its run.
pub async fn shrink(
    env: &Env,
    ops: Vec<Op>,
    kind: &Kind,
    budget: ShrinkBudget,
) -> (Vec<Op>, SeqResult) {
    let started = Instant::now();
    let mut attempts = 0usize;
    let mut best = ops;
    let mut best_run = execute(env, &best, Some(kind), None).await;
    if !shows(&best_run, kind) {
        // Not reproducible on a fresh start (should not happen with a deterministic target).
        return (best, best_run);
    }
    truncate(&mut best, &best_run, kind);
    let within = |attempts: usize| attempts < budget.attempts && started.elapsed() < budget.time;

    let mut changed = true;
    while changed && within(attempts) {
        changed = false;
        // Remove chunks, largest first.
        let mut chunk = best.len().div_ceil(2).max(1);
        loop {
            let mut start = 0;
            while start < best.len() && within(attempts) {
                if best.len() <= 1 {
                    break;
                }
                let mut candidate = best.clone();
                let end = (start + chunk).min(candidate.len());
                candidate.drain(start..end);
                attempts += 1;
                let run = execute(env, &candidate, Some(kind), None).await;
                if shows(&run, kind) {
                    best = candidate;
                    truncate(&mut best, &run, kind);
                    best_run = run;
                    changed = true;
                } else {
                    start += chunk;
                }
            }
            if chunk == 1 || !within(attempts) {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        // Simplify single steps.
        let mut index = 0;
        while index < best.len() && within(attempts) {
            let mut improved = false;
            for simpler in best[index].simplifications() {
                let mut candidate = best.clone();
                candidate[index] = simpler;
                attempts += 1;
                let run = execute(env, &candidate, Some(kind), None).await;
                if shows(&run, kind) {
                    best = candidate;
                    best_run = run;
                    changed = true;
                    improved = true;
                    break;
                }
                if !within(attempts) {
                    break;
                }
            }
            if !improved {
                index += 1;
            }
        }
    }
    // The final run, to the end of the (truncated) sequence, for the case writer.
    let final_run = execute(env, &best, None, None).await;
    if shows(&final_run, kind) {
        best_run = final_run;
    }
    (best, best_run)
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
