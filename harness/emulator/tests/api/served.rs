//! The emulator served on 127.0.0.1:0 and driven by a raw HTTP/1.1 client over one
//! keep-alive connection.

use std::time::Duration;

use crate::common::*;
use eni_emulator::{Config, Emulator, ServeLimits, World, spawn_emulator};

#[tokio::test]
async fn served_over_loopback_with_keep_alive() {
    let mut config = Config::new(World::builtin());
    config.limits.max_body_bytes = 4096;
    let emulator = Emulator::new(config);
    let server = spawn_emulator(emulator.clone(), ServeLimits::default())
        .await
        .unwrap();
    let addr = server.addr();

    // The client signs with the system clock, as the served emulator uses it.
    let signer = Client::builtin();
    let mut http = RawHttp::connect(addr).await;
    for i in 0..3 {
        let all = signer.signed(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", "1"),
                ("Format", "XML"),
            ],
        );
        let head = format!(
            "GET /?{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
            query_string(&all)
        );
        let (status, headers, body) = http.request(&head, b"").await;
        let body = String::from_utf8(body).unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(headers.contains(&("content-type".into(), "text/xml;charset=utf-8".into())));
        assert!(
            body.contains(&format!(
                "<PrivateIpAddress>192.168.0.{}</PrivateIpAddress>",
                i + 1
            )),
            "{body}"
        );
    }
    // A POST on the same connection.
    let all = signer.signed("DescribeNetworkInterfaces", &[]);
    let form = query_string(&all);
    let mut http_post = Client::builtin();
    http_post.carry = Carry::PostBody;
    let all = http_post.signed("DescribeNetworkInterfaces", &[]);
    let form_post = query_string(&all);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        form_post.len()
    );
    let (status, _, body) = http.request(&head, form_post.as_bytes()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["TotalCount"], 3);
    assert!(!form.is_empty());
    // An oversize chunked body (no Content-Length) is refused, and answered as an API error.
    let chunk = "a".repeat(3000);
    let chunked = format!(
        "{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len(),
        chunk.len()
    );
    let head = "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n";
    let mut other = RawHttp::connect(addr).await;
    let (status, _, body) = other.request(head, chunked.as_bytes()).await;
    assert_eq!(status, 413);
    assert!(String::from_utf8_lossy(&body).contains("RequestEntityTooLarge"));

    emulator.check_invariants().unwrap();
    drop(http);
    drop(other);
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .unwrap()
        .unwrap();
}
