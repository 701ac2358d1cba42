#include "host/io/sites.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include "host/common/error.hpp"
#include "host/config/config.hpp"
#include "host/io/gdal_util.hpp"

namespace sw {

std::vector<std::string> site::classes() const {
  std::vector<std::string> out;
  for (const auto& z : zones) out.push_back(z.class_name);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// A site grid larger than this is almost surely a mistake (zones far apart, wrong CRS,
// a tiny grid_gsd_m), and would not fit any memory budget anyway.
constexpr long long k_max_grid_pixels = 1LL << 30;

using srs_ptr = std::unique_ptr<OGRSpatialReference>;
using geom_ptr = std::unique_ptr<OGRGeometry>;
using ct_ptr = std::unique_ptr<OGRCoordinateTransformation>;

// Every SRS we make keeps x = longitude (easting), y = latitude (northing), whatever the
// CRS definition says about axis order.
srs_ptr make_srs() {
  auto s = std::make_unique<OGRSpatialReference>();
  s->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return s;
}

// What a message says when GDAL gives no reason of its own.
constexpr const char* k_no_reason = "no reason given";

srs_ptr lonlat_srs_ptr() {
  return std::make_unique<OGRSpatialReference>(lonlat_srs());
}

ct_ptr make_transform(const OGRSpatialReference& from, const OGRSpatialReference& to) {
  return ct_ptr(OGRCreateCoordinateTransformation(&from, &to));
}

// The polygonal part of `g` as a Polygon or MultiPolygon, or null when it has none (what
// MakeValid returns can be a collection with lines where a polygon collapsed).
geom_ptr polygonal_part(const OGRGeometry& g) {
  const auto t = wkbFlatten(g.getGeometryType());
  if (t == wkbPolygon || t == wkbMultiPolygon) return geom_ptr(g.clone());
  if (t != wkbGeometryCollection) return nullptr;
  auto multi = std::make_unique<OGRMultiPolygon>();
  for (const OGRGeometry* part : *g.toGeometryCollection()) {
    geom_ptr p = polygonal_part(*part);
    if (!p || p->IsEmpty()) continue;
    if (wkbFlatten(p->getGeometryType()) == wkbPolygon) {
      multi->addGeometry(p.get());
    } else {
      for (const OGRPolygon* poly : *p->toMultiPolygon()) multi->addGeometry(poly);
    }
  }
  if (multi->IsEmpty()) return nullptr;
  if (multi->getNumGeometries() == 1) return geom_ptr(multi->getGeometryRef(0)->clone());
  return multi;
}

// Parses the whole string as a number ("3", " 2.5 "); nullopt otherwise.
std::optional<double> parse_number(const std::string& s) {
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end == begin || errno == ERANGE) return std::nullopt;
  while (*end == ' ' || *end == '\t') ++end;
  if (*end != '\0') return std::nullopt;
  return v;
}

bool is_blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

// One feature as read, before the per-site steps.
struct feature_rec {
  zone z;
  geom_ptr geom;         // in the layer's CRS, 2-D, valid, Polygon or MultiPolygon
  geom_ptr geom_lonlat;  // the same in EPSG:4326
  std::string grid_crs;  // "" when not given
  srs_ptr grid_srs;
  std::optional<double> gsd;
  bool ok = true;
};

class catalog_reader {
 public:
  catalog_reader(const std::string& path, const config& cfg) : path_(path), cfg_(cfg) {}

