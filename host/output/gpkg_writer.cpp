#include "host/output/gpkg_writer.hpp"

#include <algorithm>
#include <filesystem>

#include <cpl_string.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"

namespace sw {
namespace {

constexpr const char* journal_layer = "sitewatch_journal";

struct field_spec {
  const char* name;
  OGRFieldType type;
  OGRFieldSubType sub = OFSTNone;
  bool not_null = false;  // the keys: a row without them is a bug, not data
};

constexpr bool key = true;

// Times are DateTime fields (QGIS's temporal controller and SQL date functions take them as
// they are; the CSV export writes them as RFC 3339 text).
const std::vector<field_spec> count_fields = {{"site_id", OFTString, OFSTNone, key},
                                              {"scene_id", OFTString, OFSTNone, key},
                                              {"acquired", OFTDateTime, OFSTNone, key},
                                              {"class", OFTString, OFSTNone, key},
                                              {"observable", OFTInteger, OFSTBoolean, key},
                                              {"count", OFTInteger64},
                                              {"components", OFTInteger64},
                                              {"valid_fraction", OFTReal},
                                              {"changed_area_m2", OFTReal},
                                              {"changed_fraction", OFTReal},
                                              {"shift_x_px", OFTReal},
                                              {"shift_y_px", OFTReal},
                                              {"reference", OFTString},
                                              {"anomaly", OFTInteger, OFSTBoolean},
                                              {"run_id", OFTString, OFSTNone, key}};

const std::vector<field_spec> detection_fields = {{"site_id", OFTString, OFSTNone, key},
                                                  {"scene_id", OFTString, OFSTNone, key},
                                                  {"acquired", OFTDateTime, OFSTNone, key},
                                                  {"class", OFTString, OFSTNone, key},
                                                  {"est_count", OFTInteger64},
                                                  {"area_m2", OFTReal},
                                                  {"length_m", OFTReal},
                                                  {"width_m", OFTReal},
                                                  {"orientation_deg", OFTReal},
                                                  {"mean_change", OFTReal},
                                                  {"run_id", OFTString, OFSTNone, key}};

const std::vector<field_spec> scene_fields = {{"scene_id", OFTString, OFSTNone, key},
                                              {"acquired", OFTDateTime},
                                              {"path", OFTString},
                                              {"item_type", OFTString},
                                              {"satellite_id", OFTString},
                                              {"mask_source", OFTString},
                                              {"status", OFTString, OFSTNone, key},
                                              {"error", OFTString},
                                              {"sites_seen", OFTInteger64},
                                              {"instrument", OFTString},
                                              {"quality_category", OFTString},
                                              {"cloud_cover", OFTReal},
                                              {"clear_percent", OFTReal},
                                              {"gsd", OFTReal},
                                              {"view_angle", OFTReal},
                                              {"sun_elevation", OFTReal}};

const std::vector<field_spec> run_fields = {{"run_id", OFTString, OFSTNone, key},
                                            {"started", OFTDateTime, OFSTNone, key},
                                            {"finished", OFTDateTime},
                                            {"version", OFTString},
                                            {"git", OFTString},
                                            {"config", OFTString},
                                            {"config_sha256", OFTString},
                                            {"inputs_sha256", OFTString},
                                            {"device", OFTString},
                                            {"args", OFTString}};

const std::vector<field_spec> journal_fields = {{"site_id", OFTString, OFSTNone, key},
                                                {"scene_id", OFTString, OFSTNone, key},
                                                {"run_id", OFTString, OFSTNone, key}};

OGRLayer* create_layer(GDALDataset* ds, const char* name, OGRwkbGeometryType geom,
                       const std::vector<field_spec>& fields, const std::string& path,
                       const char* description) {
  OGRSpatialReference srs = lonlat_srs();
  CPLStringList options;
  options.SetNameValue("DESCRIPTION", description);  // gpkg_contents.description
  OGRLayer* l = ds->CreateLayer(name, geom == wkbNone ? nullptr : &srs, geom, options.List());
  if (l == nullptr)
    throw error(fmt::format("{}: cannot create layer {}: {}", path, name, gdal_last_error()));
  for (const auto& f : fields) {
    OGRFieldDefn d(f.name, f.type);
    d.SetSubType(f.sub);
    d.SetNullable(!f.not_null);
    if (l->CreateField(&d) != OGRERR_NONE)
      throw error(
          fmt::format("{}: cannot create field {}.{}: {}", path, name, f.name, gdal_last_error()));
  }
  return l;
}

OGRLayer* layer(GDALDataset* ds, const char* name, const std::string& path) {
  OGRLayer* l = ds->GetLayerByName(name);
  if (l == nullptr)
    throw error(fmt::format("{}: layer {} missing: not a sitewatch output?", path, name));
  return l;
}

void set_opt(OGRFeature& f, const char* name, const std::optional<double>& v) {
  if (v)
    f.SetField(name, *v);
  else
    f.SetFieldNull(f.GetFieldIndex(name));
}
void set_opt(OGRFeature& f, const char* name, const std::optional<long long>& v) {
  if (v)
    f.SetField(name, static_cast<GIntBig>(*v));
  else
    f.SetFieldNull(f.GetFieldIndex(name));
}
void set_opt(OGRFeature& f, const char* name, const std::optional<bool>& v) {
  if (v)
    f.SetField(name, *v ? 1 : 0);
  else
    f.SetFieldNull(f.GetFieldIndex(name));
}
void set_text(OGRFeature& f, const char* name, const std::string& v) {
  f.SetField(name, v.c_str());
}

// Empty text is NULL.
void set_text_or_null(OGRFeature& f, const char* name, const std::string& v) {
  if (v.empty())
    f.SetFieldNull(f.GetFieldIndex(name));
  else
    set_text(f, name, v);
}

// f's geometry from WKT, as a multipolygon when `multi`. No SRS is attached: the layer's
// (EPSG:4326) applies. False when the text is empty or not WKT (the geometry stays NULL).
bool set_geometry_wkt(OGRFeature& f, const std::string& wkt, bool multi) {
  if (wkt.empty()) return false;
  OGRGeometry* g = nullptr;
  if (OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g) != OGRERR_NONE || g == nullptr)
    return false;
  f.SetGeometryDirectly(multi ? OGRGeometryFactory::forceToMultiPolygon(g) : g);
  return true;
}

void insert(OGRLayer* l, OGRFeature& f, const std::string& path) {
  if (l->CreateFeature(&f) != OGRERR_NONE)
    throw error(fmt::format("{}: cannot write to {}: {}", path, l->GetName(), gdal_last_error()));
}

// A new, empty output: made under a temporary name and renamed once every layer exists.
void create_output(const std::string& path) {
  namespace fs = std::filesystem;
  GDALDataset* ds = nullptr;
  // --resume with no output yet (the run was killed before it made one): start afresh.
  // The file is made under a temporary name and renamed once every layer exists, so a run
  // killed while creating it leaves no half-made output behind.
  const std::string part = path + ".part";
  fs::remove(part);
  auto* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  SW_EXPECTS(drv != nullptr, "GDAL GPKG driver missing");
  ds = drv->Create(part.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (ds == nullptr) {
    const std::string why = gdal_last_error();
    std::error_code ec;
    fs::remove(part, ec);  // SQLite may have written part of it (a full disk, a size limit)
    throw error(fmt::format("{}: cannot create: {}", path, why));
  }
  try {
    create_layer(ds, "site_counts", wkbNone, count_fields, path,
                 "sitewatch: per site, scene and class: observable, count, change (SPEC 4)");
    create_layer(ds, "detections", wkbPolygon, detection_fields, path,
                 "sitewatch: one oriented box per counted object (SPEC 4)");
    create_layer(ds, "scenes", wkbMultiPolygon, scene_fields, path,
                 "sitewatch: every scene indexed, with its status and footprint (SPEC 4)");
    create_layer(ds, "sites", wkbMultiPolygon, {}, path,
                 "sitewatch: the site catalog's zones as read (SPEC 4)");
    create_layer(ds, "runs", wkbNone, run_fields, path,
                 "sitewatch: each run into this file: config, inputs, version (SPEC 4)");
    create_layer(ds, journal_layer, wkbNone, journal_fields, path,
                 "sitewatch: (site, scene) pairs committed, for --resume");
    // per-site queries (a site's time series, a scene's rows) without a table scan
    for (const char* sql :
         {"CREATE INDEX site_counts_site_time ON site_counts (site_id, acquired)",
          "CREATE INDEX site_counts_site_scene ON site_counts (site_id, scene_id)",
          "CREATE INDEX detections_site_scene ON detections (site_id, scene_id)",
          "CREATE INDEX scenes_scene ON scenes (scene_id)"}) {
      CPLErrorReset();
      ds->ExecuteSQL(sql, nullptr, nullptr);
      if (CPLGetLastErrorType() >= CE_Failure)
        throw error(fmt::format("{}: {}: {}", path, sql, gdal_last_error()));
    }
    GDALClose(GDALDataset::ToHandle(ds));
    ds = nullptr;
    fs::rename(part, path);
  } catch (...) {
    // a half-made output would block --resume: leave nothing behind
    if (ds != nullptr) GDALClose(GDALDataset::ToHandle(ds));
    ds = nullptr;
    std::error_code ec;
    fs::remove(part, ec);
    throw;
  }
}

}  // namespace

gpkg_writer::gpkg_writer(const std::string& path, mode m) : path_(path) {
  gdal_init();
  namespace fs = std::filesystem;
  const bool exists = fs::exists(path);
  if (m == mode::resume && exists) {
    // what --resume is given must be a sitewatch output: anything else is the user's
    // mistake (exit 2), not a failure of the run
    ds_ = GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE);
    if (ds_ == nullptr)
      throw input_error(fmt::format("{}: --resume: cannot open as a GeoPackage for update: {}",
                                    path, gdal_last_error()));
    for (const char* name : {"site_counts", "detections", "scenes", "sites", "runs", journal_layer})
      if (ds_->GetLayerByName(name) == nullptr) {
        GDALClose(GDALDataset::ToHandle(ds_));
        ds_ = nullptr;
        throw input_error(fmt::format(
            "{}: --resume: not a sitewatch output (no layer {}); nothing was changed", path, name));
      }
    return;
  }
  if (exists) {
    if (m != mode::overwrite)
      throw input_error(fmt::format(
          "{}: output exists; use --resume to continue that run or --overwrite to replace it",
          path));
    fs::remove(path);
  }
  create_output(path);
  ds_ = GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE);
  if (ds_ == nullptr)
    throw error(fmt::format("{}: cannot open for update: {}", path, gdal_last_error()));
}

