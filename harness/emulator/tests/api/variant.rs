//! Variant worlds: every free choice made otherwise than the reference, reproducibly from the
//! seed, and still within the contract.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::common::*;
use eni_emulator::{Config, World};
use ipnet::Ipv4Net;

fn variant(seed: u64) -> Client {
    Client::with(|c| c.variant = Some(seed))
}

fn variant_world() -> World {
    World::from_yaml(VARIANT_WORLD, "worlds/variant.yaml").unwrap()
}

/// The variant world served with variant `seed`.
fn variant_in_its_world(seed: u64) -> Client {
    let world = variant_world();
    Client::with(|c| {
        c.world = world;
        c.variant = Some(seed);
    })
}

fn ids_of(v: &serde_json::Value) -> Vec<String> {
    v["NetworkInterfaceSets"]["NetworkInterfaceSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["NetworkInterfaceId"].as_str().unwrap().to_owned())
        .collect()
}

fn addresses_of(entry: &serde_json::Value) -> Vec<Ipv4Addr> {
    entry["PrivateIpSets"]["PrivateIpSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["PrivateIpAddress"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Every ENI the emulator lists, over pages of the largest size.
async fn listing(c: &Client, filter: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let mut params = vec![("MaxResults", "500")];
    params.extend_from_slice(filter);
    let v = c
        .call("DescribeNetworkInterfaces", &params)
        .await
        .assert_ok();
    assert_eq!(v["NextToken"], "", "one page holds them all");
    v["NetworkInterfaceSets"]["NetworkInterfaceSet"]
        .as_array()
        .unwrap()
        .clone()
}

/// What a fixed script of requests shows of a world's free choices: ids, MACs, request ids,
/// allocated addresses, listing order.
async fn choices_seen(c: &Client, vswitch: &str) -> Vec<String> {
    let security_group = c.emulator.world().security_groups[0].clone();
    let mut seen = Vec::new();
    let mut created = Vec::new();
    for _ in 0..6 {
        let v = c
            .call(
                "CreateNetworkInterface",
                &[
                    ("VSwitchId", vswitch),
                    ("SecurityGroupId", &security_group),
                    ("SecondaryPrivateIpAddressCount", "3"),
                ],
            )
            .await
            .assert_ok();
        created.push(v["NetworkInterfaceId"].as_str().unwrap().to_owned());
        seen.push(v["RequestId"].as_str().unwrap().to_owned());
        seen.push(v["MacAddress"].as_str().unwrap().to_owned());
        seen.extend(addresses_of(&v).iter().map(Ipv4Addr::to_string));
    }
    let assign = c
        .call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", &created[0]),
                ("SecondaryPrivateIpAddressCount", "4"),
            ],
        )
        .await
        .assert_ok();
    seen.extend(Client::assigned(&assign));
    seen.extend(created);
    seen.extend(ids_of(
        &c.call("DescribeNetworkInterfaces", &[("MaxResults", "500")])
            .await
            .assert_ok(),
    ));
    seen
}

#[tokio::test]
async fn the_same_seed_makes_the_same_choices_and_another_seed_others() {
    let first = choices_seen(&variant(11), MAIN_VSW).await;
    assert_eq!(first, choices_seen(&variant(11), MAIN_VSW).await);
    let other = choices_seen(&variant(12), MAIN_VSW).await;
    let reference = choices_seen(&Client::builtin(), MAIN_VSW).await;
    for (name, seen) in [("another seed", &other), ("the reference", &reference)] {
        // (Listings differ in length: other tenants hold other numbers of ENIs.)
        let same = first.iter().zip(seen).filter(|(a, b)| a == b).count();
        // Only chance agreements: an allocated address or two out of a /24.
        assert!(
            same <= 3,
            "{name} shares {same} choices: {first:?} / {seen:?}"
        );
    }
}

#[tokio::test]
async fn allocation_is_in_a_seeded_random_order() {
    let allocated = |c: Client| async move {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let v = c
            .call(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", &eni),
                    ("SecondaryPrivateIpAddressCount", "8"),
                ],
            )
            .await
            .assert_ok();
        Client::assigned(&v)
    };
    let reference = allocated(Client::builtin()).await;
    let lowest: Vec<String> = (2..=9).map(|n| format!("192.168.0.{n}")).collect();
    assert_eq!(
        reference, lowest,
        "the reference takes the lowest free addresses"
    );
    let a = allocated(variant(5)).await;
    assert_eq!(a, allocated(variant(5)).await);
    assert_ne!(a, allocated(variant(6)).await);
    let mut sorted = a.clone();
    sorted.sort_by_key(|ip| ip.parse::<Ipv4Addr>().unwrap());
    assert_ne!(a, sorted, "not in address order: {a:?}");
}

