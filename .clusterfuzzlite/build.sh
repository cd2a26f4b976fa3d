#!/bin/bash -eu
# Builds every fuzz target of fuzz/Cargo.toml with cargo-fuzz (sanitizers and flags come from the
# builder image's environment) and copies each binary to $OUT with its seed corpus, the shared
# dictionary and libFuzzer options. The target list is read from the manifest's [[bin]] names, so
# a new target is picked up without editing this file. `build.sh --list` only prints that list
# (run from the repository root; `.ci/run` uses it too).

# The `name = "…"` lines inside [[bin]] tables of fuzz/Cargo.toml.
fuzz_targets() {
  awk '
    /^\[\[bin\]\]/ { in_bin = 1; next }
    /^\[/          { in_bin = 0 }
    in_bin && /^[[:space:]]*name[[:space:]]*=/ {
      sub(/^[^"]*"/, ""); sub(/".*$/, ""); print
    }
  ' fuzz/Cargo.toml
}

if [ "${1:-}" = "--list" ]; then
  fuzz_targets
  exit 0
fi

cd "$SRC/eni-harness"
cargo fuzz build -O
release_dir=fuzz/target/x86_64-unknown-linux-gnu/release
for target in $(fuzz_targets); do
  cp "$release_dir/$target" "$OUT/$target"
  if [ -d "fuzz/seeds/$target" ]; then
    (cd "fuzz/seeds/$target" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*)
  fi
  if [ -d "fuzz/regressions/$target" ]; then
    (cd "fuzz/regressions/$target" && find . -type f ! -name README.md -exec zip -q -j "$OUT/${target}_seed_corpus.zip" {} +)
  fi
  cp fuzz/dict/eni.dict "$OUT/$target.dict"
  printf '[libfuzzer]\ndict = %s.dict\nmax_len = 65536\n' "$target" > "$OUT/$target.options"
done
