//! The state read after a mutating step, sent ahead behind the request: the runner uses the
//! answer that came back with the request (one exchange, the same requests counted), judges it
//! like any read, and reads again itself when it did not come back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{CaseContext, run_case};
use crate::profile::Profile;
use crate::runner::{CaseOutcome, Verdict};
use crate::targets::{
    BoxFuture, Connection, EmulatorKnobs, Exchange, RawAnswer, Target, TransportError,
};
use crate::wire::{WireRequest, decode_response};

/// How the scripted endpoint treats a read sent behind a request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ReadAhead {
    /// Answered after the request, as an HTTP/1.1 server answers pipelined requests.
    Answered,
    /// Answered with the state from before the request: a broken endpoint.
    Stale,
    /// Never came back: the caller must read again.
    Lost,
}

/// One ENI of the embedded profile's main VSwitch, its secondaries changed by Assign and
/// Unassign; every request is logged as it travelled.
struct Endpoint {
    secondaries: Mutex<Vec<String>>,
    log: Mutex<Vec<String>>,
    mode: ReadAhead,
    /// The endpoint's clock: moved only by the endpoint's waits and by `held`.
    clock: Mutex<Duration>,
    /// How long a pipelined request waits before it goes on the wire (a busy client): its
    /// answer comes 1 ms after that, the read's 1 ms later.
    held: Duration,
}

impl Endpoint {
    fn answer(&self, request: &WireRequest) -> Exchange {
        let param = |name: &str| {
            request
                .params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let mut held = self.secondaries.lock().unwrap();
        let body = match param("Action").as_deref() {
            Some("AssignPrivateIpAddresses") => {
                let address = param("PrivateIpAddress.1").unwrap_or_default();
                held.push(address.clone());
                serde_json::json!({"RequestId": "R", "AssignedPrivateIpAddressesSet": {
                    "NetworkInterfaceId": "eni-a",
                    "PrivateIpSet": {"PrivateIpAddress": [address]}}})
            }
            Some("UnassignPrivateIpAddresses") => {
                let address = param("PrivateIpAddress.1").unwrap_or_default();
                held.retain(|held| *held != address);
                serde_json::json!({"RequestId": "R"})
            }
            _ => describe(&held),
        };
        exchange(request, &body)
    }
}

fn describe(secondaries: &[String]) -> serde_json::Value {
    let mut ips = vec![serde_json::json!({"PrivateIpAddress": "192.168.0.2", "Primary": true})];
    ips.extend(
        secondaries
            .iter()
            .map(|ip| serde_json::json!({"PrivateIpAddress": ip, "Primary": false})),
    );
    serde_json::json!({"RequestId": "R", "TotalCount": 1, "NetworkInterfaceSets": {
        "NetworkInterfaceSet": [{
            "NetworkInterfaceId": "eni-a", "Status": "Available",
            "VSwitchId": "vsw-bp1main00000000000001", "PrivateIpAddress": "192.168.0.2",
            "PrivateIpSets": {"PrivateIpSet": ips}}]}})
}

fn exchange(request: &WireRequest, body: &serde_json::Value) -> Exchange {
    let text = body.to_string();
    Exchange {
        method: "GET",
        params: request.params.clone(),
        raw_query: None,
        status: 200,
        content_type: Some("application/json".into()),
        decoded: decode_response(200, Some("application/json"), text.as_bytes()),
        body: text.into(),
        elapsed: Duration::ZERO,
    }
}

fn action(request: &WireRequest) -> &str {
    request
        .params
        .iter()
        .find(|(key, _)| key == "Action")
        .map_or("", |(_, value)| {
            value.trim_end_matches("PrivateIpAddresses")
        })
}

struct Scripted(Arc<Endpoint>);

impl Target for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }

    fn is_shared(&self) -> bool {
        false
    }

    fn supports_knobs(&self) -> bool {
        false
    }

    fn connect(&self, _: &EmulatorKnobs) -> anyhow::Result<Box<dyn Connection>> {
        Ok(Box::new(Scripted(Arc::clone(&self.0))))
    }
}

impl Connection for Scripted {
    fn send<'a>(
        &'a self,
        request: &'a WireRequest,
    ) -> BoxFuture<'a, Result<Exchange, TransportError>> {
        let endpoint = &self.0;
        endpoint
            .log
            .lock()
            .unwrap()
            .push(format!("alone {}", action(request)));
        Box::pin(async move { Ok(endpoint.answer(request)) })
    }

    fn send_then_read<'a>(
        &'a self,
        request: &'a WireRequest,
        read: &'a WireRequest,
    ) -> BoxFuture<'a, (Result<Exchange, TransportError>, Option<RawAnswer>)> {
        let endpoint = &self.0;
        Box::pin(async move {
            let stale = endpoint.answer(read);
            let answer = endpoint.answer(request);
            let read_answer = match endpoint.mode {
                ReadAhead::Answered => Some(endpoint.answer(read)),
                ReadAhead::Stale => Some(stale),
                ReadAhead::Lost => None,
            };
            // Timed as the pipelined client times them: from the moment the connection took
            // the requests, not from the moment the runner handed them over.
            *endpoint.clock.lock().unwrap() += endpoint.held + Duration::from_millis(2);
            let answer = Exchange {
                elapsed: Duration::from_millis(1),
                ..answer
            };
            let read_answer = read_answer.map(|read| RawAnswer {
                status: read.status,
                content_type: read.content_type,
                body: read.body,
                elapsed: Duration::from_millis(2),
            });
            let travelled = match read_answer {
                Some(_) => format!("{} + {}", action(request), action(read)),
                None => format!("{} + lost read", action(request)),
            };
            endpoint.log.lock().unwrap().push(travelled);
            (Ok(answer), read_answer)
        })
    }

    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        let endpoint = &self.0;
        *endpoint.clock.lock().unwrap() += duration;
        endpoint
            .log
            .lock()
            .unwrap()
            .push(format!("wait {duration:?}"));
        Box::pin(async {})
    }

    fn clock(&self) -> Duration {
        *self.0.clock.lock().unwrap()
    }
}

