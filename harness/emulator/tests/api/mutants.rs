//! Tests written to kill mutants the rest of the emulator's tests let live (cargo-mutants over the
//! rule code; README, "Mutation testing"): each names the rule it pins and the mutant it catches.

use std::time::Duration;

use crate::common::*;
use eni_emulator::Defect;

const A: &str = "AssignPrivateIpAddresses";
const U: &str = "UnassignPrivateIpAddresses";

/// A successful unassign starts a task like assign does: the ENI answers `Operation.Conflict`
/// until it ends (unassign.rs, `if !task.is_zero()`).
#[tokio::test]
async fn unassign_leaves_the_eni_busy_for_the_task() {
    let c = Client::with(|c| c.timings.task = Duration::from_secs(3));
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let assign = [
        ("NetworkInterfaceId", eni.as_str()),
        ("PrivateIpAddress.1", "192.168.0.50"),
    ];
    c.call(A, &assign).await.assert_ok();
    c.clock.advance(Duration::from_secs(3));
    let unassign = [
        ("NetworkInterfaceId", eni.as_str()),
        ("PrivateIpAddress.1", "192.168.0.50"),
    ];
    c.call(U, &unassign).await.assert_ok();
    c.call(A, &assign)
        .await
        .assert_error(403, "Operation.Conflict");
    c.clock.advance(Duration::from_secs(3));
    c.call(A, &assign).await.assert_ok();
}

