//! The served emulator against slow, oversize and abundant clients: its idle, header and body
//! timeouts, its head limit (the ECS error body, never an empty 431) and its connection cap.
//! Loopback only; every wait is bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use eni_emulator::{Config, Emulator, ServeLimits, Spawned, World, spawn_emulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Served {
    addr: SocketAddr,
    server: Spawned,
}

impl Served {
    async fn start(limits: ServeLimits) -> Served {
        let emulator = Emulator::new(Config::new(World::builtin()));
        let server = spawn_emulator(emulator, limits).await.unwrap();
        Served {
            addr: server.addr(),
            server,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }

    /// Stops the server; it must end within the time its timeouts allow.
    async fn stop(self, within: Duration) {
        tokio::time::timeout(within, self.server.stop())
            .await
            .expect("the server stops in time")
            .unwrap();
    }
}

/// Everything the server sends until it closes, or what came within `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    let mut chunk = [0u8; 8192];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&chunk[..n]),
            Err(_) => return (out, false),
        }
    }
}

/// Sends `request` and reads one answer (the server closes after these), within 5 s.
async fn exchange(served: &Served, request: &[u8]) -> String {
    let mut stream = served.connect().await;
    stream.write_all(request).await.unwrap();
    let (bytes, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A request any emulator answers at once (an API error: no action).
const PLAIN: &[u8] = b"GET /?Format=XML HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// One answer on a fresh connection, and how long it took.
async fn answered(served: &Served) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = served.connect().await;
    stream.write_all(PLAIN).await.unwrap();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    // The answer is complete with its XML body.
    while !String::from_utf8_lossy(&bytes).contains("</Error>") {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    (
        String::from_utf8_lossy(&bytes).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn oversize_and_malformed_heads_answer_the_ecs_error_body() {
    let served = Served::start(ServeLimits::default()).await;
    // A request line far over the head limit (an 890 KB query answered an empty 431 before).
    let long = format!(
        "GET /?Action=DescribeRegions&Pad={} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(900_000)
    );
    let answer = exchange(&served, long.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer:.300}");
    assert!(
        answer.contains("<Code>RequestEntityTooLarge</Code>") && answer.contains("<RequestId>"),
        "{answer}"
    );
    // Too many headers is too large too.
    let mut many = String::from("GET /?Action=DescribeRegions HTTP/1.1\r\nHost: localhost\r\n");
    for i in 0..300 {
        many.push_str(&format!("X-Header-{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    let answer = exchange(&served, many.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.contains("RequestEntityTooLarge"), "{answer}");
    // A query over the emulator's 16 KiB but inside the head limit: the handler's own 413.
    let query = format!(
        "GET /?Action=DescribeRegions&Pad={} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "b".repeat(20_000)
    );
    let answer = exchange(&served, query.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 413 ") && answer.contains("RequestEntityTooLarge"),
        "{answer}"
    );
    // A client still sending when its head is refused gets the answer too.
    let mut stream = served.connect().await;
    let head = format!("GET /?Action=DescribeRegions&Pad={}", "c".repeat(80_000));
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stream.write_all(&vec![b'c'; 200_000]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (bytes, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&bytes);
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer:.300}");
    // A request line that is not HTTP.
    let answer = exchange(&served, b"\x01\x02 not http at all\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("<Code>InvalidParameter</Code>"), "{answer}");
    // The server is still fine.
    let (answer, _) = answered(&served).await;
    assert!(answer.contains("<Code>MissingParameter</Code>"), "{answer}");
    served.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn idle_and_header_timeouts_close_slow_connections() {
    let limits = ServeLimits {
        idle_timeout: Duration::from_millis(300),
        header_timeout: Duration::from_millis(1500),
        ..ServeLimits::default()
    };
    let served = Served::start(limits).await;

    // Connected and silent: closed after the idle timeout.
    let started = Instant::now();
    let mut silent = served.connect().await;
    let (bytes, closed) = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    let took = started.elapsed();
    assert!(closed && bytes.is_empty(), "{bytes:?}");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1400),
        "{took:?}"
    );

    // A head started: the header timeout, not the idle one, applies to the rest of it.
    let started = Instant::now();
    let mut slow = served.connect().await;
    slow.write_all(b"GET /?Action=Descr").await.unwrap();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_millis(900)).await;
    assert!(!closed, "closed after {:?}", started.elapsed());
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    let took = started.elapsed();
    assert!(closed, "still open after {took:?}");
    assert!(took < Duration::from_millis(2500), "{took:?}");

    // Dripping a byte at a time does not extend it.
    let started = Instant::now();
    let mut drip = served.connect().await;
    let mut closed = false;
    for byte in b"GET /?Action=DescribeRegions&Pad=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    {
        if drip.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    assert!(
        closed
            || read_until_closed(&mut drip, Duration::from_millis(10))
                .await
                .1
    );
    assert!(took < Duration::from_millis(3000), "{took:?}");

    // The same for the second request of a keep-alive connection, begun after the first answer.
    let mut second = served.connect().await;
    second.write_all(PLAIN).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("</Error>") {
        let n = tokio::time::timeout(Duration::from_secs(5), second.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed before the first answer");
        answer.extend_from_slice(&chunk[..n]);
    }
    second.write_all(b"GET /?Action=Descr").await.unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut second, Duration::from_millis(900)).await;
    assert!(!closed, "closed after {:?}", started.elapsed());
    let (_, closed) = read_until_closed(&mut second, Duration::from_secs(5)).await;
    assert!(closed && started.elapsed() < Duration::from_millis(2500));

    // A keep-alive connection is answered, then closed after the idle timeout.
    let mut kept = served.connect().await;
    kept.write_all(PLAIN).await.unwrap();
    let started = Instant::now();
    let (bytes, closed) = read_until_closed(&mut kept, Duration::from_secs(5)).await;
    assert!(closed, "a keep-alive connection stays open");
    assert!(String::from_utf8_lossy(&bytes).contains("MissingParameter"));
    assert!(started.elapsed() < Duration::from_millis(1400));
    served.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_body_slower_than_the_body_timeout_answers_408() {
    let limits = ServeLimits {
        body_timeout: Duration::from_millis(300),
        ..ServeLimits::default()
    };
    let served = Served::start(limits).await;
    let mut stream = served.connect().await;
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=Desc",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let (bytes, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&bytes);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("<Code>RequestTimeout</Code>"), "{answer}");
    assert!(closed, "the connection closes after a body timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
    // So does a chunked body that drips.
    let mut stream = served.connect().await;
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n",
        )
        .await
        .unwrap();
    let (bytes, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 408 "));
    assert!(closed);
    served.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_refused_with_503() {
    let limits = ServeLimits {
        max_connections: 3,
        ..ServeLimits::default()
    };
    let served = Served::start(limits).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = served.connect().await;
        // A request answered proves the connection holds a slot.
        stream.write_all(PLAIN).await.unwrap();
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&chunk[..n]).starts_with("HTTP/1.1 400"));
        held.push(stream);
    }
    let mut refused = served.connect().await;
    let (bytes, closed) = read_until_closed(&mut refused, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&bytes);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(
        answer.contains("<Code>ServiceUnavailable</Code>")
            && answer.contains("at most 3 connections"),
        "{answer}"
    );
    assert!(closed);
    // A slot given back is taken again.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (answer, _) = answered(&served).await;
        if answer.contains("MissingParameter") {
            break;
        }
        assert!(answer.contains("ServiceUnavailable"), "{answer}");
        assert!(Instant::now() < deadline, "the slot never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(held);
    served.stop(Duration::from_secs(5)).await;
}

/// 1,500 slow clients (1,000 dripping a request line, 500 silent) hold connections; a normal
/// client keeps being answered within a second, and the timeouts close every slow one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_client_is_answered_within_a_second_among_1500_slow_ones() {
    let limits = ServeLimits {
        idle_timeout: Duration::from_secs(3),
        header_timeout: Duration::from_secs(3),
        ..ServeLimits::default()
    };
    let served = Served::start(limits).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for i in 0..1500 {
        let mut stream = served.connect().await;
        if i % 3 != 0 {
            stream
                .write_all(b"GET /?Action=DescribeNetwork")
                .await
                .unwrap();
        }
        slow.push(stream);
    }
    let connected = started.elapsed();
    for _ in 0..5 {
        let (answer, took) = answered(&served).await;
        assert!(answer.contains("MissingParameter"), "{answer}");
        assert!(took < Duration::from_secs(1), "answered after {took:?}");
    }
    // Every slow connection is closed by the server within its timeouts (3 s after it opened,
    // plus scheduling): none is held.
    let mut tasks = tokio::task::JoinSet::new();
    for mut stream in slow {
        tasks.spawn(async move {
            read_until_closed(&mut stream, Duration::from_secs(8))
                .await
                .1
        });
    }
    let mut open = 0;
    while let Some(closed) = tasks.join_next().await {
        open += usize::from(!closed.unwrap());
    }
    assert_eq!(
        open, 0,
        "slow connections still open (connecting took {connected:?})"
    );
    let (answer, took) = answered(&served).await;
    assert!(answer.contains("MissingParameter") && took < Duration::from_secs(1));
    served.stop(Duration::from_secs(5)).await;
}
