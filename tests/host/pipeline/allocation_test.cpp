// Allocation-aware defaults (issue 13): the cgroup memory limit read the way the kernel
// exposes it, v1 and v2, the tightest along the cgroup's ancestors; CPUs from the affinity
// mask and SLURM_CPUS_PER_TASK.
#include <gtest/gtest.h>

#include <sched.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "host/pipeline/allocation.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

TEST(cgroup_memory_limit, v2_the_tightest_along_the_ancestors) {
  sw::test::temp_dir d;
  const std::string root = d / "cg";
  fs::create_directories(root + "/slurm/job_7/step_0");
  sw::test::write_text(root + "/slurm/memory.max", "max\n");
  sw::test::write_text(root + "/slurm/job_7/memory.max", "4294967296\n");  // the job: 4 GiB
  sw::test::write_text(root + "/slurm/job_7/step_0/memory.max", "max\n");
  EXPECT_EQ(sw::cgroup_memory_limit("0::/slurm/job_7/step_0\n", root), 4294967296LL);
  // no limit anywhere
  EXPECT_EQ(sw::cgroup_memory_limit("0::/slurm\n", root), std::nullopt);
  EXPECT_EQ(sw::cgroup_memory_limit("", root), std::nullopt);
}

TEST(cgroup_memory_limit, v1_memory_controller_and_its_unlimited_value) {
  sw::test::temp_dir d;
  const std::string root = d / "cg";
  fs::create_directories(root + "/memory/docker/abc");
  sw::test::write_text(root + "/memory/docker/abc/memory.limit_in_bytes", "2147483648\n");
  sw::test::write_text(root + "/memory/memory.limit_in_bytes", "9223372036854771712\n");
  const std::string self = "12:pids:/docker/abc\n4:cpuset,memory:/docker/abc\n1:name=systemd:/\n";
  EXPECT_EQ(sw::cgroup_memory_limit(self, root), 2147483648LL);
  // v1's "unlimited" (2^63 rounded down to pages) is no limit
  EXPECT_EQ(sw::cgroup_memory_limit("4:memory:/\n", root), std::nullopt);
}

TEST(allocation, cpus_follow_the_affinity_mask_and_slurm) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  unsetenv("SLURM_CPUS_PER_TASK");
  const auto a = sw::available_cpus();
  EXPECT_EQ(a.value, CPU_COUNT(&set));
  EXPECT_NE(a.source.find("affinity"), std::string::npos);
  setenv("SLURM_CPUS_PER_TASK", "1", 1);
  const auto s = sw::available_cpus();
  EXPECT_EQ(s.value, 1);
  EXPECT_EQ(s.source, "SLURM_CPUS_PER_TASK");
  unsetenv("SLURM_CPUS_PER_TASK");
}

TEST(allocation, memory_budget_default_is_a_quarter_of_ram_at_most) {
  const auto m = sw::default_memory_budget();
  EXPECT_GT(m.value, 0);
  EXPECT_FALSE(m.source.empty());
}
