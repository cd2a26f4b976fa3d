//! A fuzz run: streams of sequences (or concurrency rounds) until `--runs` or `--time`, each new
//! kind of finding reported as it comes up, shrunk, written as a case and proven (it fails on
//! the target and passes on a fresh reference), all within the run's hard deadline; then the
//! report.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::concurrency;
use super::emit::{self, CaseFile, Provenance};
use super::endpoint::GatedTarget;
use super::exec::{Env, Limits, WAIT_MARGIN, execute};
use super::ops;
use super::oracle::{Finding, Kind};
use super::rng;
use super::shrink::{self, ShrinkBudget};
use crate::profile::Profile;
use crate::runner::{CaseContext, Verdict, run_case};
use crate::targets::{EmbeddedTarget, Target};

/// Bytes drawn per sequence; more than the longest sequence consumes.
const BYTES_PER_SEQUENCE: usize = 2048;
/// Mixed into the seed for the streams of work done on other ENIs during waits.
const FILL_SEED: u64 = 0x5EED_F111_0000_0001;
/// Attempts to reproduce a concurrency finding per shrink candidate.
const CONCURRENT_REPEATS: usize = 3;

/// What a run reports as it goes, before its end.
#[derive(Debug)]
pub enum FuzzEvent<'a> {
    /// A new kind of finding came up (shrinking and proving it starts now).
    Found {
        /// What was found.
        finding: &'a Finding,
        /// The number of the sequence (or round) it came up in, from 0 in the run.
        sequence: u64,
        /// When, from the start of the run.
        after: Duration,
    },
    /// A finding was shrunk, written and proven, or says why not.
    Handled(&'a FoundCase),
}

/// Receives [`FuzzEvent`]s, from any stream.
pub type Observer = Arc<dyn Fn(&FuzzEvent<'_>) + Send + Sync>;

/// How a fuzz run goes.
#[derive(Clone)]
pub struct FuzzOptions {
    /// The seed every stream's bytes derive from: one seed and one target replay one run.
    pub seed: u64,
    /// Stop after this many sequences (or rounds, with `concurrency`).
    pub runs: Option<u64>,
    /// The run's hard bound, shrinking, proving and clean-up included: nothing is sent to the
    /// target after it (a request in flight then ends within its own timeout).
    pub time: Option<Duration>,
    /// Sequences at once; against a shared target at most one per lane of fixtures.
    pub jobs: usize,
    /// Concurrency rounds (operations sent at once on one ENI) instead of sequences.
    pub concurrency: bool,
    /// Where case files are written; `None`: not written.
    pub out: Option<PathBuf>,
    /// Per finding; within what is left of `time`.
    pub shrink: ShrinkBudget,
    /// A status line on stderr, refreshed.
    pub live: bool,
    /// Run each written case against these to prove it reproduces.
    pub verify: Option<Verify>,
    /// Stop at the first finding (once it is shrunk, written and proven).
    pub fail_fast: bool,
    /// Hears each finding as it comes up and once it is handled; `None`: nobody listens.
    pub observer: Option<Observer>,
}

impl Default for FuzzOptions {
    fn default() -> FuzzOptions {
        FuzzOptions {
            seed: 0,
            runs: None,
            time: Some(Duration::from_secs(60)),
            jobs: 1,
            concurrency: false,
            out: None,
            shrink: ShrinkBudget::default(),
            live: false,
            verify: None,
            fail_fast: false,
            observer: None,
        }
    }
}

impl std::fmt::Debug for FuzzOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuzzOptions")
            .field("seed", &self.seed)
            .field("runs", &self.runs)
            .field("time", &self.time)
            .field("fail_fast", &self.fail_fast)
            .finish_non_exhaustive()
    }
}

