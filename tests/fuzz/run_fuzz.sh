#!/usr/bin/env bash
# One libFuzzer target for SECONDS from the seeds in SEED_DIR (read only). What it finds new
# goes to CORPUS (a temporary folder when not given). A crash, leak, sanitizer report, an
# input taking over 10 s or a run past 2 GiB fails it; the input that did it is kept as
# FINDINGS/<target>-<crash|leak|timeout|oom>-<sha1> (libFuzzer also prints it in Base64
# when it is small), to be replayed with `TARGET FILE`.
# Usage: run_fuzz.sh TARGET SEED_DIR SECONDS FINDINGS [CORPUS]
set -euo pipefail
target=$1 seeds=$2 seconds=$3 findings=$4 corpus=${5:-}
mkdir -p "$findings"
if [[ -z $corpus ]]; then
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
fi
# -max_len: inputs up to 64 KiB (a TIFF's header and tags, a config, a catalog of many sites)
here=$(cd "$(dirname "$0")" && pwd)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/../lsan.supp:print_suppressions=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$target" "$corpus" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/$(basename "$target")-"
