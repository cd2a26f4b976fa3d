//! The load both benches put on a served server: keep-alive connections sending their prepared
//! request heads all at once, counted.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::RawHttp;

/// Sends each connection's heads one after the other over one keep-alive connection to `addr`,
/// all connections at once; every answer must be 200. A connection stops early once
/// `stop(sent, started.elapsed())` holds, since every bench loop is bounded in time as well as
/// in count. Returns how many requests were sent.
pub(crate) async fn send_heads(
    addr: SocketAddr,
    heads: Vec<Vec<String>>,
    started: Instant,
    stop: fn(u64, Duration) -> bool,
) -> u64 {
    let tasks: Vec<_> = heads
        .into_iter()
        .map(|heads| {
            tokio::spawn(async move {
                let mut http = RawHttp::connect(addr).await;
                let mut sent = 0u64;
                for head in heads {
                    let (status, _, body) = http.request(&head, b"").await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                    sent += 1;
                    if stop(sent, started.elapsed()) {
                        break;
                    }
                }
                sent
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}
