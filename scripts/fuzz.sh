#!/usr/bin/env bash
# Fuzzes sitewatch's readers of user input for as long as one asks (issue 12;
# docs/RELIABILITY.md): the config parser, the site catalog loader, the metadata JSON reader,
# the scene describer and STAC input, each a libFuzzer target built by the asan preset
# (clang, AddressSanitizer + UBSan). CI runs each for a few seconds (ctest label `fuzz`);
# this is the long run.
# Usage: scripts/fuzz.sh [SECONDS per target, default 600] [KIND ...]   (KIND: config sites
#        metadata scene stac; default all). The corpus grows in build/asan/fuzz-corpus/KIND
#        from run to run; what fails is kept in build/asan/tests/fuzz/findings and replayed
#        with build/asan/tests/fuzz/fuzz_KIND FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
kinds=("$@")
((${#kinds[@]})) || kinds=(config sites metadata scene stac)

scripts/setup.sh >/dev/null
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)" --target "${kinds[@]/#/fuzz_}"
status=0
for kind in "${kinds[@]}"; do
  corpus=build/asan/fuzz-corpus/$kind
  mkdir -p "$corpus"
  printf '\n==> fuzz_%s for %s s (corpus %s: %s inputs)\n' "$kind" "$seconds" "$corpus" \
    "$(find "$corpus" -type f | wc -l)"
  # the grown corpus first: libFuzzer adds what it finds to the first folder it is given
  tests/fuzz/run_fuzz.sh "build/asan/tests/fuzz/fuzz_$kind" "tests/fuzz/seeds/$kind" "$seconds" \
    build/asan/tests/fuzz/findings "$corpus" || status=1
done
exit $status
