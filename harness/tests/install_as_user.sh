#!/usr/bin/env bash
# The new user's path, literally: `cargo install --path .` into a fresh root, then from a folder
# outside the checkout start `eni-harness serve --world harness/emulator/worlds/lanes.yaml` (a
# carried world: the folder has no such file), let `eni-harness init` write a profile from the
# endpoint, and pass the built-in suite with it. Prints the install's wall time and the binary's
# size; exits 1 when any step fails.
#
#   harness/tests/install_as_user.sh
set -euo pipefail

CHECKOUT=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=$(mktemp -d)
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$ROOT" "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

started=$(date +%s)
cargo install --quiet --locked --path "$CHECKOUT" --root "$ROOT"
echo "cargo install --path .: $(( $(date +%s) - started )) s; binary $(( $(stat -c %s "$ROOT/bin/eni-harness") / 1024 / 1024 )) MiB"

# From here on, only what an installed tool has: the binary on the PATH, a folder of the user's,
# no cache yet, no credentials in the environment (loopback test values are the defaults).
export PATH="$ROOT/bin:$PATH"
export XDG_CACHE_HOME="$WORK/cache"
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN
cd "$WORK"
[[ ! -e harness ]] || fail "the work folder is not empty"

eni-harness serve --addr 127.0.0.1:0 --world harness/emulator/worlds/lanes.yaml >serve.out 2>serve.err &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" serve.out 2>/dev/null && break
    sleep 0.1
done
URL=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*/\).*|\1|p' serve.out | head -n 1)
[[ -n "$URL" ]] || { cat serve.err; fail "the installed emulator did not start"; }

eni-harness init --target "$URL" >init.out 2>&1 || { cat init.out; fail "init exited $?"; }
[[ -s profile.yaml ]] || { cat init.out; fail "init wrote no profile.yaml"; }

status=0
eni-harness run --target "$URL" --profile profile.yaml --no-progress --timeout 10s >run.out 2>&1 || status=$?
verdict=$(tail -n 1 run.out)
echo "built-in suite against the served lanes world with the profile init wrote: $verdict"
[[ $status -eq 0 ]] || { cat run.out; fail "the run exited $status"; }
grep -q "^Suite: built-in" run.out || fail "the run did not use the built-in suite"
[[ $verdict == PASS:*" 0 failed"* ]] || fail "verdict: $verdict"
echo "OK: installed, served, discovered and passed from a folder with no checkout"
