#!/usr/bin/env bash
# The main job on a built-in example: synthesise a small Planet-style archive of a border
# rail station, a port quay, a depot and a control site (48 dates, a third cloudy), run
# sitewatch on it, print the site_counts table and how the counts compare with the truth.
# Usage: scripts/demo.sh [OUT_DIR]   (default: demo-out)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}

scripts/setup.sh
cmake --preset cpu >/dev/null
cmake --build --preset cpu -j "$(nproc 2>/dev/null || echo 2)" --target sitewatch
sw=build/cpu/sitewatch

if [[ ! -f "$out/archive/truth.csv" ]]; then
  rm -rf "$out/archive"
  echo "==> sitewatch synth (scenario tumen, 48 dates, scale 0.05)"
  "$sw" synth --out "$out/archive" --dates 48 --scale 0.05 --seed 1
fi

echo "==> sitewatch run"
rc=0
"$sw" run --scenes "$out/archive/scenes" --sites "$out/archive/sites.geojson" \
  --config "$out/archive/config.toml" --out "$out/results.gpkg" --csv "$out/csv" \
  --overwrite || rc=$?
if ((rc != 0 && rc != 3)); then exit "$rc"; fi

echo
echo "==> site_counts ($out/results.gpkg; also $out/csv/site_counts.csv)"
sqlite3 -header -column "$out/results.gpkg" "
  SELECT site_id, substr(acquired, 1, 10) AS date, class,
         CASE observable WHEN 1 THEN 'yes' ELSE 'no' END AS observable,
         count, components, printf('%.2f', valid_fraction) AS valid,
         CASE WHEN changed_area_m2 IS NULL THEN '' ELSE printf('%.0f', changed_area_m2) END
           AS changed_m2,
         CASE anomaly WHEN 1 THEN 'ANOMALY' WHEN 0 THEN '' END AS anomaly
  FROM site_counts ORDER BY site_id, acquired, class;"

echo
echo "==> counts against the synthetic truth ($out/archive/truth.csv)"
scripts/compare_truth.py "$out/archive/truth.csv" "$out/csv/site_counts.csv"
echo
"$sw" report "$out/results.gpkg" --out "$out/report.html"
echo "Results: $out/results.gpkg (open in QGIS), $out/csv/, $out/report.html (a browser)."
echo "Exit code of run: $rc"
