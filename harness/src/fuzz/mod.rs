//! Sequence fuzzing: seeded, structured operation sequences (see [`ops`]) run against a target
//! beside a clean reference emulator, judged by the contract's invariants, the documented codes
//! and statuses, and a differential comparison ([`oracle`]); each new kind of finding is shrunk
//! ([`shrink`]) and written as a ready-to-run regression case ([`emit`]). `--concurrency` fires
//! requests at once instead ([`concurrency`]).
//!
//! The same seed gives the same sequences: sequence `n` decodes bytes drawn from
//! `SplitMix64::for_sequence(seed, n)`.

pub mod concurrency;
pub mod emit;
pub mod exec;
pub mod fixtures;
pub mod inproc;
pub mod ops;
pub mod oracle;
pub mod rng;
pub mod shrink;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use emit::{CaseFile, Provenance};
pub use exec::{Configure, Env, SeqResult, TargetSpec, execute};
pub use oracle::{Finding, Kind};
pub use shrink::ShrinkBudget;

use crate::profile::Profile;
use crate::runner::{CaseContext, Verdict, run_case};
use crate::target::Target;

/// Bytes drawn per sequence; more than the longest sequence consumes.
const BYTES_PER_SEQUENCE: usize = 2048;
/// Attempts to reproduce a concurrency finding per shrink candidate.
const CONCURRENT_REPEATS: usize = 3;

/// How a fuzz run goes.
#[derive(Clone)]
pub struct FuzzOptions {
    pub seed: u64,
    /// Stop after this many sequences (or rounds, with `concurrency`).
    pub runs: Option<u64>,
    /// Stop after this long: no step starts later (shrinking a finding in progress, and the
    /// clean-up of a shared target, finish first).
    pub time: Option<Duration>,
    /// Sequences at once; against a shared target at most one per lane of fixtures.
    pub jobs: usize,
    pub concurrency: bool,
    /// Where case files are written; `None`: not written.
    pub out: Option<PathBuf>,
    pub shrink: ShrinkBudget,
    /// A status line on stderr, refreshed.
    pub live: bool,
    /// Run each written case against these to prove it reproduces.
    pub verify: Option<Verify>,
}

impl std::fmt::Debug for FuzzOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuzzOptions")
            .field("seed", &self.seed)
            .field("runs", &self.runs)
            .finish_non_exhaustive()
    }
}

/// A written case must pass on `clean` and fail on `failing`.
#[derive(Clone)]
pub struct Verify {
    pub clean: Arc<dyn Target>,
    pub failing: Arc<dyn Target>,
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
    pub kind: Kind,
    pub message: String,
    pub sequence: u64,
    pub original_steps: usize,
    pub steps: usize,
    pub case: Option<CaseFile>,
    pub path: Option<PathBuf>,
    /// `Ok` when the case fails on the failing target and passes on the clean one.
    pub verified: Option<Result<(), String>>,
    /// When the first finding of this kind came up, from the start of the run.
    pub found_after: Duration,
    /// Time spent shrinking it, writing the case and verifying it.
    pub shrinking: Duration,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct FuzzReport {
    pub target: String,
    pub seed: u64,
    /// Sequences run at once (jobs, or lanes against a shared target).
    pub streams: usize,
    pub sequences: u64,
    pub requests: usize,
    pub reference_requests: usize,
    pub mutating: usize,
    pub mutating_ok: usize,
    pub unknown_outcomes: usize,
    pub elapsed: Duration,
    /// Time spent fuzzing, shrinking excluded (for the rate).
    pub fuzzing: Duration,
    pub findings: Vec<FoundCase>,
}

/// Below this share of successful mutating requests a run proves nothing.
pub const MIN_SUCCESS_RATIO: f64 = 0.2;

impl FuzzReport {
    pub fn success_ratio(&self) -> f64 {
        if self.mutating == 0 {
            0.0
        } else {
            self.mutating_ok as f64 / self.mutating as f64
        }
    }

