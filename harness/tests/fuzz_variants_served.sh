#!/usr/bin/env bash
# The sequence fuzzer, as a user runs it, against served variants of the reference emulator:
# every choice the contract leaves to the endpoint made otherwise (allocation, ids, listing
# order, wording, primaries at random, other tenants' ENIs, the other allowed answer), over
# HTTP, with the emulator's default 2 s transitions. A finding is a false one (the fuzzer judged
# a choice the contract leaves open) or a real bug of the emulator: either fails CI.
#
# The four combinations of signing and format (v1 and V3, JSON and XML), each against a variant
# of its own: every combination gets sequences through transitions. CI gives each 60 s (four
# minutes in all); the default here is 15 s each, for a quick look by hand.
#
#   harness/tests/fuzz_variants_served.sh [BINARY] [SECONDS]
#
# Only the emulator's public test credentials and 127.0.0.1 are used.
set -euo pipefail

BIN=${1:-target/debug/eni-harness}
SECONDS_EACH=${2:-15}
WORK=$(mktemp -d)
SERVER_PID=
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    SERVER_PID=
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# serve SEED: starts a variant of the variant world on a free loopback port and sets URL.
serve() {
    "$BIN" serve --addr 127.0.0.1:0 --world harness/emulator/worlds/variant.yaml --variant "$1" \
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
for run in "21 v1 json" "22 v1 xml" "23 v3 json" "24 v3 xml"; do
    read -r seed signing format <<<"$run"
    serve "$seed"
    echo "--- fuzz ${SECONDS_EACH}s against variant $seed, $signing, $format, at $URL"
    # Findings are written into the work folder, never into cases/regressions.
    if ! "$BIN" fuzz --target "$URL" --profile profiles/variant.yaml --signing "$signing" \
        --format "$format" --seed "$seed" --time "${SECONDS_EACH}s" --out "$WORK/found" \
        >"$WORK/fuzz.out" 2>&1; then
        status=1
        cat "$WORK/fuzz.out"
        cat "$WORK"/found/*.yaml 2>/dev/null || true
    else
        grep '^fuzz:' "$WORK/fuzz.out"
    fi
    stop_server
done
exit "$status"
