//! `AssignPrivateIpAddresses`: every row of the contract's table, their precedence, success.

use std::time::Duration;

use crate::common::*;
use eni_emulator::{ContractProfile, InstanceStatus};

const A: &str = "AssignPrivateIpAddresses";
const INVALID: &str = "InValidParameter";

fn invalid_msg(name: &str) -> String {
    format!("the parameter(s) “{name}” provided is(are) invalid.")
}

#[tokio::test]
async fn row1_missing_or_empty_eni_id() {
    let c = Client::builtin();
    let msg = "The input parameter “NetworkInterfaceId” that is mandatory for processing this request is not supplied.";
    c.call(A, &[("SecondaryPrivateIpAddressCount", "1")])
        .await
        .assert_error(400, "MissingParameter")
        .assert_message(msg);
    c.call(
        A,
        &[
            ("NetworkInterfaceId", ""),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(400, "MissingParameter");
    // Row 1 comes before row 2.
    c.call(A, &[])
        .await
        .assert_error(400, "MissingParameter")
        .assert_message(msg);
}

#[tokio::test]
async fn row2_both_or_neither() {
    let c = Client::builtin();
    c.call(A, &[("NetworkInterfaceId", RUNNING_ENI)])
        .await
        .assert_error(400, INVALID);
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.10"),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(400, INVALID)
    .assert_message(&invalid_msg(
        "PrivateIpAddress.N/SecondaryPrivateIpAddressCount",
    ));
    // An empty count is still "given".
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.10"),
            ("SecondaryPrivateIpAddressCount", ""),
        ],
    )
    .await
    .assert_error(400, INVALID)
    .assert_message(&invalid_msg(
        "PrivateIpAddress.N/SecondaryPrivateIpAddressCount",
    ));
}

#[tokio::test]
async fn row2_uses_the_current_profile_spelling() {
    let c = Client::with(|c| c.contract = ContractProfile::current());
    c.call(A, &[("NetworkInterfaceId", RUNNING_ENI)])
        .await
        .assert_error(400, "InvalidParameter");
}

#[tokio::test]
async fn row3_malformed_list_keys_are_named() {
    let c = Client::builtin();
    for key in [
        "PrivateIpAddress. 1",
        "PrivateIpAddress.0",
        "PrivateIpAddress.01",
        "PrivateIpAddress.x",
        "PrivateIpAddress.-1",
        "PrivateIpAddress.1 ",
        "PrivateIpAddress.51",
    ] {
        c.call(
            A,
            &[("NetworkInterfaceId", RUNNING_ENI), (key, "192.168.0.10")],
        )
        .await
        .assert_error(400, INVALID)
        .assert_message(&invalid_msg(key));
    }
    // One index given twice.
    let all = {
        let mut all = c.signed(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.1", "192.168.0.10"),
            ],
        );
        all.push(("PrivateIpAddress.1".into(), "192.168.0.11".into()));
        let sig = all.iter().position(|(k, _)| k == "Signature").unwrap();
        all.remove(sig);
        let signature = sign_v1("GET", &all, "testsecret");
        all.push(("Signature".into(), signature));
        all
    };
    c.send_pairs(&all)
        .await
        .assert_error(400, INVALID)
        .assert_message(&invalid_msg("PrivateIpAddress.1"));
    // 50 is the highest index.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.50", "192.168.0.10"),
        ],
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn row3_wins_over_rows_4_and_8() {
    let c = Client::builtin();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", "eni-unknown"),
            ("PrivateIpAddress.1", "bad"),
            ("PrivateIpAddress. 2", "1.1.1.1"),
        ],
    )
    .await
    .assert_error(400, INVALID)
    .assert_message(&invalid_msg("PrivateIpAddress. 2"));
}

#[tokio::test]
async fn row4_malformed_addresses() {
    let c = Client::builtin();
    for bad in [
        "192.168.0.010",
        " 192.168.0.10",
        "192.168.0.10 ",
        "::1",
        "192.168.0.256",
        "",
        "192.168.0",
        "a.b.c.d",
    ] {
        c.call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.1", "192.168.0.10"),
                ("PrivateIpAddress.2", bad),
            ],
        )
        .await
        .assert_error(400, INVALID)
        .assert_message(&invalid_msg("PrivateIpAddress.2"));
    }
}

#[tokio::test]
async fn row5_duplicates_then_row4_before_it() {
    let c = Client::builtin();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.10"),
            ("PrivateIpAddress.3", "192.168.0.10"),
        ],
    )
    .await
    .assert_error(400, "InvalidPrivateIpAddress.Duplicated");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.10"),
            ("PrivateIpAddress.2", "192.168.0.10"),
            ("PrivateIpAddress.3", "x"),
        ],
    )
    .await
    .assert_error(400, INVALID);
}

