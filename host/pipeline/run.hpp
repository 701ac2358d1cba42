// `sitewatch run`: the batch job (SPEC 3).
#pragma once

#include <string>

namespace sw {

struct run_options {
  std::string scenes;
  std::string sites;
  std::string out;
  std::string config_path;  // empty: built-in defaults
  std::string device = "auto";
  int threads = 0;            // 0: all cores
  std::string memory_budget;  // empty: a quarter of RAM
  std::string shard;          // "I/N", empty: 0/1
  bool resume = false;
  bool overwrite = false;
  std::string csv_dir;
  std::string rasters_dir;
  bool quiet = false;
  std::string command_line;  // recorded in runs.args
};

// Exit codes (SPEC 3).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_partial = 3;

// Runs the job; returns the exit code. Throws sw::input_error for invalid inputs found
// before any work (config, catalog, options), sw::error for a failure of the whole run.
int run_batch(const run_options& opt);

// "512M", "4G", "2GiB", "1.5g", plain bytes. Throws sw::input_error.
long long parse_size(const std::string& text);

}  // namespace sw
