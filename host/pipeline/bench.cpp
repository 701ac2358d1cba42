#include "host/pipeline/bench.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "host/common/error.hpp"
#include "host/pipeline/run.hpp"
#include "host/synth/synth.hpp"

namespace sw {
namespace {

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.empty() ? 0.0 : (v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]));
}

nlohmann::json to_json(const run_report& r) {
  return {{"wall_s", r.wall_seconds},
          {"pairs", r.pairs},
          {"pairs_written", r.pairs_written},
          {"pairs_failed", r.pairs_failed},
          {"grid_pixels", r.grid_pixels},
          {"scenes", r.scenes},
          {"pairs_per_s", r.wall_seconds > 0 ? r.pairs / r.wall_seconds : 0.0},
          {"grid_mpx_per_s", r.wall_seconds > 0 ? r.grid_pixels / r.wall_seconds / 1e6 : 0.0},
          {"scenes_per_h", r.wall_seconds > 0 ? r.scenes * 3600.0 / r.wall_seconds : 0.0},
          {"stage_s",
           {{"read_decode_warp", r.read_seconds},
            {"compute", r.compute_seconds},
            {"rows", r.rows_seconds},
            {"rasters", r.rasters_seconds},
            {"write", r.write_seconds}}},
          {"compute_step_s",
           {{"upload_valid_mask", r.engine.upload_valid},
            {"coregister", r.engine.coregister},
            {"normalise", r.engine.normalise},
            {"change", r.engine.change},
            {"objects", r.engine.objects},
            {"download", r.engine.download},
            {"reference_update", r.engine.reference}}},
          {"source_blocks", {{"decoded", r.blocks_decoded}, {"shared", r.blocks_shared}}},
          {"peak_rss_mib", r.peak_rss_bytes >> 20},
          {"sites_in_flight", r.sites_in_flight},
          {"scenes_in_flight_per_site", r.tokens_per_site}};
}

namespace fs = std::filesystem;

struct bench_archive {
  std::string scenes, sites, config_path;
};

// The archive given, or one synthesised into dir (kept across benches of a --work-dir).
bench_archive prepare_archive(const bench_options& opt, const fs::path& dir) {
  bench_archive a{opt.scenes, opt.sites, opt.config_path};
  if (!a.scenes.empty()) return a;
  synth_options so;
  so.out_dir = (dir / "archive").string();
  so.dates = opt.synth_dates;
  so.scale = opt.synth_scale;
  so.clip_products = false;  // full scenes: what an archive of downloads holds
  so.quiet = true;
  so.threads = opt.threads;
  if (!fs::exists(fs::path(so.out_dir) / "truth.csv")) {
    spdlog::info("bench: synthesising {} dates at scale {} in {}", so.dates, so.scale, so.out_dir);
    write_synthetic_archive(so);
  }
  a.scenes = so.out_dir + "/scenes";
  a.sites = so.out_dir + "/sites.geojson";
  a.config_path = so.out_dir + "/config.toml";
  return a;
}

// Each round runs read-only, then full: the per-round ratio compares runs close in time.
void run_rounds(const bench_options& opt, const bench_archive& a, const fs::path& dir,
                std::vector<run_report>& reads, std::vector<run_report>& fulls) {
  for (int k = 0; k < std::max(1, opt.repeat); ++k) {
    for (bool read_only : {true, false}) {
      run_options ro;
      ro.scenes = a.scenes;
      ro.sites = a.sites;
      ro.config_path = a.config_path;
      ro.out = (dir / fmt::format("bench-{}-{}.gpkg", read_only ? "read" : "full", k)).string();
      ro.overwrite = true;
      ro.device = opt.device;
      ro.threads = opt.threads;
      ro.memory_budget = opt.memory_budget;
      ro.quiet = true;
      ro.read_only = read_only;
      ro.command_line = opt.command_line;
      const run_report rep = run_archive(ro);
      const int rc = rep.exit_code;
      if (rc != 0 && rc != 3) throw error(fmt::format("bench: run failed with exit code {}", rc));
      (read_only ? reads : fulls).push_back(rep);
      fs::remove(ro.out);
    }
  }
}

run_report median_run(const std::vector<run_report>& v) {
  std::vector<run_report> s = v;
  std::sort(s.begin(), s.end(), [](const run_report& a, const run_report& b) {
    return a.wall_seconds < b.wall_seconds;
  });
  return s[s.size() / 2];
}

