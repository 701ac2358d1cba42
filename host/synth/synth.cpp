// `sitewatch synth`: writes the planned archive (scenario.hpp) as Planet PSScene assets with
// GDAL, plus the site catalog, a config, the truth tables and a README. Scenes are rendered in
// strips of 256 rows (one row of 256 x 256 tiles) and written as they are done, so a
// full-size 8-band scene never sits in memory whole.
#include "host/synth/synth.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <nlohmann/json.hpp>

#include "host/common/error.hpp"
#include "host/config/config.hpp"
#include "host/io/gdal_util.hpp"
#include "host/synth/random.hpp"
#include "host/synth/render.hpp"
#include "host/synth/scenario.hpp"

namespace sw {

namespace fs = std::filesystem;
using synth::archive_plan;
using synth::scene_plan;
using synth::vec2;

namespace {

constexpr int strip_rows = 256;

struct gdal_closer {
  void operator()(GDALDataset* ds) const {
    if (ds) GDALClose(GDALDataset::ToHandle(ds));
  }
};
using dataset_ptr = std::unique_ptr<GDALDataset, gdal_closer>;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw error(fmt::format("synth: cannot write {}", path.string()));
}

std::string fixed(double v, int decimals) {
  return fmt::format("{:.{}f}", v, decimals);
}

double round_dec(double v, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(v * p) / p;
}

std::string data_file(const scene_plan& s) {
  return s.id + "_3B_" + s.data_suffix + ".tif";
}
std::string udm2_file(const scene_plan& s) {
  return s.id + (s.clip ? "_3B_udm2_clip.tif" : "_3B_udm2.tif");
}
std::string metadata_file(const scene_plan& s) {
  return s.id + "_metadata.json";
}

fs::path scene_dir(const fs::path& out, const scene_plan& s) {
  return out / "scenes" / s.month_dir;
}
fs::path metadata_path(const fs::path& out, const scene_plan& s) {
  return (s.metadata_in_subdir ? out / "scenes" / "metadata" : scene_dir(out, s)) /
         metadata_file(s);
}

dataset_ptr create_tiff(const std::string& path, const scene_plan& s, int bands, GDALDataType type,
                        bool predictor) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (!drv) throw error("synth: the GDAL GTiff driver is missing");
  CPLStringList opts;
  opts.SetNameValue("TILED", "YES");
  opts.SetNameValue("BLOCKXSIZE", "256");
  opts.SetNameValue("BLOCKYSIZE", "256");
  opts.SetNameValue("COMPRESS", "LZW");
  if (predictor) opts.SetNameValue("PREDICTOR", "2");
  opts.SetNameValue("INTERLEAVE", "PIXEL");
  opts.SetNameValue("BIGTIFF", "IF_SAFER");
  CPLErrorReset();
  dataset_ptr ds(drv->Create(path.c_str(), s.win_w, s.win_h, bands, type, opts.List()));
  if (!ds) throw error(fmt::format("synth: cannot create {}: {}", path, CPLGetLastErrorMsg()));
  double gt[6] = {s.x0 + s.win_col0 * synth::pixel_m,
                  synth::pixel_m,
                  0.0,
                  s.y0 - s.win_row0 * synth::pixel_m,
                  0.0,
                  -synth::pixel_m};
  OGRSpatialReference srs;
  srs.importFromEPSG(32652);
  if (ds->SetGeoTransform(gt) != CE_None || ds->SetSpatialRef(&srs) != CE_None)
    throw error(fmt::format("synth: cannot georeference {}: {}", path, CPLGetLastErrorMsg()));
  return ds;
}

// One strip travelling through the render/write pipeline.
struct strip {
  int index = 0, row0 = 0, rows = 0;
  std::vector<std::uint16_t> data;
  std::vector<std::uint8_t> udm;
};

