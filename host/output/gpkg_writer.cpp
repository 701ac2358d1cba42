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

// A column: its type, whether it is a key, and what it means (gpkg_data_columns: every
// column of the output's layers is described in the file itself, with its unit).
struct field_spec {
  const char* name;
  OGRFieldType type;
  const char* title;        // short human title, unit in brackets: gpkg_data_columns.title
  const char* description;  // what it means: gpkg_data_columns.description
  OGRFieldSubType sub = OFSTNone;
  bool not_null = false;  // the keys: a row without them is a bug, not data
};

constexpr bool key = true;
constexpr OGRFieldSubType boolean = OFSTBoolean;
constexpr OGRFieldSubType plain = OFSTNone;

// The pair's keys, shared by site_counts and detections.
const field_spec site_id_field = {"site_id", OFTString, "site", "the site's id in the catalog",
                                  plain,     key};
const field_spec scene_id_field = {"scene_id", OFTString, "scene", "the scene's id", plain, key};
const field_spec acquired_field = {
    "acquired", OFTDateTime, "acquired (UTC)", "when the scene was acquired, UTC", plain, key};
const field_spec class_field = {
    "class", OFTString, "class", "the object class (change for change-only zones)", plain, key};
const field_spec run_id_field = {
    "run_id", OFTString, "run", "the run that wrote the row (runs.run_id)", plain, key};

// Times are DateTime fields (QGIS's temporal controller and SQL date functions take them as
// they are; the CSV export writes them as RFC 3339 text). Descriptions follow docs/OUTPUT.md.
const std::vector<field_spec> count_fields = {
    site_id_field,
    scene_id_field,
    acquired_field,
    class_field,
    {"observable", OFTInteger, "observable",
     "the class's zones had at least min_valid_fraction clear coverage", boolean, key},
    {"count", OFTInteger64, "count [objects]",
     "objects counted; NULL when not observable or without a background yet"},
    {"components", OFTInteger64, "components", "connected components counted"},
    {"valid_fraction", OFTReal, "valid fraction [0-1]", "clear share of the class's zones"},
    {"changed_area_m2", OFTReal, "changed area [m2]",
     "changed valid pixels in the zones; NULL without a reference"},
    {"changed_fraction", OFTReal, "changed fraction [0-1]",
     "changed share of the valid pixels in the zones; NULL without a reference"},
    {"shift_x_px", OFTReal, "shift x [px]",
     "co-registration shift along x on the site grid (scene(x + d) shows reference(x))"},
    {"shift_y_px", OFTReal, "shift y [px]",
     "co-registration shift along y on the site grid (scene(y + d) shows reference(y))"},
    {"reference", OFTString, "reference",
     "what the scene was compared with, e.g. median:id1+id2+id3; NULL without a reference"},
    {"anomaly", OFTInteger, "anomaly",
     "robust z-score of the count (changed area for change) against the site's history "
     "beyond anomaly.z; NULL with too little history",
     boolean},
    run_id_field};

const std::vector<field_spec> detection_fields = {
    site_id_field,
    scene_id_field,
    acquired_field,
    class_field,
    {"est_count", OFTInteger64, "objects [count]", "objects this component counts"},
    {"area_m2", OFTReal, "area [m2]", "the component's area"},
    {"length_m", OFTReal, "length [m]",
     "long side of the uniform rectangle with the component's second moments"},
    {"width_m", OFTReal, "width [m]",
     "short side of the uniform rectangle with the component's second moments"},
    {"orientation_deg", OFTReal, "orientation [deg]",
     "major axis, counter-clockwise from east, 0-180"},
    {"mean_change", OFTReal, "mean change [reflectance x 10000]",
     "mean change magnitude over the component; NULL without a reference"},
    run_id_field};