#[tokio::test]
async fn row6_bad_counts() {
    let c = Client::builtin();
    for bad in ["", "0", "-1", "1.5", "abc", "51", "01", " 1"] {
        c.call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", bad),
            ],
        )
        .await
        .assert_error(400, INVALID)
        .assert_message(&invalid_msg("SecondaryPrivateIpAddressCount"));
    }
    // Row 6 comes before row 8.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", "eni-nope"),
            ("SecondaryPrivateIpAddressCount", "0"),
        ],
    )
    .await
    .assert_error(400, INVALID);
}

#[tokio::test]
async fn row7_client_token_replays_and_mismatches() {
    let c = Client::builtin();
    let first = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", "2"),
                ("ClientToken", "tok-1"),
            ],
        )
        .await
        .assert_ok();
    let again = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", "2"),
                ("ClientToken", "tok-1"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(
        first["AssignedPrivateIpAddressesSet"],
        again["AssignedPrivateIpAddressesSet"]
    );
    assert_eq!(
        c.secondaries(RUNNING_ENI).await.len(),
        2,
        "nothing allocated by the retry"
    );
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
            ("ClientToken", "tok-1"),
        ],
    )
    .await
    .assert_error(400, "IdempotentParameterMismatch");
    // Row 7 comes before row 8: the token is known even though the request names another ENI.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", "eni-nope"),
            ("SecondaryPrivateIpAddressCount", "2"),
            ("ClientToken", "tok-1"),
        ],
    )
    .await
    .assert_error(400, "IdempotentParameterMismatch");
    // A failed request does not record its token.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STARTING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
            ("ClientToken", "tok-2"),
        ],
    )
    .await
    .assert_error(400, "InvalidOperation.InvalidEcsState");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
            ("ClientToken", "tok-2"),
        ],
    )
    .await
    .assert_ok();
    // Token syntax.
    let long = "a".repeat(65);
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
            ("ClientToken", &long),
        ],
    )
    .await
    .assert_error(400, INVALID)
    .assert_message(&invalid_msg("ClientToken"));
}

#[tokio::test]
async fn row8_unknown_eni() {
    let c = Client::builtin();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", "eni-nope"),
            ("PrivateIpAddress.1", "10.0.0.1"),
        ],
    )
    .await
    .assert_error(404, "InvalidEniId.NotFound")
    .assert_message("The specified EniId “eni-nope” is not found.");
}

#[tokio::test]
async fn row9_vswitch_gone() {
    let c = Client::builtin();
    let eni = c.create_eni(SMALL_VSW, &[]).await;
    assert!(c.emulator.remove_vswitch(SMALL_VSW));
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("PrivateIpAddress.1", "10.0.0.1"),
        ],
    )
    .await
    .assert_error(404, "InvalidVSwitchId.NotFound")
    .assert_message(&format!(
        "The specified VSwitchId “{SMALL_VSW}” is not found."
    ));
}

#[tokio::test]
async fn row10_transitional_states() {
    let c = Client::builtin();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &eni), ("InstanceId", RUNNING)],
    )
    .await
    .assert_ok();
    c.call(A, &[("NetworkInterfaceId", &eni), ("SecondaryPrivateIpAddressCount", "1")])
        .await
        .assert_error(400, "InvalidOperation.InvalidEniState")
        .assert_message(
            "The operation is not allowed in the current ENI state. Expecting status is “Available/InUse” while current status is “Attaching”.",
        );
}

#[tokio::test]
async fn row11_conflict_while_a_task_is_in_flight() {
    let c = Client::with(|c| c.timings.task = Duration::from_secs(5));
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(403, "Operation.Conflict")
    .assert_message("ecs task is conflicted.");
    // Row 11 answers before row 12..16 (the address is reserved: row 13) but after row 10.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.255"),
        ],
    )
    .await
    .assert_error(403, "Operation.Conflict");
    c.clock.advance(Duration::from_secs(5));
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_ok();
    assert_eq!(c.secondaries(RUNNING_ENI).await.len(), 2);
}

#[tokio::test]
async fn row12_primary_eni_of_a_starting_instance() {
    let c = Client::builtin();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STARTING_ENI),
            ("PrivateIpAddress.1", "10.0.0.1"),
        ],
    )
    .await
    .assert_error(400, "InvalidOperation.InvalidEcsState");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STOPPED_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_ok();
    assert!(
        c.emulator
            .set_instance_status(RUNNING, InstanceStatus::Stopping)
    );
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(400, "InvalidOperation.InvalidEcsState");
}

