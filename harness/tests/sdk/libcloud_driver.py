#!/usr/bin/env python3
"""The client-compatibility scenario, driven through Apache Libcloud's Aliyun ECS connection.

Libcloud (`apache-libcloud` on PyPI) signs with its own v1 signer
(`AliyunRequestSignerAlgorithmV1_0`), sends every action as a GET, always asks for `Format=XML`
and parses errors from the XML body. Any action goes through
`driver.connection.request("/", params={...})`. Usage (the runner, clients.sh, starts the
emulator and passes its port):

    python libcloud_driver.py PORT RESULT.json

Prints `PASS step` / `FAIL step: reason` per step and `N passed, N failed`; writes the steps to
RESULT.json for the compatibility table; exits 1 if a step failed. Only the emulator's public
test credentials and 127.0.0.1 are used.
"""

import ast
import ipaddress
import json
import sys
import time

from libcloud import __version__ as LIBCLOUD_VERSION
from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.drivers.ecs import ECSDriver

from prefix_blocks import free_block, is_new_usable_block

REGION = "cn-hangzhou"
VSWITCH = "vsw-bp1main00000000000001"
CIDR = ipaddress.ip_network("192.168.0.0/24")
SECURITY_GROUP = "sg-bp1default00000000001"
INSTANCE_PRIMARY = "192.168.0.200"   # the running instance's primary address: in use
UNKNOWN_ENI = "eni-bp1doesnotexist000001"
DELETE_TIMEOUT = 20.0


class ApiError(Exception):
    """An error answer, as libcloud surfaced it: its exception, HTTP status and code."""

    def __init__(self, exc):
        self.exc = exc
        self.status = getattr(exc, "code", None)
        message = getattr(exc, "message", None)
        # AliyunXmlResponse.parse_error builds a dict of the XML error's fields and hands it on
        # through `u()` (str): the exception's message is that dict's repr.
        try:
            message = ast.literal_eval(message) if isinstance(message, str) else message
        except (ValueError, SyntaxError):
            pass
        self.code = message.get("code") if isinstance(message, dict) else None
        self.request_id = message.get("request_id") if isinstance(message, dict) else None
        super().__init__("%s HTTP %s %s" % (type(exc).__name__, self.status, self.code))


class Client:
    def __init__(self, port):
        self.driver = ECSDriver("testid", "testsecret", region=REGION, host="127.0.0.1",
                                port=port, secure=False)

    def call(self, action, **params):
        params = dict(params, Action=action, RegionId=REGION)
        try:
            return self.driver.connection.request("/", params=params).object
        except BaseHTTPError as exc:
            raise ApiError(exc) from exc


def text(element, path):
    found = element.find(path)
    if found is None or found.text is None:
        raise AssertionError("answer has no %s" % path)
    return found.text


def enis(answer):
    return answer.findall("NetworkInterfaceSets/NetworkInterfaceSet")


def addresses(eni_element):
    """[(address, primary)] of one ENI element (Describe or DescribeAttribute)."""
    out = []
    for entry in eni_element.findall("PrivateIpSets/PrivateIpSet"):
        out.append((text(entry, "PrivateIpAddress"), text(entry, "Primary") == "true"))
    return out


def prefixes(eni_element):
    """The IPv4 prefixes of one ENI element (an ENI without prefixes may omit the list)."""
    return [e.text for e in eni_element.findall("Ipv4PrefixSets/Ipv4PrefixSet/Ipv4Prefix")]


def in_use(client):
    """Every address and prefix the ENIs of the scenario's VSwitch hold."""
    answer = client.call("DescribeNetworkInterfaces", VSwitchId=VSWITCH, MaxResults="500")
    used, blocks = set(), set()
    for eni in enis(answer):
        used.update(ip for ip, _ in addresses(eni))
        blocks.update(prefixes(eni))
    return used, blocks


def free_addresses(client, n):
    used = set()
    answer = client.call("DescribeNetworkInterfaces", VSwitchId=VSWITCH, MaxResults="500")
    for eni in enis(answer):
        used.update(ip for ip, _ in addresses(eni))
    free = [str(ip) for ip in list(CIDR)[1:-3] if str(ip) not in used]
    if len(free) < n:
        raise AssertionError("only %d free addresses in %s" % (len(free), VSWITCH))
    return free[-n:]


