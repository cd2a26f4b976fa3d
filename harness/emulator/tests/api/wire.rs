//! The wire and the common errors: their order, formats, GET/POST, limits, hostile input.

use axum::body::Body;
use axum::http::Request;

use crate::common::*;

const D: &str = "DescribeNetworkInterfaces";

#[tokio::test]
async fn common_errors_in_order() {
    let c = Client::builtin();
    c.call(D, &[("Action", OMIT)])
        .await
        .assert_error(400, "MissingParameter")
        .assert_message("The input parameter “Action” that is mandatory for processing this request is not supplied.");
    // Unknown action beats a missing version.
    c.call("DescribeRegionz", &[("Version", OMIT)])
        .await
        .assert_error(404, "InvalidAction.NotFound");
    // Action names are case-sensitive.
    c.call("describenetworkinterfaces", &[])
        .await
        .assert_error(404, "InvalidAction.NotFound");
    // Version before the signature.
    c.call(D, &[("Version", OMIT), ("Signature", "bad")])
        .await
        .assert_error(400, "MissingParameter");
    c.call(D, &[("Version", "2016-01-01"), ("Signature", "bad")])
        .await
        .assert_error(400, "InvalidParameter")
        .assert_message("the parameter(s) “Version” provided is(are) invalid.");
    // Format before the signature; answered in XML, the default.
    let r = c.call(D, &[("Format", "YAML"), ("Signature", "bad")]).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("<Code>InValidParameter</Code>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("“Format”"), "{}", r.body);
    // Signature before RegionId.
    c.call(D, &[("RegionId", OMIT), ("Signature", "bad")])
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    c.call(D, &[("RegionId", OMIT)])
        .await
        .assert_error(400, "MissingParameter");
    c.call(D, &[("RegionId", "cn-beijing")])
        .await
        .assert_error(404, "InvalidRegionId.NotFound")
        .assert_message("The specified RegionId “cn-beijing” is not found.");
    // RegionId before the action's own rules.
    c.call("AssignPrivateIpAddresses", &[("RegionId", OMIT)]).await.assert_error(400, "MissingParameter").assert_message(
        "The input parameter “RegionId” that is mandatory for processing this request is not supplied.",
    );
}

#[tokio::test]
async fn error_bodies_in_json_and_xml() {
    let c = Client::builtin();
    let r = c
        .call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", "eni-x"),
                ("SecondaryPrivateIpAddressCount", "1"),
            ],
        )
        .await;
    assert_eq!(r.content_type, "application/json;charset=utf-8");
    let v = r.json();
    let id = v["RequestId"].as_str().unwrap();
    assert_eq!(v["HostId"], "ecs.aliyuncs.com");
    assert_eq!(v["Code"], "InvalidEniId.NotFound");
    assert_eq!(
        v["Recommend"],
        format!(
            "https://api.aliyun.com/troubleshoot?q=InvalidEniId.NotFound&product=Ecs&requestId={id}"
        )
    );
    for format in ["XML", "xml", "Xml", OMIT] {
        let r = c
            .call(
                "AssignPrivateIpAddresses",
                &[
                    ("Format", format),
                    ("NetworkInterfaceId", "eni-x"),
                    ("SecondaryPrivateIpAddressCount", "1"),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (404, "text/xml;charset=utf-8")
        );
        assert!(
            r.body
                .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><RequestId>"),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("<HostId>ecs.aliyuncs.com</HostId><Code>InvalidEniId.NotFound</Code>"),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("&amp;product=Ecs&amp;requestId="),
            "{}",
            r.body
        );
        assert!(r.body.ends_with("</Recommend></Error>"), "{}", r.body);
    }
    let r = c.call(D, &[("Format", "jSoN")]).await;
    assert_eq!(r.content_type, "application/json;charset=utf-8");
}

#[tokio::test]
async fn success_bodies_in_xml() {
    let c = Client::builtin();
    let r = c
        .call(
            "AssignPrivateIpAddresses",
            &[
                ("Format", "XML"),
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", "2"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "text/xml;charset=utf-8")
    );
    assert!(r.body.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><AssignPrivateIpAddressesResponse><RequestId>"
    ));
    assert!(r.body.contains(&format!(
        "<AssignedPrivateIpAddressesSet><NetworkInterfaceId>{RUNNING_ENI}</NetworkInterfaceId><PrivateIpSet>\
         <PrivateIpAddress>192.168.0.1</PrivateIpAddress><PrivateIpAddress>192.168.0.2</PrivateIpAddress>\
         </PrivateIpSet></AssignedPrivateIpAddressesSet></AssignPrivateIpAddressesResponse>"
    )));
    let r = c
        .call(
            D,
            &[("Format", "XML"), ("NetworkInterfaceId.1", RUNNING_ENI)],
        )
        .await;
    assert!(r.body.contains(
        "<PrivateIpSets><PrivateIpSet><PrivateIpAddress>192.168.0.200</PrivateIpAddress><Primary>true</Primary></PrivateIpSet>\
         <PrivateIpSet><PrivateIpAddress>192.168.0.1</PrivateIpAddress><Primary>false</Primary></PrivateIpSet>"
    ), "{}", r.body);
    assert!(r.body.contains("<TotalCount>1</TotalCount>"));
}