void write_scene_rasters(const archive_plan& plan, const scene_plan& s, const fs::path& out) {
  const fs::path dir = scene_dir(out, s);
  const std::string data_path = (dir / data_file(s)).string();
  const std::string udm_path = (dir / udm2_file(s)).string();
  dataset_ptr data = create_tiff(data_path, s, s.band_count, GDT_UInt16, true);
  const std::vector<std::string>& names = synth::canonical_band_names();
  const std::vector<int>& idx = synth::band_indices(s.band_count);
  for (int k = 0; k < s.band_count; ++k) {
    GDALRasterBand* b = data->GetRasterBand(k + 1);
    b->SetDescription(names[static_cast<std::size_t>(idx[static_cast<std::size_t>(k)])].c_str());
    b->SetNoDataValue(0.0);
  }
  dataset_ptr udm;
  if (s.write_udm2) {
    udm = create_tiff(udm_path, s, 8, GDT_Byte, false);
    static const char* const udm_names[8] = {"clear",      "snow",  "shadow",     "light_haze",
                                             "heavy_haze", "cloud", "confidence", "udm1"};
    for (int k = 0; k < 8; ++k) udm->GetRasterBand(k + 1)->SetDescription(udm_names[k]);
  }

  const synth::scene_renderer renderer(plan, s);
  const int nstrips = (s.win_h + strip_rows - 1) / strip_rows;
  int next = 0;
  // Render strips in parallel, write them in order; three strips in flight bound the memory
  // (about 200 MB for a full-size 8-band scene) while the writer compresses one.
  tbb::parallel_pipeline(
      3,
      tbb::make_filter<
          void, strip*>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& fc) -> strip* {
        if (next >= nstrips) {
          fc.stop();
          return nullptr;
        }
        auto* st = new strip;
        st->index = next++;
        st->row0 = st->index * strip_rows;
        st->rows = std::min(strip_rows, s.win_h - st->row0);
        return st;
      }) & tbb::make_filter<strip*, strip*>(tbb::filter_mode::parallel, [&](strip* st) {
        const std::size_t px = static_cast<std::size_t>(st->rows) * s.win_w;
        st->data.resize(px * static_cast<std::size_t>(s.band_count));
        st->udm.resize(px * 8);
        tbb::parallel_for(
            tbb::blocked_range<int>(0, st->rows, 4), [&](const tbb::blocked_range<int>& r) {
              const std::size_t off = static_cast<std::size_t>(r.begin()) * s.win_w;
              renderer.render_rows(st->row0 + r.begin(), r.end() - r.begin(),
                                   st->data.data() + off * static_cast<std::size_t>(s.band_count),
                                   st->udm.data() + off * 8);
            });
        return st;
      }) & tbb::make_filter<strip*, void>(tbb::filter_mode::serial_in_order, [&](strip* st) {
        std::unique_ptr<strip> own(st);
        CPLErrorReset();
        const int nb = s.band_count;
        CPLErr e = data->RasterIO(GF_Write, 0, st->row0, s.win_w, st->rows, st->data.data(),
                                  s.win_w, st->rows, GDT_UInt16, nb, nullptr, 2 * nb,
                                  2LL * nb * s.win_w, 2, nullptr);
        if (e == CE_None && udm)
          e = udm->RasterIO(GF_Write, 0, st->row0, s.win_w, st->rows, st->udm.data(), s.win_w,
                            st->rows, GDT_Byte, 8, nullptr, 8, 8LL * s.win_w, 1, nullptr);
        // Flushing each finished row of tiles keeps GDAL's block cache from holding
        // the whole scene.
        data->FlushCache(false);
        if (udm) udm->FlushCache(false);
        if (e != CE_None || CPLGetLastErrorType() == CE_Failure)
          throw error(fmt::format("synth: cannot write {}: {}", data_path, CPLGetLastErrorMsg()));
      }));
  CPLErrorReset();
  data.reset();
  udm.reset();
  if (CPLGetLastErrorType() == CE_Failure)
    throw error(fmt::format("synth: cannot finish {}: {}", data_path, CPLGetLastErrorMsg()));
}

nlohmann::json polygon_json(const std::vector<vec2>& ring_utm) {
  std::vector<vec2> ll = synth::utm_to_lonlat(ring_utm);
  ll.push_back(ll.front());
  nlohmann::json ring = nlohmann::json::array();
  for (const vec2& p : ll) ring.push_back({round_dec(p.x, 9), round_dec(p.y, 9)});
  return {{"type", "Polygon"}, {"coordinates", nlohmann::json::array({ring})}};
}