/// With `unassign-missing-accepted` planted, the defect skips only the addresses the ENI does not
/// hold: the ones it holds still go, and another ENI's address stays in use (unassign.rs, the
/// `retain` under the defect: `||` for `&&`, `==` for `!=`).
#[tokio::test]
async fn unassign_missing_accepted_still_removes_held_and_frees_nothing_else() {
    let c = Client::with(|c| c.defects = vec![Defect::UnassignMissingAccepted]);
    let mine = c.create_eni(MAIN_VSW, &[]).await;
    let other = c.create_eni(MAIN_VSW, &[]).await;
    for (eni, ip) in [(&mine, "192.168.0.50"), (&other, "192.168.0.51")] {
        c.call(
            A,
            &[("NetworkInterfaceId", eni), ("PrivateIpAddress.1", ip)],
        )
        .await
        .assert_ok();
    }
    c.call(
        U,
        &[
            ("NetworkInterfaceId", &mine),
            ("PrivateIpAddress.1", "192.168.0.50"),
            ("PrivateIpAddress.2", "192.168.0.51"),
        ],
    )
    .await
    .assert_ok();
    assert!(c.secondaries(&mine).await.is_empty());
    assert_eq!(c.secondaries(&other).await, ["192.168.0.51"]);
    c.call(
        A,
        &[
            ("NetworkInterfaceId", &mine),
            ("PrivateIpAddress.1", "192.168.0.51"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
}

/// The same for an unassign of IPv4 prefixes (unassign.rs, `unassign_prefixes`).
#[tokio::test]
async fn unassign_of_prefixes_leaves_the_eni_busy_for_the_task() {
    let c = Client::with(|c| {
        c.contract = eni_emulator::ContractProfile::current();
        c.timings.task = Duration::from_secs(3);
    });
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    let prefix = [
        ("NetworkInterfaceId", eni.as_str()),
        ("Ipv4Prefix.1", "192.168.0.64/28"),
    ];
    c.call(A, &prefix).await.assert_ok();
    c.clock.advance(Duration::from_secs(3));
    c.call(U, &prefix).await.assert_ok();
    c.call(A, &prefix)
        .await
        .assert_error(403, "Operation.Conflict");
    c.clock.advance(Duration::from_secs(3));
    c.call(A, &prefix).await.assert_ok();
}

/// The caps are inclusive at both ends of an ENI's life: an ENI holding exactly the instance
/// type's secondaries attaches (ecs.g6.large: 6 addresses, primary included), and an InUse ENI
/// holding exactly the `Available` cap (10 under the seed contract) detaches (attach_detach.rs,
/// `>` for `>=` in attach and in detach).
#[tokio::test]
async fn an_eni_exactly_at_the_cap_attaches_and_detaches() {
    let c = Client::builtin();
    let five = c
        .create_eni(MAIN_VSW, &[("SecondaryPrivateIpAddressCount", "5")])
        .await;
    c.call(
        "AttachNetworkInterface",
        &[("NetworkInterfaceId", &five), ("InstanceId", RUNNING)],
    )
    .await
    .assert_ok();
    let ten = c
        .create_eni(MAIN_VSW, &[("SecondaryPrivateIpAddressCount", "10")])
        .await;
    let pair = [
        ("NetworkInterfaceId", ten.as_str()),
        ("InstanceId", STOPPED),
    ];
    c.call("AttachNetworkInterface", &pair).await.assert_ok();
    c.clock.advance(Duration::from_secs(600));
    c.call("DetachNetworkInterface", &pair).await.assert_ok();
}

/// An error no contract row names is journaled under the action's short name and the code
/// (`create.MissingParameter`); unassign's rows carry unassign's names (mod.rs,
/// `Action::short_name`, and the `Action::Unassign` arm of `Action::row`).
#[tokio::test]
async fn journal_rules_are_named_after_the_action() {
    let (c, entries) = crate::journal::journaled();
    let calls: [(&str, &[(&str, &str)]); 11] = [
        (U, &[]),
        (
            U,
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress. 1", "192.168.0.9"),
            ],
        ),
        ("CreateNetworkInterface", &[]),
        ("DeleteNetworkInterface", &[]),
        ("AttachNetworkInterface", &[]),
        ("DetachNetworkInterface", &[]),
        ("DescribeNetworkInterfaces", &[("Status", "Bogus")]),
        ("DescribeNetworkInterfaceAttribute", &[]),
        ("DescribeInstances", &[("Status", "Bogus")]),
        ("DescribeVSwitches", &[("PageSize", "0")]),
        ("DescribeSecurityGroups", &[("PageSize", "0")]),
    ];
    for (action, params) in calls {
        let reply = c.call(action, params).await;
        assert!(reply.status >= 400, "{action}: {}", reply.body);
    }
    let rules: Vec<String> = entries
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.rule.clone())
        .collect();
    assert_eq!(
        rules,
        [
            "unassign.row-1",
            "unassign.row-3",
            "create.MissingParameter",
            "delete.MissingParameter",
            "attach.MissingParameter",
            "detach.MissingParameter",
            "describe.InValidParameter",
            "describe-attribute.MissingParameter",
            "describe-instances.InValidParameter",
            "describe-vswitches.InValidParameter",
            "describe-security-groups.InValidParameter",
        ]
    );
}

/// With `duplicate-across-enis` planted only other ENIs' addresses pass: the ENI's own
/// secondary and its own primary are still refused (mod.rs, `address_held` under the defect:
/// `&&` for `||`).
#[tokio::test]
async fn duplicate_across_enis_still_refuses_the_enis_own_addresses() {
    let c = Client::with(|c| c.defects = vec![Defect::DuplicateAcrossEnis]);
    let assign = |ip: &'static str| {
        [
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.1", ip),
        ]
    };
    c.call(A, &assign("192.168.0.50")).await.assert_ok();
    c.call(A, &assign("192.168.0.50"))
        .await
        .assert_error(403, "InvalidIp.IpAssigned");
    // The running instance's primary address.
    c.call(A, &assign("192.168.0.200"))
        .await
        .assert_error(403, "InvalidIp.IpAssigned");
}

