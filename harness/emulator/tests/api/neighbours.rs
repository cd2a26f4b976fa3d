//! The neighbouring actions: unassign, create, delete, attach, detach, the two describes, and
//! the asynchronous transitions on a manual clock.

use std::time::Duration;

use crate::common::*;

const A: &str = "AssignPrivateIpAddresses";
const U: &str = "UnassignPrivateIpAddresses";
const C: &str = "CreateNetworkInterface";
const DEL: &str = "DeleteNetworkInterface";
const AT: &str = "AttachNetworkInterface";
const DT: &str = "DetachNetworkInterface";
const D: &str = "DescribeNetworkInterfaces";

#[tokio::test]
async fn unassign_rules_in_order() {
    let c = Client::builtin();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "3"),
        ],
    )
    .await
    .assert_ok();
    c.call(U, &[("PrivateIpAddress.1", "192.168.0.1")])
        .await
        .assert_error(400, "MissingParameter");
    c.call(U, &[("NetworkInterfaceId", RUNNING_ENI)])
        .await
        .assert_error(400, "MissingParameter")
        .assert_message("The input parameter “PrivateIpAddress.N” that is mandatory for processing this request is not supplied.");
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.0", "192.168.0.1"),
        ],
    )
    .await
    .assert_error(400, "InValidParameter");
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.000.1"),
        ],
    )
    .await
    .assert_error(400, "InValidParameter");
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.1"),
            ("PrivateIpAddress.2", "192.168.0.1"),
        ],
    )
    .await
    .assert_error(400, "InvalidPrivateIpAddress.Duplicated");
    c.call(
        U,
        &[
            ("NetworkInterfaceId", "eni-x"),
            ("PrivateIpAddress.1", "192.168.0.1"),
        ],
    )
    .await
    .assert_error(404, "InvalidEniId.NotFound");
    // Not on this ENI (one good, one not: atomic), and the primary address.
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.1"),
            ("PrivateIpAddress.2", "192.168.0.9"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpUnassigned")
    .assert_message("The specified IP “192.168.0.9” is not assigned on this ENI.");
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.200"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpUnassigned");
    assert_eq!(c.secondaries(RUNNING_ENI).await.len(), 3);
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.2"),
        ],
    )
    .await
    .assert_ok();
    assert_eq!(
        c.secondaries(RUNNING_ENI).await,
        ["192.168.0.1", "192.168.0.3"]
    );
    // The freed address is the lowest free one again.
    let v = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", STOPPED_ENI),
                ("SecondaryPrivateIpAddressCount", "1"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(Client::assigned(&v), ["192.168.0.2"]);
    // Unassign does not check the instance state (rule 12 does not apply).
    c.call(
        U,
        &[
            ("NetworkInterfaceId", STARTING_ENI),
            ("PrivateIpAddress.1", "192.168.0.50"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpUnassigned");
}

#[tokio::test]
async fn unassign_conflicts_with_a_task_in_flight_and_honours_client_tokens() {
    let c = Client::with(|c| c.timings.task = Duration::from_secs(3));
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "2"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.1"),
        ],
    )
    .await
    .assert_error(403, "Operation.Conflict");
    c.clock.advance(Duration::from_secs(3));
    let p = [
        ("NetworkInterfaceId", RUNNING_ENI),
        ("PrivateIpAddress.1", "192.168.0.1"),
        ("ClientToken", "u-1"),
    ];
    c.call(U, &p).await.assert_ok();
    // The retry answers the same (even while the ENI is busy), and changes nothing.
    c.call(U, &p).await.assert_ok();
    c.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.2"),
            ("ClientToken", "u-1"),
        ],
    )
    .await
    .assert_error(400, "IdempotentParameterMismatch");
    assert_eq!(c.secondaries(RUNNING_ENI).await, ["192.168.0.2"]);
}

