//! Setting up a fuzz campaign from the options of `eni-harness fuzz`: the profile (with the
//! overrides and the primaries read from the endpoint), the target and its planted defects,
//! the clean reference a finding must pass on, and the campaign's bounds. The command parses
//! its flags into a [`CampaignPlan`], prepares it here, runs it and prints.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eni_emulator::Defect;

use super::{Configure, Env, FuzzOptions, ShrinkBudget, TargetSpec, Verify};
use crate::profile::Profile;
use crate::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};
use crate::wire::{Credentials, Format, Signing};

/// A campaign, the flags of `eni-harness fuzz` as values.
#[derive(Debug, Clone)]
pub(crate) struct CampaignPlan {
    /// `embedded` (a fresh in-process emulator per sequence) or the URL of an endpoint.
    pub target: String,
    /// A profile file; `None`: the embedded emulator's.
    pub profile: Option<PathBuf>,
    /// Seed of the sequences.
    pub seed: u64,
    /// The run's hard bound, shrinking and proving included (60 s when neither it nor `runs`
    /// is given).
    pub time: Option<Duration>,
    /// The most one finding's shrinking may take.
    pub shrink_time: Duration,
    /// Stop at the first finding.
    pub fail_fast: bool,
    /// Stop after this many sequences.
    pub runs: Option<u64>,
    /// Sequences at once; `None`: one per core embedded, one per lane against an endpoint.
    pub jobs: Option<usize>,
    /// Fire mutations at once at the smallest VSwitch instead.
    pub concurrency: bool,
    /// Where regression cases are written; `None`: nowhere.
    pub out: Option<PathBuf>,
    /// Defects to plant in the embedded target, by name.
    pub defects: Vec<String>,
    /// Transition time an HTTP target is expected to take.
    pub async_delay: Duration,
    /// Deadline of one request to an HTTP target.
    pub timeout: Duration,
    /// `v1`, `v3` or `none`, overriding the profile.
    pub signing: Option<String>,
    /// `json` or `xml`, overriding the profile.
    pub format: Option<String>,
}

/// Prepares the campaign `plan` describes on `runtime`: the environment and the options to
/// give [`super::fuzz()`] (without a live status line or an observer: the caller adds them).
/// `warn` hears what could not be read from the endpoint; an error is the message to print.
pub(crate) fn prepare(
    plan: &CampaignPlan,
    runtime: &tokio::runtime::Runtime,
    warn: &mut dyn FnMut(&str),
) -> Result<(Arc<Env>, FuzzOptions), String> {
    let profile = match &plan.profile {
        Some(path) => match Profile::load(path) {
            Ok(profile) => profile,
            Err(error) => return Err(format!("error: {error}")),
        },
        None => Profile::embedded(),
    };
    let mut profile = profile;
    match plan.signing.as_deref() {
        Some("v1") => profile.signing = Signing::V1,
        Some("v3") => profile.signing = Signing::V3,
        Some(_) => profile.signing = Signing::None,
        None => {}
    }
    match plan.format.as_deref() {
        Some("xml") => profile.format = Format::Xml,
        Some(_) => profile.format = Format::Json,
        None => {}
    }
    let mut profile = Arc::new(profile);
    let mut defects = Vec::new();
    for name in &plan.defects {
        match name.parse::<Defect>() {
            Ok(defect) => defects.push(defect),
            Err(error) => return Err(format!("error: {error}")),
        }
    }
    let embedded = plan.target == "embedded";
    if !embedded && !defects.is_empty() {
        return Err("error: --defect plants defects in the embedded target only".into());
    }
    let (spec, failing): (TargetSpec, Arc<dyn Target>) = if embedded {
        let failing = EmbeddedTarget::new(&profile).with_defects(defects.clone());
        let label = failing.describe();
        let planted = defects.clone();
        let configure: Configure = Arc::new(move |config| config.defects = planted.clone());
        (TargetSpec::Embedded { configure, label }, Arc::new(failing))
    } else {
        let target = match http_target(plan, &profile) {
            Ok(target) => Arc::new(target),
            Err(error) => return Err(format!("error: {error:#}")),
        };
        // Instances whose primary ENI the profile leaves out are read from the endpoint, as a
        // suite run does: without them the reference would not know those instances at all.
        let mut completed = Profile::clone(&profile);
        for note in runtime.block_on(crate::runner::discover_primaries(
            target.as_ref(),
            &mut completed,
        )) {
            warn(&format!("warning: {}", crate::escape::terminal(&note)));
        }
        profile = Arc::new(completed);
        let spec = TargetSpec::Http {
            target: Arc::clone(&target),
            signing: profile.signing,
        };
        (spec, target)
    };
    let env = match Env::new(Arc::clone(&profile), spec, plan.async_delay) {
        Ok(env) => Arc::new(env),
        Err(message) => return Err(format!("error: {message}")),
    };
    // A case found must pass on a clean emulator: the embedded target's own world, or for an
    // endpoint the world of the profile's fixtures (the one the reference starts from).
    let clean = if embedded {
        EmbeddedTarget::new(&profile)
    } else {
        EmbeddedTarget::with_world(&profile, env.world.clone())
    };
    let verify = Verify {
        clean: Arc::new(clean),
        failing,
        profile: Arc::clone(&profile),
    };
    let time = match (plan.time, plan.runs) {
        (None, None) => Some(Duration::from_secs(60)),
        (time, _) => time,
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let options = FuzzOptions {
        seed: plan.seed,
        runs: plan.runs,
        time,
        jobs: plan
            .jobs
            .unwrap_or_else(|| if embedded { cores } else { env.lanes().len() })
            .max(1),
        concurrency: plan.concurrency,
        out: plan.out.clone(),
        shrink: ShrinkBudget {
            time: plan.shrink_time,
            ..ShrinkBudget::default()
        },
        live: false,
        verify: Some(verify),
        fail_fast: plan.fail_fast,
        observer: None,
    };
    Ok((env, options))
}

fn http_target(plan: &CampaignPlan, profile: &Profile) -> anyhow::Result<HttpTarget> {
    // A user name in the URL must not hide the host (the target refuses such URLs anyway).
    let shown = crate::escape::url_without_userinfo(&plan.target);
    let loopback = ["127.", "localhost", "[::1]"].iter().any(|prefix| {
        shown
            .split_once("://")
            .is_some_and(|(_, rest)| rest.starts_with(prefix))
    });
    let credentials = match (Credentials::from_env(), profile.signing) {
        (_, Signing::None) => None,
        (Ok(credentials), _) => Some(credentials),
        // A local emulator's built-in credentials are public test values.
        (Err(_), _) if loopback => Some(Credentials::builtin_emulator()),
        (Err(error), _) => return Err(error),
    };
    HttpTarget::new(HttpTargetOptions {
        base_url: plan.target.clone(),
        region: profile.region.clone(),
        credentials,
        signing: profile.signing,
        connect_timeout: Duration::from_secs(5).min(plan.timeout),
        request_timeout: plan.timeout,
        max_body_bytes: 4 << 20,
        // The fuzzer reads the state back through its own probe, one request at a time.
        pipelining: false,
    })
}
