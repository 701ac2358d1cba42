#!/usr/bin/env bash
# Builds and tests sitewatch on this machine, the way CI does:
#   1. scripts/setup.sh (dependencies, idempotent)
#   2. the `cpu` preset: build, all tests; then (not with --quick) a real single-node Slurm
#      cluster running a sharded run, one shard requeued, merged = a plain run
#      (scripts/slurm/test-slurm.sh: installs slurm-wlm and munge itself; skips, exit 0,
#      only when they cannot be installed)
#   3. the `cuda` preset when nvcc is present: build the binary, the GPU tests and the
#      benchmarks (must compile and link with -Werror), run the tests labelled `gpu` (they
#      skip without a device) and the CUDA build's binary end to end on a small archive.
#      The host test suite is not built again here: it is the same source the cpu preset
#      ran, and the device's code path runs on every machine through the serial engine
#      (docs/TESTING.md); skipping it keeps CI inside its time
#   4. the `asan` preset: build, the tests under AddressSanitizer + UBSan (four repetitive
#      ones left to step 2, see below)
# Usage: scripts/test.sh [--quick]   (--quick: cpu preset only, no slurm)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }
t0=$SECONDS

step "cpu: configure and build"
cmake --preset cpu >/dev/null
cmake --build --preset cpu -j "$jobs"
step "cpu: tests"
ctest --preset cpu -j "$jobs"

if ((quick == 0)); then
  step "slurm: a real single-node cluster"
  timeout --kill-after=30 600 scripts/slurm/test-slurm.sh build/cpu/sitewatch
fi

if ((quick == 0)); then
  nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
  if command -v nvcc >/dev/null 2>&1 || [[ -x "$nvcc" ]]; then
    step "cuda: configure and build (nvcc, -Werror)"
    cmake --preset cuda >/dev/null
    cmake --build --preset cuda -j "$jobs" --target sitewatch sw_gpu_tests sw_bench
    step "cuda: gpu tests (skip without a device), and the binary end to end"
    ctest --preset cuda -L gpu -j "$jobs"
    smoke=$(mktemp -d)
    build/cuda/sitewatch info
    build/cuda/sitewatch synth --out "$smoke/archive" --dates 6 --scale 0.05 -q
    build/cuda/sitewatch run --scenes "$smoke/archive/scenes" --sites "$smoke/archive/sites.geojson" \
      --config "$smoke/archive/config.toml" --out "$smoke/out.gpkg" --csv "$smoke/csv" -q
    build/cpu/sitewatch run --scenes "$smoke/archive/scenes" --sites "$smoke/archive/sites.geojson" \
      --config "$smoke/archive/config.toml" --out "$smoke/cpu.gpkg" --csv "$smoke/cpu-csv" -q
    /usr/bin/python3 scripts/compare_tables.py "$smoke/cpu-csv/site_counts.csv" "$smoke/csv/site_counts.csv"
    rm -rf "$smoke"
  else
    step "cuda: skipped (no nvcc on this machine)"
  fi

  step "asan: configure and build"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  step "asan: tests"
  # Under the sanitizers, all but four tests the cpu preset has just run, whose code the
  # sanitized suite runs elsewhere and whose cost is repetition (kept CI near 40 minutes;
  # docs/TESTING.md): the SIGKILL/resume loops (the resume path: bad_input.sigterm_...), the
  # same archive at several thread counts, and the serial engine on every strategy and
  # method (the serial engine: engine_serial tests).
  asan_skip='^strategies/resume\.|^synth_run\.same_answer_for_any_thread_count|^serial_engine\.equals_the_cpu_engine_on_the_hard_archive'
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --preset asan -j "$jobs" -E "$asan_skip"
fi

step "all tests passed in $((SECONDS - t0)) s"