/// With `address-inside-prefix-accepted` planted, only prefixes are overlooked: an address
/// inside another ENI's prefix passes, while another ENI's secondary or primary address is still
/// refused and a free one still assigned (mod.rs, `holds_address`: each of its answers, `&&` for
/// `||`, `!=` for `==`).
#[tokio::test]
async fn address_inside_prefix_accepted_still_sees_addresses() {
    let c = Client::with(|c| {
        c.contract = eni_emulator::ContractProfile::current();
        c.defects = vec![Defect::AddressInsidePrefixAccepted];
    });
    let holder = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", holder.as_str()),
            ("Ipv4Prefix.1", "192.168.0.64/28"),
        ],
    )
    .await
    .assert_ok();
    let other = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", other.as_str()),
            ("PrivateIpAddress.1", "192.168.0.50"),
        ],
    )
    .await
    .assert_ok();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    for (ip, held) in [
        ("192.168.0.50", true),
        ("192.168.0.200", true),
        ("192.168.0.70", false),
        ("192.168.0.120", false),
    ] {
        let reply = c
            .call(
                A,
                &[
                    ("NetworkInterfaceId", eni.as_str()),
                    ("PrivateIpAddress.1", ip),
                ],
            )
            .await;
        if held {
            reply.assert_error(403, "InvalidIp.IpAssigned");
        } else {
            reply.assert_ok();
        }
    }
}

/// With `prefix-overlap-accepted` planted, a prefix overlapping another ENI's prefix passes, but
/// one holding another ENI's secondary or primary address is still refused (mod.rs,
/// `prefix_held` and `holds_address` under the defect).
#[tokio::test]
async fn prefix_overlap_accepted_still_sees_addresses() {
    let c = Client::with(|c| {
        c.contract = eni_emulator::ContractProfile::current();
        c.defects = vec![Defect::PrefixOverlapAccepted];
    });
    let holder = c.create_eni(MAIN_VSW, &[]).await;
    c.call(
        A,
        &[
            ("NetworkInterfaceId", holder.as_str()),
            ("Ipv4Prefix.1", "192.168.0.64/28"),
            ("Ipv4Prefix.2", "192.168.0.96/28"),
        ],
    )
    .await
    .assert_ok();
    c.call(
        A,
        &[
            ("NetworkInterfaceId", holder.as_str()),
            ("PrivateIpAddress.1", "192.168.0.50"),
        ],
    )
    .await
    .assert_ok();
    let eni = c.create_eni(MAIN_VSW, &[]).await;
    for (prefix, held) in [
        ("192.168.0.48/28", true),
        ("192.168.0.192/28", true),
        ("192.168.0.64/28", false),
        ("192.168.0.128/28", false),
    ] {
        let reply = c
            .call(
                A,
                &[
                    ("NetworkInterfaceId", eni.as_str()),
                    ("Ipv4Prefix.1", prefix),
                ],
            )
            .await;
        if held {
            reply.assert_error(403, "InvalidIp.IpAssigned");
        } else {
            reply.assert_ok();
        }
    }
}

const DI: &str = "DescribeInstances";
const DV: &str = "DescribeVSwitches";
const DS: &str = "DescribeSecurityGroups";
const VPC: &str = "vpc-bp1emu000000000000001";
const ZONE: &str = "cn-hangzhou-h";

