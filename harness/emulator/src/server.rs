//! The emulator's HTTP/1.1 server, built to outlast slow and abundant clients: a cap on open
//! connections (one more is answered `503 ServiceUnavailable` and closed), and per connection an
//! idle, a header and a body timeout. A request head hyper cannot read (too large, malformed) is
//! answered with the ECS error body, not hyper's empty 431 or 400.
//!
//! axum's `serve` offers none of these knobs, so the accept loop is our own. A connection's first
//! request head is read here ([`first_head`]), so a client that never completes one costs the
//! bytes it sent, not hyper's buffers; then the connection is hyper's `http1` connection over a
//! socket wrapper ([`Guarded`]) that keeps the idle and header deadlines for the requests after
//! (Go's `IdleTimeout`/`ReadHeaderTimeout` semantics: idle until the first byte of a request,
//! then the header timeout for the rest of its head).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};

use crate::emulator::{Answer, Emulator};
use crate::error::ApiError;

/// What a served emulator allows its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections open at once; one more is answered `503 ServiceUnavailable` and closed.
    pub max_connections: usize,
    /// How long a connection may stay open with no request under way: after it opened, and
    /// between the end of one answer and the first byte of the next request.
    pub idle_timeout: Duration,
    /// How long the request line and headers may take once their first byte arrived.
    pub header_timeout: Duration,
    /// How long the body may take once the head was read; later, `408 RequestTimeout`.
    pub body_timeout: Duration,
    /// Longest request line plus headers, in bytes; longer heads (and more than 100 headers)
    /// answer `413 RequestEntityTooLarge`. At least 8 KiB.
    pub max_head_bytes: usize,
}

impl ServeLimits {
    /// 16 384 connections, 60 s idle, 10 s for a head, 10 s for a body, 64 KiB heads.
    pub const DEFAULT: ServeLimits = ServeLimits {
        max_connections: 16_384,
        idle_timeout: Duration::from_secs(60),
        header_timeout: Duration::from_secs(10),
        body_timeout: Duration::from_secs(10),
        max_head_bytes: 64 * 1024,
    };
}

