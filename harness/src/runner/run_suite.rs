//! Running a suite: cases scheduled over the target's lanes, retried where the case allows,
//! each outcome settled against its snapshot; the suite's report and what it says about
//! snapshots.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eni_spec::Case;

use super::case::{CaseContext, run_case};
use super::lanes::Lane;
use super::outcome::{CaseOutcome, Failure, FailureKind, Section, Verdict};
use super::suite::LoadedCase;
use super::{discover, lanes, settle};
use crate::profile::{Fixture, Profile};
use crate::snapshot::{self, SnapshotMode, SnapshotOutcome};
use crate::targets::Target;

/// How a suite runs.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Cases run at once (on a shared target, at most one per lane).
    pub jobs: usize,
    /// Whether snapshots are compared, written or left alone.
    pub snapshots: SnapshotMode,
    /// Base URL printed in the curl lines of reproductions.
    pub repro_url: String,
    /// Unique per run, so that `${unique}` differs between runs against a shared endpoint.
    pub run_token: String,
}

/// The outcomes of a suite, in the order the cases were given.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// How the target was described (its URL, or `embedded`).
    pub target: String,
    /// The profile's name.
    pub profile: String,
    /// One outcome per case, in the order the cases were given.
    pub outcomes: Vec<CaseOutcome>,
    /// Wall-clock time of the whole suite.
    pub wall: Duration,
    /// What the run could not learn from the endpoint that the profile left out (an instance
    /// fixture's primary ENI): the cases needing it were skipped.
    pub notes: Vec<String>,
    /// Requests the runner sent besides the cases' own: looks for `Deleting` ENIs before the
    /// cases that need a VSwitch to themselves.
    pub runner_requests: usize,
}

impl SuiteReport {
    /// How many outcomes have a verdict `wanted` accepts.
    pub fn count(&self, wanted: fn(&Verdict) -> bool) -> usize {
        self.outcomes
            .iter()
            .filter(|outcome| wanted(&outcome.verdict))
            .count()
    }

    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.count(|verdict| *verdict == Verdict::Pass)
    }

    /// Cases that failed (known failures and flaky ones not included).
    pub fn failed(&self) -> usize {
        self.count(|verdict| *verdict == Verdict::Fail)
    }

    /// Cases skipped.
    pub fn skipped(&self) -> usize {
        self.count(|verdict| matches!(verdict, Verdict::Skip(_)))
    }

    /// Cases that failed, then passed when run again.
    pub fn flaky(&self) -> usize {
        self.count(|verdict| *verdict == Verdict::Flaky)
    }

    pub(crate) fn expected_failures(&self) -> usize {
        self.count(|verdict| matches!(verdict, Verdict::ExpectedFailure(_)))
    }

    /// Requests the cases sent, runner's own looks excluded.
    pub fn requests(&self) -> usize {
        self.outcomes.iter().map(|outcome| outcome.requests).sum()
    }
}

/// Runs every case, at most `jobs` at once. On a shared target the cases are dealt over the
/// profile's lanes (see `lanes::lanes_of`): a case starts on a lane that offers its fixtures
/// as soon as none of them is held by a running case, and holds them while it runs; a case
/// that needs a VSwitch to itself (`exclusive:`) first waits for its `Deleting` ENIs
/// (`settle::Settler`). Nothing waits after the last case.
pub async fn run_suite(
    cases: Vec<LoadedCase>,
    target: Arc<dyn Target>,
    profile: Arc<Profile>,
    options: SuiteOptions,
    on_done: impl Fn(&CaseOutcome) + Send + Sync + 'static,
) -> SuiteReport {
    run_suite_retrying(cases, target, profile, options, 0, on_done).await
}