#[tokio::test]
async fn get_post_and_both_are_the_same() {
    for carry in [Carry::Get, Carry::PostBody, Carry::PostBoth] {
        let mut c = Client::builtin();
        c.carry = carry;
        let v = c
            .call(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", RUNNING_ENI),
                    ("SecondaryPrivateIpAddressCount", "1"),
                ],
            )
            .await
            .assert_ok();
        assert_eq!(Client::assigned(&v), ["192.168.0.1"], "{carry:?}");
    }
}

#[tokio::test]
async fn plus_and_percent20_are_spaces_and_keys_keep_their_spelling() {
    let c = Client::builtin();
    let mut all = c.signed(
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress. 1", "192.168.0.10"),
        ],
    );
    let query: String = all
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k).replace("%20", "+"), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let r = c
        .send(
            Request::get(format!("/?{query}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    r.assert_error(400, "InValidParameter")
        .assert_message("the parameter(s) “PrivateIpAddress. 1” provided is(are) invalid.");
    all.retain(|(k, _)| k != "Signature");
    assert!(all.iter().any(|(k, _)| k == "PrivateIpAddress. 1"));
}

#[tokio::test]
async fn oversize_query_and_body_are_refused() {
    let c = Client::with(|c| {
        c.limits = eni_emulator::WireLimits {
            max_query_bytes: 1024,
            max_body_bytes: 2048,
        }
    });
    let big = "x".repeat(1100);
    let r = c
        .send(
            Request::get(format!("/?Action=Describe&Pad={big}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 413);
    assert!(
        r.body.contains("<Code>RequestEntityTooLarge</Code>"),
        "{}",
        r.body
    );
    let body = format!("Pad={}", "y".repeat(3000));
    let r = c
        .send(
            Request::post("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 413);
    // Just under the limits is fine (and then fails on its own merits).
    let r = c
        .send(
            Request::get(format!("/?Pad={}", "x".repeat(1000)))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn non_utf8_after_decoding_names_the_key() {
    let c = Client::builtin();
    let r = c
        .send(
            Request::get("/?Action=DescribeNetworkInterfaces&NetworkInterfaceName=%FF%FE")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("<Code>InValidParameter</Code>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("“NetworkInterfaceName”"), "{}", r.body);
    let r = c
        .send(
            Request::post("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(
                    &b"Action=DescribeNetworkInterfaces&Description=\xC3\x28"[..],
                ))
                .unwrap(),
        )
        .await;
    assert!(r.body.contains("“Description”"), "{}", r.body);
}

#[tokio::test]
async fn hostile_values_are_escaped_never_500() {
    let c = Client::builtin();
    for value in ["<x>&\"'", "\u{1}\u{7f}", "é😀", &"z".repeat(5000)] {
        for fmt in ["XML", "JSON"] {
            let r = c
                .call(
                    "AssignPrivateIpAddresses",
                    &[
                        ("Format", fmt),
                        ("NetworkInterfaceId", value),
                        ("PrivateIpAddress.1", "10.0.0.1"),
                    ],
                )
                .await;
            assert_eq!(r.status, 404, "{}", r.body);
            if fmt == "JSON" {
                assert!(r.json()["Message"].as_str().unwrap().contains(value));
            } else {
                let mut reader = quick_xml::Reader::from_str(&r.body);
                loop {
                    match reader.read_event() {
                        Ok(quick_xml::events::Event::Eof) => break,
                        Ok(_) => {}
                        Err(e) => panic!("{e}: {}", r.body),
                    }
                }
            }
        }
    }
    // Unknown paths and methods are plain HTTP errors, not 5xx.
    let r = c
        .send(Request::get("/other").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, 404);
    let r = c.send(Request::put("/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn request_ids_are_deterministic_from_the_seed() {
    let ids = |seed| async move {
        let c = Client::with(|c| c.seed = seed);
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(
                c.call(D, &[]).await.assert_ok()["RequestId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        out
    };
    assert_eq!(ids(1).await, ids(1).await);
    assert_ne!(ids(1).await, ids(2).await);
}