const std::vector<field_spec> scene_fields = {
    {"scene_id", OFTString, "scene", "the scene's id", plain, key},
    {"acquired", OFTDateTime, "acquired (UTC)", "when the scene was acquired, UTC"},
    {"path", OFTString, "path", "the scene's data file as read (absolute or a GDAL /vsi path)"},
    {"item_type", OFTString, "item type", "Planet item type or STAC item type"},
    {"satellite_id", OFTString, "satellite", "the satellite that took it"},
    {"mask_source", OFTString, "mask source", "udm2, mask (an alpha or mask band) or none"},
    {"status", OFTString, "status", "done, failed or skipped", plain, key},
    {"error", OFTString, "error", "why the scene failed or was skipped"},
    {"sites_seen", OFTInteger64, "sites seen [count]", "sites whose zones the footprint meets"},
    {"instrument", OFTString, "instrument", "from the scene's metadata"},
    {"quality_category", OFTString, "quality category", "from the scene's metadata"},
    {"cloud_cover", OFTReal, "cloud cover [0-1]", "from the scene's metadata"},
    {"clear_percent", OFTReal, "clear [%]", "from the scene's metadata (0-100)"},
    {"gsd", OFTReal, "GSD [m]", "ground sample distance, from the scene's metadata"},
    {"view_angle", OFTReal, "view angle [deg]", "from the scene's metadata"},
    {"sun_elevation", OFTReal, "sun elevation [deg]", "from the scene's metadata"}};

const std::vector<field_spec> run_fields = {
    {"run_id", OFTString, "run", "UTC start time and a random suffix", plain, key},
    {"started", OFTDateTime, "started (UTC)", "when the run started", plain, key},
    {"finished", OFTDateTime, "finished (UTC)",
     "when the run finished; NULL while running or if it was killed"},
    {"version", OFTString, "version", "sitewatch version"},
    {"git", OFTString, "git", "the build's git commit"},
    {"config", OFTString, "config", "the canonical TOML of every config key"},
    {"config_sha256", OFTString, "config SHA-256", "hash of the canonical config text"},
    {"inputs_sha256", OFTString, "inputs SHA-256",
     "hash over the scene files' paths, sizes and modification times and the catalog's"},
    {"device", OFTString, "device", "cpu or the CUDA devices used"},
    {"args", OFTString, "arguments", "the command line"},
    {"host", OFTString, "host", "the host name of the machine the run ran on"},
    {"slurm_job", OFTString, "Slurm job",
     "SLURM_JOB_ID, or ARRAY-JOB_TASK in a Slurm array; NULL outside Slurm"},
    {"shard", OFTString, "shard", "--shard I/N (0/1 for a run of every site)"},
    {"threads", OFTInteger, "threads [count]", "worker threads"},
    {"threads_source", OFTString, "threads from",
     "where the thread count came from: --threads, the CPU affinity mask, SLURM_CPUS_PER_TASK"},
    {"memory_budget", OFTInteger64, "memory budget [bytes]", "the memory budget the run kept to"},
    {"memory_budget_source", OFTString, "memory budget from",
     "where the budget came from: --memory-budget, physical RAM, the cgroup memory limit"},
    {"gpus", OFTString, "GPUs",
     "the CUDA devices used, one per line (model, memory, compute capability); NULL on the CPU"},
    {"scenes_path", OFTString, "scenes", "--scenes as an absolute path (a URL as GDAL reads it)"},
    {"sites_path", OFTString, "sites", "--sites as an absolute path"},
    {"config_path", OFTString, "config file",
     "--config as an absolute path; NULL for the built-in config"}};

const std::vector<field_spec> journal_fields = {
    {"site_id", OFTString, "site", "a committed pair's site", plain, key},
    {"scene_id", OFTString, "scene", "a committed pair's scene", plain, key},
    run_id_field};