#[tokio::test]
async fn ids_macs_request_ids_and_host_ids_take_other_shapes() {
    let reference = Client::builtin();
    for seed in [1u64, 2, 3, 4] {
        let c = variant(seed);
        let v = c
            .call(
                "CreateNetworkInterface",
                &[("VSwitchId", MAIN_VSW), ("SecurityGroupId", SG)],
            )
            .await
            .assert_ok();
        let id = v["NetworkInterfaceId"].as_str().unwrap();
        assert!(id.starts_with("eni-") && !id.starts_with("eni-bp1"), "{id}");
        let mac = v["MacAddress"].as_str().unwrap();
        assert_eq!(mac.split(':').count(), 6, "{mac}");
        assert!(!mac.starts_with("00:16:3e"), "{mac}");
        let request_id = v["RequestId"].as_str().unwrap();
        let reference_shaped = request_id.len() == 36
            && request_id
                .bytes()
                .all(|b| b == b'-' || b.is_ascii_digit() || b.is_ascii_uppercase());
        assert!(!reference_shaped, "{request_id}");
        let error = c
            .call(
                "DescribeNetworkInterfaceAttribute",
                &[("NetworkInterfaceId", "eni-x")],
            )
            .await;
        error.assert_error(404, "InvalidEniId.NotFound");
        let host = error.json()["HostId"].as_str().unwrap().to_owned();
        assert!(
            host.ends_with(".aliyuncs.com") && host != "ecs.aliyuncs.com",
            "{host}"
        );
    }
    let error = reference
        .call(
            "DescribeNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", "eni-x")],
        )
        .await;
    assert_eq!(error.json()["HostId"], "ecs.aliyuncs.com");
}

