//! The served emulator against a bare axum server on the same machine in the same run: signed
//! reads (`DescribeNetworkInterfaceAttribute`) and signed Assign/Unassign pairs, 16 keep-alive
//! connections from one client thread (as `wrk -t1 -c16`), several rounds, medians and their
//! ratio.
//!
//! The bare server is the honest floor of "an axum server on this machine": the same runtime as
//! the emulator's (a multi-threaded tokio runtime with as many workers as cores, as `serve` runs
//! it), `TCP_NODELAY`, `GET` and `POST` on `/`; per request it decodes every query (and form
//! body) parameter into owned strings, looks up `Action`, and answers a fixed JSON body of the
//! emulator's answer's size. It checks no signature and keeps no state: the gap to it is what
//! the emulator's own work costs.
//!
//! `cargo bench -p eni-emulator --bench versus_axum` measures. Two more modes serve `wrk`:
//! `-- serve-bare ADDR` serves the bare server alone, and `-- wrk-prep DIR` writes a world file
//! (`world.yaml`, the built-in world plus 32 instances for the pairs) and signed requests, one a
//! line, for `benches/wrk/signed.lua` (`reads.txt`, `pairs.txt`). Every loop is bounded in count
//! and in time.

#[path = "../tests/common/mod.rs"]
#[expect(
    dead_code,
    reason = "the helpers of the API tests; a bench uses only some"
)]
mod common;
mod load;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use common::*;
use eni_emulator::{Config, Emulator, Instance, InstanceStatus, PrimaryEni, World, serve};

// The command (`eni-harness serve`) runs the emulator with mimalloc; so do both servers here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keep-alive connections, as `wrk -c16`.
const CONNECTIONS: usize = 16;
/// Instances (each with its primary ENI) added for the pairs: connection `c` assigns and
/// unassigns one address of its own on ENI `c`, so that no two pairs ever meet.
const PAIR_ENIS: usize = 32;
/// Requests per connection per measurement; with the time cap below, whichever ends first.
const PER_CONNECTION: usize = 2_500;
const MEASURE_CAP: Duration = Duration::from_millis(1500);
/// Short measurements, many rounds, the two servers taking turns: on a shared machine the load
/// of other work changes by the second, and each pair of measurements should meet the same.
const ROUNDS: usize = 9;
/// The whole measurement stops starting new rounds after this.
const TIME_BUDGET: Duration = Duration::from_secs(120);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("serve-bare") => {
            let Some(addr) = args.get(1).and_then(|a| a.parse::<SocketAddr>().ok()) else {
                eprintln!("usage: versus_axum serve-bare ADDR (e.g. 127.0.0.1:8081)");
                std::process::exit(2);
            };
            serve_bare_forever(addr);
        }
        Some("wrk-prep") => {
            let Some(dir) = args.get(1) else {
                eprintln!("usage: versus_axum wrk-prep DIR");
                std::process::exit(2);
            };
            if let Err(error) = wrk_prep(std::path::Path::new(dir)) {
                eprintln!("error: cannot write the wrk inputs into {dir}: {error}");
                std::process::exit(1);
            }
        }
        _ => compare(),
    }
}

/// The server runtime: what `eni-harness serve` builds.
fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The bare server's answer: the size of the emulator's JSON answer to a signed read.
const BARE_BODY: &str = concat!(
    r#"{"RequestId":"00000000-0000-4000-8000-000000000000","NetworkInterfaceId":"eni-bp1running000000000001","#,
    r#""Status":"InUse","Type":"Primary","VpcId":"vpc-bp1emu000000000000001","VSwitchId":"vsw-bp1main00000000000001","#,
    r#""ZoneId":"cn-hangzhou-h","PrivateIpAddress":"192.168.0.200","MacAddress":"00:16:3e:00:00:01","#,
    r#""InstanceId":"i-bp1running0000000000001","SecurityGroupIds":{"SecurityGroupId":["sg-bp1default00000000001"]},"#,
    r#""PrivateIpSets":{"PrivateIpSet":[{"PrivateIpAddress":"192.168.0.200","Primary":true}]},"#,
    r#""Ipv6Sets":{"Ipv6Set":[]},"Tags":{"Tag":[]},"CreationTime":"2026-01-01T00:00:00Z","Description":"","#,
    r#""NetworkInterfaceName":"","ServiceManaged":false,"QueueNumber":1}"#
);

