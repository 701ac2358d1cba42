// What the process may use, as a batch scheduler or container allotted it (issue 13): the
// defaults of --threads and --memory-budget follow the job's allocation, not the host's.
#pragma once

#include <optional>
#include <string>

namespace sw {

// A default and where it came from (logged at the start of a run, so that a user sees why).
struct allotment {
  long long value = 0;
  std::string source;
};

// CPUs: those in the process's affinity mask (taskset, Slurm's and containers' cpusets),
// fewer when SLURM_CPUS_PER_TASK says so; the hardware's count when neither is known.
allotment available_cpus();

// The memory-budget default: a quarter of physical RAM, or three quarters of the process's
// cgroup memory limit when that is lower (a Slurm --mem job, a container: the allotment is
// the job's own, but the process's untracked memory needs the rest).
allotment default_memory_budget();

// The Slurm job the process runs in: "ARRAYJOB_TASK" in an array (SLURM_ARRAY_JOB_ID,
// SLURM_ARRAY_TASK_ID), else SLURM_JOB_ID; empty outside Slurm.
std::string slurm_job();

// This machine's host name (gethostname); empty when it cannot be read.
std::string host_name();

// The tightest memory limit of the cgroup the process is in and its ancestors, read from
// the text of /proc/self/cgroup and the cgroup file system mounted at `root` (v2:
// <root>/<path>/memory.max; v1: <root>/memory/<path>/memory.limit_in_bytes); nullopt when
// none is set ("max", or v1's "unlimited" near 2^63). Pure but for the files it reads.
std::optional<long long> cgroup_memory_limit(const std::string& proc_self_cgroup,
                                             const std::string& root = "/sys/fs/cgroup");

}  // namespace sw