fn ids_of(list: &serde_json::Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

/// Every filter of the read-only actions keeps what matches and drops what does not
/// (inventory.rs, each `is_none_or` clause of the three listings: `!=` for `==`, `||` for
/// `&&`).
#[tokio::test]
async fn inventory_filters_keep_what_matches_and_drop_the_rest() {
    let c = Client::builtin();
    let sg_list = format!("[\"{SG}\"]");
    let cases: [(&str, &str, &str, u64); 16] = [
        (DI, "ZoneId", ZONE, 3),
        (DI, "ZoneId", "cn-hangzhou-x", 0),
        (DI, "VpcId", VPC, 3),
        (DI, "VpcId", "vpc-other", 0),
        (DI, "VSwitchId", MAIN_VSW, 3),
        (DI, "Status", "Running", 1),
        (DI, "InstanceType", "ecs.g6.large", 2),
        (DV, "ZoneId", ZONE, 3),
        (DV, "ZoneId", "cn-hangzhou-x", 0),
        (DV, "VpcId", VPC, 3),
        (DV, "VSwitchId", SMALL_VSW, 1),
        (DS, "SecurityGroupId", SG, 1),
        (DS, "SecurityGroupId", "sg-other", 0),
        (DS, "SecurityGroupIds", &sg_list, 1),
        (DS, "VpcId", VPC, 1),
        (DS, "VpcId", "vpc-other", 0),
    ];
    for (action, key, value, total) in cases {
        let v = c.call(action, &[(key, value)]).await.assert_ok();
        assert_eq!(v["TotalCount"], total, "{action} {key}={value}");
    }
}

/// A JSON id list takes up to 100 ids, not one more (inventory.rs, `json_ids`: `>=` or `==`
/// for `>`).
#[tokio::test]
async fn json_id_lists_take_a_hundred_ids() {
    let c = Client::builtin();
    let mut list: Vec<String> = (1..100).map(|i| format!("i-{i}")).collect();
    list.push(RUNNING.to_owned());
    let hundred = serde_json::to_string(&list).unwrap();
    let v = c.call(DI, &[("InstanceIds", &hundred)]).await.assert_ok();
    assert_eq!(v["TotalCount"], 1);
    list.push("i-101".to_owned());
    let more = serde_json::to_string(&list).unwrap();
    c.call(DI, &[("InstanceIds", &more)])
        .await
        .assert_error(400, "InValidParameter");
}

/// `NextToken` paging: the last page (ending exactly at the total) carries an empty token, a
/// token alone pages too, and a token must be the 16 hex digits the emulator issues
/// (inventory.rs, `page`'s `<=` for `<`, `paging`'s `&&` for `||`, `parse_token`'s `||` for
/// `&&`).
#[tokio::test]
async fn next_token_paging_at_its_edges() {
    let c = Client::builtin();
    let v = c.call(DI, &[("MaxResults", "3")]).await.assert_ok();
    assert_eq!(v["NextToken"], "");
    assert_eq!(v["Instances"]["Instance"].as_array().unwrap().len(), 3);
    let v = c.call(DI, &[("MaxResults", "2")]).await.assert_ok();
    assert_eq!(v["NextToken"], "0000000000000002");
    let v = c
        .call(DI, &[("NextToken", "0000000000000002")])
        .await
        .assert_ok();
    assert_eq!(v["NextToken"], "");
    assert_eq!(v["Instances"]["Instance"].as_array().unwrap().len(), 1);
    for bad in ["2", "02", "000000000000000g", "00000000000000002"] {
        c.call(DI, &[("NextToken", bad)])
            .await
            .assert_error(400, "InValidParameter");
    }
}

/// An instance lists every ENI attached to it, by id, and its primary ENI's VSwitch and address
/// — not another ENI's (inventory.rs, `primary_eni`'s clauses, the interface filter, and
/// `sorted_by_id`/`first_text`). Over three emulators, since the ENI table's order is random.
#[tokio::test]
async fn instances_list_their_enis_by_id_and_their_primary() {
    for _ in 0..3 {
        let c = Client::builtin();
        let mut on_stopped = vec![STOPPED_ENI.to_owned()];
        for _ in 0..3 {
            let eni = c.create_eni(MAIN_VSW, &[]).await;
            c.call(
                "AttachNetworkInterface",
                &[
                    ("NetworkInterfaceId", eni.as_str()),
                    ("InstanceId", STOPPED),
                ],
            )
            .await
            .assert_ok();
            on_stopped.push(eni);
        }
        on_stopped.sort();
        let v = c.call(DI, &[]).await.assert_ok();
        for instance in v["Instances"]["Instance"].as_array().unwrap() {
            let id = instance["InstanceId"].as_str().unwrap();
            let (primary, ip) = match id {
                RUNNING => (RUNNING_ENI, "192.168.0.200"),
                STOPPED => (STOPPED_ENI, "192.168.0.201"),
                _ => (STARTING_ENI, "192.168.0.202"),
            };
            let nics = &instance["NetworkInterfaces"]["NetworkInterface"];
            let listed = ids_of(nics, "NetworkInterfaceId");
            if id == STOPPED {
                assert_eq!(listed, on_stopped);
            } else {
                assert_eq!(listed, [primary]);
            }
            for nic in nics.as_array().unwrap() {
                let kind = if nic["NetworkInterfaceId"] == primary {
                    "Primary"
                } else {
                    "Secondary"
                };
                assert_eq!(nic["Type"], kind, "{id}: {nic}");
            }
            let vpc = &instance["VpcAttributes"];
            assert_eq!(vpc["VSwitchId"], MAIN_VSW, "{id}");
            assert_eq!(
                vpc["PrivateIpAddress"]["IpAddress"],
                serde_json::json!([ip]),
                "{id}"
            );
        }
    }
}

/// A variant's ENIs of another tenant are numbered one after another over the whole world,
/// `other-tenant-1` first (model.rs, `add_foreign_enis`: `-=` or `*=` for `+=`).
#[tokio::test]
async fn foreign_enis_are_numbered_from_one() {
    for seed in [1, 2, 3] {
        let c = Client::with(|c| c.variant = Some(seed));
        let mut names = Vec::new();
        for vswitch in [MAIN_VSW, SMALL_VSW, "vsw-bp1prefix000000000001"] {
            for eni in crate::variant::foreign(&c, vswitch).await {
                names.push(eni["NetworkInterfaceName"].as_str().unwrap().to_owned());
            }
        }
        names.sort_by_key(|n| {
            n.strip_prefix("other-tenant-")
                .and_then(|k| k.parse::<u32>().ok())
        });
        let expected: Vec<String> = (1..=names.len())
            .map(|k| format!("other-tenant-{k}"))
            .collect();
        assert!(names.len() >= 3, "seed {seed}: {names:?}");
        assert_eq!(names, expected, "seed {seed}");
    }
}

const C: &str = "CreateNetworkInterface";
const PFX_VSW: &str = "vsw-bp1prefix000000000001";

fn current() -> Client {
    Client::with(|c| c.contract = eni_emulator::ContractProfile::current())
}

/// `SecurityGroupIds.N` alone names the groups, and a group named twice (there and in
/// `SecurityGroupId`) is held once (create.rs, the collection of groups: `!` deleted, `!=` for
/// `==`).
#[tokio::test]
async fn create_takes_each_security_group_once() {
    let c = Client::builtin();
    for params in [
        &[("VSwitchId", MAIN_VSW), ("SecurityGroupIds.1", SG)][..],
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("SecurityGroupIds.1", SG),
        ][..],
    ] {
        let v = c.call(C, params).await.assert_ok();
        assert_eq!(
            v["SecurityGroupIds"]["SecurityGroupId"],
            serde_json::json!([SG]),
            "{params:?}"
        );
    }
}

