//! What every target is: the trait the runner sends through, a connection that keeps what
//! one case sends together, the exchange it returns, and how a request can fail on the way.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::wire::prepare::PreparedRequest;
use crate::wire::{Decoded, WireRequest, decode_response};

/// A boxed future, so that targets can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Knobs a case may set that only an emulator can honour (a real endpoint cannot be told to
/// make tasks last longer). Cases that set any of them are skipped on targets that cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmulatorKnobs {
    /// How long an assign or unassign stays "in flight" after it answered, so that a second one
    /// on the same ENI meets `Operation.Conflict`.
    pub task_duration: Option<Duration>,
    /// How long Attaching, Detaching and Deleting last.
    pub async_delay: Option<Duration>,
}

impl EmulatorKnobs {
    /// Whether the case sets no knob (it then runs on any target).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// An endpoint that implements the API.
pub trait Target: Send + Sync {
    /// A short human description, for reports (`embedded`, `http://127.0.0.1:8080/`).
    fn describe(&self) -> String;

    /// Whether state persists between cases and is shared by cases running at once (a served
    /// emulator, the real cloud). The runner serializes cases that use the same fixture then.
    fn is_shared(&self) -> bool;

    /// Whether this target can honour [`EmulatorKnobs`].
    fn supports_knobs(&self) -> bool;

    /// Opens a connection for one case. An embedded target starts a fresh emulator here; an
    /// HTTP target hands out its shared client.
    fn connect(&self, knobs: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>>;
}

/// One case's line to a target.
pub trait Connection: Send + Sync {
    /// Signs (as the request says) and sends one request; returns what came back.
    fn send<'a>(
        &'a self,
        request: &'a WireRequest,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>>;

    /// Sends `request`, then `read` (a state read, safe to send again), and returns both
    /// answers. A target that can write `read` behind `request` without waiting for its answer
    /// does, saving a round trip; the read then shows the state right after the request, as
    /// a read sent after the answer would. `None` for the read: it was not sent or did not
    /// come back whole, and the caller reads itself. By default the request goes alone.
    fn send_then_read<'a>(
        &'a self,
        request: &'a WireRequest,
        read: &'a WireRequest,
    ) -> BoxFuture<'a, (Result<Exchange, TransportError>, Option<RawAnswer>)> {
        let _ = read;
        Box::pin(async move { (self.send(request).await, None) })
    }

    /// Lets time pass: a real sleep for a real endpoint, an instant clock advance for an
    /// embedded emulator on a virtual clock.
    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()>;

    /// The time the target lives in, monotonic, from an arbitrary start: real time, or an
    /// embedded emulator's virtual clock (which moves only when a case waits). Races against a
    /// task's time are judged on it.
    fn clock(&self) -> Duration {
        real_clock()
    }
}

/// Real monotonic time since the first call.
pub fn real_clock() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// One request and its answer, as raw as the checks need them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The HTTP method used.
    pub method: &'static str,
    /// Every parameter as it went on the wire (common parameters included), in order, decoded.
    /// `Signature` and the security token are left out: secrets never leave the signer.
    pub params: Vec<(String, String)>,
    /// The raw query text a case asked to append verbatim, if any.
    pub raw_query: Option<String>,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The answer's `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// The body, cut at the target's body limit.
    pub body: bytes::Bytes,
    /// The body decoded into one model, whatever its format.
    pub decoded: Decoded,
    /// From sending the request to the end of the answer's body.
    pub elapsed: Duration,
}

impl Exchange {
    /// The exchange of `request`, sent as `prepared`, whose answer came back; the body is
    /// decoded here, the same way for every target.
    pub fn answered(
        request: &WireRequest,
        prepared: PreparedRequest,
        status: u16,
        content_type: Option<String>,
        body: bytes::Bytes,
        elapsed: Duration,
    ) -> Exchange {
        let decoded = decode_response(status, content_type.as_deref(), &body);
        Exchange {
            method: prepared.method,
            params: prepared.sent_params,
            raw_query: request.raw_query.clone(),
            status,
            content_type,
            body,
            decoded,
            elapsed,
        }
    }
}

/// An answer as it came back, not decoded: what the pipelined client reads off the wire, and
/// what a state read sent ahead returns (the state reader takes what it needs straight from a
/// plain body and decodes only the others).
#[derive(Debug, Clone)]
pub struct RawAnswer {
    /// The HTTP status of the answer.
    pub status: u16,
    /// The answer's `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// The body, cut at the target's body limit.
    pub body: bytes::Bytes,
    /// From writing the requests to the end of this answer's body.
    pub elapsed: Duration,
}

/// Why no answer came back. A timeout is an unknown outcome, not a failure of the endpoint.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TransportError {
    /// No answer within the timeout (the outcome is unknown).
    #[error("timed out after {0:?} (the outcome is unknown)")]
    Timeout(Duration),
    /// The connection could not be made.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The body went past the target's limit; the rest was not read.
    #[error("response body larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Anything else the HTTP client reported.
    #[error("{0}")]
    Other(String),
}
