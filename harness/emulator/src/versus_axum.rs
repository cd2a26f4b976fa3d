//! The served emulator against a bare axum server on the same machine in the same run: signed
//! reads (`DescribeNetworkInterfaceAttribute`) and signed Assign/Unassign pairs, keep-alive
//! connections from one client thread (as `wrk -t1 -c16`), several rounds, medians and their
//! ratio. `eni-harness bench` and the crate's `versus_axum` bench both measure with this.
//!
//! The bare server is the honest floor of "an axum server on this machine": the same runtime as
//! the emulator's (a multi-threaded tokio runtime with as many workers as cores, as `serve` runs
//! it), `TCP_NODELAY`, `GET` and `POST` on `/`; per request it decodes every query (and form
//! body) parameter into owned strings, looks up `Action`, and answers a fixed JSON body of the
//! emulator's answer's size. It checks no signature and keeps no state: the gap to it is what
//! the emulator's own work costs.
//!
//! Every loop is bounded in count and in time, every read of an answer in time and in size.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use percent_encoding::utf8_percent_encode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use crate::config::Config;
use crate::emulator::Emulator;
use crate::params::Pair;
use crate::sign::{RFC3986, V1Key, v1_string_to_sign};
use crate::world::{Instance, InstanceStatus, PrimaryEni, World};

/// Instances (each with its primary ENI) that [`pair_world`] adds: connection `c` assigns and
/// unassigns one address of its own on ENI `c`, so that no two pairs ever meet.
pub const PAIR_ENIS: usize = 32;

/// How much a comparison measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Keep-alive connections at once (`wrk -c`); at most [`PAIR_ENIS`].
    pub connections: usize,
    /// Requests per connection per measurement; with `measure_cap`, whichever ends first.
    pub per_connection: usize,
    /// The longest one measurement runs.
    pub measure_cap: Duration,
    /// Rounds, each one measurement of either server per load.
    pub rounds: usize,
    /// No round starts after this much time has passed.
    pub time_budget: Duration,
}

impl Default for Settings {
    /// 16 connections, 2,500 requests each or 1.5 s, 9 rounds within 120 s. Short
    /// measurements, many rounds, the two servers taking turns: on a shared machine the load of
    /// other work changes by the second, and each pair of measurements should meet the same.
    fn default() -> Settings {
        Settings {
            connections: 16,
            per_connection: 2_500,
            measure_cap: Duration::from_millis(1500),
            rounds: 9,
            time_budget: Duration::from_secs(120),
        }
    }
}

/// What a measurement sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// `DescribeNetworkInterfaceAttribute` of the running instance's ENI.
    Reads,
    /// Assign then Unassign of one address, on the connection's own ENI.
    Pairs,
}

impl Load {
    /// Both loads, in the order they are measured.
    pub const ALL: [Load; 2] = [Load::Reads, Load::Pairs];

    /// What the load is, in words.
    pub fn label(self) -> &'static str {
        match self {
            Load::Reads => "signed reads (DescribeNetworkInterfaceAttribute)",
            Load::Pairs => "signed Assign/Unassign pairs",
        }
    }
}

/// One load's figures: requests per second of either server, round by round.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What was sent.
    pub load: Load,
    /// Connections at once.
    pub connections: usize,
    /// The emulator's requests per second, one per round.
    pub emulator: Vec<f64>,
    /// The bare server's, one per round.
    pub bare: Vec<f64>,
}

impl Comparison {
    /// Emulator over bare server: the median of the rounds' ratios. Each round's two figures
    /// met about the same machine, so their ratio is the steadier measure when other work comes
    /// and goes.
    pub fn ratio(&self) -> f64 {
        let ratios: Vec<f64> = self
            .emulator
            .iter()
            .zip(&self.bare)
            .map(|(emulator, bare)| emulator / bare)
            .collect();
        median(ratios)
    }

    /// One line: both medians, the ratio, every round's figure.
    pub fn summary(&self) -> String {
        let rounds = |values: &[f64]| {
            values
                .iter()
                .map(|value| format!("{:.1}k", value / 1000.0))
                .collect::<Vec<_>>()
                .join(" ")
        };
        format!(
            "{}: emulator {:.0} req/s, bare axum {:.0} req/s (medians of {} rounds); emulator / bare {:.2} (median of the rounds' ratios; emulator {}; bare {}; {} connections, 1 client thread)",
            self.load.label(),
            median(self.emulator.clone()),
            median(self.bare.clone()),
            self.emulator.len(),
            self.ratio(),
            rounds(&self.emulator),
            rounds(&self.bare),
            self.connections,
        )
    }
}