/// A written case must pass on `clean` and fail on `failing`. Against an endpoint that put its
/// instances' primaries elsewhere than the profile says, the clean side is a fresh reference of
/// the world the fuzzer saw instead.
#[derive(Clone)]
pub struct Verify {
    /// Where the written case must pass: the reference, or a fresh one of the world the fuzzer saw.
    pub clean: Arc<dyn Target>,
    /// Where the written case must fail: the target that was fuzzed.
    pub failing: Arc<dyn Target>,
    /// The profile the case runs with on both.
    pub profile: Arc<Profile>,
}

impl std::fmt::Debug for Verify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verify")
            .field("clean", &self.clean.describe())
            .field("failing", &self.failing.describe())
            .finish()
    }
}

/// One kind of finding, shrunk and written.
#[derive(Debug, Clone)]
pub struct FoundCase {
    /// The kind of finding: one of each is reported.
    pub kind: Kind,
    /// What went wrong, in words.
    pub message: String,
    /// The contract rule it rests on.
    pub rests_on: String,
    /// The number of the sequence it came up in, from 0 in the run.
    pub sequence: u64,
    pub(crate) original_steps: usize,
    /// Steps of the sequence once shrunk.
    pub steps: usize,
    /// The written case; `None` if writing it failed.
    pub case: Option<CaseFile>,
    /// Where the case was written; `None` without `out` or if writing failed.
    pub path: Option<PathBuf>,
    /// `Ok` when the case fails on the failing target and passes on the clean one.
    pub verified: Option<Result<(), String>>,
    /// Why shrinking stopped early (time, attempts, a lane that could not be cleaned).
    pub unfinished: Option<String>,
    /// When the first finding of this kind came up, from the start of the run.
    pub found_after: Duration,
    /// Time spent shrinking it, writing the case and verifying it.
    pub shrinking: Duration,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct FuzzReport {
    /// How the target was described (its URL, or `embedded`).
    pub target: String,
    /// The seed of the run, to replay it.
    pub seed: u64,
    /// Sequences run at once (jobs, or lanes against a shared target).
    pub streams: usize,
    /// Sequences (or concurrency rounds) run.
    pub sequences: u64,
    /// Requests the sequences sent to the target.
    pub requests: usize,
    pub(crate) reference_requests: usize,
    /// Of those, the requests that may change addresses or ENIs.
    pub mutating: usize,
    /// Of the mutating requests, those the target answered with success.
    pub mutating_ok: usize,
    /// Sequences that stopped at a request left unanswered (no finding is drawn from them).
    pub unknown_outcomes: usize,
    /// Sequences that stopped being compared where the contract let the two sides differ.
    pub diverged: usize,
    /// Steps that worked on other ENIs while a sequence's transitions were under way.
    pub fillers: usize,
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
    /// Time spent fuzzing, shrinking excluded (for the rate).
    pub fuzzing: Duration,
    /// Every kind of finding, shrunk and written, in the order they came up.
    pub findings: Vec<FoundCase>,
    /// ENIs of the fuzzer still on the endpoint at the end (the time ran out, or the endpoint
    /// refused to give them back).
    pub left_behind: Vec<String>,
    /// `--fail-fast` stopped the run at its first finding.
    pub stopped_at_first: bool,
    /// Why the first request that went unanswered did (a timeout, a refused connection, …).
    pub transport_error: Option<String>,
    /// Requests the endpoint answered at all (any status), observations and clean-up included.
    pub answered: usize,
}

/// Below this share of successful mutating requests a run proves nothing.
pub const MIN_SUCCESS_RATIO: f64 = 0.2;

impl FuzzReport {
    pub(crate) fn success_ratio(&self) -> f64 {
        if self.mutating == 0 {
            0.0
        } else {
            self.mutating_ok as f64 / self.mutating as f64
        }
    }

    /// Too few mutating requests succeeded for the run to mean anything. A run stopped at its
    /// first finding is judged by that finding instead.
    pub fn is_vacuous(&self) -> bool {
        !self.stopped_at_first && self.success_ratio() < MIN_SUCCESS_RATIO
    }

