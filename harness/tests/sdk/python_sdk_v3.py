#!/usr/bin/env python3
"""End-to-end test of the newer official Python SDK (V3 signature) against `eni-harness serve`.

The SDK under test is `alibabacloud_ecs20140526` on `alibabacloud_tea_openapi` from PyPI, used
unchanged. With neither `signature_version` nor `signature_algorithm` set in its Config, it signs
every request with ACS3-HMAC-SHA256 (an `Authorization` header over all the request's headers, no
`Signature` query parameter) and sends no `Format` parameter, asking for JSON by `accept:
application/json`. Usage:

    python3 -m venv target/sdk-v3-venv
    target/sdk-v3-venv/bin/pip install alibabacloud_ecs20140526 alibabacloud_tea_openapi
    target/sdk-v3-venv/bin/python harness/tests/sdk/python_sdk_v3.py target/debug/eni-harness

Same shape as python_sdk.py (whose server and runner it reuses): one `PASS name` / `FAIL name:
reason` line per test, then `N passed, N failed`; non-zero exit on any failure.
"""

import os
import sys
import uuid

sys.dont_write_bytecode = True  # leave no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from python_sdk import (  # noqa: E402  (after the path tweak on purpose)
    MAIN_CIDR, MAIN_VSWITCH, REGION, SECURITY_GROUP, UNKNOWN_ENI, ACCESS_KEY_ID,
    ACCESS_KEY_SECRET, check_usable, plain_failure, run_suite, short, usable)

V3 = {}


def load_sdk():
    from alibabacloud_ecs20140526 import models as ecs_models
    from alibabacloud_ecs20140526.client import Client as EcsClient
    from alibabacloud_tea_openapi import utils_models as openapi_models
    from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
    from darabonba.runtime import RuntimeOptions
    V3.update(locals())


class Ecs:
    """The V3 client pointed at the emulator.

    `Config.endpoint` set explicitly skips the SDK's endpoint map (`ecs-cn-hangzhou.aliyuncs.com`);
    `Config.protocol = "http"` overrides the per-action HTTPS. Without `retry_options` the SDK makes
    exactly one attempt per call. Both signature knobs stay unset: the default is ACS3-HMAC-SHA256.
    """

    def __init__(self, port, ak=ACCESS_KEY_ID, secret=ACCESS_KEY_SECRET):
        config = V3["openapi_models"].Config(
            access_key_id=ak, access_key_secret=secret, region_id=REGION,
            endpoint="127.0.0.1:%d" % port, protocol="http",
            read_timeout=10000, connect_timeout=5000)
        self.client = V3["EcsClient"](config)
        self.m = V3["ecs_models"]

    def runtime(self):
        return V3["RuntimeOptions"](read_timeout=10000, connect_timeout=5000)

    def create_eni(self):
        req = self.m.CreateNetworkInterfaceRequest(
            region_id=REGION, v_switch_id=MAIN_VSWITCH, security_group_id=SECURITY_GROUP,
            network_interface_name="sdk-python-v3-%s" % uuid.uuid4().hex[:8])
        return self.client.create_network_interface_with_options(req, self.runtime()).body

    def assign(self, eni, addresses=None, count=None):
        req = self.m.AssignPrivateIpAddressesRequest(
            region_id=REGION, network_interface_id=eni, private_ip_address=addresses,
            secondary_private_ip_address_count=count)
        return self.client.assign_private_ip_addresses_with_options(req, self.runtime()).body

    def describe_one(self, eni):
        req = self.m.DescribeNetworkInterfacesRequest(region_id=REGION, network_interface_id=[eni])
        body = self.client.describe_network_interfaces_with_options(req, self.runtime()).body
        sets = body.network_interface_sets.network_interface_set if (
            body.network_interface_sets) else None
        if not sets:
            raise AssertionError("DescribeNetworkInterfaces(NetworkInterfaceId.1=%s) found nothing: "
                                 "%s" % (eni, short(body.to_map())))
        ids = [s.network_interface_id for s in sets]
        if ids != [eni]:
            raise AssertionError("DescribeNetworkInterfaces(NetworkInterfaceId.1=%s) returned %r"
                                 % (eni, ids))
        return sets[0]

    def free_address(self):
        """One address nobody holds in the main VSwitch (top of the block down)."""
        req = self.m.DescribeNetworkInterfacesRequest(region_id=REGION, v_switch_id=MAIN_VSWITCH,
                                                      max_results=500)
        body = self.client.describe_network_interfaces_with_options(req, self.runtime()).body
        if body.next_token:
            raise AssertionError("more than 500 ENIs in %s" % MAIN_VSWITCH)
        used = set()
        for eni_set in body.network_interface_sets.network_interface_set or []:
            used.add(eni_set.private_ip_address)
            used.update(ip for ip, _ in ip_pairs(eni_set))
        free = [ip for ip in reversed(usable(MAIN_CIDR)) if ip not in used]
        if not free:
            raise AssertionError("no free address in %s" % MAIN_VSWITCH)
        return free[0]

    def delete_eni(self, eni):
        req = self.m.DeleteNetworkInterfaceRequest(region_id=REGION, network_interface_id=eni)
        return self.client.delete_network_interface_with_options(req, self.runtime()).body


