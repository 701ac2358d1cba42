#include "host/pipeline/allocation.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace sw {
namespace {

long long physical_ram() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<long long>(pages) * page : 8LL << 30;
}

// A limit file's value; nullopt for "max", unreadable or absurd values (v1 writes about
// 2^63 rounded to pages for "no limit").
std::optional<long long> read_limit(const std::string& path) {
  std::ifstream f(path);
  std::string text;
  if (!(f >> text) || text == "max") return std::nullopt;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || v <= 0 || v >= (1LL << 60)) return std::nullopt;
  return v;
}

// The tightest limit along `dir` and its ancestors up to `top` (a job's limit may be set on
// a parent: Slurm's job cgroup above its step's).
std::optional<long long> tightest(std::string dir, const std::string& top,
                                  const std::string& file) {
  std::optional<long long> best;
  while (true) {
    if (const auto v = read_limit(dir + "/" + file)) best = best ? std::min(*best, *v) : *v;
    if (dir.size() <= top.size()) break;
    dir = dir.substr(0, dir.rfind('/'));
  }
  return best;
}

}  // namespace

std::optional<long long> cgroup_memory_limit(const std::string& proc_self_cgroup,
                                             const std::string& root) {
  std::istringstream lines(proc_self_cgroup);
  std::string line;
  std::optional<long long> best;
  auto keep = [&](std::optional<long long> v) {
    if (v) best = best ? std::min(*best, *v) : *v;
  };
  while (std::getline(lines, line)) {
    // hierarchy-ID:controllers:path
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (path == "/") path.clear();
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {  // v2
      keep(tightest(root + path, root, "memory.max"));
    } else {
      std::istringstream names(controllers);
      std::string name;
      while (std::getline(names, name, ','))
        if (name == "memory")
          keep(tightest(root + "/memory" + path, root + "/memory", "memory.limit_in_bytes"));
    }
  }
  return best;
}

allotment available_cpus() {
  allotment a;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
    a.value = CPU_COUNT(&set);
    a.source = "the process's CPU affinity mask";
  } else {
    a.value = std::max(1u, std::thread::hardware_concurrency());
    a.source = "the host's CPU count";
  }
  if (const char* slurm = std::getenv("SLURM_CPUS_PER_TASK")) {
    const long long n = std::atoll(slurm);
    if (n > 0 && n < a.value) {
      a.value = n;
      a.source = "SLURM_CPUS_PER_TASK";
    }
  }
  return a;
}

allotment default_memory_budget() {
  const long long ram = physical_ram();
  allotment a{ram / 4, fmt::format("a quarter of physical RAM ({} MiB)", ram >> 20)};
  std::ifstream f("/proc/self/cgroup");
  const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  if (const auto limit = cgroup_memory_limit(text); limit && *limit / 4 * 3 < a.value)
    a = {*limit / 4 * 3,
         fmt::format("three quarters of the cgroup memory limit ({} MiB)", *limit >> 20)};
  return a;
}

std::string slurm_job() {
  const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (array && *array && task && *task) return fmt::format("{}_{}", array, task);
  const char* job = std::getenv("SLURM_JOB_ID");
  return job ? job : "";
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return {};
  return name.data();
}

}  // namespace sw
