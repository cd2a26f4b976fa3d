//! `eni-harness fuzz`: seeded sequence fuzzing against a target, beside a clean reference
//! emulator; each new kind of finding is printed when it is found, then shrunk and written as a
//! regression case. Exit codes: 0 no findings, 1 findings (or a vacuous run), 2 usage.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use eni_emulator::Defect;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, parse_duration, runtime};
use crate::fuzzer::{self, Env, FuzzEvent, FuzzOptions, ShrinkBudget, TargetSpec, Verify};
use crate::profile::Profile;
use crate::targets::{EmbeddedTarget, HttpTarget, HttpTargetOptions, Target};
use crate::wire::{Credentials, Format, Signing};

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// `embedded` (a fresh in-process emulator per sequence) or the URL of an endpoint.
    #[arg(long, default_value = "embedded")]
    target: String,
    /// Profile (YAML): fixtures, contract version. Default: the embedded emulator's.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Seed of the sequences: the same seed gives the same sequences.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The run's hard bound, shrinking and proving included: nothing is sent after it, and the
    /// run ends within one request timeout of it (default 60s unless --runs is given).
    #[arg(long, value_parser = parse_duration)]
    time: Option<Duration>,
    /// The most one finding's shrinking may take, within what is left of --time; an unfinished
    /// shrink still writes the smallest case found so far.
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    shrink_time: Duration,
    /// Stop at the first finding, once it is shrunk, written and proven.
    #[arg(long)]
    fail_fast: bool,
    /// Stop after this many sequences.
    #[arg(long)]
    runs: Option<u64>,
    /// Sequences at once. Default: one per core against the embedded target; against an HTTP
    /// target one per lane of the profile's fixtures (lanes share no VSwitch or instance).
    #[arg(long)]
    jobs: Option<usize>,
    /// Fire assigns, unassigns and creates at once at the smallest VSwitch (of each lane)
    /// instead.
    #[arg(long)]
    concurrency: bool,
    /// Where regression cases are written.
    #[arg(long, default_value = "cases/regressions")]
    out: PathBuf,
    /// Do not write case files.
    #[arg(long)]
    no_write: bool,
    /// Plant a defect in the embedded target (repeatable); `eni-harness selftest` lists them.
    #[arg(long = "defect")]
    defects: Vec<String>,
    /// Transition time (Attaching, Detaching, Deleting) an HTTP target is expected to take: how
    /// often its clean-up polls, and the least a written case waits.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    async_delay: Duration,
    /// Deadline of one request to an HTTP target.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
    /// Signature version of the requests to an HTTP target (overrides the profile).
    #[arg(long, value_parser = ["v1", "v3", "none"])]
    signing: Option<String>,
    /// Response format the sequences' requests ask for (overrides the profile); the fuzzer's
    /// own reads of the state stay JSON.
    #[arg(long, value_parser = ["json", "xml"])]
    format: Option<String>,
}

pub fn fuzz(args: FuzzArgs) -> u8 {
    let profile = match &args.profile {
        Some(path) => match Profile::load(path) {
            Ok(profile) => profile,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_USAGE;
            }
        },
        None => Profile::embedded(),
    };
    let mut profile = profile;
    match args.signing.as_deref() {
        Some("v1") => profile.signing = Signing::V1,
        Some("v3") => profile.signing = Signing::V3,
        Some(_) => profile.signing = Signing::None,
        None => {}
    }
    match args.format.as_deref() {
        Some("xml") => profile.format = Format::Xml,
        Some(_) => profile.format = Format::Json,
        None => {}
    }
    let mut profile = Arc::new(profile);
    let mut defects = Vec::new();
    for name in &args.defects {
        match name.parse::<Defect>() {
            Ok(defect) => defects.push(defect),
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_USAGE;
            }
        }
    }
    let embedded = args.target == "embedded";
    if !embedded && !defects.is_empty() {
        eprintln!("error: --defect plants defects in the embedded target only");
        return EXIT_USAGE;
    }
    let runtime = runtime();
    let (spec, failing): (TargetSpec, Arc<dyn Target>) = if embedded {
        let failing = EmbeddedTarget::new(&profile).with_defects(defects.clone());
        let label = failing.describe();
        let planted = defects.clone();
        let configure: fuzzer::Configure = Arc::new(move |config| config.defects = planted.clone());
        (TargetSpec::Embedded { configure, label }, Arc::new(failing))
    } else {
        let target = match http_target(&args, &profile) {
            Ok(target) => Arc::new(target),
            Err(error) => {
                eprintln!("error: {error:#}");
                return EXIT_USAGE;
            }
        };
        // Instances whose primary ENI the profile leaves out are read from the endpoint, as a
        // suite run does: without them the reference would not know those instances at all.
        let mut completed = Profile::clone(&profile);
        for note in runtime.block_on(crate::runner::discover_primaries(
            target.as_ref(),
            &mut completed,
        )) {
            eprintln!("warning: {}", crate::escape::terminal(&note));
        }
        profile = Arc::new(completed);
        let spec = TargetSpec::Http {
            target: Arc::clone(&target),
            signing: profile.signing,
        };
        (spec, target)
    };
    let env = match Env::new(Arc::clone(&profile), spec, args.async_delay) {
        Ok(env) => Arc::new(env),
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
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
    let time = match (args.time, args.runs) {
        (None, None) => Some(Duration::from_secs(60)),
        (time, _) => time,
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let options = FuzzOptions {
        seed: args.seed,
        runs: args.runs,
        time,
        jobs: args
            .jobs
            .unwrap_or_else(|| if embedded { cores } else { env.lanes().len() })
            .max(1),
        concurrency: args.concurrency,
        out: (!args.no_write).then(|| args.out.clone()),
        shrink: ShrinkBudget {
            time: args.shrink_time,
            ..ShrinkBudget::default()
        },
        live: std::io::stderr().is_terminal(),
        verify: Some(verify),
        fail_fast: args.fail_fast,
        observer: Some(Arc::new(print_event)),
    };
    let report = runtime.block_on(fuzzer::fuzz(env, options));
    // Findings quote what the endpoint answered: shown as text, never as terminal controls.
    eprintln!("{}", crate::escape::terminal_lines(&report.summary()));
    if !report.findings.is_empty() || report.is_vacuous() {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// Prints a finding as soon as it comes up, and again once it is shrunk and written (over the
/// live status line, which the next refresh redraws).
fn print_event(event: &FuzzEvent<'_>) {
    let text = match event {
        FuzzEvent::Found {
            finding,
            sequence,
            after,
        } => format!(
            "fuzz: found {} at sequence {sequence} after {:.1} s, shrinking it: {}",
            finding.kind,
            after.as_secs_f64(),
            crate::escape::terminal(&finding.message)
        ),
        FuzzEvent::Handled(found) => format!("fuzz: finding\n{}", found.describe()),
    };
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
    eprintln!("{}", crate::escape::terminal_lines(&text));
}

fn http_target(args: &FuzzArgs, profile: &Profile) -> anyhow::Result<HttpTarget> {
    // A user name in the URL must not hide the host (the target refuses such URLs anyway).
    let shown = crate::escape::url_without_userinfo(&args.target);
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
        base_url: args.target.clone(),
        region: profile.region.clone(),
        credentials,
        signing: profile.signing,
        connect_timeout: Duration::from_secs(5).min(args.timeout),
        request_timeout: args.timeout,
        max_body_bytes: 4 << 20,
    })
}
