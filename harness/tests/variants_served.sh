#!/usr/bin/env bash
# The suite, as a user runs it, against served variants of the reference emulator: every choice
# the contract leaves to the endpoint made otherwise (allocation, ids, listing order, wording,
# primaries at random, other tenants' ENIs, the other allowed answer), over HTTP, under v1 and
# V3, JSON and XML, snapshots compared by their contract view. Any failure is a case that only
# passes on the default world: a bug in the case.
#
#   harness/tests/variants_served.sh [BINARY]
#
# Only the emulator's public test credentials and 127.0.0.1 are used.
set -euo pipefail

BIN=${1:-target/debug/eni-harness}
WORK=$(mktemp -d)
SERVER_PID=
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    SERVER_PID=
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# serve SEED WORLD: starts a variant on a free loopback port and sets URL.
serve() {
    "$BIN" serve --addr 127.0.0.1:0 --world "$2" --variant "$1" --async-delay 0s \
        >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break
        sleep 0.1
    done
    URL=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*/\).*|\1|p' "$WORK/serve.out" | head -n 1)
    [[ -n "$URL" ]] || { echo "the emulator did not start:"; cat "$WORK/serve.err"; exit 2; }
}

status=0
for run in "11 harness/emulator/worlds/variant.yaml profiles/variant.yaml v1 json" \
           "12 harness/emulator/worlds/variant.yaml profiles/variant.yaml v3 xml" \
           "13 harness/emulator/worlds/variant.yaml profiles/variant.yaml v3 json"; do
    read -r seed world profile signing format <<<"$run"
    serve "$seed" "$world"
    echo "--- variant $seed of $world, $signing, $format, against $URL"
    if ! "$BIN" run --target "$URL" --profile "$profile" --signing "$signing" --format "$format" \
        --no-progress --timeout 10s >"$WORK/run.out" 2>&1; then
        status=1
        cat "$WORK/run.out"
    fi
    tail -n 1 "$WORK/run.out"
    stop_server
done
exit "$status"