    /// The first finding of a kind `matches` accepts that was shrunk to at most `max_steps`,
    /// written, and proven to fail on the target and pass on the reference.
    pub fn reproduced(
        &self,
        matches: impl Fn(&Kind) -> bool,
        max_steps: usize,
    ) -> Option<&FoundCase> {
        self.findings.iter().find(|found| {
            matches(&found.kind)
                && found.steps <= max_steps
                && found.path.is_some()
                && found.verified == Some(Ok(()))
        })
    }

    /// Target requests per second of fuzzing time.
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.fuzzing.as_secs_f64().max(1e-9)
    }

    /// The report as the command prints it: rates, counts, findings and what was left behind.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "fuzz: target {}, seed {}: {} sequences ({} at once), {} requests to the target ({:.0}/s; {} to the reference) in {:.1}s; \
             {}/{} mutating requests succeeded ({:.0}%); {} unknown outcomes; {} stopped where the contract lets the two sides differ; {} finding(s)",
            self.target,
            self.seed,
            self.sequences,
            self.streams,
            self.requests,
            self.requests_per_second(),
            self.reference_requests,
            self.elapsed.as_secs_f64(),
            self.mutating_ok,
            self.mutating,
            100.0 * self.success_ratio(),
            self.unknown_outcomes,
            self.diverged,
            self.findings.len()
        );
        if self.fillers > 0 {
            out.push_str(&format!(
                "\nfuzz: {} steps worked on other ENIs while a sequence's transitions were under way",
                self.fillers
            ));
        }
        for found in &self.findings {
            out.push('\n');
            out.push_str(&found.describe());
        }
        if self.stopped_at_first {
            out.push_str("\nfuzz: stopped at the first finding (--fail-fast)");
        }
        if !self.left_behind.is_empty() {
            out.push_str(&format!(
                "\nfuzz: left behind on the endpoint (delete them): {}",
                self.left_behind.join(", ")
            ));
        }
        // Unanswered requests may be observations that never let a mutating one start, so
        // the test is whether anything was answered, not how the mutating requests fared.
        let unanswered = self.mutating_ok == 0
            && self.answered == 0
            && (self.unknown_outcomes > 0 || self.transport_error.is_some());
        if self.is_vacuous() && unanswered {
            out.push_str(&format!(
                "\nfuzz: VACUOUS: no request was answered ({} unknown outcomes; the first failure: {}); is the endpoint up, and does it speak this API?",
                self.unknown_outcomes,
                self.transport_error.as_deref().unwrap_or("no answer")
            ));
        } else if self.is_vacuous() {
            out.push_str(&format!(
                "\nfuzz: VACUOUS: only {:.0}% of mutating requests succeeded (at least {:.0}% needed); check the profile's fixtures",
                100.0 * self.success_ratio(),
                100.0 * MIN_SUCCESS_RATIO
            ));
        }
        out
    }
}

impl FoundCase {
    /// The finding as the summary and the live output show it.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "  - {} (sequence {} after {:.1} s; shrunk {} → {} steps in {:.1} s)\n    {}",
            self.kind,
            self.sequence,
            self.found_after.as_secs_f64(),
            self.original_steps,
            self.steps,
            self.shrinking.as_secs_f64(),
            // The endpoint's text is one line of this description: its line breaks shown, so
            // that it cannot start a line of its own (a forged verdict).
            crate::escape::terminal(&self.message)
        );
        if let Some(why) = &self.unfinished {
            out.push_str(&format!(
                "\n    shrinking stopped {why}: the case is the smallest found so far"
            ));
        }
        if let Some(path) = &self.path {
            out.push_str(&format!("\n    case: {}", path.display()));
        }
        match &self.verified {
            Some(Ok(())) => {
                out.push_str(" (reproduces: fails on the target, passes on a fresh reference)")
            }
            Some(Err(why)) => out.push_str(&format!("\n    note: {why}")),
            None => {}
        }
        out
    }
}

