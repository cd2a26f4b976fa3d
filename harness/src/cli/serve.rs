//! `eni-harness serve`: the reference emulator over HTTP, for SDKs, curl and `run --target URL`;
//! with `--journal FILE`, a record of how every request was judged (read it with
//! `eni-harness journal FILE`); with `--defect NAME`, a deliberately broken emulator.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, ValueEnum};
use eni_emulator::{
    Config, ContractProfile, Defect, Emulator, Fault, FaultRule, FaultWhen, Journal, JournalEntry,
    ServeLimits, SigningMode, World,
};

use super::{EXIT_OK, EXIT_USAGE, parse_duration, runtime};

#[derive(Debug, Args)]
pub struct ServeArgs {
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

/// A defect by name; an unknown name lists every known one.
pub(crate) fn parse_defect(name: &str) -> Result<Defect, String> {
    name.parse::<Defect>().map_err(|error| error.to_string())
}

/// A journal that appends each entry to `path` as one JSON line, written and flushed at once.
pub(crate) fn file_journal(path: &Path) -> std::io::Result<Journal> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let file = Arc::new(Mutex::new(file));
    let failed = Arc::new(AtomicBool::new(false));
    let shown = path.display().to_string();
    Ok(Journal::new(move |entry: &JournalEntry| {
        // Entries hold what clients sent: the line escapes every control character.
        let mut line = crate::escape::json_line(entry).expect("a journal entry always serializes");
        line.push('\n');
        let mut file = file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // One write of the whole line: with O_APPEND, lines of concurrent requests never interleave.
        let written = file.write_all(line.as_bytes()).and_then(|()| file.flush());
        if let Err(error) = written
            && !failed.swap(true, Ordering::Relaxed)
        {
            eprintln!(
                "error: cannot append to the journal {shown}: {error} (further errors not shown)"
            );
        }
    }))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ContractArg {
    Seed,
    Current,
}

pub fn serve(args: ServeArgs) -> u8 {
    let limits = serve_limits(&args);
    let world = match &args.world {
        None => World::builtin(),
        Some(path) => {
            // A name without a file of that name is a built-in world: an installed tool has no
            // checkout to point at.
            let builtin = (!path.exists())
                .then(|| path.to_str().and_then(crate::builtin::world))
                .flatten();
            let text = match builtin {
                Some(text) => text.to_string(),
                None => match std::fs::read_to_string(path) {
                    Ok(text) => text,
                    Err(error) => {
                        eprintln!(
                            "error: cannot read world file {}: {error}\n  = help: give a world file, or a built-in world by name: {}",
                            crate::escape::terminal(&path.display().to_string()),
                            crate::builtin::names_in(crate::builtin::WORLDS).join(", ")
                        );
                        return EXIT_USAGE;
                    }
                },
            };
            match World::from_yaml(&text, &path.display().to_string()) {
                Ok(world) => world,
                Err(error) => {
                    eprintln!("error: {error}");
                    return EXIT_USAGE;
                }
            }
        }
    };
    let mut config = Config::new(world);
    config.contract = match args.contract {
        ContractArg::Seed => ContractProfile::seed(),
        ContractArg::Current => ContractProfile::current(),
    };
    if args.relaxed_signing {
        config.signing = SigningMode::Relaxed;
        eprintln!(
            "WARNING: signatures are NOT verified (--relaxed-signing): any request is taken as authentic."
        );
        eprintln!(
            "WARNING: use this for curl by hand only; conformance runs must verify signatures."
        );
    }
    config.timings.set_transitions(args.async_delay);
    config.timings.task = args.task_duration;
    config.faults = args.faults;
    config.seed = args.seed;
    config.variant = args.variant;
    config.alternative_codes = args.alternative_codes;
    let planted = args.defects.len();
    if !args.defects.is_empty() {
        eprintln!(
            "WARNING: this emulator is DELIBERATELY BROKEN: {} defect(s) planted (--defect).",
            args.defects.len()
        );
        for defect in &args.defects {
            eprintln!("WARNING:   {}: {}", defect.name(), defect.doc());
        }
        eprintln!("WARNING: its answers do NOT follow the contract; never use it as a reference.");
        config.defects = args.defects;
    }
    if let Some(path) = &args.journal {
        match file_journal(path) {
            Ok(journal) => {
                eprintln!(
                    "journal: appending one line per request to {}",
                    path.display()
                );
                config.journal = Some(journal);
            }
            Err(error) => {
                eprintln!("error: cannot open the journal {}: {error}", path.display());
                return EXIT_USAGE;
            }
        }
    }
    let credentials = credentials_line(&config.world, args.world.is_some());
    let emulator = Emulator::new(config);
    runtime().block_on(async move {
        let listener = match listen(args.addr) {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("error: cannot listen on {}: {error}", args.addr);
                return EXIT_USAGE;
            }
        };
        let bound = listener
            .local_addr()
            .map_or_else(|_| args.addr.to_string(), |addr| addr.to_string());
        println!("eni-harness emulator listening on http://{bound}/");
        if let Some(seed) = args.variant {
            println!(
                "variant world, seed {seed}: allocation, ids, listing order, messages, primaries and other tenants' ENIs differ from the reference (see DECISIONS.md)"
            );
        }
        if planted > 0 {
            println!(
                "WARNING: DELIBERATELY BROKEN emulator: {planted} defect(s) planted; see stderr"
            );
        }
        println!("{credentials} — Ctrl-C or SIGTERM to stop");
        println!(
            "limits: {} connections; idle {:?}, header {:?}, body {:?} timeouts",
            limits.max_connections, limits.idle_timeout, limits.header_timeout, limits.body_timeout
        );
        tokio::spawn(give_back_freed_memory());
        match eni_emulator::serve_with(listener, emulator, limits, shutdown_signal()).await {
            Ok(()) => {
                eprintln!("stopped");
                EXIT_OK
            }
            Err(error) => {
                eprintln!("error: the server stopped: {error}");
                EXIT_USAGE
            }
        }
    })
}