#[tokio::test]
async fn create_answers_and_rules() {
    let c = Client::builtin();
    let v = c
        .call(
            C,
            &[
                ("VSwitchId", MAIN_VSW),
                ("SecurityGroupId", SG),
                ("NetworkInterfaceName", "n1"),
                ("SecondaryPrivateIpAddressCount", "2"),
            ],
        )
        .await
        .assert_ok();
    let id = v["NetworkInterfaceId"].as_str().unwrap();
    assert!(id.starts_with("eni-bp1") && id.len() == 24, "{id}");
    assert_eq!(v["Status"], "Available");
    assert_eq!(v["Type"], "Secondary");
    assert_eq!(v["VpcId"], "vpc-bp1emu000000000000001");
    assert_eq!(v["VSwitchId"], MAIN_VSW);
    assert_eq!(v["PrivateIpAddress"], "192.168.0.1");
    assert_eq!(v["SecurityGroupIds"]["SecurityGroupId"][0], SG);
    let set = v["PrivateIpSets"]["PrivateIpSet"].as_array().unwrap();
    assert_eq!(set.len(), 3);
    assert_eq!(set[0]["Primary"], true);
    assert_eq!(set[2]["PrivateIpAddress"], "192.168.0.3");
    assert!(v["MacAddress"].as_str().unwrap().starts_with("00:16:3e:"));

    c.call(C, &[("SecurityGroupId", SG)])
        .await
        .assert_error(400, "MissingParameter");
    c.call(C, &[("VSwitchId", MAIN_VSW)])
        .await
        .assert_error(400, "MissingParameter");
    c.call(C, &[("VSwitchId", "vsw-nope"), ("SecurityGroupId", SG)])
        .await
        .assert_error(404, "InvalidVSwitchId.NotFound")
        .assert_message("The specified VSwitchId “vsw-nope” is not found.");
    c.call(
        C,
        &[("VSwitchId", MAIN_VSW), ("SecurityGroupId", "sg-nope")],
    )
    .await
    .assert_error(404, "InvalidSecurityGroupId.NotFound");
    c.call(
        C,
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("PrimaryIpAddress", "192.168.0.255"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpInvalid");
    c.call(
        C,
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("PrimaryIpAddress", "192.168.0.200"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    c.call(
        C,
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("PrimaryIpAddress", "192.168.0.60"),
            ("PrivateIpAddress.1", "192.168.0.60"),
        ],
    )
    .await
    .assert_error(400, "InvalidPrivateIpAddress.Duplicated");
    c.call(
        C,
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("PrimaryIpAddress", "192.168.0.1 "),
        ],
    )
    .await
    .assert_error(400, "InValidParameter");
    c.call(
        C,
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("SecondaryPrivateIpAddressCount", "11"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.call(
        C,
        &[
            ("VSwitchId", SMALL_VSW),
            ("SecurityGroupId", SG),
            ("SecondaryPrivateIpAddressCount", "4"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    let v = c
        .call(
            C,
            &[
                ("VSwitchId", SMALL_VSW),
                ("SecurityGroupIds.1", SG),
                ("PrimaryIpAddress", "192.168.1.4"),
                ("PrivateIpAddress.1", "192.168.1.2"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(v["PrivateIpAddress"], "192.168.1.4");
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn create_client_token() {
    let c = Client::builtin();
    let p = [
        ("VSwitchId", MAIN_VSW),
        ("SecurityGroupId", SG),
        ("ClientToken", "c-1"),
    ];
    let a = c.call(C, &p).await.assert_ok();
    let b = c.call(C, &p).await.assert_ok();
    assert_eq!(a["NetworkInterfaceId"], b["NetworkInterfaceId"]);
    assert_ne!(a["RequestId"], b["RequestId"]);
    assert_eq!(c.emulator.network_interfaces().len(), 4);
    c.call(
        C,
        &[
            ("VSwitchId", SMALL_VSW),
            ("SecurityGroupId", SG),
            ("ClientToken", "c-1"),
        ],
    )
    .await
    .assert_error(400, "IdempotentParameterMismatch");
    // Deleting the ENI drops its records: the token is free again.
    let id = a["NetworkInterfaceId"].as_str().unwrap();
    c.call(DEL, &[("NetworkInterfaceId", id)]).await.assert_ok();
    c.clock.advance(Duration::from_secs(2));
    assert_eq!(c.status_of(id).await, "gone");
    assert_eq!(c.emulator.idempotency_records(), 0);
    let again = c.call(C, &p).await.assert_ok();
    assert_ne!(again["NetworkInterfaceId"], a["NetworkInterfaceId"]);
}

#[tokio::test]
async fn delete_is_asynchronous_and_frees_addresses() {
    let c = Client::builtin();
    let eni = c
        .create_eni(SMALL_VSW, &[("SecondaryPrivateIpAddressCount", "3")])
        .await;
    c.call(DEL, &[]).await.assert_error(400, "MissingParameter");
    c.call(DEL, &[("NetworkInterfaceId", "eni-x")])
        .await
        .assert_error(404, "InvalidEniId.NotFound");
    c.call(DEL, &[("NetworkInterfaceId", RUNNING_ENI)])
        .await
        .assert_error(400, "InvalidOperation.InvalidEniState")
        .assert_message("The operation is not allowed in the current ENI state. Expecting status is “Available” while current status is “InUse”.");
    c.call(DEL, &[("NetworkInterfaceId", &eni)])
        .await
        .assert_ok();
    assert_eq!(c.status_of(&eni).await, "Deleting");
    c.call(DEL, &[("NetworkInterfaceId", &eni)])
        .await
        .assert_error(400, "InvalidOperation.InvalidEniState");
    // Addresses stay held while deleting.
    c.call(C, &[("VSwitchId", SMALL_VSW), ("SecurityGroupId", SG)])
        .await
        .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    c.clock.advance(Duration::from_millis(1999));
    assert_eq!(c.status_of(&eni).await, "Deleting");
    c.clock.advance(Duration::from_millis(1));
    assert_eq!(c.status_of(&eni).await, "gone");
    c.create_eni(SMALL_VSW, &[("SecondaryPrivateIpAddressCount", "3")])
        .await;
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn attach_and_detach_transitions() {
    let c = Client::builtin();
    let eni = c
        .create_eni(MAIN_VSW, &[("SecondaryPrivateIpAddressCount", "2")])
        .await;
    c.call(AT, &[("InstanceId", RUNNING)])
        .await
        .assert_error(400, "MissingParameter");
    c.call(AT, &[("NetworkInterfaceId", &eni)])
        .await
        .assert_error(400, "MissingParameter");
    c.call(
        AT,
        &[("NetworkInterfaceId", "eni-x"), ("InstanceId", RUNNING)],
    )
    .await
    .assert_error(404, "InvalidEniId.NotFound");
    c.call(AT, &[("NetworkInterfaceId", &eni), ("InstanceId", "i-x")])
        .await
        .assert_error(404, "InvalidInstanceId.NotFound");
    c.call(
        AT,
        &[("NetworkInterfaceId", &eni), ("InstanceId", STARTING)],
    )
    .await
    .assert_error(400, "InvalidOperation.InvalidEcsState");
    c.call(AT, &[("NetworkInterfaceId", &eni), ("InstanceId", RUNNING)])
        .await
        .assert_ok();
    let v = c
        .call(
            "DescribeNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", &eni)],
        )
        .await
        .assert_ok();
    assert_eq!(
        (v["Status"].as_str(), v["InstanceId"].as_str()),
        (Some("Attaching"), Some(RUNNING))
    );
    c.call(AT, &[("NetworkInterfaceId", &eni), ("InstanceId", RUNNING)])
        .await
        .assert_error(400, "InvalidOperation.InvalidEniState");
    c.call(DT, &[("NetworkInterfaceId", &eni), ("InstanceId", RUNNING)])
        .await
        .assert_error(400, "InvalidOperation.InvalidEniState");
    c.clock.advance(Duration::from_secs(2));
    assert_eq!(c.status_of(&eni).await, "InUse");
    // InUse: the instance type's cap (g6.large: 5 secondary) now applies.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "4"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "3"),
        ],
    )
    .await
    .assert_ok();
    // g6.large allows two ENIs: the primary and this one.
    let third = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        AT,
        &[("NetworkInterfaceId", &third), ("InstanceId", RUNNING)],
    )
    .await
    .assert_error(403, "EniPerInstanceLimitExceeded");
    // Detach rules.
    c.call(
        DT,
        &[("NetworkInterfaceId", RUNNING_ENI), ("InstanceId", RUNNING)],
    )
    .await
    .assert_error(403, "InvalidOperation.DetachPrimaryEniNotAllowed");
    c.call(DT, &[("NetworkInterfaceId", &eni), ("InstanceId", STOPPED)])
        .await
        .assert_error(400, "InvalidOperation.EniNotAttached");
    c.call(DT, &[("NetworkInterfaceId", &eni), ("InstanceId", RUNNING)])
        .await
        .assert_ok();
    assert_eq!(c.status_of(&eni).await, "Detaching");
    c.call(DEL, &[("NetworkInterfaceId", &eni)])
        .await
        .assert_error(400, "InvalidOperation.InvalidEniState");
    c.clock.advance(Duration::from_secs(2));
    let v = c
        .call(
            "DescribeNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", &eni)],
        )
        .await
        .assert_ok();
    assert_eq!(
        (v["Status"].as_str(), v["InstanceId"].as_str()),
        (Some("Available"), Some(""))
    );
    assert_eq!(c.secondaries(&eni).await.len(), 5);
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn attach_refuses_an_eni_over_the_type_cap_and_detach_over_the_available_cap() {
    let c = Client::builtin();
    let eni = c
        .create_eni(MAIN_VSW, &[("SecondaryPrivateIpAddressCount", "6")])
        .await;
    c.call(AT, &[("NetworkInterfaceId", &eni), ("InstanceId", RUNNING)])
        .await
        .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.call(AT, &[("NetworkInterfaceId", &eni), ("InstanceId", STOPPED)])
        .await
        .assert_ok();
    c.clock.advance(Duration::from_secs(2));
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "8"),
        ],
    )
    .await
    .assert_ok();
    c.call(DT, &[("NetworkInterfaceId", &eni), ("InstanceId", STOPPED)])
        .await
        .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn describe_filters() {
    let c = Client::builtin();
    let a = c
        .create_eni(MAIN_VSW, &[("NetworkInterfaceName", "alpha")])
        .await;
    let b = c.create_eni(SMALL_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STOPPED_ENI),
            ("PrivateIpAddress.1", "192.168.0.77"),
        ],
    )
    .await
    .assert_ok();
    let ids = |v: serde_json::Value| -> Vec<String> {
        v["NetworkInterfaceSets"]["NetworkInterfaceSet"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["NetworkInterfaceId"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = c.call(D, &[]).await.assert_ok();
    assert_eq!(all["TotalCount"], 5);
    assert_eq!(ids(all), [RUNNING_ENI, STOPPED_ENI, STARTING_ENI, &a, &b]);
    assert_eq!(
        ids(c.call(D, &[("VSwitchId", SMALL_VSW)]).await.assert_ok()),
        [b.as_str()]
    );
    assert_eq!(
        ids(c.call(D, &[("Type", "Secondary")]).await.assert_ok()),
        [a.as_str(), &b]
    );
    assert_eq!(
        ids(c.call(D, &[("Status", "InUse")]).await.assert_ok()).len(),
        3
    );
    assert_eq!(
        ids(c.call(D, &[("InstanceId", STOPPED)]).await.assert_ok()),
        [STOPPED_ENI]
    );
    assert_eq!(
        ids(c
            .call(D, &[("NetworkInterfaceName", "alpha")])
            .await
            .assert_ok()),
        [a.as_str()]
    );
    assert_eq!(
        ids(c.call(D, &[("VpcId", "vpc-other")]).await.assert_ok()).len(),
        0
    );
    assert_eq!(
        ids(c
            .call(D, &[("PrivateIpAddress.1", "192.168.0.77")])
            .await
            .assert_ok()),
        [STOPPED_ENI]
    );
    assert_eq!(
        ids(c
            .call(D, &[("PrivateIpAddress.1", "192.168.0.202")])
            .await
            .assert_ok()),
        [STARTING_ENI]
    );
    assert_eq!(
        ids(c
            .call(
                D,
                &[
                    ("NetworkInterfaceId.1", &b),
                    ("NetworkInterfaceId.2", RUNNING_ENI)
                ]
            )
            .await
            .assert_ok()),
        [RUNNING_ENI, b.as_str()]
    );
    c.call(D, &[("Status", "Broken")])
        .await
        .assert_error(400, "InValidParameter");
    c.call(D, &[("Type", "primary")])
        .await
        .assert_error(400, "InValidParameter");
    c.call(D, &[("NetworkInterfaceId.0", &b)])
        .await
        .assert_error(400, "InValidParameter");
    c.call(D, &[("PrivateIpAddress.1", "1.2.3")])
        .await
        .assert_error(400, "InValidParameter");
    c.call("DescribeNetworkInterfaceAttribute", &[])
        .await
        .assert_error(400, "MissingParameter");
    c.call(
        "DescribeNetworkInterfaceAttribute",
        &[("NetworkInterfaceId", "eni-x")],
    )
    .await
    .assert_error(404, "InvalidEniId.NotFound");
}

#[tokio::test]
async fn describe_paging() {
    let c = Client::builtin();
    for _ in 0..22 {
        c.create_eni(MAIN_VSW, &[]).await;
    }
    let count = |v: &serde_json::Value| {
        v["NetworkInterfaceSets"]["NetworkInterfaceSet"]
            .as_array()
            .unwrap()
            .len()
    };
    let v = c.call(D, &[]).await.assert_ok();
    assert_eq!(
        (
            v["TotalCount"].as_i64(),
            v["PageNumber"].as_i64(),
            v["PageSize"].as_i64(),
            count(&v)
        ),
        (Some(25), Some(1), Some(10), 10)
    );
    let v = c
        .call(D, &[("PageNumber", "3"), ("PageSize", "10")])
        .await
        .assert_ok();
    assert_eq!(count(&v), 5);
    let v = c.call(D, &[("PageNumber", "9")]).await.assert_ok();
    assert_eq!(count(&v), 0);
    for bad in [
        ("PageSize", "0"),
        ("PageSize", "101"),
        ("PageNumber", "0"),
        ("MaxResults", "9"),
        ("MaxResults", "501"),
        ("NextToken", "zz"),
    ] {
        c.call(D, &[bad])
            .await
            .assert_error(400, "InValidParameter")
            .assert_message(&format!(
                "the parameter(s) “{}” provided is(are) invalid.",
                bad.0
            ));
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let mut p = vec![("MaxResults", "10")];
        if !token.is_empty() {
            p.push(("NextToken", &token));
        }
        let v = c.call(D, &p).await.assert_ok();
        assert_eq!(v["TotalCount"], 25);
        for e in v["NetworkInterfaceSets"]["NetworkInterfaceSet"]
            .as_array()
            .unwrap()
        {
            seen.push(e["NetworkInterfaceId"].as_str().unwrap().to_owned());
        }
        token = v["NextToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen.len(), 25);
    seen.dedup();
    assert_eq!(seen.len(), 25);
}
