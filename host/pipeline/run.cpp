#include "host/pipeline/run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <cpl_vsi.h>
#include <fmt/format.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for_each.h>
#include <oneapi/tbb/task_arena.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "build_info.hpp"
#include "host/common/error.hpp"
#include "host/common/hash.hpp"
#include "host/config/config.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene.hpp"
#include "host/io/sites.hpp"
#include "host/output/export.hpp"
#include "host/output/gpkg_writer.hpp"
#include "host/pipeline/device.hpp"
#include "host/pipeline/progress.hpp"
#include "host/pipeline/site_runner.hpp"
#include "host/plan/plan.hpp"

namespace sw {
namespace {

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string make_run_id() {
  std::random_device rd;
  const std::string t = format_rfc3339(now_unix());  // 2023-10-05T01:35:12Z
  std::string compact;
  for (char c : t)
    if (c != '-' && c != ':') compact += c;
  return fmt::format("{}-{:08x}", compact, rd());
}

std::string stat_line(const std::string& path) {
  if (path.empty()) return "";
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0) return fmt::format("{}\t?\t?\n", path);
  return fmt::format("{}\t{}\t{}\n", path, static_cast<long long>(st.st_size),
                     static_cast<long long>(st.st_mtime));
}

// Hash over the input file list with sizes and modification times (SPEC 4 runs table).
std::string inputs_hash(const std::vector<scene_info>& scenes, const std::string& sites) {
  std::vector<std::string> lines;
  for (const auto& s : scenes) {
    lines.push_back(stat_line(s.path));
    lines.push_back(stat_line(s.udm2_path));
    lines.push_back(stat_line(s.metadata_path));
  }
  std::sort(lines.begin(), lines.end());
  std::string all = stat_line(sites);
  for (const auto& l : lines) all += l;
  return sha256_hex(all);
}

std::pair<int, int> parse_shard(const std::string& text) {
  if (text.empty()) return {0, 1};
  int i = -1, n = -1;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &i, &n, &tail) != 2 || n < 1 || i < 0 || i >= n)
    throw input_error(fmt::format("--shard {}: expected I/N with 0 <= I < N", text));
  return {i, n};
}

long long physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<long long>(pages) * page : 8LL << 30;
}

// Working memory of one site in flight: the warped scene, its aligned copy, the reference
// and its members, about 40 bytes of scratch per pixel, and GDAL's warp buffer.
long long site_memory(const site& s, const config& cfg, int bands) {
  const long long px = s.grid.pixels();
  const int members =
      cfg.reference.strategy == reference_strategy::median ? cfg.reference.window : 1;
  return px * (4LL * bands * (3 + members) + 40) + (64LL << 20);
}

struct failure_log {
  std::mutex m;
  std::map<std::string, std::string> by_scene;  // first error per scene
  void add(const std::string& scene, const std::string& msg) {
    std::lock_guard<std::mutex> lock(m);
    by_scene.emplace(scene, msg);
  }
};

}  // namespace

