//! `eni-harness cleanup`: lists the ENIs runs left behind on a shared target and, with
//! `--yes`, removes them, by the protocol of [`crate::cleanup`]. Exits 1 when a listing was cut
//! short or an ENI could not be removed.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{parse_duration, runtime};
use crate::cleanup::{Found, connect, find, remove};
use crate::escape::terminal;
use crate::exit::{CommandError, ErrorKind};
use crate::profile::Profile;
use crate::report::cleanup::listing;

#[derive(Debug, Args)]
pub(crate) struct CleanupArgs {
    /// The endpoint's URL (`embedded` only lists an empty world; useful to try the command).
    #[arg(long)]
    target: String,
    /// The profile of the runs: its VSwitches are searched, its `resource_prefix` matched.
    #[arg(long)]
    profile: PathBuf,
    /// Delete what was found (detaching attached ENIs first). Without it, only list.
    #[arg(long)]
    yes: bool,
    /// How long to wait for one ENI to settle (detach, attach in flight).
    #[arg(long, value_parser = parse_duration, default_value = "120s")]
    wait: Duration,
    /// Per-request timeout, e.g. `30s`.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    timeout: Duration,
}

pub(crate) fn cleanup(args: CleanupArgs) -> Result<(), CommandError> {
    let profile = match Profile::load(&args.profile) {
        Ok(profile) => profile,
        Err(error) => {
            return Err(CommandError::usage(format!("error: {error}")));
        }
    };
    let (target, connection) = match connect(&args.target, &profile, &args.profile, args.timeout) {
        Ok(connected) => connected,
        Err(error) => {
            return Err(CommandError::usage(error.to_string()));
        }
    };
    runtime().block_on(async {
        let Found {
            leftovers,
            cut_short,
        } = match find(connection.as_ref(), &profile).await {
            Ok(found) => found,
            Err(error) => {
                return Err(CommandError::failed(format!("error: {}", terminal(&error))));
            }
        };
        // Said first, so that a long listing cannot push it out of sight.
        for line in &cut_short {
            eprintln!("warning: {}", terminal(line));
        }
        let listed = if cut_short.is_empty() {
            Ok(())
        } else {
            Err(ErrorKind::Failed.into())
        };
        print!("{}", listing(&leftovers, &profile, &target.describe()));
        if leftovers.is_empty() {
            return listed;
        }
        if !args.yes {
            println!("rerun with --yes to delete them (attached ones are detached first)");
            return listed;
        }
        let mut failed = 0;
        for eni in &leftovers {
            match remove(connection.as_ref(), profile.signing, eni, args.wait).await {
                Ok(done) => println!("  {}: {}", terminal(&eni.id), terminal(&done)),
                Err(error) => {
                    failed += 1;
                    eprintln!("  {}: not removed: {}", terminal(&eni.id), terminal(&error));
                }
            }
        }
        if failed == 0 {
            listed
        } else {
            Err(ErrorKind::Failed.into())
        }
    })
}
