//! HTTP/1.1 pipelining for plain-HTTP targets: a request and the state read after it written
//! together on one connection, their answers read back in order, so that the read costs no round
//! trip of its own.
//!
//! Why a client of our own: hyper, and so reqwest, keep one request in flight per connection and
//! will not pipeline (hyper#2596). RFC 9112 §9.3.2 lets a client pipeline; it advises against
//! pipelining *behind* a non-idempotent request only for a client that cannot detect and recover
//! from a partial failure. This one can: what it sends behind the request is a read, which is
//! safe to send again, and it is sent again (the caller falls back to its ordinary client)
//! whenever its answer does not come back whole. The request itself is never sent twice.
//!
//! Hostile answers get the same treatment as on the ordinary client: one deadline per answer,
//! heads and bodies capped, garbage reported as a transport problem with no URL in it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{RawAnswer, TransportError};
use crate::wire::prepare::PreparedRequest;

/// Largest answer head (status line and headers) read before giving up on an answer.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most headers one answer may carry.
const MAX_HEADERS: usize = 64;
/// A pooled connection idle longer than this is closed rather than reused: a server may have
/// closed it at the same moment, and a request written into that race could not be told apart
/// from one the server dropped.
const MAX_IDLE: Duration = Duration::from_secs(2);
/// Most idle connections kept: the runner's cases at once, with room.
const MAX_POOLED: usize = 32;

/// A pool of plain-HTTP/1.1 connections to one host.
#[derive(Debug)]
pub(crate) struct Pipeline {
    /// `host:port` to connect to (an IPv6 literal in brackets).
    authority: String,
    /// The `Host` header.
    host: String,
    connect_timeout: Duration,
    max_body_bytes: usize,
    idle: Mutex<Vec<Idle>>,
}

#[derive(Debug)]
struct Idle {
    stream: TcpStream,
    since: Instant,
}

/// One request ready for the wire: its request line's target and its headers checked.
#[derive(Debug)]
pub(crate) struct Outgoing {
    bytes: Vec<u8>,
}