  site_catalog read() {
    gdal_init();
    gdal_error_scope quiet;  // GDAL's own messages: the debug log; ours name the feature

    CPLErrorReset();
    GDALDatasetUniquePtr ds(GDALDataset::Open(path_.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                              nullptr, nullptr, nullptr));
    if (!ds) {
      std::error_code ec;
      const bool local = path_.rfind("/vsi", 0) != 0;
      if (local && !std::filesystem::exists(path_, ec))
        fail(fmt::format("{}: no such file", path_));
      fail(fmt::format("{}: cannot open as a vector data source ({})", path_,
                       gdal_last_error(k_no_reason)));
    }
    OGRLayer* layer = pick_layer(*ds);
    read_layer(*layer);
    site_catalog cat;
    cat.path = path_;
    build_sites(cat);
    if (!errors_.empty()) {
      std::string msg;
      for (const auto& e : errors_) msg += (msg.empty() ? "" : "\n") + e;
      throw input_error(msg);
    }
    return cat;
  }

 private:
  [[noreturn]] void fail(const std::string& msg) {
    std::string all;
    for (const auto& e : errors_) all += e + "\n";
    throw input_error(all + msg);
  }

  void problem(std::string msg) { errors_.push_back(std::move(msg)); }

  // The first layer, or the only one with a site_id field when the source has several.
  OGRLayer* pick_layer(GDALDataset& ds) {
    const int n = ds.GetLayerCount();
    if (n == 0) fail(fmt::format("{}: the data source has no layers", path_));
    if (n == 1) return ds.GetLayer(0);
    std::vector<OGRLayer*> with_id;
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) {
      OGRLayer* l = ds.GetLayer(i);
      names.emplace_back(l->GetName());
      if (l->GetLayerDefn()->GetFieldIndex("site_id") >= 0) with_id.push_back(l);
    }
    if (with_id.size() == 1) return with_id.front();
    std::string list;
    for (const auto& s : names) list += (list.empty() ? "'" : ", '") + s + "'";
    fail(
        fmt::format("{}: {} layers ({}) and {} of them have a site_id field; the catalog must "
                    "be the only layer, or the only one with site_id",
                    path_, n, list, with_id.size()));
  }

  void read_layer(OGRLayer& layer) {
    OGRFeatureDefn* defn = layer.GetLayerDefn();
    const int i_site = defn->GetFieldIndex("site_id");
    const int i_name = defn->GetFieldIndex("name");
    const int i_class = defn->GetFieldIndex("class");
    const int i_crs = defn->GetFieldIndex("grid_crs");
    const int i_gsd = defn->GetFieldIndex("grid_gsd_m");

    std::string fields;
    for (int i = 0; i < defn->GetFieldCount(); ++i)
      fields += (i ? ", " : "") + std::string(defn->GetFieldDefn(i)->GetNameRef());
    if (fields.empty()) fields = "none";
    // A field missing from the schema is missing from every feature: say it once.
    if (i_site < 0)
      problem(fmt::format("{}: no feature has a site_id (fields of layer '{}': {})", path_,
                          layer.GetName(), fields));
    if (i_class < 0)
      problem(fmt::format("{}: no feature has a class (fields of layer '{}': {})", path_,
                          layer.GetName(), fields));

    const OGRSpatialReference* layer_srs = layer.GetSpatialRef();
    if (layer_srs) {
      src_srs_.reset(layer_srs->Clone());
      src_srs_->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    } else {
      // GeoJSON without a crs member and Shapefiles without .prj come here; RFC 7946 says
      // GeoJSON is WGS 84 longitude/latitude, the common case for the rest too.
      spdlog::info("{}: the layer has no CRS; assuming EPSG:4326 (longitude, latitude)", path_);
      src_srs_ = lonlat_srs_ptr();
      assumed_lonlat_ = true;
    }
    lonlat_ = lonlat_srs_ptr();
    if (!src_srs_->IsSame(lonlat_.get())) {
      to_lonlat_ = make_transform(*src_srs_, *lonlat_);
      if (!to_lonlat_)
        fail(fmt::format("{}: cannot transform from the layer's CRS to EPSG:4326 ({})", path_,
                         gdal_last_error(k_no_reason)));
    }

    layer.ResetReading();
    long long index = 0;
    for (;;) {
      OGRFeatureUniquePtr f(layer.GetNextFeature());
      if (!f) break;
      read_feature(*f, index++, i_site, i_name, i_class, i_crs, i_gsd);
    }
    if (index == 0) problem(fmt::format("{}: layer '{}' has no features", path_, layer.GetName()));
  }

