#!/usr/bin/env bash
# Submits a sharded sitewatch run to Slurm: an array of N shard runs
# (sitewatch-array.sbatch), then their merge (sitewatch-merge.sbatch) once every shard has
# succeeded (--dependency=afterok on the array). Prints both job ids. docs/SCALING.md has
# the sizing.
#
#   scripts/slurm/submit.sh --scenes PATH --sites FILE --out-dir DIR --shards N [options] [-- SBATCH_OPTIONS...]
#
#   --scenes PATH         the archive (SW_SCENES)
#   --sites FILE          the site catalog (SW_SITES)
#   --config FILE         config TOML (SW_CONFIG; default: sitewatch's defaults)
#   --out-dir DIR         shard-I.gpkg, merged.gpkg and logs/ go here; made if missing; on
#                         storage every node sees (SW_OUT_DIR)
#   --shards N            array size, 0-(N-1) (SW_SHARDS)
#   --sitewatch BIN       the binary the jobs run (SW_BIN; default: `sitewatch` on PATH)
#   --cpus-per-task C     CPUs per shard (SW_CPUS_PER_TASK; default 4); sitewatch uses as many
#                         threads (SLURM_CPUS_PER_TASK)
#   --mem SIZE            memory per shard, e.g. 16G (SW_MEM); the run's --memory-budget is
#                         3/4 of it. Default: the partition's
#   --time T              time limit per shard, e.g. 2:00:00 (SW_TIME)
#   --partition P         (SW_PARTITION)
#   --throttle K          at most K shards at once (--array=0-(N-1)%K) (SW_THROTTLE)
#   --gpus                one GPU per shard (--gres=gpu:1) and --device auto (SW_GPUS=1);
#                         CPU only by default
#   --csv DIR             the merge job also exports the merged tables as CSV here (SW_CSV_DIR)
#   -- SBATCH_OPTIONS     passed to both sbatch calls (e.g. --account=A --qos=Q)
#
# Resubmitting the same command after a failure or a time limit resumes every shard
# (a shard output that exists is `--resume`d; finished shards return at once).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

scenes=${SW_SCENES:-}
sites=${SW_SITES:-}
config=${SW_CONFIG:-}
out_dir=${SW_OUT_DIR:-}
shards=${SW_SHARDS:-}
bin=${SW_BIN:-sitewatch}
cpus=${SW_CPUS_PER_TASK:-4}
mem=${SW_MEM:-}
time_limit=${SW_TIME:-}
partition=${SW_PARTITION:-}
throttle=${SW_THROTTLE:-}
gpus=${SW_GPUS:-0}
csv_dir=${SW_CSV_DIR:-}
extra=()

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
}
while (($#)); do
  [[ "$1" == --gpus || "$1" == -- || "$1" == -h || "$1" == --help || $# -ge 2 ]] || {
    echo "submit.sh: $1 needs a value" >&2
    exit 2
  }
  case "$1" in
    --scenes) scenes=$2; shift 2 ;;
    --sites) sites=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --sitewatch) bin=$2; shift 2 ;;
    --cpus-per-task) cpus=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --time) time_limit=$2; shift 2 ;;
    --partition) partition=$2; shift 2 ;;
    --throttle) throttle=$2; shift 2 ;;
    --gpus) gpus=1; shift ;;
    --csv) csv_dir=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage ;;
    *) echo "submit.sh: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done

fail() {
  echo "submit.sh: $*" >&2
  exit 2
}
[[ -n "$scenes" && -n "$sites" && -n "$out_dir" ]] || fail "--scenes, --sites and --out-dir are required (--help)"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || fail "--shards N: a positive integer is required, got '${shards}'"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || fail "--cpus-per-task C: a positive integer, got '$cpus'"
[[ -z "$throttle" || "$throttle" =~ ^[1-9][0-9]*$ ]] || fail "--throttle K: a positive integer, got '$throttle'"
[[ -e "$scenes" ]] || fail "--scenes $scenes: not found"
[[ -e "$sites" ]] || fail "--sites $sites: not found"
[[ -z "$config" || -f "$config" ]] || fail "--config $config: not found"
command -v sbatch >/dev/null || fail "sbatch not found: is this a Slurm login node?"

# The jobs may start in another folder: absolute paths.
abs() { realpath -m -- "$1"; }
mkdir -p "$out_dir/logs"
scenes=$(abs "$scenes")
sites=$(abs "$sites")
out_dir=$(abs "$out_dir")
[[ -n "$config" ]] && config=$(abs "$config")
[[ -n "$csv_dir" ]] && csv_dir=$(abs "$csv_dir")
if [[ "$bin" == */* ]]; then
  bin=$(abs "$bin")
  [[ -x "$bin" ]] || fail "--sitewatch $bin: not an executable"
fi

common=()
[[ -n "$partition" ]] && common+=(--partition="$partition")
common+=("${extra[@]}")

array_opts=(--parsable --array="0-$((shards - 1))${throttle:+%$throttle}"
  --cpus-per-task="$cpus" --output="$out_dir/logs/shard-%a.log" --export=ALL)
[[ -n "$mem" ]] && array_opts+=(--mem="$mem")
[[ -n "$time_limit" ]] && array_opts+=(--time="$time_limit")
if [[ "$gpus" == 1 ]]; then
  array_opts+=(--gres=gpu:1)
  export SW_DEVICE=${SW_DEVICE:-auto}
fi

export SW_BIN="$bin"
[[ -n "$csv_dir" ]] && export SW_CSV_DIR="$csv_dir"

array_job=$(sbatch "${array_opts[@]}" "${common[@]}" "$here/sitewatch-array.sbatch" \
  "$scenes" "$sites" "$out_dir" "$config")
array_job=${array_job%%;*}
[[ "$array_job" =~ ^[0-9]+$ ]] || fail "sbatch (array) answered '$array_job'"

merge_job=$(sbatch --parsable --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
  --output="$out_dir/logs/merge.log" --export=ALL "${common[@]}" \
  "$here/sitewatch-merge.sbatch" "$out_dir" "$shards")
merge_job=${merge_job%%;*}
[[ "$merge_job" =~ ^[0-9]+$ ]] || fail "sbatch (merge) answered '$merge_job' (the array $array_job is queued)"

echo "array job: $array_job ($shards shards: $out_dir/shard-0..$((shards - 1)).gpkg, logs in $out_dir/logs)"
echo "merge job: $merge_job (after every shard succeeded: $out_dir/merged.gpkg)"
