#include "host/output/export.hpp"

#include <filesystem>
#include <fstream>

#include <cpl_string.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"

namespace sw {
namespace {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string cell(const OGRFeature& f, int i) {
  if (!f.IsFieldSetAndNotNull(i)) return "";
  const OGRFieldDefn* d = f.GetFieldDefnRef(i);
  if (d->GetSubType() == OFSTBoolean) return f.GetFieldAsInteger(i) ? "true" : "false";
  switch (d->GetType()) {
    case OFTReal:
      return fmt::format("{}", f.GetFieldAsDouble(i));
    case OFTInteger:
      return fmt::format("{}", f.GetFieldAsInteger(i));
    case OFTInteger64:
      return fmt::format("{}", f.GetFieldAsInteger64(i));
    case OFTDateTime:  // RFC 3339, as before the GeoPackage had DateTime fields
      return field_text(f, i);
    default:
      return csv_escape(f.GetFieldAsString(i));
  }
}

void write_csv(OGRLayer* l, const std::filesystem::path& file) {
  const auto tmp = file.string() + ".part";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw error(fmt::format("{}: cannot write", file.string()));
    OGRFeatureDefn* defn = l->GetLayerDefn();
    const bool geom = l->GetGeomType() != wkbNone;
    for (int i = 0; i < defn->GetFieldCount(); ++i)
      out << (i ? "," : "") << defn->GetFieldDefn(i)->GetNameRef();
    if (geom) out << ",wkt";
    out << "\n";
    l->ResetReading();
    for (auto& f : *l) {
      for (int i = 0; i < defn->GetFieldCount(); ++i) out << (i ? "," : "") << cell(*f, i);
      if (geom) {
        std::string wkt;
        if (const OGRGeometry* g = f->GetGeometryRef()) wkt = g->exportToWkt();
        out << "," << csv_escape(wkt);
      }
      out << "\n";
    }
    if (!out) throw error(fmt::format("{}: write failed", file.string()));
  }
  std::filesystem::rename(tmp, file);
}

void write_geojson(OGRLayer* l, const std::string& name, const std::filesystem::path& file) {
  const auto tmp = file.string() + ".part";
  auto* drv = GetGDALDriverManager()->GetDriverByName("GeoJSON");
  SW_EXPECTS(drv != nullptr, "GDAL GeoJSON driver missing");
  std::filesystem::remove(tmp);
  gdal_dataset_ptr out(drv->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!out) throw error(fmt::format("{}: cannot create: {}", file.string(), gdal_last_error()));
  CPLStringList opts;
  opts.SetNameValue("RFC7946", "YES");
  opts.SetNameValue("ID_FIELD", "feature_id");  // stable_id below, not the GeoPackage's fid
  if (out->CopyLayer(l, name.c_str(), opts.List()) == nullptr)
    throw error(fmt::format("{}: cannot write: {}", file.string(), gdal_last_error()));
  out.reset();
  std::filesystem::rename(tmp, file);
}

// Rows in an order that depends only on the data, not on threads or on the order the
// pairs were committed in (a rerun exports the same bytes). Within a pair, detections
// keep the engine's order (components in raster order), which their fids follow.
std::string order_by(const std::string& layer) {
  if (layer == "site_counts") return "site_id, acquired, scene_id, class";
  if (layer == "detections") return "site_id, acquired, scene_id, class, fid";
  if (layer == "scenes") return "acquired, scene_id";
  if (layer == "sites") return "site_id, class, fid";
  return "fid";
}

// A GeoJSON Feature's id from what the row is, not from its GeoPackage fid (which follows
// the order pairs were committed in, and so the thread count): site/scene/class, and for
// detections the object's rank within its pair in the engine's order (components in raster
// order, which their fids follow within a pair).
std::string stable_id(const std::string& layer) {
  // the rank as a count of the pair's rows up to this one (GDAL's SQL front end cuts a
  // window function's ORDER BY short); the (site_id, scene_id) index keeps it to the pair
  if (layer == "site_counts") return "site_id || '/' || scene_id || '/' || class";
  if (layer == "detections")
    return "site_id || '/' || scene_id || '/' || class || '/' || (SELECT COUNT(*) FROM "
           "detections AS o WHERE o.site_id = detections.site_id AND o.scene_id = "
           "detections.scene_id AND o.class = detections.class AND o.fid <= detections.fid)";
  if (layer == "scenes") return "scene_id";
  if (layer == "sites")
    return "site_id || '/' || class || '/' || (SELECT COUNT(*) FROM sites AS o WHERE o.site_id "
           "= sites.site_id AND o.class = sites.class AND o.fid <= sites.fid)";
  return "fid";
}

}  // namespace

void export_tables(const std::string& gpkg, export_format format, const std::string& dir,
                   std::vector<std::string> layers) {
  gdal_init();
  gdal_dataset_ptr ds(GDALDataset::Open(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!ds)
    throw input_error(
        fmt::format("{}: cannot open: {}", gpkg, gdal_last_error("not a GeoPackage")));
  if (layers.empty()) {
    layers = {"site_counts", "detections"};
    if (format == export_format::geojson) layers.insert(layers.end(), {"scenes", "sites"});
  }
  std::filesystem::create_directories(dir);
  for (const auto& name : layers) {
    if (ds->GetLayerByName(name.c_str()) == nullptr)
      throw input_error(fmt::format("{}: no layer '{}'", gpkg, name));
    const std::string sql =
        format == export_format::csv
            ? fmt::format("SELECT * FROM \"{}\" ORDER BY {}", name, order_by(name))
            : fmt::format("SELECT *, {} AS feature_id FROM \"{}\" ORDER BY {}", stable_id(name),
                          name, order_by(name));
    OGRLayer* l = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
    if (l == nullptr) throw error(fmt::format("{}: {}: {}", gpkg, sql, gdal_last_error()));
    struct release {
      GDALDataset* ds;
      OGRLayer* l;
      ~release() { ds->ReleaseResultSet(l); }
    } guard{ds.get(), l};
    if (format == export_format::csv)
      write_csv(l, std::filesystem::path(dir) / (name + ".csv"));
    else
      write_geojson(l, name, std::filesystem::path(dir) / (name + ".geojson"));
  }
}

}  // namespace sw