#[tokio::test]
async fn listing_order_is_shuffled_and_paging_lists_every_eni_exactly_once() {
    for seed in [3u64, 8] {
        let c = variant(seed);
        let mut created = Vec::new();
        for _ in 0..23 {
            created.push(c.create_eni(MAIN_VSW, &[]).await);
        }
        let everything: Vec<String> = ids_of(
            &c.call("DescribeNetworkInterfaces", &[("MaxResults", "500")])
                .await
                .assert_ok(),
        );
        let creation: Vec<String> = c
            .emulator
            .network_interfaces()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(
            everything.iter().collect::<BTreeSet<_>>(),
            creation.iter().collect::<BTreeSet<_>>()
        );
        assert_ne!(
            everything, creation,
            "seed {seed}: listed in creation order"
        );

        // MaxResults + NextToken.
        let mut paged = Vec::new();
        let mut token = String::new();
        for page in 0.. {
            assert!(page < 10, "paging does not end");
            let mut params = vec![("MaxResults", "10")];
            if !token.is_empty() {
                params.push(("NextToken", &token));
            }
            let v = c
                .call("DescribeNetworkInterfaces", &params)
                .await
                .assert_ok();
            let ids = ids_of(&v);
            assert!(ids.len() <= 10);
            paged.extend(ids);
            token = v["NextToken"].as_str().unwrap().to_owned();
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(paged, everything, "seed {seed}: token pages");

        // PageNumber + PageSize.
        let mut numbered = Vec::new();
        for page in 1..=5 {
            let number = page.to_string();
            let v = c
                .call(
                    "DescribeNetworkInterfaces",
                    &[("PageNumber", &number), ("PageSize", "7")],
                )
                .await
                .assert_ok();
            assert_eq!(v["TotalCount"], everything.len());
            numbered.extend(ids_of(&v));
        }
        assert_eq!(numbered, everything, "seed {seed}: numbered pages");

        // A filter keeps the order of what it keeps.
        let secondary: Vec<String> = ids_of(
            &c.call(
                "DescribeNetworkInterfaces",
                &[("MaxResults", "500"), ("Type", "Secondary")],
            )
            .await
            .assert_ok(),
        );
        let kept: Vec<String> = everything
            .iter()
            .filter(|id| secondary.contains(id))
            .cloned()
            .collect();
        assert_eq!(secondary, kept);
        // A reference token is not one of this world's.
        c.call(
            "DescribeNetworkInterfaces",
            &[("NextToken", "0000000000000002")],
        )
        .await
        .assert_error(400, "InValidParameter");
    }
}

/// Creates an ENI in `vswitch` with `security_group` and returns its id.
async fn create_in(c: &Client, vswitch: &str, security_group: &str) -> String {
    let v = c
        .call(
            "CreateNetworkInterface",
            &[("VSwitchId", vswitch), ("SecurityGroupId", security_group)],
        )
        .await
        .assert_ok();
    v["NetworkInterfaceId"].as_str().unwrap().to_owned()
}

/// ENIs neither a primary of the world nor created by the test.
pub(crate) async fn foreign(c: &Client, vswitch: &str) -> Vec<serde_json::Value> {
    let primaries: Vec<String> = c
        .emulator
        .world()
        .instances
        .iter()
        .filter_map(|i| i.primary_eni.id.clone())
        .collect();
    listing(c, &[("VSwitchId", vswitch)])
        .await
        .into_iter()
        .filter(|e| {
            !primaries
                .iter()
                .any(|p| e["NetworkInterfaceId"] == p.as_str())
        })
        .collect()
}

#[tokio::test]
async fn another_tenants_enis_hold_a_few_addresses_of_every_vswitch() {
    assert!(foreign(&Client::builtin(), MAIN_VSW).await.is_empty());
    assert!(foreign(&Client::builtin(), SMALL_VSW).await.is_empty());
    for seed in 0..12u64 {
        let (c, world) = if seed % 2 == 0 {
            (variant(seed), World::builtin())
        } else {
            (variant_in_its_world(seed), variant_world())
        };
        let security_group = world.security_groups[0].clone();
        for vsw in &world.vswitches {
            let enis = foreign(&c, &vsw.id).await;
            let held: Vec<Ipv4Addr> = enis.iter().flat_map(addresses_of).collect();
            let small = vsw.cidr.prefix_len() >= 28;
            if small {
                assert_eq!(held.len(), 1, "seed {seed} {}: {held:?}", vsw.id);
            } else {
                assert!((1..=3).contains(&enis.len()), "seed {seed}: {enis:?}");
                assert!((3..=12).contains(&held.len()), "seed {seed}: {held:?}");
            }
            for eni in &enis {
                assert_eq!(eni["Status"], "Available");
                assert_eq!(eni["Type"], "Secondary");
                assert_eq!(eni["InstanceId"], "");
            }
            // Row 14: their addresses are in use, for an assign and for a create.
            let mine = create_in(&c, &vsw.id, &security_group).await;
            for ip in &held {
                let ip = ip.to_string();
                c.call(
                    "AssignPrivateIpAddresses",
                    &[("NetworkInterfaceId", &mine), ("PrivateIpAddress.1", &ip)],
                )
                .await
                .assert_error(403, "InvalidIp.IpAssigned");
                c.call(
                    "CreateNetworkInterface",
                    &[
                        ("VSwitchId", &vsw.id),
                        ("SecurityGroupId", &security_group),
                        ("PrimaryIpAddress", &ip),
                    ],
                )
                .await
                .assert_error(403, "InvalidIp.IpAssigned");
            }
            c.emulator.check_invariants().unwrap();
        }
    }
}

#[tokio::test]
async fn the_small_vswitch_can_still_be_exhausted_and_foreign_enis_are_never_removed() {
    let c = variant(4);
    let before = foreign(&c, SMALL_VSW).await;
    assert_eq!(before.len(), 1);
    let eni = c.create_eni(SMALL_VSW, &[]).await;
    // Four usable addresses: one foreign, one the new ENI's primary, two left.
    c.call(
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "3"),
        ],
    )
    .await
    .assert_error(403, "InvalidVSwitchId.IpNotEnough");
    c.call(
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", &eni),
            ("SecondaryPrivateIpAddressCount", "2"),
        ],
    )
    .await
    .assert_ok();
    c.clock.advance(Duration::from_secs(3600));
    let after: Vec<serde_json::Value> = foreign(&c, SMALL_VSW)
        .await
        .into_iter()
        .filter(|e| e["NetworkInterfaceId"] != eni.as_str())
        .collect();
    assert_eq!(after, before);
}

