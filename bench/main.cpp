// Google Benchmark entry point: records what the figures were measured on in the JSON
// context (backend, threads, build, git hash, machine), so a BENCHMARKS.md table can always
// say what produced it. Run: build/cpu/bench/sw_bench --benchmark_format=json
#include <thread>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/info.h>

#include "build_info.hpp"
#include "kernels/engine.hpp"

int main(int argc, char** argv) {
  benchmark::AddCustomContext("sitewatch_version", sw::build::version);
  benchmark::AddCustomContext("git", sw::build::git_hash);
  benchmark::AddCustomContext("build_type", sw::build::build_type);
  benchmark::AddCustomContext("compiler", sw::build::cxx_compiler);
  benchmark::AddCustomContext("backend", sw::kern::cuda_device_count() > 0 ? "cpu+cuda" : "cpu");
  benchmark::AddCustomContext("tbb_threads", std::to_string(tbb::info::default_concurrency()));
  benchmark::AddCustomContext("hardware_threads",
                              std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
