#include "host/pipeline/run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gdal.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "build_info.hpp"
#include "host/common/error.hpp"
#include "host/common/hash.hpp"
#include "host/config/config.hpp"
#include "host/io/chip_store.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene.hpp"
#include "host/io/scene_paths.hpp"
#include "host/io/scene_reader.hpp"
#include "host/io/scene_time.hpp"
#include "host/io/sites.hpp"
#include "host/io/tile_cache.hpp"
#include "host/output/async_writer.hpp"
#include "host/output/export.hpp"
#include "host/output/gpkg_writer.hpp"
#include "host/pipeline/allocation.hpp"
#include "host/pipeline/device.hpp"
#include "host/pipeline/memory_plan.hpp"
#include "host/pipeline/progress.hpp"
#include "host/pipeline/scene_rows.hpp"
#include "host/pipeline/site_job.hpp"
#include "host/pipeline/site_runner.hpp"
#include "host/pipeline/stop_signal.hpp"
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

}  // namespace

std::pair<int, int> parse_shard(const std::string& text) {
  if (text.empty()) return {0, 1};
  int i = -1, n = -1;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &i, &n, &tail) != 2 || n < 1 || i < 0 || i >= n)
    throw input_error(fmt::format("--shard {}: expected I/N with 0 <= I < N", text));
  return {i, n};
}

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

namespace {

// The output's folder must exist and take a new file, before hours of work are spent on a
// run that cannot write its results (exit 2, SPEC 5).
void check_output_location(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(out, ec))
    throw input_error(fmt::format("--out {}: is a folder, not a GeoPackage file", out));
  fs::path dir = fs::path(out).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::exists(dir, ec))
    throw input_error(fmt::format("--out {}: folder {} does not exist", out, dir.string()));
  if (!fs::is_directory(dir, ec))
    throw input_error(fmt::format("--out {}: {} is not a folder", out, dir.string()));
  // Whether a file can be made there is asked by making one: access(W_OK) says yes to
  // root everywhere, and some file systems (/proc) take no new files whatever it says.
  const fs::path probe = dir / fmt::format(".sitewatch-probe-{}", getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 && errno == EROFS)
    throw input_error(
        fmt::format("--out {}: folder {} is on a read-only file system", out, dir.string()));
  if (fd < 0 && (errno == EACCES || errno == EPERM))
    throw input_error(fmt::format("--out {}: folder {} is not writable", out, dir.string()));
  if (fd < 0)
    throw input_error(fmt::format("--out {}: cannot create a file in {}: {}", out, dir.string(),
                                  std::strerror(errno)));
  ::close(fd);
  fs::remove(probe, ec);
}

// A run with its inputs checked and its output open, before any scene is read.
struct prepared_run {
  config cfg;
  site_catalog catalog;
  device_choice dev;
  int shard_index = 0, shard_count = 1;
  long long budget = 0;  // bytes
  std::string budget_source;
  int threads = 1;
  std::string threads_source;
  run_plan plan;
  memory_plan mem;
  std::unique_ptr<gpkg_writer> writer;
  std::set<std::pair<std::string, std::string>> done;  // (site, scene) committed before
  run_row row;
};

