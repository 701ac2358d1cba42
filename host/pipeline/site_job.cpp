#include "host/pipeline/site_job.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <spdlog/spdlog.h>

#include "host/io/scene.hpp"
#include "host/io/scene_time.hpp"
#include "host/pipeline/stop_signal.hpp"

namespace sw {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void run_tally::fail_scene(const std::string& scene_id, const std::string& msg) {
  std::lock_guard<std::mutex> lock(m_);
  failures_.emplace(scene_id, msg);
}

void run_tally::add_times(const stage_times& t) {
  std::lock_guard<std::mutex> lock(m_);
  times_.read += t.read;
  times_.compute += t.compute;
  times_.rows += t.rows;
  times_.rasters += t.rasters;
  times_.chips += t.chips;
  times_.engine += t.engine;
}

bool site_finished(const run_shared& run, const site_work& w) {
  const site& s = run.catalog.sites[w.site];
  return std::all_of(w.scenes.begin(), w.scenes.end(), [&](std::size_t i) {
    return run.done.count({s.id, run.plan.scenes[i].id}) > 0;
  });
}

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

site_job::site_job(run_shared& run, const site_work& w)
    : run_(run), w_(w), site_(run.catalog.sites[w.site]) {}

void site_job::run() {
  if (site_finished(run_, w_) || w_.scenes.empty()) {
    run_.tally.pairs_skipped += static_cast<long long>(w_.scenes.size());
    run_.progress.add(static_cast<long long>(w_.scenes.size()), 0);
    return;
  }
  try {
    work();
  } catch (const std::exception& e) {
    // The site itself could not be set up (e.g. its zones do not rasterise), or the
    // writer failed (rethrown by the run from async_writer::finish).
    for (std::size_t i : w_.scenes)
      run_.tally.fail_scene(run_.plan.scenes[i].id, fmt::format("site {}: {}", site_.id, e.what()));
    run_.tally.pairs_failed += static_cast<long long>(w_.scenes.size());
    spdlog::error("site {} failed: {}", site_.id, e.what());
  }
  runner_.reset();
  chips_.reset();  // the chip store is removed with its site
  run_.tally.add_times(t_);
}

void site_job::work() {
  const auto& plan = run_.plan;
  const int gpu = run_.dev.cuda ? run_.dev.gpus[w_.site % run_.dev.gpus.size()] : 0;
  runner_.emplace(site_, run_.cfg, run_.dev, gpu, run_.opt.rasters_dir,
                  plan.scenes[w_.scenes.front()], &run_.tiles);
  const auto strategy = run_.cfg.reference.strategy;
  if (strategy == reference_strategy::fixed) seed_fixed_reference();
  if (strategy == reference_strategy::archive && !run_.opt.read_only) {
    const auto readable = learn_archive();
    if (stop_requested()) return;  // a reference from part of the archive must count nothing
    count(readable, true);
  } else
    count(w_.scenes, false);
}

template <class Read, class Use>
void site_job::stream(const std::vector<std::size_t>& scenes, Read&& read, Use&& use) {
  std::size_t next = 0;
  using tk_ptr = std::shared_ptr<token>;
  auto next_filter = [&](tbb::flow_control& fc) -> tk_ptr {
    if (next == scenes.size() || stop_requested()) {  // a signal: no new scene
      fc.stop();
      return nullptr;
    }
    auto tk = std::make_shared<token>();
    tk->scene = scenes[next++];
    return tk;
  };
  auto read_filter = [&](tk_ptr tk) {
    try {
      tk->data = read(tk->scene);
    } catch (const std::exception& e) {
      tk->error = e.what();
    }
    return tk;
  };
  tbb::parallel_pipeline(
      static_cast<std::size_t>(run_.tokens_per_site),
      tbb::make_filter<void, tk_ptr>(tbb::filter_mode::serial_in_order, next_filter) &
          tbb::make_filter<tk_ptr, tk_ptr>(tbb::filter_mode::parallel, read_filter) &
          tbb::make_filter<tk_ptr, void>(tbb::filter_mode::serial_in_order,
                                         [&](tk_ptr tk) { use(*tk); }));
}

site_scene site_job::decode(std::size_t i) const {
  return runner_->read(run_.plan.scenes[i]);
}

site_scene site_job::read_chip(std::size_t i) {
  const auto t0 = std::chrono::steady_clock::now();
  site_scene d{chips_->get(i, runner_->host_memory())};
  d.chip_seconds = seconds_since(t0);
  return d;
}

// The reference is learnt from every observable scene (at most 31, spread evenly over the
// archive); the second pass reads the chips, not the scenes.
std::vector<std::size_t> site_job::learn_archive() {
  chips_.emplace(fmt::format("{}.chips/{}", run_.opt.out, w_.site));
  std::vector<std::size_t> observable, readable;
  auto decode_and_keep = [&](std::size_t i) {
    site_scene d = decode(i);
    const auto t0 = std::chrono::steady_clock::now();
    chips_->put(i, d.data);
    d.chip_seconds += seconds_since(t0);
    return d;
  };
  stream(w_.scenes, decode_and_keep, [&](token& tk) {
    const scene_info& sc = run_.plan.scenes[tk.scene];
    if (!tk.data) {  // failed now: not read again
      fail_pair(sc, tk.error);
      run_.progress.add(1, site_.grid.pixels());
      return;
    }
    readable.push_back(tk.scene);
    try {
      if (runner_->observable(sc, *tk.data, t_)) observable.push_back(tk.scene);
    } catch (const std::exception& e) {  // the second pass fails it, with its rows
      spdlog::debug("site {}, scene {}: {}", site_.id, sc.id, e.what());
    }
  });
  for (std::size_t i : archive_members(observable, reference_capacity(run_.cfg)))
    runner_->learn(run_.plan.scenes[i], read_chip(i), t_);
  run_.tally.chip_disk_bytes += chips_->disk_bytes();
  run_.tally.chip_raw_bytes += chips_->raw_bytes();
  spdlog::debug("site {}: archive reference of {} of its {} observable scenes", site_.id,
                runner_->reference_members(), observable.size());
  return readable;
}

// An unreadable candidate is passed over (the main pass records it).
void site_job::seed_fixed_reference() {
  const auto& plan = run_.plan;
  const auto& ref = run_.cfg.reference;
  std::vector<std::size_t> order = w_.scenes;
  std::int64_t target = 0;
  if (ref.scene_id.empty()) target = parse_rfc3339(ref.date + "T00:00:00Z").value_or(0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& sa = plan.scenes[a];
    const auto& sb = plan.scenes[b];
    if (!ref.scene_id.empty()) return (sa.id == ref.scene_id) > (sb.id == ref.scene_id);
    return std::llabs(sa.acquired_unix - target) < std::llabs(sb.acquired_unix - target);
  });
  for (std::size_t i : order) {
    if (!ref.scene_id.empty() && plan.scenes[i].id != ref.scene_id) break;
    try {
      if (runner_->seed_reference(plan.scenes[i], t_)) break;
    } catch (const std::exception&) {
    }
  }
}

