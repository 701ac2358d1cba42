// One site of a run through its scenes: the oneTBB pipeline that reads scenes ahead of
// the compute, the archive strategy's two passes, failures recorded per pair.
// host/pipeline/run.cpp prepares the run and runs site jobs side by side.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "host/config/config.hpp"
#include "host/io/chip_store.hpp"
#include "host/io/sites.hpp"
#include "host/io/tile_cache.hpp"
#include "host/output/async_writer.hpp"
#include "host/pipeline/device.hpp"
#include "host/pipeline/progress.hpp"
#include "host/pipeline/run.hpp"
#include "host/pipeline/site_runner.hpp"
#include "host/plan/plan.hpp"

namespace sw {

// What the sites of a run add up, from any thread.
struct run_tally {
  std::atomic<long long> pairs_written{0}, pairs_skipped{0}, pairs_failed{0};
  std::atomic<long long> chip_disk_bytes{0}, chip_raw_bytes{0};  // strategy archive

  void fail_scene(const std::string& scene_id, const std::string& msg);
  void add_times(const stage_times& t);
  // After the sites: first error per failed scene id, stage times summed over sites.
  const std::map<std::string, std::string>& failures() const { return failures_; }
  const stage_times& times() const { return times_; }

 private:
  std::mutex m_;
  std::map<std::string, std::string> failures_;
  stage_times times_;
};

// What a run's site jobs share: its inputs and plan, and where their results go.
struct run_shared {
  const run_options& opt;
  const config& cfg;
  const site_catalog& catalog;
  const device_choice& dev;
  const run_plan& plan;
  const std::set<std::pair<std::string, std::string>>& done;  // (site, scene) committed before
  int tokens_per_site = 1;                                    // scenes of a site in flight
  tile_cache& tiles;
  async_writer& out;
  progress_reporter& progress;
  run_tally& tally;
};

// Whether every pair of the site was committed by an earlier run (--resume).
bool site_finished(const run_shared& run, const site_work& w);

// Strategy archive: the reference's members, at most `count` of the site's observable
// scenes (indexes in time order), the first, the last and the rest spread evenly between
// them by rank (all of them when there are no more than `count`).
std::vector<std::size_t> archive_members(const std::vector<std::size_t>& observable, int count);

class site_job {
 public:
  site_job(run_shared& run, const site_work& w);
  // The site's scenes in time order into the writer. Never throws: a failed pair, or a
  // site that cannot be set up, is recorded in the tally (the writer's own failure is
  // rethrown by the run, from async_writer::finish).
  void run();

 private:
  struct token {  // one scene in the pipeline
    std::size_t scene = 0;
    std::optional<site_scene> data;
    std::string error;  // why it could not be read
  };
  // `scenes` through a oneTBB pipeline: next (serial, in time order) -> read (parallel, up
  // to tokens_per_site ahead) -> use (serial, in time order: the reference depends on the
  // earlier scenes). A token's scene is freed before the next one's use.
  template <class Read, class Use>
  void stream(const std::vector<std::size_t>& scenes, Read&& read, Use&& use);

  void work();
  site_scene decode(std::size_t i) const;
  site_scene read_chip(std::size_t i);
  // Strategy archive, first pass: every scene decoded once into the chip store, the
  // reference learnt from the observable ones. Returns the scenes for the second pass (those
  // read without error).
  std::vector<std::size_t> learn_archive();
  // Strategy fixed: the named scene, else the observable scene nearest the date, becomes
  // the reference before the scenes are processed.
  void seed_fixed_reference();
  // The pass that makes the rows: computes each scene and submits its rows.
  void count(const std::vector<std::size_t>& scenes, bool from_chips);
  void fail_pair(const scene_info& sc, const std::string& what);

  run_shared& run_;
  const site_work& w_;
  const site& site_;
  stage_times t_;
  std::optional<site_runner> runner_;
  std::optional<chip_store> chips_;
};

}  // namespace sw