gpkg_writer::~gpkg_writer() {
  if (ds_ != nullptr) GDALClose(GDALDataset::ToHandle(ds_));
}

std::set<std::pair<std::string, std::string>> gpkg_writer::done_pairs() const {
  std::set<std::pair<std::string, std::string>> out;
  OGRLayer* l = layer(ds_, journal_layer, path_);
  l->ResetReading();
  for (auto& f : *l) out.emplace(f->GetFieldAsString("site_id"), f->GetFieldAsString("scene_id"));
  return out;
}

std::optional<std::string> gpkg_writer::last_config_sha256() const {
  OGRLayer* l = layer(ds_, "runs", path_);
  l->ResetReading();
  std::optional<std::string> last;
  for (auto& f : *l) last = f->GetFieldAsString("config_sha256");
  return last;
}

void gpkg_writer::write_run(const run_row& r) {
  OGRLayer* l = layer(ds_, "runs", path_);
  OGRFeature f(l->GetLayerDefn());
  set_text(f, "run_id", r.run_id);
  set_text(f, "started", r.started);
  if (!r.finished.empty()) set_text(f, "finished", r.finished);
  set_text(f, "version", r.version);
  set_text(f, "git", r.git);
  set_text(f, "config", r.config);
  set_text(f, "config_sha256", r.config_sha256);
  set_text(f, "inputs_sha256", r.inputs_sha256);
  set_text(f, "device", r.device);
  set_text(f, "args", r.args);
  insert(l, f, path_);
}