#[derive(Default)]
struct Shared {
    sequences: AtomicU64,
    requests: AtomicUsize,
    reference_requests: AtomicUsize,
    mutating: AtomicUsize,
    mutating_ok: AtomicUsize,
    unknown: AtomicUsize,
    diverged: AtomicUsize,
    fillers: AtomicUsize,
    findings: AtomicUsize,
    transport_error: Mutex<Option<String>>,
    shrinking: Mutex<Duration>,
    seen: Mutex<HashSet<Kind>>,
    found: Mutex<Vec<FoundCase>>,
    /// Set at the first finding under `--fail-fast`: every stream stops at its next step.
    stop: Arc<AtomicBool>,
}

impl Shared {
    /// Adds one sequence's (or round's) request counts to the run's totals.
    fn count(
        &self,
        requests: usize,
        reference: usize,
        mutating: usize,
        mutating_ok: usize,
        unknown: usize,
    ) {
        self.requests.fetch_add(requests, Ordering::Relaxed);
        self.reference_requests
            .fetch_add(reference, Ordering::Relaxed);
        self.mutating.fetch_add(mutating, Ordering::Relaxed);
        self.mutating_ok.fetch_add(mutating_ok, Ordering::Relaxed);
        self.unknown.fetch_add(unknown, Ordering::Relaxed);
    }
}

/// How long before the deadline a stream stops starting steps on a shared endpoint, so that
/// giving back what the last sequence took fits in the run's time: a transition still under
/// way, a detach and a delete, with a margin, but never more than a quarter of the run.
fn cleanup_reserve(env: &Env, time: Duration) -> Duration {
    if env.target.is_embedded() {
        return Duration::ZERO;
    }
    (3 * env.async_delay + WAIT_MARGIN).min(time / 4)
}