// Everything that can be wrong with the inputs, before any work; then the scenes indexed,
// the plan made, the output opened (a resumed one must have the same config) and the
// run's row written.
prepared_run prepare(const run_options& opt) {
  prepared_run p;
  p.cfg = opt.config_path.empty() ? default_config() : load_config(opt.config_path);
  p.catalog = load_sites(opt.sites, p.cfg);
  p.dev = choose_device(opt.device);
  std::tie(p.shard_index, p.shard_count) = parse_shard(opt.shard);
  if (opt.memory_budget.empty()) {
    const allotment m = default_memory_budget();
    p.budget = m.value;
    p.budget_source = m.source;
  } else {
    p.budget = parse_size(opt.memory_budget);
    p.budget_source = "--memory-budget";
  }
  if (opt.threads < 0) throw input_error("--threads must be >= 0");
  if (opt.resume && opt.overwrite) throw input_error("--resume and --overwrite exclude each other");
  check_output_location(opt.out);
  for (const auto& [flag, dir] : {std::pair<const char*, std::string>{"--csv", opt.csv_dir},
                                  {"--rasters", opt.rasters_dir}}) {
    std::error_code ec;
    if (!dir.empty() && std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
      throw input_error(fmt::format("{} {}: is a file, not a folder", flag, dir));
  }
  const allotment cpus = available_cpus();
  const int ncpu = static_cast<int>(cpus.value);
  p.threads = opt.threads > 0 ? std::min(opt.threads, ncpu) : ncpu;
  p.threads_source = opt.threads > 0 ? "--threads" : cpus.source;
  if (opt.threads > ncpu) {  // more workers than CPUs only contend (and cost memory)
    spdlog::warn("--threads {} is more than the {} CPUs available ({}): using {}", opt.threads,
                 ncpu, cpus.source, ncpu);
    p.threads_source = cpus.source;
  }
  const std::string config_text = p.cfg.canonical_toml();
  const std::string config_sha = sha256_hex(config_text);

  if (!opt.quiet) spdlog::info("indexing scenes under {}", opt.scenes);
  // catalogue items outside every site are planned from their facts, their rasters unopened
  p.plan = make_plan(index_scenes(opt.scenes, catalog_area_wkt(p.catalog)), p.catalog,
                     p.shard_index, p.shard_count);
  p.mem = plan_memory(p.budget, p.threads, p.plan, p.catalog, p.cfg);
  if (p.budget < minimum_budget(p.mem))
    throw input_error(fmt::format(
        "--memory-budget {} MiB is less than this run needs at the least: {} MiB (one site of "
        "{} MiB with one scene in flight, the smallest caches and the process itself)",
        p.budget >> 20, (minimum_budget(p.mem) + (1 << 20) - 1) >> 20, p.mem.per_site >> 20));

  p.writer = std::make_unique<gpkg_writer>(opt.out, opt.resume      ? gpkg_writer::mode::resume
                                                    : opt.overwrite ? gpkg_writer::mode::overwrite
                                                                    : gpkg_writer::mode::create);
  if (opt.resume) {
    const auto prev = p.writer->last_config_sha256();
    if (prev && *prev != config_sha)
      throw input_error(fmt::format(
          "{}: --resume refused: the output was made with a different config (sha256 {} vs {})",
          opt.out, prev->substr(0, 12), config_sha.substr(0, 12)));
    p.done = p.writer->done_pairs();
  }
  p.writer->write_sites(p.catalog);

  run_row& run = p.row;
  run.run_id = make_run_id();
  run.started = format_rfc3339(now_unix());
  run.version = build::version;
  run.git = build::git_hash;
  run.config = config_text;
  run.config_sha256 = config_sha;
  run.inputs_sha256 = inputs_hash(p.plan.scenes, opt.sites);
  run.device = p.dev.describe();
  run.args = opt.command_line;
  run.host = host_name();
  run.slurm_job = slurm_job();
  run.shard = fmt::format("{}/{}", p.shard_index, p.shard_count);
  run.threads = p.threads;
  run.threads_source = p.threads_source;
  run.memory_budget = p.budget;
  run.memory_budget_source = p.budget_source;
  run.gpus = p.dev.models();
  run.scenes_path = absolute_gdal_path(opt.scenes);
  run.sites_path = absolute_gdal_path(opt.sites);
  if (!opt.config_path.empty()) run.config_path = absolute_gdal_path(opt.config_path);
  p.writer->write_run(run);
  return p;
}

// The tile cache's announcement protocol (host/io/tile_cache.hpp): every site still to run
// reads all its scenes (a resumed site starts from its first), the UDM2 through the same
// window as the data (a UDM2 shares its scene's grid), so a source block shared by sites is
// decoded once and dropped after its last read. The seeding of a fixed reference reads more
// than announced: a block dropped too early is decoded again, which costs time, never a
// pixel.
void announce_reads(const run_shared& run) {
  for (const auto& w : run.plan.work) {
    if (site_finished(run, w)) continue;
    for (std::size_t i : w.scenes) {
      const scene_info& sc = run.plan.scenes[i];
      const auto where = source_window(sc, run.catalog.sites[w.site].grid);
      run.tiles.expect_read(sc.path, where);
      if (!sc.udm2_path.empty()) run.tiles.expect_read(sc.udm2_path, where);
    }
  }
}

// Sites side by side, at most `sites_in_flight` at once (the outer pipeline's tokens), all
// within `threads` worker threads.
void run_sites(run_shared& run, int threads, int sites_in_flight) {
  tbb::task_arena arena(threads);
  arena.execute([&] {
    std::size_t next_site = 0;
    auto next = [&](tbb::flow_control& fc) -> std::size_t {
      if (next_site == run.plan.work.size() || stop_requested()) fc.stop();
      return next_site++;
    };
    auto one_site = [&](std::size_t i) { site_job(run, run.plan.work[i]).run(); };
    tbb::parallel_pipeline(
        static_cast<std::size_t>(sites_in_flight),
        tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order, next) &
            tbb::make_filter<std::size_t, void>(tbb::filter_mode::parallel, one_site));
  });
}

