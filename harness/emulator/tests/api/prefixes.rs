//! IPv4 prefixes (profile `current`): assign's prefix rows in the table's order, the answer's
//! `Ipv4PrefixSet`, both describes' `Ipv4PrefixSets`, unassign, create and delete, replay; and
//! the seed profile, where prefix parameters are unknown and ignored.

use std::collections::BTreeSet;

use crate::common::*;
use eni_emulator::ContractProfile;

const A: &str = "AssignPrivateIpAddresses";
const INVALID: &str = "InvalidParameter";
/// A /26 (192.168.2.0/26): of its four aligned /28 blocks, the first holds the network address
/// and the last the three reserved at the end, so exactly two can be prefixes.
const PFX_VSW: &str = "vsw-bp1prefix000000000001";

fn current() -> Client {
    // The built-in world has the /26 for prefix exhaustion (`PFX_VSW`).
    Client::with(|c| {
        c.contract = ContractProfile::current();
        assert!(c.world.vswitches.iter().any(|v| v.id == PFX_VSW));
        c.world
            .validate(&c.contract)
            .expect("the built-in world is valid under the current contract");
    })
}

/// The prefixes an assign answer reports.
fn assigned_prefixes(v: &serde_json::Value) -> Vec<String> {
    v["AssignedPrivateIpAddressesSet"]["Ipv4PrefixSet"]["Ipv4Prefixes"]
        .as_array()
        .unwrap_or_else(|| panic!("no Ipv4PrefixSet in {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

/// The prefixes one describe entry (or the attribute answer) shows; none without the set.
fn shown_prefixes(entry: &serde_json::Value) -> BTreeSet<String> {
    entry["Ipv4PrefixSets"]["Ipv4PrefixSet"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["Ipv4Prefix"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn attribute(c: &Client, eni: &str) -> serde_json::Value {
    c.call(
        "DescribeNetworkInterfaceAttribute",
        &[("NetworkInterfaceId", eni)],
    )
    .await
    .assert_ok()
}

async fn prefixes_of(c: &Client, eni: &str) -> BTreeSet<String> {
    shown_prefixes(&attribute(c, eni).await)
}

#[tokio::test]
async fn count_assigns_aligned_free_blocks_shown_by_both_describes() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let v = c
        .call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "2")])
        .await
        .assert_ok();
    assert_eq!(
        v["AssignedPrivateIpAddressesSet"]["NetworkInterfaceId"],
        eni
    );
    let got = assigned_prefixes(&v);
    assert_eq!(got.len(), 2, "{v}");
    let cidr: ipnet::Ipv4Net = "192.168.0.0/24".parse().unwrap();
    for p in &got {
        let net: ipnet::Ipv4Net = p.parse().unwrap();
        assert_eq!(net.prefix_len(), 28, "{p}");
        assert_eq!(net.network(), net.addr(), "{p} is not aligned");
        assert!(cidr.contains(&net), "{p}");
        // Neither the network address nor the last three of the block.
        assert!(
            net.network() != cidr.network() && net.broadcast() != cidr.broadcast(),
            "{p}"
        );
    }
    let got: BTreeSet<String> = got.into_iter().collect();
    assert_eq!(got.len(), 2);
    assert_eq!(prefixes_of(&c, &eni).await, got);
    let held: BTreeSet<String> = c
        .emulator
        .network_interfaces()
        .iter()
        .filter(|e| e.id == eni)
        .flat_map(|e| e.ipv4_prefixes.iter().map(|p| p.to_string()))
        .collect();
    assert_eq!(held, got);
    let listed = c
        .call(
            "DescribeNetworkInterfaces",
            &[("NetworkInterfaceId.1", &eni)],
        )
        .await
        .assert_ok();
    let entry = &listed["NetworkInterfaceSets"]["NetworkInterfaceSet"][0];
    assert_eq!(shown_prefixes(entry), got);
    // XML: the same set, as repeated elements.
    for (action, key) in [
        ("DescribeNetworkInterfaces", "NetworkInterfaceId.1"),
        ("DescribeNetworkInterfaceAttribute", "NetworkInterfaceId"),
    ] {
        let xml = c.call(action, &[(key, &eni), ("Format", "XML")]).await;
        assert_eq!(xml.status, 200, "{}", xml.body);
        for p in &got {
            let element = format!("<Ipv4PrefixSet><Ipv4Prefix>{p}</Ipv4Prefix></Ipv4PrefixSet>");
            assert!(xml.body.contains(&element), "{action}: {}", xml.body);
        }
        assert_eq!(
            xml.body.matches("<Ipv4PrefixSets>").count(),
            1,
            "{}",
            xml.body
        );
    }
    // Addresses handed out afterwards never fall inside a prefix.
    let v = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", &eni),
                ("SecondaryPrivateIpAddressCount", "40"),
            ],
        )
        .await
        .assert_ok();
    for ip in Client::assigned(&v) {
        let ip: std::net::Ipv4Addr = ip.parse().unwrap();
        for p in &got {
            let net: ipnet::Ipv4Net = p.parse().unwrap();
            assert!(!net.contains(&ip), "{ip} handed out inside prefix {p}");
        }
    }
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn an_eni_without_prefixes_shows_no_prefix_set() {
    let c = current();
    let v = attribute(&c, RUNNING_ENI).await;
    assert!(v.get("Ipv4PrefixSets").is_none(), "{v}");
}

#[tokio::test]
async fn row2_one_kind_of_request() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let kinds = "PrivateIpAddress.N/SecondaryPrivateIpAddressCount/Ipv4Prefix.N/Ipv4PrefixCount";
    for pair in [
        [
            ("Ipv4PrefixCount", "1"),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
        [
            ("Ipv4PrefixCount", "1"),
            ("PrivateIpAddress.1", "192.168.0.50"),
        ],
        [
            ("Ipv4Prefix.1", "192.168.0.64/28"),
            ("Ipv4PrefixCount", "1"),
        ],
        [
            ("Ipv4Prefix.1", "192.168.0.64/28"),
            ("PrivateIpAddress.1", "192.168.0.50"),
        ],
        [
            ("Ipv4Prefix.1", "192.168.0.64/28"),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    ] {
        let mut params = vec![("NetworkInterfaceId", eni.as_str())];
        params.extend_from_slice(&pair);
        c.call(A, &params)
            .await
            .assert_error(400, INVALID)
            .assert_message(&format!(
                "the parameter(s) “{kinds}” provided is(are) invalid."
            ));
    }
    // Row 2 comes before the prefix rows 3 to 6.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.99", "x"),
            ("Ipv4PrefixCount", "0"),
        ],
    )
    .await
    .assert_error(400, INVALID);
    assert!(prefixes_of(&c, &eni).await.is_empty());
    assert!(c.secondaries(&eni).await.is_empty());
}