void site_job::count(const std::vector<std::size_t>& scenes, bool from_chips) {
  // scenes join the reference as they come unless it is fixed or learnt beforehand
  const auto strategy = run_.cfg.reference.strategy;
  const bool join =
      strategy != reference_strategy::fixed && strategy != reference_strategy::archive;
  auto read = [&](std::size_t i) { return from_chips ? read_chip(i) : decode(i); };
  stream(scenes, read, [&](token& tk) {
    const scene_info& sc = run_.plan.scenes[tk.scene];
    if (tk.data && run_.opt.read_only) {
      t_.read += tk.data->read_seconds;
    } else if (tk.data) {
      try {
        pair_rows rows = runner_->compute(sc, *tk.data, join, t_);
        tk.data.reset();  // free the scene before the writer gets the rows
        if (run_.done.count({site_.id, sc.id}))
          ++run_.tally.pairs_skipped;
        else
          run_.out.submit(std::move(rows));
      } catch (const std::exception& e) {
        fail_pair(sc, e.what());
      }
    } else {
      fail_pair(sc, tk.error);
    }
    run_.progress.add(1, site_.grid.pixels());
  });
}

void site_job::fail_pair(const scene_info& sc, const std::string& what) {
  ++run_.tally.pairs_failed;
  run_.tally.fail_scene(sc.id, fmt::format("site {}: {}", site_.id, what));
  if (!run_.opt.quiet) spdlog::warn("scene {} at site {} failed: {}", sc.id, site_.id, what);
}

}  // namespace sw
