#include "host/pipeline/run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include "build_info.hpp"
#include "host/common/error.hpp"
#include "host/common/hash.hpp"
#include "host/config/config.hpp"
#include "host/io/chip_store.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene.hpp"
#include "host/io/scene_reader.hpp"
#include "host/io/scene_time.hpp"
#include "host/io/sites.hpp"
#include "host/io/tile_cache.hpp"
#include "host/output/async_writer.hpp"
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

long long physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<long long>(pages) * page : 8LL << 30;
}

// How --memory-budget is spent (docs/ARCHITECTURE.md, "Memory").
struct memory_plan {
  long long gdal_cache = 0;               // GDAL's block cache (blocks within one read)
  long long tile_cache = 0;               // decoded source blocks shared between sites
  long long warp_buffer = 0;              // GDAL warper working memory per read in flight
  int sites_in_flight = 1;                // sites computed side by side
  int tokens_per_site = 1;                // scenes of one site in flight (read ahead of compute)
  long long per_site = 0, per_token = 0;  // the estimates behind them
};

memory_plan plan_memory(long long budget, int threads, const run_plan& plan,
                        const site_catalog& catalog, const config& cfg) {
  constexpr int max_bands = 8;  // bands a site compares (Planet 8-band at most)
  constexpr long long process_overhead = 96LL << 20;  // libraries, catalog, plan, writer
  memory_plan m;
  // GDAL's cache only serves blocks within one read (a read's handle is closed after it);
  // blocks are shared between reads through the tile cache
  m.gdal_cache = std::clamp(budget / 16, 16LL << 20, 256LL << 20);
  m.tile_cache = std::clamp(budget / 4, 32LL << 20, 2LL << 30);
  m.warp_buffer = 16LL << 20;
  long long px = 1;
  for (const auto& w : plan.work) px = std::max(px, catalog.sites[w.site].grid.pixels());
  const int members = reference_capacity(cfg);
  const int classes = 4;
  // site state: reference members, reference, tolerance, zone masks; compute scratch:
  // aligned copy and temporaries (about 2 scenes' worth plus 60 bytes a pixel)
  const long long state = px * (4LL * max_bands * (members + 2) + members + classes + 1);
  const long long scratch = px * (2 * 4LL * max_bands + 60);
  // a scene in flight: warped bands, coverage, UDM2 planes, and a GDAL warp buffer
  m.per_token = px * (4LL * max_bands + 1 + 8) + m.warp_buffer;
  m.per_site = state + scratch + m.per_token;
  const long long rest =
      std::max(budget - m.gdal_cache - m.tile_cache - process_overhead, m.per_site);
  m.sites_in_flight = static_cast<int>(std::clamp<long long>(rest / m.per_site, 1, threads));
  const long long per_site_share = rest / m.sites_in_flight;
  m.tokens_per_site = static_cast<int>(
      std::clamp<long long>((per_site_share - state - scratch) / m.per_token, 1, 4));
  return m;
}

struct failure_log {
  std::mutex m;
  std::map<std::string, std::string> by_scene;  // first error per scene
  void add(const std::string& scene, const std::string& msg) {
    std::lock_guard<std::mutex> lock(m);
    by_scene.emplace(scene, msg);
  }
};

// Strategy fixed: the named scene, else the observable scene nearest the date (candidates
// tried in order of distance), becomes the site's reference before its scenes are
// processed. An unreadable candidate is passed over (the main pass records it).
void seed_fixed_reference(site_runner& runner, const site_work& w, const run_plan& plan,
                          const config& cfg, stage_times& t) {
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
    }
  }
}

}  // namespace