#[tokio::test]
async fn primaries_the_world_leaves_out_are_placed_at_random_inside_their_vswitch() {
    let cidr: Ipv4Net = "10.20.8.0/24".parse().unwrap();
    let mut placements = BTreeSet::new();
    for seed in [1u64, 2, 3, 4, 5] {
        let c = variant_in_its_world(seed);
        let world = c.emulator.world().clone();
        let mut held = BTreeSet::new();
        let mut placed = Vec::new();
        for instance in &world.instances {
            let id = instance.primary_eni.id.clone().expect("a generated id");
            assert!(id.starts_with("eni-"), "{id}");
            let ip = instance.primary_eni.primary_ip.expect("a placed address");
            let first = u32::from(cidr.network());
            let offset = u32::from(ip) - first;
            assert!(cidr.contains(&ip) && (1..=252).contains(&offset), "{ip}");
            assert!(held.insert(ip), "{ip} placed twice");
            // The emulator's state agrees with the world it reports.
            let v = c
                .call(
                    "DescribeNetworkInterfaces",
                    &[("InstanceId", &instance.id), ("Type", "Primary")],
                )
                .await
                .assert_ok();
            assert_eq!(ids_of(&v), std::slice::from_ref(&id));
            let entry = &v["NetworkInterfaceSets"]["NetworkInterfaceSet"][0];
            assert_eq!(entry["PrivateIpAddress"], ip.to_string());
            assert_eq!(entry["Status"], "InUse");
            // Row 14 holds for a placed primary too.
            let mine = create_in(&c, "vsw-uf6variantmain00000a", "sg-uf6variant00000000000a").await;
            let text = ip.to_string();
            c.call(
                "AssignPrivateIpAddresses",
                &[("NetworkInterfaceId", &mine), ("PrivateIpAddress.1", &text)],
            )
            .await
            .assert_error(403, "InvalidIp.IpAssigned");
            placed.push(ip);
        }
        assert_eq!(variant_in_its_world(seed).emulator.world(), &world);
        placements.insert(placed);
    }
    assert_eq!(placements.len(), 5, "every seed places them elsewhere");
    // Without a variant, a world that leaves its primaries out gets them too: reference-shaped
    // ids, usable and distinct addresses, placed by the seed.
    let placed = |seed: u64| {
        let world = variant_world();
        Client::with(|c| {
            c.world = world;
            c.seed = seed;
        })
        .emulator
        .world()
        .clone()
    };
    let world = placed(0);
    assert_eq!(world, placed(0));
    assert_ne!(world, placed(1));
    let addresses: BTreeSet<Ipv4Addr> = world
        .instances
        .iter()
        .map(|i| {
            let id = i.primary_eni.id.as_deref().unwrap();
            assert!(id.starts_with("eni-bp1") && id.len() == 24, "{id}");
            i.primary_eni.primary_ip.unwrap()
        })
        .collect();
    assert_eq!(addresses.len(), 3);
    assert!(
        addresses
            .iter()
            .all(|ip| cidr.contains(ip) && *ip != cidr.network())
    );
    // A world that gives its primaries keeps them, variant or not.
    let c = variant(9);
    assert_eq!(c.emulator.world(), &World::builtin());
    let v = c
        .call(
            "DescribeNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", RUNNING_ENI)],
        )
        .await
        .assert_ok();
    assert_eq!(v["PrivateIpAddress"], "192.168.0.200");
}

