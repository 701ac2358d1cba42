#include "host/pipeline/site_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <ogr_spatialref.h>
#include <spdlog/spdlog.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene_reader.hpp"
#include "host/output/raster_writer.hpp"
#include "host/plan/zone_mask.hpp"
#include "kernels/reference.cuh"

namespace sw {
namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

int reference_capacity(const config& cfg) {
  switch (cfg.reference.strategy) {
    case reference_strategy::median:
      return cfg.reference.window;
    case reference_strategy::archive:
      return kern::max_reference_members;
    default:
      return 1;
  }
}

float archive_quantile(const site& s, const config& cfg) {
  // The classes found against the reference; a change zone looks at any difference.
  bool brighter = false, darker = false, other = false;
  for (const auto& name : s.classes()) {
    if (name == "change") {
      other = true;
      continue;
    }
    const class_config& c = cfg.classes.at(name);
    if (c.background != background_model::reference) continue;
    brighter |= c.object_polarity == polarity::brighter;
    darker |= c.object_polarity == polarity::darker;
    other |= c.object_polarity == polarity::any;
  }
  if (brighter && !darker && !other) return k_archive_lower_quantile;
  if (darker && !brighter && !other) return 1.0f - k_archive_lower_quantile;
  return 0.5f;
}

site_runner::site_runner(const site& s, const config& cfg, const device_choice& dev, int gpu,
                         std::string rasters_dir, const scene_info& first, tile_cache* tiles)
    : site_(s),
      cfg_(cfg),
      dev_(dev),
      gpu_(gpu),
      rasters_dir_(std::move(rasters_dir)),
      bands_(site_band_set(first, cfg)),
      tiles_(tiles) {
  auto params = make_params(static_cast<int>(bands_.names.size()), bands_.weights);
  if (dev_.cuda) {
    engine_ = kern::make_cuda_engine(std::move(params), gpu_);
    SW_EXPECTS(engine_ != nullptr, "CUDA engine requested in a build without CUDA");
  } else if (dev_.serial) {
    engine_ = kern::make_serial_engine(std::move(params));
  } else {
    engine_ = kern::make_cpu_engine(std::move(params));
  }
  const OGRSpatialReference grid_srs = srs_from_wkt(site_.grid.crs_wkt, "site " + site_.id);
  const OGRSpatialReference wgs = lonlat_srs();
  to_lonlat_ = OGRCreateCoordinateTransformation(&grid_srs, &wgs);
  SW_EXPECTS(to_lonlat_ != nullptr, "no transformation from the site grid to EPSG:4326");
}

site_runner::~site_runner() {
  OGRCoordinateTransformation::DestroyCT(to_lonlat_);
}

// A counted class's parameters on the site grid (pixels), from its config (metres).
static void class_params(const class_config& cc, const site_grid& g, kern::engine_class& c) {
  const double px_area = g.gsd * g.gsd;
  c.local = cc.background == background_model::local;
  c.pol = cc.object_polarity;
  // The contrast test's squares: the guard holds the whole object in any orientation
  // (half its length, plus a pixel of blur), the ring around it is as wide again.
  c.guard_px = static_cast<int>(std::ceil(0.5 * cc.length_m / g.gsd)) + 1;
  c.outer_px = 2 * c.guard_px;
  c.contrast_k = cc.contrast_k;
  c.min_contrast = cc.min_contrast;
  c.on_water = cc.on == placement::water;
  // Land narrower than twice the class's width (a ship moored alongside, a pier) is not
  // land body: objects may sit on it.
  c.body_radius_px = std::max(1, static_cast<int>(std::ceil(cc.width_m / g.gsd)));
  c.count_static = cc.static_objects == static_rule::count;
  c.max_length_px = cc.max_length_m / g.gsd;
  c.max_width_px = cc.max_width_m / g.gsd;
  c.min_elongation = cc.min_elongation;
  c.open_px = cc.open_px;
  c.close_px = cc.close_px;
  c.min_area_px = cc.min_area_m2 / px_area;
  c.max_area_px = cc.max_area_m2 / px_area;
  // Half the nominal width: thinner components are edges and mixed pixels (a quay
  // edge in a berth zone, a road verge), not objects. A one-pixel line measures 1 px
  // wide, so objects narrower than two pixels (rail cars at 3 m) are never cut.
  c.min_width_px = 0.5 * cc.width_m / g.gsd;
  // Objects are solid: a rectangle fills 1 of its length x width, a pixelated diagonal
  // line about 0.7. Noise pixels strung across a zone fill a few percent.
  c.min_fill = 0.35;
  c.split_length_px = cc.split == split_rule::length ? cc.length_m / g.gsd : 0.0;
  // Reference classes: the object's extent relative to its peak contrast (background.cuh),
  // the peak looked for within the object's width plus a pixel of blur.
  if (!c.local) c.peak_radius_px = static_cast<int>(std::ceil(cc.width_m / g.gsd)) + 1;
}

kern::engine_params site_runner::make_params(int bands, const std::vector<float>& weights) const {
  kern::engine_params p;
  const site_grid& g = site_.grid;
  p.width = g.width;
  p.height = g.height;
  p.bands = bands;
  p.weights = weights;
  const auto nir = std::find(bands_.names.begin(), bands_.names.end(), "nir");
  p.water_band = nir != bands_.names.end() ? static_cast<int>(nir - bands_.names.begin()) : -1;
  p.threshold = cfg_.change.threshold;  // the config's choices are the kernels' own types
  p.method = cfg_.change.method;
  p.k = cfg_.change.k;
  p.fixed_threshold = cfg_.change.value;
  p.search_radius_px = cfg_.coregistration.search_radius_px;
  p.tolerance_px = cfg_.change.edge_tolerance_px;
  p.blur = cfg_.change.blur;
  p.reference = cfg_.reference.strategy;
  if (p.reference == reference_strategy::archive)
    p.reference_quantile = archive_quantile(site_, cfg_);
  p.window = reference_capacity(cfg_);
  p.min_scenes = cfg_.reference.min_scenes;
  p.min_valid_fraction = cfg_.min_valid_fraction;
  for (const auto& name : site_.classes()) {
    kern::engine_class c;
    c.name = name;
    std::vector<const zone*> zs;
    for (const auto& z : site_.zones)
      if (z.class_name == name) zs.push_back(&z);
    c.zone = rasterize_zones(g, zs);
    if (name == "change") {
      c.counts = false;
    } else {
      class_params(cfg_.classes.at(name), g, c);
    }
    p.classes.push_back(std::move(c));
  }
  return p;
}

std::string site_runner::detection_wkt(const kern::engine_component& c) const {
  const site_grid& g = site_.grid;
  const double ct = std::cos(c.theta), st = std::sin(c.theta);
  const double us[4] = {c.u_min, c.u_max, c.u_max, c.u_min};
  const double vs[4] = {c.v_min, c.v_min, c.v_max, c.v_max};
  double x[5], y[5];
  for (int k = 0; k < 4; ++k) {
    // pixel (col, row) centre sits at x0 + (col + 0.5) * gsd, y0 - (row + 0.5) * gsd
    const double px = c.cx + us[k] * ct - vs[k] * st;
    const double py = c.cy + us[k] * st + vs[k] * ct;
    x[k] = g.x0 + (px + 0.5) * g.gsd;
    y[k] = g.y0 - (py + 0.5) * g.gsd;
  }
  if (!to_lonlat_->Transform(4, x, y))
    throw error(fmt::format("site {}: cannot transform a detection to EPSG:4326", site_.id));
  x[4] = x[0];
  y[4] = y[0];
  std::string wkt = "POLYGON((";
  for (int k = 0; k < 5; ++k) wkt += fmt::format("{}{:.9f} {:.9f}", k ? "," : "", x[k], y[k]);
  return wkt + "))";
}

site_scene site_runner::read(const scene_info& scene) const {
  const auto t0 = clock_type::now();
  // constructed in place: the buffers keep the engine's memory resource (page-locked for
  // CUDA); a move-assignment between pmr vectors would copy them into the default one
  site_scene out{read_onto_grid(scene, site_.grid, select_bands(scene, bands_),
                                engine_->host_memory(), tiles_)};
  out.read_seconds = seconds_since(t0);
  return out;
}

bool site_runner::seed_reference(const scene_info& scene, stage_times& t) {
  return engine_call(scene, read(scene), t, [&](const kern::engine_scene& es) {
    return engine_->process(es, true, false).joined_reference;
  });
}

bool site_runner::observable(const scene_info& scene, const site_scene& d, stage_times& t) {
  return engine_call(scene, d, t,
                     [&](const kern::engine_scene& es) { return engine_->observable(es); });
}

bool site_runner::learn(const scene_info& scene, const site_scene& d, stage_times& t) {
  return engine_call(scene, d, t, [&](const kern::engine_scene& es) { return engine_->learn(es); });
}

namespace {

// Said only where a zone reports change: a scene that leaves the site under cloud has too
// few pixels for any fit, and nothing to report.
void warn_if_mad_unfitted(const kern::engine_result& r, const config& cfg,
                          const std::string& site_id, const std::string& scene_id) {
  const bool reports_change =
      std::any_of(r.classes.begin(), r.classes.end(), [](const auto& c) { return c.has_change; });
  if (reports_change && cfg.change.method == change_rule::mad && !r.mad_fitted)
    spdlog::warn(
        "site {} scene {}: IR-MAD could not be fitted (more than 8 bands, a constant band or "
        "too few pixels valid in both); the change vector decided which pixels changed",
        site_id, scene_id);
}

// The row of class c, anomaly aside; value is set to what the anomaly score looks at.
count_row class_count_row(const std::string& site_id, const scene_info& scene,
                          const kern::engine_result& r, const kern::engine_class& cls,
                          const kern::engine_class_result& cr, double px_area,
                          std::optional<double>& value) {
  count_row row;
  row.site_id = site_id;
  row.scene_id = scene.id;
  row.acquired = scene.acquired;
  row.class_name = cls.name;
  row.observable = cr.observable;
  row.valid_fraction = cr.zone_px > 0 ? static_cast<double>(cr.valid_px) / cr.zone_px : 0.0;
  if (r.has_shift) {
    row.shift_x_px = r.shift_x;
    row.shift_y_px = r.shift_y;
  }
  if (cr.has_change) {
    row.changed_area_m2 = static_cast<double>(cr.changed_px) * px_area;
    row.changed_fraction = cr.valid_px > 0 ? static_cast<double>(cr.changed_px) / cr.valid_px : 0.0;
  }
  if (r.has_reference) row.reference = r.reference;
  if (cr.has_counts) {
    row.count = cr.count;
    row.components = cr.components;
    value = cr.count;
  } else if (!cls.counts && cr.has_change) {
    value = *row.changed_fraction;
  }
  return row;
}

// The row of one detection, its polygon aside.
detection_row detection_row_of(const std::string& site_id, const scene_info& scene,
                               const std::string& class_name, const kern::engine_component& d,
                               double gsd) {
  const double px_area = gsd * gsd;
  detection_row det;
  det.site_id = site_id;
  det.scene_id = scene.id;
  det.acquired = scene.acquired;
  det.class_name = class_name;
  det.est_count = d.est_count;
  det.area_m2 = d.area_px * px_area;
  det.length_m = d.length_px * gsd;
  det.width_m = d.width_px * gsd;
  // image angle (y down) to map angle (y up), folded into [0, 180)
  double deg = -d.theta * 180.0 / M_PI;
  deg = std::fmod(deg + 360.0, 180.0);
  det.orientation_deg = deg;
  if (!std::isnan(d.mean_change)) det.mean_change = d.mean_change;
  return det;
}

}  // namespace

pair_rows site_runner::compute(const scene_info& scene, const site_scene& d, bool join_reference,
                               stage_times& t) {
  const bool want_rasters = !rasters_dir_.empty();
  const kern::engine_result r = engine_call(scene, d, t, [&](const kern::engine_scene& es) {
    return engine_->process(es, join_reference, want_rasters);
  });
  t.engine += r.times;
  warn_if_mad_unfitted(r, cfg_, site_.id, scene.id);

  auto t0 = clock_type::now();
  pair_rows out;
  out.site_id = site_.id;
  out.scene_id = scene.id;
  const site_grid& g = site_.grid;
  const double px_area = g.gsd * g.gsd;
  const auto& classes = engine_->params().classes;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const kern::engine_class_result& cr = r.classes[c];
    std::optional<double> value;
    count_row row = class_count_row(site_.id, scene, r, classes[c], cr, px_area, value);
    if (value) {
      auto it = history_.find(classes[c].name);
      if (it == history_.end())
        it = history_
                 .emplace(classes[c].name,
                          anomaly_history(cfg_.anomaly.window, cfg_.anomaly.z,
                                          cfg_.anomaly.min_history, !classes[c].counts))
                 .first;
      row.anomaly = it->second.observe(scene.acquired_unix, *value);
    }
    out.counts.push_back(std::move(row));

    for (const auto& det : cr.detections) {
      detection_row dr = detection_row_of(site_.id, scene, classes[c].name, det, g.gsd);
      dr.wkt_lonlat = detection_wkt(det);
      out.detections.push_back(std::move(dr));
    }
  }
  t.rows += seconds_since(t0);

  if (want_rasters) {
    t0 = clock_type::now();
    const change_raster_tags tags{site_.id, scene.id, scene.acquired_unix,
                                  r.has_reference ? r.reference : std::string()};
    write_change_raster(rasters_dir_, tags, g, r.magnitude, r.change_mask, r.valid);
    t.rasters += seconds_since(t0);
  }
  return out;
}

}  // namespace sw