// SQL text literal: the quotes doubled.
std::string sql_text(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

void execute(GDALDataset* ds, const std::string& sql, const std::string& path) {
  CPLErrorReset();
  ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
  if (CPLGetLastErrorType() >= CE_Failure)
    throw error(fmt::format("{}: {}: {}", path, sql, gdal_last_error()));
}

// The GeoPackage schema extension (OGC 12-128r18, F.9): gpkg_data_columns describes each
// column. GDAL 3.6 writes neither the table nor the descriptions, so they are made here
// with the specification's DDL (and the constraints table the extension requires).
void create_data_columns(GDALDataset* ds, const std::string& path) {
  execute(ds,
          "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
          "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
          "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
          "CONSTRAINT gdc_tn UNIQUE (table_name, name))",
          path);
  execute(ds,
          "CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
          "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, "
          "max NUMERIC, max_is_inclusive BOOLEAN, description TEXT, "
          "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
          path);
  execute(ds,
          "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
          "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
          "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
          path);
  for (const char* t : {"gpkg_data_columns", "gpkg_data_column_constraints"})
    execute(ds,
            fmt::format("INSERT INTO gpkg_extensions VALUES ('{}', NULL, 'gpkg_schema', "
                        "'http://www.geopackage.org/spec/#extension_schema', 'read-write')",
                        t),
            path);
}

void describe_column(GDALDataset* ds, const std::string& table, const std::string& column,
                     const std::string& title, const std::string& description,
                     const std::string& path) {
  execute(ds,
          fmt::format("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, "
                      "title, description) VALUES ({}, {}, {}, {}, {})",
                      sql_text(table), sql_text(column), sql_text(column), sql_text(title),
                      sql_text(description)),
          path);
}

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
    describe_column(ds, name, f.name, f.title, f.description, path);
  }
  return l;
}

// An output made by an earlier sitewatch, resumed: the runs columns added since are added
// to it (NULL in its earlier rows), so that this run's row is recorded whole.
void add_missing_run_fields(GDALDataset* ds, const std::string& path) {
  OGRLayer* l = ds->GetLayerByName("runs");
  bool described = false;  // outputs before issue 14 have no gpkg_data_columns
  if (OGRLayer* r = ds->ExecuteSQL(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_data_columns'",
          nullptr, nullptr)) {
    described = r->GetFeatureCount() > 0;
    ds->ReleaseResultSet(r);
  }
  for (const auto& f : run_fields) {
    if (l->GetLayerDefn()->GetFieldIndex(f.name) >= 0) continue;
    OGRFieldDefn d(f.name, f.type);
    if (l->CreateField(&d) != OGRERR_NONE)
      throw error(fmt::format("{}: --resume: cannot add the column runs.{}: {}", path, f.name,
                              gdal_last_error()));
    if (described) describe_column(ds, "runs", f.name, f.title, f.description, path);
  }
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
  CPLErrorReset();
  ds = drv->Create(part.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  // GDAL may hand back a dataset after a failed write (a full disk: "COMMIT failed: disk
  // I/O error"); the next call would then fail with a follow-on error that hides the cause.
  if (ds == nullptr || CPLGetLastErrorType() >= CE_Failure) {
    const std::string why = gdal_last_error();
    if (ds != nullptr) GDALClose(GDALDataset::ToHandle(ds));
    std::error_code ec;
    fs::remove(part, ec);  // SQLite may have written part of it (a full disk, a size limit)
    throw error(fmt::format("{}: cannot create: {}", path, why));
  }
  try {
    create_data_columns(ds, path);
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
          "CREATE INDEX scenes_scene ON scenes (scene_id)"})
      execute(ds, sql, path);
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
    add_missing_run_fields(ds_, path);
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
  set_text_or_null(f, "host", r.host);
  set_text_or_null(f, "slurm_job", r.slurm_job);
  set_text_or_null(f, "shard", r.shard);
  f.SetField("threads", r.threads);
  set_text_or_null(f, "threads_source", r.threads_source);
  f.SetField("memory_budget", static_cast<GIntBig>(r.memory_budget));
  set_text_or_null(f, "memory_budget_source", r.memory_budget_source);
  set_text_or_null(f, "gpus", r.gpus);
  set_text_or_null(f, "scenes_path", r.scenes_path);
  set_text_or_null(f, "sites_path", r.sites_path);
  set_text_or_null(f, "config_path", r.config_path);
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
      describe_column(ds_, "sites", n, n, "a property of the site catalog's feature, as text",
                      path_);
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
