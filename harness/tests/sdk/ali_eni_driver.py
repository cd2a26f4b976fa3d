#!/usr/bin/env python3
"""The client-compatibility scenario through ansible-alicloud's `ali_eni` module.

`ali_eni` (PyPI `ansible_alicloud`) manages an ENI's lifecycle only: create (`state: present`
with a VSwitch and security groups), attach and detach (`attached: true/false` with
`instance_id`), delete (`state: absent`), each waiting with footmark's status polling. It cannot
assign or unassign addresses. The driver runs the module as Ansible runs it on a managed host,
without a controller: a Python process per task, `python -m ansible.modules.cloud.alicloud.ali_eni
ARGS.json` with `{"ANSIBLE_MODULE_ARGS": ...}`, and reads the one JSON result the module prints
(`changed`, `interface`, or `failed` with `msg`). The endpoint is redirected by the
`ansible_endpoint/sitecustomize.py` next to this file. Usage (clients.sh starts the emulator and
passes its port):

    python ali_eni_driver.py PORT RESULT.json

Only the emulator's public test credentials and 127.0.0.1 are used.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

REGION = "cn-hangzhou"
VSWITCH = "vsw-bp1main00000000000001"
SECURITY_GROUP = "sg-bp1default00000000001"
INSTANCE = "i-bp1running0000000000001"
INSTANCE_PRIMARY = "192.168.0.200"
UNKNOWN_VSWITCH = "vsw-bp1doesnotexist0000001"
MODULE = "ansible.modules.cloud.alicloud.ali_eni"
TASK_TIMEOUT = 120
HERE = os.path.dirname(os.path.abspath(__file__))
# The module reports a server error as footmark words it: "HTTP Status: 404 Error:Code message".
SERVER_ERROR = re.compile(r"HTTP Status: (\d{3}) Error:(\S+) .*RequestID: (\S+)")


class ModuleFailed(Exception):
    """A task the module reported as failed (`failed: true`), with its message."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg
        found = SERVER_ERROR.search(msg)
        self.status, self.code, self.request_id = (
            (int(found.group(1)), found.group(2), found.group(3)) if found else (None, None, None))


def run_task(port, **args):
    """Runs the module once with `args` (and the credentials), returns its result dict."""
    args = dict(args, alicloud_access_key="testid", alicloud_secret_key="testsecret",
                alicloud_region=REGION)
    env = dict(os.environ, ENI_HARNESS_ECS_PORT=str(port),
               PYTHONPATH=os.pathsep.join(filter(None, [os.path.join(HERE, "ansible_endpoint"),
                                                        os.environ.get("PYTHONPATH")])))
    with tempfile.NamedTemporaryFile("w", suffix=".json") as params:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, params)
        params.flush()
        done = subprocess.run([sys.executable, "-m", MODULE, params.name], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TASK_TIMEOUT, check=False)
    # The module prints its result as the last line; footmark prints server errors before it.
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError("the module printed no result (exit %d): %s"
                             % (done.returncode, (done.stderr or done.stdout)[-300:]))
    result = json.loads(lines[-1])
    result.pop("invocation", None)  # the arguments again, credentials masked
    if result.get("failed"):
        raise ModuleFailed(str(result.get("msg", "")))
    return result


def expect_failure(code, status, port, **args):
    try:
        run_task(port, **args)
    except ModuleFailed as failure:
        if (failure.code, failure.status) != (code, status):
            raise AssertionError("expected %s (HTTP %s), the module failed with %r"
                                 % (code, status, failure.msg[:200]))
        if not failure.request_id:
            raise AssertionError("the %s failure names no RequestID" % code)
        return "failed task (%s, HTTP %s)" % (code, status)
    raise AssertionError("expected %s (HTTP %s), the task succeeded" % (code, status))


