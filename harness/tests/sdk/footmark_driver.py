#!/usr/bin/env python3
"""The client-compatibility scenario through footmark, the library under Ansible's Alicloud modules.

footmark (`footmark` on PyPI) builds its requests with aliyun-python-sdk-core (signature v1, POST
with the parameters in the query, JSON) but in its own way: setter names guessed from lower-cased keyword arguments, a fresh
`ClientToken` on every call, answers parsed with `yaml.safe_load`, and its ENI lifecycle waits
by polling `DescribeNetworkInterfaces` and comparing the lower-cased `Status`. Its endpoint is
redirected the way footmark users do it, with aliyun-python-sdk-core's
`region_provider.add_endpoint`. ENI create/attach/detach/delete use footmark's own
`ECSConnection` methods (with their polling); assign, unassign and the attribute read, for which
footmark has no method, go through its generic request path (`build_request_params` and
`get_object_new`). Usage (clients.sh starts the emulator and passes its port):

    python footmark_driver.py PORT RESULT.json

Only the emulator's public test credentials and 127.0.0.1 are used.
"""

import ipaddress
import json
import logging
import sys
import time

import footmark
import footmark.ecs
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.profile import region_provider
from footmark.exception import FootmarkServerError

from prefix_blocks import free_block, is_new_usable_block

REGION = "cn-hangzhou"
VSWITCH = "vsw-bp1main00000000000001"
CIDR = ipaddress.ip_network("192.168.0.0/24")
SECURITY_GROUP = "sg-bp1default00000000001"
INSTANCE = "i-bp1running0000000000001"
INSTANCE_PRIMARY = "192.168.0.200"
UNKNOWN_ENI = "eni-bp1doesnotexist000001"
DELETE_TIMEOUT = 20.0


def client_error(exc):
    """(type, code, HTTP status, RequestId) of an error footmark raised, or None."""
    if isinstance(exc, ServerException):
        return (type(exc).__name__, exc.get_error_code(), exc.get_http_status(),
                exc.get_request_id())
    if isinstance(exc, FootmarkServerError):
        cause = exc.error if isinstance(exc.error, ServerException) else None
        if cause is not None:
            return (type(exc).__name__, cause.get_error_code(), cause.get_http_status(),
                    cause.get_request_id())
        return (type(exc).__name__, exc.error_code, exc.http_status, exc.request_id)
    return None


class Client:
    def __init__(self, port):
        region_provider.add_endpoint("Ecs", REGION, "127.0.0.1:%d" % port)
        self.conn = footmark.ecs.connect_to_region(REGION, acs_access_key_id="testid",
                                                   acs_secret_access_key="testsecret")
        # footmark polls every DefaultWaitForInterval seconds (5): the emulator's transitions
        # are shorter here, and the wait is footmark's own loop either way.
        footmark.ecs.connection.DefaultWaitForInterval = 0.2

    def generic(self, action, **kwargs):
        """An action footmark has no method for, through its own request building."""
        params = self.conn.build_request_params(dict(kwargs, Action=action))
        body = self.conn.make_request_new(params)
        return json.loads(body)


def held(eni_object):
    """[(address, primary)] of a footmark NetworkInterfaceSet (its keys snake-cased)."""
    sets = getattr(eni_object, "private_ip_sets", None) or {}
    return sorted((ip["private_ip_address"], ip["primary"])
                  for ip in sets.get("private_ip_set", []))


def prefixes_of(eni_object):
    """The IPv4 prefixes of a footmark NetworkInterfaceSet (absent when it holds none)."""
    sets = getattr(eni_object, "ipv4_prefix_sets", None) or {}
    return sorted(p["ipv4_prefix"] for p in sets.get("ipv4_prefix_set", []))


