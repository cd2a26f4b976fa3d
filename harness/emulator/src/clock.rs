//! The time source: the system clock, or a manual clock that tests advance by hand.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Where the emulator reads "now" from: timestamps, nonce windows and asynchronous transitions
/// (`Attaching`, `Detaching`, `Deleting`, tasks in flight) all use it.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The operating system's wall clock.
    #[default]
    System,
    /// A clock that only moves when told to; shared by every clone.
    Manual(ManualClock),
}

impl Clock {
    /// The current time on this clock.
    pub fn now(&self) -> SystemTime {
        match self {
            Clock::System => SystemTime::now(),
            Clock::Manual(clock) => clock.now(),
        }
    }
}

/// A clock moved by hand; clones share the same time, so a test keeps one handle and gives
/// another to the emulator.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A manual clock that reads `start` until it is advanced.
    pub fn starting_at(start: SystemTime) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// A manual clock starting at the real current time, so that signed requests carrying real
    /// timestamps stay inside the 15-minute window.
    pub fn now_real() -> ManualClock {
        ManualClock::starting_at(SystemTime::now())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        // Saturates rather than overflowing on an absurd step.
        *now = crate::model::later(*now, by);
    }

    /// The time this clock reads.
    pub fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
