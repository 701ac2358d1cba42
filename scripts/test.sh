#!/usr/bin/env bash
# Builds and tests sitewatch on this machine, the way CI does:
#   1. scripts/setup.sh (dependencies, idempotent)
#   2. one full build and every test in it: the `cuda` preset where nvcc is present (the
#      CPU and CUDA backends in one binary; nvcc -Werror; the tests labelled `gpu` skip
#      without a device, every other test runs on the CPU backend exactly as in a CPU-only
#      build, and `--device auto` falls back to it), else the `cpu` preset. The CPU-only
#      configuration is still built and tested in step 3 (asan has no CUDA), so each
#      configuration compiles once: a separate cpu build cost CI about 10 minutes.
#      Then the binary end to end with `--device auto` against `--device cpu`, and (not
#      with --quick) a real single-node Slurm cluster running a sharded run, one shard
#      requeued, merged = a plain run (scripts/slurm/test-slurm.sh: installs slurm-wlm and
#      munge itself; skips, exit 0, only when they cannot be installed)
#   3. the `asan` preset (CPU only, no benchmarks; clang -O1 -g1): build, the tests under
#      AddressSanitizer + UBSan (those listed below left to step 2), and the five libFuzzer
#      targets of tests/fuzz for 10 s each (ctest label `fuzz`; docs/RELIABILITY.md)
#   4. the `tsan` preset (clang, ThreadSanitizer, linked to oneTBB built with TSan from
#      Debian's source by scripts/build-tsan-tbb.sh, seconds once built): the threaded
#      tests of the tile cache, scene reader, kernels, scheduler and GeoPackage writer
#      (tests/tsan.supp: GDAL's and PROJ's false positives, Thrust's race; docs/RELIABILITY.md)
# Usage: scripts/test.sh [--quick]   (--quick: the cpu preset only, no slurm, no asan, no tsan)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }
t0=$SECONDS

preset=cpu
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
if ((quick == 0)) && { command -v nvcc >/dev/null 2>&1 || [[ -x "$nvcc" ]]; }; then
  preset=cuda
fi
step "$preset: configure and build$([[ $preset == cuda ]] && echo ' (nvcc, -Werror)')"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
step "$preset: tests (the gpu ones skip without a device)"
ctest --preset "$preset" -j "$jobs"
bin=build/$preset/sitewatch

if ((quick == 0)); then
  step "$preset: the binary end to end, --device auto against --device cpu"
  smoke=$(mktemp -d)
  "$bin" info
  "$bin" synth --out "$smoke/archive" --dates 6 --scale 0.05 -q
  for device in auto cpu; do
    "$bin" run --scenes "$smoke/archive/scenes" --sites "$smoke/archive/sites.geojson" \
      --config "$smoke/archive/config.toml" --out "$smoke/$device.gpkg" --csv "$smoke/$device" \
      --device "$device" -q
  done
  /usr/bin/python3 scripts/compare_tables.py "$smoke/cpu/site_counts.csv" "$smoke/auto/site_counts.csv"
  rm -rf "$smoke"

  step "slurm: a real single-node cluster"
  timeout --kill-after=30 600 scripts/slurm/test-slurm.sh "$bin"

  step "asan: configure and build"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  step "asan: tests"
  # Under the sanitizers, all but the tests below, which step 2 has just run and whose
  # sitewatch code the sanitized suite runs elsewhere (kept CI under 40 minutes;
  # docs/TESTING.md): the SIGKILL/resume loops (the resume path: bad_input.sigterm_...), the
  # same archive at several thread counts, the serial engine on every strategy and method
  # (the serial engine: engine_serial tests), and the tests of what surrounds the binary:
  # packaging (install.), a browser (report.browser; the report itself: synth_run.report_...)
  # and an HTTP server (remote.; the URL paths: scene_paths and scene_index tests).
  asan_skip='^strategies/resume\.|^synth_run\.same_answer_for_any_thread_count|^serial_engine\.equals_the_cpu_engine_on_the_hard_archive|^install\.|^report\.browser|^remote\.'
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --preset asan -j "$jobs" -E "$asan_skip"

  step "tsan: the threaded tests under ThreadSanitizer"
  # oneTBB instrumented too (build/tsan-deps; the preset's SW_TBB_DIR): with Debian's
  # uninstrumented libtbb TSan cannot see a task handed between threads and reports a race
  # on every parallel_for. The tests that run threads against each other: the tile cache
  # (std::thread), the cached scene reader, the CPU kernels at several thread counts, the
  # scheduler and the writer in-process (synth_run: 1 and 2 threads, shuffled input) and
  # through the binary (gpkg_schema: 1 and 2 threads, then export; a failed scene; SIGTERM
  # with work in flight, then --resume).
  scripts/build-tsan-tbb.sh
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$jobs" --target sw_tests
  for b in build/tsan/tests/sw_tests build/tsan/sitewatch; do  # through their RUNPATH
    if ! ldd "$b" | grep -q 'libtbb\.so\.12 => .*/build/tsan-deps/onetbb/lib/'; then
      echo "tsan: $b does not load the instrumented libtbb of build/tsan-deps" >&2
      exit 1
    fi
  done
  tsan_tests='^tile_cache\.|^scene_reader\.|^engine\.results_do_not_depend_on_the_thread_count$|^label\.cpu_launch_|^synth_run\.same_answer_for_any_thread_count_and_file_order$|^gpkg_schema\.geojson_ids_are_the_same_for_any_thread_count$|^bad_input\.sigterm_stops_cleanly_and_resume_finishes$|^cli\.a_broken_scene_is_recorded_and_the_run_exits_3$'
  TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp} \
    ctest --preset tsan -j "$jobs" -R "$tsan_tests"
fi

step "all tests passed in $((SECONDS - t0)) s"