#[tokio::test]
async fn rows3_to_6_prefix_syntax() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let bad_key = |key: &str| format!("the parameter(s) “{key}” provided is(are) invalid.");
    for key in [
        "Ipv4Prefix.11",
        "Ipv4Prefix.0",
        "Ipv4Prefix.01",
        "Ipv4Prefix. 1",
        "Ipv4Prefix",
    ] {
        c.call(A, &[("NetworkInterfaceId", &eni), (key, "192.168.0.64/28")])
            .await
            .assert_error(400, INVALID)
            .assert_message(&bad_key(key));
    }
    for value in [
        "192.168.0.65/28",
        "192.168.0.64/27",
        "192.168.0.64",
        "192.168.0.064/28",
        " 192.168.0.64/28",
        "192.168.0.64/28 ",
        "",
    ] {
        c.call(
            A,
            &[
                ("NetworkInterfaceId", &eni),
                ("Ipv4Prefix.1", "192.168.0.48/28"),
                ("Ipv4Prefix.2", value),
            ],
        )
        .await
        .assert_error(400, INVALID)
        .assert_message(&bad_key("Ipv4Prefix.2"));
    }
    // The same prefix twice: the invalid-parameter code, naming the second key.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
            ("Ipv4Prefix.3", "192.168.0.48/28"),
        ],
    )
    .await
    .assert_error(400, INVALID)
    .assert_message(&bad_key("Ipv4Prefix.3"));
    // Row 4 before row 5: a malformed value after a duplicate answers the malformed one.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
            ("Ipv4Prefix.2", "192.168.0.48/28"),
            ("Ipv4Prefix.3", "192.168.0.49/28"),
        ],
    )
    .await
    .assert_message(&bad_key("Ipv4Prefix.3"));
    for count in ["0", "11", "-1", "1.5", "abc", "", "01"] {
        c.call(
            A,
            &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", count)],
        )
        .await
        .assert_error(400, INVALID)
        .assert_message(&bad_key("Ipv4PrefixCount"));
    }
    // Syntax comes before the ENI lookup (row 8).
    c.call(
        A,
        &[
            ("NetworkInterfaceId", "eni-nope"),
            ("Ipv4PrefixCount", "11"),
        ],
    )
    .await
    .assert_error(400, INVALID);
    c.call(
        A,
        &[
            ("NetworkInterfaceId", "eni-nope"),
            ("Ipv4PrefixCount", "10"),
        ],
    )
    .await
    .assert_error(404, "InvalidEniId.NotFound");
    assert!(prefixes_of(&c, &eni).await.is_empty());
}

