#!/usr/bin/env bash
# Regenerates docs/images/report.png, the first screen of `sitewatch report` that the README
# shows: the demo archive (scripts/demo.sh's: scenario tumen, 48 dates, scale 0.05, seed 1)
# is synthesised when missing, run, reported, and the page photographed by Debian's headless
# Chromium at 1280 x 900 (installed through scripts/setup.sh --browser when missing).
# Usage: scripts/report-screenshot.sh [OUT_DIR]   (default: demo-out; SITEWATCH=path/to/binary)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}
sw=${SITEWATCH:-build/cpu/sitewatch}
png=docs/images/report.png

if [[ ! -x "$sw" ]]; then
  cmake --preset cpu >/dev/null
  cmake --build --preset cpu --target sitewatch
fi
command -v chromium >/dev/null || scripts/setup.sh --browser

if [[ ! -f "$out/archive/truth.csv" ]]; then
  rm -rf "$out/archive"
  "$sw" synth --out "$out/archive" --dates 48 --scale 0.05 --seed 1 -q
fi
rc=0
"$sw" run --scenes "$out/archive/scenes" --sites "$out/archive/sites.geojson" \
  --config "$out/archive/config.toml" --out "$out/results.gpkg" --csv "$out/csv" \
  --overwrite -q || rc=$?
if ((rc != 0 && rc != 3)); then exit "$rc"; fi
"$sw" report "$out/results.gpkg" --out "$out/report.html"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$png")"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --disable-background-networking --disable-component-update --user-data-dir="$profile" \
  --window-size=1280,900 --screenshot="$PWD/$png" "file://$(realpath "$out/report.html")" \
  >/dev/null 2>&1
echo "$png: $(stat -c %s "$png") bytes, the first screen of $out/report.html"