/// The middle value (the upper one of an even count); NaN when there is none.
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The built-in world plus [`PAIR_ENIS`] running instances, each with a primary ENI in the main
/// VSwitch: ENI `n` is `eni-bp1bench{n:013}`, primary 192.168.0.(10 + n); its pair address is
/// 192.168.0.(100 + n).
pub fn pair_world() -> World {
    let mut world = World::builtin();
    let vswitch_id = world.vswitches[0].id.clone();
    let security_group = world.security_groups[0].clone();
    for n in 0..PAIR_ENIS {
        world.instances.push(Instance {
            id: format!("i-bp1bench{n:015}"),
            instance_type: "ecs.g6.large".into(),
            status: InstanceStatus::Running,
            primary_eni: PrimaryEni {
                id: Some(pair_eni(n)),
                vswitch_id: vswitch_id.clone(),
                primary_ip: Some(Ipv4Addr::new(192, 168, 0, 10 + n as u8)),
                security_group_ids: vec![security_group.clone()],
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

/// Signs requests with v1 for a world's first credential, each with a nonce of its own.
pub struct Signer {
    access_key_id: String,
    key: V1Key,
    region: String,
    /// The read target: the world's first instance's ENI.
    read_eni: String,
    next_nonce: std::cell::Cell<u64>,
}

impl fmt::Debug for Signer {
    // Never the secret, nor the key made of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The signer of `world`'s first credential; `None` when it has none.
    pub fn for_world(world: &World) -> Option<Signer> {
        let credential = world.credentials.first()?;
        Some(Signer::new(
            &credential.access_key_id,
            &credential.access_key_secret,
            world,
        ))
    }

    /// The signer of the given key pair, for requests to `world`.
    pub fn new(access_key_id: &str, secret: &str, world: &World) -> Signer {
        Signer {
            access_key_id: access_key_id.to_owned(),
            key: V1Key::new(secret),
            region: world.region.clone(),
            read_eni: world
                .instances
                .first()
                .and_then(|instance| instance.primary_eni.id.clone())
                .unwrap_or_default(),
            next_nonce: std::cell::Cell::new(0),
        }
    }

    /// The path and query of a signed `GET` of `action` with `params`.
    fn signed_target(&self, action: &str, params: &[(&str, &str)]) -> String {
        let nonce = self.next_nonce.get();
        self.next_nonce.set(nonce + 1);
        let nonce = format!("bench-{}-{nonce}", std::process::id());
        let timestamp = timestamp(SystemTime::now());
        let mut pairs: Vec<(&str, &str)> = vec![
            ("Action", action),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("RegionId", &self.region),
            ("AccessKeyId", &self.access_key_id),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &timestamp),
        ];
        pairs.extend_from_slice(params);
        let borrowed: Vec<Pair<'_>> = pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect();
        let signature = self.key.signature(&v1_string_to_sign("GET", &borrowed));
        let mut target = String::from("/?");
        for (k, v) in pairs.iter().copied().chain([("Signature", &*signature)]) {
            if target.len() > 2 {
                target.push('&');
            }
            target.extend(utf8_percent_encode(k, RFC3986));
            target.push('=');
            target.extend(utf8_percent_encode(v, RFC3986));
        }
        target
    }

    /// The path and query of the `i`th request of `load` on ENI slot `slot` of [`pair_world`],
    /// signed: a read of the running instance's ENI, or (pairs) an Assign when `i` is even and
    /// its Unassign when odd.
    pub fn request_target(&self, load: Load, slot: usize, i: usize) -> String {
        match load {
            Load::Reads => self.signed_target(
                "DescribeNetworkInterfaceAttribute",
                &[("NetworkInterfaceId", &self.read_eni)],
            ),
            Load::Pairs => {
                let action = if i.is_multiple_of(2) {
                    "AssignPrivateIpAddresses"
                } else {
                    "UnassignPrivateIpAddresses"
                };
                let (eni, ip) = (pair_eni(slot), pair_ip(slot));
                self.signed_target(
                    action,
                    &[("NetworkInterfaceId", &eni), ("PrivateIpAddress.1", &ip)],
                )
            }
        }
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` in UTC, as v1 signs it.
fn timestamp(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The server runtime: what `eni-harness serve` builds.
pub fn server_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
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
    let status = if known {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        [(CONTENT_TYPE, "application/json;charset=utf-8")],
        BARE_BODY,
    )
}

/// Serves the bare server on `listener` until `shutdown` completes.
pub async fn serve_bare(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    use axum::serve::ListenerExt as _;
    // The emulator's accept loop sets TCP_NODELAY; so does this one.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let app = Router::new().route("/", get(bare_handle).post(bare_handle));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A server on a runtime and thread of its own, and how to stop it.
struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<io::Result<()>>,
}

impl Running {
    /// Serves `emulator`, or the bare server when `None`, on `127.0.0.1:0`.
    fn start(emulator: Option<Emulator>) -> io::Result<Running> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = server_runtime()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let shutdown = async {
                    let _ = stopped.await;
                };
                match emulator {
                    Some(emulator) => crate::serve::serve(listener, emulator, shutdown).await,
                    None => serve_bare(listener, shutdown).await,
                }
            })
        });
        Ok(Running { addr, stop, thread })
    }

    fn stop(self) -> io::Result<()> {
        let _ = self.stop.send(());
        self.thread
            .join()
            .map_err(|_| io::Error::other("the server's thread panicked"))?
    }
}

/// How long one answer may take before the measurement is given up.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an answer's head or body read: the emulator's answers here are about 1 KiB.
const ANSWER_CAP: usize = 64 * 1024;

/// One keep-alive HTTP/1.1 connection that sends prepared heads and reads answers that carry a
/// `Content-Length` (as both servers' do), bounded in time and size.
struct Connection {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> io::Result<Connection> {
        let stream = tokio::time::timeout(ANSWER_TIMEOUT, tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connecting timed out"))??;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream: tokio::io::BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        })
    }

    /// Sends `head` and reads its answer; an error unless the status is 200.
    async fn exchange(&mut self, head: &str) -> io::Result<()> {
        tokio::time::timeout(ANSWER_TIMEOUT, self.exchange_unbounded(head))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer within 5 s"))?
    }

    async fn exchange_unbounded(&mut self, head: &str) -> io::Result<()> {
        self.stream.get_mut().write_all(head.as_bytes()).await?;
        let status = self.read_line().await?;
        let status: u16 = status
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid("an answer without a status line"))?;
        let mut length = None;
        let mut head_size = 0;
        loop {
            let line = self.read_line().await?;
            head_size += line.len();
            if head_size > ANSWER_CAP {
                return Err(invalid("an answer's head longer than 64 KiB"));
            }
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.ok_or_else(|| invalid("an answer without a Content-Length"))?;
        if length > ANSWER_CAP {
            return Err(invalid("an answer's body longer than 64 KiB"));
        }
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body).await?;
        if status != 200 {
            let body = String::from_utf8_lossy(&self.body[..length.min(512)]);
            return Err(io::Error::other(format!(
                "answered {status}: {}",
                body.escape_debug()
            )));
        }
        Ok(())
    }

    /// The next line of the answer without its line end, borrowed from the connection's line
    /// buffer so that reading a head allocates nothing; an error at the end of the stream.
    async fn read_line(&mut self) -> io::Result<&str> {
        self.line.clear();
        let read = (&mut self.stream)
            .take(ANSWER_CAP as u64)
            .read_line(&mut self.line)
            .await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(self.line.trim_end_matches(['\r', '\n']))
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// The request heads of one measurement: one list per connection.
fn heads(signer: &Signer, load: Load, settings: &Settings) -> Vec<Vec<String>> {
    (0..settings.connections)
        .map(|slot| {
            (0..settings.per_connection)
                .map(|i| {
                    format!(
                        "GET {} HTTP/1.1\r\nHost: localhost\r\n\r\n",
                        signer.request_target(load, slot, i)
                    )
                })
                .collect()
        })
        .collect()
}

/// Requests per second of the connections to `addr`, each sending its heads one after the
/// other, all at once. A connection stops after `measure_cap`, between pairs only, so that the
/// next round finds each ENI as it started.
fn drive(addr: SocketAddr, heads: Vec<Vec<String>>, measure_cap: Duration) -> io::Result<f64> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let started = Instant::now();
        let tasks: Vec<_> = heads
            .into_iter()
            .map(|heads| {
                tokio::spawn(async move {
                    let mut connection = Connection::open(addr).await?;
                    let mut sent = 0u64;
                    for head in heads {
                        connection.exchange(&head).await?;
                        sent += 1;
                        if sent.is_multiple_of(2) && started.elapsed() > measure_cap {
                            break;
                        }
                    }
                    Ok::<_, io::Error>(sent)
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.map_err(io::Error::other)??;
        }
        Ok(total as f64 / started.elapsed().as_secs_f64())
    })
}

/// Rounds of the emulator and the bare server taking turns, for reads and then for pairs.
/// The emulator serves [`pair_world`] with instant transitions, on a runtime and threads of its
/// own, as `serve` does; so does the bare server.
pub fn compare(settings: &Settings) -> io::Result<Vec<Comparison>> {
    if settings.connections == 0 || settings.connections > PAIR_ENIS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "connections must be 1 to {PAIR_ENIS}, not {}",
                settings.connections
            ),
        ));
    }
    let world = pair_world();
    let signer = Signer::for_world(&world)
        .ok_or_else(|| io::Error::other("the pair world has no credential"))?;
    let mut config = Config::new(world);
    config.timings.set_transitions(Duration::ZERO);
    let emulator = Running::start(Some(Emulator::new(config)))?;
    let bare = Running::start(None)?;
    let measured = rounds(settings, &signer, emulator.addr, bare.addr);
    let stopped = emulator.stop().and(bare.stop());
    let comparisons = measured?;
    stopped?;
    Ok(comparisons)
}

fn rounds(
    settings: &Settings,
    signer: &Signer,
    emulator: SocketAddr,
    bare: SocketAddr,
) -> io::Result<Vec<Comparison>> {
    let started = Instant::now();
    let mut comparisons = Vec::new();
    for load in Load::ALL {
        let mut comparison = Comparison {
            load,
            connections: settings.connections,
            emulator: Vec::new(),
            bare: Vec::new(),
        };
        for round in 0..settings.rounds.max(1) {
            if round > 0 && started.elapsed() > settings.time_budget {
                break;
            }
            // Alternating which goes first, so that neither always meets a warmer machine.
            let emulator_first = round % 2 == 0;
            for emulator_now in [emulator_first, !emulator_first] {
                let heads = heads(signer, load, settings);
                if emulator_now {
                    let rate = drive(emulator, heads, settings.measure_cap)
                        .map_err(|error| io::Error::other(format!("the emulator: {error}")))?;
                    comparison.emulator.push(rate);
                } else {
                    let rate = drive(bare, heads, settings.measure_cap)
                        .map_err(|error| io::Error::other(format!("the bare server: {error}")))?;
                    comparison.bare.push(rate);
                }
            }
        }
        comparisons.push(comparison);
    }
    Ok(comparisons)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Settings {
        Settings {
            connections: 2,
            per_connection: 40,
            measure_cap: Duration::from_secs(5),
            rounds: 1,
            time_budget: Duration::from_secs(10),
        }
    }

    #[test]
    fn both_servers_answer_both_loads_and_each_round_is_counted() {
        let comparisons = compare(&small()).unwrap();
        assert_eq!(
            comparisons.iter().map(|c| c.load).collect::<Vec<_>>(),
            Load::ALL
        );
        for comparison in &comparisons {
            assert_eq!((comparison.emulator.len(), comparison.bare.len()), (1, 1));
            assert!(comparison.ratio() > 0.0, "{comparison:?}");
            let summary = comparison.summary();
            assert!(summary.contains("emulator / bare"), "{summary}");
        }
    }

    #[test]
    fn a_refused_request_ends_the_measurement_with_its_answer() {
        let world = pair_world();
        let wrong = Signer::new("testid", "not-the-secret", &world);
        let mut config = Config::new(world);
        config.timings.set_transitions(Duration::ZERO);
        let emulator = Running::start(Some(Emulator::new(config))).unwrap();
        let settings = small();
        let error = drive(
            emulator.addr,
            heads(&wrong, Load::Reads, &settings),
            settings.measure_cap,
        )
        .unwrap_err();
        emulator.stop().unwrap();
        let text = error.to_string();
        assert!(
            text.contains("answered 400") && text.contains("SignatureDoesNotMatch"),
            "{text}"
        );
        assert!(!format!("{wrong:?}").contains("not-the-secret"));
    }

    #[test]
    fn the_ratio_is_the_median_of_the_rounds_ratios() {
        let comparison = Comparison {
            load: Load::Reads,
            connections: 16,
            emulator: vec![10.0, 30.0, 8.0],
            bare: vec![20.0, 30.0, 10.0],
        };
        // Ratios 0.5, 1.0, 0.8: the median is 0.8, not the medians' ratio (10 / 20).
        assert_eq!(comparison.ratio(), 0.8);
        assert!(median(Vec::new()).is_nan());
    }
}