#[tokio::test]
async fn quoted_messages_are_kept_and_the_others_reworded() {
    /// The same fault in the reference and in a variant: (reference message, variant message).
    async fn both(
        setup: impl Fn(&mut Config) + Copy,
        script: impl AsyncFn(&Client) -> Reply,
    ) -> (String, String) {
        let reference = Client::with(setup);
        let variant = Client::with(|c| {
            setup(c);
            c.variant = Some(21);
        });
        let (a, b) = (script(&reference).await, script(&variant).await);
        assert_eq!(
            (a.status, a.code()),
            (b.status, b.code()),
            "{} / {}",
            a.body,
            b.body
        );
        (a.message(), b.message())
    }
    let none = |_: &mut Config| {};
    let assign_list = |ip: &'static str| {
        async move |c: &Client| {
            c.call(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", RUNNING_ENI),
                    ("PrivateIpAddress.1", ip),
                ],
            )
            .await
        }
    };
    // Row 13 (quoted).
    let (a, b) = both(none, assign_list("192.168.0.255")).await;
    assert_eq!(a, b);
    assert_eq!(
        b,
        "The specified IpAddress “192.168.0.255” is not valid in VSwitch CIDR block “192.168.0.0/24”."
    );
    // Row 14 (not quoted).
    let (a, b) = both(none, assign_list("192.168.0.201")).await;
    assert_ne!(a, b);
    assert!(b.contains("192.168.0.201"), "{b}");
    // Row 16 (quoted).
    let (a, b) = both(none, async |c: &Client| {
        let eni = c.create_eni(SMALL_VSW, &[]).await;
        c.call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", &eni),
                ("SecondaryPrivateIpAddressCount", "4"),
            ],
        )
        .await
    })
    .await;
    assert_eq!(a, b);
    assert_eq!(
        b,
        format!("The specified VSwitch \"{SMALL_VSW}\" has not enough IpAddress.")
    );
    // Row 10 (its second sentence quoted).
    let (a, b) = both(none, async |c: &Client| {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        c.call(
            "AttachNetworkInterface",
            &[("NetworkInterfaceId", &eni), ("InstanceId", STOPPED)],
        )
        .await
        .assert_ok();
        c.call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", &eni),
                ("SecondaryPrivateIpAddressCount", "1"),
            ],
        )
        .await
    })
    .await;
    let quoted = "Expecting status is “Available/InUse” while current status is “Attaching”.";
    assert!(a.ends_with(quoted) && a != quoted, "{a}");
    assert_eq!(b, quoted);
    // Row 11 (quoted).
    let busy = |c: &mut Config| c.timings.task = Duration::from_secs(5);
    let (a, b) = both(busy, async |c: &Client| {
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        for _ in 0..2 {
            let reply = c
                .call(
                    "AssignPrivateIpAddresses",
                    &[
                        ("NetworkInterfaceId", &eni),
                        ("SecondaryPrivateIpAddressCount", "1"),
                    ],
                )
                .await;
            if reply.status != 200 {
                return reply;
            }
        }
        panic!("no conflict")
    })
    .await;
    assert_eq!(
        (a.as_str(), b.as_str()),
        ("ecs task is conflicted.", "ecs task is conflicted.")
    );
    // InvalidIp.IpUnassigned (quoted).
    let (a, b) = both(none, async |c: &Client| {
        c.call(
            "UnassignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.1", "192.168.0.9"),
            ],
        )
        .await
    })
    .await;
    assert_eq!(a, b);
    assert_eq!(
        b,
        "The specified IP “192.168.0.9” is not assigned on this ENI."
    );
    // SignatureDoesNotMatch (its prefix quoted; the string to sign follows).
    let (a, b) = both(none, async |c: &Client| {
        c.call("DescribeNetworkInterfaces", &[("Signature", "d3Jvbmc=")])
            .await
    })
    .await;
    let prefix =
        "Specified signature is not matched with our calculation. server string to sign is:";
    assert!(a.starts_with(prefix) && b.starts_with(prefix), "{a} / {b}");
    // Row 3 names the key in the reference and the list in the variant ("naming the key").
    let (a, b) = both(none, async |c: &Client| {
        c.call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.1", "192.168.0.9"),
                ("PrivateIpAddress.0", "192.168.0.10"),
            ],
        )
        .await
    })
    .await;
    assert!(a.contains("“PrivateIpAddress.0”"), "{a}");
    assert!(
        b.contains("PrivateIpAddress") && !b.contains("PrivateIpAddress."),
        "{b}"
    );
    // Row 4, the same.
    let (a, b) = both(none, async |c: &Client| {
        c.call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("PrivateIpAddress.1", "192.168.0.9"),
                ("PrivateIpAddress.3", "192.168.0.010"),
            ],
        )
        .await
    })
    .await;
    assert!(a.contains("“PrivateIpAddress.3”"), "{a}");
    assert!(
        b.contains("PrivateIpAddress") && !b.contains("PrivateIpAddress."),
        "{b}"
    );
    // Others: reworded.
    for params in [
        vec![("NetworkInterfaceId", "")],
        vec![
            ("NetworkInterfaceId", "eni-unknown"),
            ("SecondaryPrivateIpAddressCount", "1"),
        ],
        vec![
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "abc"),
        ],
    ] {
        let (a, b) = both(none, async |c: &Client| {
            c.call("AssignPrivateIpAddresses", &params).await
        })
        .await;
        assert_ne!(a, b, "{params:?}");
    }
}