def scenario(port):
    state = {}

    def interface(result, what):
        eni = result.get("interface") or {}
        if eni.get("id") != state["eni"]:
            raise AssertionError("%s: interface %r, expected %s" % (what, eni.get("id"),
                                                                     state["eni"]))
        return eni

    def create():
        result = run_task(port, state="present", vswitch_id=VSWITCH,
                          security_groups=[SECURITY_GROUP], name="ali-eni")
        eni = result.get("interface") or {}
        if not result.get("changed") or not eni.get("id"):
            raise AssertionError("create reported %r" % result)
        state["eni"] = eni["id"]
        if eni.get("state") != "available" or eni.get("vswitch_id") != VSWITCH:
            raise AssertionError("created ENI is %r in %r" % (eni.get("state"),
                                                                eni.get("vswitch_id")))

    def present_again():
        # Idempotence, as a playbook rerun sees it: nothing to do, nothing changed.
        result = run_task(port, eni_id=state["eni"], state="present")
        interface(result, "present again")
        if result.get("changed"):
            raise AssertionError("a second `state: present` reported a change")

    def attach():
        eni = interface(run_task(port, eni_id=state["eni"], instance_id=INSTANCE, attached=True),
                        "attach")
        if eni.get("state") != "inuse" or eni.get("instance_id") != INSTANCE:
            raise AssertionError("attached ENI is %r on %r" % (eni.get("state"),
                                                                 eni.get("instance_id")))

    def detach():
        eni = interface(run_task(port, eni_id=state["eni"], attached=False), "detach")
        if eni.get("state") != "available" or eni.get("instance_id"):
            raise AssertionError("detached ENI is %r on %r" % (eni.get("state"),
                                                                 eni.get("instance_id")))

    def delete():
        result = run_task(port, eni_id=state["eni"], state="absent")
        if not result.get("changed") or result.get("interface"):
            raise AssertionError("delete reported %r" % result)

    def absent_again():
        # The module still finds an ENI that is Deleting and deletes it again, which the endpoint
        # refuses (InvalidOperation.InvalidEniState, the contract's row for a Deleting ENI): a
        # rerun right after the delete fails until the ENI is gone. It is tried again, bounded,
        # and the pass says how often it was refused.
        refused = 0
        for _ in range(20):
            try:
                result = run_task(port, eni_id=state["eni"], state="absent")
                break
            except ModuleFailed as failure:
                if failure.code != "InvalidOperation.InvalidEniState" or "Deleting" not in failure.msg:
                    raise
                refused += 1
                time.sleep(0.25)
        else:
            raise AssertionError("the ENI was still Deleting after %d reruns" % refused)
        if result.get("changed"):
            raise AssertionError("deleting a deleted ENI reported a change")
        if refused:
            return "no change, after %d rerun(s) refused while the ENI was Deleting" % refused
        return None

    def error_vswitch_not_found():
        return expect_failure("InvalidVSwitchId.NotFound", 404, port, state="present",
                              vswitch_id=UNKNOWN_VSWITCH, security_groups=[SECURITY_GROUP])

    def error_ip_in_use():
        return expect_failure("InvalidIp.IpAssigned", 403, port, state="present",
                              vswitch_id=VSWITCH, security_groups=[SECURITY_GROUP],
                              private_ip_address=INSTANCE_PRIMARY)

    def error_ip_outside_cidr():
        return expect_failure("InvalidVSwitchId.IpInvalid", 403, port, state="present",
                              vswitch_id=VSWITCH, security_groups=[SECURITY_GROUP],
                              private_ip_address="10.99.0.5")

    return [("create", create), ("present-again", present_again), ("attach", attach),
            ("detach", detach), ("error-vswitch-not-found", error_vswitch_not_found),
            ("error-ip-in-use", error_ip_in_use), ("error-ip-outside-cidr", error_ip_outside_cidr),
            ("delete", delete), ("absent-again", absent_again)]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: ali_eni_driver.py PORT RESULT.json")
    port, result_file = int(sys.argv[1]), sys.argv[2]
    from importlib.metadata import version
    steps, failed = [], 0
    for name, step in scenario(port):
        try:
            detail = step()
            steps.append({"step": name, "ok": True, "detail": detail or ""})
            print("PASS %s%s" % (name, " — " + detail if detail else ""))
        except Exception as exc:  # noqa: BLE001 - every failure is a step's verdict
            failed += 1
            reason = (exc.msg if isinstance(exc, ModuleFailed) else str(exc))[:300]
            steps.append({"step": name, "ok": False, "detail": reason})
            print("FAIL %s: %s" % (name, reason))
    with open(result_file, "w") as out:
        json.dump({"client": "ansible-alicloud ali_eni", "language": "Python, Ansible module",
                   "version": "%s (ansible-core %s, footmark %s)" % (
                       version("ansible_alicloud"), version("ansible-core"), version("footmark")),
                   "signing": "v1 (aliyun-python-sdk-core)",
                   "method": "POST, query; one process per task, no controller",
                   "lifecycle_only": True,
                   "errors": ["InvalidVSwitchId.NotFound", "InvalidIp.IpAssigned",
                              "InvalidVSwitchId.IpInvalid"],
                   "steps": steps}, out, indent=1)
    print("%d passed, %d failed" % (len(steps) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
