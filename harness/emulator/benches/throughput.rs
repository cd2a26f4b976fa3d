//! Throughput and memory figures of the emulator: signed requests per second in process and
//! over loopback, and resident memory across a million requests whose ENIs are deleted again.
//!
//! A plain `main` (no bench framework); every loop is bounded in count and in time.

#[path = "../tests/common/mod.rs"]
#[expect(
    dead_code,
    reason = "the helpers of the API tests; a bench uses only some"
)]
mod common;
mod load;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use common::*;
use eni_emulator::{Config, Journal, World, spawn};
use tower::ServiceExt;

const TIME_BUDGET: Duration = Duration::from_secs(30);

/// `cargo bench -p eni-emulator [-- memory in-process served]`: the parts named, or all.
fn main() {
    let parts = ["memory", "in-process", "served"];
    let asked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| parts.contains(&a.as_str()))
        .collect();
    let wants = |part: &str| asked.is_empty() || asked.iter().any(|a| a == part);
    // Memory first, so that its baseline is not the high-water mark of the other two.
    if wants("memory") {
        memory();
    }
    if wants("in-process") {
        in_process("", None);
        // The journal's cost: each entry serialized to a JSON line, as `serve --journal`
        // does, minus the file write.
        let bytes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let sink = std::sync::Arc::clone(&bytes);
        let journal = Journal::new(move |entry| {
            let line = serde_json::to_string(entry).unwrap();
            sink.fetch_add(line.len() + 1, std::sync::atomic::Ordering::Relaxed);
        });
        in_process(" with a journal", Some(journal));
        println!(
            "  (journal: {} bytes of JSON lines)",
            bytes.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    if wants("served") {
        served();
    }
}

/// Signed Assign/Unassign pairs through `oneshot` on a single-threaded runtime. Requests are
/// signed ahead of time in batches so that the figure is the emulator's, not the signer's.
fn in_process(label: &str, journal: Option<Journal>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = Client::with(|c| c.journal = journal);
        let total = 300_000;
        let batch = 20_000;
        let mut done = 0;
        let mut busy = Duration::ZERO;
        let started = Instant::now();
        while done < total && started.elapsed() < TIME_BUDGET {
            let uris: Vec<String> = (0..batch)
                .map(|i| {
                    let (action, list) = if i % 2 == 0 {
                        ("AssignPrivateIpAddresses", "PrivateIpAddress.1")
                    } else {
                        ("UnassignPrivateIpAddresses", "PrivateIpAddress.1")
                    };
                    let all = c.signed(action, &[("NetworkInterfaceId", RUNNING_ENI), (list, "192.168.0.1")]);
                    format!("/?{}", query_string(&all))
                })
                .collect();
            let t = Instant::now();
            for uri in uris {
                let response = c.router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
                assert_eq!(response.status(), 200);
                let _ = http_body_util::BodyExt::collect(response.into_body()).await.unwrap();
            }
            busy += t.elapsed();
            done += batch;
        }
        println!(
            "in-process (oneshot, 1 thread){label}: {done} signed Assign/Unassign requests in {:.2} s = {:.0} req/s",
            busy.as_secs_f64(),
            done as f64 / busy.as_secs_f64()
        );
    });
}

/// Signed requests over loopback, HTTP/1.1 keep-alive, a few concurrent connections; server
/// and clients share the machine's cores.
fn served() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = spawn(Config::new(World::builtin())).await.unwrap();
        let addr = server.addr();
        let connections = 4;
        let per_connection = 15_000;
        let signer = Client::builtin();
        let heads: Vec<Vec<String>> = (0..connections)
            .map(|_| {
                (0..per_connection)
                    .map(|_| {
                        let all = signer.signed("DescribeNetworkInterfaceAttribute", &[("NetworkInterfaceId", RUNNING_ENI)]);
                        format!("GET /?{} HTTP/1.1\r\nHost: localhost\r\n\r\n", query_string(&all))
                    })
                    .collect()
            })
            .collect();
        let started = Instant::now();
        let total =
            load::send_heads(addr, heads, started, |_, elapsed| elapsed > TIME_BUDGET).await;
        let elapsed = started.elapsed();
        println!(
            "served (127.0.0.1, keep-alive, {connections} connections, 2 worker threads): {total} signed requests in {:.2} s = {:.0} req/s",
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64()
        );
        server.stop().await.unwrap();
    });
}

/// Resident set size in KiB, from /proc/self/statm (Linux only; 0 elsewhere).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// A million signed requests: create (with a ClientToken), assign (with a ClientToken),
/// delete, over and over; every ENI is deleted again, so memory must stay flat once the
/// bounded nonce store is full.
fn memory() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = Client::with(|c| c.timings.delete = Duration::ZERO);
        let total: u64 = 1_000_000;
        let started = Instant::now();
        let mut done: u64 = 0;
        let mut cycle: u64 = 0;
        let start_rss = rss_kib();
        let mut rss_at_200k = 0;
        while done < total && started.elapsed() < TIME_BUDGET * 4 {
            cycle += 1;
            let token = format!("create-{cycle}");
            let v = c
                .call(
                    "CreateNetworkInterface",
                    &[("VSwitchId", MAIN_VSW), ("SecurityGroupId", SG), ("ClientToken", &token)],
                )
                .await
                .assert_ok();
            let id = v["NetworkInterfaceId"].as_str().unwrap().to_owned();
            let token = format!("assign-{cycle}");
            c.call(
                "AssignPrivateIpAddresses",
                &[("NetworkInterfaceId", &id), ("SecondaryPrivateIpAddressCount", "2"), ("ClientToken", &token)],
            )
            .await
            .assert_ok();
            c.call("DeleteNetworkInterface", &[("NetworkInterfaceId", &id)]).await.assert_ok();
            done += 3;
            if rss_at_200k == 0 && done >= 200_000 {
                rss_at_200k = rss_kib();
            }
        }
        // One more request settles the last deletion.
        c.call("DescribeNetworkInterfaces", &[]).await.assert_ok();
        let end_rss = rss_kib();
        println!(
            "memory: {done} requests in {:.1} s; RSS {start_rss} KiB at start, {rss_at_200k} KiB after 200k (nonce store full), {end_rss} KiB after all; ENIs left {}, idempotency records left {}",
            started.elapsed().as_secs_f64(),
            c.emulator.network_interfaces().len(),
            c.emulator.idempotency_records()
        );
        c.emulator.check_invariants().unwrap();
    });
}