impl Pipeline {
    pub(crate) fn new(
        authority: String,
        host: String,
        connect_timeout: Duration,
        max_body_bytes: usize,
    ) -> Self {
        Self {
            authority,
            host,
            connect_timeout,
            max_body_bytes,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// `prepared` as HTTP/1.1 bytes, sent to `target` (`/path?query`, already normalised the way
    /// the ordinary client sends it). Header names and values are checked as that client checks
    /// them, so that no request can smuggle a line break onto the wire.
    pub(crate) fn outgoing(
        &self,
        prepared: &PreparedRequest,
        target: &str,
    ) -> Result<Outgoing, TransportError> {
        if target
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(TransportError::Other(
                "could not form the request: its target holds a space or control character".into(),
            ));
        }
        let mut bytes = Vec::with_capacity(256 + target.len() + prepared.body.len());
        bytes.extend_from_slice(prepared.method.as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(target.as_bytes());
        bytes.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        bytes.extend_from_slice(self.host.as_bytes());
        bytes.extend_from_slice(
            concat!(
                "\r\nuser-agent: eni-harness/",
                env!("CARGO_PKG_VERSION"),
                "\r\naccept: */*\r\n"
            )
            .as_bytes(),
        );
        for (name, value) in &prepared.headers {
            // Signed, but written above from the same value.
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            let valid = http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && http::HeaderValue::from_str(value).is_ok();
            if !valid {
                return Err(TransportError::Other(format!(
                    "could not form the request: header `{}` is not a valid header",
                    crate::escape::terminal(name)
                )));
            }
            bytes.extend_from_slice(name.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(value.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        if prepared.method == "POST" {
            bytes.extend_from_slice(
                format!("content-length: {}\r\n", prepared.body.len()).as_bytes(),
            );
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(&prepared.body);
        Ok(Outgoing { bytes })
    }

    /// Writes every request at once and reads their answers in order, each within `timeout` of
    /// the write. The result holds one entry per request; once one answer fails, the later
    /// ones are not read (their entries say why) and the connection is closed.
    pub(crate) async fn exchange(
        &self,
        requests: &[Outgoing],
        timeout: Duration,
    ) -> Vec<Result<RawAnswer, TransportError>> {
        let mut results = Vec::with_capacity(requests.len());
        let started = Instant::now();
        let mut stream = match self.connection().await {
            Ok(stream) => stream,
            Err(error) => {
                results.resize_with(requests.len(), || Err(error.clone()));
                return results;
            }
        };
        let mut wire = Vec::with_capacity(requests.iter().map(|r| r.bytes.len()).sum());
        for request in requests {
            wire.extend_from_slice(&request.bytes);
        }
        let written = tokio::time::timeout(timeout, stream.write_all(&wire)).await;
        if let Some(error) = match written {
            Err(_elapsed) => Some(TransportError::Timeout(timeout)),
            Ok(Err(error)) => Some(TransportError::Other(format!(
                "could not send the request: {error}"
            ))),
            Ok(Ok(())) => None,
        } {
            results.resize_with(requests.len(), || Err(error.clone()));
            return results;
        }
        let mut buffer = BytesMut::with_capacity(16 * 1024);
        let mut reusable = true;
        for _ in requests {
            if !reusable {
                results.push(Err(TransportError::Other(
                    "not answered: the server ended the connection after an earlier answer".into(),
                )));
                continue;
            }
            let deadline = started + timeout;
            let read = tokio::time::timeout_at(
                deadline.into(),
                read_answer(&mut stream, &mut buffer, self.max_body_bytes),
            )
            .await;
            match read {
                Ok(Ok((mut answer, keep_alive))) => {
                    answer.elapsed = started.elapsed();
                    reusable = keep_alive;
                    results.push(Ok(answer));
                }
                Ok(Err(error)) => {
                    reusable = false;
                    results.push(Err(error));
                }
                Err(_elapsed) => {
                    reusable = false;
                    results.push(Err(TransportError::Timeout(timeout)));
                }
            }
        }
        // Bytes past the last answer are not an answer to anything: the connection is not
        // trusted again.
        if reusable && buffer.is_empty() {
            self.give_back(stream);
        }
        results
    }

    /// A pooled connection the server has not closed, or a new one.
    async fn connection(&self) -> Result<TcpStream, TransportError> {
        loop {
            let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(idle) = idle else { break };
            if idle.since.elapsed() > MAX_IDLE {
                continue;
            }
            // An idle connection has nothing to read: end of stream means the server closed
            // it, and bytes mean it sent something nobody asked for. Either way it is dropped.
            let mut probe = [0u8; 1];
            match idle.stream.try_read(&mut probe) {
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    return Ok(idle.stream);
                }
                _ => continue,
            }
        }
        let connect = TcpStream::connect(&self.authority);
        let stream = match tokio::time::timeout(self.connect_timeout, connect).await {
            Err(_elapsed) => {
                return Err(TransportError::Connect(format!(
                    "no connection within {:?}",
                    self.connect_timeout
                )));
            }
            Ok(Err(error)) => return Err(TransportError::Connect(error.to_string())),
            Ok(Ok(stream)) => stream,
        };
        // Requests are small and each waits for its answer: Nagle's delay would only add to
        // every round trip.
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    fn give_back(&self, stream: TcpStream) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_POOLED {
            idle.push(Idle {
                stream,
                since: Instant::now(),
            });
        }
    }
}

/// The framing of an answer's body.
enum Framing {
    Length(usize),
    Chunked,
    /// No length and not chunked: the body runs to the end of the connection.
    ToClose,
}

/// Reads one answer (skipping interim `1xx` ones) from `stream`, `buffer` holding what was read
/// past the previous answer. Returns the answer and whether the connection may carry another.
async fn read_answer(
    stream: &mut TcpStream,
    buffer: &mut BytesMut,
    max_body_bytes: usize,
) -> Result<(RawAnswer, bool), TransportError> {
    loop {
        let (head_len, status, content_type, framing, keep_alive) = loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(buffer) {
                Ok(httparse::Status::Complete(head_len)) => {
                    let head = head_of(&response, max_body_bytes)?;
                    break (head_len, head.0, head.1, head.2, head.3);
                }
                Ok(httparse::Status::Partial) if buffer.len() > MAX_HEAD_BYTES => {
                    return Err(malformed(format!(
                        "its head is longer than {MAX_HEAD_BYTES} bytes"
                    )));
                }
                Ok(httparse::Status::Partial) => fill(stream, buffer).await?,
                Err(error) => return Err(malformed(error.to_string())),
            }
        };
        buffer.advance(head_len);
        // An interim answer (`100 Continue`, `103 Early Hints`) is followed by the real one.
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        let (body, keep_alive) = match framing {
            Framing::Length(length) => {
                while buffer.len() < length {
                    fill(stream, buffer).await?;
                }
                (buffer.split_to(length).freeze(), keep_alive)
            }
            Framing::Chunked => (
                read_chunked(stream, buffer, max_body_bytes).await?,
                keep_alive,
            ),
            Framing::ToClose => {
                loop {
                    if buffer.len() > max_body_bytes {
                        return Err(TransportError::BodyTooLarge {
                            limit: max_body_bytes,
                        });
                    }
                    if stream.read_buf(buffer).await.map_err(io_error)? == 0 {
                        break;
                    }
                }
                (buffer.split().freeze(), false)
            }
        };
        let answer = RawAnswer {
            status,
            content_type,
            body,
            elapsed: Duration::ZERO,
        };
        return Ok((answer, keep_alive));
    }
}

/// What the head says: status, `Content-Type`, body framing, and whether the connection stays
/// open after this answer.
fn head_of(
    response: &httparse::Response<'_, '_>,
    max_body_bytes: usize,
) -> Result<(u16, Option<String>, Framing, bool), TransportError> {
    let status = response
        .code
        .ok_or_else(|| malformed("it has no status".into()))?;
    let mut content_type = None;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    // HTTP/1.1 keeps the connection open unless told otherwise; HTTP/1.0 only when told to.
    let mut keep_alive = response.version == Some(1);
    for header in response.headers.iter() {
        let value = String::from_utf8_lossy(header.value);
        if header.name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.into_owned());
        } else if header.name.eq_ignore_ascii_case("content-length") {
            let parsed: usize = value.trim().parse().map_err(|_| {
                malformed(format!(
                    "its Content-Length `{}` is not a number",
                    crate::escape::terminal(&value)
                ))
            })?;
            if length.is_some_and(|earlier| earlier != parsed) {
                return Err(malformed("it has two different Content-Lengths".into()));
            }
            length = Some(parsed);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if header.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") && response.version == Some(0) {
                    keep_alive = true;
                }
            }
        }
    }
    // Chunked framing wins over a length (RFC 9112 §6.3).
    let framing = if chunked {
        Framing::Chunked
    } else if let Some(length) = length {
        if length > max_body_bytes {
            return Err(TransportError::BodyTooLarge {
                limit: max_body_bytes,
            });
        }
        Framing::Length(length)
    } else if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Length(0)
    } else {
        Framing::ToClose
    };
    Ok((status, content_type, framing, keep_alive))
}