long long parse_size(const std::string& text) {
  double v = 0;
  char unit[8] = {0};
  const int got = std::sscanf(text.c_str(), "%lf%7s", &v, unit);
  if (got < 1 || v <= 0) throw input_error(fmt::format("'{}' is not a size (e.g. 512M, 4G)", text));
  std::string u(unit);
  std::transform(u.begin(), u.end(), u.begin(), ::tolower);
  double mult = 1;
  if (u.empty() || u == "b")
    mult = 1;
  else if (u == "k" || u == "kb" || u == "kib")
    mult = 1024.0;
  else if (u == "m" || u == "mb" || u == "mib")
    mult = 1024.0 * 1024;
  else if (u == "g" || u == "gb" || u == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (u == "t" || u == "tb" || u == "tib")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else
    throw input_error(fmt::format("'{}' is not a size (units: K, M, G, T)", text));
  return static_cast<long long>(v * mult);
}

int run_batch(const run_options& opt) {
  const auto t_start = std::chrono::steady_clock::now();
  gdal_init();

  // ---- everything that can be wrong with the inputs, before any work ------------------
  const config cfg = opt.config_path.empty() ? default_config() : load_config(opt.config_path);
  const site_catalog catalog = load_sites(opt.sites, cfg);
  const device_choice dev = choose_device(opt.device);
  const auto [shard_i, shard_n] = parse_shard(opt.shard);
  const long long budget =
      opt.memory_budget.empty() ? physical_memory() / 4 : parse_size(opt.memory_budget);
  if (opt.threads < 0) throw input_error("--threads must be >= 0");
  if (opt.resume && opt.overwrite) throw input_error("--resume and --overwrite exclude each other");
  const std::string config_text = cfg.canonical_toml();
  const std::string config_sha = sha256_hex(config_text);

  if (!opt.quiet) spdlog::info("indexing scenes under {}", opt.scenes);
  std::vector<scene_info> scenes = index_scenes(opt.scenes);
  run_plan plan = make_plan(std::move(scenes), catalog, shard_i, shard_n);

  gpkg_writer writer(opt.out, opt.resume      ? gpkg_writer::mode::resume
                              : opt.overwrite ? gpkg_writer::mode::overwrite
                                              : gpkg_writer::mode::create);
  std::set<std::pair<std::string, std::string>> done;
  if (opt.resume) {
    const auto prev = writer.last_config_sha256();
    if (prev && *prev != config_sha)
      throw input_error(fmt::format(
          "{}: --resume refused: the output was made with a different config (sha256 {} vs {})",
          opt.out, prev->substr(0, 12), config_sha.substr(0, 12)));
    done = writer.done_pairs();
  }
  writer.write_sites(catalog);

  run_row run;
  run.run_id = make_run_id();
  run.started = format_rfc3339(now_unix());
  run.version = build::version;
  run.git = build::git_hash;
  run.config = config_text;
  run.config_sha256 = config_sha;
  run.inputs_sha256 = inputs_hash(plan.scenes, opt.sites);
  run.device = dev.describe();
  run.args = opt.command_line;
  writer.write_run(run);

  // ---- the work ------------------------------------------------------------------------
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = opt.threads > 0 ? opt.threads : hw;
  long long per_site = 1;
  for (const auto& w : plan.work)
    per_site = std::max(per_site, site_memory(catalog.sites[w.site], cfg, 8));
  const int concurrency = static_cast<int>(
      std::clamp<long long>(budget / per_site, 1, static_cast<long long>(threads)));
  if (!opt.quiet)
    spdlog::info(
        "{} scenes, {} sites, {} pairs ({} already done); device {}, {} threads, {} sites "
        "at a time (memory budget {} MiB)",
        plan.scenes.size(), plan.work.size(), plan.pairs(), done.size(), dev.describe(), threads,
        concurrency, budget >> 20);

  tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                         static_cast<std::size_t>(threads));
  progress_reporter progress(plan.pairs(), opt.quiet);
  std::mutex write_mutex;
  failure_log failures;
  std::atomic<long long> pairs_written{0}, pairs_skipped{0}, pairs_failed{0};
  std::mutex times_mutex;
  stage_times total_times;

  auto run_site = [&](const site_work& w) {
    const site& s = catalog.sites[w.site];
    const bool all_done = std::all_of(w.scenes.begin(), w.scenes.end(), [&](std::size_t i) {
      return done.count({s.id, plan.scenes[i].id}) > 0;
    });
    if (all_done) {
      pairs_skipped += static_cast<long long>(w.scenes.size());
      progress.add(static_cast<long long>(w.scenes.size()), 0);
      return;
    }
    const int gpu = dev.cuda ? dev.gpus[w.site % dev.gpus.size()] : 0;
    stage_times t;
    try {
      site_runner runner(s, cfg, dev, gpu, opt.rasters_dir);
      const bool fixed = cfg.reference.strategy == reference_strategy::fixed;
      if (fixed) {
        // The fixed scene: by id, else by nearest date; the nearest observable one wins.
        std::vector<std::size_t> order = w.scenes;
        std::int64_t target = 0;
        if (cfg.reference.scene_id.empty())
          target = parse_rfc3339(cfg.reference.date + "T00:00:00Z").value_or(0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
          const auto& sa = plan.scenes[a];
          const auto& sb = plan.scenes[b];
          if (!cfg.reference.scene_id.empty())
            return (sa.id == cfg.reference.scene_id) > (sb.id == cfg.reference.scene_id);
          return std::llabs(sa.acquired_unix - target) < std::llabs(sb.acquired_unix - target);
        });
        for (std::size_t i : order) {
          if (!cfg.reference.scene_id.empty() && plan.scenes[i].id != cfg.reference.scene_id) break;
          try {
            if (runner.seed_reference(plan.scenes[i], t)) break;
          } catch (const std::exception&) {
            // that candidate is unreadable: the pass below records it; try the next
          }
        }
      }
      for (std::size_t i : w.scenes) {
        const scene_info& sc = plan.scenes[i];
        try {
          pair_rows rows = runner.process(sc, !fixed, t);
          if (done.count({s.id, sc.id})) {
            ++pairs_skipped;
          } else {
            std::lock_guard<std::mutex> lock(write_mutex);
            writer.write_pair(rows, run.run_id);
            ++pairs_written;
          }
        } catch (const std::exception& e) {
          ++pairs_failed;
          failures.add(sc.id, fmt::format("site {}: {}", s.id, e.what()));
          if (!opt.quiet) spdlog::warn("scene {} at site {} failed: {}", sc.id, s.id, e.what());
        }
        progress.add(1, s.grid.pixels());
      }
    } catch (const std::exception& e) {
      // The site itself could not be set up (e.g. its zones do not rasterise).
      for (std::size_t i : w.scenes)
        failures.add(plan.scenes[i].id, fmt::format("site {}: {}", s.id, e.what()));
      pairs_failed += static_cast<long long>(w.scenes.size());
      spdlog::error("site {} failed: {}", s.id, e.what());
    }
    std::lock_guard<std::mutex> lock(times_mutex);
    total_times.read += t.read;
    total_times.compute += t.compute;
    total_times.rows += t.rows;
    total_times.rasters += t.rasters;
  };

  tbb::task_arena arena(concurrency);
  arena.execute([&] { tbb::parallel_for_each(plan.work.begin(), plan.work.end(), run_site); });
  progress.stop();

  // ---- the scenes table, the run's end, exports --------------------------------------
  std::vector<scene_row> scene_rows;
  std::set<std::size_t> in_shard;
  for (const auto& w : plan.work) in_shard.insert(w.scenes.begin(), w.scenes.end());
  long long scenes_failed = 0, scenes_skipped = 0;
  for (std::size_t i = 0; i < plan.scenes.size(); ++i) {
    const scene_info& s = plan.scenes[i];
    scene_row r;
    r.scene_id = s.id;
    r.acquired = s.acquired;
    r.path = s.path;
    r.item_type = s.item_type;
    r.satellite_id = s.satellite_id;
    r.mask_source = to_string(s.mask);
    r.sites_seen = plan.sites_seen[i];
    r.footprint_wkt = s.footprint_wkt;
    if (!s.error.empty()) {
      r.status = "failed";
      r.error = s.error;
    } else if (auto it = failures.by_scene.find(s.id); it != failures.by_scene.end()) {
      r.status = "failed";
      r.error = it->second;
    } else if (plan.sites_seen[i] == 0) {
      r.status = "skipped";
      r.error = "does not overlap any site";
    } else if (!in_shard.count(i)) {
      r.status = "skipped";
      r.error = fmt::format("overlaps no site of shard {}/{}", shard_i, shard_n);
    } else {
      r.status = "done";
    }
    scenes_failed += r.status == "failed";
    scenes_skipped += r.status == "skipped";
    scene_rows.push_back(std::move(r));
  }
  writer.write_scenes(scene_rows);
  writer.finish_run(run.run_id, format_rfc3339(now_unix()));

  if (!opt.csv_dir.empty()) export_tables(opt.out, export_format::csv, opt.csv_dir);

  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  if (!opt.quiet) {
    spdlog::info(
        "done in {:.1f} s: {} pairs written, {} already done, {} failed; {} scenes "
        "failed, {} skipped",
        wall, pairs_written.load(), pairs_skipped.load(), pairs_failed.load(), scenes_failed,
        scenes_skipped);
    spdlog::info(
        "stage time (summed over threads): read+warp {:.2f} s, compute {:.2f} s, rows "
        "{:.2f} s, rasters {:.2f} s",
        total_times.read, total_times.compute, total_times.rows, total_times.rasters);
    spdlog::info("output: {}", opt.out);
  }
  return scenes_failed > 0 ? exit_partial : exit_ok;
}

}  // namespace sw
