#!/usr/bin/env bash
# The full mutation run over the emulator's rule code (.cargo/mutants.toml `examine_globs`):
# tier 1, every mutant against the emulator's own tests, two jobs each in its own copy of the
# tree, so the checkout is never edited. Installs the pinned cargo-mutants when it is missing.
#
# Usage: harness/tests/mutants_full.sh [OUT] [more cargo-mutants arguments]
#   OUT (default target/mutants-full) receives mutants.out/ with caught.txt, missed.txt,
#   timeout.txt and unviable.txt; e.g. `--shard 1/3` splits the run for three machines, and
#   `--list` only lists the mutants.
# Exits as cargo-mutants does: 0 all caught, 2 some missed, 3 some timed out.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=27.1.0
out="${1:-target/mutants-full}"
shift || true

if ! cargo mutants --version 2>/dev/null | grep -qx "cargo-mutants $version"; then
  cargo install --locked cargo-mutants --version "$version"
fi
exec cargo mutants -p eni-emulator -j 2 -o "$out" "$@"