#[tokio::test]
async fn row13_outside_or_holding_a_reserved_address() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    for (prefix, why) in [
        ("192.168.1.0/28", "another VSwitch's block"),
        ("10.0.0.0/28", "outside the VPC"),
        ("192.168.0.0/28", "holds the network address"),
        ("192.168.0.240/28", "holds the last three addresses"),
    ] {
        c.call(
            A,
            &[
                ("NetworkInterfaceId", &eni),
                ("Ipv4Prefix.1", "192.168.0.48/28"),
                ("Ipv4Prefix.2", prefix),
            ],
        )
        .await
        .assert_error(403, "InvalidVSwitchId.IpInvalid")
        .assert_message(&format!(
            "The specified IpAddress “{prefix}” is not valid in VSwitch CIDR block “192.168.0.0/24”."
        ));
        assert!(prefixes_of(&c, &eni).await.is_empty(), "{why}: not atomic");
    }
}

#[tokio::test]
async fn row14_overlap_with_addresses_and_prefixes_in_use() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let other = c.create_eni(MAIN_VSW, &[]).await;
    // 192.168.0.200 is the running instance's primary address.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
            ("Ipv4Prefix.2", "192.168.0.192/28"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    assert!(prefixes_of(&c, &eni).await.is_empty(), "not atomic");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &other),
            ("Ipv4Prefix.1", "192.168.0.64/28"),
        ],
    )
    .await
    .assert_ok();
    // A prefix held by another ENI, or by the same one.
    for target in [&eni, &other] {
        c.call(
            A,
            &[
                ("NetworkInterfaceId", target),
                ("Ipv4Prefix.1", "192.168.0.64/28"),
            ],
        )
        .await
        .assert_error(403, "InvalidIp.IpAssigned");
    }
    // An address inside a prefix in use, and a primary address placed there.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("PrivateIpAddress.1", "192.168.0.70"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    c.call(
        "CreateNetworkInterface",
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("PrimaryIpAddress", "192.168.0.79"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn row15_each_prefix_takes_one_slot_of_the_cap() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "45"),
        ],
    )
    .await
    .assert_ok();
    // 45 + 5 = 50 over the Available cap of 49.
    c.call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "5")])
        .await
        .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    assert!(prefixes_of(&c, &eni).await.is_empty());
    let v = c
        .call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "4")])
        .await
        .assert_ok();
    assert_eq!(assigned_prefixes(&v).len(), 4);
    // Full: an address does not fit either.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn row16_free_aligned_blocks_run_out() {
    let c = current();
    let eni = c.create_eni(PFX_VSW, &[]).await;
    c.call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "3")])
        .await
        .assert_error(403, "InvalidVSwitchId.IpNotEnough")
        .assert_message(&format!(
            "The specified VSwitch \"{PFX_VSW}\" has not enough IpAddress."
        ));
    let v = c
        .call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "2")])
        .await
        .assert_ok();
    let got: BTreeSet<String> = assigned_prefixes(&v).into_iter().collect();
    let want: BTreeSet<String> = ["192.168.2.16/28", "192.168.2.32/28"]
        .map(String::from)
        .into();
    assert_eq!(got, want);
    c.call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "1")])
        .await
        .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    // The prefixes' 32 addresses count as used: 60 usable, the primary and 32 taken, 27 left.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "28"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "27"),
        ],
    )
    .await
    .assert_ok();
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn client_token_replay_covers_prefixes() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let params = [
        ("NetworkInterfaceId", eni.as_str()),
        ("Ipv4PrefixCount", "1"),
        ("ClientToken", "pfx-token-1"),
    ];
    let first = c.call(A, &params).await.assert_ok();
    let again = c.call(A, &params).await.assert_ok();
    assert_eq!(
        first["AssignedPrivateIpAddressesSet"],
        again["AssignedPrivateIpAddressesSet"]
    );
    assert_eq!(
        prefixes_of(&c, &eni).await.len(),
        1,
        "replay allocated again"
    );
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4PrefixCount", "2"),
            ("ClientToken", "pfx-token-1"),
        ],
    )
    .await
    .assert_error(400, "IdempotentParameterMismatch");
    assert_eq!(prefixes_of(&c, &eni).await.len(), 1);
}