/// Runs the fuzzer until `runs` or `time` is reached. Against the embedded target each sequence
/// gets fresh emulators, so `jobs` sequences run at once. Against a shared (HTTP) target each
/// sequence's reference mirrors the state of the VSwitches it uses, so sequences run at once
/// only on lanes of fixtures that share no state ([`super::fixtures::Fixtures::lanes`]): one
/// stream per lane, at most `jobs`. Sequence `n` runs on stream `n % streams`.
pub async fn fuzz(env: Arc<Env>, options: FuzzOptions) -> FuzzReport {
    let started = Instant::now();
    let shared = Arc::new(Shared::default());
    let done = Arc::new(AtomicBool::new(false));
    let jobs = options.jobs.max(1);
    let streams: Vec<Arc<Env>> = if env.target.is_embedded() {
        vec![Arc::clone(&env); jobs]
    } else {
        env.lanes().into_iter().take(jobs).map(Arc::new).collect()
    };
    let stride = streams.len() as u64;
    let live = options.live.then(|| {
        let (shared, done) = (Arc::clone(&shared), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let elapsed = started.elapsed().as_secs_f64().max(1e-9);
                let requests = shared.requests.load(Ordering::Relaxed);
                eprint!(
                    "\r\x1b[2K{:>5.1}s  {:>7.0} req/s  {} sequences  {} findings",
                    elapsed,
                    requests as f64 / elapsed,
                    shared.sequences.load(Ordering::Relaxed),
                    shared.findings.load(Ordering::Relaxed)
                );
            }
            eprint!("\r\x1b[2K");
        })
    });
    let deadline = options.time.map(|time| started + time);
    let mut workers = tokio::task::JoinSet::new();
    for (first, env) in streams.iter().cloned().enumerate() {
        let (options, shared) = (options.clone(), Arc::clone(&shared));
        let reserve = options
            .time
            .map_or(Duration::ZERO, |time| cleanup_reserve(&env, time));
        let stream = Stream {
            first: first as u64,
            stride,
            started,
            limits: Limits {
                steps_until: deadline.map(|d| d - reserve),
                deadline,
                stop: Some(Arc::clone(&shared.stop)),
                strict: false,
                fill: None,
            },
        };
        workers.spawn(async move { worker(&env, &options, &shared, stream).await });
    }
    while let Some(joined) = workers.join_next().await {
        if let Err(error) = joined
            && error.is_panic()
        {
            std::panic::resume_unwind(error.into_panic());
        }
    }
    // What the last sequences of each lane are still giving back goes before the run ends.
    let mut cleanups = tokio::task::JoinSet::new();
    for env in &streams {
        let (env, shared) = (Arc::clone(env), Arc::clone(&shared));
        cleanups.spawn(async move {
            let restored = env.make_clean(deadline).await;
            shared
                .requests
                .fetch_add(restored.requests, Ordering::Relaxed);
        });
    }
    while cleanups.join_next().await.is_some() {}
    done.store(true, Ordering::Relaxed);
    if let Some(live) = live {
        let _ = live.await;
    }
    let elapsed = started.elapsed();
    let shrinking = *shared.shrinking.lock().expect("not poisoned");
    let mut findings = std::mem::take(&mut *shared.found.lock().expect("not poisoned"));
    findings.sort_by(|a, b| a.kind.cmp(&b.kind));
    let left_behind = streams
        .iter()
        .flat_map(|env| env.lane.leftovers())
        .collect();
    FuzzReport {
        target: env.target.describe(),
        seed: options.seed,
        streams: stride as usize,
        sequences: shared.sequences.load(Ordering::Relaxed),
        requests: shared.requests.load(Ordering::Relaxed),
        reference_requests: shared.reference_requests.load(Ordering::Relaxed),
        mutating: shared.mutating.load(Ordering::Relaxed),
        mutating_ok: shared.mutating_ok.load(Ordering::Relaxed),
        unknown_outcomes: shared.unknown.load(Ordering::Relaxed),
        diverged: shared.diverged.load(Ordering::Relaxed),
        fillers: shared.fillers.load(Ordering::Relaxed),
        elapsed,
        // With several streams, shrinking in one still leaves the others fuzzing.
        fuzzing: elapsed
            .saturating_sub(shrinking / stride as u32)
            .max(Duration::from_millis(1)),
        findings,
        left_behind,
        stopped_at_first: options.fail_fast && shared.stop.load(Ordering::Relaxed),
        transport_error: shared
            .transport_error
            .lock()
            .expect("not poisoned")
            .clone()
            .or_else(|| env.reached.first_failure().map(str::to_string)),
        answered: env.reached.answered(),
    }
}

/// Which sequences one worker runs: `first`, `first + stride`, …
#[derive(Debug, Clone)]
struct Stream {
    first: u64,
    stride: u64,
    started: Instant,
    limits: Limits,
}

