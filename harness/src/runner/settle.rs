//! Waiting, before a case that needs a VSwitch to itself (`exclusive:`) starts, until the ENIs
//! earlier cases deleted from it are gone. An ENI stays `Deleting`, holding its addresses, for
//! the target's transition time after its delete answered; a case counting free addresses or
//! using a fixed one would find them taken. The wait follows the profile's `timing.transition`
//! (first look when the last deletion should have ended, then short looks), and is bounded: an
//! endpoint that keeps answering `Deleting` costs the run one bound, once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::profile::Profile;
use crate::targets::{Connection, EmulatorKnobs, Target};
use crate::wire::{Format, WireRequest};

/// The longest one case waits for a VSwitch's `Deleting` ENIs. Once one wait reached it, later
/// cases look once and start whatever they see: an endpoint that never finishes deleting (or
/// says so falsely) holds the run for this long at most.
pub(crate) const SETTLE_BOUND: Duration = Duration::from_secs(30);

/// Without a stated transition time: short looks at first (an emulator deletes in a moment),
/// longer later (the cloud takes seconds).
const UNKNOWN_FIRST_PAUSE: Duration = Duration::from_millis(50);
const UNKNOWN_LONGEST_PAUSE: Duration = Duration::from_secs(2);

/// What the waits of a run share.
#[derive(Debug)]
pub(crate) struct Settler {
    transition: Option<Duration>,
    /// [`SETTLE_BOUND`], shorter in tests.
    bound: Duration,
    /// When the last case deleting ENIs in each VSwitch (by id) ended.
    deleted_at: Mutex<HashMap<String, Instant>>,
    gave_up: AtomicBool,
    requests: AtomicUsize,
    notes: Mutex<Vec<String>>,
}