std::string metadata_json(const scene_plan& s) {
  const auto pct = [](double f) { return static_cast<int>(std::lround(100.0 * f)); };
  nlohmann::json props = {
      {"acquired", s.acquired_full},
      {"anomalous_pixels", 0},
      {"clear_confidence_percent", 88},
      {"clear_percent", pct(s.clear_fraction)},
      {"cloud_cover", round_dec(s.cloud_fraction, 2)},
      {"cloud_percent", pct(s.cloud_fraction)},
      {"ground_control", true},
      {"gsd", 3.0},
      {"heavy_haze_percent", 0},
      {"instrument", s.instrument},
      {"item_type", "PSScene"},
      {"light_haze_percent", pct(s.haze_fraction)},
      {"pixel_resolution", 3},
      {"provider", "planetscope"},
      {"published", synth::format_time(s.published_unix, 0, false)},
      {"publishing_stage", "finalized"},
      {"quality_category", "standard"},
      {"satellite_azimuth", s.satellite_azimuth},
      {"satellite_id", s.satellite_id},
      {"shadow_percent", pct(s.shadow_fraction)},
      {"snow_ice_percent", 0},
      {"strip_id", s.strip_id},
      {"sun_azimuth", s.sun_azimuth},
      {"sun_elevation", s.sun_elevation},
      {"updated", synth::format_time(s.updated_unix, 0, false)},
      {"view_angle", s.view_angle},
      {"visible_confidence_percent", 85},
      {"visible_percent", 100},
  };
  nlohmann::json item = {{"type", "Feature"},
                         {"id", s.id},
                         {"geometry", polygon_json(s.footprint)},
                         {"properties", props}};
  return item.dump(2) + "\n";
}

std::string sites_geojson(const archive_plan& plan) {
  nlohmann::ordered_json features = nlohmann::ordered_json::array();
  for (const synth::site_def& site : plan.world.sites)
    for (const synth::zone_def& z : site.zones) {
      nlohmann::ordered_json f;
      f["type"] = "Feature";
      f["properties"] = {{"site_id", site.id}, {"name", site.name}, {"class", z.cls}};
      f["geometry"] = nlohmann::ordered_json(polygon_json(z.ring));
      features.push_back(f);
    }
  nlohmann::ordered_json fc;
  fc["type"] = "FeatureCollection";
  fc["name"] = "sites";
  fc["features"] = features;
  return fc.dump(1) + "\n";
}

// The archive's config: the built-in one (gsd 3 m, median of 7, kmad k = 4, a 4 px
// co-registration search, the three classes) with the archive's min_valid_fraction, and rail
// cars as this generator draws them: 14.6 m long at a 15.2 m pitch, darker than the ballast,
// a train one component split by length. Written by the config writer itself, every key with
// its comment, so the file cannot drift from what sitewatch reads.
config synth_config(const archive_plan& plan) {
  config cfg = default_config();
  cfg.min_valid_fraction = plan.options.min_valid_fraction;
  class_config& rail = cfg.classes.at("railcar");
  rail.length_m = 15.2;
  rail.object_polarity = polarity::darker;
  return cfg;
}

std::string config_toml(const archive_plan& plan) {
  return "# sitewatch config for the synthetic archive written by `sitewatch synth` "
         "(docs/SYNTH.md)\n" +
         config_text(synth_config(plan));
}

// ---- truth ------------------------------------------------------------------------------

struct truth_row {
  std::string site_id, scene_id, acquired, cls;
  bool observable = false;
  int count = 0;
  int visible_count = 0;  // objects whose centre lies on a clear pixel
  double valid_fraction = 0.0, footprint_fraction = 0.0;
};

