//! The served emulator against a bare axum server on the same machine in the same run (the
//! library's `versus_axum`, which `eni-harness bench` measures with too): signed reads and
//! signed Assign/Unassign pairs, 16 keep-alive connections from one client thread, 9 paired
//! rounds, medians and their ratio.
//!
//! `cargo bench -p eni-emulator --bench versus_axum` measures. Two more modes serve `wrk`:
//! `-- serve-bare ADDR` serves the bare server alone, and `-- wrk-prep DIR` writes a world file
//! (`world.yaml`, the built-in world plus 32 instances for the pairs) and signed requests, one a
//! line, for `benches/wrk/signed.lua` (`reads.txt`, `pairs.txt`).

use std::net::SocketAddr;

use eni_emulator::versus_axum::{
    Load, PAIR_ENIS, Settings, Signer, compare, pair_world, serve_bare, server_runtime,
};

// The command (`eni-harness serve`) runs the emulator with mimalloc; so do both servers here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let outcome = match args.first().map(String::as_str) {
        Some("serve-bare") => match args.get(1).and_then(|a| a.parse::<SocketAddr>().ok()) {
            Some(addr) => serve_bare_forever(addr),
            None => usage("versus_axum serve-bare ADDR (e.g. 127.0.0.1:8081)"),
        },
        Some("wrk-prep") => match args.get(1) {
            Some(dir) => wrk_prep(std::path::Path::new(dir))
                .map_err(|error| format!("cannot write the wrk inputs into {dir}: {error}")),
            None => usage("versus_axum wrk-prep DIR"),
        },
        _ => compare(&Settings::default())
            .map(|comparisons| {
                for comparison in comparisons {
                    println!("{}", comparison.summary());
                }
            })
            .map_err(|error| format!("cannot compare: {error}")),
    };
    if let Err(error) = outcome {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn usage(text: &str) -> Result<(), String> {
    eprintln!("usage: {text}");
    std::process::exit(2);
}

fn serve_bare_forever(addr: SocketAddr) -> Result<(), String> {
    let runtime = server_runtime().map_err(|error| format!("no runtime: {error}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
        let bound = listener.local_addr().map_err(|error| error.to_string())?;
        println!("bare axum server on http://{bound}/ (Ctrl-C stops it)");
        serve_bare(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|error| error.to_string())
    })
}

/// Signed requests for wrk, one path-and-query a line: more than the emulator's nonce store
/// remembers (100 000), so that wrk may cycle through them for as long as their timestamps are
/// in the 15-minute window. Pairs go round-robin over the [`PAIR_ENIS`] ENIs: request `i` is on
/// ENI `i % 32`, an Assign when `i / 32` is even and its Unassign 32 requests later, so that 16
/// connections do not reorder the two.
fn wrk_prep(dir: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let world = pair_world();
    let text = serde_saphyr::to_string(&world).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("world.yaml"), text)?;
    let signer = Signer::for_world(&world)
        .ok_or_else(|| std::io::Error::other("the pair world has no credential"))?;
    let count = 120_000;
    for (name, load) in [("reads.txt", Load::Reads), ("pairs.txt", Load::Pairs)] {
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
        for i in 0..count {
            writeln!(
                out,
                "{}",
                signer.request_target(load, i % PAIR_ENIS, i / PAIR_ENIS)
            )?;
        }
        out.flush()?;
    }
    println!(
        "wrote {}/world.yaml, reads.txt and pairs.txt ({count} signed requests each; valid for 15 minutes)",
        dir.display()
    );
    Ok(())
}
