#!/usr/bin/env python3
"""End-to-end test of the official Python SDK against `eni-harness serve`.

The SDK under test is `aliyun-python-sdk-core` + `aliyun-python-sdk-ecs` from PyPI, used
unchanged (signature v1, HMAC-SHA1). Usage:

    python3 -m venv target/sdk-venv
    target/sdk-venv/bin/pip install aliyun-python-sdk-core aliyun-python-sdk-ecs
    target/sdk-venv/bin/python harness/tests/sdk/python_sdk.py target/debug/eni-harness

The script starts `BINARY serve --addr 127.0.0.1:0`, reads the URL it prints, runs one small
named test per check (printing `PASS name` or `FAIL name: reason`), stops the server with
SIGTERM (a clean exit with code 0 is itself a test), and ends with the line `N passed, N failed`.
It exits non-zero if any test failed or the server could not start.

Only the public test credentials of the emulator's built-in world are used, and only 127.0.0.1.
"""

import ipaddress
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

# The SDK reads proxy variables at request time and, with DEBUG=sdk, logs every request URL
# (signature included). Neither may apply here: talk to 127.0.0.1 directly, print no signature.
for _var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
             "DEBUG", "ALIBABA_CLOUD_CA_BUNDLE"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"

REGION = "cn-hangzhou"
ACCESS_KEY_ID = "testid"
ACCESS_KEY_SECRET = "testsecret"
MAIN_VSWITCH = "vsw-bp1main00000000000001"
MAIN_CIDR = ipaddress.ip_network("192.168.0.0/24")
SMALL_VSWITCH = "vsw-bp1small0000000000001"
SMALL_CIDR = ipaddress.ip_network("192.168.1.0/29")
SECURITY_GROUP = "sg-bp1default00000000001"
RUNNING_PRIMARY_IP = "192.168.0.200"  # primary address of i-bp1running0000000000001's ENI
UNKNOWN_ENI = "eni-bp1doesnotexist000001"

STARTUP_TIMEOUT = 30.0   # seconds to wait for the "listening on" line
SHUTDOWN_TIMEOUT = 5.0   # seconds the server has to exit after SIGTERM
DELETE_TIMEOUT = 15.0    # seconds a deleted ENI may stay visible (Deleting)

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)/)")


# --------------------------------------------------------------------------------------------
# Server process