def expect_error(code, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ApiError as err:
        if (err.code, err.status) != (code, status):
            raise AssertionError("expected %s (HTTP %s), got %s (HTTP %s)"
                                 % (code, status, err.code, err.status))
        if not err.request_id:
            raise AssertionError("the %s error carries no RequestId" % code)
        return "%s (%s, HTTP %s)" % (type(err.exc).__name__, code, status)
    raise AssertionError("expected %s (HTTP %s), the call succeeded" % (code, status))


def scenario(port):
    client = Client(port)
    state = {}

    def create():
        answer = client.call("CreateNetworkInterface", VSwitchId=VSWITCH,
                             SecurityGroupId=SECURITY_GROUP, NetworkInterfaceName="libcloud")
        state["eni"] = text(answer, "NetworkInterfaceId")
        state["primary"] = text(answer, "PrivateIpAddress")
        state["secondaries"] = []
        state["prefixes"] = []

    def assign_by_address():
        wanted = free_addresses(client, 2)
        params = {"PrivateIpAddress.%d" % (i + 1): ip for i, ip in enumerate(wanted)}
        answer = client.call("AssignPrivateIpAddresses", NetworkInterfaceId=state["eni"], **params)
        got = [e.text for e in answer.findall(
            "AssignedPrivateIpAddressesSet/PrivateIpSet/PrivateIpAddress")]
        if got != wanted:
            raise AssertionError("assigned %r, asked for %r" % (got, wanted))
        state["secondaries"] += got

    def assign_by_count():
        answer = client.call("AssignPrivateIpAddresses", NetworkInterfaceId=state["eni"],
                             SecondaryPrivateIpAddressCount="2")
        got = [e.text for e in answer.findall(
            "AssignedPrivateIpAddressesSet/PrivateIpSet/PrivateIpAddress")]
        usable = {str(ip) for ip in list(CIDR)[1:-3]}
        if len(got) != 2 or len(set(got)) != 2 or not set(got) <= usable:
            raise AssertionError("count 2 gave %r" % got)
        if set(got) & set(state["secondaries"] + [state["primary"]]):
            raise AssertionError("count 2 gave addresses the ENI held already: %r" % got)
        state["secondaries"] += got

    def assigned_prefixes(answer):
        return [e.text for e in answer.findall(
            "AssignedPrivateIpAddressesSet/Ipv4PrefixSet/Ipv4Prefixes")]

    def assign_by_prefix():
        wanted = free_block(CIDR, *in_use(client))
        answer = client.call("AssignPrivateIpAddresses", NetworkInterfaceId=state["eni"],
                             **{"Ipv4Prefix.1": wanted})
        got = assigned_prefixes(answer)
        if got != [wanted]:
            raise AssertionError("assigned prefixes %r, asked for %r" % (got, wanted))
        state["prefixes"] += got

    def assign_by_prefix_count():
        held_before = state["secondaries"] + [state["primary"]]
        answer = client.call("AssignPrivateIpAddresses", NetworkInterfaceId=state["eni"],
                             Ipv4PrefixCount="1")
        got = assigned_prefixes(answer)
        if len(got) != 1 or not is_new_usable_block(CIDR, got[0], held_before,
                                                    state["prefixes"]):
            raise AssertionError("prefix count 1 gave %r" % got)
        state["prefixes"] += got

    def expect_held(eni_element, what):
        held = addresses(eni_element)
        if [ip for ip, primary in held if primary] != [state["primary"]]:
            raise AssertionError("%s: primary %r, expected %r" % (what, held, state["primary"]))
        if sorted(ip for ip, primary in held if not primary) != sorted(state["secondaries"]):
            raise AssertionError("%s shows %r, expected secondaries %r"
                                 % (what, held, state["secondaries"]))
        if sorted(prefixes(eni_element)) != sorted(state["prefixes"]):
            raise AssertionError("%s shows prefixes %r, expected %r"
                                 % (what, prefixes(eni_element), state["prefixes"]))

    def describe():
        found = enis(client.call("DescribeNetworkInterfaces",
                                 **{"NetworkInterfaceId.1": state["eni"]}))
        if [text(e, "NetworkInterfaceId") for e in found] != [state["eni"]]:
            raise AssertionError("DescribeNetworkInterfaces listed %d ENIs" % len(found))
        expect_held(found[0], "DescribeNetworkInterfaces")

    def describe_attribute():
        answer = client.call("DescribeNetworkInterfaceAttribute",
                             NetworkInterfaceId=state["eni"])
        expect_held(answer, "DescribeNetworkInterfaceAttribute")

    def unassign():
        params = {"PrivateIpAddress.%d" % (i + 1): ip for i, ip in enumerate(state["secondaries"])}
        client.call("UnassignPrivateIpAddresses", NetworkInterfaceId=state["eni"], **params)
        state["secondaries"] = []
        describe()

    def unassign_prefixes():
        params = {"Ipv4Prefix.%d" % (i + 1): p for i, p in enumerate(state["prefixes"])}
        client.call("UnassignPrivateIpAddresses", NetworkInterfaceId=state["eni"], **params)
        state["prefixes"] = []
        describe_attribute()

    def error_not_found():
        return expect_error("InvalidEniId.NotFound", 404, client.call, "AssignPrivateIpAddresses",
                            NetworkInterfaceId=UNKNOWN_ENI, SecondaryPrivateIpAddressCount="1")

    def error_in_use():
        return expect_error("InvalidIp.IpAssigned", 403, client.call, "AssignPrivateIpAddresses",
                            NetworkInterfaceId=state["eni"],
                            **{"PrivateIpAddress.1": INSTANCE_PRIMARY})

    def error_outside_cidr():
        return expect_error("InvalidVSwitchId.IpInvalid", 403, client.call,
                            "AssignPrivateIpAddresses", NetworkInterfaceId=state["eni"],
                            **{"PrivateIpAddress.1": "10.99.0.5"})

    def delete():
        client.call("DeleteNetworkInterface", NetworkInterfaceId=state["eni"])
        deadline = time.monotonic() + DELETE_TIMEOUT
        while True:
            found = enis(client.call("DescribeNetworkInterfaces",
                                     **{"NetworkInterfaceId.1": state["eni"]}))
            if not found:
                return
            if text(found[0], "Status") != "Deleting":
                raise AssertionError("deleted ENI listed as %s" % text(found[0], "Status"))
            if time.monotonic() > deadline:
                raise AssertionError("ENI still listed %.0f s after delete" % DELETE_TIMEOUT)
            time.sleep(0.2)

    return [("create", create), ("assign-by-address", assign_by_address),
            ("assign-by-count", assign_by_count), ("assign-by-prefix", assign_by_prefix),
            ("assign-by-prefix-count", assign_by_prefix_count), ("describe", describe),
            ("describe-attribute", describe_attribute),
            ("error-eni-not-found", error_not_found), ("error-ip-in-use", error_in_use),
            ("error-ip-outside-cidr", error_outside_cidr), ("unassign", unassign),
            ("unassign-prefixes", unassign_prefixes), ("delete", delete)]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: libcloud_driver.py PORT RESULT.json")
    port, result_file = int(sys.argv[1]), sys.argv[2]
    steps, failed = [], 0
    for name, step in scenario(port):
        try:
            detail = step()
            steps.append({"step": name, "ok": True, "detail": detail or ""})
            print("PASS %s%s" % (name, " — " + detail if detail else ""))
        except Exception as exc:  # noqa: BLE001 - every failure is a step's verdict
            failed += 1
            steps.append({"step": name, "ok": False, "detail": str(exc)[:300]})
            print("FAIL %s: %s" % (name, str(exc)[:300]))
    with open(result_file, "w") as out:
        json.dump({"client": "apache-libcloud", "version": LIBCLOUD_VERSION,
                   "language": "Python", "signing": "v1 (own signer)",
                   "method": "GET, Format=XML", "steps": steps}, out, indent=1)
    print("%d passed, %d failed" % (len(steps) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