  void read_feature(OGRFeature& f, long long index, int i_site, int i_name, int i_class, int i_crs,
                    int i_gsd) {
    feature_rec rec;
    zone& z = rec.z;
    z.feature_id = f.GetFID() == OGRNullFID ? index : static_cast<long long>(f.GetFID());

    auto text = [&](int i) -> std::optional<std::string> {
      if (i < 0 || !f.IsFieldSetAndNotNull(i)) return std::nullopt;
      return std::string(f.GetFieldAsString(i));
    };
    for (int i = 0; i < f.GetFieldCount(); ++i)
      z.properties.emplace_back(f.GetFieldDefnRef(i)->GetNameRef(), text(i).value_or(""));

    const auto site_id = text(i_site);
    std::string label = fmt::format("{}: feature {}", path_, z.feature_id);
    if (site_id && !is_blank(*site_id)) label += fmt::format(" (site_id '{}')", *site_id);
    auto bad = [&](const std::string& what) {
      problem(fmt::format("{}: {}", label, what));
      rec.ok = false;
    };

    if (i_site >= 0) {
      if (!site_id)
        bad("site_id is missing");
      else if (is_blank(*site_id))
        bad("site_id is empty");
      else if (const std::string why = bad_site_id(*site_id); !why.empty())
        bad(fmt::format("site_id '{}' {}", *site_id, why));
      else
        z.site_id = *site_id;
    }
    z.name = text(i_name).value_or("");

    if (i_class >= 0) {
      const auto cls = text(i_class);
      if (!cls)
        bad("class is missing");
      else if (is_blank(*cls))
        bad("class is empty");
      else if (*cls != "change" && !cfg_.classes.count(*cls))
        bad(fmt::format("class '{}' is not a class of the config (known: {})", *cls,
                        known_classes()));
      else
        z.class_name = *cls;
    }

    if (const auto crs = text(i_crs); crs && !is_blank(*crs)) {
      std::string why;
      rec.grid_srs = grid_srs(*crs, why);
      if (rec.grid_srs)
        rec.grid_crs = *crs;
      else
        bad(fmt::format("grid_crs '{}' {}", *crs, why));
    }

    if (i_gsd >= 0 && f.IsFieldSetAndNotNull(i_gsd)) {
      const OGRFieldType t = f.GetFieldDefnRef(i_gsd)->GetType();
      std::optional<double> v;
      bool blank = false;
      if (t == OFTInteger || t == OFTInteger64 || t == OFTReal) {
        v = f.GetFieldAsDouble(i_gsd);
      } else if (t == OFTString) {
        const std::string s = f.GetFieldAsString(i_gsd);
        blank = is_blank(s);
        if (!blank) v = parse_number(s);
      }
      if (!blank) {
        if (!v || !std::isfinite(*v) || *v <= 0.0)
          bad(fmt::format("grid_gsd_m '{}' is not a positive number of metres",
                          f.GetFieldAsString(i_gsd)));
        else
          rec.gsd = *v;
      }
    }

    read_geometry(f, rec, bad);
    records_.push_back(std::move(rec));
  }

  // Why a site_id cannot be used, or "": ids name output folders (--rasters DIR/{site_id}/).
  static std::string bad_site_id(const std::string& id) {
    if (is_blank(id.substr(0, 1)) || is_blank(id.substr(id.size() - 1)))
      return "has leading or trailing spaces";
    if (id == "." || id == "..") return "is not allowed ('.' and '..' name folders)";
    for (const char c : id) {
      if (c == '/' || c == '\\') return "contains a slash (site ids name output folders)";
      if (static_cast<unsigned char>(c) < 0x20) return "contains a control character";
    }
    return "";
  }