/// The banner line naming the AccessKeyIds the world accepts (never their secrets).
fn credentials_line(world: &World, from_file: bool) -> String {
    let keys: Vec<String> = world
        .credentials
        .iter()
        .map(|credential| format!("`{}`", crate::escape::terminal(&credential.access_key_id)))
        .collect();
    let source = if from_file {
        "from the world file"
    } else {
        "built-in world"
    };
    match keys.as_slice() {
        [] => format!("credentials: none ({source}): only --relaxed-signing accepts requests"),
        [one] => format!("credentials: AccessKeyId {one} ({source})"),
        many => format!("credentials: AccessKeyIds {} ({source})", many.join(", ")),
    }
}

/// The command's allocator (mimalloc) returns freed memory to the system only when a later
/// free finds its purge delay (1 s) passed; a server that falls idle after a flood of
/// connections frees nothing more and would keep their memory. A megabyte allocated and freed
/// every two seconds is that later free: after 10,000 keep-alive connections holding partial
/// requests closed, RSS went from 297 MB back to 73–85 MB within 3 s, instead of staying there
/// until the next requests.
async fn give_back_freed_memory() {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        std::hint::black_box(Vec::<u8>::with_capacity(1 << 20));
    }
}

/// Connections the kernel holds for the accept loop: std's 128 overflowed under a burst of
/// connects, and a dropped SYN costs its client a second.
const ACCEPT_BACKLOG: u32 = 4096;

/// A listener on `addr` with a deep accept queue.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As std's bind does, so a restarted server can take its port again at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// The server's limits from the flags; the connection cap stays under the open-files limit, so
/// that accepting never fails for want of a file descriptor.
fn serve_limits(args: &ServeArgs) -> ServeLimits {
    let mut max_connections = args.max_connections.max(1);
    if let Some(files) = open_files_limit()
        && files.saturating_sub(64) < max_connections
    {
        max_connections = files.saturating_sub(64).max(1);
        eprintln!(
            "note: --max-connections lowered to {max_connections}: this process may open {files} files (raise with `ulimit -n`)"
        );
    }
    ServeLimits {
        max_connections,
        idle_timeout: args.idle_timeout,
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        ..ServeLimits::DEFAULT
    }
}

