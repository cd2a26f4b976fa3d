//! Targets: the endpoints a run talks to. A target sends one request and returns one exchange;
//! the runner never knows which kind of target it talks to.

pub(crate) mod embedded;
pub(crate) mod http;
mod pipeline;
pub(crate) mod target;

pub use embedded::{EmbeddedTarget, eni_view};
pub use http::{HttpTarget, HttpTargetOptions};
pub use target::{
    BoxFuture, Connection, EmulatorKnobs, Exchange, RawAnswer, Target, TransportError, real_clock,
};