// Rows of one scene: for every site whose zones' bounding box the footprint overlaps, one row
// per class of the site. Fractions sample the class's zones on a 1.5 m world grid and look up
// the scene pixel holding each sample on the nominal geotransform.
std::vector<truth_row> scene_truth(const archive_plan& plan, const scene_plan& s) {
  std::vector<truth_row> rows;
  constexpr double step = 1.5;
  for (const synth::site_def& site : plan.world.sites) {
    if (!synth::convex_overlaps_box(s.footprint, site.bounds)) continue;
    // Pixel states over the site's bounding box, computed once per pixel.
    const int c0 = static_cast<int>(std::floor((site.bounds.x0 - s.x0) / synth::pixel_m)) - 1;
    const int c1 = static_cast<int>(std::floor((site.bounds.x1 - s.x0) / synth::pixel_m)) + 1;
    const int r0 = static_cast<int>(std::floor((s.y0 - site.bounds.y1) / synth::pixel_m)) - 1;
    const int r1 = static_cast<int>(std::floor((s.y0 - site.bounds.y0) / synth::pixel_m)) + 1;
    const int nc = c1 - c0 + 1, nr = r1 - r0 + 1;
    // 0: outside the window or footprint, 1: inside but not clear, 2: clear.
    std::vector<std::uint8_t> state(static_cast<std::size_t>(nc) * nr, 0);
    for (int r = r0; r <= r1; ++r)
      for (int c = c0; c <= c1; ++c) {
        if (c < s.win_col0 || c >= s.win_col0 + s.win_w || r < s.win_row0 ||
            r >= s.win_row0 + s.win_h)
          continue;
        const synth::pixel_state st = synth::pixel_at(plan, s, c, r);
        state[static_cast<std::size_t>(r - r0) * nc + (c - c0)] = st.clear()  ? 2
                                                                  : st.inside ? 1
                                                                              : 0;
      }
    for (const std::string& cls : site.classes()) {
      std::vector<const synth::zone_def*> zones;
      for (const synth::zone_def& z : site.zones)
        if (z.cls == cls) zones.push_back(&z);
      synth::box b = synth::bounds_of(zones.front()->ring);
      for (const auto* z : zones) b.add(synth::bounds_of(z->ring));
      long long total = 0, inside = 0, valid = 0;
      const int nx = static_cast<int>(std::ceil((b.x1 - b.x0) / step));
      const int ny = static_cast<int>(std::ceil((b.y1 - b.y0) / step));
      for (int j = 0; j < ny; ++j)
        for (int i = 0; i < nx; ++i) {
          const vec2 p{b.x0 + (i + 0.5) * step, b.y0 + (j + 0.5) * step};
          bool in_zone = false;
          for (const auto* z : zones)
            if (synth::point_in_polygon(p, z->ring)) {
              in_zone = true;
              break;
            }
          if (!in_zone) continue;
          ++total;
          const int c = static_cast<int>(std::floor((p.x - s.x0) / synth::pixel_m));
          const int r = static_cast<int>(std::floor((s.y0 - p.y) / synth::pixel_m));
          const std::uint8_t v = state[static_cast<std::size_t>(r - r0) * nc + (c - c0)];
          inside += v >= 1;
          valid += v == 2;
        }
      truth_row row;
      row.site_id = site.id;
      row.scene_id = s.id;
      row.acquired = s.acquired;
      row.cls = cls;
      row.valid_fraction = total ? static_cast<double>(valid) / total : 0.0;
      row.footprint_fraction = total ? static_cast<double>(inside) / total : 0.0;
      row.observable = row.valid_fraction >= plan.options.min_valid_fraction;
      row.count = s.count_for(cls);
      for (const synth::object& o : s.objects) {
        if (synth::class_name(o.kind) != cls) continue;
        bool in_zone = false;
        for (const auto* z : zones) in_zone = in_zone || synth::point_in_polygon(o.r.c, z->ring);
        const int c = static_cast<int>(std::floor((o.r.c.x - s.x0) / synth::pixel_m));
        const int r = static_cast<int>(std::floor((s.y0 - o.r.c.y) / synth::pixel_m));
        if (in_zone && c >= c0 && c <= c1 && r >= r0 && r <= r1)
          row.visible_count += state[static_cast<std::size_t>(r - r0) * nc + (c - c0)] == 2;
      }
      rows.push_back(row);
    }
  }
  return rows;
}