const CASE: &str = "id: read-ahead
title: t
uses: [vswitch]
steps:
  - name: assign
    action: AssignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-a, PrivateIpAddress.1: 192.168.0.9 }
  - name: unassign
    action: UnassignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-a, PrivateIpAddress.1: 192.168.0.9 }
";

async fn run(mode: ReadAhead) -> (CaseOutcome, Vec<String>) {
    run_held(CASE, mode, Duration::ZERO, Profile::embedded()).await
}

async fn run_held(
    text: &str,
    mode: ReadAhead,
    held: Duration,
    profile: Profile,
) -> (CaseOutcome, Vec<String>) {
    let case = eni_spec::parse_case(text, "cases/read-ahead.yaml").unwrap();
    let context = CaseContext {
        profile: Arc::new(profile),
        repro_url: String::new(),
        run_token: "test".into(),
    };
    let endpoint = Arc::new(Endpoint {
        secondaries: Mutex::default(),
        log: Mutex::default(),
        mode,
        clock: Mutex::new(Duration::from_secs(100)),
        held,
    });
    let outcome = run_case(&case, &Scripted(Arc::clone(&endpoint)), &context).await;
    let log = endpoint.log.lock().unwrap().clone();
    (outcome, log)
}

fn messages(outcome: &CaseOutcome) -> Vec<&str> {
    outcome
        .failures
        .iter()
        .map(|f| f.message.as_str())
        .collect()
}

#[tokio::test]
async fn the_read_after_each_step_comes_back_with_the_step() {
    let (outcome, log) = run(ReadAhead::Answered).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", messages(&outcome));
    // The state before the first step, then each step with the read after it: the read after
    // the assign is the state before the unassign.
    assert_eq!(
        log,
        [
            "alone DescribeNetworkInterfaces",
            "Assign + DescribeNetworkInterfaces",
            "Unassign + DescribeNetworkInterfaces"
        ]
    );
    assert_eq!(outcome.requests, 5);
}

#[tokio::test]
async fn a_read_that_did_not_come_back_is_sent_again_and_counted_once() {
    let (outcome, log) = run(ReadAhead::Lost).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", messages(&outcome));
    assert_eq!(
        log,
        [
            "alone DescribeNetworkInterfaces",
            "Assign + lost read",
            "alone DescribeNetworkInterfaces",
            "Unassign + lost read",
            "alone DescribeNetworkInterfaces"
        ]
    );
    assert_eq!(outcome.requests, 5);
}

#[tokio::test]
async fn a_read_ahead_is_judged_like_any_read() {
    // An endpoint whose read behind the assign still shows the state before it: the assigned
    // address is missing from the state after, and the transition check says so.
    let (outcome, _) = run(ReadAhead::Stale).await;
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert!(
        messages(&outcome).iter().any(|m| m.contains("192.168.0.9")),
        "{:?}",
        messages(&outcome)
    );
}

#[tokio::test]
async fn a_task_started_by_a_pipelined_step_is_timed_from_its_answer() {
    // The assign waits 50 ms before it goes on the wire and is answered 1 ms later, so its
    // task (1 s, the profile's) ends 1 s after that answer: `wait: tasks`, 1 ms after it, waits
    // 999 ms. Timed from when the runner handed the request over, it would end 50 ms early
    // and the next request on the ENI would meet the task still in flight.
    const TASK_CASE: &str = "id: read-ahead-task
title: t
uses: [vswitch]
emulator: { task_duration: 5s }
steps:
  - name: assign
    action: AssignPrivateIpAddresses
    params: { NetworkInterfaceId: eni-a, PrivateIpAddress.1: 192.168.0.9 }
  - wait: tasks
";
    let mut profile = Profile::embedded();
    profile.timing.task = Some(Duration::from_secs(1));
    let held = Duration::from_millis(50);
    let (outcome, log) = run_held(TASK_CASE, ReadAhead::Answered, held, profile).await;
    assert_eq!(outcome.verdict, Verdict::Pass, "{:?}", messages(&outcome));
    assert_eq!(
        log,
        [
            "alone DescribeNetworkInterfaces",
            "Assign + DescribeNetworkInterfaces",
            "wait 999ms"
        ]
    );
}