void gpkg_writer::finish_run(const std::string& run_id, const std::string& finished) {
  OGRLayer* l = layer(ds_, "runs", path_);
  l->SetAttributeFilter(fmt::format("run_id = '{}'", run_id).c_str());
  l->ResetReading();
  std::vector<std::unique_ptr<OGRFeature>> hits;
  for (auto& f : *l) hits.emplace_back(f->Clone());
  l->SetAttributeFilter(nullptr);
  for (auto& f : hits) {
    f->SetField("finished", finished.c_str());
    if (l->SetFeature(f.get()) != OGRERR_NONE)
      throw error(fmt::format("{}: cannot update runs: {}", path_, gdal_last_error()));
  }
}

void gpkg_writer::write_sites(const site_catalog& catalog) {
  OGRLayer* l = layer(ds_, "sites", path_);
  if (l->GetFeatureCount() > 0) return;
  // Fields: the union of the catalog's properties, in first-seen order.
  std::vector<std::string> names;
  for (const auto& s : catalog.sites)
    for (const auto& z : s.zones)
      for (const auto& [k, v] : z.properties)
        if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  // fields and features in one transaction: one commit, where each new field alone was
  // one (an fsync pair each, on the serial path before any scene is read)
  in_transaction(ds_, path_, [&] {
    for (const auto& n : names) {
      if (l->GetLayerDefn()->GetFieldIndex(n.c_str()) >= 0) continue;
      OGRFieldDefn d(n.c_str(), OFTString);
      if (l->CreateField(&d) != OGRERR_NONE)
        throw error(
            fmt::format("{}: cannot create field sites.{}: {}", path_, n, gdal_last_error()));
    }
    for (const auto& s : catalog.sites)
      for (const auto& z : s.zones) {
        OGRFeature f(l->GetLayerDefn());
        for (const auto& [k, v] : z.properties) set_text(f, k.c_str(), v);
        set_geometry_wkt(f, z.wkt_lonlat, true);
        insert(l, f, path_);
      }
  });
}

