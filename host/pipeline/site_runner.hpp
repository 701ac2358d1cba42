// One site through its scenes, in time order: read and warp each scene onto the site grid,
// run the engine, turn its results into table rows (SPEC 2 for one site).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/config/config.hpp"
#include "host/io/scene.hpp"
#include "host/io/scene_reader.hpp"
#include "host/io/sites.hpp"
#include "host/output/rows.hpp"
#include "host/pipeline/anomaly.hpp"
#include "host/pipeline/device.hpp"
#include "host/plan/bands.hpp"
#include "kernels/engine.hpp"

class OGRCoordinateTransformation;

namespace sw {

// Wall time spent per stage, seconds (summed over pairs).
struct stage_times {
  double read = 0;                 // read + decode + warp (GDAL)
  double compute = 0;              // engine (upload, kernels, download)
  double rows = 0;                 // rows and geometry
  double rasters = 0;              // --rasters output
  double chips = 0;                // strategy archive: chip store writes and reads
  kern::engine_step_times engine;  // compute, by step
};

// A scene read and warped for one site (read() may run ahead, in parallel).
struct site_scene {
  warped_scene data;
  double read_seconds = 0;
  double chip_seconds = 0;  // strategy archive: writing or reading the chip
};

// Strategy archive: the reference's quantile. Objects brighter than their background stay
// out of a low quantile of the members as long as they are absent from more than a
// quarter of them (a train parked for weeks, a ship at berth most of the month), darker
// ones out of a high quantile; with both kinds, or polarity any, the median.
inline constexpr float k_archive_lower_quantile = 0.25f;
float archive_quantile(const site& s, const config& cfg);
// The most reference members a site's engine holds: the median's window; for the archive
// all observable scenes up to the quantile network's 31 (kernels/reference.cuh); else 1.
int reference_capacity(const config& cfg);

class site_runner {
 public:
  // `first` is the site's first scene in time order: it fixes the site's band set.
  // `gpu`: device ordinal when the choice is CUDA (the caller spreads sites over GPUs).
  // `tiles`: the run's shared decoded blocks (nullptr: every read decodes its own).
  site_runner(const site& s, const config& cfg, const device_choice& dev, int gpu,
              std::string rasters_dir, const scene_info& first, tile_cache* tiles = nullptr);
  ~site_runner();
  site_runner(const site_runner&) = delete;
  site_runner& operator=(const site_runner&) = delete;

  // Reads and warps a scene onto the site grid. Thread-safe: any number of scenes of the
  // site may be read at once, ahead of compute. Throws on failure (unreadable, bands that
  // do not match the site's).
  site_scene read(const scene_info& scene) const;

  // Computes the next scene of the site (scenes in time order, one at a time) and makes
  // its rows. Throws on failure (the caller records it).
  pair_rows compute(const scene_info& scene, const site_scene& data, bool join_reference,
                    stage_times& t);

  // Strategy archive, first pass: whether the site is observable in the scene; and
  // the scene joining the reference (returns whether it did: observable).
  bool observable(const scene_info& scene, const site_scene& data, stage_times& t);
  bool learn(const scene_info& scene, const site_scene& data, stage_times& t);

  // For strategy fixed: feeds the fixed scene as the reference without producing rows.
  // Returns whether the site was observable in it (and the reference is now set).
  bool seed_reference(const scene_info& scene, stage_times& t);

  int reference_members() const { return engine_->members(); }
  // Where scenes handed to compute() are best allocated (engine::host_memory()).
  std::pmr::memory_resource* host_memory() const { return engine_->host_memory(); }

 private:
  kern::engine_params make_params(int bands, const std::vector<float>& weights) const;
  // Hands the scene to the engine (`call`), counting its read, chip and compute time.
  template <class Call>
  auto engine_call(const scene_info& scene, const site_scene& d, stage_times& t, Call call) {
    t.read += d.read_seconds;
    t.chips += d.chip_seconds;
    const auto t0 = std::chrono::steady_clock::now();
    const warped_scene& w = d.data;
    auto result = call(kern::engine_scene{scene.id, w.data.data(), w.alpha.data(),
                                          w.udm2.empty() ? nullptr : w.udm2.data()});
    t.compute += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
  }
  std::string detection_wkt(const kern::engine_component& c) const;

  const site& site_;
  const config& cfg_;
  device_choice dev_;
  int gpu_ = 0;
  std::string rasters_dir_;
  band_set bands_;
  tile_cache* tiles_;
  std::unique_ptr<kern::engine> engine_;
  OGRCoordinateTransformation* to_lonlat_ = nullptr;
  // Per class: the history of the anomaly score (counts, or changed area for "change").
  std::map<std::string, anomaly_history> history_;
};

}  // namespace sw
