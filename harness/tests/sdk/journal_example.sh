#!/usr/bin/env bash
# The SDK validation journal, end to end: serve the emulator with `--journal`, point an SDK at it,
# then let `eni-harness journal` say what the client sent wrong. Its exit code is the CI gate:
# 0 when every request was well-formed and correctly signed, 1 otherwise.
#
#   python3 -m venv target/sdk-venv
#   target/sdk-venv/bin/pip install aliyun-python-sdk-core aliyun-python-sdk-ecs
#   harness/tests/sdk/journal_example.sh [BINARY] [PYTHON]
#
# In your own CI, replace the inline SDK script below by your client's test suite. This example
# sends three good requests and three deliberate mistakes (the seed page's `PrivateIpAddress. 1`
# key, a wrong AccessKeySecret, a misspelled action), so here the gate is expected to fail with
# exactly those three problems; the script exits 0 when it did.
#
# Only the emulator's public test credentials and 127.0.0.1 are used.
set -euo pipefail

BIN=${1:-target/debug/eni-harness}
PY=${2:-target/sdk-venv/bin/python}
WORK=$(mktemp -d)
JOURNAL="$WORK/journal.jsonl"
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# 1. Serve with a journal on a free loopback port; the URL is on the first line of stdout.
"$BIN" serve --addr 127.0.0.1:0 --journal "$JOURNAL" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break
    sleep 0.1
done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$WORK/serve.out")
[[ -n "$PORT" ]] || { echo "the emulator did not start:"; cat "$WORK/serve.err"; exit 2; }
echo "emulator on 127.0.0.1:$PORT, journal $JOURNAL"

# 2. The SDK under test (here the official Python SDK, signature v1).
NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 "$PY" - "$PORT" <<'PYTHON'
import logging, sys
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.acs_exception.exceptions import ServerException

logging.getLogger("aliyunsdkcore").addHandler(logging.NullHandler())
logging.getLogger("aliyunsdkcore").propagate = False
port = sys.argv[1]

def call(action, params, secret="testsecret"):
    client = AcsClient("testid", secret, "cn-hangzhou", auto_retry=False)
    request = CommonRequest(domain="127.0.0.1:%s" % port, version="2014-05-26", action_name=action)
    request.set_protocol_type("http")
    request.set_accept_format("json")
    for key, value in params.items():
        request.add_query_param(key, value)
    try:
        client.do_action_with_exception(request)
        print("  200  %s" % action)
    except ServerException as error:
        print("  %s  %s: %s" % (error.get_http_status(), action, error.get_error_code()))

eni = "eni-bp1running000000000001"
call("DescribeNetworkInterfaces", {"RegionId": "cn-hangzhou"})
call("AssignPrivateIpAddresses", {"RegionId": "cn-hangzhou", "NetworkInterfaceId": eni,
                                  "PrivateIpAddress.1": "192.168.0.20"})
call("UnassignPrivateIpAddresses", {"RegionId": "cn-hangzhou", "NetworkInterfaceId": eni,
                                    "PrivateIpAddress.1": "192.168.0.20"})
# Deliberate mistakes:
call("AssignPrivateIpAddresses", {"RegionId": "cn-hangzhou", "NetworkInterfaceId": eni,
                                  "PrivateIpAddress. 1": "192.168.0.21"})
call("DescribeNetworkInterfaces", {"RegionId": "cn-hangzhou"}, secret="not-the-secret")
call("AssignPrivateIpAdresses", {"RegionId": "cn-hangzhou"})
PYTHON

# 3. What the client sent wrong. Stop the server first so that every line is written.
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
status=0
"$BIN" journal "$JOURNAL" || status=$?
echo "eni-harness journal exited with $status"

# This example's own check: the gate fails, on exactly the three deliberate mistakes.
problems=$("$BIN" journal "$JOURNAL" | grep -c '^  \[' || true)
if [[ $status -eq 1 && $problems -eq 3 ]]; then
    echo "example OK: the journal caught the three deliberate mistakes"
else
    echo "example FAILED: expected exit 1 and 3 problems, got exit $status and $problems problems"
    exit 1
fi
