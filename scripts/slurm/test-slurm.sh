#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, and a sharded sitewatch run through it
# (docs/TESTING.md, "Slurm"):
#   1. installs Debian's slurm-wlm and munge when missing (services kept from starting);
#      when they cannot be installed: one line "slurm test skipped: ..." and exit 0
#   2. in a temporary folder: a munge key and munged on its own socket; slurm.conf (this
#      host as controller and only node, no cgroups, free ports); slurmctld and slurmd in
#      the foreground (-D), in the background of this script, each in a session of its own
#   3. `sitewatch synth` (8 dates, scale 0.05), then scripts/slurm/submit.sh with 3 shards
#      of 1 CPU each (the node runs as many at once as it has CPUs)
#   4. while shard 0 runs, once it has committed a pair, `scontrol requeue` of that task:
#      Slurm stops it (SIGTERM), queues it again, and the new attempt `--resume`s; says
#      whether the first attempt was stopped mid-run or had already finished
#   5. waits for the merge job; the merged site_counts and detections against one plain
#      `sitewatch run` of the same archive: identical (site_counts by
#      scripts/compare_tables.py, detections row for row, run_id left out)
# Everything it started is stopped and the folder removed on exit, failure included
# (SW_SLURM_TEST_KEEP=1 keeps the folder, logs and outputs, for a look;
# SW_SLURM_TEST_REQUEUE=done requeues shard 0 once it has finished, the other path).
# Usage: scripts/slurm/test-slurm.sh [SITEWATCH_BINARY]   (default build/cpu/sitewatch)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath -m -- "${1:-$repo/build/cpu/sitewatch}")
t_start=$SECONDS
say() { printf 'slurm test [%3ds]: %s\n' "$((SECONDS - t_start))" "$*"; }
skip() {
  echo "slurm test skipped: $*"
  exit 0
}
[[ -x "$bin" ]] || {
  echo "slurm test: $bin is not an executable (build first, or pass the binary)" >&2
  exit 2
}