def scenario(port):
    client = Client(port)
    conn = client.conn
    state = {"secondaries": [], "prefixes": []}

    def eni_object():
        found = conn.describe_network_interfaces(network_interface_ids=[state["eni"]])
        if len(found) != 1 or found[0].id != state["eni"]:
            raise AssertionError("DescribeNetworkInterfaces listed %d ENIs" % len(found))
        return found[0]

    def expect_held(pairs, what):
        primaries = [ip for ip, primary in pairs if primary]
        secondaries = sorted(ip for ip, primary in pairs if not primary)
        if primaries != [state["primary"]]:
            raise AssertionError("%s: primaries %r, expected %r" % (what, primaries,
                                                                     state["primary"]))
        if secondaries != sorted(state["secondaries"]):
            raise AssertionError("%s shows %r, expected %r" % (what, secondaries,
                                                               sorted(state["secondaries"])))

    def free_addresses(n):
        used = set()
        for eni in conn.describe_network_interfaces(vswitch_id=VSWITCH, max_results=500):
            used.update(ip for ip, _ in held(eni))
        free = [str(ip) for ip in list(CIDR)[1:-3] if str(ip) not in used]
        if len(free) < n:
            raise AssertionError("only %d free addresses" % len(free))
        return free[-n:]

    def assigned(answer):
        return answer["AssignedPrivateIpAddressesSet"]["PrivateIpSet"]["PrivateIpAddress"]

    def assigned_prefixes(answer):
        return answer["AssignedPrivateIpAddressesSet"]["Ipv4PrefixSet"]["Ipv4Prefixes"]

    def expect_prefixes(found, what):
        if sorted(found) != sorted(state["prefixes"]):
            raise AssertionError("%s shows prefixes %r, expected %r"
                                 % (what, found, state["prefixes"]))

    def in_use():
        addresses, prefixes = [], []
        for eni in conn.describe_network_interfaces(vswitch_id=VSWITCH, max_results=500):
            addresses += [ip for ip, _ in held(eni)]
            prefixes += prefixes_of(eni)
        return addresses, prefixes

    def expect_error(code, status, fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the client's error type is under test
            error = client_error(exc)
            if error is None:
                raise AssertionError("expected a footmark/SDK server error, got %s"
                                     % type(exc).__name__)
            kind, got_code, got_status, request_id = error
            if (got_code, got_status) != (code, status):
                raise AssertionError("expected %s (HTTP %s), got %s (HTTP %s)"
                                     % (code, status, got_code, got_status))
            if not request_id:
                raise AssertionError("the %s error carries no RequestId" % code)
            return "%s (%s, HTTP %s)" % (kind, code, status)
        raise AssertionError("expected %s (HTTP %s), the call succeeded" % (code, status))

    def create():
        # Waits (polling) until the ENI is Available, then describes it.
        eni = conn.create_network_interface(vswitch_id=VSWITCH, security_group_id=SECURITY_GROUP,
                                            network_interface_name="footmark")
        state["eni"] = eni.id
        state["primary"] = [ip for ip, primary in held(eni) if primary][0]
        # footmark lower-cases every Status it reads (NetworkInterfaceSet.__setattr__).
        if eni.status != "available":
            raise AssertionError("created ENI is %r, footmark's 'available' expected" % eni.status)

    def attach():
        conn.attach_network_interface(network_interface_id=state["eni"], instance_id=INSTANCE)
        status = eni_object().status
        if status != "inuse":
            raise AssertionError("attached ENI is %r, footmark's 'inuse' expected" % status)

    def assign_by_address():
        wanted = free_addresses(2)
        got = assigned(client.generic("AssignPrivateIpAddresses",
                                      network_interface_id=state["eni"],
                                      private_ip_addresss=wanted))
        if got != wanted:
            raise AssertionError("assigned %r, asked for %r" % (got, wanted))
        state["secondaries"] += got

    def assign_by_count():
        got = assigned(client.generic("AssignPrivateIpAddresses",
                                      network_interface_id=state["eni"],
                                      secondary_private_ip_address_count=2))
        usable = {str(ip) for ip in list(CIDR)[1:-3]}
        if len(set(got)) != 2 or not set(got) <= usable or \
                set(got) & set(state["secondaries"] + [state["primary"]]):
            raise AssertionError("count 2 gave %r" % got)
        state["secondaries"] += got

    def assign_by_prefix():
        wanted = free_block(CIDR, *in_use())
        got = assigned_prefixes(client.generic("AssignPrivateIpAddresses",
                                               network_interface_id=state["eni"],
                                               ipv4_prefixs=[wanted]))
        if got != [wanted]:
            raise AssertionError("assigned prefixes %r, asked for %r" % (got, wanted))
        state["prefixes"] += got

    def assign_by_prefix_count():
        held_before = state["secondaries"] + [state["primary"]]
        got = assigned_prefixes(client.generic("AssignPrivateIpAddresses",
                                               network_interface_id=state["eni"],
                                               ipv4_prefix_count=1))
        if len(got) != 1 or not is_new_usable_block(CIDR, got[0], held_before,
                                                    state["prefixes"]):
            raise AssertionError("prefix count 1 gave %r" % got)
        state["prefixes"] += got

    def describe():
        eni = eni_object()
        expect_held(held(eni), "DescribeNetworkInterfaces")
        expect_prefixes(prefixes_of(eni), "DescribeNetworkInterfaces")

    def describe_attribute():
        answer = client.generic("DescribeNetworkInterfaceAttribute",
                                network_interface_id=state["eni"])
        pairs = [(s["PrivateIpAddress"], s["Primary"])
                 for s in answer["PrivateIpSets"]["PrivateIpSet"]]
        expect_held(pairs, "DescribeNetworkInterfaceAttribute")
        expect_prefixes([p["Ipv4Prefix"] for p in
                         (answer.get("Ipv4PrefixSets") or {}).get("Ipv4PrefixSet", [])],
                        "DescribeNetworkInterfaceAttribute")

    def error_not_found():
        return expect_error("InvalidEniId.NotFound", 404, client.generic,
                            "AssignPrivateIpAddresses", network_interface_id=UNKNOWN_ENI,
                            secondary_private_ip_address_count=1)

    def error_in_use():
        return expect_error("InvalidIp.IpAssigned", 403, client.generic,
                            "AssignPrivateIpAddresses", network_interface_id=state["eni"],
                            private_ip_addresss=[INSTANCE_PRIMARY])

    def error_outside_cidr():
        return expect_error("InvalidVSwitchId.IpInvalid", 403, client.generic,
                            "AssignPrivateIpAddresses", network_interface_id=state["eni"],
                            private_ip_addresss=["10.99.0.5"])

    def unassign():
        client.generic("UnassignPrivateIpAddresses", network_interface_id=state["eni"],
                       private_ip_addresss=state["secondaries"])
        state["secondaries"] = []
        describe()

    def unassign_prefixes():
        client.generic("UnassignPrivateIpAddresses", network_interface_id=state["eni"],
                       ipv4_prefixs=state["prefixes"])
        state["prefixes"] = []
        describe_attribute()

    def detach():
        conn.detach_network_interface(network_interface_id=state["eni"], instance_id=INSTANCE)
        status = eni_object().status
        if status != "available":
            raise AssertionError("detached ENI is %r, footmark's 'available' expected" % status)

    def delete():
        conn.delete_network_interface(network_interface_id=state["eni"])
        deadline = time.monotonic() + DELETE_TIMEOUT
        while conn.describe_network_interfaces(network_interface_ids=[state["eni"]]):
            if time.monotonic() > deadline:
                raise AssertionError("ENI still listed %.0f s after delete" % DELETE_TIMEOUT)
            time.sleep(0.2)

    def describe_prefixes():
        describe()
        describe_attribute()

    # The ENI is attached: its instance type's cap (secondaries and prefixes together) leaves
    # no room for two prefixes beside four secondaries, so prefixes come once they are gone.
    return [("create", create), ("attach", attach), ("assign-by-address", assign_by_address),
            ("assign-by-count", assign_by_count), ("describe", describe),
            ("describe-attribute", describe_attribute),
            ("error-eni-not-found", error_not_found), ("error-ip-in-use", error_in_use),
            ("error-ip-outside-cidr", error_outside_cidr), ("unassign", unassign),
            ("assign-by-prefix", assign_by_prefix),
            ("assign-by-prefix-count", assign_by_prefix_count),
            ("describe-prefixes", describe_prefixes), ("unassign-prefixes", unassign_prefixes),
            ("detach", detach), ("delete", delete)]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: footmark_driver.py PORT RESULT.json")
    # footmark and the SDK log every server error (the expected ones too) at ERROR level.
    for name in ("footmark", "aliyunsdkcore"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    footmark.log.disabled = True
    port, result_file = int(sys.argv[1]), sys.argv[2]
    steps, failed = [], 0
    for name, step in scenario(port):
        try:
            detail = step()
            steps.append({"step": name, "ok": True, "detail": detail or ""})
            print("PASS %s%s" % (name, " — " + detail if detail else ""))
        except Exception as exc:  # noqa: BLE001 - every failure is a step's verdict
            failed += 1
            error = client_error(exc)
            reason = ("unexpected %s %s (HTTP %s)" % error[:3]) if error else str(exc)[:300]
            steps.append({"step": name, "ok": False, "detail": reason})
            print("FAIL %s: %s" % (name, reason))
    with open(result_file, "w") as out:
        json.dump({"client": "footmark", "version": footmark.__version__, "language": "Python",
                   "signing": "v1 (aliyun-python-sdk-core)",
                   "method": "POST, query; Status lower-cased by the client", "steps": steps},
                  out, indent=1)
    print("%d passed, %d failed" % (len(steps) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