std::string readme(const archive_plan& plan, const synth_summary& sum) {
  const synth_options& o = plan.options;
  std::ostringstream r;
  r << "# Synthetic Planet PSScene archive\n\n"
    << "Written by `sitewatch synth`; what it draws and the truth rules are in the project's\n"
    << "docs/SYNTH.md. Nothing here is real data.\n\n"
    << "## Options\n\n"
    << "| option | value |\n|---|---|\n"
    << "| scenario | " << o.scenario << " |\n"
    << "| seed | " << o.seed << " |\n"
    << "| dates | " << o.dates << " |\n"
    << "| start_date | " << o.start_date << " |\n"
    << "| scale | " << o.scale << " (" << plan.scenes.front().full_w << " x "
    << plan.scenes.front().full_h << " px at 3 m) |\n"
    << "| drop_assets | " << (o.drop_assets ? "true" : "false") << " |\n"
    << "| min_valid_fraction | " << o.min_valid_fraction << " |\n\n"
    << "The same options (the thread count aside) write byte-identical files.\n\n"
    << "## Contents\n\n"
    << "- `scenes/YYYY-MM/`: " << sum.scenes
    << " PSScene items: `{id}_3B_AnalyticMS_SR*.tif` (uint16 SR x10000, nodata 0),\n"
    << "  `{id}_3B_udm2[_clip].tif`, `{id}_metadata.json`. Every 5th item's metadata is in\n"
    << "  `scenes/metadata/`; some items lack their UDM2 or metadata on purpose.\n"
    << "- `sites.geojson`: " << sum.sites << " sites, one feature per zone (EPSG:4326).\n"
    << "- `config.toml`: a sitewatch config for this archive.\n"
    << "- `truth.csv`: " << sum.truth_rows
    << " rows `site_id,scene_id,acquired,class,observable,count`.\n"
    << "- `truth_detail.csv`: the same rows with the valid and footprint fractions behind\n"
    << "  `observable`, and `visible_count`: the objects whose centre pixel is clear.\n"
    << "- `scenes_truth.csv`: per scene the misregistration (dx_px > 0: content drawn east of\n"
    << "  its geotransform position, dy_px > 0: south), per-band gain and offset, cloud\n"
    << "  fraction, haze, footprint events and missing assets.\n"
    << "- `objects.csv`: every object present at each acquisition (UTM 52N and lon/lat).\n\n"
    << "Scene centre: EPSG:32652 x = " << fixed(plan.world.centre.x, 1)
    << ", y = " << fixed(plan.world.centre.y, 1) << " (lon 130.60, lat 42.42).\n";
  if (plan.special_date >= 0)
    r << "The 73-car date is " << plan.scenes[static_cast<std::size_t>(plan.special_date)].id
      << ".\n";
  if (plan.hard)
    r << "\nScenario tumen-hard: rotation and scale errors, a blur per satellite, haze\n"
      << "gradients, steel rails, a hulk and cranes at the port (class `static` in objects.csv),\n"
      << "clutter on the quay apron (`clutter`) and parked trains; the columns rotation_deg to\n"
      << "parked_railcar of scenes_truth.csv say where. Statics and clutter are never counted.\n";
  return r.str();
}

// Never mix two archives: stale scenes would be read without truth rows.
void prepare_out_dir(const archive_plan& plan, const fs::path& out, const std::string& out_dir) {
  std::error_code ec;
  if (fs::is_directory(out / "scenes", ec) && !fs::is_empty(out / "scenes", ec))
    throw input_error(fmt::format(
        "synth: {} already holds an archive (scenes/ is not empty); remove it or choose another "
        "--out",
        out_dir));
  fs::create_directories(out / "scenes" / "metadata", ec);
  for (const scene_plan& s : plan.scenes) fs::create_directories(scene_dir(out, s), ec);
  if (!fs::is_directory(out / "scenes"))
    throw error(fmt::format("synth: cannot create the directory {}", (out / "scenes").string()));
}