# --- 1. packages --------------------------------------------------------------------------
have_all() {
  local p
  for p in slurmctld slurmd slurm-client munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 1
  done
}
if ! have_all; then
  command -v apt-get >/dev/null || skip "slurm-wlm and munge are not installed and there is no apt-get"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo -n true 2>/dev/null || skip "slurm-wlm and munge are not installed and installing needs root"
    sudo_cmd=(sudo -n)
  fi
  say "installing slurm-wlm and munge (apt-get)"
  # Debian starts services on install; keep them from starting (we run our own daemons).
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 755 "$policy"
    trap '"${sudo_cmd[@]}" rm -f "$policy"' EXIT
  fi
  apt=("${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
  install() { "${apt[@]}" install -y --no-install-recommends slurm-wlm munge >/dev/null 2>&1; }
  ok=1
  install || { "${apt[@]}" update >/dev/null 2>&1 && install; } || ok=0
  if [[ $(trap -p EXIT) ]]; then
    "${sudo_cmd[@]}" rm -f "$policy"
    trap - EXIT
  fi
  ((ok)) || skip "apt-get could not install slurm-wlm and munge"
fi
[[ $(id -u) -eq 0 ]] || skip "slurmd must run as root to start jobs (run this test as root)"
for cmd in munged munge unmunge slurmctld slurmd sbatch scontrol squeue sinfo scancel; do
  command -v "$cmd" >/dev/null || skip "$cmd not found after installing slurm-wlm and munge"
done
say "$(slurmctld -V), munge $(munged -V 2>&1 | awk '{print $1}' | sed 's/munge-//')"

# --- 2. the cluster -----------------------------------------------------------------------
# The daemons run in sessions of their own (setsid), so that a signal to this script's
# process group (timeout, Ctrl-C) reaches this script, whose clean-up then cancels the
# jobs through them before stopping them.
tmp=$(mktemp -d /tmp/sw-slurm.XXXXXX)
chmod 755 "$tmp"
export SW_SLURM_TEST_DIR=$tmp # marks every process this test starts (daemons, steps, jobs)
export SLURM_CONF=$tmp/etc/slurm.conf
daemons=()
jobs_submitted=()

# The processes of this test: those with its marker in their environment (the daemons,
# the jobs), and those with a file open under its folder (slurmstepd, which slurmd starts
# with an environment of its own and which is not our child). Each is a single scan.
# The list of processes is taken before the scan's own pipeline starts, which it leaves out.
ours() {
  local procs=(/proc/[0-9]*)
  {
    grep -lsxzF "SW_SLURM_TEST_DIR=$tmp" "${procs[@]/%//environ}" | cut -d/ -f3
    find "${procs[@]/%//fd}" -maxdepth 1 -lname "$tmp/*" 2>/dev/null | cut -d/ -f3
  } | sort -u | grep -vx -e "$$" -e "$BASHPID" || true
}
cleanup() {
  local rc=$? i pids
  set +e
  trap - EXIT INT TERM HUP
  trap '' PIPE # a closed stdout (| head) must not stop the clean-up half-way
  # The jobs first, while slurmctld and slurmd are there to end their steps cleanly.
  if ((${#jobs_submitted[@]})); then
    timeout 5 scancel "${jobs_submitted[@]}" >/dev/null 2>&1
    for ((i = 0; i < 30; ++i)); do
      # no job left, no step nor job process writing its log
      [[ -z $(timeout 5 squeue -h 2>/dev/null) && -z $(find /proc/[0-9]*/fd -maxdepth 1 \
        -lname "$tmp/out/*" 2>/dev/null) ]] && break
      sleep 0.5
    done
  fi
  ((${#daemons[@]})) && kill -TERM "${daemons[@]}" 2>/dev/null
  for ((i = 0; i < 10; ++i)); do
    pids=$(ours)
    [[ -z $pids ]] && break
    sleep 0.3
  done
  pids=$(ours)
  # shellcheck disable=SC2086
  [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
  wait 2>/dev/null
  if ((rc != 0)) && [[ -d $tmp ]]; then
    for f in "$tmp"/log/*.log "$tmp"/out/logs/*.log; do
      [[ -f $f ]] && { echo "--- $f (last 30 lines)"; tail -n 30 "$f"; }
    done
  fi
  if [[ ${SW_SLURM_TEST_KEEP:-0} == 1 ]]; then
    echo "slurm test: kept $tmp (SW_SLURM_TEST_KEEP=1)"
  else
    rm -rf "$tmp"
  fi
  ((rc == 0)) || echo "slurm test FAILED (exit $rc) after $((SECONDS - t_start)) s" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
fail() {
  echo "slurm test: FAIL: $*" >&2
  exit 1
}

mkdir -p "$tmp"/{etc,munge,log,state,spool,out}
chmod 755 "$tmp/munge"
dd if=/dev/urandom of="$tmp/etc/munge.key" bs=1024 count=1 status=none
chmod 600 "$tmp/etc/munge.key"
setsid munged -F -f --socket="$tmp/munge/munge.sock" --key-file="$tmp/etc/munge.key" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" \
  --log-file="$tmp/log/munged.log" >>"$tmp/log/munged.log" 2>&1 &
daemons+=($!)
for ((i = 0; i < 50; ++i)); do
  [[ -S $tmp/munge/munge.sock ]] && break
  sleep 0.1
done
munge -S "$tmp/munge/munge.sock" -n | unmunge -S "$tmp/munge/munge.sock" >/dev/null ||
  fail "munged does not answer (log: $(tail -n 3 "$tmp/log/munged.log"))"

# Two free TCP ports (another test's cluster may hold Slurm's defaults).
read -r ctld_port slurmd_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
node=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
: >"$tmp/etc/plugstack.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=swtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/state/slurmctld.pid
SlurmdPidFile=$tmp/spool/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$tmp/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=600
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
setsid slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/log/slurmctld.out" 2>&1 &
daemons+=($!)
setsid slurmd -D -N "$node" -f "$SLURM_CONF" >>"$tmp/log/slurmd.out" 2>&1 &
daemons+=($!)
for ((i = 0; i < 150; ++i)); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.2
done
[[ ${state:-} == idle ]] || fail "node $node not idle after 30 s (state '${state:-none}')"
say "cluster up: node $node, $cpus CPUs, ports $ctld_port/$slurmd_port"

# --- 3. the archive and the jobs ----------------------------------------------------------
"$bin" synth --out "$tmp/archive" --dates 8 --scale 0.05 -q
a=$tmp/archive
say "archive synthesised: $(find "$a/scenes" -name '*_3B_AnalyticMS_SR*.tif' | wc -l) scenes"
submitted=$("$repo/scripts/slurm/submit.sh" --scenes "$a/scenes" --sites "$a/sites.geojson" \
  --config "$a/config.toml" --out-dir "$tmp/out" --shards 3 --cpus-per-task 1 \
  --sitewatch "$bin")
echo "$submitted"
array_job=$(awk '/^array job:/ {print $3}' <<<"$submitted")
merge_job=$(awk '/^merge job:/ {print $3}' <<<"$submitted")
[[ $array_job =~ ^[0-9]+$ && $merge_job =~ ^[0-9]+$ ]] || fail "no job ids from submit.sh"
jobs_submitted=("$array_job" "$merge_job")

job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }

# --- 4. requeue shard 0 while it runs -----------------------------------------------------
# Once its first attempt has committed a pair (so that the requeued one has something to
# resume): the journal is read without taking a lock (immutable), so the run is not
# disturbed; a half-written page only means "try again". The poller is started at once so
# that it is watching before the task starts.
task="${array_job}_0"
when=${SW_SLURM_TEST_REQUEUE:-running} # "done": requeue after shard 0 finished instead
committed=$(python3 - "$tmp/out/shard-0.gpkg" "$tmp/out/logs/shard-0.log" "$when" <<'EOF'
import os, sqlite3, sys, time
db, log, when = sys.argv[1:4]
n, t0 = 0, time.time()
def ended():
    return os.path.exists(log) and "sitewatch exit" in open(log).read()
while time.time() - t0 < 120:
    if os.path.exists(db):
        try:
            c = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
            n = c.execute("SELECT COUNT(*) FROM sitewatch_journal").fetchone()[0]
            c.close()
        except sqlite3.Error:
            pass
    if (n > 0 and when != "done") or ended():
        break
    time.sleep(0.01)
print(n)
EOF
)
st=$(job_state "$task")
if [[ $when == "done" ]]; then
  for ((i = 0; i < 300; ++i)); do
    [[ $st == COMPLETED || $st == FAILED ]] && break
    sleep 0.1
    st=$(job_state "$task")
  done
fi
say "shard 0 is $st ($committed pairs committed when looked at): scontrol requeue $task"
scontrol requeue "$task" || fail "scontrol requeue $task refused"
# Slurm holds a requeued job back (its EligibleTime, about two minutes); release it sooner,
# but not at once: started in the second it was requeued in, slurmd refuses it ("Job
# credential revoked") and the task fails.
for ((i = 0; i < 300; ++i)); do
  st=$(job_state "$task")
  [[ $st == PENDING ]] && break
  sleep 0.1
done
[[ $st == PENDING ]] || fail "shard 0 is $st after the requeue, not PENDING"
begin=$(scontrol show job "$task" | sed -n 's/.*EligibleTime=\([^ ]*\).*/\1/p' | head -n 1)
scontrol update JobId="$task" StartTime=now+2 || fail "could not release the requeued $task"
say "shard 0 requeued (eligible from $begin, released to start in 2 s)"

# --- 5. wait for the merge, compare -------------------------------------------------------
for ((i = 0; i < 1200; ++i)); do
  st=$(job_state "$merge_job")
  [[ $st == COMPLETED || $st == FAILED || $st == CANCELLED || $st == TIMEOUT ]] && break
  sleep 0.1
done
[[ $st == COMPLETED ]] || fail "merge job $merge_job ended $st (array: $(squeue -h -j "$array_job" -o '%i %T %r' | tr '\n' ' '))"
log0=$tmp/out/logs/shard-0.log
attempts=$(grep -c 'sitewatch exit' "$log0" || true)
first_exit=$(grep -m1 -o 'sitewatch exit [0-9]*' "$log0" | awk '{print $3}' || true)
restarts=$(scontrol show job "$task" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p' | head -n 1)
if [[ -z $first_exit ]]; then
  fail "no sitewatch exit in $log0"
elif [[ $first_exit == 0 ]]; then
  how="had already finished (exit 0); the requeued attempt found it done (shard-0.done) and exited"
else
  done_before=$(sed -n 's/.* \([0-9]*\) pairs (\([0-9]*\) already done).*/\2 of \1/p' "$log0" | tail -n 1)
  how="was stopped mid-run (sitewatch exit $first_exit); the requeued attempt resumed it with ${done_before:-?} pairs already done"
fi
((restarts >= 1)) || fail "shard 0 shows Restarts=${restarts:-?} after the requeue"
if [[ $first_exit == 0 ]]; then
  grep -q "already finished with these inputs" "$log0" || fail "the requeued, finished shard 0 ran again"
else
  grep -q "resuming $tmp/out/shard-0.gpkg" "$log0" || fail "the requeued shard 0 did not --resume"
fi
say "merge job done; shard 0 $how (Restarts=$restarts, $attempts sitewatch runs logged)"

"$bin" export "$tmp/out/merged.gpkg" --format csv --out "$tmp/merged-csv"
"$bin" run --scenes "$a/scenes" --sites "$a/sites.geojson" --config "$a/config.toml" \
  --out "$tmp/whole.gpkg" --csv "$tmp/whole-csv" --device cpu -q || [[ $? == 3 ]]
python3 "$repo/scripts/compare_tables.py" "$tmp/whole-csv/site_counts.csv" "$tmp/merged-csv/site_counts.csv" ||
  fail "merged site_counts differ from the plain run's"
python3 - "$tmp/whole-csv/detections.csv" "$tmp/merged-csv/detections.csv" <<'EOF' || fail "merged detections differ from the plain run's"
import csv, sys
def rows(path):
    with open(path, newline="") as f:
        return sorted(tuple(sorted((k, v) for k, v in r.items() if k != "run_id")) for r in csv.DictReader(f))
a, b = rows(sys.argv[1]), rows(sys.argv[2])
print(f"detections: {len(a)} rows vs {len(b)} rows: {'identical' if a == b else 'DIFFERENT'}")
sys.exit(0 if a == b and a else 1)
EOF
shard_sites=$(for f in "$tmp"/out/shard-*.gpkg; do
  printf '%s ' "$(basename "$f" .gpkg):$(python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute('SELECT COUNT(DISTINCT site_id) || \" sites, \" || COUNT(*) || \" pairs\" FROM sitewatch_journal').fetchone()[0])" "$f")"
done)
say "shards: $shard_sites"
# each shard's runs rows say which array task and shard they were (issue 13: provenance)
runs=$(python3 - "$tmp/out/merged.gpkg" "$array_job" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT shard, slurm_job, host, threads FROM runs ORDER BY shard").fetchall()
want = {f"{i}/3": f"{sys.argv[2]}_{i}" for i in range(3)}
bad = [r for r in rows if want.get(r[0]) != r[1] or not r[2] or not r[3]]
print("; ".join(f"shard {s} job {j} on {h}, {t} threads" for s, j, h, t in rows))
sys.exit(1 if bad or {r[0] for r in rows} != set(want) else 0)
EOF
) || fail "the merged runs table does not name each shard's array task: $runs"
say "runs: $runs"
say "PASS: 3 shards under Slurm, one requeued, merged = the plain run ($((SECONDS - t_start)) s)"