/// The soft limit on open files, where the system says (Linux's `/proc/self/limits`).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Resolves on Ctrl-C or SIGTERM, so the server drains and exits cleanly.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Parses `throttling@rate=0.1`, `conflict@nth=3,action=AssignPrivateIpAddresses`,
/// `latency=200ms@rate=1`.
fn parse_fault(text: &str) -> Result<FaultRule, String> {
    let usage = "write KIND@nth=N or KIND@rate=R[,action=NAME], KIND one of throttling, conflict, unavailable, latency=DURATION";
    let (kind, when) = text
        .split_once('@')
        .ok_or_else(|| format!("`{text}`: {usage}"))?;
    let fault = match kind.split_once('=') {
        Some(("latency", duration)) => Fault::Latency(parse_duration(duration)?),
        None if kind == "throttling" => Fault::Throttling,
        None if kind == "conflict" => Fault::Conflict,
        None if kind == "unavailable" => Fault::ServiceUnavailable,
        _ => return Err(format!("`{kind}` is not a fault kind: {usage}")),
    };
    let mut rule_when = None;
    let mut action = None;
    for part in when.split(',') {
        match part.split_once('=') {
            Some(("nth", n)) => {
                let n: u64 = n
                    .parse()
                    .map_err(|_| format!("`nth={n}` needs a whole number ≥ 1"))?;
                if n == 0 {
                    return Err("`nth` counts from 1".into());
                }
                rule_when = Some(FaultWhen::Nth(n));
            }
            Some(("rate", rate)) => {
                let rate: f64 = rate
                    .parse()
                    .map_err(|_| format!("`rate={rate}` needs a number in 0..=1"))?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("`rate={rate}` needs a number in 0..=1"));
                }
                rule_when = Some(FaultWhen::Rate(rate));
            }
            Some(("action", name)) => action = Some(name.to_string()),
            _ => return Err(format!("`{part}`: {usage}")),
        }
    }
    let when = rule_when.ok_or_else(|| format!("`{text}` says neither nth= nor rate=: {usage}"))?;
    Ok(FaultRule {
        action,
        when,
        fault,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_names_the_worlds_own_credentials() {
        assert_eq!(
            credentials_line(&World::builtin(), false),
            "credentials: AccessKeyId `testid` (built-in world)"
        );
        let mut world = World::builtin();
        world.credentials[0].access_key_id = "LTAI-mine".into();
        world.credentials.push(eni_emulator::Credential {
            access_key_id: "second\u{1b}[2J".into(),
            access_key_secret: "never-shown".into(),
        });
        let line = credentials_line(&world, true);
        assert_eq!(
            line,
            "credentials: AccessKeyIds `LTAI-mine`, `second\\u{1b}[2J` (from the world file)"
        );
        assert!(!line.contains("testid") && !line.contains("never-shown"));
    }

    #[test]
    fn the_open_files_limit_is_read_where_the_system_says() {
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some_and(|files| files > 0));
        }
    }

    #[test]
    fn faults_parse() {
        let rule = parse_fault("conflict@nth=3,action=AssignPrivateIpAddresses").unwrap();
        assert_eq!(rule.action.as_deref(), Some("AssignPrivateIpAddresses"));
        assert!(matches!(rule.when, FaultWhen::Nth(3)));
        assert!(matches!(rule.fault, Fault::Conflict));
        assert!(
            matches!(parse_fault("latency=200ms@rate=1").unwrap().fault, Fault::Latency(d) if d == Duration::from_millis(200))
        );
        assert!(parse_fault("throttling").is_err());
        assert!(parse_fault("throttling@rate=2").is_err());
        assert!(parse_fault("boom@nth=1").is_err());
    }

    #[test]
    fn defects_parse_and_unknown_names_list_the_known_ones() {
        assert_eq!(parse_defect("misspelled-code"), Ok(Defect::MisspelledCode));
        let error = parse_defect("misspeled-code").unwrap_err();
        assert!(error.contains("unknown defect `misspeled-code`"), "{error}");
        for defect in Defect::ALL {
            assert!(error.contains(defect.name()), "{error}");
        }
    }
}