std::vector<std::size_t> archive_members(const std::vector<std::size_t>& observable, int count) {
  const std::size_t m = observable.size();
  const std::size_t k = static_cast<std::size_t>(std::max(count, 1));
  if (m <= k) return observable;
  // the first and the last, and between them as evenly as the ranks allow
  std::vector<std::size_t> out;
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t rank = k == 1 ? m / 2 : (j * (m - 1) + (k - 1) / 2) / (k - 1);
    if (out.empty() || out.back() != observable[rank]) out.push_back(observable[rank]);
  }
  return out;
}

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
  const memory_plan mem = plan_memory(budget, threads, plan, catalog, cfg);
  // GDAL: its block cache within the budget, and its own decoding threads no more than ours
  GDALSetCacheMax64(mem.gdal_cache);
  CPLSetConfigOption("GDAL_NUM_THREADS", std::to_string(threads).c_str());
  if (!opt.quiet)
    spdlog::info(
        "{} scenes, {} sites, {} pairs ({} already done); device {}, {} threads; memory budget "
        "{} MiB: {} sites at a time, {} scenes each in flight, tile cache {} MiB, GDAL cache {} "
        "MiB",
        plan.scenes.size(), plan.work.size(), plan.pairs(), done.size(), dev.describe(), threads,
        budget >> 20, mem.sites_in_flight, mem.tokens_per_site, mem.tile_cache >> 20,
        mem.gdal_cache >> 20);

  tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                         static_cast<std::size_t>(threads));
  progress_reporter progress(plan.pairs(), opt.quiet);
  failure_log failures;
  std::atomic<long long> pairs_written{0}, pairs_skipped{0}, pairs_failed{0};
  std::atomic<long long> chip_disk_bytes{0}, chip_raw_bytes{0};  // strategy archive, all sites
  tile_cache tiles(mem.tile_cache);
  auto site_done = [&](const site_work& w) {
    const site& s = catalog.sites[w.site];
    return std::all_of(w.scenes.begin(), w.scenes.end(), [&](std::size_t i) {
      return done.count({s.id, plan.scenes[i].id}) > 0;
    });
  };
  // every site still to run reads all its scenes (a resumed site starts from its first),
  // the UDM2 through the same window as the data (a UDM2 shares its scene's grid). The
  // seeding of a fixed reference reads more than announced: a block dropped too early is
  // decoded again, which costs time, never a pixel.
  for (const auto& w : plan.work)
    if (!site_done(w))
      for (std::size_t i : w.scenes) {
        const scene_info& sc = plan.scenes[i];
        const auto where = source_window(sc, catalog.sites[w.site].grid);
        tiles.expect_read(sc.path, where);
        if (!sc.udm2_path.empty()) tiles.expect_read(sc.udm2_path, where);
      }
  std::mutex times_mutex;
  stage_times total_times;
  async_writer out(writer, run.run_id, 4 * mem.sites_in_flight * mem.tokens_per_site,
                   [&](const pair_rows&) { ++pairs_written; });

  auto fail_pair = [&](const scene_info& sc, const site& s, const std::string& what) {
    ++pairs_failed;
    failures.add(sc.id, fmt::format("site {}: {}", s.id, what));
    if (!opt.quiet) spdlog::warn("scene {} at site {} failed: {}", sc.id, s.id, what);
  };

  // One site: a oneTBB pipeline whose read stage runs ahead (parallel, up to
  // tokens_per_site scenes in flight) of the compute stage (in time order, one scene at a
  // time: the reference depends on earlier scenes); committed rows go to the writer.
  auto run_site = [&](const site_work& w) {
    const site& s = catalog.sites[w.site];
    if (site_done(w) || w.scenes.empty()) {
      pairs_skipped += static_cast<long long>(w.scenes.size());
      progress.add(static_cast<long long>(w.scenes.size()), 0);
      return;
    }
    const int gpu = dev.cuda ? dev.gpus[w.site % dev.gpus.size()] : 0;
    stage_times t;
    try {
      site_runner runner(s, cfg, dev, gpu, opt.rasters_dir, plan.scenes[w.scenes.front()], &tiles);
      const bool fixed = cfg.reference.strategy == reference_strategy::fixed;
      const bool archive = cfg.reference.strategy == reference_strategy::archive;
      if (fixed) seed_fixed_reference(runner, w, plan, cfg, t);

      // The site's scenes in time order: `read` (parallel, up to tokens_per_site scenes
      // ahead) then `use` (serial, in time order), the scene freed before the next one.
      struct token {
        std::size_t scene = 0;
        std::optional<site_scene> data;
        std::string error;
      };
      auto stream = [&](const std::vector<std::size_t>& scenes, auto&& read, auto&& use) {
        std::size_t next = 0;
        tbb::parallel_pipeline(static_cast<std::size_t>(mem.tokens_per_site),
                               tbb::make_filter<void, std::shared_ptr<token>>(
                                   tbb::filter_mode::serial_in_order,
                                   [&](tbb::flow_control& fc) -> std::shared_ptr<token> {
                                     if (next == scenes.size()) {
                                       fc.stop();
                                       return nullptr;
                                     }
                                     auto tk = std::make_shared<token>();
                                     tk->scene = scenes[next++];
                                     return tk;
                                   }) &
                                   tbb::make_filter<std::shared_ptr<token>, std::shared_ptr<token>>(
                                       tbb::filter_mode::parallel,
                                       [&](std::shared_ptr<token> tk) {
                                         try {
                                           tk->data = read(tk->scene);
                                         } catch (const std::exception& e) {
                                           tk->error = e.what();
                                         }
                                         return tk;
                                       }) &
                                   tbb::make_filter<std::shared_ptr<token>, void>(
                                       tbb::filter_mode::serial_in_order,
                                       [&](std::shared_ptr<token> tk) { use(*tk); }));
      };
      auto decode = [&](std::size_t i) { return runner.read(plan.scenes[i]); };

      // Strategy archive, first pass: every scene read once, kept in the chip store, its
      // observability noted; the reference learnt from every observable scene (at most
      // 31, spread evenly over the archive). The second pass reads the chips, not the
      // scenes.
      std::optional<chip_store> chips;
      auto read_chip = [&](std::size_t i) {
        const auto t0 = std::chrono::steady_clock::now();
        site_scene d{chips->get(i, runner.host_memory())};
        d.chip_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return d;
      };
      std::vector<std::size_t> second_pass = w.scenes;
      if (archive && !opt.read_only) {
        chips.emplace(fmt::format("{}.chips/{}", opt.out, w.site));
        std::vector<std::size_t> observable;
        second_pass.clear();
        stream(
            w.scenes,
            [&](std::size_t i) {
              site_scene d = decode(i);
              const auto t0 = std::chrono::steady_clock::now();
              chips->put(i, d.data);
              d.chip_seconds +=
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
              return d;
            },
            [&](token& tk) {
              const scene_info& sc = plan.scenes[tk.scene];
              if (!tk.data) {  // failed now: not read again
                fail_pair(sc, s, tk.error);
                progress.add(1, s.grid.pixels());
                return;
              }
              second_pass.push_back(tk.scene);
              try {
                if (runner.observable(sc, *tk.data, t)) observable.push_back(tk.scene);
              } catch (const std::exception& e) {  // the second pass fails it, with its rows
                spdlog::debug("site {}, scene {}: {}", s.id, sc.id, e.what());
              }
            });
        for (std::size_t i : archive_members(observable, reference_capacity(cfg)))
          runner.learn(plan.scenes[i], read_chip(i), t);
        chip_disk_bytes += chips->disk_bytes();
        chip_raw_bytes += chips->raw_bytes();
        spdlog::debug("site {}: archive reference of {} of its {} observable scenes", s.id,
                      runner.reference_members(), observable.size());
      }
      auto read = [&](std::size_t i) { return chips ? read_chip(i) : decode(i); };

      stream(second_pass, read, [&](token& tk) {
        const scene_info& sc = plan.scenes[tk.scene];
        if (tk.data && opt.read_only) {
          t.read += tk.data->read_seconds;
        } else if (tk.data) {
          try {
            pair_rows rows = runner.compute(sc, *tk.data, !fixed && !archive, t);
            tk.data.reset();  // free the scene before the writer gets the rows
            if (done.count({s.id, sc.id}))
              ++pairs_skipped;
            else
              out.submit(std::move(rows));
          } catch (const std::exception& e) {
            fail_pair(sc, s, e.what());
          }
        } else {
          fail_pair(sc, s, tk.error);
        }
        progress.add(1, s.grid.pixels());
      });
    } catch (const std::exception& e) {
      // The site itself could not be set up (e.g. its zones do not rasterise), or the
      // writer failed (rethrown below by out.finish()).
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
    total_times.chips += t.chips;
    total_times.engine += t.engine;
  };

  // Sites side by side, at most sites_in_flight at once (the outer pipeline's tokens),
  // all within `threads` worker threads.
  tbb::task_arena arena(threads);
  arena.execute([&] {
    std::size_t next_site = 0;
    tbb::parallel_pipeline(
        static_cast<std::size_t>(mem.sites_in_flight),
        tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                            [&](tbb::flow_control& fc) -> std::size_t {
                                              if (next_site == plan.work.size()) fc.stop();
                                              return next_site++;
                                            }) &
            tbb::make_filter<std::size_t, void>(tbb::filter_mode::parallel,
                                                [&](std::size_t i) { run_site(plan.work[i]); }));
  });
  out.finish();  // everything committed; rethrows a writer failure (the run then fails)
  {
    // the archive strategy's chip stores: each is removed with its site; a killed run's
    // are left behind, and those of sites it finished are not visited again
    std::error_code ec;
    std::filesystem::remove_all(opt.out + ".chips", ec);
  }
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
    // absolute, so that the row still leads to the file from elsewhere (sitewatch report)
    r.path = s.path.rfind("/vsi", 0) == 0 ? s.path : std::filesystem::absolute(s.path).string();
    r.item_type = s.item_type;
    r.satellite_id = s.satellite_id;
    r.mask_source = to_string(s.mask);
    r.sites_seen = plan.sites_seen[i];
    r.metadata = s.metadata;
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
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const long long peak_rss = static_cast<long long>(usage.ru_maxrss) * 1024;
  if (opt.report != nullptr) {
    run_report& r = *opt.report;
    r.wall_seconds = wall;
    r.pairs = plan.pairs();
    r.pairs_written = pairs_written;
    r.pairs_failed = pairs_failed;
    for (const auto& w : plan.work)
      r.grid_pixels +=
          catalog.sites[w.site].grid.pixels() * static_cast<long long>(w.scenes.size());
    r.scenes = static_cast<long long>(plan.scenes.size());
    r.read_seconds = total_times.read;
    r.compute_seconds = total_times.compute;
    r.rows_seconds = total_times.rows;
    r.rasters_seconds = total_times.rasters;
    r.chips_seconds = total_times.chips;
    r.write_seconds = out.busy_seconds();
    r.engine = total_times.engine;
    r.peak_rss_bytes = peak_rss;
    r.blocks_decoded = tiles.stats().decoded;
    r.blocks_shared = tiles.stats().shared;
    r.threads = threads;
    r.sites_in_flight = mem.sites_in_flight;
    r.tokens_per_site = mem.tokens_per_site;
    r.device = dev.describe();
  }
  if (!opt.quiet) {
    spdlog::info(
        "done in {:.1f} s: {} pairs written, {} already done, {} failed; {} scenes "
        "failed, {} skipped",
        wall, pairs_written.load(), pairs_skipped.load(), pairs_failed.load(), scenes_failed,
        scenes_skipped);
    spdlog::info(
        "stage time (summed over threads): read+warp {:.2f} s, compute {:.2f} s, rows "
        "{:.2f} s, rasters {:.2f} s, write {:.2f} s in {} commits; peak memory {} MiB; source "
        "blocks decoded {}, shared between sites {}",
        total_times.read, total_times.compute, total_times.rows, total_times.rasters,
        out.busy_seconds(), out.commits(), peak_rss >> 20, tiles.stats().decoded,
        tiles.stats().shared);
    if (cfg.reference.strategy == reference_strategy::archive)
      spdlog::info(
          "archive reference: chip stores {} MiB on disk for {} MiB of warped scenes; "
          "writing and reading them {:.2f} s (summed over threads)",
          chip_disk_bytes.load() >> 20, chip_raw_bytes.load() >> 20, total_times.chips);
    spdlog::info("output: {}", opt.out);
  }
  return scenes_failed > 0 ? exit_partial : exit_ok;
}

}  // namespace sw
