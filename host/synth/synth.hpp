// `sitewatch synth`: a synthetic Planet-style archive with ground truth (docs/SYNTH.md).
#pragma once

#include <cstdint>
#include <string>

namespace sw {

struct synth_options {
  std::string out_dir;
  std::string scenario = "tumen";  // tumen | quiet (a control-only archive)
  std::uint64_t seed = 1;
  int dates = 48;  // acquisition dates, from start_date on, roughly every 4 days
  std::string start_date = "2023-08-01";
  double scale = 0.1;  // scene size as a fraction of a full SuperDove scene (10,800 x 6,500 px)
  int threads = 0;     // 0: all cores
  bool quiet = false;
  // Leave out the UDM2 of one scene in 15 and the metadata JSON of another, as real
  // archives do (the reader must cope); false writes every asset.
  bool drop_assets = true;
  // Write about a quarter of the data assets as Planet `_clip` products (a window around the
  // sites); false: every asset is the full scene (throughput archives).
  bool clip_products = true;
  // Written to config.toml and used for truth.csv's `observable`.
  double min_valid_fraction = 0.5;
};

struct synth_summary {
  int scenes = 0;
  int sites = 0;
  int truth_rows = 0;
  long long bytes = 0;
};

// Writes OUT/scenes/... (Planet PSScene assets), OUT/sites.geojson, OUT/config.toml and
// OUT/truth.csv. Deterministic for a given (options minus threads).
synth_summary write_synthetic_archive(const synth_options& opt);

}  // namespace sw