nlohmann::json bench_json(const bench_options& opt, const bench_archive& a, std::size_t rounds,
                          const run_report& rd, const run_report& fu, double ratio) {
  nlohmann::json j;
  j["machine"] = {{"cpu", cpu_model()}, {"hardware_threads", std::thread::hardware_concurrency()}};
  j["build"] = {{"version", build::version},
                {"git", build::git_hash},
                {"type", build::build_type},
                {"compiler", build::cxx_compiler}};
  j["backend"] = fu.device;
  j["threads"] = fu.threads;
  j["archive"] = {{"scenes", a.scenes},
                  {"sites", a.sites},
                  {"scene_count", fu.scenes},
                  {"pairs", fu.pairs},
                  {"grid_pixels", fu.grid_pixels}};
  j["repeat"] = rounds;
  j["read_only"] = to_json(rd);
  j["full"] = to_json(fu);
  j["full_over_read_only"] = ratio;
  j["command"] = opt.command_line;
  return j;
}

void print_bench(std::size_t rounds, const run_report& rd, const run_report& fu, double ratio) {
  std::printf("sitewatch bench: %s, %u hardware threads; backend %s, %d threads; git %s\n",
              cpu_model().c_str(), std::thread::hardware_concurrency(), fu.device.c_str(),
              fu.threads, build::git_hash);
  std::printf("archive: %lld scenes, %lld pairs, %.1f Mpx of site grids; median of %zu runs each\n",
              fu.scenes, fu.pairs, fu.grid_pixels / 1e6, rounds);
  std::printf("%-10s %8s %9s %10s %10s %9s %9s %8s %8s %9s\n", "mode", "wall s", "pairs/s",
              "grid Mpx/s", "scenes/h", "read s", "compute s", "rows s", "write s", "peak MiB");
  for (const auto* r : {&rd, &fu})
    std::printf("%-10s %8.2f %9.1f %10.2f %10.0f %9.2f %9.2f %8.2f %8.2f %9lld\n",
                r == &rd ? "read-only" : "full", r->wall_seconds, r->pairs / r->wall_seconds,
                r->grid_pixels / r->wall_seconds / 1e6, r->scenes * 3600.0 / r->wall_seconds,
                r->read_seconds, r->compute_seconds, r->rows_seconds, r->write_seconds,
                r->peak_rss_bytes >> 20);
  std::printf("full / read-only wall time: %.2f (median of per-round ratios)\n", ratio);
  std::printf(
      "compute by step (s, summed over sites): upload+valid %.3f, co-registration %.3f, "
      "normalisation %.3f, change %.3f, objects %.3f, download %.3f, reference update %.3f\n",
      fu.engine.upload_valid, fu.engine.coregister, fu.engine.normalise, fu.engine.change,
      fu.engine.objects, fu.engine.download, fu.engine.reference);
  std::printf(
      "source blocks per run: %lld decoded, %lld served again to another site (tile cache)\n",
      fu.blocks_decoded, fu.blocks_shared);
}

}  // namespace

int bench_command(const bench_options& opt) {
  const bool own_dir = opt.work_dir.empty();
  fs::path dir = own_dir ? fs::temp_directory_path() /
                               fmt::format("sitewatch-bench-{}", std::random_device{}())
                         : fs::path(opt.work_dir);
  fs::create_directories(dir);
  struct cleanup {
    fs::path p;
    bool on;
    ~cleanup() {
      std::error_code ec;
      if (on) fs::remove_all(p, ec);
    }
  } clean{dir, own_dir};

  const bench_archive archive = prepare_archive(opt, dir);
  std::vector<run_report> reads, fulls;
  run_rounds(opt, archive, dir, reads, fulls);
  const run_report rd = median_run(reads), fu = median_run(fulls);
  std::vector<double> ratios;
  for (std::size_t k = 0; k < reads.size(); ++k)
    ratios.push_back(fulls[k].wall_seconds / reads[k].wall_seconds);
  const double ratio = median(ratios);

  const nlohmann::json j = bench_json(opt, archive, reads.size(), rd, fu, ratio);
  print_bench(reads.size(), rd, fu, ratio);
  if (!opt.json_path.empty()) {
    std::ofstream f(opt.json_path);
    f << j.dump(2) << "\n";
    if (!f) throw error(fmt::format("{}: cannot write", opt.json_path));
  }
  return 0;
}

}  // namespace sw
