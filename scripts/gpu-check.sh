#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds the cuda preset, runs the tests labelled `gpu`
# (CUDA engine against the CPU engine; the kernel suites' `*/cuda.*` tests), then runs the same synthetic archive end to end on
# --device cpu and --device cuda and compares the tables (counts identical, floats within
# 1e-4 relative), and runs the benchmarks when they exist. Writes everything under
# ${OUT:-gpu-check-out}/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-check-out}
mkdir -p "$out"

command -v nvidia-smi >/dev/null && nvidia-smi | tee "$out/nvidia-smi.txt" || echo "no nvidia-smi"
scripts/setup.sh
cmake --preset cuda >/dev/null
cmake --build --preset cuda -j "$(nproc)"
sw=build/cuda/sitewatch
"$sw" info | tee "$out/info.txt"

echo "==> gpu tests"
ctest --preset cuda -L gpu --output-on-failure | tee "$out/gpu-tests.txt"

echo "==> end to end: cpu vs cuda"
[[ -f "$out/archive/truth.csv" ]] || "$sw" synth --out "$out/archive" --dates 48 --scale 0.1 -q
for dev in cpu cuda; do
  /usr/bin/time -v "$sw" run --scenes "$out/archive/scenes" --sites "$out/archive/sites.geojson" \
    --config "$out/archive/config.toml" --out "$out/$dev.gpkg" --csv "$out/$dev-csv" \
    --device "$dev" --overwrite -q 2> "$out/$dev-time.txt" || true
  grep -E "Elapsed|Maximum resident" "$out/$dev-time.txt" || true
done
/usr/bin/python3 scripts/compare_tables.py "$out/cpu-csv/site_counts.csv" "$out/cuda-csv/site_counts.csv" \
  | tee "$out/cpu-vs-cuda.txt"

echo "==> sitewatch bench on both backends (same archive, decode bound beside each)"
for dev in cpu cuda; do
  "$sw" bench --scenes "$out/archive/scenes" --sites "$out/archive/sites.geojson" \
    --config "$out/archive/config.toml" --device "$dev" --repeat 3 --json "$out/bench-$dev.json" \
    | tee "$out/bench-$dev.txt"
done

if [[ -x build/cuda/bench/sw_bench ]]; then
  echo "==> benchmarks"
  build/cuda/bench/sw_bench --benchmark_format=json --benchmark_out="$out/bench.json" || true
fi
echo "results in $out/"