/// Decodes every parameter (query and form body) into owned strings and finds `Action`, as any
/// RPC endpoint must; answers [`BARE_BODY`].
async fn bare_handle(RawQuery(query): RawQuery, body: Bytes) -> impl IntoResponse {
    let mut params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    params.extend(form_urlencoded::parse(&body).into_owned());
    let known = params.iter().any(|(k, v)| k == "Action" && !v.is_empty());
    let status = if known { 200 } else { 400 };
    (
        axum::http::StatusCode::from_u16(status).unwrap(),
        [(CONTENT_TYPE, "application/json;charset=utf-8")],
        BARE_BODY,
    )
}

fn bare_app() -> Router {
    Router::new().route("/", get(bare_handle).post(bare_handle))
}

async fn serve_bare(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    // The emulator's accept loop sets TCP_NODELAY; so does this one.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, bare_app())
        .with_graceful_shutdown(shutdown)
        .await
}

fn serve_bare_forever(addr: SocketAddr) {
    server_runtime().block_on(async {
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("error: cannot listen on {addr}: {error}");
                std::process::exit(1);
            }
        };
        println!(
            "bare axum server on http://{}/ (Ctrl-C stops it)",
            listener.local_addr().unwrap()
        );
        serve_bare(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .unwrap();
    });
}

/// The built-in world plus [`PAIR_ENIS`] running instances, each with a primary ENI in the main
/// VSwitch: ENI `n` is `eni-bp1bench{n:013}`, primary 192.168.0.(10 + n); its pair address is
/// 192.168.0.(100 + n).
fn pair_world() -> World {
    let mut world = World::builtin();
    for n in 0..PAIR_ENIS {
        world.instances.push(Instance {
            id: format!("i-bp1bench{n:015}"),
            instance_type: "ecs.g6.large".into(),
            status: InstanceStatus::Running,
            primary_eni: PrimaryEni {
                id: Some(pair_eni(n)),
                vswitch_id: MAIN_VSW.into(),
                primary_ip: Some(Ipv4Addr::new(192, 168, 0, 10 + n as u8)),
                security_group_ids: vec![SG.into()],
            },
        });
    }
    world
}

fn pair_eni(n: usize) -> String {
    format!("eni-bp1bench{n:013}")
}

fn pair_ip(n: usize) -> String {
    Ipv4Addr::new(192, 168, 0, 100 + n as u8).to_string()
}

/// What a measurement sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// `DescribeNetworkInterfaceAttribute` of the running instance's ENI.
    Reads,
    /// Assign then Unassign of one address, on the connection's own ENI.
    Pairs,
}

impl Load {
    fn label(self) -> &'static str {
        match self {
            Load::Reads => "signed reads (DescribeNetworkInterfaceAttribute)",
            Load::Pairs => "signed Assign/Unassign pairs",
        }
    }
}

/// The path and query of the `i`th request of the load on ENI slot `slot`, signed.
fn request_target(signer: &Client, load: Load, slot: usize, i: usize) -> String {
    let all = match load {
        Load::Reads => signer.signed(
            "DescribeNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", RUNNING_ENI)],
        ),
        Load::Pairs => {
            let action = if i.is_multiple_of(2) {
                "AssignPrivateIpAddresses"
            } else {
                "UnassignPrivateIpAddresses"
            };
            let eni = pair_eni(slot);
            let ip = pair_ip(slot);
            signer.signed(
                action,
                &[("NetworkInterfaceId", &eni), ("PrivateIpAddress.1", &ip)],
            )
        }
    };
    format!("/?{}", query_string(&all))
}

