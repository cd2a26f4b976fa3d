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