class Server:
    """The emulator as a child process; stdout and stderr are drained by threads."""

    def __init__(self, binary):
        self.binary = binary
        self.proc = None
        self.port = None
        self.url = None
        self._stdout = queue.Queue()
        self._stderr_tail = []
        self._lock = threading.Lock()

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--addr", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, errors="replace")
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no 'listening on' line within %.0f s (stdout: %r; stderr: %s)"
                                   % (STARTUP_TIMEOUT, seen[-3:], self.stderr_tail()))
            try:
                line = self._stdout.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait(timeout=5)
                raise RuntimeError("server exited with code %s before listening (stderr: %s)"
                                   % (code, self.stderr_tail()))
            seen.append(line.rstrip("\n"))
            match = LISTENING.search(line)
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                return

    def _pump_stdout(self):
        for line in self.proc.stdout:
            self._stdout.put(line)
        self._stdout.put(None)

    def _pump_stderr(self):
        for line in self.proc.stderr:
            with self._lock:
                self._stderr_tail.append(line.rstrip("\n"))
                del self._stderr_tail[:-10]

    def stderr_tail(self):
        with self._lock:
            return " | ".join(self._stderr_tail[-5:]) or "(empty)"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then wait; returns None on a clean exit, else the reason."""
        if self.proc is None:
            return "server was never started"
        if self.proc.poll() is not None:
            return "server had already exited with code %s (stderr: %s)" % (
                self.proc.returncode, self.stderr_tail())
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            return "server still running %.0f s after SIGTERM (killed)" % SHUTDOWN_TIMEOUT
        if code != 0:
            return "server exited with code %s after SIGTERM (stderr: %s)" % (
                code, self.stderr_tail())
        return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


# --------------------------------------------------------------------------------------------
# SDK plumbing

SDK = {}  # filled by load_sdk(): the SDK's classes, imported lazily so import errors are reported


def load_sdk():
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
    from aliyunsdkecs.request.v20140526.AssignPrivateIpAddressesRequest import (
        AssignPrivateIpAddressesRequest)
    from aliyunsdkecs.request.v20140526.CreateNetworkInterfaceRequest import (
        CreateNetworkInterfaceRequest)
    from aliyunsdkecs.request.v20140526.DeleteNetworkInterfaceRequest import (
        DeleteNetworkInterfaceRequest)
    from aliyunsdkecs.request.v20140526.DescribeNetworkInterfaceAttributeRequest import (
        DescribeNetworkInterfaceAttributeRequest)
    from aliyunsdkecs.request.v20140526.DescribeNetworkInterfacesRequest import (
        DescribeNetworkInterfacesRequest)
    from aliyunsdkecs.request.v20140526.UnassignPrivateIpAddressesRequest import (
        UnassignPrivateIpAddressesRequest)
    SDK.update(locals())
    # The SDK logs every ServerException at ERROR level; expected errors are not news here.
    logging.getLogger("aliyunsdkcore").addHandler(logging.NullHandler())
    logging.getLogger("aliyunsdkcore").propagate = False


class Ecs:
    """An AcsClient pointed at the emulator.

    Endpoint: `request.set_endpoint("127.0.0.1:PORT")` bypasses the SDK's endpoint resolution
    (its regional table and location service) entirely; `set_protocol_type("http")` keeps it off
    TLS. Retries: `auto_retry=False` unless asked, so that every call is exactly one request and an
    error answers the request that caused it (the default policy retries Describe* and
    CreateNetworkInterface on 5xx/Throttling, and adds a ClientToken to CreateNetworkInterface).
    """

    def __init__(self, port, ak=ACCESS_KEY_ID, secret=ACCESS_KEY_SECRET, auto_retry=False):
        self.port = port
        self.client = SDK["AcsClient"](ak, secret, REGION, auto_retry=auto_retry,
                                       timeout=10, connect_timeout=5)

    def call(self, request):
        request.set_endpoint("127.0.0.1:%d" % self.port)
        request.set_protocol_type("http")
        body = self.client.do_action_with_exception(request)
        try:
            return json.loads(body)
        except ValueError:
            raise AssertionError("response is not JSON: %r" % short(body))

    # -- actions --------------------------------------------------------------------------

    def create_eni(self, vswitch=MAIN_VSWITCH, **extra):
        req = SDK["CreateNetworkInterfaceRequest"]()
        req.set_VSwitchId(vswitch)
        req.set_SecurityGroupId(SECURITY_GROUP)
        req.set_NetworkInterfaceName("sdk-python-%s" % uuid.uuid4().hex[:8])
        for key, value in extra.items():
            getattr(req, "set_" + key)(value)
        resp = self.call(req)
        eni = resp.get("NetworkInterfaceId")
        if eni:
            CREATED.add(eni)
        return resp

    def assign(self, eni, addresses=None, count=None, client_token=None):
        req = SDK["AssignPrivateIpAddressesRequest"]()
        req.set_NetworkInterfaceId(eni)
        if addresses is not None:
            req.set_PrivateIpAddresss(list(addresses))
        if count is not None:
            req.set_SecondaryPrivateIpAddressCount(count)
        if client_token is not None:
            req.set_ClientToken(client_token)
        return self.call(req)

    def unassign(self, eni, addresses):
        req = SDK["UnassignPrivateIpAddressesRequest"]()
        req.set_NetworkInterfaceId(eni)
        req.set_PrivateIpAddresss(list(addresses))
        return self.call(req)

    def delete_eni(self, eni):
        req = SDK["DeleteNetworkInterfaceRequest"]()
        req.set_NetworkInterfaceId(eni)
        return self.call(req)

    def describe(self, eni_ids=None, vswitch=None):
        """All matching ENIs, following NextToken."""
        found, token = [], None
        for _ in range(50):
            req = SDK["DescribeNetworkInterfacesRequest"]()
            if eni_ids:
                req.set_NetworkInterfaceIds(list(eni_ids))
            if vswitch:
                req.set_VSwitchId(vswitch)
            req.set_MaxResults(500)
            if token:
                req.set_NextToken(token)
            resp = self.call(req)
            found.extend(eni_sets(resp))
            token = resp.get("NextToken")
            if not token:
                return found
        raise AssertionError("DescribeNetworkInterfaces paging did not end after 50 pages")

    def describe_one(self, eni):
        sets = self.describe([eni])
        ids = [s.get("NetworkInterfaceId") for s in sets]
        if ids != [eni]:
            raise AssertionError("DescribeNetworkInterfaces(NetworkInterfaceId.1=%s) returned %r"
                                 % (eni, ids))
        return sets[0]

    def describe_attribute(self, eni):
        req = SDK["DescribeNetworkInterfaceAttributeRequest"]()
        req.set_NetworkInterfaceId(eni)
        return self.call(req)


CREATED = set()   # every ENI this run created and has not yet seen gone


class Eni:
    """`with Eni(ecs) as (eni_id, create_response):` creates an ENI and deletes it afterwards."""

    def __init__(self, ecs, vswitch=MAIN_VSWITCH):
        self.ecs, self.vswitch, self.id = ecs, vswitch, None

    def __enter__(self):
        resp = self.ecs.create_eni(self.vswitch)
        self.id = resp.get("NetworkInterfaceId")
        if not isinstance(self.id, str) or not self.id.startswith("eni-"):
            raise AssertionError("CreateNetworkInterface returned NetworkInterfaceId %r in %s"
                                 % (self.id, short(resp)))
        return self.id, resp

    def __exit__(self, *exc):
        if self.id:
            try:
                self.ecs.delete_eni(self.id)
            except Exception:   # noqa: BLE001 - cleanup must not hide the test's own outcome
                pass
        return False


# --------------------------------------------------------------------------------------------
# Response helpers


def short(value, limit=300):
    text = value if isinstance(value, str) else (
        value.decode("utf-8", "replace") if isinstance(value, bytes) else json.dumps(value))
    return text if len(text) <= limit else text[:limit] + "…"


def dig(obj, *path):
    """obj[path[0]][path[1]]…, with a readable error naming the missing field."""
    cur = obj
    for i, key in enumerate(path):
        if not isinstance(cur, dict) or key not in cur:
            raise AssertionError("response has no %s: %s" % (".".join(path[:i + 1]), short(obj)))
        cur = cur[key]
    return cur


def eni_sets(describe_response):
    sets = dig(describe_response, "NetworkInterfaceSets", "NetworkInterfaceSet")
    if not isinstance(sets, list):
        raise AssertionError("NetworkInterfaceSets.NetworkInterfaceSet is not a list: %s"
                             % short(describe_response))
    return sets


def ip_sets(eni_set):
    """[(address, primary)] of one NetworkInterfaceSet, in order."""
    entries = dig(eni_set, "PrivateIpSets", "PrivateIpSet")
    if not isinstance(entries, list):
        raise AssertionError("PrivateIpSets.PrivateIpSet is not a list: %s" % short(eni_set))
    out = []
    for entry in entries:
        primary = dig(entry, "Primary")
        if not isinstance(primary, bool):
            raise AssertionError("PrivateIpSet.Primary is %r, expected a JSON boolean" % (primary,))
        out.append((dig(entry, "PrivateIpAddress"), primary))
    return out


def secondaries(eni_set):
    return [ip for ip, primary in ip_sets(eni_set) if not primary]


def assigned_addresses(assign_response, eni):
    got_eni = dig(assign_response, "AssignedPrivateIpAddressesSet", "NetworkInterfaceId")
    if got_eni != eni:
        raise AssertionError("AssignedPrivateIpAddressesSet.NetworkInterfaceId is %r, expected %r"
                             % (got_eni, eni))
    ips = dig(assign_response, "AssignedPrivateIpAddressesSet", "PrivateIpSet",
              "PrivateIpAddress")
    if not isinstance(ips, list):
        raise AssertionError("PrivateIpSet.PrivateIpAddress is not a list: %s"
                             % short(assign_response))
    return ips


def usable(cidr):
    """Addresses of a VSwitch block that may be handed out: not the first nor the last three."""
    hosts = list(cidr)
    return [str(ip) for ip in hosts[1:-3]]


def check_usable(ips, cidr, what):
    allowed = set(usable(cidr))
    for ip in ips:
        if ip not in allowed:
            raise AssertionError("%s %r is not a usable address of %s" % (what, ip, cidr))


def free_addresses(ecs, n, vswitch=MAIN_VSWITCH, cidr=MAIN_CIDR):
    """n addresses nobody holds in the VSwitch, from the top of the block down."""
    used = set()
    for eni_set in ecs.describe(vswitch=vswitch):
        used.add(eni_set.get("PrivateIpAddress"))
        used.update(ip for ip, _ in ip_sets(eni_set))
    free = [ip for ip in reversed(usable(cidr)) if ip not in used]
    if len(free) < n:
        raise AssertionError("only %d free addresses in %s" % (len(free), vswitch))
    return free[:n]


def expect_error(code, status, fn, *args, **kwargs):
    """Run fn; it must raise the SDK's ServerException with this code and HTTP status."""
    try:
        fn(*args, **kwargs)
    except SDK["ServerException"] as err:
        got = (err.get_error_code(), err.get_http_status())
        if got != (code, status):
            raise AssertionError("expected %s (HTTP %s), got %s (HTTP %s): %s"
                                 % (code, status, got[0], got[1], short(err.get_error_msg(), 200)))
        if not err.get_request_id():
            raise AssertionError("%s error carries no RequestId" % code)
        return err
    raise AssertionError("expected ServerException %s (HTTP %s), but the call succeeded"
                         % (code, status))