/// A name of 128 characters and a description of 256 pass (counted in characters, not bytes);
/// one more is refused (create.rs, `>=` or `==` for `>`).
#[tokio::test]
async fn create_name_and_description_lengths_at_their_limits() {
    let c = Client::builtin();
    for (key, limit) in [("NetworkInterfaceName", 128), ("Description", 256)] {
        let fits = "é".repeat(limit);
        let v = c
            .call(
                C,
                &[
                    ("VSwitchId", MAIN_VSW),
                    ("SecurityGroupId", SG),
                    (key, &fits),
                ],
            )
            .await
            .assert_ok();
        assert_eq!(v[key], fits.as_str());
        let over = "é".repeat(limit + 1);
        c.call(
            C,
            &[
                ("VSwitchId", MAIN_VSW),
                ("SecurityGroupId", SG),
                (key, &over),
            ],
        )
        .await
        .assert_error(400, "InValidParameter");
    }
}

/// Under the seed profile the prefix parameters of create are unknown and ignored (create.rs,
/// `max_prefixes > 0`: `>=` for `>`).
#[tokio::test]
async fn create_ignores_prefix_parameters_under_the_seed_profile() {
    let c = Client::builtin();
    let v = c
        .call(
            C,
            &[
                ("VSwitchId", MAIN_VSW),
                ("SecurityGroupId", SG),
                ("Ipv4Prefix.1", "192.168.0.64/28"),
                ("Ipv4PrefixCount", "1"),
            ],
        )
        .await
        .assert_ok();
    assert!(v.get("Ipv4PrefixSets").is_none(), "{v}");
}

