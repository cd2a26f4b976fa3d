//! Setting up `eni-harness serve`: the emulator its options describe (world, contract,
//! timings, faults, defects, journal), the limits it serves with, its banner, and serving until
//! Ctrl-C or SIGTERM. The command parses the flags into [`ServeOptions`] and prints.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eni_emulator::{
    Config, ContractProfile, Defect, Emulator, FaultRule, Journal, JournalEntry, ServeLimits,
    SigningMode, World,
};

/// What `eni-harness serve` serves, its flags as values.
#[derive(Debug, Clone)]
pub(crate) struct ServeOptions {
    /// A world file, or a built-in world by name; `None`: the built-in world.
    pub world: Option<PathBuf>,
    /// The contract version: limits and code spellings.
    pub contract: ContractProfile,
    /// Accept requests with missing or wrong signatures.
    pub relaxed_signing: bool,
    /// How long Attaching, Detaching and Deleting last.
    pub async_delay: Duration,
    /// How long an assign or unassign stays in flight.
    pub task_duration: Duration,
    /// Faults to inject.
    pub faults: Vec<FaultRule>,
    /// Seed for ids and fault randomness.
    pub seed: u64,
    /// Serve a variant world from this seed.
    pub variant: Option<u64>,
    /// Answer the codes the `current` contract accepts in place of the table's
    /// (`QuotaExceeded.PrivateIpAddress` for row 16).
    pub alternative_codes: bool,
    /// Append one JSON line per request to this file.
    pub journal: Option<PathBuf>,
    /// Defects to plant.
    pub defects: Vec<Defect>,
    /// Connections open at once (lowered to what the open-files limit allows).
    pub max_connections: usize,
    /// Idle timeout of a connection.
    pub idle_timeout: Duration,
    /// Time a request head may take.
    pub header_timeout: Duration,
    /// Time a request body may take.
    pub body_timeout: Duration,
}

/// An emulator ready to serve, with what its banner says.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The emulator the options describe.
    pub emulator: Emulator,
    /// The limits it serves with.
    pub limits: ServeLimits,
    /// The banner line naming the AccessKeyIds the world accepts.
    pub credentials: String,
    /// How many defects are planted.
    pub planted: usize,
    /// The variant seed, if a variant world is served.
    pub variant: Option<u64>,
}

/// Builds the emulator `options` describe. Each notice for the operator (a lowered limit, a
/// warning about relaxed signing or planted defects, where the journal goes) is handed to
/// `notice` as it arises; an error is the message to print, and nothing is served.
pub(crate) fn prepare(
    options: ServeOptions,
    notice: &mut dyn FnMut(&str),
) -> Result<Prepared, String> {
    let limits = serve_limits(&options, notice);
    let world = match &options.world {
        None => World::builtin(),
        Some(path) => {
            // A name without a file of that name is a built-in world: an installed tool has no
            // checkout to point at.
            let builtin = (!path.exists())
                .then(|| path.to_str().and_then(crate::builtin::world))
                .flatten();
            let text = match builtin {
                Some(text) => text.to_string(),
                None => std::fs::read_to_string(path).map_err(|error| {
                    format!(
                        "error: cannot read world file {}: {error}\n  = help: give a world file, or a built-in world by name: {}",
                        crate::escape::terminal(&path.display().to_string()),
                        crate::builtin::names_in(crate::builtin::WORLDS).join(", ")
                    )
                })?,
            };
            World::from_yaml(&text, &path.display().to_string())
                .map_err(|error| format!("error: {error}"))?
        }
    };
    let mut config = Config::new(world);
    config.contract = options.contract;
    if options.relaxed_signing {
        config.signing = SigningMode::Relaxed;
        notice(
            "WARNING: signatures are NOT verified (--relaxed-signing): any request is taken as authentic.",
        );
        notice("WARNING: use this for curl by hand only; conformance runs must verify signatures.");
    }
    config.timings.set_transitions(options.async_delay);
    config.timings.task = options.task_duration;
    config.faults = options.faults;
    config.seed = options.seed;
    config.variant = options.variant;
    config.alternative_codes = options.alternative_codes;
    let planted = options.defects.len();
    if !options.defects.is_empty() {
        notice(&format!(
            "WARNING: this emulator is DELIBERATELY BROKEN: {planted} defect(s) planted (--defect)."
        ));
        for defect in &options.defects {
            notice(&format!("WARNING:   {}: {}", defect.name(), defect.doc()));
        }
        notice("WARNING: its answers do NOT follow the contract; never use it as a reference.");
        config.defects = options.defects;
    }
    if let Some(path) = &options.journal {
        let journal = file_journal(path).map_err(|error| {
            format!("error: cannot open the journal {}: {error}", path.display())
        })?;
        notice(&format!(
            "journal: appending one line per request to {}",
            path.display()
        ));
        config.journal = Some(journal);
    }
    let credentials = credentials_line(&config.world, options.world.is_some());
    Ok(Prepared {
        emulator: Emulator::new(config),
        limits,
        credentials,
        planted,
        variant: options.variant,
    })
}

impl Prepared {
    /// The lines printed once the server listens on `bound`.
    pub(crate) fn banner(&self, bound: &str) -> String {
        let mut out = format!("eni-harness emulator listening on http://{bound}/\n");
        if let Some(seed) = self.variant {
            out.push_str(&format!(
                "variant world, seed {seed}: allocation, ids, listing order, messages, primaries and other tenants' ENIs differ from the reference (see DECISIONS.md)\n"
            ));
        }
        if self.planted > 0 {
            out.push_str(&format!(
                "WARNING: DELIBERATELY BROKEN emulator: {} defect(s) planted; see stderr\n",
                self.planted
            ));
        }
        out.push_str(&format!(
            "{} — Ctrl-C or SIGTERM to stop\n",
            self.credentials
        ));
        let limits = &self.limits;
        out.push_str(&format!(
            "limits: {} connections; idle {:?}, header {:?}, body {:?} timeouts\n",
            limits.max_connections, limits.idle_timeout, limits.header_timeout, limits.body_timeout
        ));
        out
    }

    /// Serves on `listener` until Ctrl-C or SIGTERM, then lets requests in flight finish.
    pub(crate) async fn serve_until_signal(
        self,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<()> {
        tokio::spawn(give_back_freed_memory());
        eni_emulator::serve_with(listener, self.emulator, self.limits, shutdown_signal()).await
    }
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
pub(crate) fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As std's bind does, so a restarted server can take its port again at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// The server's limits from the options; the connection cap stays under the open-files limit,
/// so that accepting never fails for want of a file descriptor.
fn serve_limits(options: &ServeOptions, notice: &mut dyn FnMut(&str)) -> ServeLimits {
    let mut max_connections = options.max_connections.max(1);
    if let Some(files) = open_files_limit()
        && files.saturating_sub(64) < max_connections
    {
        max_connections = files.saturating_sub(64).max(1);
        notice(&format!(
            "note: --max-connections lowered to {max_connections}: this process may open {files} files (raise with `ulimit -n`)"
        ));
    }
    ServeLimits {
        max_connections,
        idle_timeout: options.idle_timeout,
        header_timeout: options.header_timeout,
        body_timeout: options.body_timeout,
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
}
