//! `eni-harness serve`: the reference emulator over HTTP, for SDKs, curl and `run --target URL`;
//! with `--journal FILE`, a record of how every request was judged (read it with
//! `eni-harness journal FILE`); with `--defect NAME`, a deliberately broken emulator. The setup
//! is [`crate::serve`]'s; this parses the flags and prints.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use eni_emulator::{ContractProfile, Defect, FaultRule, ServeLimits};

use super::flags::{parse_defect, parse_fault};
use super::{parse_duration, runtime};
use crate::exit::CommandError;
use crate::serve::{ServeOptions, listen, prepare};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 lets the OS pick (the URL is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// World file (YAML) describing what exists at start, or a built-in world by name
    /// (`default`, `lanes`, `variant`). Default: the built-in world.
    #[arg(long)]
    world: Option<PathBuf>,
    /// Contract version: limits and code spellings.
    #[arg(long, value_enum, default_value_t = ContractArg::Seed)]
    contract: ContractArg,
    /// Accept requests with missing or wrong signatures (for curl by hand). Never in CI.
    #[arg(long)]
    relaxed_signing: bool,
    /// How long Attaching, Detaching and Deleting last.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    async_delay: Duration,
    /// How long an assign or unassign stays in flight (a second one meets Operation.Conflict).
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    task_duration: Duration,
    /// Inject a fault: `KIND@nth=N` or `KIND@rate=R`, optionally `,action=NAME`. KIND is
    /// `throttling`, `conflict`, `unavailable` or `latency=DURATION`. Repeatable.
    #[arg(long = "fault", value_parser = parse_fault)]
    faults: Vec<FaultRule>,
    /// Seed for ids and fault randomness.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Serve a variant world: every choice the contract leaves to the endpoint (allocation,
    /// ids, listing order, message wording, where primaries the world file leaves out go,
    /// other tenants' ENIs, …) made otherwise than the reference, reproducibly from SEED.
    #[arg(long, value_name = "SEED")]
    variant: Option<u64>,
    /// Answer the codes the `current` contract accepts in place of the table's:
    /// `QuotaExceeded.PrivateIpAddress` (403) for an Assign that finds too few free addresses
    /// (row 16). Under the `seed` contract that code is undocumented.
    #[arg(long)]
    alternative_codes: bool,
    /// Append one JSON line per request to FILE: how it was signed, whether it was well-formed,
    /// the rule that answered. Summarise with `eni-harness journal FILE`.
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Plant a deliberate defect (repeatable): the emulator then breaks the contract on purpose.
    /// For checking that a harness or client notices; `eni-harness selftest` lists them all.
    #[arg(long = "defect", value_name = "NAME", value_parser = parse_defect)]
    defects: Vec<Defect>,
    /// Connections open at once; one more is answered 503 ServiceUnavailable and closed.
    /// Lowered to the open-files limit (`ulimit -n`) minus 64 when that is smaller.
    #[arg(long, value_name = "N", default_value_t = ServeLimits::DEFAULT.max_connections)]
    max_connections: usize,
    /// How long a connection may stay open with no request under way (after it opened, and
    /// between an answer and the next request).
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    idle_timeout: Duration,
    /// How long a request line and headers may take once their first byte arrived.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    header_timeout: Duration,
    /// How long a request body may take once the head was read; later, 408 RequestTimeout.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    body_timeout: Duration,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ContractArg {
    Seed,
    Current,
}

pub(crate) fn serve(args: ServeArgs) -> Result<(), CommandError> {
    let addr = args.addr;
    let options = ServeOptions {
        world: args.world,
        contract: match args.contract {
            ContractArg::Seed => ContractProfile::seed(),
            ContractArg::Current => ContractProfile::current(),
        },
        relaxed_signing: args.relaxed_signing,
        async_delay: args.async_delay,
        task_duration: args.task_duration,
        faults: args.faults,
        seed: args.seed,
        variant: args.variant,
        alternative_codes: args.alternative_codes,
        journal: args.journal,
        defects: args.defects,
        max_connections: args.max_connections,
        idle_timeout: args.idle_timeout,
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
    };
    let prepared = match prepare(options, &mut |line| eprintln!("{line}")) {
        Ok(prepared) => prepared,
        Err(error) => return Err(CommandError::usage(error.to_string())),
    };
    runtime().block_on(async move {
        let listener = match listen(addr) {
            Ok(listener) => listener,
            Err(error) => {
                return Err(CommandError::usage(format!(
                    "error: cannot listen on {addr}: {error}"
                )));
            }
        };
        let bound = listener
            .local_addr()
            .map_or_else(|_| addr.to_string(), |addr| addr.to_string());
        print!("{}", prepared.banner(&bound));
        match prepared.serve_until_signal(listener).await {
            Ok(()) => {
                eprintln!("stopped");
                Ok(())
            }
            Err(error) => Err(CommandError::usage(format!(
                "error: the server stopped: {error}"
            ))),
        }
    })
}