def wait_gone(ecs, eni_ids, timeout=DELETE_TIMEOUT):
    """Poll until none of eni_ids is listed; while listed they must be Deleting."""
    deadline = time.monotonic() + timeout
    while True:
        listed = {s.get("NetworkInterfaceId"): s.get("Status") for s in ecs.describe(list(eni_ids))}
        listed = {k: v for k, v in listed.items() if k in eni_ids}
        for eni, status in listed.items():
            if status != "Deleting":
                raise AssertionError("deleted ENI %s is listed with Status %r, expected Deleting "
                                     "or gone" % (eni, status))
        if not listed:
            CREATED.difference_update(eni_ids)
            return
        if time.monotonic() > deadline:
            raise AssertionError("ENIs still listed %.0f s after delete: %s"
                                 % (timeout, sorted(listed)))
        time.sleep(0.25)


# --------------------------------------------------------------------------------------------
# Tests: each takes the server's port and raises on failure.


def test_create_network_interface(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, resp):
        primary = dig(resp, "PrivateIpAddress")
        check_usable([primary], MAIN_CIDR, "primary address")
        if resp.get("VSwitchId") not in (None, MAIN_VSWITCH):
            raise AssertionError("VSwitchId is %r" % resp.get("VSwitchId"))
        described = ecs.describe_one(eni)
        if described.get("Status") != "Available":
            raise AssertionError("new ENI has Status %r, expected Available"
                                 % described.get("Status"))
        if described.get("VSwitchId") != MAIN_VSWITCH:
            raise AssertionError("Describe VSwitchId is %r" % described.get("VSwitchId"))
        if described.get("PrivateIpAddress") != primary:
            raise AssertionError("Describe PrivateIpAddress %r != created %r"
                                 % (described.get("PrivateIpAddress"), primary))
        if ip_sets(described) != [(primary, True)]:
            raise AssertionError("new ENI's PrivateIpSets is %r, expected only the primary"
                                 % ip_sets(described))