impl Settler {
    pub(crate) fn new(transition: Option<Duration>) -> Settler {
        Settler {
            transition,
            bound: SETTLE_BOUND,
            deleted_at: Mutex::new(HashMap::new()),
            gave_up: AtomicBool::new(false),
            requests: AtomicUsize::new(0),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// A case that deletes ENIs in these VSwitches has ended: its deletions began by now.
    pub(crate) fn deleted(&self, vswitch_ids: &[String]) {
        let now = Instant::now();
        let mut deleted_at = self.deleted_at.lock().unwrap_or_else(|e| e.into_inner());
        for id in vswitch_ids {
            deleted_at.insert(id.clone(), now);
        }
    }

    /// Requests sent while waiting.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// What the run should be told: a wait that reached its bound. Holds the endpoint's ids as
    /// it sent them (cut short): each sink escapes them.
    pub(crate) fn notes(&self) -> Vec<String> {
        self.notes.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until none of the VSwitches lists a `Deleting` ENI, or the bound.
    pub(crate) async fn settle(
        &self,
        target: &dyn Target,
        profile: &Profile,
        vswitch_ids: &[String],
    ) {
        let Ok(connection) = target.connect(&EmulatorKnobs::default()) else {
            return;
        };
        for vswitch in vswitch_ids {
            self.settle_one(connection.as_ref(), profile, vswitch).await;
        }
    }

    async fn settle_one(&self, connection: &dyn Connection, profile: &Profile, vswitch: &str) {
        let started = Instant::now();
        let mut looks = 0u32;
        loop {
            let deleting = self.deleting(connection, profile, vswitch).await;
            looks += 1;
            if deleting.is_empty() || self.gave_up.load(Ordering::Relaxed) {
                return;
            }
            let waited = started.elapsed();
            if waited >= self.bound {
                self.gave_up.store(true, Ordering::Relaxed);
                let shown: Vec<String> = deleting
                    .iter()
                    .take(5)
                    .map(|id| crate::escape::cut(id, 80).into_owned())
                    .collect();
                let note = format!(
                    "VSwitch {} still listed {} ENI(s) as Deleting ({}{}) after {:.1?} ({looks} looks): the cases needing it to themselves went on without waiting, and may be skipped or fail on addresses those ENIs hold",
                    vswitch,
                    deleting.len(),
                    shown.join(", "),
                    if deleting.len() > shown.len() {
                        ", …"
                    } else {
                        ""
                    },
                    waited
                );
                self.notes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(note);
                return;
            }
            let pause = self.pause(vswitch, looks).min(self.bound - waited);
            connection.wait(pause).await;
        }
    }

    /// How long to wait before look number `looks + 1`.
    fn pause(&self, vswitch: &str, looks: u32) -> Duration {
        let doubling = |first: Duration, longest: Duration| {
            first.saturating_mul(1 << (looks - 1).min(16)).min(longest)
        };
        let Some(transition) = self.transition else {
            return doubling(UNKNOWN_FIRST_PAUSE, UNKNOWN_LONGEST_PAUSE);
        };
        if looks == 1 {
            let ends = self
                .deleted_at
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(vswitch)
                .map(|at| *at + transition + Duration::from_millis(10));
            if let Some(wait) = ends.and_then(|ends| ends.checked_duration_since(Instant::now()))
                && !wait.is_zero()
            {
                return wait;
            }
        }
        // Past the time the deletion should take: look often, then back off to the transition
        // time itself for an endpoint slower than its profile says.
        let short = (transition / 20).clamp(Duration::from_millis(20), Duration::from_millis(250));
        doubling(short, transition.max(short))
    }

    /// The ids of the VSwitch's ENIs listed as `Deleting`; none when it cannot be read (the
    /// case's own read-back reports a target that does not answer).
    async fn deleting(
        &self,
        connection: &dyn Connection,
        profile: &Profile,
        vswitch: &str,
    ) -> Vec<String> {
        let request = WireRequest {
            params: vec![
                ("Action".into(), "DescribeNetworkInterfaces".into()),
                ("VSwitchId".into(), vswitch.to_string()),
                ("Status".into(), "Deleting".into()),
            ],
            format: Format::Json,
            signing: profile.signing,
            ..WireRequest::default()
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        match connection.send(&request).await {
            Ok(exchange) if exchange.status == 200 => exchange
                .decoded
                .get("NetworkInterfaceSets.NetworkInterfaceSet")
                .and_then(|sets| sets.as_array())
                .map(|sets| {
                    sets.iter()
                        .map(|eni| {
                            eni.get("NetworkInterfaceId")
                                .and_then(|id| id.as_str())
                                .unwrap_or("(no id)")
                                .to_string()
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// Whether a case deletes ENIs (in any section), so that a case after it on its VSwitches may
/// have to wait for them.
pub(crate) fn deletes_enis(case: &eni_spec::Case) -> bool {
    case.setup
        .iter()
        .chain(&case.steps)
        .chain(&case.teardown)
        .any(|step| match step {
            eni_spec::Step::Send(send) => is_delete(send),
            eni_spec::Step::Concurrent { sends, .. } => sends.iter().any(is_delete),
            eni_spec::Step::Wait { .. } => false,
        })
}

fn is_delete(send: &eni_spec::Send) -> bool {
    send.action.as_deref() == Some("DeleteNetworkInterface")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::{BoxFuture, Exchange, TransportError};
    use crate::wire::decode_response;

    /// An endpoint that lists the same ENI as `Deleting` for ever.
    struct Stuck;

    impl Target for Stuck {
        fn describe(&self) -> String {
            "stuck".into()
        }
        fn is_shared(&self) -> bool {
            true
        }
        fn supports_knobs(&self) -> bool {
            false
        }
        fn connect(&self, _: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>> {
            Ok(Box::new(Stuck))
        }
    }

    impl Connection for Stuck {
        fn send<'a>(
            &'a self,
            request: &'a WireRequest,
        ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
            let body = r#"{"RequestId":"r","NetworkInterfaceSets":{"NetworkInterfaceSet":[{"NetworkInterfaceId":"eni-stuck\u001b[2J","Status":"Deleting"}]}}"#;
            let decoded = decode_response(200, Some("application/json"), body.as_bytes());
            Box::pin(async move {
                Ok(Exchange {
                    method: "GET",
                    params: request.params.clone(),
                    raw_query: None,
                    status: 200,
                    content_type: Some("application/json".into()),
                    body: body.into(),
                    decoded,
                    elapsed: Duration::ZERO,
                })
            })
        }
        fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
            Box::pin(tokio::time::sleep(duration))
        }
    }

    #[tokio::test]
    async fn an_endpoint_that_keeps_deleting_costs_one_bound_once() {
        let mut settler = Settler::new(Some(Duration::from_millis(40)));
        settler.bound = Duration::from_millis(300);
        let profile = Profile::embedded();
        settler.deleted(&["vsw-1".to_string()]);
        let started = Instant::now();
        settler
            .settle(&Stuck, &profile, &["vsw-1".to_string()])
            .await;
        let first = started.elapsed();
        assert!(first >= Duration::from_millis(300) && first < Duration::from_secs(2));
        let looks = settler.requests();
        // The first look, one when the deletion should have ended, then short looks backing
        // off to the transition time: a handful, not a busy loop.
        assert!((3..=15).contains(&looks), "{looks} looks");
        let notes = settler.notes();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("vsw-1") && notes[0].contains("still listed 1 ENI"));
        // Later cases look once and go on.
        let started = Instant::now();
        settler
            .settle(&Stuck, &profile, &["vsw-1".to_string()])
            .await;
        assert!(started.elapsed() < Duration::from_millis(100));
        assert_eq!(settler.requests(), looks + 1);
        assert_eq!(settler.notes().len(), 1);
    }

    #[test]
    fn the_first_look_after_a_deletion_waits_for_the_stated_transition() {
        let settler = Settler::new(Some(Duration::from_secs(2)));
        settler.deleted(&["vsw-1".to_string()]);
        let first = settler.pause("vsw-1", 1);
        assert!(first > Duration::from_millis(1900) && first <= Duration::from_millis(2010));
        // Past it: a twentieth of the transition, doubling up to the transition.
        assert_eq!(settler.pause("vsw-1", 2), Duration::from_millis(200));
        assert_eq!(settler.pause("vsw-1", 9), Duration::from_secs(2));
        // No deletion known on that VSwitch: short looks at once.
        assert_eq!(settler.pause("vsw-2", 1), Duration::from_millis(100));
        // No stated transition: doubling from 50 ms to 2 s, as a target of unknown timing needs.
        let unknown = Settler::new(None);
        assert_eq!(unknown.pause("vsw-1", 1), Duration::from_millis(50));
        assert_eq!(unknown.pause("vsw-1", 7), Duration::from_secs(2));
    }
}
