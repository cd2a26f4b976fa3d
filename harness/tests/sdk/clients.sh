#!/usr/bin/env bash
# Client compatibility: installs every independent client at its pinned version (into the build
# folder, caches there too), runs each one's driver against `eni-harness serve --journal`, has
# `eni-harness journal` judge what it sent, and checks the README's compatibility table against
# these runs (or rewrites it with --write-readme).
#
#   harness/tests/sdk/clients.sh [BINARY] [--write-readme]
#
# A client whose registry package cannot be installed fails the run with a message naming it:
# nothing is skipped. Each install is bounded in time. Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/../../.."

BIN=${1:-target/debug/eni-harness}
MODE=${2:---check}
WORK=target/clients
OUT=$WORK/out
SDK=harness/tests/sdk
INSTALL_TIMEOUT=${CLIENT_INSTALL_TIMEOUT:-600}
mkdir -p "$WORK"
rm -rf "$OUT"
export PIP_CACHE_DIR=$PWD/$WORK/pip-cache npm_config_cache=$PWD/$WORK/npm-cache
export PIP_DISABLE_PIP_VERSION_CHECK=1

fail_install() {
    echo "error: cannot install $1 ($2); its compatibility driver cannot run."
    echo "  the log is above; check that the registry is reachable and the pinned version exists."
    exit 1
}

python_client() { # NAME REQUIREMENTS
    local venv=$WORK/$1-venv
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv" || fail_install "$1" "python3 -m venv failed"
    timeout "$INSTALL_TIMEOUT" "$venv/bin/pip" install --quiet -r "$2" ||
        fail_install "$1" "pip install -r $2 failed or took over ${INSTALL_TIMEOUT}s"
}

echo "--- installing the clients (pinned)"
for tool in python3 node npm cargo; do
    command -v "$tool" >/dev/null || fail_install "the clients" "\`$tool\` is not on PATH (Debian: apt-get install python3-venv nodejs npm)"
done
python_client libcloud $SDK/requirements-libcloud.txt
python_client footmark $SDK/requirements-footmark.txt
python_client ali-eni $SDK/requirements-ali-eni.txt
mkdir -p $WORK/node
cp $SDK/node/package.json $SDK/node/package-lock.json $WORK/node/
(cd $WORK/node && timeout "$INSTALL_TIMEOUT" npm ci --no-audit --no-fund --loglevel=error) ||
    fail_install "the Node.js clients" "npm ci of $SDK/node/package-lock.json failed or took over ${INSTALL_TIMEOUT}s"
# The Rust client is its own workspace (it pins reqwest 0.11); built with its lock file.
timeout $((INSTALL_TIMEOUT * 2)) cargo build --quiet --locked --manifest-path $SDK/rust/Cargo.toml \
    --target-dir $WORK/rust-target ||
    fail_install "aliyun-openapi-core-rust-sdk" "cargo build of $SDK/rust failed or took over $((INSTALL_TIMEOUT * 2))s"

run() { "$SDK/client_run.sh" "$BIN" "$OUT" "$@"; }
status=0
run libcloud $WORK/libcloud-venv/bin/python $SDK/libcloud_driver.py {PORT} {RESULT} || status=1
for method in GET POST; do
    NODE_PATH=$WORK/node/node_modules run "popcore-$method" node $SDK/node/popcore_driver.js $method {PORT} {RESULT} || status=1
done
NODE_PATH=$WORK/node/node_modules run ecs-v3 node $SDK/node/ecs_v3_driver.js {PORT} {RESULT} || status=1
run footmark $WORK/footmark-venv/bin/python $SDK/footmark_driver.py {PORT} {RESULT} || status=1
run rust-sdk $WORK/rust-target/debug/eni-harness-rust-client {PORT} {RESULT} || status=1
run ali-eni $WORK/ali-eni-venv/bin/python $SDK/ali_eni_driver.py {PORT} {RESULT} || status=1

echo "--- the README's client compatibility table"
python3 $SDK/compat_table.py "$OUT" README.md "$MODE" \
    --clients libcloud,popcore-GET,popcore-POST,ecs-v3,footmark,rust-sdk,ali-eni || status=1
if [[ $status -ne 0 ]]; then
    echo "client compatibility: FAILED (see above)"
else
    echo "client compatibility: every client ran its scenario and the journal passed it"
fi
exit $status