// A run stopped by a signal: everything in flight was committed; the scenes table and the
// run's end are left for the run that finishes it (they would call unread scenes done).
run_report interrupted(const run_options& opt, int sig, const run_tally& tally) {
  fmt::print(stderr,
             "sitewatch: stopped by {} after committing {} pairs this run; {} is consistent: run "
             "the same command with --resume to finish\n",
             sig == SIGINT    ? "SIGINT"
             : sig == SIGTERM ? "SIGTERM"
             : sig == SIGXFSZ ? "SIGXFSZ"
                              : "a signal",
             tally.pairs_written.load(), opt.out);
  run_report r;
  r.pairs_written = tally.pairs_written;
  r.exit_code = exit_signal_base + sig;
  return r;
}

// Failed and skipped scenes by name with their reasons (the first 20 of each, then a count),
// on stderr whatever --quiet says: a user must learn from the run, not from a query, which
// scenes it could not use.
void name_scene_problems(const scene_rows_result& scenes) {
  constexpr int shown = 20;
  for (const char* status : {"failed", "skipped"}) {
    const long long total = std::string(status) == "failed" ? scenes.failed : scenes.skipped;
    if (total == 0) continue;
    fmt::print(stderr, "{} scene{} {}:\n", total, total == 1 ? "" : "s", status);
    int n = 0;
    for (const auto& r : scenes.rows) {
      if (r.status != status) continue;
      if (n++ == shown) break;
      fmt::print(stderr, "  {}: {}\n", r.scene_id, r.error);
    }
    if (total > shown)
      fmt::print(stderr, "  ... and {} more (the scenes table has them all)\n", total - shown);
  }
}

void log_summary(const run_report& r, const run_tally& tally, const async_writer& out,
                 const scene_rows_result& scenes, const run_options& opt, const config& cfg) {
  const stage_times& t = tally.times();
  spdlog::info(
      "done in {:.1f} s: {} pairs written, {} already done, {} failed; {} scenes "
      "failed, {} skipped",
      r.wall_seconds, tally.pairs_written.load(), tally.pairs_skipped.load(),
      tally.pairs_failed.load(), scenes.failed, scenes.skipped);
  spdlog::info(
      "stage time (summed over threads): read+warp {:.2f} s, compute {:.2f} s, rows "
      "{:.2f} s, rasters {:.2f} s, write {:.2f} s in {} commits; peak memory {} MiB; source "
      "blocks decoded {}, shared between sites {}",
      t.read, t.compute, t.rows, t.rasters, out.busy_seconds(), out.commits(),
      r.peak_rss_bytes >> 20, r.blocks_decoded, r.blocks_shared);
  if (cfg.reference.strategy == reference_strategy::archive)
    spdlog::info(
        "archive reference: chip stores {} MiB on disk for {} MiB of warped scenes; "
        "writing and reading them {:.2f} s (summed over threads)",
        tally.chip_disk_bytes.load() >> 20, tally.chip_raw_bytes.load() >> 20, t.chips);
  spdlog::info("output: {}", opt.out);
}

// What the run did, for `sitewatch bench` and the summary.
run_report make_report(const prepared_run& p, const memory_plan& mem, const run_tally& tally,
                       const async_writer& out, const tile_cache& tiles,
                       std::chrono::steady_clock::time_point t_start) {
  const run_plan& plan = p.plan;
  run_report r;
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.peak_rss_bytes = static_cast<long long>(usage.ru_maxrss) * 1024;
  r.pairs = plan.pairs();
  r.pairs_written = tally.pairs_written;
  r.pairs_failed = tally.pairs_failed;
  for (const auto& w : plan.work)
    r.grid_pixels +=
        p.catalog.sites[w.site].grid.pixels() * static_cast<long long>(w.scenes.size());
  r.scenes = static_cast<long long>(plan.scenes.size());
  const stage_times& t = tally.times();
  r.read_seconds = t.read;
  r.compute_seconds = t.compute;
  r.rows_seconds = t.rows;
  r.rasters_seconds = t.rasters;
  r.chips_seconds = t.chips;
  r.write_seconds = out.busy_seconds();
  r.engine = t.engine;
  r.blocks_decoded = tiles.stats().decoded;
  r.blocks_shared = tiles.stats().shared;
  r.threads = p.threads;
  r.sites_in_flight = mem.sites_in_flight;
  r.tokens_per_site = mem.tokens_per_site;
  r.device = p.dev.describe();
  return r;
}

}  // namespace