def test_assign_by_address(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        wanted = free_addresses(ecs, 3)
        got = assigned_addresses(ecs.assign(eni, addresses=wanted), eni)
        if got != wanted:
            raise AssertionError("assigned %r, expected %r in request order" % (got, wanted))
        if secondaries(ecs.describe_one(eni)) != wanted:
            raise AssertionError("Describe shows secondaries %r, expected %r"
                                 % (secondaries(ecs.describe_one(eni)), wanted))


def test_assign_by_count(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, resp):
        primary = dig(resp, "PrivateIpAddress")
        got = assigned_addresses(ecs.assign(eni, count=4), eni)
        if len(got) != 4 or len(set(got)) != 4:
            raise AssertionError("count 4 gave %r" % got)
        check_usable(got, MAIN_CIDR, "allocated address")
        if primary in got or RUNNING_PRIMARY_IP in got:
            raise AssertionError("allocation %r reuses an address in use" % got)


def test_describe_shows_exactly_assigned(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, resp):
        primary = dig(resp, "PrivateIpAddress")
        by_address = assigned_addresses(ecs.assign(eni, addresses=free_addresses(ecs, 2)), eni)
        by_count = assigned_addresses(ecs.assign(eni, count=2), eni)
        if set(by_address) & set(by_count):
            raise AssertionError("count allocation %r overlaps %r" % (by_count, by_address))
        described = ecs.describe_one(eni)
        if described.get("PrivateIpAddress") != primary:
            raise AssertionError("primary changed: %r -> %r"
                                 % (primary, described.get("PrivateIpAddress")))
        primaries = [ip for ip, is_primary in ip_sets(described) if is_primary]
        if primaries != [primary]:
            raise AssertionError("PrivateIpSets primaries %r, expected [%r]" % (primaries, primary))
        if sorted(secondaries(described)) != sorted(by_address + by_count):
            raise AssertionError("Describe shows %r, assigned %r"
                                 % (secondaries(described), by_address + by_count))
        attr = ecs.describe_attribute(eni)
        if attr.get("NetworkInterfaceId") != eni:
            raise AssertionError("DescribeNetworkInterfaceAttribute NetworkInterfaceId %r"
                                 % attr.get("NetworkInterfaceId"))
        if sorted(ip for ip, _ in ip_sets(attr)) != sorted([primary] + by_address + by_count):
            raise AssertionError("DescribeNetworkInterfaceAttribute shows %r" % ip_sets(attr))


def test_unassign(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        got = assigned_addresses(ecs.assign(eni, count=3), eni)
        resp = ecs.unassign(eni, got[:2])
        if not resp.get("RequestId"):
            raise AssertionError("UnassignPrivateIpAddresses response has no RequestId")
        left = secondaries(ecs.describe_one(eni))
        if left != got[2:]:
            raise AssertionError("after unassigning %r, Describe shows %r, expected %r"
                                 % (got[:2], left, got[2:]))
        ecs.unassign(eni, got[2:])
        if secondaries(ecs.describe_one(eni)):
            raise AssertionError("secondaries left after unassigning all: %r"
                                 % secondaries(ecs.describe_one(eni)))


def test_delete_network_interface(port):
    ecs = Ecs(port)
    eni = dig(ecs.create_eni(), "NetworkInterfaceId")
    ecs.assign(eni, count=2)
    resp = ecs.delete_eni(eni)
    if not resp.get("RequestId"):
        raise AssertionError("DeleteNetworkInterface response has no RequestId")
    wait_gone(ecs, {eni})
    expect_error("InvalidEniId.NotFound", 404, ecs.assign, eni, count=1)


def test_delete_frees_addresses(port):
    ecs = Ecs(port)
    address = free_addresses(ecs, 1)[0]
    first = dig(ecs.create_eni(), "NetworkInterfaceId")
    ecs.assign(first, addresses=[address])
    ecs.delete_eni(first)
    wait_gone(ecs, {first})
    with Eni(ecs) as (second, _):
        got = assigned_addresses(ecs.assign(second, addresses=[address]), second)
        if got != [address]:
            raise AssertionError("re-assigning freed %s gave %r" % (address, got))


def test_client_token_idempotent(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        token = "sdk-python-" + uuid.uuid4().hex
        first = assigned_addresses(ecs.assign(eni, count=1, client_token=token), eni)
        again = assigned_addresses(ecs.assign(eni, count=1, client_token=token), eni)
        if again != first:
            raise AssertionError("same ClientToken answered %r then %r" % (first, again))
        if secondaries(ecs.describe_one(eni)) != first:
            raise AssertionError("after a repeated ClientToken Describe shows %r, expected %r"
                                 % (secondaries(ecs.describe_one(eni)), first))
        expect_error("IdempotentParameterMismatch", 400, ecs.assign, eni, count=2,
                     client_token=token)


def test_default_client_create(port):
    # The SDK's default client (auto_retry on) adds its own ClientToken to
    # CreateNetworkInterface; the emulator must take it like any other.
    ecs = Ecs(port, auto_retry=True)
    with Eni(ecs) as (eni, _):
        ecs.describe_one(eni)


def test_error_unknown_eni(port):
    ecs = Ecs(port)
    expect_error("InvalidEniId.NotFound", 404, ecs.assign, UNKNOWN_ENI, count=1)


def test_error_missing_eni_id(port):
    ecs = Ecs(port)
    err = expect_error("MissingParameter", 400, ecs.assign, "", count=1)
    if "NetworkInterfaceId" not in err.get_error_msg():
        raise AssertionError("MissingParameter names something else: %s"
                             % short(err.get_error_msg(), 200))


def test_error_address_and_count(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        expect_error("InValidParameter", 400, ecs.assign, eni,
                     addresses=free_addresses(ecs, 1), count=1)
        if secondaries(ecs.describe_one(eni)):
            raise AssertionError("a failed assign changed the ENI")


def test_error_address_outside_vswitch(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        err = expect_error("InvalidVSwitchId.IpInvalid", 403, ecs.assign, eni,
                           addresses=["192.168.7.7"])
        if "192.168.7.7" not in err.get_error_msg():
            raise AssertionError("message does not name the address: %s"
                                 % short(err.get_error_msg()))


def test_error_reserved_address(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        expect_error("InvalidVSwitchId.IpInvalid", 403, ecs.assign, eni,
                     addresses=["192.168.0.253"])


def test_error_address_in_use(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        good = free_addresses(ecs, 1)
        # atomic: the usable address in the same request must not be taken either
        expect_error("InvalidIp.IpAssigned", 403, ecs.assign, eni,
                     addresses=good + [RUNNING_PRIMARY_IP])
        if secondaries(ecs.describe_one(eni)):
            raise AssertionError("a failed assign changed the ENI: %r"
                                 % secondaries(ecs.describe_one(eni)))


def test_error_not_enough_addresses(port):
    ecs = Ecs(port)
    with Eni(ecs, vswitch=SMALL_VSWITCH) as (eni, resp):
        check_usable([dig(resp, "PrivateIpAddress")], SMALL_CIDR, "primary address")
        expect_error("InvalidVSwitchId.IpNotEnough", 403, ecs.assign, eni, count=4)
        if secondaries(ecs.describe_one(eni)):
            raise AssertionError("a failed assign changed the ENI")
        got = assigned_addresses(ecs.assign(eni, count=3), eni)
        check_usable(got, SMALL_CIDR, "allocated address")
        expect_error("InvalidVSwitchId.IpNotEnough", 403, ecs.assign, eni, count=1)


def test_error_unassign_not_assigned(port):
    ecs = Ecs(port)
    with Eni(ecs) as (eni, _):
        expect_error("InvalidIp.IpUnassigned", 403, ecs.unassign, eni, free_addresses(ecs, 1))


def test_error_wrong_secret(port):
    # The server answers SignatureDoesNotMatch (400) with its string to sign in the message; the
    # SDK compares that with its own and, when they are equal (only the secret differs), raises
    # InvalidAccessKeySecret instead. So this also checks the server's string to sign.
    ecs = Ecs(port, secret="not-the-secret")
    err = expect_error("InvalidAccessKeySecret", 400, ecs.assign, UNKNOWN_ENI, count=1)
    del err


def test_error_unknown_access_key(port):
    ecs = Ecs(port, ak="nosuchkey", secret="whatever")
    expect_error("InvalidAccessKeyId.NotFound", 404, ecs.assign, UNKNOWN_ENI, count=1)


def test_nothing_left_behind(port):
    # Every ENI this run created is deleted by now (or Deleting). Whatever a failed test left is
    # deleted here, then reported.
    ecs = Ecs(port)
    if not CREATED:
        return
    leftovers = sorted(s.get("NetworkInterfaceId") for s in ecs.describe(sorted(CREATED))
                       if s.get("NetworkInterfaceId") in CREATED and s.get("Status") != "Deleting")
    for eni in leftovers:
        ecs.delete_eni(eni)
    wait_gone(ecs, set(CREATED))
    if leftovers:
        raise AssertionError("ENIs left behind (now deleted): %s" % ", ".join(leftovers))


TESTS = [
    test_create_network_interface,
    test_assign_by_address,
    test_assign_by_count,
    test_describe_shows_exactly_assigned,
    test_unassign,
    test_delete_network_interface,
    test_delete_frees_addresses,
    test_client_token_idempotent,
    test_default_client_create,
    test_error_unknown_eni,
    test_error_missing_eni_id,
    test_error_address_and_count,
    test_error_address_outside_vswitch,
    test_error_reserved_address,
    test_error_address_in_use,
    test_error_not_enough_addresses,
    test_error_unassign_not_assigned,
    test_error_wrong_secret,
    test_error_unknown_access_key,
    test_nothing_left_behind,
]


# --------------------------------------------------------------------------------------------
# Runner


def describe_failure(exc):
    if "ServerException" in SDK and isinstance(exc, SDK["ServerException"]):
        return "unexpected ServerException %s (HTTP %s): %s" % (
            exc.get_error_code(), exc.get_http_status(), short(exc.get_error_msg(), 200))
    if "ClientException" in SDK and isinstance(exc, SDK["ClientException"]):
        return "ClientException %s: %s" % (exc.get_error_code(), short(exc.get_error_msg(), 200))
    return plain_failure(exc)


def plain_failure(exc):
    if isinstance(exc, AssertionError):
        return str(exc)
    return "%s: %s" % (type(exc).__name__, short(str(exc), 200))


def run_suite(argv, load, tests, explain):
    """Start the server, run each test(port), stop the server; returns the exit code.

    load() imports the SDK (a failure is reported as the test `sdk_import`); explain(exc) turns a
    test's exception into the reason printed after `FAIL name:`.
    """
    if len(argv) != 2:
        print("usage: %s PATH/TO/eni-harness" % os.path.basename(argv[0]), file=sys.stderr)
        return 2

    def on_sigterm(signum, frame):
        raise SystemExit(143)
    signal.signal(signal.SIGTERM, on_sigterm)

    counts = {"passed": 0, "failed": 0}

    def report(name, error):
        if error is None:
            counts["passed"] += 1
            print("PASS %s" % name, flush=True)
        else:
            counts["failed"] += 1
            print("FAIL %s: %s" % (name, error.replace("\n", " ")), flush=True)

    server = Server(argv[1])
    try:
        try:
            load()
        except Exception as exc:  # noqa: BLE001
            report("sdk_import", "cannot import the SDK: %s" % plain_failure(exc))
            return 1
        try:
            server.start()
        except Exception as exc:  # noqa: BLE001
            report("server_start", plain_failure(exc))
            return 1
        report("server_start", None)
        for test in tests:
            name = test.__name__[len("test_"):]
            if not server.alive():
                report(name, "server is no longer running (exit code %s; stderr: %s)"
                       % (server.proc.returncode, server.stderr_tail()))
                continue
            try:
                test(server.port)
            except Exception as exc:  # noqa: BLE001
                report(name, explain(exc))
            else:
                report(name, None)
        report("server_clean_shutdown", server.stop())
    finally:
        server.kill()
        print("%d passed, %d failed" % (counts["passed"], counts["failed"]), flush=True)
    return 1 if counts["failed"] else 0


def main(argv):
    return run_suite(argv, load_sdk, TESTS, describe_failure)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