/// Requests per second of `CONNECTIONS` keep-alive connections to `addr`, each sending its
/// heads one after the other; every answer must be 200.
fn drive(addr: SocketAddr, heads: Vec<Vec<String>>) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let started = Instant::now();
        // Stopping between pairs only: the next round starts each ENI afresh.
        let total = load::send_heads(addr, heads, started, |sent, elapsed| {
            sent.is_multiple_of(2) && elapsed > MEASURE_CAP
        })
        .await;
        total as f64 / started.elapsed().as_secs_f64()
    })
}

fn heads(signer: &Client, load: Load) -> Vec<Vec<String>> {
    (0..CONNECTIONS)
        .map(|c| {
            (0..PER_CONNECTION)
                .map(|i| {
                    format!(
                        "GET {} HTTP/1.1\r\nHost: localhost\r\n\r\n",
                        request_target(signer, load, c, i)
                    )
                })
                .collect()
        })
        .collect()
}

/// A server on a runtime and thread of its own, and how to stop it.
struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

fn start(emulator: Option<Emulator>) -> Running {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        server_runtime().block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let shutdown = async {
                let _ = stopped.await;
            };
            match emulator {
                Some(emulator) => serve(listener, emulator, shutdown).await.unwrap(),
                None => serve_bare(listener, shutdown).await.unwrap(),
            }
        });
    });
    Running { addr, stop, thread }
}

impl Running {
    fn stop(self) {
        let _ = self.stop.send(());
        self.thread.join().unwrap();
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Rounds of: the emulator, then the bare server, for reads and for pairs; medians and ratios.
fn compare() {
    let mut config = Config::new(pair_world());
    config.timings.set_transitions(Duration::ZERO);
    let emulator = start(Some(Emulator::new(config)));
    let bare = start(None);
    let signer = Client::with(|c| c.world = pair_world());
    let started = Instant::now();
    for load in [Load::Reads, Load::Pairs] {
        let (mut emu, mut base) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            if round > 0 && started.elapsed() > TIME_BUDGET {
                break;
            }
            // Alternating which goes first, so that neither always meets a warmer machine.
            let first_emulator = round % 2 == 0;
            for which in [first_emulator, !first_emulator] {
                let heads = heads(&signer, load);
                if which {
                    emu.push(drive(emulator.addr, heads));
                } else {
                    base.push(drive(bare.addr, heads));
                }
            }
        }
        let rounds = emu.len();
        // Each round's two figures met about the same machine: their ratio is the steadier
        // measure when other work comes and goes.
        let mut ratios: Vec<f64> = emu.iter().zip(&base).map(|(e, b)| e / b).collect();
        let ratio = median(&mut ratios);
        let line = |values: &[f64]| {
            values
                .iter()
                .map(|v| format!("{:.1}k", v / 1000.0))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (e_all, b_all) = (line(&emu), line(&base));
        let (e, b) = (median(&mut emu), median(&mut base));
        println!(
            "{}: emulator {:.0} req/s, bare axum {:.0} req/s (medians of {rounds} rounds); emulator / bare {ratio:.2} (median of the rounds' ratios; emulator {e_all}; bare {b_all}; {CONNECTIONS} connections, 1 client thread)",
            load.label(),
            e,
            b,
        );
    }
    emulator.stop();
    bare.stop();
}

/// Signed requests for wrk, one path-and-query a line: more than the emulator's nonce store
/// remembers (100 000), so that wrk may cycle through them for as long as their timestamps are
/// in the 15-minute window. Pairs go round-robin over the [`PAIR_ENIS`] ENIs: request `i` is on
/// ENI `i % 32`, an Assign when `i / 32` is even and its Unassign 32 requests later, so that 16
/// connections do not reorder the two.
fn wrk_prep(dir: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let world = serde_saphyr::to_string(&pair_world()).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("world.yaml"), world)?;
    let signer = Client::with(|c| c.world = pair_world());
    let count = 120_000;
    for (name, load) in [("reads.txt", Load::Reads), ("pairs.txt", Load::Pairs)] {
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
        for i in 0..count {
            writeln!(
                out,
                "{}",
                request_target(&signer, load, i % PAIR_ENIS, i / PAIR_ENIS)
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
