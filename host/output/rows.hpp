// Rows of the output tables (SPEC 4), as plain structs. Missing values are std::nullopt and
// become NULL in the GeoPackage and empty cells in CSV: never 0.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/io/scene.hpp"

namespace sw {

struct count_row {
  std::string site_id, scene_id, acquired, class_name;
  bool observable = false;
  std::optional<long long> count, components;
  double valid_fraction = 0;
  std::optional<double> changed_area_m2, changed_fraction, shift_x_px, shift_y_px;
  std::string reference;  // empty: none
  std::optional<bool> anomaly;
};

struct detection_row {
  std::string site_id, scene_id, acquired, class_name;
  long long est_count = 1;
  double area_m2 = 0, length_m = 0, width_m = 0;
  double orientation_deg = 0;  // major axis, degrees counter-clockwise from east, [0, 180)
  std::optional<double> mean_change;
  std::string wkt_lonlat;  // the oriented bounding box, EPSG:4326 lon/lat
};

// Everything one (site, scene) pair writes, committed together with its journal entry.
struct pair_rows {
  std::string site_id, scene_id;
  std::vector<count_row> counts;
  std::vector<detection_row> detections;
};

struct scene_row {
  std::string scene_id, acquired, path, item_type, satellite_id, mask_source;
  std::string status;  // done | failed | skipped
  std::string error;
  long long sites_seen = 0;
  // From the scene's metadata JSON where it has them (SPEC 4 allows more columns): what an
  // analyst filters an archive by. Empty / unset: NULL.
  scene_metadata metadata;
  std::string footprint_wkt;  // EPSG:4326, may be empty
};

struct run_row {
  std::string run_id, started, finished, version, git, config, config_sha256, inputs_sha256, device,
      args;
  // Where and with what it ran (issue 13: a cluster's runs are told apart and repeated from
  // these). Empty text: NULL.
  std::string host, slurm_job, shard;
  int threads = 0;
  std::string threads_source;
  long long memory_budget = 0;  // bytes
  std::string memory_budget_source;
  std::string gpus;  // the CUDA devices used, one per line; empty on the CPU
  std::string scenes_path, sites_path, config_path;  // absolute; config empty: built-in
};

}  // namespace sw
