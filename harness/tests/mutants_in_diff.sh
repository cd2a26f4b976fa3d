#!/usr/bin/env bash
# Mutation testing of changed emulator rule code: every mutant cargo-mutants makes of the lines
# this branch changed in the rule files (.cargo/mutants.toml `examine_globs`) must be caught by the
# emulator's tests (tier 1), or be listed as equivalent in that file's reviewed `exclude_re`.
# So a new rule cannot land without a test that would notice it broken.
#
# Usage: harness/tests/mutants_in_diff.sh [BASE]
#   BASE defaults to the merge base with origin/main, else with a local main branch, else the
#   parent commit. MUTANTS_TIME_LIMIT (seconds, default 1800) bounds the whole run.
# Exits 0 when the rule files did not change (nothing installed) or every mutant was caught.
set -euo pipefail
cd "$(dirname "$0")/../.."

rule_files=(
  harness/emulator/src/actions
  harness/emulator/src/params.rs
  harness/emulator/src/model.rs
  harness/emulator/src/sign.rs
  harness/emulator/src/contract.rs
)
time_limit="${MUTANTS_TIME_LIMIT:-1800}"
version=27.1.0

if [[ $# -ge 1 ]]; then
  base="$(git rev-parse --verify "$1^{commit}")"
elif git rev-parse --verify --quiet origin/main >/dev/null; then
  base="$(git merge-base HEAD origin/main)"
elif git rev-parse --verify --quiet main >/dev/null &&
  [[ "$(git rev-parse main)" != "$(git rev-parse HEAD)" ]]; then
  base="$(git merge-base HEAD main)"
else
  base="$(git rev-parse --verify HEAD~1)"
fi
echo "mutants in diff: base $(git rev-parse --short "$base")"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Against the working tree, so uncommitted edits count too.
git diff --no-ext-diff "$base" -- "${rule_files[@]}" >"$scratch/rules.diff"
if [[ ! -s "$scratch/rules.diff" ]]; then
  echo "mutants in diff: no change to the emulator's rule code since the base; nothing to test"
  exit 0
fi
git diff --stat "$base" -- "${rule_files[@]}"

if ! cargo mutants --version 2>/dev/null | grep -qx "cargo-mutants $version"; then
  cargo install --locked cargo-mutants --version "$version"
fi

# In place: mutants build in this tree's own target directory, warm from the earlier CI steps,
# instead of a cold copy. cargo-mutants puts each file back after its mutant; the copies taken
# here restore them too if the run is cut off.
mkdir -p "$scratch/orig"
git ls-files -z -- "${rule_files[@]}" | xargs -0 cp --parents -t "$scratch/orig"
restore() { (cd "$scratch/orig" && find . -type f -print0 | xargs -0 cp --parents -t "$OLDPWD"); }
trap 'restore; rm -rf "$scratch"' EXIT

status=0
timeout -s INT -k 60 "$time_limit" \
  cargo mutants -p eni-emulator --in-place --in-diff "$scratch/rules.diff" || status=$?
case "$status" in
  0) echo "mutants in diff: every mutant of the changed rule code was caught" ;;
  2) echo "mutants in diff: MISSED mutants (mutants.out/missed.txt): add a test that fails on each," \
       "or list it with the reason in .cargo/mutants.toml exclude_re" >&2 ;;
  3) echo "mutants in diff: some mutants timed out (mutants.out/timeout.txt); a hang is caught," \
       "but check the timeout is not hiding a slow suite" >&2
     status=0 ;;
  124|130) echo "mutants in diff: run cut off after ${time_limit} s (MUTANTS_TIME_LIMIT)" >&2 ;;
  *) echo "mutants in diff: cargo mutants failed with status $status (mutants.out/debug.log)" >&2 ;;
esac
exit "$status"