  std::string known_classes() const {
    std::vector<std::string> names{"change"};
    for (const auto& [name, c] : cfg_.classes) names.push_back(name);
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  // The grid CRS named by `text`, or null with `why` set.
  srs_ptr grid_srs(const std::string& text, std::string& why) {
    auto s = make_srs();
    CPLErrorReset();
    // No file or network look-ups: a catalog must not make us read arbitrary things.
    if (s->SetFromUserInput(text.c_str(),
                            OGRSpatialReference::SET_FROM_USER_INPUT_LIMITATIONS_get()) !=
        OGRERR_NONE) {
      why = "is not a coordinate reference system GDAL knows (use e.g. 'EPSG:32652')";
      return nullptr;
    }
    if (!s->IsProjected()) {
      why = "is not a projected CRS (the grid needs metres, e.g. a UTM zone 'EPSG:32652')";
      return nullptr;
    }
    const char* unit = nullptr;
    const double to_metre = s->GetLinearUnits(&unit);
    if (std::fabs(to_metre - 1.0) > 1e-12) {
      why = fmt::format("has units of '{}', not metres", unit ? unit : "?");
      return nullptr;
    }
    return s;
  }

  template <class Bad>
  void read_geometry(OGRFeature& f, feature_rec& rec, Bad& bad) {
    const OGRGeometry* g = f.GetGeometryRef();
    if (!g) {
      bad("has no geometry");
      return;
    }
    if (g->IsEmpty()) {
      bad("geometry is empty");
      return;
    }
    const auto t = wkbFlatten(g->getGeometryType());
    if (t != wkbPolygon && t != wkbMultiPolygon) {
      bad(fmt::format("geometry is a {}, expected a Polygon or MultiPolygon",
                      OGRGeometryTypeToName(t)));
      return;
    }
    geom_ptr geom(g->clone());
    geom->assignSpatialReference(nullptr);  // we keep track of CRSs ourselves
    geom->flattenTo2D();
    CPLErrorReset();
    if (!geom->IsValid()) {
      // GEOS says why through CPLError ("Self-intersection at or near point ...").
      const std::string reason = gdal_last_error(k_no_reason);
      geom_ptr fixed(geom->MakeValid());
      geom_ptr poly = fixed ? polygonal_part(*fixed) : nullptr;
      if (!poly || poly->IsEmpty()) {
        bad(fmt::format("geometry is invalid ({}) and cannot be repaired", reason));
        return;
      }
      spdlog::warn("{}: feature {}: invalid geometry ({}) repaired", path_, rec.z.feature_id,
                   reason);
      geom = std::move(poly);
    }

    geom_ptr lonlat(geom->clone());
    lonlat->assignSpatialReference(nullptr);
    if (to_lonlat_ && lonlat->transform(to_lonlat_.get()) != OGRERR_NONE) {
      bad(fmt::format("geometry cannot be transformed to longitude/latitude ({})",
                      gdal_last_error(k_no_reason)));
      return;
    }
    lonlat->assignSpatialReference(nullptr);
    OGREnvelope e;
    lonlat->getEnvelope(&e);
    if (e.MinX < -180.0 || e.MaxX > 180.0 || e.MinY < -90.0 || e.MaxY > 90.0) {
      bad(fmt::format("coordinates are not longitude/latitude (x {} .. {}, y {} .. {}){}", e.MinX,
                      e.MaxX, e.MinY, e.MaxY,
                      assumed_lonlat_ ? "; the layer has no CRS, so EPSG:4326 was assumed" : ""));
      return;
    }
    rec.z.wkt_lonlat = lonlat->exportToWkt();
    rec.geom = std::move(geom);
    rec.geom_lonlat = std::move(lonlat);
  }

  void build_sites(site_catalog& cat) {
    // std::map: sites come out sorted by id; each keeps its zones in feature order.
    std::map<std::string, std::vector<feature_rec*>> by_site;
    for (auto& r : records_)
      if (!r.z.site_id.empty()) by_site[r.z.site_id].push_back(&r);

    for (auto& [id, recs] : by_site) {
      const bool all_ok =
          std::all_of(recs.begin(), recs.end(), [](const feature_rec* r) { return r->ok; });
      const std::string label = fmt::format("{}: site '{}'", path_, id);
      // Checked even when a zone is bad, so that one pass reports every problem.
      grid_sources src;
      const bool agree = find_grid_sources(recs, label, src);
      if (!all_ok || !agree) continue;
      site s;
      if (build_site(id, recs, label, src, s)) cat.sites.push_back(std::move(s));
    }
  }

  // The features that give a site's grid parameters.
  struct grid_sources {
    const feature_rec* crs_from = nullptr;
    const feature_rec* gsd_from = nullptr;
  };

  // The grid parameters: given once or more (then equal), or left to the defaults. False
  // (reported) when zones disagree.
  bool find_grid_sources(const std::vector<feature_rec*>& recs, const std::string& label,
                         grid_sources& src) {
    bool agree = true;
    for (const feature_rec* r : recs) {
      if (r->grid_srs) {
        if (!src.crs_from) {
          src.crs_from = r;
        } else if (!r->grid_srs->IsSame(src.crs_from->grid_srs.get())) {
          problem(
              fmt::format("{}: zones disagree on grid_crs ('{}' in feature {}, '{}' in "
                          "feature {})",
                          label, src.crs_from->grid_crs, src.crs_from->z.feature_id, r->grid_crs,
                          r->z.feature_id));
          agree = false;
        }
      }
      if (r->gsd) {
        if (!src.gsd_from) {
          src.gsd_from = r;
        } else if (*r->gsd != *src.gsd_from->gsd) {
          problem(fmt::format(
              "{}: zones disagree on grid_gsd_m ({} in feature {}, {} in "
              "feature {})",
              label, *src.gsd_from->gsd, src.gsd_from->z.feature_id, *r->gsd, r->z.feature_id));
          agree = false;
        }
      }
    }
    return agree;
  }

  // The site from zones that are valid and agree; false when it has no usable grid (reported).
  bool build_site(const std::string& id, const std::vector<feature_rec*>& recs,
                  const std::string& label, const grid_sources& src, site& s) {
    s.id = id;
    for (const feature_rec* r : recs) {
      s.zones.push_back(r->z);
      if (s.name.empty() && !is_blank(r->z.name)) s.name = r->z.name;
    }
    srs_ptr grid;
    std::string crs;
    if (!choose_grid_crs(recs, label, src.crs_from, grid, crs)) return false;
    const double gsd = src.gsd_from ? *src.gsd_from->gsd : cfg_.gsd_m;
    OGREnvelope env;
    if (!zones_to_grid(recs, label, *grid, crs, s, env)) return false;
    return snap_site_grid(label, env, gsd, crs, s);
  }

  // The zones' grid_crs, else the UTM zone of their centroid.
  bool choose_grid_crs(const std::vector<feature_rec*>& recs, const std::string& label,
                       const feature_rec* crs_from, srs_ptr& grid, std::string& crs) {
    if (crs_from) {
      grid.reset(crs_from->grid_srs->Clone());
      grid->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      crs = crs_from->grid_crs;
      return true;
    }
    OGRPoint c;
    if (!centroid_lonlat(recs, c)) {
      problem(fmt::format("{}: cannot compute the centroid of the zones ({})", label,
                          gdal_last_error(k_no_reason)));
      return false;
    }
    crs = utm_crs_for(c.getX(), c.getY());
    std::string why;
    grid = grid_srs(crs, why);
    SW_EXPECTS(grid != nullptr, fmt::format("UTM CRS {} unknown to PROJ", crs));
    return true;
  }

  // Fills the zones' wkt_grid and their envelope in the grid CRS.
  bool zones_to_grid(const std::vector<feature_rec*>& recs, const std::string& label,
                     const OGRSpatialReference& grid, const std::string& crs, site& s,
                     OGREnvelope& env) {
    ct_ptr to_grid;
    if (!src_srs_->IsSame(&grid)) {
      to_grid = make_transform(*src_srs_, grid);
      if (!to_grid) {
        problem(fmt::format("{}: cannot transform the zones to the grid CRS {} ({})", label, crs,
                            gdal_last_error(k_no_reason)));
        return false;
      }
    }
    for (std::size_t i = 0; i < recs.size(); ++i) {
      geom_ptr g(recs[i]->geom->clone());
      g->assignSpatialReference(nullptr);
      if (to_grid && g->transform(to_grid.get()) != OGRERR_NONE) {
        problem(fmt::format("{}: feature {}: cannot transform the zone to the grid CRS {} ({})",
                            label, recs[i]->z.feature_id, crs, gdal_last_error(k_no_reason)));
        return false;
      }
      OGREnvelope e;
      g->getEnvelope(&e);
      env.Merge(e);
      s.zones[i].wkt_grid = g->exportToWkt();
    }
    return true;
  }

  bool snap_site_grid(const std::string& label, const OGREnvelope& env, double gsd,
                      const std::string& crs, site& s) {
    // Checked before snapping, which would otherwise overflow on absurd extents.
    const double margin = cfg_.grid_margin_m;
    const double w = std::ceil((env.MaxX - env.MinX + 2 * margin) / gsd) + 1;
    const double h = std::ceil((env.MaxY - env.MinY + 2 * margin) / gsd) + 1;
    if (!(w * h <= static_cast<double>(k_max_grid_pixels))) {
      problem(fmt::format(
          "{}: the site grid would be {:.0f} x {:.0f} pixels at {} m (zones span "
          "{:.0f} x {:.0f} m in {}); the limit is {} pixels: check the zones' "
          "coordinates or grid_gsd_m",
          label, w, h, gsd, env.MaxX - env.MinX, env.MaxY - env.MinY, crs, k_max_grid_pixels));
      return false;
    }
    s.grid = snap_grid(crs, env.MinX, env.MinY, env.MaxX, env.MaxY, gsd, margin);
    if (s.grid.width < 1 || s.grid.height < 1) {
      problem(
          fmt::format("{}: the zones have no extent (grid of {} x {} pixels); give them an "
                      "area or set grid_margin_m > 0",
                      label, s.grid.width, s.grid.height));
      return false;
    }
    return true;
  }

  // Centroid of the union of the zones in longitude/latitude: overlapping zones count once.
  static bool centroid_lonlat(const std::vector<feature_rec*>& recs, OGRPoint& out) {
    OGRMultiPolygon all;
    for (const feature_rec* r : recs) {
      const OGRGeometry& g = *r->geom_lonlat;
      if (wkbFlatten(g.getGeometryType()) == wkbPolygon)
        all.addGeometry(&g);
      else
        for (const OGRPolygon* p : *g.toMultiPolygon()) all.addGeometry(p);
    }
    geom_ptr u(all.UnionCascaded());
    // Without GEOS there is no union; the plain centroid of the parts is still deterministic.
    const OGRGeometry& g = u ? *u : static_cast<const OGRGeometry&>(all);
    return g.Centroid(&out) == OGRERR_NONE && !out.IsEmpty();
  }

  std::string path_;
  const config& cfg_;
  std::vector<std::string> errors_;
  std::vector<feature_rec> records_;
  srs_ptr src_srs_;
  srs_ptr lonlat_;
  ct_ptr to_lonlat_;
  bool assumed_lonlat_ = false;
};

}  // namespace

site_catalog load_sites(const std::string& path, const config& cfg) {
  return catalog_reader(path, cfg).read();
}

}  // namespace sw
