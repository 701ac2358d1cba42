#!/usr/bin/env bash
# Builds and tests sitewatch on this machine, the way CI does:
#   1. scripts/setup.sh (dependencies, idempotent)
#   2. the `cpu` preset: build, all tests
#   3. the `cuda` preset when nvcc is present: build (must compile and link with -Werror),
#      tests (those labelled `gpu` skip without a device)
#   4. the `asan` preset: build, all tests under AddressSanitizer + UBSan
# Usage: scripts/test.sh [--quick]   (--quick: cpu preset only)
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
  nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
  if command -v nvcc >/dev/null 2>&1 || [[ -x "$nvcc" ]]; then
    step "cuda: configure and build (nvcc, -Werror)"
    cmake --preset cuda >/dev/null
    cmake --build --preset cuda -j "$jobs"
    step "cuda: tests (label gpu skips without a device)"
    ctest --preset cuda -j "$jobs"
  else
    step "cuda: skipped (no nvcc on this machine)"
  fi

  step "asan: configure and build"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  step "asan: tests"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --preset asan -j "$jobs"
fi

step "all tests passed in $((SECONDS - t0)) s"