/// A chunked body, its chunks joined, under the cap; trailers are read and dropped.
async fn read_chunked(
    stream: &mut TcpStream,
    buffer: &mut BytesMut,
    max_body_bytes: usize,
) -> Result<Bytes, TransportError> {
    let mut body = BytesMut::new();
    loop {
        let (size_len, size) = loop {
            match httparse::parse_chunk_size(buffer) {
                Ok(httparse::Status::Complete((used, size))) => break (used, size),
                Ok(httparse::Status::Partial) if buffer.len() > MAX_HEAD_BYTES => {
                    return Err(malformed("a chunk size line is too long".into()));
                }
                Ok(httparse::Status::Partial) => fill(stream, buffer).await?,
                Err(_) => return Err(malformed("a chunk size is not hexadecimal".into())),
            }
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > max_body_bytes.saturating_sub(body.len()) {
            return Err(TransportError::BodyTooLarge {
                limit: max_body_bytes,
            });
        }
        buffer.advance(size_len);
        if size == 0 {
            break;
        }
        while buffer.len() < size + 2 {
            fill(stream, buffer).await?;
        }
        body.extend_from_slice(&buffer[..size]);
        if &buffer[size..size + 2] != b"\r\n" {
            return Err(malformed("a chunk does not end in CRLF".into()));
        }
        buffer.advance(size + 2);
    }
    // Trailer lines up to the empty line that ends the body.
    loop {
        match buffer.windows(2).position(|pair| pair == b"\r\n") {
            Some(0) => {
                buffer.advance(2);
                return Ok(body.freeze());
            }
            Some(end) => buffer.advance(end + 2),
            None if buffer.len() > MAX_HEAD_BYTES => {
                return Err(malformed("its trailers are too long".into()));
            }
            None => fill(stream, buffer).await?,
        }
    }
}

/// Reads more into `buffer`; the end of the stream in the middle of an answer is an error.
async fn fill(stream: &mut TcpStream, buffer: &mut BytesMut) -> Result<(), TransportError> {
    buffer.reserve(8 * 1024);
    match stream.read_buf(buffer).await.map_err(io_error)? {
        0 => Err(TransportError::Other(
            "the connection closed before the answer was complete".into(),
        )),
        _ => Ok(()),
    }
}

fn io_error(error: std::io::Error) -> TransportError {
    TransportError::Other(format!("reading the answer failed: {error}"))
}

fn malformed(why: String) -> TransportError {
    TransportError::Other(format!("malformed HTTP answer: {why}"))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream as StdStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::targets::{
        Connection, EmulatorKnobs, HttpTarget, HttpTargetOptions, RawAnswer, Target, TransportError,
    };
    use crate::wire::{Credentials, WireRequest};

    /// What a raw test server saw: the requests of each connection, in order.
    type Seen = Arc<std::sync::Mutex<Vec<Vec<String>>>>;

    /// Reads one request head (and its `content-length` body) byte by byte.
    fn read_request(stream: &mut StdStream) -> Option<String> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).ok()? == 0 {
                return None;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).ok()?;
        Some(head)
    }

    /// A raw server on 127.0.0.1:0. Per connection it reads `batch` requests before it writes
    /// anything, then calls `respond` with the connection's number and the requests, and keeps
    /// the connection when `respond` says so. A client that waits for the first answer before
    /// sending the second never gets one from it.
    fn serve(
        batch: usize,
        respond: impl Fn(usize, &mut StdStream) -> bool + Send + Sync + 'static,
    ) -> (String, Seen, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let seen: Seen = Arc::default();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (log, count) = (Arc::clone(&seen), Arc::clone(&accepted));
        let respond = Arc::new(respond);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let number = count.fetch_add(1, Ordering::SeqCst);
                let (log, respond) = (Arc::clone(&log), Arc::clone(&respond));
                std::thread::spawn(move || {
                    loop {
                        let mut requests = Vec::new();
                        for _ in 0..batch {
                            match read_request(&mut stream) {
                                Some(request) => requests.push(request),
                                None => return,
                            }
                        }
                        log.lock().unwrap().push(requests);
                        if !respond(number, &mut stream) {
                            return;
                        }
                    }
                });
            }
        });
        (base, seen, accepted)
    }

    fn ok(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    const ASSIGNED: &str = r#"{"RequestId":"R1"}"#;
    const LISTED: &str = r#"{"RequestId":"R2","NetworkInterfaceSets":{"NetworkInterfaceSet":[]}}"#;

    fn target(base: &str) -> HttpTarget {
        HttpTarget::new(HttpTargetOptions {
            credentials: Some(Credentials::new("testid", "testsecret")),
            request_timeout: std::time::Duration::from_secs(2),
            max_body_bytes: 1024,
            ..HttpTargetOptions::new(base, "cn-hangzhou")
        })
        .unwrap()
    }

    fn request(action: &str) -> WireRequest {
        WireRequest {
            params: vec![("Action".into(), action.into())],
            ..WireRequest::default()
        }
    }

    async fn pair(
        connection: &dyn Connection,
    ) -> (
        Result<crate::targets::Exchange, TransportError>,
        Option<RawAnswer>,
    ) {
        connection
            .send_then_read(
                &request("AssignPrivateIpAddresses"),
                &request("DescribeNetworkInterfaces"),
            )
            .await
    }

    #[tokio::test]
    async fn the_read_travels_behind_the_request_and_the_connection_is_reused() {
        // The server answers only once it holds both requests: a client that waited for the
        // first answer would time out here.
        let (base, seen, accepted) = serve(2, |_, s| {
            s.write_all(format!("{}{}", ok(ASSIGNED), ok(LISTED)).as_bytes())
                .is_ok()
        });
        let target = target(&base);
        let connection = target.connect(&EmulatorKnobs::default()).unwrap();
        for _ in 0..3 {
            let (first, read) = pair(connection.as_ref()).await;
            let first = first.unwrap();
            assert_eq!(first.status, 200);
            assert_eq!(first.body.as_ref(), ASSIGNED.as_bytes());
            assert_eq!(first.decoded.request_id.as_deref(), Some("R1"));
            let read = read.expect("the pipelined read came back");
            assert_eq!(read.body.as_ref(), LISTED.as_bytes());
            assert_eq!(read.status, 200);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "one connection for all");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        let [assign, describe] = &seen[0][..] else {
            panic!("{seen:?}")
        };
        assert!(
            assign.starts_with("GET /?Action=AssignPrivateIpAddresses&"),
            "{assign}"
        );
        assert!(assign.contains("&Signature="), "signed: {assign}");
        assert!(describe.starts_with("GET /?Action=DescribeNetworkInterfaces&"));
        assert!(assign.contains(&format!("\r\nhost: {}\r\n", &base[7..base.len() - 1])));
    }

    #[tokio::test]
    async fn chunked_and_interim_answers_are_read_whole() {
        let (base, _, _) = serve(2, |_, s| {
            let first = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n5;ext=1\r\n{\"Req\r\nd\r\nuestId\":\"R1\"}\r\n0\r\nx-trailer: 1\r\n\r\n";
            s.write_all(format!("{first}{}", ok(LISTED)).as_bytes())
                .is_ok()
        });
        let target = target(&base);
        let connection = target.connect(&EmulatorKnobs::default()).unwrap();
        let (first, read) = pair(connection.as_ref()).await;
        let first = first.unwrap();
        assert_eq!(first.body.as_ref(), ASSIGNED.as_bytes());
        assert_eq!(first.content_type.as_deref(), Some("application/json"));
        assert_eq!(read.unwrap().body.as_ref(), LISTED.as_bytes());
    }

    #[tokio::test]
    async fn a_server_that_closes_after_one_answer_gets_requests_alone_from_then_on() {
        // The first connection answers the request and closes without answering the read; the
        // run then stops pipelining, so later connections each carry one request.
        let (base, seen, _) = serve(1, |_, s| {
            let answer = ok(ASSIGNED).replace("\r\n\r\n", "\r\nconnection: close\r\n\r\n");
            let _ = s.write_all(answer.as_bytes());
            false
        });
        let target = target(&base);
        let connection = target.connect(&EmulatorKnobs::default()).unwrap();
        let (first, read) = pair(connection.as_ref()).await;
        assert_eq!(first.unwrap().status, 200);
        assert!(
            read.is_none(),
            "the read did not come back: the caller reads again"
        );
        let (first, read) = pair(connection.as_ref()).await;
        assert_eq!(first.unwrap().status, 200);
        assert!(read.is_none());
        // Pipelining stopped after the first pair: the second pair's connection carried only the
        // request (the caller sends its read itself).
        let seen = seen.lock().unwrap();
        assert!(seen.iter().all(|batch| batch.len() == 1), "{seen:?}");
    }

    #[tokio::test]
    async fn hostile_answers_end_as_transport_errors() {
        type Expected = fn(&TransportError) -> bool;
        let cases: [(&str, &'static str, Expected); 5] = [
            (
                "announced body over the cap",
                "HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n",
                |e| *e == TransportError::BodyTooLarge { limit: 1024 },
            ),
            (
                "chunked body over the cap",
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n800\r\n",
                |e| *e == TransportError::BodyTooLarge { limit: 1024 },
            ),
            (
                "garbage",
                "\x00\x16\x03 not http at all\r\n\r\n",
                |e| matches!(e, TransportError::Other(m) if m.starts_with("malformed HTTP answer")),
            ),
            (
                "two lengths",
                "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
                |e| matches!(e, TransportError::Other(m) if m.contains("two different")),
            ),
            (
                "cut short",
                "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\"",
                |e| matches!(e, TransportError::Other(m) if m.contains("closed before")),
            ),
        ];
        for (what, answer, expected) in cases {
            let (base, _, _) = serve(2, move |_, s| {
                let _ = s.write_all(answer.as_bytes());
                false
            });
            let target = target(&base);
            let connection = target.connect(&EmulatorKnobs::default()).unwrap();
            let (first, read) = pair(connection.as_ref()).await;
            let error = first.expect_err(what);
            assert!(expected(&error), "{what}: {error:?}");
            assert!(!error.to_string().contains("Signature"), "{what}: {error}");
            assert!(read.is_none(), "{what}");
        }
    }

    #[tokio::test]
    async fn a_drip_or_a_silent_server_times_out_within_the_deadline() {
        let (base, _, _) = serve(2, |_, s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n");
            for _ in 0..50 {
                if s.write_all(b" ").is_err() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            false
        });
        let target = target(&base);
        let connection = target.connect(&EmulatorKnobs::default()).unwrap();
        let started = std::time::Instant::now();
        let (first, _) = pair(connection.as_ref()).await;
        assert_eq!(
            first.unwrap_err(),
            TransportError::Timeout(std::time::Duration::from_secs(2))
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(4));
    }

    #[tokio::test]
    async fn a_read_over_the_cap_is_left_to_the_caller() {
        let (base, _, _) = serve(2, |_, s| {
            let big = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: 4096\r\n\r\n{}",
                " ".repeat(4096)
            );
            let _ = s.write_all(format!("{}{big}", ok(ASSIGNED)).as_bytes());
            false
        });
        let target = target(&base);
        let connection = target.connect(&EmulatorKnobs::default()).unwrap();
        let (first, read) = pair(connection.as_ref()).await;
        assert_eq!(first.unwrap().body.as_ref(), ASSIGNED.as_bytes());
        assert!(read.is_none());
    }

    #[tokio::test]
    async fn without_pipelining_the_request_goes_alone() {
        let (base, seen, _) = serve(1, |_, s| s.write_all(ok(ASSIGNED).as_bytes()).is_ok());
        let target = HttpTarget::new(HttpTargetOptions {
            pipelining: false,
            ..target(&base).options().clone()
        })
        .unwrap();
        let connection = target.connect(&EmulatorKnobs::default()).unwrap();
        let (first, read) = pair(connection.as_ref()).await;
        assert_eq!(first.unwrap().status, 200);
        assert!(read.is_none());
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn https_targets_are_never_pipelined() {
        let target = target("https://127.0.0.1:9/");
        assert!(target.inner_pipelines().is_none());
        let target = self::target("http://127.0.0.1:9/");
        assert!(target.inner_pipelines().is_some());
    }
}