/// [`run_suite`], running a failed case again up to `retries` times (on its lane, its fixtures
/// still held): a case that passes on a later attempt is [`Verdict::Flaky`], one that fails
/// every attempt fails with the last attempt's failures. For shared targets, whose other
/// tenants or throttling can fail a case once; the reports keep every failed attempt.
pub async fn run_suite_retrying(
    cases: Vec<LoadedCase>,
    target: Arc<dyn Target>,
    profile: Arc<Profile>,
    options: SuiteOptions,
    retries: usize,
    on_done: impl Fn(&CaseOutcome) + Send + Sync + 'static,
) -> SuiteReport {
    let started = Instant::now();
    let mut profile = profile;
    let mut notes = Vec::new();
    let incomplete = profile.fixtures.values().any(|fixture| {
        matches!(fixture, Fixture::Instance(instance)
            if instance.primary_eni.is_none() || instance.primary_ip.is_none() || instance.vswitch.is_none())
    });
    if incomplete {
        let mut completed = Profile::clone(&profile);
        notes = discover::discover_primaries(target.as_ref(), &mut completed).await;
        profile = Arc::new(completed);
    }
    let shared = target.is_shared();
    let mut lanes = if shared {
        lanes::lanes_of(&profile)
    } else {
        Vec::new()
    };
    // The whole profile, last: the lane of a case that no lane serves whole (it names fixtures
    // of two lanes), and the only one of a target that is not shared.
    lanes.push(Lane::whole(&profile));
    let lanes = Arc::new(lanes);
    let settler = Arc::new(settle::Settler::new(profile.timing.transition));
    let jobs = options.jobs.max(1);
    let on_done = Arc::new(on_done);
    let provenance = Arc::new(snapshot::Provenance::now(
        &target.describe(),
        &profile.name,
        &profile.contract.name,
    ));
    if options.snapshots == SnapshotMode::Update && profile.snapshots.is_none() {
        notes.push(format!(
            "profile `{}` names no `snapshots:` folder, so `--snapshots update` recorded nothing: the reference recordings are the reference emulator's; snapshots were compared by their contract view",
            profile.name
        ));
    }
    let total = cases.len();
    // Which lanes may take each case; those with fewest choices are dealt first, so that the
    // cases only one lane serves do not end up last, then in the order given.
    let mut pending: Vec<(usize, LoadedCase, Vec<usize>)> = cases
        .into_iter()
        .enumerate()
        .map(|(index, loaded)| {
            let whole = lanes.len() - 1;
            let mut eligible: Vec<usize> = (0..whole)
                .filter(|&lane| lanes[lane].serves(&loaded.case))
                .collect();
            if eligible.is_empty() {
                eligible.push(whole);
            }
            (index, loaded, eligible)
        })
        .collect();
    pending.sort_by_key(|(index, _, eligible)| (eligible.len(), *index));
    let mut holds = lanes::Holds::default();
    let mut running = vec![0usize; lanes.len()];
    let mut tasks = tokio::task::JoinSet::new();
    let mut outcomes: Vec<Option<CaseOutcome>> = vec![None; total];
    loop {
        let mut next = 0;
        while next < pending.len() && tasks.len() < jobs {
            let (_, loaded, eligible) = &pending[next];
            let wanted = |lane: usize| {
                if shared {
                    lanes[lane].holds(&loaded.case)
                } else {
                    Vec::new()
                }
            };
            let Some((lane, held)) = eligible
                .iter()
                .map(|&lane| (lane, wanted(lane)))
                .filter(|(_, held)| holds.free(held))
                .min_by_key(|(lane, _)| (running[*lane], *lane))
            else {
                next += 1;
                continue;
            };
            let (index, loaded, _) = pending.remove(next);
            holds.take(&held);
            running[lane] += 1;
            let task = CaseTask {
                index,
                lane,
                held,
                loaded,
                target: Arc::clone(&target),
                lanes: Arc::clone(&lanes),
                settler: Arc::clone(&settler),
                context: CaseContext {
                    profile: Arc::clone(&lanes[lane].profile),
                    repro_url: options.repro_url.clone(),
                    run_token: options.run_token.clone(),
                },
                snapshots: options.snapshots,
                provenance: Arc::clone(&provenance),
                snapshot_dir: profile.snapshots.clone(),
                shared,
                retries,
            };
            let on_done = Arc::clone(&on_done);
            tasks.spawn(async move {
                let done = task.run().await;
                on_done(&done.3);
                done
            });
        }
        match tasks.join_next().await {
            None => break,
            Some(Ok((index, lane, held, outcome))) => {
                holds.give_back(&held);
                running[lane] -= 1;
                outcomes[index] = Some(outcome);
            }
            // A panic in a case run is a bug of the harness: surface it, don't hide it.
            Some(Err(error)) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    notes.extend(settler.notes());
    SuiteReport {
        target: target.describe(),
        profile: profile.name.clone(),
        outcomes: outcomes.into_iter().flatten().collect(),
        wall: started.elapsed(),
        notes,
        runner_requests: settler.requests(),
    }
}

/// One case as the scheduler hands it to a task.
struct CaseTask {
    index: usize,
    lane: usize,
    held: Vec<lanes::Hold>,
    loaded: LoadedCase,
    target: Arc<dyn Target>,
    lanes: Arc<Vec<Lane>>,
    settler: Arc<settle::Settler>,
    context: CaseContext,
    snapshots: SnapshotMode,
    provenance: Arc<snapshot::Provenance>,
    snapshot_dir: Option<PathBuf>,
    shared: bool,
    /// How many times a failed case runs again.
    retries: usize,
}

impl CaseTask {
    async fn run(self) -> (usize, usize, Vec<lanes::Hold>, CaseOutcome) {
        let mut failed_attempts = Vec::new();
        let mut outcome = self.attempt().await;
        while outcome.verdict == Verdict::Fail && failed_attempts.len() < self.retries {
            failed_attempts.push(std::mem::take(&mut outcome.failures));
            outcome = self.attempt().await;
        }
        if !failed_attempts.is_empty() && outcome.verdict == Verdict::Pass {
            outcome.verdict = Verdict::Flaky;
        }
        outcome.failed_attempts = failed_attempts;
        (self.index, self.lane, self.held, outcome)
    }

    /// One run of the case: waits for its exclusive VSwitches, runs it, settles its snapshot.
    async fn attempt(&self) -> CaseOutcome {
        let lane = &self.lanes[self.lane];
        let case = &self.loaded.case;
        if self.shared {
            let exclusive = lane.exclusive_vswitch_ids(case);
            if !exclusive.is_empty() {
                self.settler
                    .settle(self.target.as_ref(), &self.context.profile, &exclusive)
                    .await;
            }
        }
        let mut outcome = run_case(case, self.target.as_ref(), &self.context).await;
        if self.shared && settle::deletes_enis(case) {
            self.settler.deleted(&lane.vswitch_ids(case));
        }
        settle_snapshot(
            &self.loaded,
            &mut outcome,
            self.snapshots,
            &self.provenance,
            self.snapshot_dir.as_deref(),
            &self.context.profile.contract,
        );
        outcome
    }
}

/// Compares or writes the case's snapshot, and fails the case on a difference: in full against
/// the target's own recording, by the contract view against the reference recording otherwise.
fn settle_snapshot(
    loaded: &LoadedCase,
    outcome: &mut CaseOutcome,
    mode: SnapshotMode,
    provenance: &snapshot::Provenance,
    own_dir: Option<&std::path::Path>,
    contract: &crate::profile::Contract,
) {
    let Some(text) = &outcome.snapshot_text else {
        return;
    };
    if matches!(outcome.verdict, Verdict::Skip(_)) {
        return;
    }
    // Blessing the exchanges of a failing case would record the wrong behaviour as the reference.
    if mode == SnapshotMode::Update && outcome.verdict == Verdict::Fail {
        return;
    }
    let recordings = snapshot::Recordings::of(&loaded.path, own_dir);
    let open = open_steps(&loaded.case);
    let result = snapshot::settle_recordings(
        &recordings,
        &outcome.title,
        text,
        mode,
        Some(provenance),
        &open,
        &|code: &str| contract.spell(code).to_string(),
        &contract.name,
    );
    let shown = recordings
        .own
        .as_ref()
        .or(recordings.reference.as_ref())
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    match result {
        Ok(settled) => {
            let failure = match &settled {
                SnapshotOutcome::New { pending } => Some(format!(
                    "no snapshot yet; proposed {} (review with `cargo insta review`, or rerun with `--snapshots update`)",
                    pending.display()
                )),
                SnapshotOutcome::Changed { diff, .. } => {
                    Some(format!("differs from {shown}:\n{diff}"))
                }
                SnapshotOutcome::ContractChanged {
                    reference,
                    diff,
                    information,
                    pending,
                } => {
                    let proposal = pending.as_ref().map_or_else(String::new, |pending| {
                        format!(
                            "\nthis target's own recording is proposed as {} (`cargo insta review`)",
                            pending.display()
                        )
                    });
                    Some(format!(
                        "what the contract decides differs from the reference recording {} (this target has no recording of its own):\n{diff}{proposal}\ninformation, the full difference:\n{information}",
                        reference.display()
                    ))
                }
                _ => None,
            };
            if let Some(message) = failure {
                outcome.fail(Failure::new(
                    Section::Steps,
                    "snapshot",
                    FailureKind::Snapshot,
                    message,
                ));
            }
            outcome.snapshot = settled;
        }
        Err(error) => {
            let message = format!("cannot use snapshot {shown}: {error}");
            outcome.fail(Failure::new(
                Section::Steps,
                "snapshot",
                FailureKind::Snapshot,
                message,
            ));
        }
    }
}

/// What the snapshots of a run show as information: the cases compared with the reference
/// recordings by their contract view, and how much of their exchanges differs where the
/// contract leaves the choice to the endpoint (extra fields, wording, order, ids). The full
/// differences are printed when at most `full_up_to` cases have any. Empty when no case was
/// compared that way.
pub fn snapshot_information(report: &SuiteReport, full_up_to: usize) -> String {
    let compared: Vec<(&CaseOutcome, &std::path::Path, Option<&String>)> = report
        .outcomes
        .iter()
        .filter_map(|outcome| match &outcome.snapshot {
            SnapshotOutcome::ContractMatched {
                reference,
                information,
            } => Some((outcome, reference.as_path(), information.as_ref())),
            _ => None,
        })
        .collect();
    if compared.is_empty() {
        return String::new();
    }
    let differing: Vec<_> = compared
        .iter()
        .filter_map(|(outcome, reference, information)| {
            information.map(|diff| (*outcome, *reference, diff))
        })
        .collect();
    let mut text = format!(
        "snapshots: {} cases compared with the reference recordings by their contract view (the profile names no recording of this target's own for them); {} differ only where the contract leaves the choice to the endpoint (information, not failures)\n",
        compared.len(),
        differing.len()
    );
    for (outcome, reference, diff) in &differing {
        let changed = diff
            .lines()
            .filter(|line| {
                (line.starts_with('+') || line.starts_with('-'))
                    && !line.starts_with("+++")
                    && !line.starts_with("---")
            })
            .count();
        text.push_str(&format!(
            "  info {}: {changed} lines differ from {}\n",
            outcome.id,
            reference.display()
        ));
        if differing.len() <= full_up_to {
            for line in diff.lines() {
                text.push_str(&format!("    {line}\n"));
            }
        }
    }
    if !differing.is_empty() {
        text.push_str("  (to review this endpoint over time, give its profile `snapshots: DIR` and record with `--snapshots update`)\n");
    }
    text
}

/// The steps whose answer the case itself leaves open: an expectation admitting more than one
/// status or code, where the contract allows either. Their contract view is the request only.
pub fn open_steps(case: &Case) -> BTreeSet<String> {
    let sections = [
        (Section::Setup, &case.setup),
        (Section::Steps, &case.steps),
        (Section::Teardown, &case.teardown),
    ];
    let mut open = BTreeSet::new();
    for (section, steps) in sections {
        for step in steps {
            let sends = match step {
                eni_spec::Step::Send(send) => std::slice::from_ref(send),
                eni_spec::Step::Concurrent { sends, .. } => sends.as_slice(),
                eni_spec::Step::Wait { .. } => &[],
            };
            for send in sends {
                // A raced answer depends on the target's timing.
                if send.expect.status.len() > 1
                    || send.expect.codes.len() > 1
                    || send.race.is_some()
                {
                    open.insert(format!("{}.{}", section.name(), send.name));
                }
            }
        }
    }
    open
}
