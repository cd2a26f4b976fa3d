//! Injected faults: throttling, conflicts, unavailability and latency, seeded and reproducible.
//!
//! Faults are decided after the common checks (action, version, signature, region) pass, so an
//! `action` filter sees a real action name and a rejected request never counts as a match. A
//! faulted request changes nothing: not even its nonce is recorded, so a retry that reuses it
//! is still accepted.

use std::time::Duration;

use crate::error::ApiError;
use crate::ids::mix;

/// One fault-injection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Only requests for this `Action`; `None` matches every action.
    pub action: Option<String>,
    /// Which matching requests are hit.
    pub when: FaultWhen,
    /// What happens to them.
    pub fault: Fault,
}

/// Which of the requests a rule matches are hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultWhen {
    /// Only the Nth matching request (1-based).
    Nth(u64),
    /// Each matching request with this probability in `0..=1`, drawn from the configured seed,
    /// the rule's position and the request's number among the rule's matches: the same
    /// sequence of requests is hit the same way on every run.
    Rate(f64),
}

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `Throttling`, HTTP 400.
    Throttling,
    /// `Operation.Conflict`, HTTP 403.
    Conflict,
    /// `ServiceUnavailable`, HTTP 503.
    ServiceUnavailable,
    /// The request waits this long, then proceeds normally.
    Latency(Duration),
}

/// What the fault rules decided for one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub error: Option<ApiError>,
    pub latency: Duration,
}

/// Counts matches per rule; lives inside the emulator's state.
#[derive(Debug)]
pub(crate) struct FaultState {
    rules: Vec<FaultRule>,
    matched: Vec<u64>,
    seed: u64,
}

const FAULT_STREAM: u64 = 4;

impl FaultState {
    pub(crate) fn new(rules: Vec<FaultRule>, seed: u64) -> FaultState {
        let matched = vec![0; rules.len()];
        FaultState {
            rules,
            matched,
            seed,
        }
    }

    /// Every matching rule counts the request; the first error fault that fires answers it,
    /// and the latencies of all firing latency rules add up.
    pub(crate) fn decide(&mut self, action: &str) -> Decision {
        let mut decision = Decision::default();
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.action.as_deref().is_some_and(|a| a != action) {
                continue;
            }
            let Some(count) = self.matched.get_mut(index) else {
                continue;
            };
            *count += 1;
            let fires = match rule.when {
                FaultWhen::Nth(n) => *count == n,
                FaultWhen::Rate(rate) => {
                    let draw = mix(self.seed, FAULT_STREAM ^ ((index as u64) << 8), *count);
                    // 53 random bits give a uniform float in [0, 1).
                    ((draw >> 11) as f64 / (1u64 << 53) as f64) < rate
                }
            };
            if !fires {
                continue;
            }
            match rule.fault {
                Fault::Latency(d) => decision.latency += d,
                Fault::Throttling if decision.error.is_none() => {
                    decision.error = Some(ApiError::throttling());
                }
                Fault::Conflict if decision.error.is_none() => {
                    decision.error = Some(ApiError::conflict());
                }
                Fault::ServiceUnavailable if decision.error.is_none() => {
                    decision.error = Some(ApiError::service_unavailable());
                }
                _ => {}
            }
        }
        decision
    }
}