impl Default for ServeLimits {
    fn default() -> ServeLimits {
        ServeLimits::DEFAULT
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` resolves, then lets every open
/// connection finish (the timeouts bound how long that takes).
pub(crate) async fn serve_with(
    listener: TcpListener,
    emulator: Emulator,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = ServeLimits {
        max_connections: limits.max_connections.clamp(1, u32::MAX as usize),
        max_head_bytes: limits.max_head_bytes.max(8 * 1024),
        ..limits
    };
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) if is_connection_error(&error) => continue,
            // Out of file descriptors (or memory): the open connections keep being served, and
            // accepting resumes once some of them close.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            refuse(&stream, &emulator, limits.max_connections);
            continue;
        };
        // RPC answers are small: without TCP_NODELAY, Nagle's algorithm meets the client's
        // delayed ACK and a keep-alive connection stalls for tens of milliseconds now and then.
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            router.clone(),
            emulator.clone(),
            limits,
            slot,
            stopped.clone(),
        ));
    }
    let _ = stop.send(true);
    // Every connection holds a slot until it ends.
    let _ = slots.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A connection over the cap: `503 ServiceUnavailable` with the ECS error body, then closed.
fn refuse(stream: &TcpStream, emulator: &Emulator, cap: usize) {
    let err = ApiError::connection_cap(cap);
    let bytes = raw_answer(&emulator.unread_error(&err), &[("retry-after", "1")]);
    // A new socket's send buffer is empty, so one write that never waits takes the whole answer;
    // waiting here would let a flood of connections hold the accept loop.
    let _ = stream.try_write(&bytes);
}

/// An answer as HTTP/1.1 bytes, closing the connection.
fn raw_answer(answer: &Answer, extra: &[(&str, &str)]) -> Vec<u8> {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        answer.format.content_type(),
        answer.body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(answer.body.as_bytes());
    bytes
}

/// Where a connection is, for its deadlines.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No request under way since this instant: the idle timeout runs.
    Idle(Instant),
    /// A request head is arriving; it must be complete by this instant.
    Head(Instant),
    /// The head was read: the handler runs (the body has its own deadline).
    Handling,
}

/// What a connection's socket wrapper and its service share.
#[derive(Debug)]
struct State {
    phase: Phase,
    /// Answers the service returned whose status line hyper has not written yet: a status line
    /// written while none is owed is hyper's own answer to a request it could not read.
    owed: usize,
}

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn connection(
    stream: TcpStream,
    router: Router,
    emulator: Emulator,
    limits: ServeLimits,
    // The connection's place under the cap, given back when it ends.
    _slot: OwnedSemaphorePermit,
    mut stopped: watch::Receiver<bool>,
) {
    let opened = Instant::now();
    // Until its first request head is complete a connection is a socket and the bytes it sent
    // (a KiB or two): hyper's buffers (16 KiB) are made only then, so thousands of silent or
    // dripping clients cost little, and give back little to the allocator when they go.
    let head = tokio::select! {
        head = first_head(&stream, opened, &limits) => head,
        _ = stopped.wait_for(|stop| *stop) => return,
    };
    let head = match head {
        FirstHead::Complete(head) => head,
        FirstHead::TooLarge => {
            let err = ApiError::too_large("head (request line and headers)", limits.max_head_bytes);
            let bytes = raw_answer(&emulator.unread_error(&err), &[]);
            let _ = tokio::time::timeout(limits.header_timeout, write_all(&stream, &bytes)).await;
            return;
        }
        FirstHead::Gone => return,
    };
    // Boxed: the HTTP connection's state is large, and the task holds it only from here on.
    Box::pin(http(stream, head, router, emulator, limits, stopped)).await;
}

/// How a connection's first request head arrived.
enum FirstHead {
    /// Complete: these bytes, the head and whatever followed it.
    Complete(Vec<u8>),
    /// Longer than the head limit.
    TooLarge,
    /// Closed, idle too long, or too slow to send its head.
    Gone,
}

/// Reads until the first request head is complete: the idle timeout until its first byte, the
/// header timeout from there.
async fn first_head(stream: &TcpStream, opened: Instant, limits: &ServeLimits) -> FirstHead {
    let mut head = Vec::new();
    let mut deadline = opened + limits.idle_timeout;
    loop {
        match tokio::time::timeout_at(deadline, stream.readable()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => return FirstHead::Gone,
        }
        let mut chunk = [0u8; 2048];
        match stream.try_read(&mut chunk) {
            Ok(0) => return FirstHead::Gone,
            Ok(n) => {
                if head.is_empty() {
                    deadline = Instant::now() + limits.header_timeout;
                }
                // Only the new bytes and the three before them can complete the blank line.
                let from = head.len().saturating_sub(3);
                head.extend_from_slice(&chunk[..n]);
                let tail = &head[from..];
                if tail.windows(4).any(|w| w == b"\r\n\r\n")
                    || tail.windows(2).any(|w| w == b"\n\n")
                {
                    return FirstHead::Complete(head);
                }
                if head.len() > limits.max_head_bytes {
                    return FirstHead::TooLarge;
                }
            }
            // `readable` may report a socket ready with nothing to read.
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return FirstHead::Gone,
        }
    }
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Serves HTTP on a connection whose first request head (`read`, with what followed it) has
/// arrived.
async fn http(
    stream: TcpStream,
    read: Vec<u8>,
    router: Router,
    emulator: Emulator,
    limits: ServeLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let shared: Shared = Arc::new(Mutex::new(State {
        // The head is complete: its request is as good as handed to the service.
        phase: Phase::Head(Instant::now() + limits.header_timeout),
        owed: 0,
    }));
    let io = Guarded {
        stream,
        read,
        read_from: 0,
        shared: Arc::clone(&shared),
        limits,
        emulator: emulator.clone(),
        timer: None,
        armed: None,
        replacement: None,
    };
    let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
        lock(&shared).phase = Phase::Handling;
        let deadline = Instant::now() + limits.body_timeout;
        let request = request.map(|body| {
            axum::body::Body::new(Deadline {
                body,
                deadline,
                limit: limits.body_timeout,
                timer: None,
            })
        });
        let router = router.clone();
        let emulator = emulator.clone();
        let shared = Arc::clone(&shared);
        async move {
            // The API's requests skip the router, which would only route them to the handler;
            // everything else (other paths and methods) gets the router's own answers.
            let response = if crate::serve::routes_to_handler(&request) {
                crate::serve::handle_without_router(emulator, request).await
            } else {
                match tower::ServiceExt::oneshot(router, request).await {
                    Ok(response) => response,
                    Err(infallible) => match infallible {},
                }
            };
            let mut state = lock(&shared);
            state.phase = Phase::Idle(Instant::now());
            state.owed += 1;
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .max_buf_size(limits.max_head_bytes)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    let stop = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stop => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// The socket of one connection, keeping its idle and header deadlines, and writing the ECS
/// error body in place of hyper's own answer to a head it could not read.
struct Guarded {
    stream: TcpStream,
    /// Bytes read before hyper took over, given to it first.
    read: Vec<u8>,
    read_from: usize,
    shared: Shared,
    limits: ServeLimits,
    emulator: Emulator,
    timer: Option<Pin<Box<Sleep>>>,
    /// The deadline `timer` is set for.
    armed: Option<Instant>,
    /// The answer written instead of hyper's, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
}

impl Guarded {
    fn stream(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(&mut self.stream)
    }

    /// The current deadline, if one runs, has passed: the connection ends with an error.
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            let deadline = match lock(&self.shared).phase {
                Phase::Idle(since) => since + self.limits.idle_timeout,
                Phase::Head(deadline) => deadline,
                Phase::Handling => return Poll::Pending,
            };
            // The timer is moved only to an earlier deadline: the idle deadline moves later with
            // every answer, and resetting a timer per request costs throughput. A timer that
            // fires early is re-armed for the deadline that holds now.
            match (&mut self.timer, self.armed) {
                (Some(_), Some(armed)) if armed <= deadline => {}
                (Some(timer), _) => {
                    timer.as_mut().reset(deadline);
                    self.armed = Some(deadline);
                }
                (None, _) => {
                    self.timer = Some(Box::pin(tokio::time::sleep_until(deadline)));
                    self.armed = Some(deadline);
                }
            }
            let timer = self.timer.as_mut().expect("armed just above");
            ready!(timer.as_mut().poll(cx));
            if Instant::now() >= deadline {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client was too slow (idle or header timeout)",
                ));
            }
            timer.as_mut().reset(deadline);
            self.armed = Some(deadline);
        }
    }

    /// Writes the replacement answer to the end.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = self.replacement.take() {
            if written == bytes.len() {
                self.replacement = Some((bytes, written));
                return Poll::Ready(Ok(()));
            }
            let polled = self.stream().poll_write(cx, &bytes[written..]);
            match polled {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.replacement = Some((bytes, written + n)),
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => {
                    self.replacement = Some((bytes, written));
                    return match self.poll_expired(cx) {
                        Poll::Ready(error) => Poll::Ready(Err(error)),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// The answer to write instead of the one hyper starts in `buf`, if hyper is answering a
    /// request it could not read.
    fn replacement_for(&self, buf: &[u8]) -> Option<Vec<u8>> {
        if lock(&self.shared).owed > 0 {
            return None;
        }
        let status = buf.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
        let err = match status {
            // Head too large, too many headers, URI too long.
            b"431" | b"414" | b"413" => ApiError::too_large(
                "head (request line and headers)",
                self.limits.max_head_bytes,
            ),
            b"400" => ApiError::head_unparseable(),
            _ => return None,
        };
        Some(raw_answer(&self.emulator.unread_error(&err), &[]))
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.read_from < this.read.len() {
            let n = buf.remaining().min(this.read.len() - this.read_from);
            buf.put_slice(&this.read[this.read_from..this.read_from + n]);
            this.read_from += n;
            if this.read_from == this.read.len() {
                this.read = Vec::new();
                this.read_from = 0;
            }
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match this.stream().poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    let mut state = lock(&this.shared);
                    if let Phase::Idle(_) = state.phase {
                        state.phase = Phase::Head(Instant::now() + this.limits.header_timeout);
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => match this.poll_expired(cx) {
                Poll::Ready(error) => Poll::Ready(Err(error)),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacement.is_none() {
            this.replacement = this.replacement_for(buf).map(|bytes| (bytes, 0));
        }
        if this.replacement.is_some() {
            ready!(this.poll_replacement(cx))?;
            // hyper's own answer is dropped: ours took its place.
            return Poll::Ready(Ok(buf.len()));
        }
        match this.stream().poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                if written > 0 && buf.starts_with(b"HTTP/1.") {
                    let mut state = lock(&this.shared);
                    state.owed = state.owed.saturating_sub(1);
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            // A client that does not read its answers is held to the idle timeout.
            Poll::Pending => match this.poll_expired(cx) {
                Poll::Ready(error) => Poll::Ready(Err(error)),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        ready!(this.stream().poll_flush(cx))?;
        // hyper flushes each answer; its read of the next request may have been polled before
        // the connection went idle, when no deadline ran. Arm the idle deadline now, so that it
        // wakes the connection (whose next read then fails) even if no byte ever comes.
        if let Poll::Ready(error) = this.poll_expired(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        this.stream().poll_shutdown(cx)
    }
}

/// The request body in time: after `deadline` the body fails with [`BodyTimeout`].
struct Deadline<B> {
    body: B,
    deadline: Instant,
    limit: Duration,
    /// Made only when the body keeps the handler waiting.
    timer: Option<Pin<Box<Sleep>>>,
}

/// A request body that did not arrive within the server's body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub(crate) struct BodyTimeout(pub Duration);

impl<B> Body for Deadline<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|result| result.map_err(Into::into))),
            Poll::Pending => {
                let deadline = this.deadline;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                ready!(timer.as_mut().poll(cx));
                Poll::Ready(Some(Err(Box::new(BodyTimeout(this.limit)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
