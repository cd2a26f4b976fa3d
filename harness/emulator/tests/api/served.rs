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

/// A request as sent: method, path and query, headers, body.
type Sent = (&'static str, String, Vec<(&'static str, String)>, String);

/// The served emulator answers every request exactly as its router does in process: status,
/// headers in their order (the server's `date` aside) and body, for the API's requests (which
/// the server answers without the router) and for the others alike.
#[tokio::test]
async fn served_answers_are_the_routers() {
    let served = Emulator::new(Config::new(World::builtin()));
    let server = spawn_emulator(served.clone(), ServeLimits::default())
        .await
        .unwrap();
    let router = eni_emulator::app(Emulator::new(Config::new(World::builtin())));
    let signer = Client::builtin();
    let mut poster = Client::builtin();
    poster.carry = Carry::PostBody;
    let read = query_string(&signer.signed(
        "DescribeNetworkInterfaceAttribute",
        &[("NetworkInterfaceId", RUNNING_ENI)],
    ));
    let xml = query_string(&signer.signed("DescribeNetworkInterfaces", &[("Format", "XML")]));
    let form = query_string(&poster.signed("DescribeRegions", &[]));
    let requests: Vec<Sent> = vec![
        ("GET", format!("/?{read}"), vec![], String::new()),
        ("GET", format!("/?{read}"), vec![], String::new()),
        ("GET", format!("/?{xml}"), vec![], String::new()),
        ("GET", "/".into(), vec![], String::new()),
        (
            "GET",
            "/?Action=Nope&Format=JSON".into(),
            vec![],
            String::new(),
        ),
        (
            "POST",
            "/".into(),
            vec![
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("content-length", form.len().to_string()),
            ],
            form.clone(),
        ),
        ("HEAD", format!("/?{read}"), vec![], String::new()),
        (
            "PUT",
            "/".into(),
            vec![("content-length", "0".into())],
            String::new(),
        ),
        ("GET", "/other".into(), vec![], String::new()),
    ];
    let mut http = RawHttp::connect(server.addr()).await;
    for (method, target, headers, body) in requests {
        let mut head = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n");
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let (status, mut got, got_body) = if method == "HEAD" {
            // No body follows a HEAD's answer: read it on a connection of its own, to its end.
            let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let head = head.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut all = String::new();
            stream.read_to_string(&mut all).await.unwrap();
            let mut lines = all.lines();
            let status = lines
                .next()
                .unwrap()
                .split(' ')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            let headers = lines
                .take_while(|l| !l.is_empty())
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .filter(|(k, _)| k != "connection")
                .collect();
            (status, headers, Vec::new())
        } else {
            http.request(&head, body.as_bytes()).await
        };
        got.retain(|(name, _)| name != "date");

        let mut request = axum::http::Request::builder().method(method).uri(&target);
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let request = request.body(axum::body::Body::from(body)).unwrap();
        let response = tower::ServiceExt::oneshot(router.clone(), request)
            .await
            .unwrap();
        let mut expected: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let expected_status = response.status().as_u16();
        let expected_body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        // hyper writes the length of an answer that does not carry one.
        if !expected.iter().any(|(name, _)| name == "content-length") {
            expected.push(("content-length".into(), expected_body.len().to_string()));
        }
        assert_eq!(
            (status, got, String::from_utf8_lossy(&got_body)),
            (
                expected_status,
                expected,
                String::from_utf8_lossy(&expected_body)
            ),
            "{method} {target}"
        );
    }
    drop(http);
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .unwrap()
        .unwrap();
}