void gpkg_writer::write_pairs(std::span<const pair_rows> pairs, const std::string& run_id) {
  OGRLayer* lc = layer(ds_, "site_counts", path_);
  OGRLayer* ld = layer(ds_, "detections", path_);
  OGRLayer* lj = layer(ds_, journal_layer, path_);
  in_transaction(ds_, path_, [&] {
    for (const pair_rows& rows : pairs) write_pair_rows(rows, run_id, lc, ld, lj);
  });
}

void gpkg_writer::write_pair_rows(const pair_rows& rows, const std::string& run_id, OGRLayer* lc,
                                  OGRLayer* ld, OGRLayer* lj) {
  for (const auto& r : rows.counts) {
    OGRFeature f(lc->GetLayerDefn());
    set_text(f, "site_id", r.site_id);
    set_text(f, "scene_id", r.scene_id);
    set_text(f, "acquired", r.acquired);
    set_text(f, "class", r.class_name);
    f.SetField("observable", r.observable ? 1 : 0);
    set_opt(f, "count", r.count);
    set_opt(f, "components", r.components);
    f.SetField("valid_fraction", r.valid_fraction);
    set_opt(f, "changed_area_m2", r.changed_area_m2);
    set_opt(f, "changed_fraction", r.changed_fraction);
    set_opt(f, "shift_x_px", r.shift_x_px);
    set_opt(f, "shift_y_px", r.shift_y_px);
    set_text_or_null(f, "reference", r.reference);
    set_opt(f, "anomaly", r.anomaly);
    set_text(f, "run_id", run_id);
    insert(lc, f, path_);
  }
  for (const auto& d : rows.detections) {
    OGRFeature f(ld->GetLayerDefn());
    set_text(f, "site_id", d.site_id);
    set_text(f, "scene_id", d.scene_id);
    set_text(f, "acquired", d.acquired);
    set_text(f, "class", d.class_name);
    f.SetField("est_count", static_cast<GIntBig>(d.est_count));
    f.SetField("area_m2", d.area_m2);
    f.SetField("length_m", d.length_m);
    f.SetField("width_m", d.width_m);
    f.SetField("orientation_deg", d.orientation_deg);
    set_opt(f, "mean_change", d.mean_change);
    set_text(f, "run_id", run_id);
    if (!set_geometry_wkt(f, d.wkt_lonlat, false))
      throw error(fmt::format("{}: bad detection geometry: {}", path_, d.wkt_lonlat.substr(0, 80)));
    insert(ld, f, path_);
  }
  OGRFeature j(lj->GetLayerDefn());
  set_text(j, "site_id", rows.site_id);
  set_text(j, "scene_id", rows.scene_id);
  set_text(j, "run_id", run_id);
  insert(lj, j, path_);
}

void gpkg_writer::write_scenes(const std::vector<scene_row>& rows) {
  OGRLayer* l = layer(ds_, "scenes", path_);
  in_transaction(ds_, path_, [&] {
    ds_->ExecuteSQL("DELETE FROM scenes", nullptr, nullptr);
    for (const auto& r : rows) {
      OGRFeature f(l->GetLayerDefn());
      set_text(f, "scene_id", r.scene_id);
      set_text_or_null(f, "acquired", r.acquired);  // a scene that failed before its time
      set_text(f, "path", r.path);
      set_text(f, "item_type", r.item_type);
      set_text(f, "satellite_id", r.satellite_id);
      set_text(f, "mask_source", r.mask_source);
      set_text(f, "status", r.status);
      set_text_or_null(f, "error", r.error);
      f.SetField("sites_seen", static_cast<GIntBig>(r.sites_seen));
      const scene_metadata& m = r.metadata;
      set_text_or_null(f, "instrument", m.instrument);
      set_text_or_null(f, "quality_category", m.quality_category);
      set_opt(f, "cloud_cover", m.cloud_cover);
      set_opt(f, "clear_percent", m.clear_percent);
      set_opt(f, "gsd", m.gsd);
      set_opt(f, "view_angle", m.view_angle);
      set_opt(f, "sun_elevation", m.sun_elevation);
      set_geometry_wkt(f, r.footprint_wkt, true);  // a scene without a footprint keeps NULL
      insert(l, f, path_);
    }
  });
}

}  // namespace sw
