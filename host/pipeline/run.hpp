// `sitewatch run`: the batch job (SPEC 3).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "kernels/engine.hpp"

namespace sw {

// What a run did and how long each stage took (for `sitewatch bench` and the summary).
struct run_report {
  double wall_seconds = 0;
  long long pairs = 0;  // pairs planned
  long long pairs_written = 0;
  long long pairs_failed = 0;
  long long grid_pixels = 0;   // site-grid pixels processed (pairs x grid size)
  long long scenes = 0;        // scenes indexed
  double read_seconds = 0;     // read + decode + warp, summed over threads
  double compute_seconds = 0;  // engine, summed over sites
  double rows_seconds = 0;
  double rasters_seconds = 0;
  double chips_seconds = 0;        // strategy archive: chip store writes and reads
  double write_seconds = 0;        // the writer thread's commits
  kern::engine_step_times engine;  // compute by engine step, summed over sites
  long long peak_rss_bytes = 0;    // of the process so far
  long long blocks_decoded = 0;    // source blocks decoded (host/io/tile_cache.hpp)
  long long blocks_shared = 0;     // source blocks read again without decoding
  int threads = 0;
  int sites_in_flight = 0;
  int tokens_per_site = 0;
  std::string device;
  int exit_code = 0;  // run_batch's
};

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
  // Read and warp every pair but compute and write nothing (`sitewatch bench` uses it to
  // measure the decode bound with the same scheduler and threads).
  bool read_only = false;
};

// Exit codes (SPEC 3).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_partial = 3;
// Stopped by SIGINT or SIGTERM (host/pipeline/stop_signal.hpp): 128 + the signal, 130 or
// 143; what was in flight is committed and --resume finishes the run.
inline constexpr int exit_signal_base = 128;

// Runs the job; returns what it did, with the exit code. Throws sw::input_error for invalid
// inputs found before any work (config, catalog, options), sw::error for a failure of the
// whole run.
run_report run_archive(const run_options& opt);
// run_archive's exit code.
int run_batch(const run_options& opt);

// "512M", "4G", "2GiB", "1.5g", plain bytes. Throws sw::input_error.
long long parse_size(const std::string& text);

// --shard "I/N" (0 <= I < N) as {I, N}; empty: {0, 1}. Throws sw::input_error.
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace sw