#[tokio::test]
async fn where_the_contract_allows_two_answers_a_variant_gives_the_other() {
    let reference = Client::builtin();
    let c = variant(31);
    // An invalid Format: refused by the reference, answered in the default format (XML for
    // v1) by the variant.
    let refused = reference
        .call("DescribeNetworkInterfaces", &[("Format", "YAML")])
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("<Code>InValidParameter</Code>"),
        "{}",
        refused.body
    );
    let reply = c
        .call("DescribeNetworkInterfaces", &[("Format", "YAML")])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.content_type.starts_with("text/xml"),
        "{}",
        reply.content_type
    );
    assert!(reply.body.contains("<DescribeNetworkInterfacesResponse>"));
    // A count written `+3`, `03` or ` 3`: refused by the reference, read as the number (and
    // exactly that many assigned) by the variant; on create too.
    for raw in ["+3", "03", " 3"] {
        let eni = reference.create_eni(MAIN_VSW, &[]).await;
        reference
            .call(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", &eni),
                    ("SecondaryPrivateIpAddressCount", raw),
                ],
            )
            .await
            .assert_error(400, "InValidParameter");
        let eni = c.create_eni(MAIN_VSW, &[]).await;
        let v = c
            .call(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", &eni),
                    ("SecondaryPrivateIpAddressCount", raw),
                ],
            )
            .await
            .assert_ok();
        assert_eq!(Client::assigned(&v).len(), 3, "{raw:?}");
        assert_eq!(c.secondaries(&eni).await.len(), 3);
        let v = c
            .call(
                "CreateNetworkInterface",
                &[
                    ("VSwitchId", MAIN_VSW),
                    ("SecurityGroupId", SG),
                    ("SecondaryPrivateIpAddressCount", raw),
                ],
            )
            .await
            .assert_ok();
        assert_eq!(addresses_of(&v).len(), 4, "{raw:?}: the primary and three");
    }
    for raw in ["-3", "3.0", "0", "+", "51"] {
        c.call(
            "AssignPrivateIpAddresses",
            &[
                ("NetworkInterfaceId", RUNNING_ENI),
                ("SecondaryPrivateIpAddressCount", raw),
            ],
        )
        .await
        .assert_error(400, "InValidParameter");
    }
    // List indices stay as row 3 says.
    c.call(
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("PrivateIpAddress.01", "192.168.0.9"),
        ],
    )
    .await
    .assert_error(400, "InValidParameter");
    // Detaching a primary ENI: the contract gives no status.
    let detach_primary = [("NetworkInterfaceId", RUNNING_ENI), ("InstanceId", RUNNING)];
    reference
        .call("DetachNetworkInterface", &detach_primary)
        .await
        .assert_error(403, "InvalidOperation.DetachPrimaryEniNotAllowed");
    c.call("DetachNetworkInterface", &detach_primary)
        .await
        .assert_error(400, "InvalidOperation.DetachPrimaryEniNotAllowed");
    // Detaching an ENI that is attached to nothing: not attached (variant) or not InUse.
    for (client, code) in [
        (&reference, "InvalidOperation.InvalidEniState"),
        (&c, "InvalidOperation.EniNotAttached"),
    ] {
        let eni = client.create_eni(MAIN_VSW, &[]).await;
        client
            .call(
                "DetachNetworkInterface",
                &[("NetworkInterfaceId", &eni), ("InstanceId", RUNNING)],
            )
            .await
            .assert_error(400, code);
    }
    // A create naming an address in use before one that is reserved: the reference answers
    // row 13 first, the variant the first bad address.
    let create = [
        ("VSwitchId", MAIN_VSW),
        ("SecurityGroupId", SG),
        ("PrimaryIpAddress", "192.168.0.200"),
        ("PrivateIpAddress.1", "192.168.0.255"),
    ];
    reference
        .call("CreateNetworkInterface", &create)
        .await
        .assert_error(403, "InvalidVSwitchId.IpInvalid");
    c.call("CreateNetworkInterface", &create)
        .await
        .assert_error(403, "InvalidIp.IpAssigned");
}