// Calibrates and writes every scene; returns the truth rows by scene index.
std::vector<std::vector<truth_row>> write_scenes(archive_plan& plan, const synth_options& opt,
                                                 const fs::path& out) {
  const int n = static_cast<int>(plan.scenes.size());
  std::vector<std::vector<truth_row>> truth(static_cast<std::size_t>(n));
  tbb::task_arena arena(opt.threads > 0 ? opt.threads : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for(
        0, n, [&](int i) { synth::calibrate(plan, plan.scenes[static_cast<std::size_t>(i)]); });
    // Small scenes go several at a time (one scene has too few strips to keep the cores
    // busy); big ones one at a time, each strip-parallel, so memory stays bounded.
    const long long px =
        static_cast<long long>(plan.scenes.front().full_w) * plan.scenes.front().full_h;
    const int in_flight = px > 4000000 ? 1 : std::max(1, arena.max_concurrency());
    std::atomic<int> done{0};
    std::mutex log_mutex;
    int next = 0;
    tbb::parallel_pipeline(
        static_cast<std::size_t>(in_flight),
        tbb::make_filter<void, int>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& fc) {
          if (next >= n) {
            fc.stop();
            return 0;
          }
          return next++;
        }) & tbb::make_filter<int, void>(tbb::filter_mode::parallel, [&](int i) {
          const scene_plan& s = plan.scenes[static_cast<std::size_t>(i)];
          write_scene_rasters(plan, s, out);
          if (s.write_metadata) write_file(metadata_path(out, s), metadata_json(s));
          truth[static_cast<std::size_t>(i)] = scene_truth(plan, s);
          const int k = ++done;
          if (!opt.quiet) {
            std::lock_guard lock(log_mutex);
            spdlog::info(
                "synth: scene {}/{} {} {}-band, cloud {:.0f}%, {} cars {} ships {} "
                "stacks{}",
                k, n, s.id, s.band_count, 100.0 * s.cloud_fraction, s.count_railcar, s.count_ship,
                s.count_container_stack, s.footprint_event.empty() ? "" : ", " + s.footprint_event);
          }
        }));
  });
  return truth;
}

// truth.csv and truth_detail.csv, sorted so that thread scheduling cannot change them.
// Returns the number of rows.
int write_truth_tables(const fs::path& out, const std::vector<std::vector<truth_row>>& truth) {
  std::vector<truth_row> rows;
  for (auto& t : truth) rows.insert(rows.end(), t.begin(), t.end());
  std::sort(rows.begin(), rows.end(), [](const truth_row& a, const truth_row& b) {
    return std::tie(a.site_id, a.acquired, a.cls, a.scene_id) <
           std::tie(b.site_id, b.acquired, b.cls, b.scene_id);
  });
  std::string t = "site_id,scene_id,acquired,class,observable,count\n";
  std::string td =
      "site_id,scene_id,acquired,class,observable,count,valid_fraction,footprint_fraction,"
      "visible_count\n";
  for (const truth_row& r : rows) {
    const std::string count = r.cls == "change" ? "" : std::to_string(r.count);
    const std::string head = fmt::format("{},{},{},{},{},{}", r.site_id, r.scene_id, r.acquired,
                                         r.cls, r.observable ? "true" : "false", count);
    t += head + "\n";
    td += fmt::format("{},{},{},{}\n", head, fixed(r.valid_fraction, 4),
                      fixed(r.footprint_fraction, 4),
                      r.cls == "change" ? "" : std::to_string(r.visible_count));
  }
  write_file(out / "truth.csv", t);
  write_file(out / "truth_detail.csv", td);
  return static_cast<int>(rows.size());
}

