// `sitewatch bench`: end-to-end throughput of `run` on an archive (given or synthesised),
// next to the decode bound: the same scheduler and threads reading and warping every pair
// without computing or writing. Both are measured in the same invocation, alternating,
// so the ratio is taken side by side (docs/BENCHMARKS.md).
#pragma once

#include <string>

namespace sw {

struct bench_options {
  std::string scenes, sites, config_path;  // empty scenes: synthesise an archive
  int synth_dates = 24;
  double synth_scale = 0.1;
  std::string device = "cpu";
  int threads = 0;
  int repeat = 3;  // alternating read-only / full runs; medians are reported
  std::string memory_budget;
  std::string json_path;  // also write the report as JSON here
  std::string work_dir;   // where archives and outputs go (default: a temp dir, removed)
  std::string command_line;
};

int bench_command(const bench_options& opt);

}  // namespace sw