async fn worker(env: &Env, options: &FuzzOptions, shared: &Shared, stream: Stream) {
    let mut sequence = stream.first;
    let deadline = stream.limits.deadline;
    loop {
        if !stream.limits.step_may_start() {
            return;
        }
        if options.runs.is_some_and(|runs| sequence >= runs) {
            return;
        }
        let mut rng = rng::SplitMix64::for_sequence(options.seed, sequence);
        let new = if options.concurrency {
            let ops = concurrency::generate(&mut rng);
            let token = format!("fuzz-{}-{sequence}", options.seed);
            let result = concurrency::round(env, &ops, &token, deadline).await;
            shared.count(
                result.requests,
                0,
                result.mutating,
                result.mutating_ok,
                result.unknown_outcomes,
            );
            let new = new_kinds(shared, &result.findings);
            for finding in &new {
                announce(options, &stream, finding, sequence);
                let found = timed(stream.started, || {
                    concurrent_finding(env, options, &ops, finding, sequence, deadline)
                })
                .await;
                record(options, shared, found);
            }
            new.len()
        } else {
            let ops = ops::decode_sequence_with(
                &rng.bytes(BYTES_PER_SEQUENCE),
                env.contract.max_ipv4_prefixes > 0,
            );
            // The work on other ENIs during waits is drawn from a stream of its own, so that the
            // sequence's own operations are those of the seed whatever the transition time.
            let limits = Limits {
                fill: Some(
                    rng::SplitMix64::for_sequence(options.seed ^ FILL_SEED, sequence).next_u64(),
                ),
                ..stream.limits.clone()
            };
            let result = execute(env, &ops, None, &limits).await;
            shared.count(
                result.requests,
                result.reference_requests,
                result.mutating,
                result.mutating_ok,
                result.unknown_outcomes,
            );
            shared.fillers.fetch_add(result.fillers, Ordering::Relaxed);
            if result.diverged.is_some() {
                shared.diverged.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(error) = &result.transport_error {
                let mut first = shared.transport_error.lock().expect("not poisoned");
                first.get_or_insert_with(|| error.clone());
            }
            let new = new_kinds(shared, &result.findings);
            for finding in &new {
                announce(options, &stream, finding, sequence);
                let found = timed(stream.started, || {
                    sequence_finding(
                        env,
                        options,
                        result.ops.clone(),
                        result.clone(),
                        finding,
                        sequence,
                        deadline,
                    )
                })
                .await;
                *shared.shrinking.lock().expect("not poisoned") += found.shrinking;
                record(options, shared, found);
            }
            new.len()
        };
        shared.findings.fetch_add(new, Ordering::Relaxed);
        shared.sequences.fetch_add(1, Ordering::Relaxed);
        if new > 0 && options.fail_fast {
            shared.stop.store(true, Ordering::Relaxed);
            return;
        }
        sequence += stream.stride;
    }
}

fn announce(options: &FuzzOptions, stream: &Stream, finding: &Finding, sequence: u64) {
    if let Some(observer) = &options.observer {
        observer(&FuzzEvent::Found {
            finding,
            sequence,
            after: stream.started.elapsed(),
        });
    }
}

fn record(options: &FuzzOptions, shared: &Shared, found: FoundCase) {
    if let Some(observer) = &options.observer {
        observer(&FuzzEvent::Handled(&found));
    }
    shared.found.lock().expect("not poisoned").push(found);
}

/// Handles a new finding, noting when it came up and how long handling it took.
async fn timed<F: Future<Output = FoundCase>>(
    started: Instant,
    handle: impl FnOnce() -> F,
) -> FoundCase {
    let found_after = started.elapsed();
    let handling = Instant::now();
    let mut found = handle().await;
    found.found_after = found_after;
    found.shrinking = handling.elapsed();
    found
}

/// The findings of kinds not seen before (the first of each), marking them seen.
fn new_kinds(shared: &Shared, findings: &[Finding]) -> Vec<Finding> {
    let mut seen = shared.seen.lock().expect("not poisoned");
    findings
        .iter()
        .filter(|finding| seen.insert(finding.kind.clone()))
        .cloned()
        .collect()
}

fn found_case(finding: &Finding, sequence: u64, original_steps: usize) -> FoundCase {
    FoundCase {
        kind: finding.kind.clone(),
        message: finding.message.clone(),
        rests_on: finding.rests_on.clone(),
        sequence,
        original_steps,
        steps: original_steps,
        case: None,
        path: None,
        verified: None,
        unfinished: None,
        found_after: Duration::ZERO,
        shrinking: Duration::ZERO,
    }
}

async fn sequence_finding(
    env: &Env,
    options: &FuzzOptions,
    ops: Vec<ops::Op>,
    result: super::exec::SeqResult,
    finding: &Finding,
    sequence: u64,
    deadline: Option<Instant>,
) -> FoundCase {
    let mut found = found_case(finding, sequence, ops.len());
    let shrunk = shrink::shrink(env, ops, result, &finding.kind, options.shrink, deadline).await;
    if let Some(f) = shrunk.run.findings.iter().find(|f| f.kind == finding.kind) {
        found.message = format!("step {}: {}", f.step + 1, f.message);
    }
    found.steps = shrunk.ops.len();
    found.unfinished = shrunk.unfinished;
    let provenance = Provenance {
        kind: finding.kind.clone(),
        message: found.message.clone(),
        rests_on: finding.rests_on.clone(),
        seed: options.seed,
        sequence,
        target: env.target.describe(),
    };
    match emit::case_file(&shrunk.run.steps, env, &provenance) {
        Ok(case) => finish(env, options, &mut found, case, deadline).await,
        Err(error) => found.verified = Some(Err(error)),
    }
    found
}

async fn concurrent_finding(
    env: &Env,
    options: &FuzzOptions,
    ops: &[concurrency::ConcurrentOp],
    finding: &Finding,
    sequence: u64,
    deadline: Option<Instant>,
) -> FoundCase {
    let started = Instant::now();
    let until = deadline.map_or(started + options.shrink.time, |d| {
        d.min(started + options.shrink.time)
    });
    let mut best = ops.to_vec();
    let mut index = 0;
    let mut attempt = 0u64;
    let mut found = found_case(finding, sequence, ops.len());
    while index < best.len() && best.len() > 1 {
        if Instant::now() >= until {
            found.unfinished = Some(format!(
                "after {:.1} s (the shrink's share of the run's time)",
                started.elapsed().as_secs_f64()
            ));
            break;
        }
        let mut candidate = best.clone();
        candidate.remove(index);
        let mut shows = false;
        for _ in 0..CONCURRENT_REPEATS {
            attempt += 1;
            let token = format!("fuzz-shrink-{}-{sequence}-{attempt}", options.seed);
            if concurrency::round(env, &candidate, &token, deadline)
                .await
                .findings
                .iter()
                .any(|f| f.kind == finding.kind)
            {
                shows = true;
                break;
            }
        }
        if shows { best = candidate } else { index += 1 }
    }
    found.steps = best.len();
    let slug = emit::slug(&finding.kind);
    let title = format!(
        "Fuzz finding: {} (seed {}, round {sequence}; contract: {})",
        finding.kind, options.seed, finding.rests_on
    );
    let text = concurrency::case_text(&best, env, &title, &slug);
    match eni_spec::parse_case(&text, &format!("regressions/{slug}.yaml")) {
        Ok(case) => {
            let header = [
                format!(
                    "Found by `eni-harness fuzz --concurrency --seed {}` against {} (round {sequence}).",
                    options.seed,
                    env.target.describe()
                ),
                crate::escape::first_line(&finding.message).to_string(),
            ];
            match emit::file_text(&header, &case) {
                Ok(text) => {
                    finish(
                        env,
                        options,
                        &mut found,
                        CaseFile { slug, text, case },
                        deadline,
                    )
                    .await;
                }
                Err(why) => found.verified = Some(Err(why)),
            }
        }
        Err(errors) => {
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            found.verified = Some(Err(format!(
                "the generated case does not parse: {}",
                errors.join("; ")
            )));
        }
    }
    found
}

/// Proves and writes a case. On a shared endpoint the case runs on a lane the fuzzer has
/// cleaned and read back, so that what it shows is the endpoint's and not the fuzzer's
/// leftovers; nothing runs past `deadline`.
async fn finish(
    env: &Env,
    options: &FuzzOptions,
    found: &mut FoundCase,
    case: CaseFile,
    deadline: Option<Instant>,
) {
    if let Some(verify) = &options.verify {
        found.verified = Some(prove(env, &case.case, verify, deadline).await);
    }
    if let Some(out) = &options.out {
        match write_case(out, &case) {
            Ok(path) => found.path = Some(path),
            Err(error) => found.verified = Some(Err(format!("cannot write the case: {error}"))),
        }
    }
    found.case = Some(case);
}

async fn prove(
    env: &Env,
    case: &eni_spec::Case,
    verify: &Verify,
    deadline: Option<Instant>,
) -> Result<(), String> {
    let time_up = || deadline.is_some_and(|d| Instant::now() >= d);
    if time_up() {
        return Err("not proven: the run's time (--time) was up".into());
    }
    let restored = env.make_clean(deadline).await;
    if !restored.is_clean() {
        return Err(format!(
            "not proven: the endpoint's lane could not be cleaned first (left: {})",
            restored
                .left
                .iter()
                .chain(&restored.fixtures_left)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let world = env.reference_world();
    let clean: Arc<dyn Target> = if !env.target.is_embedded() && world != env.world {
        Arc::new(EmbeddedTarget::with_world(&verify.profile, world))
    } else {
        Arc::clone(&verify.clean)
    };
    let failing: Arc<dyn Target> = Arc::new(GatedTarget {
        inner: Arc::clone(&verify.failing),
        deadline,
    });
    let outcome = verify_case(case, clean.as_ref(), failing.as_ref(), &verify.profile).await;
    if outcome.is_err() && time_up() {
        return Err("not proven: the run's time (--time) ran out while proving".into());
    }
    outcome
}

/// Runs a case against the clean and the failing target: it must pass on the first and fail on
/// the second.
pub async fn verify_case(
    case: &eni_spec::Case,
    clean: &dyn Target,
    failing: &dyn Target,
    profile: &Arc<Profile>,
) -> Result<(), String> {
    let context = CaseContext {
        profile: Arc::clone(profile),
        repro_url: "http://127.0.0.1:0/".into(),
        run_token: "fuzz-verify".into(),
    };
    let clean = run_case(case, clean, &context).await;
    let failing = run_case(case, failing, &context).await;
    let describe = |outcome: &crate::runner::CaseOutcome| {
        outcome
            .failures
            .iter()
            .map(|f| format!("{} {}: {}", f.step, f.label(), f.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match (&clean.verdict, &failing.verdict) {
        (Verdict::Pass, Verdict::Fail) => Ok(()),
        (Verdict::Pass, _) => Err(
            "the case passes on the failing target too: the finding did not reproduce as a case"
                .into(),
        ),
        (_, _) => Err(format!(
            "the case does not pass on the reference: {}",
            describe(&clean)
        )),
    }
}

/// Writes `out/<slug>.yaml`, never overwriting: a second finding of a similar name gets `-2`,
/// in its file name and its `id` alike (two cases of one id would stop the suite loading; slugs
/// are cut at 80 characters, so different findings can share one).
pub fn write_case(out: &Path, case: &CaseFile) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let id_line = format!("id: regressions.{}", case.slug);
    for n in 1..1000 {
        let (name, text) = if n == 1 {
            (format!("{}.yaml", case.slug), case.text.clone())
        } else {
            // The id line itself, never a header comment that happens to quote it.
            let text: Vec<String> = case
                .text
                .split_inclusive('\n')
                .scan(false, |renamed, line| {
                    if !*renamed && line.trim_end() == id_line {
                        *renamed = true;
                        return Some(format!("{id_line}-{n}\n"));
                    }
                    Some(line.to_string())
                })
                .collect();
            (format!("{}-{n}.yaml", case.slug), text.concat())
        };
        let path = out.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(text.as_bytes())?;
                return Ok(path);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other("too many cases of the same name"))
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    #[test]
    fn an_endpoints_line_breaks_cannot_start_a_line_of_the_description() {
        let finding = Finding::new(
            Kind {
                check: "differential".into(),
                signature: "x".into(),
            },
            1,
            "answered `X`\nPASS: 999 passed, 0 failed\r\u{1b}[2J",
            "invariant 2",
        );
        let described = found_case(&finding, 3, 4).describe();
        assert!(
            !described
                .lines()
                .any(|line| line.starts_with("PASS") || line.contains('\r')),
            "{described}"
        );
        assert!(!described.contains('\u{1b}'), "{described}");
    }
}
