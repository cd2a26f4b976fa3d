#!/usr/bin/env bash
# The GitHub Action's script (action/run.sh) as CI runs it: from a workspace folder with no
# checkout, the inputs and GitHub's files in the environment, against `eni-harness serve` on a
# loopback port. A passing run exits 0 with its reports, summary and output; a run with a
# missing profile exits 2; a failing run exits 1.
#
#   harness/tests/action.sh BINARY
set -euo pipefail

BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SCRIPT=$(cd "$(dirname "$0")/../../action" && pwd)/run.sh
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export XDG_CACHE_HOME="$WORK/cache"
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN

"$BIN" serve --addr 127.0.0.1:0 --world lanes --async-delay 0s >serve.out 2>serve.err &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" serve.out 2>/dev/null && break
    sleep 0.1
done
URL=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*/\).*|\1|p' serve.out | head -n 1)
[[ -n "$URL" ]] || { echo "the emulator did not start:"; cat serve.err; exit 2; }

fail() { echo "FAIL: $*"; exit 1; }

# A passing run, as GitHub runs the step.
export GITHUB_STEP_SUMMARY="$WORK/summary.md" GITHUB_OUTPUT="$WORK/output.txt"
: >"$GITHUB_STEP_SUMMARY"
: >"$GITHUB_OUTPUT"
status=0
ENI_HARNESS="$BIN" INPUT_TARGET="$URL" INPUT_PROFILE=lanes INPUT_REPORTS=out \
    INPUT_ARGS="--filter tag:assign --retries 1" bash "$SCRIPT" >run.log 2>&1 || status=$?
[[ $status -eq 0 ]] || { cat run.log; fail "a passing run exited $status"; }
for report in junit.xml report.json matrix.md console.txt; do
    [[ -s "out/$report" ]] || fail "no out/$report"
done
grep -q '^verdict=PASS: .* 0 failed' "$GITHUB_OUTPUT" || fail "output: $(cat "$GITHUB_OUTPUT")"
grep -q '^### eni-harness: PASS: ' "$GITHUB_STEP_SUMMARY" || fail "summary: $(head -n 3 "$GITHUB_STEP_SUMMARY")"
grep -q 'Suite: built-in' run.log || fail "the run did not use the built-in suite"

# A profile that does not exist: usage error, exit 2.
status=0
ENI_HARNESS="$BIN" INPUT_TARGET="$URL" INPUT_PROFILE=missing.yaml INPUT_REPORTS=out2 \
    bash "$SCRIPT" >run2.log 2>&1 || status=$?
[[ $status -eq 2 ]] || { cat run2.log; fail "a missing profile exited $status, not 2"; }

# A profile whose fixture the endpoint lacks: cases fail, exit 1.
sed 's/vsw-bp1main00000000000001/vsw-bp1nosuch000000000001/' "$XDG_CACHE_HOME"/eni-harness/suite-*/profiles/lanes.yaml >wrong.yaml
status=0
ENI_HARNESS="$BIN" INPUT_TARGET="$URL" INPUT_PROFILE=wrong.yaml INPUT_REPORTS=out3 \
    INPUT_ARGS="--filter id:assign.by-count.one" bash "$SCRIPT" >run3.log 2>&1 || status=$?
[[ $status -eq 1 ]] || { cat run3.log; fail "a failing run exited $status, not 1"; }
grep -q '^verdict=FAIL: ' "$GITHUB_OUTPUT" || fail "output: $(cat "$GITHUB_OUTPUT")"
echo "action: ok"