def ip_pairs(eni_set):
    if not eni_set.private_ip_sets or eni_set.private_ip_sets.private_ip_set is None:
        raise AssertionError("NetworkInterfaceSet has no PrivateIpSets.PrivateIpSet: %s"
                             % short(eni_set.to_map()))
    pairs = [(e.private_ip_address, e.primary) for e in eni_set.private_ip_sets.private_ip_set]
    for ip, primary in pairs:
        if not isinstance(primary, bool):
            raise AssertionError("PrivateIpSet.Primary of %s is %r, expected a JSON boolean"
                                 % (ip, primary))
    return pairs


def expect_error(code, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except (V3["ClientException"], V3["ServerException"]) as err:
        if (err.code, err.status_code) != (code, status):
            raise AssertionError("expected %s (HTTP %s), got %s (HTTP %s): %s"
                                 % (code, status, err.code, err.status_code,
                                    short(str(err.message), 200)))
        if not err.request_id or err.request_id == "None":
            raise AssertionError("%s error carries no RequestId" % code)
        return err
    raise AssertionError("expected %s (HTTP %s), but the call succeeded" % (code, status))


def explain(exc):
    if "ClientException" in V3 and isinstance(exc, (V3["ClientException"], V3["ServerException"])):
        return "unexpected %s %s (HTTP %s): %s" % (
            type(exc).__name__, exc.code, exc.status_code, short(str(exc.message), 200))
    return plain_failure(exc)


# --------------------------------------------------------------------------------------------
# Tests


def test_v3_create_assign_describe_delete(port):
    # create, assign by count and by address, read back, delete
    ecs = Ecs(port)
    created = ecs.create_eni()
    eni, primary = created.network_interface_id, created.private_ip_address
    if not isinstance(eni, str) or not eni.startswith("eni-"):
        raise AssertionError("CreateNetworkInterface returned NetworkInterfaceId %r: %s"
                             % (eni, short(created.to_map())))
    deleted = False
    try:
        check_usable([primary], MAIN_CIDR, "primary address")
        body = ecs.assign(eni, count=3)
        got_set = body.assigned_private_ip_addresses_set
        if got_set is None or got_set.private_ip_set is None:
            raise AssertionError("assign response lacks AssignedPrivateIpAddressesSet."
                                 "PrivateIpSet: %s" % short(body.to_map()))
        if got_set.network_interface_id != eni:
            raise AssertionError("AssignedPrivateIpAddressesSet.NetworkInterfaceId is %r"
                                 % got_set.network_interface_id)
        got = got_set.private_ip_set.private_ip_address or []
        if len(got) != 3 or len(set(got)) != 3 or primary in got:
            raise AssertionError("count 3 gave %r (primary %s)" % (got, primary))
        check_usable(got, MAIN_CIDR, "allocated address")
        wanted = ecs.free_address()
        body = ecs.assign(eni, addresses=[wanted])
        by_address = body.assigned_private_ip_addresses_set.private_ip_set.private_ip_address
        if by_address != [wanted]:
            raise AssertionError("assigning %s gave %r" % (wanted, by_address))
        got = got + by_address
        described = ecs.describe_one(eni)
        if described.status != "Available":
            raise AssertionError("Status is %r, expected Available" % described.status)
        pairs = ip_pairs(described)
        if sorted(pairs) != sorted([(primary, True)] + [(ip, False) for ip in got]):
            raise AssertionError("Describe shows %r, expected primary %s and %r"
                                 % (pairs, primary, got))
        ecs.delete_eni(eni)
        deleted = True
    finally:
        if not deleted:
            try:
                ecs.delete_eni(eni)
            except Exception:  # noqa: BLE001 - cleanup must not hide the test's own outcome
                pass


def test_v3_error_unknown_eni(port):
    ecs = Ecs(port)
    expect_error("InvalidEniId.NotFound", 404, ecs.assign, UNKNOWN_ENI, count=1)


def test_v3_error_address_and_count(port):
    ecs = Ecs(port)
    expect_error("InValidParameter", 400, ecs.assign, UNKNOWN_ENI,
                 addresses=["192.168.0.10"], count=1)


def test_v3_error_wrong_secret(port):
    ecs = Ecs(port, secret="not-the-secret")
    expect_error("SignatureDoesNotMatch", 400, ecs.assign, UNKNOWN_ENI, count=1)


TESTS = [
    test_v3_create_assign_describe_delete,
    test_v3_error_unknown_eni,
    test_v3_error_address_and_count,
    test_v3_error_wrong_secret,
]


if __name__ == "__main__":
    sys.exit(run_suite(sys.argv, load_sdk, TESTS, explain))