    /// Too few mutating requests succeeded for the run to mean anything.
    pub fn is_vacuous(&self) -> bool {
        self.success_ratio() < MIN_SUCCESS_RATIO
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

    pub fn summary(&self) -> String {
        let mut out = format!(
            "fuzz: target {}, seed {}: {} sequences ({} at once), {} requests to the target ({:.0}/s; {} to the reference) in {:.1}s; \
             {}/{} mutating requests succeeded ({:.0}%); {} unknown outcomes; {} finding(s)",
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
            self.findings.len()
        );
        for found in &self.findings {
            out.push_str(&format!(
                "\n  - {} (sequence {} after {:.1} s; shrunk {} → {} steps in {:.1} s)\n    {}",
                found.kind,
                found.sequence,
                found.found_after.as_secs_f64(),
                found.original_steps,
                found.steps,
                found.shrinking.as_secs_f64(),
                found.message
            ));
            if let Some(path) = &found.path {
                out.push_str(&format!("\n    case: {}", path.display()));
            }
            match &found.verified {
                Some(Ok(())) => {
                    out.push_str(" (reproduces: fails on the target, passes on the reference)")
                }
                Some(Err(why)) => out.push_str(&format!("\n    note: {why}")),
                None => {}
            }
        }
        if self.is_vacuous() {
            out.push_str(&format!(
                "\nfuzz: VACUOUS: only {:.0}% of mutating requests succeeded (at least {:.0}% needed); check the profile's fixtures",
                100.0 * self.success_ratio(),
                100.0 * MIN_SUCCESS_RATIO
            ));
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
    findings: AtomicUsize,
    shrinking: Mutex<Duration>,
    seen: Mutex<HashSet<Kind>>,
    found: Mutex<Vec<FoundCase>>,
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

/// Runs the fuzzer until `runs` or `time` is reached. Against the embedded target each sequence
/// gets fresh emulators, so `jobs` sequences run at once. Against a shared (HTTP) target each
/// sequence's reference mirrors the state of the VSwitches it uses, so sequences run at once
/// only on lanes of fixtures that share no state ([`fixtures::Fixtures::lanes`]): one stream per
/// lane, at most `jobs`. Sequence `n` runs on stream `n % streams`.
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
    let mut workers = tokio::task::JoinSet::new();
    for (first, env) in streams.into_iter().enumerate() {
        let (options, shared) = (options.clone(), Arc::clone(&shared));
        let stream = Stream {
            first: first as u64,
            stride,
            started,
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
    done.store(true, Ordering::Relaxed);
    if let Some(live) = live {
        let _ = live.await;
    }
    let elapsed = started.elapsed();
    let shrinking = *shared.shrinking.lock().expect("not poisoned");
    let mut findings = std::mem::take(&mut *shared.found.lock().expect("not poisoned"));
    findings.sort_by(|a, b| a.kind.cmp(&b.kind));
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
        elapsed,
        // With several streams, shrinking in one still leaves the others fuzzing.
        fuzzing: elapsed
            .saturating_sub(shrinking / stride as u32)
            .max(Duration::from_millis(1)),
        findings,
    }
}

/// Which sequences one worker runs: `first`, `first + stride`, …
#[derive(Debug, Clone, Copy)]
struct Stream {
    first: u64,
    stride: u64,
    started: Instant,
}

async fn worker(env: &Env, options: &FuzzOptions, shared: &Shared, stream: Stream) {
    let deadline = options.time.map(|limit| stream.started + limit);
    let mut sequence = stream.first;
    loop {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return;
        }
        if options.runs.is_some_and(|runs| sequence >= runs) {
            return;
        }
        let mut rng = rng::SplitMix64::for_sequence(options.seed, sequence);
        let new_kinds = if options.concurrency {
            let ops = concurrency::generate(&mut rng);
            let token = format!("fuzz-{}-{sequence}", options.seed);
            let result = concurrency::round(env, &ops, &token).await;
            shared.count(
                result.requests,
                0,
                result.mutating,
                result.mutating_ok,
                result.unknown_outcomes,
            );
            let new = new_kinds(shared, &result.findings);
            for finding in &new {
                let found = timed(stream.started, || {
                    concurrent_finding(env, options, &ops, finding, sequence)
                })
                .await;
                shared.found.lock().expect("not poisoned").push(found);
            }
            new.len()
        } else {
            let ops = ops::decode_sequence(&rng.bytes(BYTES_PER_SEQUENCE));
            let result = execute(env, &ops, None, deadline).await;
            shared.count(
                result.requests,
                result.reference_requests,
                result.mutating,
                result.mutating_ok,
                result.unknown_outcomes,
            );
            let new = new_kinds(shared, &result.findings);
            for finding in &new {
                let found = timed(stream.started, || {
                    sequence_finding(env, options, ops.clone(), finding, sequence)
                })
                .await;
                *shared.shrinking.lock().expect("not poisoned") += found.shrinking;
                shared.found.lock().expect("not poisoned").push(found);
            }
            new.len()
        };
        shared.findings.fetch_add(new_kinds, Ordering::Relaxed);
        shared.sequences.fetch_add(1, Ordering::Relaxed);
        sequence += stream.stride;
    }
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

async fn sequence_finding(
    env: &Env,
    options: &FuzzOptions,
    ops: Vec<ops::Op>,
    finding: &Finding,
    sequence: u64,
) -> FoundCase {
    let original_steps = ops.len();
    let (small, run) = shrink::shrink(env, ops, &finding.kind, options.shrink).await;
    let message = run
        .findings
        .iter()
        .find(|f| f.kind == finding.kind)
        .map_or_else(
            || finding.message.clone(),
            |f| format!("step {}: {}", f.step + 1, f.message),
        );
    let provenance = Provenance {
        kind: finding.kind.clone(),
        message: message.clone(),
        seed: options.seed,
        sequence,
        target: env.target.describe(),
    };
    let mut found = FoundCase {
        kind: finding.kind.clone(),
        message,
        sequence,
        original_steps,
        steps: small.len(),
        case: None,
        path: None,
        verified: None,
        found_after: Duration::ZERO,
        shrinking: Duration::ZERO,
    };
    match emit::case_file(&run.steps, &env.fixtures, &provenance) {
        Ok(case) => finish(options, &mut found, case).await,
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
) -> FoundCase {
    let started = Instant::now();
    let mut best = ops.to_vec();
    let mut index = 0;
    let mut attempt = 0u64;
    while index < best.len() && best.len() > 1 && started.elapsed() < options.shrink.time {
        let mut candidate = best.clone();
        candidate.remove(index);
        let mut shows = false;
        for _ in 0..CONCURRENT_REPEATS {
            attempt += 1;
            let token = format!("fuzz-shrink-{}-{sequence}-{attempt}", options.seed);
            if concurrency::round(env, &candidate, &token)
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
    let slug = emit::slug(&finding.kind);
    let title = format!(
        "Fuzz finding: {} (seed {}, round {sequence})",
        finding.kind, options.seed
    );
    let text = concurrency::case_text(&best, env, &title, &slug);
    let mut found = FoundCase {
        kind: finding.kind.clone(),
        message: finding.message.clone(),
        sequence,
        original_steps: ops.len(),
        steps: best.len(),
        case: None,
        path: None,
        verified: None,
        found_after: Duration::ZERO,
        shrinking: Duration::ZERO,
    };
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
                Ok(text) => finish(options, &mut found, CaseFile { slug, text, case }).await,
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

/// Verifies and writes a case.
async fn finish(options: &FuzzOptions, found: &mut FoundCase, case: CaseFile) {
    if let Some(verify) = &options.verify {
        found.verified = Some(verify_case(&case.case, verify).await);
    }
    if let Some(out) = &options.out {
        match write_case(out, &case) {
            Ok(path) => found.path = Some(path),
            Err(error) => found.verified = Some(Err(format!("cannot write the case: {error}"))),
        }
    }
    found.case = Some(case);
}

/// Runs a case against the clean and the failing target: it must pass on the first and fail on
/// the second.
pub async fn verify_case(case: &eni_spec::Case, verify: &Verify) -> Result<(), String> {
    let context = CaseContext {
        profile: Arc::clone(&verify.profile),
        repro_url: "http://127.0.0.1:0/".into(),
        run_token: "fuzz-verify".into(),
    };
    let clean = run_case(case, verify.clean.as_ref(), &context).await;
    let failing = run_case(case, verify.failing.as_ref(), &context).await;
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

/// Writes `out/<slug>.yaml`, never overwriting: a second finding of a similar name gets `-2`.
pub fn write_case(out: &Path, case: &CaseFile) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{}.yaml", case.slug)
        } else {
            format!("{}-{n}.yaml", case.slug)
        };
        let path = out.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(case.text.as_bytes())?;
                return Ok(path);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other("too many cases of the same name"))
}
