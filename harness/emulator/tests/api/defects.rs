//! Planted defects: each one shows its deviation with the defect planted, and not without.

use crate::common::*;
use eni_emulator::Defect;

const A: &str = "AssignPrivateIpAddresses";
const U: &str = "UnassignPrivateIpAddresses";
const OUTSIDE: &str = "10.9.9.9";

fn clean() -> Client {
    Client::builtin()
}

fn planted(defect: Defect) -> Client {
    Client::with(|c| c.defects = vec![defect])
}

async fn assign(c: &Client, eni: &str, extra: &[(&str, &str)]) -> Reply {
    let mut params = vec![("NetworkInterfaceId", eni)];
    params.extend_from_slice(extra);
    c.call(A, &params).await
}

#[tokio::test]
async fn ip_outside_vswitch_accepted() {
    async fn probe(c: &Client) -> u16 {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        assign(c, &eni, &[("PrivateIpAddress.1", OUTSIDE)])
            .await
            .status
    }
    assert_eq!(probe(&clean()).await, 403);
    assert_eq!(probe(&planted(Defect::IpOutsideVswitchAccepted)).await, 200);
}

#[tokio::test]
async fn reserved_address_handed_out() {
    async fn probe(c: &Client) -> (String, u16) {
        let v = c
            .call(
                "CreateNetworkInterface",
                &[("VSwitchId", MAIN_VSW), ("SecurityGroupId", SG)],
            )
            .await
            .assert_ok();
        let eni = v["NetworkInterfaceId"].as_str().unwrap().to_owned();
        let primary = v["PrivateIpAddress"].as_str().unwrap().to_owned();
        let by_address = assign(c, &eni, &[("PrivateIpAddress.1", "192.168.0.255")]).await;
        (primary, by_address.status)
    }
    assert_eq!(probe(&clean()).await, ("192.168.0.1".into(), 403));
    assert_eq!(
        probe(&planted(Defect::ReservedAddressHandedOut)).await,
        ("192.168.0.0".into(), 200)
    );
}

#[tokio::test]
async fn duplicate_in_one_call() {
    async fn probe(c: &Client) -> Vec<String> {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let v = assign(c, &eni, &[("SecondaryPrivateIpAddressCount", "2")])
            .await
            .assert_ok();
        Client::assigned(&v)
    }
    let ips = probe(&clean()).await;
    assert_ne!(ips[0], ips[1]);
    let ips = probe(&planted(Defect::DuplicateInOneCall)).await;
    assert_eq!(ips[0], ips[1]);
}

#[tokio::test]
async fn duplicate_across_enis() {
    async fn probe(c: &Client) -> u16 {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        // The running instance's primary address.
        assign(c, &eni, &[("PrivateIpAddress.1", "192.168.0.200")])
            .await
            .status
    }
    assert_eq!(probe(&clean()).await, 403);
    assert_eq!(probe(&planted(Defect::DuplicateAcrossEnis)).await, 200);
}

#[tokio::test]
async fn both_params_accepted() {
    async fn probe(c: &Client) -> u16 {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let both = [
            ("PrivateIpAddress.1", "192.168.0.50"),
            ("SecondaryPrivateIpAddressCount", "1"),
        ];
        assign(c, &eni, &both).await.status
    }
    assert_eq!(probe(&clean()).await, 400);
    assert_eq!(probe(&planted(Defect::BothParamsAccepted)).await, 200);
}

async fn count_on_new_eni(c: &Client, count: &str) -> u16 {
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    assign(c, &eni, &[("SecondaryPrivateIpAddressCount", count)])
        .await
        .status
}

#[tokio::test]
async fn available_cap_missing() {
    assert_eq!(count_on_new_eni(&clean(), "11").await, 403);
    let c = planted(Defect::AvailableCapMissing);
    assert_eq!(count_on_new_eni(&c, "40").await, 200);
}

#[tokio::test]
async fn available_cap_off_by_one() {
    assert_eq!(count_on_new_eni(&clean(), "11").await, 403);
    let c = planted(Defect::AvailableCapOffByOne);
    assert_eq!(count_on_new_eni(&c, "11").await, 200);
    assert_eq!(count_on_new_eni(&c, "12").await, 403);
}

#[tokio::test]
async fn instance_cap_ignored() {
    // ecs.g6.large: 6 private addresses per ENI, so 5 secondary ones.
    async fn probe(c: &Client) -> u16 {
        assign(c, RUNNING_ENI, &[("SecondaryPrivateIpAddressCount", "6")])
            .await
            .status
    }
    assert_eq!(probe(&clean()).await, 403);
    assert_eq!(probe(&planted(Defect::InstanceCapIgnored)).await, 200);
}

#[tokio::test]
async fn partial_assignment() {
    async fn probe(c: &Client) -> (u16, Vec<String>) {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let list = [
            ("PrivateIpAddress.1", "192.168.0.50"),
            ("PrivateIpAddress.2", OUTSIDE),
        ];
        let status = assign(c, &eni, &list).await.status;
        (status, c.secondaries(&eni).await)
    }
    assert_eq!(probe(&clean()).await, (403, vec![]));
    assert_eq!(
        probe(&planted(Defect::PartialAssignment)).await,
        (403, vec!["192.168.0.50".to_owned()])
    );
}