#[tokio::test]
async fn seed_profile_ignores_prefix_parameters() {
    let c = Client::builtin();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    // Unknown parameters: the request is "neither" of row 2.
    c.call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "1")])
        .await
        .assert_error(400, "InValidParameter")
        .assert_message(
            "the parameter(s) “PrivateIpAddress.N/SecondaryPrivateIpAddressCount” provided is(are) invalid.",
        );
    let v = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", &eni),
                ("SecondaryPrivateIpAddressCount", "1"),
                ("Ipv4Prefix.1", "192.168.0.64/28"),
                ("Ipv4PrefixCount", "1"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(Client::assigned(&v).len(), 1);
    assert!(
        v["AssignedPrivateIpAddressesSet"]
            .get("Ipv4PrefixSet")
            .is_none()
    );
    assert!(prefixes_of(&c, &eni).await.is_empty());
}

const U: &str = "UnassignPrivateIpAddresses";

#[tokio::test]
async fn unassign_removes_exactly_the_named_prefixes() {
    let c = current();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let other = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
            ("Ipv4Prefix.2", "192.168.0.64/28"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &other),
            ("Ipv4Prefix.1", "192.168.0.96/28"),
        ],
    )
    .await
    .assert_ok();
    let secondary = c
        .call(
            A,
            &[
                ("NetworkInterfaceId", &eni),
                ("PrivateIpAddress.1", "192.168.0.90"),
            ],
        )
        .await
        .assert_ok();
    assert_eq!(Client::assigned(&secondary), ["192.168.0.90"]);
    // Not both lists.
    c.call(
        U,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
            ("PrivateIpAddress.1", "192.168.0.90"),
        ],
    )
    .await
    .assert_error(400, INVALID);
    // Syntax: key, value, duplicate.
    for (key, value) in [
        ("Ipv4Prefix.11", "192.168.0.48/28"),
        ("Ipv4Prefix.1", "192.168.0.49/28"),
    ] {
        c.call(U, &[("NetworkInterfaceId", &eni), (key, value)])
            .await
            .assert_error(400, INVALID);
    }
    c.call(
        U,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
            ("Ipv4Prefix.2", "192.168.0.48/28"),
        ],
    )
    .await
    .assert_error(400, INVALID);
    // A prefix of another ENI, or held by nobody: nothing changes (atomic).
    for missing in ["192.168.0.96/28", "192.168.0.112/28"] {
        c.call(
            U,
            &[
                ("NetworkInterfaceId", &eni),
                ("Ipv4Prefix.1", "192.168.0.48/28"),
                ("Ipv4Prefix.2", missing),
            ],
        )
        .await
        .assert_error(403, "InvalidIp.IpUnassigned")
        .assert_message(&format!(
            "The specified IP “{missing}” is not assigned on this ENI."
        ));
    }
    assert_eq!(prefixes_of(&c, &eni).await.len(), 2);
    c.call(
        U,
        &[
            ("NetworkInterfaceId", &eni),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
        ],
    )
    .await
    .assert_ok();
    let left: BTreeSet<String> = ["192.168.0.64/28".to_owned()].into();
    assert_eq!(prefixes_of(&c, &eni).await, left);
    assert_eq!(c.secondaries(&eni).await, ["192.168.0.90"]);
    assert_eq!(prefixes_of(&c, &other).await.len(), 1);
    c.emulator.check_invariants().unwrap();
    // The freed block can be assigned again, and its addresses too.
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &other),
            ("PrivateIpAddress.1", "192.168.0.50"),
        ],
    )
    .await
    .assert_ok();
    // Under seed, `Ipv4Prefix.N` is unknown: no address list at all.
    let seed = Client::builtin();
    seed.call(
        U,
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("Ipv4Prefix.1", "192.168.0.48/28"),
        ],
    )
    .await
    .assert_error(400, "MissingParameter");
}

const C: &str = "CreateNetworkInterface";

