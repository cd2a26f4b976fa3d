//! Injected faults: on the Nth request, by seeded rate, filtered by action; they change nothing.

use std::time::Duration;

use crate::common::*;
use eni_emulator::{Fault, FaultRule, FaultWhen};

const A: &str = "AssignPrivateIpAddresses";
const D: &str = "DescribeNetworkInterfaces";

fn rule(action: Option<&str>, when: FaultWhen, fault: Fault) -> FaultRule {
    FaultRule {
        action: action.map(str::to_owned),
        when,
        fault,
    }
}

#[tokio::test]
async fn nth_request_of_an_action() {
    let c = Client::with(|c| c.faults = vec![rule(Some(A), FaultWhen::Nth(2), Fault::Throttling)]);
    let assign = [
        ("NetworkInterfaceId", RUNNING_ENI),
        ("SecondaryPrivateIpAddressCount", "1"),
    ];
    c.call(D, &[]).await.assert_ok();
    c.call(A, &assign).await.assert_ok();
    c.call(D, &[]).await.assert_ok();
    let before = c.emulator.network_interfaces();
    c.call(A, &assign)
        .await
        .assert_error(400, "Throttling")
        .assert_message("Request was denied due to request throttling.");
    assert_eq!(
        c.emulator.network_interfaces(),
        before,
        "a fault changes nothing"
    );
    c.call(A, &assign).await.assert_ok();
    assert_eq!(c.secondaries(RUNNING_ENI).await.len(), 2);
}

#[tokio::test]
async fn conflict_and_unavailable_faults() {
    let c = Client::with(|c| {
        c.faults = vec![
            rule(None, FaultWhen::Nth(1), Fault::Conflict),
            rule(None, FaultWhen::Nth(2), Fault::ServiceUnavailable),
        ]
    });
    c.call(D, &[])
        .await
        .assert_error(403, "Operation.Conflict")
        .assert_message("ecs task is conflicted.");
    c.call(D, &[]).await.assert_error(503, "ServiceUnavailable");
    c.call(D, &[]).await.assert_ok();
}

#[tokio::test]
async fn a_faulted_request_does_not_burn_its_nonce() {
    let c = Client::with(|c| c.faults = vec![rule(None, FaultWhen::Nth(1), Fault::Throttling)]);
    let all = c.signed(D, &[]);
    c.send_pairs(&all).await.assert_error(400, "Throttling");
    c.send_pairs(&all).await.assert_ok();
}

#[tokio::test]
async fn a_request_refused_for_its_region_does_not_burn_its_nonce() {
    let c = Client::builtin();
    c.send_pairs(&c.signed(D, &[("RegionId", "cn-x"), ("SignatureNonce", "region-1")]))
        .await
        .assert_error(404, "InvalidRegionId.NotFound");
    let fixed = c.signed(D, &[("SignatureNonce", "region-1")]);
    c.send_pairs(&fixed).await.assert_ok();
    c.send_pairs(&fixed)
        .await
        .assert_error(400, "SignatureNonceUsed");
}

#[tokio::test]
async fn rejected_requests_do_not_count() {
    let c = Client::with(|c| c.faults = vec![rule(None, FaultWhen::Nth(1), Fault::Throttling)]);
    c.call(D, &[("Signature", "bad")])
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    c.call(D, &[("RegionId", "cn-x")])
        .await
        .assert_error(404, "InvalidRegionId.NotFound");
    c.call(D, &[]).await.assert_error(400, "Throttling");
}

#[tokio::test]
async fn seeded_rate_is_reproducible() {
    let pattern = |seed: u64| async move {
        let c = Client::with(|c| {
            c.seed = seed;
            c.faults = vec![rule(Some(D), FaultWhen::Rate(0.3), Fault::Throttling)];
        });
        let mut hits = Vec::new();
        for _ in 0..200 {
            hits.push(c.call(D, &[]).await.status == 400);
        }
        hits
    };
    let a = pattern(7).await;
    assert_eq!(a, pattern(7).await);
    assert_ne!(a, pattern(8).await);
    let rate = a.iter().filter(|h| **h).count();
    assert!((30..=90).contains(&rate), "{rate} of 200");
    let never =
        Client::with(|c| c.faults = vec![rule(None, FaultWhen::Rate(0.0), Fault::Throttling)]);
    let always =
        Client::with(|c| c.faults = vec![rule(None, FaultWhen::Rate(1.0), Fault::Throttling)]);
    for _ in 0..20 {
        never.call(D, &[]).await.assert_ok();
        always.call(D, &[]).await.assert_error(400, "Throttling");
    }
}

#[tokio::test(start_paused = true)]
async fn latency_delays_then_proceeds() {
    let c = Client::with(|c| {
        c.faults = vec![rule(
            Some(A),
            FaultWhen::Nth(1),
            Fault::Latency(Duration::from_secs(30)),
        )]
    });
    let started = tokio::time::Instant::now();
    let v = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", "1"),
            ],
        )
        .await
        .assert_ok();
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert_eq!(Client::assigned(&v), ["192.168.0.1"]);
}