run_report run_archive(const run_options& opt) {
  const auto t_start = std::chrono::steady_clock::now();
  gdal_init();
  const stop_signal_scope signals;
  prepared_run p = prepare(opt);
  const run_plan& plan = p.plan;

  const memory_plan& mem = p.mem;
  // GDAL: its block cache within the budget, and its own decoding threads no more than ours
  GDALSetCacheMax64(mem.gdal_cache);
  CPLSetConfigOption("GDAL_NUM_THREADS", std::to_string(p.threads).c_str());
  if (!opt.quiet) {
    spdlog::info("{} scenes, {} sites, {} pairs ({} already done); device {}", plan.scenes.size(),
                 plan.work.size(), plan.pairs(), p.done.size(), p.dev.describe());
    spdlog::info(
        "{} threads (from {}); memory budget {} MiB (from {}): {} sites at a time, {} "
        "scenes each in flight, tile cache {} MiB, GDAL cache {} MiB",
        p.threads, p.threads_source, p.budget >> 20, p.budget_source, mem.sites_in_flight,
        mem.tokens_per_site, mem.tile_cache >> 20, mem.gdal_cache >> 20);
    if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES"); visible && p.dev.cuda)
      spdlog::info("GPUs: those CUDA_VISIBLE_DEVICES={} leaves visible", visible);
  }

  tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                         static_cast<std::size_t>(p.threads));
  progress_reporter progress(plan.pairs(), opt.quiet);
  run_tally tally;
  tile_cache tiles(mem.tile_cache);
  async_writer out(*p.writer, p.row.run_id, 4 * mem.sites_in_flight * mem.tokens_per_site,
                   [&](const pair_rows&) { ++tally.pairs_written; });
  run_shared shared{.opt = opt,
                    .cfg = p.cfg,
                    .catalog = p.catalog,
                    .dev = p.dev,
                    .plan = plan,
                    .done = p.done,
                    .tokens_per_site = mem.tokens_per_site,
                    .tiles = tiles,
                    .out = out,
                    .progress = progress,
                    .tally = tally};
  announce_reads(shared);
  run_sites(shared, p.threads, mem.sites_in_flight);
  out.finish();  // everything committed; rethrows a writer failure (the run then fails)
  {
    // the archive strategy's chip stores: each is removed with its site; a killed run's
    // are left behind, and those of sites it finished are not visited again
    std::error_code ec;
    std::filesystem::remove_all(opt.out + ".chips", ec);
  }
  progress.stop();
  if (const int sig = stop_requested()) return interrupted(opt, sig, tally);

  const scene_rows_result scenes =
      scene_rows_of(plan, tally.failures(), p.shard_index, p.shard_count);
  p.writer->write_scenes(scenes.rows);
  p.writer->finish_run(p.row.run_id, format_rfc3339(now_unix()));
  if (!opt.csv_dir.empty()) export_tables(opt.out, export_format::csv, opt.csv_dir);

  run_report r = make_report(p, mem, tally, out, tiles, t_start);
  if (r.peak_rss_bytes > p.budget)  // the plan's estimates fell short: say so, with figures
    spdlog::warn("peak memory {} MiB exceeded the memory budget of {} MiB", r.peak_rss_bytes >> 20,
                 p.budget >> 20);
  r.exit_code = scenes.failed > 0 ? exit_partial : exit_ok;
  if (!opt.quiet) log_summary(r, tally, out, scenes, opt, p.cfg);
  if (!opt.read_only) name_scene_problems(scenes);
  return r;
}

int run_batch(const run_options& opt) {
  try {
    return run_archive(opt).exit_code;
  } catch (const error& e) {
    // A write past a file-size limit (`ulimit -f`, a quota) failed: the run ends as SPEC 3
    // says a SIGXFSZ ends it. Each pair commits with its journal row, so what was committed
    // is consistent (a half-made new output was removed).
    if (stop_requested() != SIGXFSZ) throw;
    fmt::print(stderr, "sitewatch: error: {}\n", e.what());
    fmt::print(stderr,
               "sitewatch: stopped by SIGXFSZ (a file-size limit); make room, then run the same "
               "command{} to finish\n",
               std::filesystem::exists(opt.out) ? " with --resume" : "");
    return exit_signal_base + SIGXFSZ;
  }
}

}  // namespace sw
