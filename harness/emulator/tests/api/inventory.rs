//! The read-only actions around the ENIs: `DescribeInstances`, `DescribeVSwitches`,
//! `DescribeSecurityGroups`, in both formats, with their filters, paging, signing and errors.

use crate::common::*;

const DI: &str = "DescribeInstances";
const DV: &str = "DescribeVSwitches";
const DS: &str = "DescribeSecurityGroups";

fn ids(list: &serde_json::Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn instances_show_type_status_and_primary_eni() {
    let c = Client::builtin();
    let v = c.call(DI, &[]).await.assert_ok();
    assert_eq!(v["TotalCount"], 3);
    assert_eq!(v["PageNumber"], 1);
    assert_eq!(v["PageSize"], 10);
    let list = &v["Instances"]["Instance"];
    let mut found = ids(list, "InstanceId");
    found.sort();
    let mut want = vec![RUNNING, STOPPED, STARTING];
    want.sort();
    assert_eq!(found, want);
    let stopped = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["InstanceId"] == STOPPED)
        .unwrap();
    assert_eq!(stopped["InstanceType"], "ecs.g7.xlarge");
    assert_eq!(stopped["Status"], "Stopped");
    assert_eq!(stopped["RegionId"], REGION);
    assert_eq!(stopped["VpcAttributes"]["VSwitchId"], MAIN_VSW);
    assert_eq!(
        stopped["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0],
        "192.168.0.201"
    );
    let nic = &stopped["NetworkInterfaces"]["NetworkInterface"][0];
    assert_eq!(nic["NetworkInterfaceId"], STOPPED_ENI);
    assert_eq!(nic["Type"], "Primary");
    assert_eq!(nic["PrimaryIpAddress"], "192.168.0.201");
    assert_eq!(stopped["SecurityGroupIds"]["SecurityGroupId"][0], SG);
}

#[tokio::test]
async fn instances_filter_and_page_both_ways() {
    let c = Client::builtin();
    let v = c
        .call(
            DI,
            &[("InstanceIds", &format!("[\"{RUNNING}\",\"{STARTING}\"]"))],
        )
        .await
        .assert_ok();
    assert_eq!(v["TotalCount"], 2);
    let v = c.call(DI, &[("Status", "Starting")]).await.assert_ok();
    assert_eq!(ids(&v["Instances"]["Instance"], "InstanceId"), [STARTING]);
    let v = c
        .call(DI, &[("InstanceType", "ecs.g7.xlarge")])
        .await
        .assert_ok();
    assert_eq!(ids(&v["Instances"]["Instance"], "InstanceId"), [STOPPED]);
    let v = c.call(DI, &[("VSwitchId", SMALL_VSW)]).await.assert_ok();
    assert_eq!(v["TotalCount"], 0);

    // Page numbers: every instance exactly once over pages of one.
    let mut seen = Vec::new();
    for page in ["1", "2", "3", "4"] {
        let v = c
            .call(DI, &[("PageNumber", page), ("PageSize", "1")])
            .await
            .assert_ok();
        seen.extend(ids(&v["Instances"]["Instance"], "InstanceId"));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3);

    // Tokens: follow NextToken until it is empty.
    let mut seen = Vec::new();
    let mut token = String::new();
    for _ in 0..5 {
        let mut params = vec![("MaxResults", "2")];
        if !token.is_empty() {
            params.push(("NextToken", token.as_str()));
        }
        let v = c.call(DI, &params).await.assert_ok();
        assert_eq!(v["TotalCount"], 3);
        seen.extend(ids(&v["Instances"]["Instance"], "InstanceId"));
        token = v["NextToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert!(token.is_empty());
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3);
}

#[tokio::test]
async fn instances_refuse_bad_values_naming_them() {
    let c = Client::builtin();
    for (key, value) in [
        ("InstanceIds", "i-not-json"),
        ("Status", "Sleeping"),
        ("PageSize", "101"),
        ("PageNumber", "0"),
        ("MaxResults", "abc"),
        ("NextToken", "zz"),
    ] {
        let r = c.call(DI, &[(key, value)]).await;
        r.assert_error(400, "InValidParameter");
        assert!(r.message().contains(key), "{key}: {}", r.message());
    }
}

#[tokio::test]
async fn vswitches_show_cidr_and_free_addresses() {
    let c = Client::builtin();
    let v = c.call(DV, &[]).await.assert_ok();
    // The main /24, the /29 for exhaustion and the /26 for prefix exhaustion.
    assert_eq!(v["TotalCount"], 3);
    let list = v["VSwitches"]["VSwitch"].as_array().unwrap().clone();
    let prefix = list
        .iter()
        .find(|s| s["VSwitchId"] == "vsw-bp1prefix000000000001")
        .unwrap();
    assert_eq!(prefix["CidrBlock"], "192.168.2.0/26");
    assert_eq!(prefix["AvailableIpAddressCount"], 60);
    let small = list.iter().find(|s| s["VSwitchId"] == SMALL_VSW).unwrap();
    assert_eq!(small["CidrBlock"], "192.168.1.0/29");
    assert_eq!(small["AvailableIpAddressCount"], 4);
    assert_eq!(small["ZoneId"], "cn-hangzhou-h");
    assert_eq!(small["VpcId"], "vpc-bp1emu000000000000001");
    c.call(
        "AssignPrivateIpAddresses",
        &[
            ("NetworkInterfaceId", RUNNING_ENI),
            ("SecondaryPrivateIpAddressCount", "2"),
        ],
    )
    .await
    .assert_ok();
    let v = c.call(DV, &[("VSwitchId", MAIN_VSW)]).await.assert_ok();
    assert_eq!(v["TotalCount"], 1);
    // 252 usable in a /24 (first and last three reserved), three primaries, two secondaries.
    assert_eq!(v["VSwitches"]["VSwitch"][0]["AvailableIpAddressCount"], 247);
    let v = c.call(DV, &[("VpcId", "vpc-other")]).await.assert_ok();
    assert_eq!(v["TotalCount"], 0);
    c.call(DV, &[("PageSize", "51")])
        .await
        .assert_error(400, "InValidParameter");
    // Page numbers only: `MaxResults` is not a parameter of this action and is ignored.
    let v = c.call(DV, &[("MaxResults", "1")]).await.assert_ok();
    assert_eq!(v["PageSize"], 10);
}

#[tokio::test]
async fn security_groups_listed_and_filtered() {
    let c = Client::builtin();
    let v = c.call(DS, &[]).await.assert_ok();
    assert_eq!(v["TotalCount"], 1);
    assert_eq!(v["RegionId"], REGION);
    assert_eq!(
        v["SecurityGroups"]["SecurityGroup"][0]["SecurityGroupId"],
        SG
    );
    let v = c
        .call(DS, &[("SecurityGroupIds", "[\"sg-none\"]")])
        .await
        .assert_ok();
    assert_eq!(v["TotalCount"], 0);
    let v = c.call(DS, &[("MaxResults", "10")]).await.assert_ok();
    assert_eq!(v["NextToken"], "");
}

#[tokio::test]
async fn read_only_actions_keep_the_common_rules() {
    let c = Client::builtin();
    for action in [DI, DV, DS] {
        c.call(action, &[("RegionId", OMIT)])
            .await
            .assert_error(400, "MissingParameter");
        c.call(action, &[("RegionId", "cn-nowhere")])
            .await
            .assert_error(404, "InvalidRegionId.NotFound");
        c.call(action, &[("Signature", "bm90IGl0")])
            .await
            .assert_error(400, "SignatureDoesNotMatch");
        // XML by default, as every other action.
        let r = c.call(action, &[("Format", OMIT)]).await;
        assert_eq!(r.status, 200);
        assert!(
            r.body.contains(&format!("<{action}Response>")),
            "{}",
            r.body
        );
    }
    let r = c.call(DV, &[("Format", "XML")]).await;
    assert!(
        r.body
            .contains("<VSwitches><VSwitch><VSwitchId>vsw-bp1main00000000000001</VSwitchId>"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn regions_need_no_region() {
    let c = Client::builtin();
    let v = c
        .call("DescribeRegions", &[("RegionId", OMIT)])
        .await
        .assert_ok();
    assert_eq!(v["Regions"]["Region"][0]["RegionId"], REGION);
    assert_eq!(v["Regions"]["Region"].as_array().unwrap().len(), 1);
    c.call("DescribeRegions", &[("RegionId", "cn-nowhere")])
        .await
        .assert_error(404, "InvalidRegionId.NotFound");
}
