#!/usr/bin/env bash
# sitewatch against the tools users would run instead (issue 5), on the same synthesised
# archive, in one invocation, with the same thread count:
#   1. sitewatch run (CPU backend)
#   2. scripts/peers/python_peer.py: GDAL + numpy + OpenCV, the same method
#   3. scripts/peers/otb_peer.py: a chain of Orfeo ToolBox applications
# Prints wall times, the ratio to sitewatch, and how many rows agree with sitewatch
# (observable and count) and with the truth. Then the decode bound of both (reads and
# warps only: `sitewatch bench`'s read-only rounds, python_peer.py --read-only) and the
# highest ratio to the Python peer that any sitewatch could reach while it decodes the
# same windows: python's full time / sitewatch's read-only time.
# Usage: scripts/compare-peers.sh [--dates N] [--scale F] [--threads N] [--repeat R]
#                                 [--out DIR] [--skip-otb]
#        or with --scenes DIR --sites F --config F --truth F for an existing archive.
set -euo pipefail
cd "$(dirname "$0")/.."

dates=24 scale=0.1 threads=2 repeat=3 out=peers-out skip_otb=0
scenes="" sites="" config="" truth=""
while (($#)); do
  case "$1" in
    --dates) dates=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --skip-otb) skip_otb=1; shift ;;
    --scenes) scenes=$2; shift 2 ;;
    --sites) sites=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --truth) truth=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh --peers
cmake --preset cpu >/dev/null
cmake --build --preset cpu -j "$(nproc)" --target sitewatch
sw=build/cpu/sitewatch
mkdir -p "$out"
# no stale results from an earlier invocation (e.g. an OTB run before --skip-otb)
rm -rf "$out/sitewatch" "$out/sitewatch.gpkg" "$out"/{sitewatch,python,python-read,otb}.{csv,log,time} \
  "$out/sitewatch-bench.json"

if [[ -z "$scenes" ]]; then
  archive="$out/archive-d$dates-s$scale"
  [[ -f "$archive/truth.csv" ]] || "$sw" synth --out "$archive" --dates "$dates" --scale "$scale" \
      --full-scenes -q
  scenes=$archive/scenes sites=$archive/sites.geojson config=$archive/config.toml
  truth=$archive/truth.csv
fi

# wall seconds of a command (GNU time), its output to a log
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.log" 2>&1
  read -r wall rss < "$out/$name.time"
  echo "$wall $rss"
}

# sitewatch and the Python peer alternate, --repeat times; the median wall time counts
# (these are short jobs on a noisy machine). The OTB chain is slow and runs once.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
sw_walls=() py_walls=()
for ((r = 1; r <= repeat; r++)); do
  echo "==> round $r/$repeat: sitewatch ($threads threads), python peer"
  read -r w sw_rss < <(timed sitewatch "$sw" run --scenes "$scenes" --sites "$sites" \
    --config "$config" --out "$out/sitewatch.gpkg" --csv "$out/sitewatch" --threads "$threads" \
    --device cpu --overwrite -q || true)
  sw_walls+=("$w")
  read -r w py_rss < <(timed python /usr/bin/python3 scripts/peers/python_peer.py \
    --scenes "$scenes" --sites "$sites" --config "$config" --out "$out/python.csv" \
    --threads "$threads")
  py_walls+=("$w")
done
sw_wall=$(median "${sw_walls[@]}") py_wall=$(median "${py_walls[@]}")
echo "==> decode bounds: sitewatch bench (read-only rounds), python peer --read-only"
"$sw" bench --scenes "$scenes" --sites "$sites" --config "$config" --threads "$threads" \
  --repeat 3 --device cpu --json "$out/sitewatch-bench.json" > "$out/sitewatch-bench.log" 2>&1
sw_read=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["read_only"]["wall_s"])' \
  "$out/sitewatch-bench.json")
read -r pyr_wall _ < <(timed python-read /usr/bin/python3 scripts/peers/python_peer.py \
  --scenes "$scenes" --sites "$sites" --config "$config" --out /dev/null --threads "$threads" \
  --read-only)
if ((skip_otb == 0)); then
  echo "==> Orfeo ToolBox peer"
  read -r otb_wall otb_rss < <(timed otb /usr/bin/python3 scripts/peers/otb_peer.py \
    --scenes "$scenes" --sites "$sites" --config "$config" --out "$out/otb.csv" --threads "$threads")
fi

pairs=$(($(wc -l < "$out/sitewatch/site_counts.csv") - 1))
echo
echo "archive: $scenes ($pairs site_counts rows); $threads threads; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "wall: median of $repeat runs (sitewatch: ${sw_walls[*]} s; python: ${py_walls[*]} s)"
printf "%-14s %9s %9s %10s  %s\n" tool "wall s" "peak MiB" "vs sitewatch" "rows agreeing with sitewatch (observable and count)"
printf "%-14s %9.2f %9d %10s  %s\n" sitewatch "$sw_wall" $((sw_rss / 1024)) "1.00" "-"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{print a/b}'; }
agree() { scripts/peers/agreement.py "$out/sitewatch/site_counts.csv" "$1" | head -1; }
printf "%-14s %9.2f %9d %9.1fx  %s\n" python "$py_wall" $((py_rss / 1024)) \
  "$(ratio "$py_wall" "$sw_wall")" "$(agree "$out/python.csv")"
if ((skip_otb == 0)); then
  printf "%-14s %9.2f %9d %9.1fx  %s\n" otb "$otb_wall" $((otb_rss / 1024)) \
    "$(ratio "$otb_wall" "$sw_wall")" "$(agree "$out/otb.csv")"
fi
echo
echo "decode bound (reads and warps only, same threads):"
printf "  sitewatch %.2f s (median of 3 read-only rounds in one process)\n" "$sw_read"
printf "  python    %.2f s (one --read-only run, interpreter and imports included)\n" "$pyr_wall"
printf "  highest python / sitewatch ratio while both decode the same windows: %.1fx\n" \
  "$(ratio "$py_wall" "$sw_read")"
if [[ -n "$truth" ]]; then
  echo
  for t in sitewatch python otb; do
    f="$out/$t.csv"; [[ $t == sitewatch ]] && f="$out/sitewatch/site_counts.csv"
    [[ -f "$f" ]] || continue
    echo "-- $t against the truth"
    scripts/compare_truth.py "$truth" "$f"
  done
fi