#[tokio::test]
async fn row13_outside_or_reserved() {
    let c = Client::builtin();
    for ip in [
        "10.0.0.1",
        "192.168.0.0",
        "192.168.0.253",
        "192.168.0.254",
        "192.168.0.255",
        "192.168.1.1",
    ] {
        c.call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.1", ip),
            ],
        )
        .await
        .assert_error(403, "InvalidVSwitchId.IpInvalid")
        .assert_message(&format!(
            "The specified IpAddress “{ip}” is not valid in VSwitch CIDR block “192.168.0.0/24”."
        ));
    }
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.252"),
        ],
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn row14_in_use_anywhere_in_the_vswitch() {
    let c = Client::builtin();
    // Another ENI's primary address, this ENI's own primary, and an assigned secondary.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.201"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.200"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STOPPED_ENI),
            ("PrivateIpAddress.1", "192.168.0.7"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.7"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    // Row 13 beats row 14 regardless of order in the list.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.7"),
            ("PrivateIpAddress.2", "10.1.1.1"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpInvalid");
}

#[tokio::test]
async fn row15_caps() {
    let c = Client::builtin();
    // ecs.g6.large: 6 per ENI, primary included → 5 secondary.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "6"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "5"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.100"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    // An Available ENI: 10 in the seed profile.
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "11"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "10"),
        ],
    )
    .await
    .assert_ok();
    // ecs.g7.xlarge: 15 → 14 secondary.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STOPPED_ENI),
            ("SecondaryPrivateIpAddressCount", "14"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STOPPED_ENI),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
}

#[tokio::test]
async fn row15_current_profile_available_cap() {
    let c = Client::with(|c| c.contract = ContractProfile::current());
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "49"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
}

#[tokio::test]
async fn row16_not_enough_free_addresses_and_row15_before_it() {
    let c = Client::builtin();
    let eni = c.create_eni(SMALL_VSW, &[]).await; // takes .1 of the four
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "4"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpNotEnough")
    .assert_message(&format!(
        "The specified VSwitch \"{SMALL_VSW}\" has not enough IpAddress."
    ));
    // Over the cap and over the free addresses: the cap answers.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "11"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    let v = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", &eni),
                ("SecondaryPrivateIpAddressCount", "3"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(
        Client::assigned(&v),
        ["192.168.1.2", "192.168.1.3", "192.168.1.4"]
    );
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpNotEnough");
}

#[tokio::test]
async fn success_reports_what_describe_shows_in_order_with_gaps() {
    let c = Client::builtin();
    let v = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.3", "192.168.0.31"),
                ("PrivateIpAddress.1", "192.168.0.30"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(
        v["AssignedPrivateIpAddressesSet"]["NetworkInterfaceId"],
        RUNNING_ENI
    );
    assert_eq!(Client::assigned(&v), ["192.168.0.30", "192.168.0.31"]);
    let v2 = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", "2"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(Client::assigned(&v2), ["192.168.0.1", "192.168.0.2"]);
    assert_eq!(
        c.secondaries(RUNNING_ENI).await,
        ["192.168.0.30", "192.168.0.31", "192.168.0.1", "192.168.0.2"]
    );
    assert!(v["RequestId"].as_str().unwrap().len() == 36);
}

#[tokio::test]
async fn failures_change_nothing() {
    let c = Client::builtin();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", "192.168.0.30"),
        ],
    )
    .await
    .assert_ok();
    let before = c.emulator.network_interfaces();
    // Two good addresses and one in use: none may be taken.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", STOPPED_ENI),
            ("PrivateIpAddress.1", "192.168.0.40"),
            ("PrivateIpAddress.2", "192.168.0.41"),
            ("PrivateIpAddress.3", "192.168.0.30"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    assert_eq!(c.emulator.network_interfaces(), before);
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn seeded_allocation_is_reproducible_and_valid() {
    let run = || async {
        let c = Client::with(|c| c.allocation = eni_emulator::Allocation::Seeded(42));
        let v = c
            .call(
                A,
                &[
                    ("NetworkInterfaceId", STOPPED_ENI),
                    ("SecondaryPrivateIpAddressCount", "14"),
                ],
            )
            .await
            .assert_ok();
        c.emulator.check_invariants().unwrap();
        Client::assigned(&v)
    };
    let (a, b) = (run().await, run().await);
    assert_eq!(a, b);
    let mut sorted = a.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 14);
    assert_ne!(a[..3], ["192.168.0.1", "192.168.0.2", "192.168.0.3"]);
}
