//! `eni-harness init`: parses the flags, calls [`crate::init`] to read the endpoint and pick
//! fixtures, writes the profile and says which cases it leaves without a fixture.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{parse_duration, runtime};
use crate::escape::{terminal, url_without_userinfo};
use crate::exit::CommandError;
use crate::init;
use crate::profile::Profile;
use crate::targets::{EmulatorKnobs, Target};
use crate::wire::Signing;

#[derive(Debug, Args)]
pub(super) struct InitArgs {
    /// The endpoint's URL, e.g. `http://127.0.0.1:8080/`; credentials come from the
    /// environment (a loopback endpoint without them gets the emulator's test credentials).
    #[arg(long)]
    target: String,
    /// The region to read; without it, the one region `DescribeRegions` lists.
    #[arg(long)]
    region: Option<String>,
    /// Where to write the profile.
    #[arg(long, default_value = "profile.yaml")]
    out: PathBuf,
    /// Overwrite `--out` if it exists.
    #[arg(long)]
    force: bool,
    /// Request signing: `v1`, `v3` or `none` (an emulator with relaxed signing).
    #[arg(long, default_value = "v1")]
    signing: String,
    /// The case files whose fixtures are checked against the written profile. Default: the
    /// suite `run` would use (`cases/` here, else the built-in suite).
    #[arg(long)]
    cases: Option<PathBuf>,
    /// Per-request timeout, e.g. `30s`.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    timeout: Duration,
}

pub(super) fn init(args: InitArgs) -> Result<(), CommandError> {
    let signing = match args.signing.as_str() {
        "v1" => Signing::V1,
        "v3" => Signing::V3,
        "none" => Signing::None,
        other => {
            return Err(CommandError::usage(format!(
                "error: --signing `{}` is not a signing\n  = help: use v1, v3 or none",
                terminal(other)
            )));
        }
    };
    if args.out.exists() && !args.force {
        return Err(CommandError::usage(format!(
            "error: {} exists\n  = help: pass --force to overwrite it, or --out another file",
            args.out.display()
        )));
    }
    // The requests carry the region init names in each; none by default.
    let mut base = Profile::embedded();
    base.region = String::new();
    base.signing = signing;
    let target = match crate::runner::plan::http_target_for(&args.target, &base, args.timeout, true)
    {
        Ok(target) => target,
        Err(error) => {
            return Err(CommandError::usage(format!("error: {error:#}")));
        }
    };
    let shown = terminal(&url_without_userinfo(&args.target)).into_owned();
    let connection = match target.connect(&EmulatorKnobs::default()) {
        Ok(connection) => connection,
        Err(error) => {
            return Err(CommandError::usage(format!("error: {error:#}")));
        }
    };
    let found = runtime().block_on(init::discover(
        connection.as_ref(),
        signing,
        args.region.as_deref(),
    ));
    let found = match found {
        Ok(found) => found,
        Err(error) => {
            return Err(CommandError::failed(format!(
                "error: {}",
                terminal(&error.0)
            )));
        }
    };
    let contract = found
        .contract
        .as_ref()
        .and_then(|(name, _)| crate::profile::Contract::by_name(name))
        .unwrap_or_else(crate::profile::Contract::seed);
    let choice = init::choose(&found, &contract);
    let text = init::profile_text(&found, &choice, &target.describe(), signing);
    let profile = match Profile::parse(&text, &args.out.display().to_string()) {
        Ok(profile) => profile,
        Err(error) => {
            // A bug of init, not of the endpoint: every value written was checked.
            return Err(CommandError::failed(format!(
                "error: the discovered profile does not load: {error}"
            )));
        }
    };
    if let Err(error) = std::fs::write(&args.out, &text) {
        return Err(CommandError::usage(format!(
            "error: cannot write {}: {error}",
            args.out.display()
        )));
    }
    let written = args.out.display().to_string();
    print!(
        "{}",
        crate::report::init::written(&found, &choice, &profile, &shown, &written)
    );
    let given: Vec<PathBuf> = args.cases.iter().cloned().collect();
    let check = init::check_suite(&given, &profile);
    print!(
        "{}",
        crate::report::init::suite_check(&check, &shown, &written)
    );
    Ok(())
}