std::string scenes_truth_csv(const archive_plan& plan) {
  const auto& names = synth::canonical_band_names();
  std::string h = "scene_id,acquired,satellite_id,instrument,bands,product,dx_px,dy_px";
  for (const auto& b : names) h += ",gain_" + b;
  for (const auto& b : names) h += ",offset_" + b;
  h += ",cloud_fraction,clear_fraction,haze_level,footprint_event,raster_shift_col,"
       "raster_shift_row,udm2,metadata,railcar,ship,container_stack,rotation_deg,scale,"
       "blur_sigma_px,haze_gradient,haze_gradient_azimuth_deg,parked_railcar\n";
  for (const scene_plan& s : plan.scenes) {
    const std::vector<int>& idx = synth::band_indices(s.band_count);
    auto has = [&](int b) { return std::find(idx.begin(), idx.end(), b) != idx.end(); };
    h += fmt::format("{},{},{},{},{},{},{},{}", s.id, s.acquired_full, s.satellite_id, s.instrument,
                     s.band_count, data_file(s), fixed(s.dx_px, 3), fixed(s.dy_px, 3));
    // Columns of bands a 4-band scene lacks stay empty.
    for (int b = 0; b < synth::canonical_bands; ++b) {
      h.push_back(',');
      if (has(b)) h.append(fixed(s.gain[b], 4));
    }
    for (int b = 0; b < synth::canonical_bands; ++b) {
      h.push_back(',');
      if (has(b)) h.append(fixed(s.offset[b], 1));
    }
    h += fmt::format(
        ",{},{},{},{},{},{},{},{},{},{},{}", fixed(s.cloud_fraction, 4), fixed(s.clear_fraction, 4),
        fixed(s.haze_level, 0), s.footprint_event.empty() ? "none" : s.footprint_event, s.shift_col,
        s.shift_row, s.write_udm2 ? "present" : "missing", s.write_metadata ? "present" : "missing",
        s.count_railcar, s.count_ship, s.count_container_stack);
    // The tumen-hard columns stay empty for the other scenarios.
    if (plan.hard)
      h += fmt::format(",{},{},{},{},{},{}\n", fixed(s.rotation_deg, 4), fixed(s.scale, 6),
                       fixed(s.blur_sigma_px, 3), fixed(s.haze_gradient, 0),
                       fixed(s.haze_gradient_azimuth_deg, 1), s.parked_railcar);
    else
      h += ",,,,,,\n";
  }
  return h;
}

std::string objects_csv(const archive_plan& plan) {
  std::string o = "scene_id,acquired,site_id,class,x,y,lon,lat,length_m,width_m,heading_deg\n";
  for (const scene_plan& s : plan.scenes) {
    std::vector<vec2> centres;
    for (const auto& ob : s.objects) centres.push_back(ob.r.c);
    const std::vector<vec2> ll = synth::utm_to_lonlat(centres);
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
      const synth::object& ob = s.objects[i];
      double heading = std::atan2(ob.r.u.y, ob.r.u.x) * 180.0 / 3.14159265358979323846;
      if (heading < 0) heading += 360.0;
      o += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", s.id, s.acquired,
                       plan.world.sites[static_cast<std::size_t>(ob.site)].id,
                       synth::class_name(ob.kind), fixed(ob.r.c.x, 2), fixed(ob.r.c.y, 2),
                       fixed(ll[i].x, 8), fixed(ll[i].y, 8), fixed(2.0 * ob.r.hl, 2),
                       fixed(2.0 * ob.r.hw, 2), fixed(heading, 2));
    }
  }
  return o;
}

long long directory_bytes(const fs::path& dir) {
  long long bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += static_cast<long long>(e.file_size());
  return bytes;
}

}  // namespace

synth_summary write_synthetic_archive(const synth_options& opt) {
  gdal_init();
  archive_plan plan = synth::plan_archive(opt);
  const fs::path out(opt.out_dir);
  prepare_out_dir(plan, out, opt.out_dir);

  synth_summary sum;
  sum.scenes = static_cast<int>(plan.scenes.size());
  sum.sites = static_cast<int>(plan.world.sites.size());
  const auto truth = write_scenes(plan, opt, out);
  sum.truth_rows = write_truth_tables(out, truth);
  write_file(out / "scenes_truth.csv", scenes_truth_csv(plan));
  write_file(out / "objects.csv", objects_csv(plan));
  write_file(out / "sites.geojson", sites_geojson(plan));
  write_file(out / "config.toml", config_toml(plan));
  write_file(out / "README.md", readme(plan, sum));
  sum.bytes = directory_bytes(out);
  return sum;
}

}  // namespace sw
