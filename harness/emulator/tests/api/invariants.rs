//! A seeded, bounded random walk over every action, checking the IP invariants after each
//! request: on the whole state, and on what each request changed.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::common::*;
use eni_emulator::{EniSnapshot, World};

/// splitmix64, for a reproducible walk without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn by_id(snapshot: Vec<EniSnapshot>) -> BTreeMap<String, EniSnapshot> {
    snapshot.into_iter().map(|e| (e.id.clone(), e)).collect()
}

#[tokio::test]
async fn random_walk_keeps_every_invariant() {
    for seed in 1..=3u64 {
        walk(seed, 400, |_| {}).await;
    }
}

#[tokio::test]
async fn random_walk_keeps_every_invariant_in_variant_worlds() {
    for variant in [7u64, 1_000_003] {
        walk(variant, 400, |c| c.variant = Some(variant)).await;
    }
    let world = World::from_yaml(VARIANT_WORLD, "worlds/variant.yaml").unwrap();
    for variant in [2u64, 99] {
        walk(variant, 400, |c| {
            c.world = world.clone();
            c.variant = Some(variant);
        })
        .await;
    }
}

/// `steps` random requests on the emulator `tweak` configures, over the fixtures of its world:
/// its instances, its VSwitches, and addresses at the edges and inside of them (offsets 1–5,
/// 100, 200 and the last four of the first VSwitch, the first eight of every other).
async fn walk(seed: u64, steps: usize, tweak: impl FnOnce(&mut eni_emulator::Config)) {
    let c = Client::with(|c| {
        c.seed = seed;
        c.timings.task = Duration::from_millis(500);
        c.timings.set_transitions(Duration::from_secs(1));
        tweak(c);
    });
    let world = c.emulator.world().clone();
    let mut rng = Rng(seed);
    let instances: Vec<&str> = world.instances.iter().map(|i| i.id.as_str()).collect();
    let vswitches: Vec<&str> = world.vswitches.iter().map(|v| v.id.as_str()).collect();
    let security_group = world.security_groups[0].clone();
    let at = |cidr: ipnet::Ipv4Net, offset: u32| Ipv4Addr::from(u32::from(cidr.network()) + offset);
    let addresses: Vec<String> = world
        .vswitches
        .iter()
        .enumerate()
        .flat_map(|(n, vsw)| {
            let offsets: Vec<u32> = if n == 0 {
                (0..12)
                    .map(|i| [1, 2, 3, 4, 5, 100, 200, 252, 253, 255][i % 10] + i as u32 / 10)
                    .collect()
            } else {
                (0..8).collect()
            };
            offsets
                .into_iter()
                .map(move |o| at(vsw.cidr, o).to_string())
        })
        .collect();
    let mut accepted_mutations = 0;
    for step in 0..steps {
        let before = by_id(c.emulator.network_interfaces());
        let mut enis: Vec<String> = before.keys().cloned().collect();
        enis.push("eni-unknown".into());
        let eni = rng.pick(&enis).clone();
        let ip1 = rng.pick(&addresses).clone();
        let ip2 = rng.pick(&addresses).clone();
        let count = (1 + rng.below(6)).to_string();
        let instance = rng.pick(&instances).to_string();
        let vsw = rng.pick(&vswitches).to_string();
        let kind = rng.below(9);
        let (action, params): (&str, Vec<(&str, &str)>) = match kind {
            0 | 1 if rng.below(2) == 0 => (
                "AssignPrivateIpAddresses",
                vec![
                    ("NetworkInterfaceId", &eni),
                    ("SecondaryPrivateIpAddressCount", &count),
                ],
            ),
            0 | 1 => (
                "AssignPrivateIpAddresses",
                vec![
                    ("NetworkInterfaceId", &eni),
                    ("PrivateIpAddress.1", &ip1),
                    ("PrivateIpAddress.2", &ip2),
                ],
            ),
            2 => (
                "UnassignPrivateIpAddresses",
                vec![("NetworkInterfaceId", &eni), ("PrivateIpAddress.1", &ip1)],
            ),
            3 => (
                "CreateNetworkInterface",
                vec![
                    ("VSwitchId", &vsw),
                    ("SecurityGroupId", &security_group),
                    ("SecondaryPrivateIpAddressCount", &count),
                ],
            ),
            4 => ("DeleteNetworkInterface", vec![("NetworkInterfaceId", &eni)]),
            5 => (
                "AttachNetworkInterface",
                vec![("NetworkInterfaceId", &eni), ("InstanceId", &instance)],
            ),
            6 => (
                "DetachNetworkInterface",
                vec![("NetworkInterfaceId", &eni), ("InstanceId", &instance)],
            ),
            7 => ("DescribeNetworkInterfaces", vec![]),
            _ => {
                c.clock
                    .advance(Duration::from_millis(300 * (1 + rng.below(4) as u64)));
                continue;
            }
        };
        // Unassign sometimes targets an address that is really on the ENI.
        let held;
        let mut params = params;
        if action == "UnassignPrivateIpAddresses"
            && let Some(first) = before.get(&eni).and_then(|e| e.secondary_ips.first())
        {
            held = first.to_string();
            params[1] = ("PrivateIpAddress.1", &held);
        }
        let reply = c.call(action, &params).await;
        assert!(reply.status < 500, "step {step}: {}", reply.body);
        c.emulator
            .check_invariants()
            .unwrap_or_else(|e| panic!("seed {seed} step {step} {action}: {e}"));
        let after = by_id(c.emulator.network_interfaces());
        // Invariant 3: primary addresses never change.
        for (id, e) in &after {
            if let Some(b) = before.get(id) {
                assert_eq!(b.primary_ip, e.primary_ip, "step {step}");
            }
        }
        if reply.status != 200 {
            // Invariant 5: a failed request changes nothing (transitions due now are settled
            // before the snapshot, and the clock does not move within a step).
            assert_eq!(
                before, after,
                "seed {seed} step {step} {action}: {}",
                reply.body
            );
            continue;
        }
        if action != "DescribeNetworkInterfaces" {
            accepted_mutations += 1;
        }
        match action {
            "AssignPrivateIpAddresses" => {
                let reported: Vec<Ipv4Addr> = Client::assigned(&reply.json())
                    .iter()
                    .map(|s| s.parse().unwrap())
                    .collect();
                let (b, a) = (&before[&eni], &after[&eni]);
                let mut expected = b.secondary_ips.clone();
                expected.extend(&reported);
                // Invariants 5 and 6: exactly the reported addresses were added, and describe shows them.
                assert_eq!(a.secondary_ips, expected, "step {step}");
                if params[1].0 == "SecondaryPrivateIpAddressCount" {
                    assert_eq!(reported.len(), count.parse::<usize>().unwrap());
                } else {
                    assert_eq!(
                        reported,
                        [ip1.parse::<Ipv4Addr>().unwrap(), ip2.parse().unwrap()]
                    );
                }
                let described = c.secondaries(&eni).await;
                let described: Vec<Ipv4Addr> =
                    described.iter().map(|s| s.parse().unwrap()).collect();
                assert_eq!(described, a.secondary_ips);
            }
            "UnassignPrivateIpAddresses" => {
                let removed: Ipv4Addr = params[1].1.parse().unwrap();
                let mut expected = before[&eni].secondary_ips.clone();
                expected.retain(|ip| *ip != removed);
                assert_eq!(after[&eni].secondary_ips, expected);
            }
            _ => {}
        }
    }
    // A walk whose requests all fail proves nothing about the state they would change.
    assert!(
        accepted_mutations >= steps / 10,
        "seed {seed}: only {accepted_mutations} of {steps} steps changed the state"
    );
    // Invariant 8: deleting everything that was created frees its addresses.
    c.clock.advance(Duration::from_secs(60));
    for e in c.emulator.network_interfaces() {
        if e.eni_type == "Secondary" && e.status == "InUse" {
            let instance = e.instance_id.as_deref().unwrap();
            c.call(
                "DetachNetworkInterface",
                &[("NetworkInterfaceId", &e.id), ("InstanceId", instance)],
            )
            .await;
        }
    }
    c.clock.advance(Duration::from_secs(60));
    for e in c.emulator.network_interfaces() {
        if e.eni_type == "Secondary" {
            c.call("DeleteNetworkInterface", &[("NetworkInterfaceId", &e.id)])
                .await;
        }
    }
    c.clock.advance(Duration::from_secs(60));
    let left: Vec<EniSnapshot> = c
        .emulator
        .network_interfaces()
        .into_iter()
        .filter(|e| e.eni_type == "Secondary")
        .collect();
    // An ENI whose detach was refused (over the Available cap) may stay; everything else goes.
    for e in &left {
        assert_eq!(e.status, "InUse", "{e:?}");
    }
    c.emulator.check_invariants().unwrap();
}