#[tokio::test]
async fn unassign_missing_accepted() {
    async fn probe(c: &Client) -> u16 {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        c.call(
            U,
            &[
                ("NetworkInterfaceId", &eni),
                ("PrivateIpAddress.1", "192.168.0.77"),
            ],
        )
        .await
        .status
    }
    assert_eq!(probe(&clean()).await, 403);
    assert_eq!(probe(&planted(Defect::UnassignMissingAccepted)).await, 200);
}

#[tokio::test]
async fn primary_unassignable() {
    async fn probe(c: &Client) -> u16 {
        c.call(
            U,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.1", "192.168.0.200"),
            ],
        )
        .await
        .status
    }
    assert_eq!(probe(&clean()).await, 403);
    let c = planted(Defect::PrimaryUnassignable);
    assert_eq!(probe(&c).await, 200);
    // The VSwitch now takes the primary address for free.
    assert!(c.emulator.check_invariants().is_err());
}

#[tokio::test]
async fn wrong_http_status() {
    async fn probe(c: &Client) -> (u16, String) {
        let r = assign(
            c,
            "eni-bp1unknown0000000001",
            &[("SecondaryPrivateIpAddressCount", "1")],
        )
        .await;
        (r.status, r.code())
    }
    let code = "InvalidEniId.NotFound".to_owned();
    assert_eq!(probe(&clean()).await, (404, code.clone()));
    assert_eq!(probe(&planted(Defect::WrongHttpStatus)).await, (400, code));
}

#[tokio::test]
async fn misspelled_code() {
    async fn probe(c: &Client) -> (String, String) {
        let unknown = assign(
            c,
            "eni-bp1unknown0000000001",
            &[("SecondaryPrivateIpAddressCount", "1")],
        )
        .await;
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let outside = assign(c, &eni, &[("PrivateIpAddress.1", OUTSIDE)]).await;
        (unknown.code(), outside.code())
    }
    assert_eq!(
        probe(&clean()).await,
        (
            "InvalidEniId.NotFound".into(),
            "InvalidVSwitchId.IpInvalid".into()
        )
    );
    assert_eq!(
        probe(&planted(Defect::MisspelledCode)).await,
        (
            "InvalidEniID.NotFound".into(),
            "InvalidVswitchId.IpInvalid".into()
        )
    );
}

#[tokio::test]
async fn seed_space_key_500() {
    async fn probe(c: &Client) -> (u16, String) {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let r = assign(c, &eni, &[("PrivateIpAddress. 1", "192.168.0.50")]).await;
        (r.status, r.code())
    }
    assert_eq!(probe(&clean()).await, (400, "InValidParameter".into()));
    assert_eq!(
        probe(&planted(Defect::SeedSpaceKey500)).await,
        (500, "InternalError".into())
    );
}

#[tokio::test]
async fn client_token_ignored() {
    async fn probe(c: &Client) -> bool {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let params = [
            ("SecondaryPrivateIpAddressCount", "1"),
            ("ClientToken", "retry-1"),
        ];
        let first = Client::assigned(&assign(c, &eni, &params).await.assert_ok());
        let again = Client::assigned(&assign(c, &eni, &params).await.assert_ok());
        first == again
    }
    assert!(probe(&clean()).await);
    assert!(!probe(&planted(Defect::ClientTokenIgnored)).await);
}

#[tokio::test]
async fn describe_disagrees() {
    async fn probe(c: &Client) -> usize {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        assign(c, &eni, &[("SecondaryPrivateIpAddressCount", "2")])
            .await
            .assert_ok();
        c.secondaries(&eni).await.len()
    }
    assert_eq!(probe(&clean()).await, 2);
    assert_eq!(probe(&planted(Defect::DescribeDisagrees)).await, 1);
}

#[tokio::test]
async fn error_without_request_id() {
    async fn probe(c: &Client) -> bool {
        let r = assign(c, RUNNING_ENI, &[]).await;
        assert_eq!(r.status, 400);
        r.json().get("RequestId").is_some()
    }
    assert!(probe(&clean()).await);
    assert!(!probe(&planted(Defect::ErrorWithoutRequestId)).await);
}

#[tokio::test]
async fn malformed_xml_error() {
    async fn probe(c: &Client) -> bool {
        let r = c
            .call(A, &[("NetworkInterfaceId", RUNNING_ENI), ("Format", "XML")])
            .await;
        assert_eq!(r.status, 400);
        let mut reader = quick_xml::Reader::from_str(&r.body);
        let mut depth = 0i32;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Eof) => return depth == 0,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }
    assert!(probe(&clean()).await);
    assert!(!probe(&planted(Defect::MalformedXmlError)).await);
}

#[tokio::test]
async fn signatures_unchecked() {
    async fn probe(c: &Client) -> u16 {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let params = [
            ("NetworkInterfaceId", eni.as_str()),
            ("SecondaryPrivateIpAddressCount", "1"),
            ("Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        ];
        c.call(A, &params).await.status
    }
    assert_eq!(probe(&clean()).await, 400);
    assert_eq!(probe(&planted(Defect::SignaturesUnchecked)).await, 200);
}

#[tokio::test]
async fn no_defect_is_planted_by_default() {
    assert!(eni_emulator::Config::default().defects.is_empty());
    for defect in Defect::ALL {
        assert_eq!(Defect::from_name(defect.name()), Some(defect));
    }
}