/// Prefixes come beside the primary address only: with secondary addresses or a count, or a
/// prefix list with a prefix count, create answers the invalid-parameter code naming all four;
/// each alone passes (create.rs, the kinds check: each `||` and `&&`).
#[tokio::test]
async fn create_takes_one_kind_of_secondary_besides_the_primary() {
    let c = current();
    let prefix = ("Ipv4Prefix.1", "192.168.0.64/28");
    let prefix_count = ("Ipv4PrefixCount", "1");
    let list = ("PrivateIpAddress.1", "192.168.0.50");
    let count = ("SecondaryPrivateIpAddressCount", "1");
    for pair in [
        [prefix, list],
        [prefix, count],
        [prefix_count, list],
        [prefix_count, count],
        [prefix, prefix_count],
    ] {
        let mut params = vec![("VSwitchId", MAIN_VSW), ("SecurityGroupId", SG)];
        params.extend(pair);
        let reply = c.call(C, &params).await;
        reply.assert_error(400, "InvalidParameter");
        assert!(
            reply.message().contains(
                "PrivateIpAddress.N/SecondaryPrivateIpAddressCount/Ipv4Prefix.N/Ipv4PrefixCount"
            ),
            "{pair:?}: {}",
            reply.body
        );
    }
    for alone in [
        [("PrimaryIpAddress", "192.168.0.90"), prefix],
        [
            ("PrimaryIpAddress", "192.168.0.91"),
            ("Ipv4PrefixCount", "2"),
        ],
    ] {
        let mut params = vec![("VSwitchId", MAIN_VSW), ("SecurityGroupId", SG)];
        params.extend(alone);
        c.call(C, &params).await.assert_ok();
    }
}

/// A prefix holding the requested primary address is in use (create.rs, the prefix-in-use
/// check: `&&` for `||`).
#[tokio::test]
async fn create_refuses_a_prefix_over_its_own_primary() {
    let c = current();
    c.call(
        C,
        &[
            ("VSwitchId", MAIN_VSW),
            ("SecurityGroupId", SG),
            ("PrimaryIpAddress", "192.168.0.70"),
            ("Ipv4Prefix.1", "192.168.0.64/28"),
        ],
    )
    .await
    .assert_error(403, "InvalidIp.IpAssigned");
}

/// The /26 has exactly two free aligned blocks (`.16` and `.32`): a count of two takes them, a
/// count of three is refused, and so is two when the requested primary sits in one of them
/// (create.rs, the free-blocks check: `<=` or `==` for `<`, `!` deleted).
#[tokio::test]
async fn create_prefix_count_against_the_free_blocks() {
    let cases: [(&[(&str, &str)], bool); 4] = [
        (&[("Ipv4PrefixCount", "2")], true),
        (&[("Ipv4PrefixCount", "3")], false),
        (
            &[
                ("Ipv4PrefixCount", "2"),
                ("PrimaryIpAddress", "192.168.2.5"),
            ],
            true,
        ),
        (
            &[
                ("Ipv4PrefixCount", "2"),
                ("PrimaryIpAddress", "192.168.2.20"),
            ],
            false,
        ),
    ];
    for (extra, fits) in cases {
        let c = current();
        let mut params = vec![("VSwitchId", PFX_VSW), ("SecurityGroupId", SG)];
        params.extend_from_slice(extra);
        let reply = c.call(C, &params).await;
        if fits {
            let v = reply.assert_ok();
            assert_eq!(
                v["Ipv4PrefixSets"]["Ipv4PrefixSet"]
                    .as_array()
                    .map(Vec::len),
                Some(2),
                "{extra:?}: {v}"
            );
        } else {
            reply.assert_error(403, "InvalidVSwitchId.IpNotEnough");
        }
    }
}

