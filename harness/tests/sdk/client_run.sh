#!/usr/bin/env bash
# Runs one client's compatibility driver against `eni-harness serve --journal`, then has
# `eni-harness journal` judge what the client sent.
#
#   harness/tests/sdk/client_run.sh BINARY OUTDIR NAME COMMAND...
#
# In COMMAND, `{PORT}` becomes the emulator's loopback port and `{RESULT}` the file the driver
# writes its steps to (OUTDIR/NAME.result.json). The journal goes to OUTDIR/NAME.jsonl and its
# verdict to OUTDIR/NAME.journal.json (and the terminal). Exit status: the driver's if it failed,
# else the journal's (1 when a request was malformed or badly signed). Only 127.0.0.1 is used.
set -euo pipefail

BIN=$1 OUT=$2 NAME=$3
shift 3
mkdir -p "$OUT"
JOURNAL="$OUT/$NAME.jsonl"
RESULT="$OUT/$NAME.result.json"
rm -f "$JOURNAL" "$RESULT" "$OUT/$NAME.journal.json"
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Short transitions keep polling drivers quick; the scenario does not depend on their length.
# The `current` contract: the scenario assigns and unassigns IPv4 prefixes too.
"$BIN" serve --addr 127.0.0.1:0 --contract current --async-delay 300ms --journal "$JOURNAL" \
    >"$OUT/$NAME.serve.out" 2>"$OUT/$NAME.serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" "$OUT/$NAME.serve.out" 2>/dev/null && break
    sleep 0.1
done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$OUT/$NAME.serve.out")
[[ -n "$PORT" ]] || { echo "the emulator did not start:"; cat "$OUT/$NAME.serve.err"; exit 2; }

args=()
for arg in "$@"; do
    arg=${arg//\{PORT\}/$PORT}
    args+=("${arg//\{RESULT\}/$RESULT}")
done
echo "--- $NAME against 127.0.0.1:$PORT"
driver=0
# Some clients read stdin's encoding or proxy settings: give them a plain stdin, no proxy.
NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 HTTP_PROXY= HTTPS_PROXY= http_proxy= https_proxy= \
    timeout 300 "${args[@]}" </dev/null || driver=$?

# Stop the server first so that every journal line is written.
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
verdict=0
"$BIN" journal "$JOURNAL" --json "$OUT/$NAME.journal.json" || verdict=$?
if [[ $driver -ne 0 ]]; then
    echo "$NAME: the driver failed (exit $driver)"
    exit "$driver"
fi
exit "$verdict"