#[tokio::test]
async fn create_with_prefixes_and_delete_frees_them() {
    let c = current();
    let base = [("VSwitchId", PFX_VSW), ("SecurityGroupId", SG)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut p = base.to_vec();
        p.extend_from_slice(extra);
        p
    };
    // Not with secondary addresses, nor both prefix kinds.
    for extra in [
        [
            ("Ipv4PrefixCount", "1"),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
        [
            ("Ipv4Prefix.1", "192.168.2.16/28"),
            ("PrivateIpAddress.1", "192.168.2.50"),
        ],
        [
            ("Ipv4Prefix.1", "192.168.2.16/28"),
            ("Ipv4PrefixCount", "1"),
        ],
    ] {
        c.call(C, &with(&extra)).await.assert_error(400, INVALID);
    }
    for extra in [
        ("Ipv4Prefix.1", "192.168.2.17/28"),
        ("Ipv4Prefix.11", "192.168.2.16/28"),
        ("Ipv4PrefixCount", "0"),
        ("Ipv4PrefixCount", "11"),
    ] {
        c.call(C, &with(&[extra])).await.assert_error(400, INVALID);
    }
    // Reserved-holding block; the requested primary inside the requested prefix.
    c.call(C, &with(&[("Ipv4Prefix.1", "192.168.2.48/28")]))
        .await
        .assert_error(403, "InvalidVSwitchId.IpInvalid");
    c.call(
        C,
        &with(&[
            ("Ipv4Prefix.1", "192.168.2.16/28"),
            ("PrimaryIpAddress", "192.168.2.20"),
        ]),
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
    // Two blocks can be prefixes; a primary placed in one leaves one.
    c.call(
        C,
        &with(&[
            ("Ipv4PrefixCount", "2"),
            ("PrimaryIpAddress", "192.168.2.20"),
        ]),
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    c.call(C, &with(&[("Ipv4PrefixCount", "3")]))
        .await
        .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    assert!(
        c.emulator
            .network_interfaces()
            .iter()
            .all(|e| e.vswitch_id != PFX_VSW)
    );

    let v = c
        .call(C, &with(&[("Ipv4PrefixCount", "2")]))
        .await
        .assert_ok();
    let eni = v["NetworkInterfaceId"].as_str().unwrap().to_owned();
    let want: BTreeSet<String> = ["192.168.2.16/28", "192.168.2.32/28"]
        .map(String::from)
        .into();
    assert_eq!(shown_prefixes(&v), want, "{v}");
    assert_eq!(prefixes_of(&c, &eni).await, want);
    let primary: std::net::Ipv4Addr = v["PrivateIpAddress"].as_str().unwrap().parse().unwrap();
    for p in &want {
        let net: ipnet::Ipv4Net = p.parse().unwrap();
        assert!(!net.contains(&primary), "primary {primary} inside {p}");
    }
    c.emulator.check_invariants().unwrap();
    c.call(C, &with(&[("Ipv4PrefixCount", "1")]))
        .await
        .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    c.call("DeleteNetworkInterface", &[("NetworkInterfaceId", &eni)])
        .await
        .assert_ok();
    c.clock.advance(std::time::Duration::from_secs(3));
    assert_eq!(c.status_of(&eni).await, "gone");
    c.emulator.check_invariants().unwrap();
    // Freed: the same blocks can be named again.
    let v = c
        .call(
            C,
            &with(&[
                ("Ipv4Prefix.1", "192.168.2.32/28"),
                ("Ipv4Prefix.2", "192.168.2.16/28"),
            ]),
        )
        .await
        .assert_ok();
    assert_eq!(shown_prefixes(&v), want);
    c.emulator.check_invariants().unwrap();
}

#[tokio::test]
async fn create_client_token_replay_covers_prefixes() {
    let c = current();
    let params = [
        ("VSwitchId", MAIN_VSW),
        ("SecurityGroupId", SG),
        ("Ipv4PrefixCount", "3"),
        ("ClientToken", "create-pfx-1"),
    ];
    let first = c.call(C, &params).await.assert_ok();
    let before = c.emulator.network_interfaces().len();
    let again = c.call(C, &params).await.assert_ok();
    assert_eq!(first["NetworkInterfaceId"], again["NetworkInterfaceId"]);
    assert_eq!(shown_prefixes(&first), shown_prefixes(&again));
    assert_eq!(shown_prefixes(&first).len(), 3);
    assert_eq!(c.emulator.network_interfaces().len(), before);
    let mut other = params.to_vec();
    other[2] = ("Ipv4PrefixCount", "2");
    c.call(C, &other)
        .await
        .assert_error(400, "IdempotentParameterMismatch");
    assert_eq!(c.emulator.network_interfaces().len(), before);
}

#[tokio::test]
async fn seed_profile_create_ignores_prefix_parameters() {
    let c = Client::builtin();
    let v = c
        .call(
            C,
            &[
                ("VSwitchId", MAIN_VSW),
                ("SecurityGroupId", SG),
                ("Ipv4PrefixCount", "2"),
            ],
        )
        .await
        .assert_ok();
    assert!(v.get("Ipv4PrefixSets").is_none(), "{v}");
}

const ATTR: &str = "DescribeNetworkInterfaceAttribute";

#[tokio::test]
async fn attribute_basic_shows_the_attachment() {
    let c = current();
    let v = c
        .call(
            ATTR,
            &[("NetworkInterfaceId", RUNNING_ENI), ("Attribute", "basic")],
        )
        .await
        .assert_ok();
    assert_eq!(v["Attachment"]["InstanceId"], RUNNING, "{v}");
    for field in [
        "Status",
        "Type",
        "VSwitchId",
        "InstanceId",
        "PrivateIpAddress",
        "PrivateIpSets",
    ] {
        assert!(v.get(field).is_some(), "{field} missing: {v}");
    }
    let xml = c
        .call(
            ATTR,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("Attribute", "basic"),
                ("Format", "XML"),
            ],
        )
        .await;
    assert!(
        xml.body.contains(&format!(
            "<Attachment><InstanceId>{RUNNING}</InstanceId></Attachment>"
        )),
        "{}",
        xml.body
    );
    // An ENI attached to nothing has no attachment; without the parameter nothing changes.
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let v = c
        .call(
            ATTR,
            &[("NetworkInterfaceId", &eni), ("Attribute", "basic")],
        )
        .await
        .assert_ok();
    assert!(v.get("Attachment").is_none(), "{v}");
    let plain = attribute(&c, RUNNING_ENI).await;
    assert!(plain.get("Attachment").is_none(), "{plain}");
    c.call(
        ATTR,
        &[("NetworkInterfaceId", RUNNING_ENI), ("Attribute", "full")],
    )
    .await
    .assert_error(400, INVALID);
    // Under seed, `Attribute` is unknown and ignored.
    let seed = Client::builtin();
    let v = seed
        .call(
            ATTR,
            &[("NetworkInterfaceId", RUNNING_ENI), ("Attribute", "full")],
        )
        .await
        .assert_ok();
    assert!(v.get("Attachment").is_none(), "{v}");
}

#[tokio::test]
async fn variant_worlds_allocate_free_aligned_blocks_too() {
    for seed in 1..=8 {
        let c = Client::with(|c| {
            c.contract = ContractProfile::current();
            c.variant = Some(seed);
        });
        let vswitch = c.emulator.world().vswitches[0].id.clone();
        let eni = c.create_eni(&vswitch, &[]).await;
        let v = c
            .call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "6")])
            .await
            .assert_ok();
        let got = assigned_prefixes(&v);
        assert_eq!(got.len(), 6, "seed {seed}: {v}");
        assert_eq!(
            prefixes_of(&c, &eni).await,
            got.iter().cloned().collect::<BTreeSet<_>>()
        );
        // The invariants include: aligned, usable, disjoint from every address and prefix.
        c.emulator
            .check_invariants()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

/// The `alternative_codes` knob answers row 16 with the code the `current` contract also
/// accepts, and changes nothing else: the request still takes nothing, the cap still answers
/// its own code.
#[tokio::test]
async fn alternative_codes_answer_row16_with_the_quota_code() {
    let c = Client::with(|c| {
        c.contract = ContractProfile::current();
        c.alternative_codes = true;
    });
    let eni = c.create_eni(PFX_VSW, &[]).await;
    c.call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "3")])
        .await
        .assert_error(403, "QuotaExceeded.PrivateIpAddress");
    c.call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "2")])
        .await
        .assert_ok();
    c.call(A, &[("NetworkInterfaceId", &eni), ("Ipv4PrefixCount", "1")])
        .await
        .assert_error(403, "QuotaExceeded.PrivateIpAddress");
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "48"),
        ],
    )
    .await
    .assert_error(403, "MaxEniPrivateIpsCountExceeded");
    c.emulator.check_invariants().unwrap();
}