/// The /29 has four usable addresses: a new ENI takes at most four in all, whether its primary
/// is picked or named and its secondaries counted or listed (create.rs, the free-addresses
/// check and the automatic count: each `+`, `*` and `<`).
#[tokio::test]
async fn create_fills_the_small_vswitch_exactly() {
    let cases: [(&[(&str, &str)], bool); 6] = [
        (&[("SecondaryPrivateIpAddressCount", "3")], true),
        (&[("SecondaryPrivateIpAddressCount", "4")], false),
        (
            &[
                ("PrimaryIpAddress", "192.168.1.1"),
                ("SecondaryPrivateIpAddressCount", "3"),
            ],
            true,
        ),
        (
            &[
                ("PrimaryIpAddress", "192.168.1.1"),
                ("SecondaryPrivateIpAddressCount", "4"),
            ],
            false,
        ),
        (
            &[
                ("PrivateIpAddress.1", "192.168.1.2"),
                ("PrivateIpAddress.2", "192.168.1.3"),
                ("PrivateIpAddress.3", "192.168.1.4"),
            ],
            true,
        ),
        (
            &[
                ("PrimaryIpAddress", "192.168.1.1"),
                ("PrivateIpAddress.1", "192.168.1.2"),
                ("PrivateIpAddress.2", "192.168.1.3"),
                ("PrivateIpAddress.3", "192.168.1.4"),
            ],
            true,
        ),
    ];
    for (extra, fits) in cases {
        let c = Client::builtin();
        let mut params = vec![("VSwitchId", SMALL_VSW), ("SecurityGroupId", SG)];
        params.extend_from_slice(extra);
        let reply = c.call(C, &params).await;
        if fits {
            let v = reply.assert_ok();
            let held = v["PrivateIpSets"]["PrivateIpSet"].as_array().map(Vec::len);
            assert_eq!(held, Some(4), "{extra:?}: {v}");
        } else {
            reply.assert_error(403, "InvalidVSwitchId.IpNotEnough");
        }
    }
}

/// Each prefix takes one slot of the `Available` cap on create, as on assign; with a profile
/// whose cap is below its prefix maximum a prefix count over the cap is refused, and the message
/// counts the prefixes (create.rs, the cap check and its message: `*` or `-` for `+`).
#[tokio::test]
async fn create_counts_prefixes_against_the_cap() {
    let c = Client::with(|c| {
        c.contract = eni_emulator::ContractProfile::current();
        c.contract.available_cap = 2;
    });
    let params = [
        ("VSwitchId", MAIN_VSW),
        ("SecurityGroupId", SG),
        ("Ipv4PrefixCount", "3"),
    ];
    let reply = c.call(C, &params).await;
    reply.assert_error(403, "MaxEniPrivateIpsCountExceeded");
    assert!(
        reply.message().contains("would hold 3 secondary"),
        "{}",
        reply.body
    );
    let fits = [
        ("VSwitchId", MAIN_VSW),
        ("SecurityGroupId", SG),
        ("Ipv4PrefixCount", "2"),
    ];
    c.call(C, &fits).await.assert_ok();
}

/// A seeded allocation is a fixed function of its seed: seed 42 hands out these addresses and
/// prefixes, in this order, in every build. A variant named in a report is reproduced by its
/// seed alone, so a change to the stream must be deliberate (model.rs, `allocate` and
/// `allocate_prefixes`: the start `%` replaced, the draw counter not advanced).
#[tokio::test]
async fn seeded_allocation_is_pinned_by_its_seed() {
    let c = Client::with(|c| {
        c.contract = eni_emulator::ContractProfile::current();
        c.allocation = eni_emulator::Allocation::Seeded(42);
    });
    let v = c
        .call(
            C,
            &[
                ("VSwitchId", MAIN_VSW),
                ("SecurityGroupId", SG),
                ("SecondaryPrivateIpAddressCount", "3"),
            ],
        )
        .await
        .assert_ok();
    let eni = v["NetworkInterfaceId"].as_str().unwrap().to_owned();
    let addresses = ids_of(&v["PrivateIpSets"]["PrivateIpSet"], "PrivateIpAddress");
    let mut prefixes = Vec::new();
    for _ in 0..2 {
        let v = c
            .call(
                A,
                &[
                    ("NetworkInterfaceId", eni.as_str()),
                    ("Ipv4PrefixCount", "2"),
                ],
            )
            .await
            .assert_ok();
        for p in v["AssignedPrivateIpAddressesSet"]["Ipv4PrefixSet"]["Ipv4Prefixes"]
            .as_array()
            .unwrap()
        {
            prefixes.push(p.as_str().unwrap().to_owned());
        }
    }
    // The primary first, then the three secondaries.
    assert_eq!(
        addresses,
        [
            "192.168.0.44",
            "192.168.0.252",
            "192.168.0.29",
            "192.168.0.154"
        ]
    );
    assert_eq!(
        prefixes,
        [
            "192.168.0.128/28",
            "192.168.0.160/28",
            "192.168.0.80/28",
            "192.168.0.96/28"
        ]
    );
}

