//! Authentication: v1 signatures, V3 signatures, nonce replay, the timestamp window.

use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::http::Request;

use crate::common::*;
use eni_emulator::SigningMode;

const D: &str = "DescribeNetworkInterfaces";

#[tokio::test]
async fn v1_contract_vector_is_accepted_at_its_time() {
    // The contract's vector, replayed against a clock set to its timestamp. The signature is
    // checked through an ENI action (which needs a `RegionId` the vector lacks) whose expected
    // signature the test computes with the same independent signer; the vector pins that
    // signer first.
    let vector: Vec<(String, String)> = [
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(
        sign_v1("GET", &vector, "testsecret"),
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    );
    let c = Client::with(|c| {
        c.clock = eni_emulator::Clock::Manual(eni_emulator::ManualClock::starting_at(
            UNIX_EPOCH + Duration::from_secs(1_456_231_584),
        ))
    });
    let mut params = vector.clone();
    params.iter_mut().for_each(|(k, v)| {
        if k == "Action" {
            *v = D.into();
        }
    });
    params.push(("RegionId".into(), REGION.into()));
    let sig = sign_v1("GET", &params, "testsecret");
    params.push(("Signature".into(), sig));
    let r = c.send_pairs(&params).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn v1_missing_and_wrong_parts() {
    let c = Client::builtin();
    for name in [
        "AccessKeyId",
        "Signature",
        "Timestamp",
        "SignatureNonce",
        "SignatureMethod",
        "SignatureVersion",
    ] {
        c.call(D, &[(name, OMIT)])
            .await
            .assert_error(400, "MissingParameter")
            .assert_message(&format!("The input parameter “{name}” that is mandatory for processing this request is not supplied."));
    }
    c.call(D, &[("SignatureMethod", "HMAC-SHA256")])
        .await
        .assert_error(400, "InValidParameter");
    c.call(D, &[("SignatureVersion", "2.0")])
        .await
        .assert_error(400, "InValidParameter");
    c.call(D, &[("AccessKeyId", "nobody")])
        .await
        .assert_error(404, "InvalidAccessKeyId.NotFound");
    // Unknown AK before a malformed timestamp; malformed timestamp before a bad signature.
    c.call(D, &[("AccessKeyId", "nobody"), ("Timestamp", "yesterday")])
        .await
        .assert_error(404, "InvalidAccessKeyId.NotFound");
    c.call(
        D,
        &[("Timestamp", "2016-02-23 12:46:24"), ("Signature", "x")],
    )
    .await
    .assert_error(400, "InvalidTimeStamp.Format");
    let r = c.call(D, &[("Signature", "AAAA")]).await;
    r.assert_error(400, "SignatureDoesNotMatch");
    let msg = r.message();
    let prefix = "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeNetworkInterfaces";
    assert!(msg.starts_with(prefix), "{msg}");
    // A different secret.
    let mut other = Client::builtin();
    other.secret = "wrong".into();
    other
        .call(D, &[])
        .await
        .assert_error(400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn v1_signs_an_empty_signature_type() {
    let c = Client::builtin();
    c.call(D, &[("SignatureType", "")]).await.assert_ok();
}

#[tokio::test]
async fn v1_over_post_signs_with_post() {
    let mut c = Client::builtin();
    c.carry = Carry::PostBoth;
    c.call(D, &[]).await.assert_ok();
    // A POST signed as GET is refused.
    let all = {
        let mut get = Client::builtin();
        get.carry = Carry::Get;
        get.signed(D, &[])
    };
    c.send_pairs(&all)
        .await
        .assert_error(400, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn nonce_reuse_is_refused_and_a_failed_signature_does_not_burn_it() {
    let c = Client::builtin();
    let all = c.signed(D, &[]);
    c.send_pairs(&all).await.assert_ok();
    c.send_pairs(&all)
        .await
        .assert_error(400, "SignatureNonceUsed");
    // The same nonce with another AK secret mismatch: the signature answers first.
    let mut tampered = all.clone();
    tampered.iter_mut().for_each(|(k, v)| {
        if k == "Signature" {
            *v = "AAAA".into();
        }
    });
    c.send_pairs(&tampered)
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    // A nonce first sent with a bad signature is still fresh.
    let fresh = c.signed(D, &[("SignatureNonce", "fresh-1")]);
    let mut bad = fresh.clone();
    bad.iter_mut().for_each(|(k, v)| {
        if k == "Signature" {
            *v = "AAAA".into();
        }
    });
    c.send_pairs(&bad)
        .await
        .assert_error(400, "SignatureDoesNotMatch");
    c.send_pairs(&fresh).await.assert_ok();
    // Fifteen minutes later the old nonce is forgotten (the timestamp must be fresh too).
    c.clock.advance(Duration::from_secs(15 * 60 + 1));
    c.call(D, &[("SignatureNonce", "fresh-1")])
        .await
        .assert_ok();
    // Nonce reuse beats a missing RegionId.
    c.call(D, &[("SignatureNonce", "fresh-1"), ("RegionId", OMIT)])
        .await
        .assert_error(400, "SignatureNonceUsed");
}

#[tokio::test]
async fn timestamp_window_on_the_configured_clock() {
    let c = Client::builtin();
    let now = c.clock.now();
    let ok_early = timestamp(now - Duration::from_secs(14 * 60));
    let ok_late = timestamp(now + Duration::from_secs(14 * 60));
    let old = timestamp(now - Duration::from_secs(16 * 60));
    let future = timestamp(now + Duration::from_secs(16 * 60));
    c.call(D, &[("Timestamp", &ok_early)]).await.assert_ok();
    c.call(D, &[("Timestamp", &ok_late)]).await.assert_ok();
    c.call(D, &[("Timestamp", &old)])
        .await
        .assert_error(400, "InvalidTimeStamp.Expired");
    c.call(D, &[("Timestamp", &future)])
        .await
        .assert_error(400, "InvalidTimeStamp.Expired");
    // Moving the clock moves the window.
    c.clock.advance(Duration::from_secs(16 * 60));
    c.call(D, &[("Timestamp", &future)]).await.assert_ok();
}

#[tokio::test]
async fn relaxed_mode_skips_authentication_only() {
    let c = Client::with(|c| c.signing = SigningMode::Relaxed);
    let r = c.send(Request::get("/?Action=DescribeNetworkInterfaces&Version=2014-05-26&RegionId=cn-hangzhou&Format=JSON").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    c.call(D, &[("Signature", "garbage"), ("AccessKeyId", "nobody")])
        .await
        .assert_ok();
    c.call(D, &[("RegionId", OMIT)])
        .await
        .assert_error(400, "MissingParameter");
    c.call(
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "x"),
        ],
    )
    .await
    .assert_error(400, "InValidParameter");
}

fn v3_request(
    c: &Client,
    action: &str,
    query: &[(&str, &str)],
    body: &str,
    extra_signed: &[(&str, &str)],
    nonce: &str,
) -> Request<Body> {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    let date = timestamp(c.clock.now());
    let body_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
    let mut headers: Vec<(&str, &str)> = vec![
        ("x-acs-action", action),
        ("x-acs-version", "2014-05-26"),
        ("x-acs-date", &date),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-content-sha256", &body_hash),
        ("host", "ecs.aliyuncs.com"),
    ];
    headers.extend_from_slice(extra_signed);
    let authorization = sign_v3(
        "POST",
        &query,
        &headers,
        body.as_bytes(),
        "testid",
        "testsecret",
    );
    let mut builder = Request::post(format!("/?{}", query_string(&query)))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", authorization)
        .header("x-unsigned", "whatever");
    for (k, v) in &headers {
        builder = builder.header(*k, *v);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn v3_signed_requests() {
    let c = Client::builtin();
    let r = c
        .send(v3_request(
            &c,
            "AssignPrivateIpAddresses",
            &[("RegionId", REGION), ("NetworkInterfaceId", RUNNING_ENI)],
            "SecondaryPrivateIpAddressCount=2",
            &[],
            "v3-1",
        ))
        .await;
    // V3 answers JSON unless Format says otherwise.
    assert_eq!(r.content_type, "application/json;charset=utf-8");
    assert_eq!(
        Client::assigned(&r.assert_ok()),
        ["192.168.0.1", "192.168.0.2"]
    );
    // Replay of the nonce.
    let r = c
        .send(v3_request(&c, D, &[("RegionId", REGION)], "", &[], "v3-1"))
        .await;
    r.assert_error(400, "SignatureNonceUsed");
    // Verification covers exactly the headers SignedHeaders names, whatever they are.
    let r = c
        .send(v3_request(
            &c,
            D,
            &[("RegionId", REGION), ("A b", "x*y")],
            "",
            &[("x-acs-custom", " padded ")],
            "v3-2",
        ))
        .await;
    r.assert_ok();
}

#[tokio::test]
async fn v3_tampering_is_detected() {
    let c = Client::builtin();
    // A signed header changed after signing.
    let mut req = v3_request(&c, D, &[("RegionId", REGION)], "", &[], "t-1");
    req.headers_mut()
        .insert("host", "evil.example".parse().unwrap());
    let r = c.send(req).await;
    r.assert_error(400, "SignatureDoesNotMatch");
    assert!(
        r.message()
            .contains("server string to sign is:ACS3-HMAC-SHA256\n"),
        "{}",
        r.message()
    );
    // The body changed after signing.
    let req = v3_request(
        &c,
        "AssignPrivateIpAddresses",
        &[("RegionId", REGION), ("NetworkInterfaceId", RUNNING_ENI)],
        "SecondaryPrivateIpAddressCount=1",
        &[],
        "t-2",
    );
    let (parts, _) = req.into_parts();
    let req = Request::from_parts(parts, Body::from("SecondaryPrivateIpAddressCount=5"));
    c.send(req).await.assert_error(400, "SignatureDoesNotMatch");
    // An unsigned header may change freely.
    let mut req = v3_request(&c, D, &[("RegionId", REGION)], "", &[], "t-3");
    req.headers_mut()
        .insert("x-unsigned", "changed".parse().unwrap());
    c.send(req).await.assert_ok();
    // Malformed Authorization, unknown AK, missing date.
    let mut req = v3_request(&c, D, &[("RegionId", REGION)], "", &[], "t-4");
    req.headers_mut().insert(
        "authorization",
        "ACS3-HMAC-SHA256 Credential=testid".parse().unwrap(),
    );
    c.send(req).await.assert_error(400, "IncompleteSignature");
    let mut req = v3_request(&c, D, &[("RegionId", REGION)], "", &[], "t-5");
    let auth = req.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace("Credential=testid", "Credential=other");
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    c.send(req)
        .await
        .assert_error(404, "InvalidAccessKeyId.NotFound");
    let mut req = v3_request(&c, D, &[("RegionId", REGION)], "", &[], "t-6");
    req.headers_mut().remove("x-acs-date");
    c.send(req).await.assert_error(400, "MissingParameter");
    // Expired date.
    let req = v3_request(&c, D, &[("RegionId", REGION)], "", &[], "t-7");
    c.clock.advance(Duration::from_secs(20 * 60));
    c.send(req)
        .await
        .assert_error(400, "InvalidTimeStamp.Expired");
}

#[tokio::test]
async fn v1_requests_with_acs_headers_stay_v1() {
    let c = Client::builtin();
    let all = c.signed(D, &[]);
    let request = Request::get(format!("/?{}", query_string(&all)))
        .header("x-acs-action", D)
        .header("x-acs-version", "2014-05-26")
        .body(Body::empty())
        .unwrap();
    c.send(request).await.assert_ok();
}