/// With `prefix-and-address-mixed-accepted` planted, exactly one address kind beside exactly one
/// prefix kind passes (the prefixes are assigned, the addresses dropped); two of either kind are
/// still refused (assign.rs, `mixed_passes`: `!=` for `==`, `-` or `*` for `+`, on both sides).
#[tokio::test]
async fn mixed_kinds_defect_passes_one_of_each_only() {
    let c = Client::with(|c| {
        c.contract = eni_emulator::ContractProfile::current();
        c.defects = vec![Defect::PrefixAndAddressMixedAccepted];
    });
    let list = ("PrivateIpAddress.1", "192.168.0.50");
    let count = ("SecondaryPrivateIpAddressCount", "1");
    let prefix = ("Ipv4Prefix.1", "192.168.0.64/28");
    let prefix_count = ("Ipv4PrefixCount", "1");
    let cases: [(&[(&str, &str)], bool); 4] = [
        (&[list, prefix], true),
        (&[count, prefix_count], true),
        (&[list, count, prefix], false),
        (&[list, prefix, prefix_count], false),
    ];
    for (kinds, passes) in cases {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let mut params = vec![("NetworkInterfaceId", eni.as_str())];
        params.extend_from_slice(kinds);
        let reply = c.call(A, &params).await;
        if passes {
            let v = reply.assert_ok();
            let set = &v["AssignedPrivateIpAddressesSet"];
            assert_eq!(
                set["Ipv4PrefixSet"]["Ipv4Prefixes"]
                    .as_array()
                    .map(Vec::len),
                Some(1),
                "{kinds:?}: {v}"
            );
            assert!(c.secondaries(&eni).await.is_empty(), "{kinds:?}");
        } else {
            reply.assert_error(400, "InvalidParameter");
        }
    }
}

/// The planted defects that take their own road through the cap still apply it, inclusively:
/// `partial-assignment` lets a fresh ENI take exactly the `Available` cap (10 under the seed
/// contract) by list and refuses one more, and `prefix-not-counted` counts secondary addresses
/// (49 under the current contract, not 50) (assign.rs, both caps under their defects: `*` or
/// `-` for `+`, `>=` or `==` for `>`).
#[tokio::test]
async fn defects_with_their_own_cap_check_keep_the_cap() {
    let listed = |n: usize| -> Vec<(String, String)> {
        (1..=n)
            .map(|i| {
                (
                    format!("PrivateIpAddress.{i}"),
                    format!("192.168.0.{}", 10 + i),
                )
            })
            .collect()
    };
    for (n, fits) in [(10, true), (11, false)] {
        let c = Client::with(|c| c.defects = vec![Defect::PartialAssignment]);
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let list = listed(n);
        let mut params = vec![("NetworkInterfaceId", eni.as_str())];
        params.extend(list.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let reply = c.call(A, &params).await;
        if fits {
            reply.assert_ok();
            assert_eq!(c.secondaries(&eni).await.len(), n);
        } else {
            reply.assert_error(403, "MaxEniPrivateIpsCountExceeded");
            assert!(c.secondaries(&eni).await.is_empty());
        }
    }
    for (count, fits) in [("49", true), ("50", false)] {
        let c = Client::with(|c| {
            c.contract = eni_emulator::ContractProfile::current();
            c.defects = vec![Defect::PrefixNotCounted];
        });
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let reply = c
            .call(
                A,
                &[
                    ("NetworkInterfaceId", eni.as_str()),
                    ("SecondaryPrivateIpAddressCount", count),
                ],
            )
            .await;
        if fits {
            reply.assert_ok();
        } else {
            reply.assert_error(403, "MaxEniPrivateIpsCountExceeded");
        }
    }
}
