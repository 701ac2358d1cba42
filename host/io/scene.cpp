// Scene discovery and description (SPEC 1.1; the rules are written up in docs/SCENES.md).
// GDAL stays inside this file: every CPLErr or null handle becomes a message naming the file,
// and a scene that cannot be used carries that message in scene_info::error instead of
// throwing, so one bad file never stops the indexing of an archive.
#include "host/io/scene.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <spdlog/spdlog.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <nlohmann/json.hpp>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"

namespace sw {

std::string to_string(mask_source m) {
  switch (m) {
    case mask_source::udm2:
      return "udm2";
    case mask_source::mask:
      return "mask";
    case mask_source::none:
      return "none";
  }
  return "none";
}

bool scene_info::named_bands() const {
  return !band_names.empty() && std::none_of(band_names.begin(), band_names.end(),
                                             [](const std::string& n) { return n.empty(); });
}

const std::vector<std::string>& planet_band_names(int band_count) {
  static const std::vector<std::string> four{"blue", "green", "red", "nir"};
  static const std::vector<std::string> eight{"coastal_blue", "blue", "green_i", "green",
                                              "yellow",       "red",  "rededge", "nir"};
  if (band_count == 4) return four;
  if (band_count == 8) return eight;
  throw error(fmt::format("wrong band count {}, expected 4 or 8", band_count));
}

// ---- time ---------------------------------------------------------------------------------

namespace {

// Reads exactly n ASCII digits at text[pos..pos+n), or -1.
int digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// Civil UTC time to Unix seconds; nullopt when a field is out of range. Second 60 is accepted
// because RFC 3339 allows leap seconds; it lands on the next minute.
std::optional<std::int64_t> civil_to_unix(int y, int mo, int d, int h, int mi, int s) {
  using namespace std::chrono;
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60)
    return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + s;
}

// "YYYY:MM:DD HH:MM:SS", the TIFF 6.0 DateTime tag (no zone; taken as UTC). Dashes in the
// date are accepted too because some writers use them.
std::optional<std::int64_t> parse_tiff_datetime(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\0')) t.remove_suffix(1);
  if (t.size() != 19) return std::nullopt;
  const bool seps = (t[4] == ':' || t[4] == '-') && t[7] == t[4] &&
                    (t[10] == ' ' || t[10] == 'T') && t[13] == ':' && t[16] == ':';
  if (!seps) return std::nullopt;
  const int y = digits(t, 0, 4), mo = digits(t, 5, 2), d = digits(t, 8, 2);
  const int h = digits(t, 11, 2), mi = digits(t, 14, 2), s = digits(t, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  return civil_to_unix(y, mo, d, h, mi, s);
}

// The id prefix YYYYMMDD_HHMMSS of a Planet item (UTC).
std::optional<std::int64_t> time_from_planet_id(std::string_view id) {
  const int y = digits(id, 0, 4), mo = digits(id, 4, 2), d = digits(id, 6, 2);
  const int h = digits(id, 9, 2), mi = digits(id, 11, 2), s = digits(id, 13, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  return civil_to_unix(y, mo, d, h, mi, s);
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(const std::string& text) {
  const std::string_view t = text;
  // date-time = YYYY-MM-DD ("T" | "t" | " ") HH:MM:SS [.frac] ("Z" | "z" | +HH:MM | -HH:MM)
  if (t.size() < 20) return std::nullopt;
  if (t[4] != '-' || t[7] != '-' || t[13] != ':' || t[16] != ':') return std::nullopt;
  if (t[10] != 'T' && t[10] != 't' && t[10] != ' ') return std::nullopt;
  const int y = digits(t, 0, 4), mo = digits(t, 5, 2), d = digits(t, 8, 2);
  const int h = digits(t, 11, 2), mi = digits(t, 14, 2), s = digits(t, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  std::size_t pos = 19;
  if (t[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;  // "12:00:00.Z" has no fraction digits
  }
  if (pos >= t.size()) return std::nullopt;  // the offset is required by RFC 3339
  int offset_s = 0;
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    const int oh = digits(t, pos + 1, 2), om = digits(t, pos + 4, 2);
    if (oh < 0 || om < 0 || pos + 3 >= t.size() || t[pos + 3] != ':' || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const auto local = civil_to_unix(y, mo, d, h, mi, s);
  if (!local) return std::nullopt;
  return *local - offset_s;
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{unix_seconds}};
  const auto day_start = floor<days>(tp);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{tp - day_start};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

// ---- names and paths ------------------------------------------------------------------------

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// GDAL paths use '/' on every platform we build for, /vsizip/ and URLs included, so plain
// string handling is enough and avoids CPLGetPath's thread-local buffers.
std::string file_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return {};
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Name without its last extension ("a.b.tif" -> "a.b"); a leading dot is not an extension.
std::string stem_of(const std::string& name) {
  const auto dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

std::string extension_of(const std::string& name) {
  const auto dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? std::string() : lower(name.substr(dot + 1));
}

// Sidecars, catalogs, documents: never scenes, and cheaper to drop by name than to hand to
// every GDAL driver's Identify (which would read their first bytes).
bool skipped_extension(const std::string& ext) {
  static const std::unordered_set<std::string> skip{
      "json", "geojson",      "xml",      "ovr",      "hdr",    "txt", "csv", "md",  "aux", "prj",
      "tfw",  "tifw",         "tiffw",    "wld",      "jgw",    "j2w", "pgw", "msk", "qml", "sld",
      "html", "htm",          "log",      "toml",     "yaml",   "yml", "shp", "shx", "dbf", "cpg",
      "qix",  "sbn",          "sbx",      "md5",      "sha256", "imd", "rpb", "rpc", "til", "lst",
      "list", "gpkg-journal", "gpkg-wal", "gpkg-shm", "py",     "sh",  "pdf"};
  return skip.count(ext) > 0;
}

// Planet PSScene file names ------------------------------------------------------------------

enum class planet_role { data, udm2, metadata, unused };

struct planet_name {
  std::string id;
  planet_role role = planet_role::unused;
  bool sr = false, eight_band = false, harmonized = false, clip = false;

  // Preference among the data assets of one item: SR over radiance, then 8 bands over 4,
  // then harmonized, then clip. Each criterion outranks all later ones together.
  int rank() const {
    return (sr ? 8 : 0) + (eight_band ? 4 : 0) + (harmonized ? 2 : 0) + (clip ? 1 : 0);
  }
  std::string product() const { return sr ? "analytic_sr" : "analytic"; }
};

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// {id} = YYYYMMDD_HHMMSS(_NN)?_XXXX, XXXX the satellite's 4 alphanumerics (e.g. 247d, 1234).
bool is_planet_id(std::string_view id) {
  if (id.size() != 20 && id.size() != 23) return false;
  if (digits(id, 0, 8) < 0 || id[8] != '_' || digits(id, 9, 6) < 0 || id[15] != '_') return false;
  std::size_t pos = 16;
  if (id.size() == 23) {
    if (digits(id, 16, 2) < 0 || id[18] != '_') return false;
    pos = 19;
  }
  return std::all_of(id.begin() + static_cast<std::ptrdiff_t>(pos), id.end(), is_alnum);
}

struct asset_suffix {
  std::string suffix;  // after "{id}_"
  planet_name flags;
};

const std::vector<asset_suffix>& planet_suffixes() {
  static const std::vector<asset_suffix> table = [] {
    std::vector<asset_suffix> t;
    for (bool sr : {true, false})
      for (bool eight : {false, true})
        for (bool harm : {false, true})
          for (bool clip : {false, true}) {
            if (!sr && harm) continue;  // Planet harmonizes surface reflectance only
            planet_name f;
            f.role = planet_role::data;
            f.sr = sr, f.eight_band = eight, f.harmonized = harm, f.clip = clip;
            std::string s = "3B_AnalyticMS";
            if (sr) s += "_SR";
            if (eight) s += "_8b";
            if (harm) s += "_harmonized";
            if (clip) s += "_clip";
            t.push_back({s + ".tif", f});
          }
    planet_name udm2;
    udm2.role = planet_role::udm2;
    t.push_back({"3B_udm2.tif", udm2});
    udm2.clip = true;
    t.push_back({"3B_udm2_clip.tif", udm2});
    planet_name meta;
    meta.role = planet_role::metadata;
    t.push_back({"metadata.json", meta});
    return t;
  }();
  return table;
}

// Recognises a Planet PSScene file by name. Other "{id}_3B_*" / "{id}_1B_*" files (Visual,
// DN, legacy UDM, Basic products, XML metadata) are Planet assets this tool does not use:
// they come back as `unused` so that they are not mistaken for generic scenes.
std::optional<planet_name> parse_planet_name(const std::string& name) {
  for (std::size_t len : {std::size_t{23}, std::size_t{20}}) {
    if (name.size() <= len + 1 || name[len] != '_') continue;
    const std::string_view id(name.data(), len);
    if (!is_planet_id(id)) continue;
    const std::string_view rest(name.data() + len + 1, name.size() - len - 1);
    for (const auto& a : planet_suffixes()) {
      if (iequals(rest, a.suffix)) {
        planet_name p = a.flags;
        p.id = std::string(id);
        return p;
      }
    }
    if (istarts_with(rest, "3B_") || istarts_with(rest, "1B_")) {
      planet_name p;
      p.id = std::string(id);
      return p;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// Known band names (SPEC 1.1): Planet's canonical names and a few spellings of them.
std::string canonical_band_name(std::string_view description) {
  std::string n = lower(description);
  for (auto& c : n)
    if (c == ' ' || c == '-') c = '_';
  const auto first = n.find_first_not_of('_');
  if (first == std::string::npos) return {};
  n = n.substr(first, n.find_last_not_of('_') - first + 1);
  static const std::unordered_map<std::string, std::string> known{
      {"coastal_blue", "coastal_blue"},
      {"coastal", "coastal_blue"},
      {"blue", "blue"},
      {"green_i", "green_i"},
      {"green", "green"},
      {"yellow", "yellow"},
      {"red", "red"},
      {"rededge", "rededge"},
      {"red_edge", "rededge"},
      {"nir", "nir"},
      {"near_infrared", "nir"},
      {"pan", "pan"},
      {"panchromatic", "pan"},
  };
  const auto it = known.find(n);
  return it == known.end() ? std::string() : it->second;
}

// ---- GDAL plumbing --------------------------------------------------------------------------

void CPL_STDCALL log_gdal_message(CPLErr level, CPLErrorNum, const char* message) {
  // Failures are reported through the exceptions built from CPLGetLastErrorMsg; what GDAL
  // says on the way (warnings about odd tags, etc.) only matters when debugging.
  if (level >= CE_Warning) spdlog::debug("GDAL: {}", message ? message : "");
}

// Routes this thread's GDAL messages to the debug log while alive, and starts from a clean
// "last error" so that the message we report belongs to the call that failed.
class gdal_error_scope {
 public:
  gdal_error_scope() {
    CPLPushErrorHandler(log_gdal_message);
    CPLErrorReset();
  }
  ~gdal_error_scope() { CPLPopErrorHandler(); }
  gdal_error_scope(const gdal_error_scope&) = delete;
  gdal_error_scope& operator=(const gdal_error_scope&) = delete;
};

struct dataset_closer {
  void operator()(void* h) const {
    if (h) GDALClose(static_cast<GDALDatasetH>(h));
  }
};
using dataset_ptr = std::unique_ptr<void, dataset_closer>;

bool path_exists(const std::string& path) {
  VSIStatBufL st;
  return VSIStatExL(path.c_str(), &st, VSI_STAT_EXISTS_FLAG) == 0;
}

std::string read_small_file(const std::string& path, GIntBig max_bytes) {
  GByte* data = nullptr;
  vsi_l_offset size = 0;
  if (!VSIIngestFile(nullptr, path.c_str(), &data, &size, max_bytes)) {
    VSIFree(data);
    throw input_error(fmt::format("{}: cannot read: {}", path, gdal_last_error("read failed")));
  }
  std::string text(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
  VSIFree(data);
  return text;
}

nlohmann::json read_json(const std::string& path) {
  const std::string text = read_small_file(path, 64 << 20);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw input_error(fmt::format("{}: bad JSON: {}", path, e.what()));
  }
}

// What index_scenes learnt while walking directories, so that describing a scene needs no
// further directory listings or stats: sidecar JSONs are looked up in `files`, and GDAL gets
// each directory's names as its sibling list (the same list it would otherwise read itself
// on every open).
struct file_census {
  std::unordered_set<std::string> files;
  std::unordered_map<std::string, std::vector<std::string>> names_by_dir;
  std::unordered_map<std::string, CPLStringList> siblings_by_dir;

  // GDAL caps its own sibling listing at 1000 names; beyond that it stats instead, and so
  // do we rather than copy a huge list into every open.
  static constexpr std::size_t max_siblings = 1000;

  void add(const std::string& path) {
    if (files.insert(path).second) names_by_dir[dir_name(path)].push_back(file_name(path));
  }
  void freeze() {
    for (const auto& [dir, names] : names_by_dir) {
      if (names.size() > max_siblings) continue;
      CPLStringList list;
      for (const auto& n : names) list.AddString(n.c_str());
      siblings_by_dir.emplace(dir, std::move(list));
    }
  }
  // Null: let GDAL look for itself.
  CSLConstList siblings(const std::string& path) const {
    const auto it = siblings_by_dir.find(dir_name(path));
    return it == siblings_by_dir.end() ? nullptr : it->second.List();
  }
  bool exists(const std::string& path) const {
    // A directory we walked is known completely; anything else needs a stat.
    if (names_by_dir.count(dir_name(path)) > 0) return files.count(path) > 0;
    return path_exists(path);
  }
};

// ---- description ----------------------------------------------------------------------------

std::optional<double> json_number(const nlohmann::json& props, const char* key) {
  const auto it = props.find(key);
  if (it == props.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string json_string(const nlohmann::json& props, const char* key) {
  const auto it = props.find(key);
  return it != props.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void apply_properties(const nlohmann::json& props, scene_info& s) {
  s.item_type = json_string(props, "item_type");
  s.satellite_id = json_string(props, "satellite_id");
  scene_metadata& m = s.metadata;
  m.instrument = json_string(props, "instrument");
  m.quality_category = json_string(props, "quality_category");
  m.cloud_cover = json_number(props, "cloud_cover");
  m.clear_percent = json_number(props, "clear_percent");
  m.gsd = json_number(props, "gsd");
  m.view_angle = json_number(props, "view_angle");
  m.sun_elevation = json_number(props, "sun_elevation");
}

// Sets the time from an "acquired" value; throws when it is present but not RFC 3339,
// because a wrong time would silently misplace the scene in its site's history.
bool apply_acquired(const nlohmann::json& props, const std::string& json_path, scene_info& s) {
  const auto it = props.find("acquired");
  if (it == props.end() || it->is_null()) return false;
  const auto t = it->is_string() ? parse_rfc3339(it->get<std::string>()) : std::nullopt;
  if (!t)
    throw input_error(
        fmt::format("{}: bad \"acquired\" time {}: expected RFC 3339 such as 2023-10-05T01:35:12Z",
                    json_path, it->dump()));
  s.acquired_unix = *t;
  s.acquired = format_rfc3339(*t);
  return true;
}

// GeoJSON Polygon/MultiPolygon (lon/lat) to WKT; "" when absent or unusable, in which case
// the caller falls back to the raster extent (a footprint is a refinement, not a necessity).
std::string geojson_footprint(const nlohmann::json& feature, const std::string& json_path) {
  const auto it = feature.find("geometry");
  if (it == feature.end() || !it->is_object()) return {};
  const std::string type = json_string(*it, "type");
  if (type != "Polygon" && type != "MultiPolygon") {
    spdlog::warn("{}: footprint geometry of type '{}' ignored (expected Polygon or MultiPolygon)",
                 json_path, type);
    return {};
  }
  OGRGeometryH g = OGR_G_CreateGeometryFromJson(it->dump().c_str());
  if (!g) {
    spdlog::warn("{}: unreadable footprint geometry ignored: {}", json_path,
                 gdal_last_error("invalid GeoJSON"));
    return {};
  }
  char* wkt = nullptr;
  std::string out;
  if (OGR_G_ExportToWkt(g, &wkt) == OGRERR_NONE && wkt) out = wkt;
  CPLFree(wkt);
  OGR_G_DestroyGeometry(g);
  return out;
}

// The raster's outline in EPSG:4326 (x = lon), each side densified to 21 points so that a
// UTM scene's curved edges in lon/lat are followed to well under a pixel for Planet sizes.
std::string extent_footprint(const scene_info& s) {
  const OGRSpatialReference src = srs_from_wkt(s.crs_wkt, s.path);
  const OGRSpatialReference wgs84 = lonlat_srs();
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&src, &wgs84));
  if (!ct)
    throw input_error(fmt::format("{}: cannot transform its CRS to EPSG:4326: {}", s.path,
                                  gdal_last_error("no transformation")));
  constexpr int per_side = 20;  // segments; 21 points with the shared corners
  std::vector<double> px, py;
  const auto add_side = [&](double x0, double y0, double x1, double y1) {
    for (int i = 0; i < per_side; ++i) {
      const double f = static_cast<double>(i) / per_side;
      px.push_back(x0 + (x1 - x0) * f);
      py.push_back(y0 + (y1 - y0) * f);
    }
  };
  const double w = s.width, h = s.height;
  add_side(0, 0, 0, h);  // left, down
  add_side(0, h, w, h);  // bottom, right
  add_side(w, h, w, 0);  // right, up
  add_side(w, 0, 0, 0);  // top, left
  const auto& gt = s.geotransform;
  std::vector<double> x(px.size()), y(px.size());
  for (std::size_t i = 0; i < px.size(); ++i) {
    x[i] = gt[0] + px[i] * gt[1] + py[i] * gt[2];
    y[i] = gt[3] + px[i] * gt[4] + py[i] * gt[5];
  }
  std::vector<int> ok(x.size(), 0);
  ct->Transform(x.size(), x.data(), y.data(), nullptr, ok.data());
  OGRLinearRing ring;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (ok[i]) ring.addPoint(x[i], y[i]);
  if (ring.getNumPoints() < 3)
    throw input_error(fmt::format("{}: its extent cannot be transformed to EPSG:4326", s.path));
  ring.closeRings();
  // OGC simple features want the exterior ring counter-clockwise; a south-up geotransform
  // would turn the walk above around.
  if (ring.isClockwise()) ring.reverseWindingOrder();
  OGRPolygon poly;
  poly.addRing(&ring);
  return poly.exportToWkt();
}

// Where a GeoTIFF's last block of each band ends, from the TIFF directory (GDAL's "TIFF"
// metadata domain): the end of the furthest, or nullopt when a block has no offset (sparse
// files) or the file is not a GeoTIFF.
std::optional<long long> last_blocks_end(GDALDatasetH ds) {
  GDALDriverH drv = GDALGetDatasetDriver(ds);
  if (drv == nullptr || std::string(GDALGetDriverShortName(drv)) != "GTiff") return std::nullopt;
  const int n = GDALGetRasterCount(ds);
  const char* interleave = GDALGetMetadataItem(ds, "INTERLEAVE", "IMAGE_STRUCTURE");
  const bool pixel = interleave != nullptr && std::string(interleave) == "PIXEL";
  long long end = 0;
  for (int b = 1; b <= (pixel ? 1 : n); ++b) {
    GDALRasterBandH band = GDALGetRasterBand(ds, b);
    int bw = 0, bh = 0;
    GDALGetBlockSize(band, &bw, &bh);
    if (bw <= 0 || bh <= 0) return std::nullopt;
    const int bx = (GDALGetRasterXSize(ds) + bw - 1) / bw - 1;
    const int by = (GDALGetRasterYSize(ds) + bh - 1) / bh - 1;
    const std::string where = fmt::format("_{}_{}", bx, by);
    const char* off = GDALGetMetadataItem(band, ("BLOCK_OFFSET" + where).c_str(), "TIFF");
    const char* size = GDALGetMetadataItem(band, ("BLOCK_SIZE" + where).c_str(), "TIFF");
    if (off == nullptr || size == nullptr || std::atoll(off) <= 0) return std::nullopt;
    end = std::max(end, std::atoll(off) + std::atoll(size));
  }
  return end;
}

// GDAL opens a truncated GeoTIFF happily (the header is at the front); the loss shows only
// when a missing block is read. Blocks are written in order, so the last pixel of every band
// sits in the last block of the file. A GeoTIFF's directory says where that block ends,
// which is compared with the file's size (no decoding); other formats read that pixel of
// every band, decoding one block per band (one in all for pixel-interleaved files).
void check_readable_to_end(GDALDatasetH ds, const std::string& path) {
  const int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds), n = GDALGetRasterCount(ds);
  if (w <= 0 || h <= 0 || n <= 0) return;
  if (const auto end = last_blocks_end(ds)) {
    VSIStatBufL st;
    if (VSIStatL(path.c_str(), &st) == 0) {
      if (static_cast<long long>(st.st_size) < *end)
        throw input_error(
            fmt::format("{}: truncated (its last block ends at byte {}, the file has {} bytes)",
                        path, *end, static_cast<long long>(st.st_size)));
      return;
    }
  }
  std::vector<double> buf(static_cast<std::size_t>(n));
  if (GDALDatasetRasterIO(ds, GF_Read, w - 1, h - 1, 1, 1, buf.data(), 1, 1, GDT_Float64, n,
                          nullptr, 0, 0, 0) != CE_None)
    throw input_error(fmt::format("{}: truncated or corrupt (reading its last block failed: {})",
                                  path, gdal_last_error("read error")));
}

dataset_ptr open_raster(const std::string& path, CSLConstList siblings) {
  dataset_ptr ds(
      GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, siblings));
  if (!ds)
    throw input_error(fmt::format("{}: cannot open as a raster: {}", path,
                                  gdal_last_error("not a format GDAL can read")));
  return ds;
}

// Returns the UDM2's CRS as WKT (GDAL builds it through PROJ: ~0.5 ms a file, so once per
// scene here rather than once per read).
std::string check_udm2(const std::string& udm2_path, const file_census* census) {
  auto ds = open_raster(udm2_path, census ? census->siblings(udm2_path) : nullptr);
  const int n = GDALGetRasterCount(ds.get());
  if (n != 8)
    throw input_error(fmt::format("{}: wrong band count {} for a UDM2, expected 8", udm2_path, n));
  check_readable_to_end(ds.get(), udm2_path);
  const char* wkt = GDALGetProjectionRef(ds.get());
  return wkt != nullptr ? wkt : "";
}

// Time of a generic scene from a sidecar JSON: the one the caller named, else {file}.json,
// else {stem}.json. False when none exists with an "acquired" key.
bool generic_time_from_sidecar(scene_info& s, const std::string& given, const file_census* census) {
  const std::string name = file_name(s.path);
  std::vector<std::string> candidates;
  if (!given.empty()) candidates.push_back(given);
  for (std::string p : {s.path + ".json", join_path(dir_name(s.path), stem_of(name) + ".json")})
    if (std::find(candidates.begin(), candidates.end(), p) == candidates.end())
      candidates.push_back(std::move(p));
  for (const auto& json_path : candidates) {
    const bool exists =
        json_path == given || (census ? census->exists(json_path) : path_exists(json_path));
    if (!exists) continue;
    const nlohmann::json j = read_json(json_path);
    if (!j.is_object()) continue;
    // Either {"acquired": ...} or a Planet-like Feature {"properties": {"acquired": ...}}.
    const nlohmann::json* props = nullptr;
    if (j.contains("acquired")) {
      props = &j;
    } else if (auto it = j.find("properties");
               it != j.end() && it->is_object() && it->contains("acquired")) {
      props = &*it;
    }
    if (!props) {
      spdlog::debug("{}: no \"acquired\" key, not used for the time of {}", json_path, s.path);
      continue;
    }
    apply_acquired(*props, json_path, s);
    apply_properties(*props, s);
    s.footprint_wkt = geojson_footprint(j, json_path);
    s.metadata_path = json_path;
    return true;
  }
  return false;
}

// Fills `s` step by step and throws input_error at the first problem, leaving what was
// learnt so far in `s` (the run's `scenes` table shows it next to the error).
// `open_failed` tells index_scenes that GDAL would not open the file as a raster at all.
void describe_into(scene_info& s, const std::string& path, const std::string& udm2_path,
                   const std::string& metadata_path, const file_census* census, bool& open_failed) {
  gdal_init();
  gdal_error_scope errors;
  s.path = path;
  s.udm2_path = udm2_path;
  s.metadata_path = metadata_path;  // for a generic scene: replaced by the sidecar used
  const std::string name = file_name(path);
  const auto planet = parse_planet_name(name);
  const bool is_planet = planet && planet->role == planet_role::data;
  if (is_planet) {
    s.kind = scene_kind::planet;
    s.id = planet->id;
    s.product = planet->product();
  } else {
    s.kind = scene_kind::generic;
    s.id = stem_of(name);
    s.product = "generic";
  }
  s.mask = udm2_path.empty() ? mask_source::none : mask_source::udm2;

  bool have_time = false;
  if (is_planet) {
    if (const auto t = time_from_planet_id(s.id)) {
      s.acquired_unix = *t;
      s.acquired = format_rfc3339(*t);
      have_time = true;
    }
    if (!metadata_path.empty()) {
      const nlohmann::json j = read_json(metadata_path);
      const auto props = j.is_object() ? j.find("properties") : j.end();
      if (props == j.end() || !props->is_object())
        throw input_error(
            fmt::format("{}: not a Planet item (no \"properties\" object)", metadata_path));
      apply_properties(*props, s);
      have_time = apply_acquired(*props, metadata_path, s) || have_time;
      s.footprint_wkt = geojson_footprint(j, metadata_path);
    }
    if (!have_time)
      throw input_error(
          fmt::format("{}: no acquisition time: the id {} is not a valid date "
                      "YYYYMMDD_HHMMSS and {}",
                      path, s.id,
                      metadata_path.empty() ? "there is no metadata JSON"
                                            : metadata_path + " has no properties.acquired"));
  }

  open_failed = true;
  const auto ds = open_raster(path, census ? census->siblings(path) : nullptr);
  open_failed = false;
  GDALDatasetH h = ds.get();
  s.width = GDALGetRasterXSize(h);
  s.height = GDALGetRasterYSize(h);
  if (const char* wkt = GDALGetProjectionRef(h)) s.crs_wkt = wkt;
  const bool have_gt = GDALGetGeoTransform(h, s.geotransform.data()) == CE_None;

  const int n = GDALGetRasterCount(h);
  s.data_bands.clear();
  s.band_names.clear();
  s.alpha_band = 0;
  for (int b = 1; b <= n; ++b) {
    GDALRasterBandH band = GDALGetRasterBand(h, b);
    if (GDALGetRasterColorInterpretation(band) == GCI_AlphaBand && s.alpha_band == 0) {
      s.alpha_band = b;
      continue;
    }
    s.data_bands.push_back(b);
    if (is_planet) continue;  // named below from the band count
    std::string band_name = canonical_band_name(GDALGetDescription(band));
    if (band_name.empty()) {
      switch (GDALGetRasterColorInterpretation(band)) {
        case GCI_RedBand:
          band_name = "red";
          break;
        case GCI_GreenBand:
          band_name = "green";
          break;
        case GCI_BlueBand:
          band_name = "blue";
          break;
        default:
          break;
      }
    }
    s.band_names.push_back(band_name);
  }
  s.band_count = static_cast<int>(s.data_bands.size());
  if (is_planet) {
    if (s.band_count != 4 && s.band_count != 8)
      throw input_error(
          fmt::format("{}: wrong band count {}, expected 4 or 8", path, s.band_count));
    s.band_names = planet_band_names(s.band_count);
  } else {
    // Two bands called "red" cannot be matched by name: the repeats become unnamed, which
    // turns the scene over to matching by position.
    for (std::size_t i = 0; i < s.band_names.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (!s.band_names[i].empty() && s.band_names[i] == s.band_names[j]) {
          s.band_names[i].clear();
          break;
        }
  }
  if (s.band_count == 0)
    throw input_error(fmt::format("{}: no data band (only an alpha band)", path));
  if (udm2_path.empty()) {
    // Only a real validity mask counts: a nodata value is not one (GMF_NODATA alone), and
    // GMF_ALL_VALID means there is nothing to mask.
    const int flags = GDALGetMaskFlags(GDALGetRasterBand(h, s.data_bands.front()));
    if (s.alpha_band > 0 || (flags & GMF_PER_DATASET) != 0) s.mask = mask_source::mask;
  }

  check_readable_to_end(h, path);

  if (s.crs_wkt.empty() || !have_gt)
    throw input_error(fmt::format(
        "{}: not georeferenced (no {}); rasters with only GCPs or RPCs must be orthorectified "
        "first, e.g. with gdalwarp",
        path, s.crs_wkt.empty() ? "coordinate reference system" : "geotransform"));

  if (!is_planet && !generic_time_from_sidecar(s, metadata_path, census)) {
    const char* dt = GDALGetMetadataItem(h, "TIFFTAG_DATETIME", nullptr);
    const auto t = dt ? parse_tiff_datetime(dt) : std::nullopt;
    if (dt && !t)
      throw input_error(fmt::format(
          "{}: bad TIFFTAG_DATETIME \"{}\", expected \"YYYY:MM:DD HH:MM:SS\"", path, dt));
    if (!t)
      throw input_error(fmt::format(
          "{}: no acquisition time: add a sidecar JSON {}.json with an \"acquired\" key "
          "(RFC 3339) or a TIFFTAG_DATETIME",
          path, stem_of(name)));
    s.acquired_unix = *t;
    s.acquired = format_rfc3339(*t);
  }

  if (s.footprint_wkt.empty()) s.footprint_wkt = extent_footprint(s);
  if (!udm2_path.empty()) s.udm2_crs_wkt = check_udm2(udm2_path, census);
}

scene_info describe(const std::string& path, const std::string& udm2_path,
                    const std::string& metadata_path, const file_census* census,
                    bool* open_failed = nullptr) {
  scene_info s;
  bool failed_open = false;
  try {
    describe_into(s, path, udm2_path, metadata_path, census, failed_open);
  } catch (const std::exception& e) {
    s.error = e.what();
    // SW_EXPECTS-style errors and library exceptions may not name the file; the run's
    // `scenes` table must say which file failed.
    if (s.error.find(path) == std::string::npos &&
        (udm2_path.empty() || s.error.find(udm2_path) == std::string::npos) &&
        (metadata_path.empty() || s.error.find(metadata_path) == std::string::npos))
      s.error = fmt::format("{}: {}", path, s.error);
  }
  if (open_failed) *open_failed = failed_open;
  return s;
}

// ---- discovery ------------------------------------------------------------------------------

struct candidate {
  std::string path;
  bool listed = false;  // named explicitly (PATH itself or a list line), not found by a walk
};

struct discovery {
  std::vector<candidate> files;
  std::vector<scene_info> failed;  // listed paths that do not exist
  file_census census;
};

bool hidden_component(const std::string& rel) {
  std::size_t start = 0;
  while (start < rel.size()) {
    if (rel[start] == '.') return true;
    const auto slash = rel.find('/', start);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return false;
}

std::string strip_trailing_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

void walk_dir(const std::string& root_in, discovery& d) {
  const std::string root = strip_trailing_slashes(root_in);
  VSIDIR* dir = VSIOpenDir(root.c_str(), -1, nullptr);
  if (!dir)
    throw input_error(
        fmt::format("{}: cannot list directory: {}", root, gdal_last_error("listing failed")));
  std::vector<std::string> zips;
  while (const VSIDIREntry* e = VSIGetNextDirEntry(dir)) {
    const std::string rel = e->pszName;
    // Dot files are system or editor droppings (.DS_Store, ._x.tif AppleDouble, .git).
    if (rel.empty() || hidden_component(rel)) continue;
    const std::string full = join_path(root, rel);
    int mode = e->nMode;
    if (!e->bModeKnown) {
      VSIStatBufL st;
      if (VSIStatL(full.c_str(), &st) != 0) continue;
      mode = st.st_mode;
    }
    if (VSI_ISDIR(mode)) continue;
    d.census.add(full);
    // Planet orders arrive as zips: look inside them as if they were folders.
    if (extension_of(rel) == "zip")
      zips.push_back(full);
    else
      d.files.push_back({full, false});
  }
  VSICloseDir(dir);
  for (const auto& z : zips) {
    // /vsizip//vsis3/... chains fine, but GDAL splits a path at its first ".zip", so a zip
    // inside a zip is left alone.
    if (z.rfind("/vsizip/", 0) == 0) {
      spdlog::debug("{}: a zip inside a zip, not searched", z);
      continue;
    }
    try {
      walk_dir("/vsizip/" + z, d);
    } catch (const input_error& e) {
      spdlog::warn("{} (skipped)", e.what());
    }
  }
}

bool is_absolute_gdal_path(const std::string& p) {
  return (!p.empty() && p.front() == '/') || p.find("://") != std::string::npos;
}

void add_path(const std::string& path, discovery& d, bool allow_list, const std::string& list);

// A text file with one path per line; # comments and blank lines skipped; relative paths
// resolved against the list file's directory.
void read_list(const std::string& list_path, discovery& d) {
  const std::string text = read_small_file(list_path, 256 << 20);
  const std::string base = dir_name(list_path);
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (line.front() == '#') continue;
    const std::string p = is_absolute_gdal_path(line) ? line : join_path(base, line);
    add_path(p, d, false, list_path);
  }
}

// A top-level PATH that is a file: a list of paths, or a raster?
bool looks_like_list(const std::string& path) {
  const std::string name = file_name(path);
  if (parse_planet_name(name)) return false;
  const std::string ext = extension_of(name);
  if (ext == "txt" || ext == "lst" || ext == "list") return true;
  if (skipped_extension(ext)) return false;
  if (GDALIdentifyDriverEx(path.c_str(), GDAL_OF_RASTER, nullptr, nullptr)) return false;
  // Anything else that reads as text is taken for a list (a raster GDAL cannot identify
  // would fail anyway); binary content is not.
  VSILFILE* f = VSIFOpenL(path.c_str(), "rb");
  if (!f) return false;
  char head[4096];
  const std::size_t n = VSIFReadL(head, 1, sizeof head, f);
  VSIFCloseL(f);
  return n > 0 && std::memchr(head, '\0', n) == nullptr;
}

scene_info missing_scene(const std::string& path, const std::string& list) {
  scene_info s;
  s.path = path;
  const std::string name = file_name(path);
  const auto planet = parse_planet_name(name);
  if (planet && planet->role == planet_role::data) {
    s.kind = scene_kind::planet;
    s.id = planet->id;
    s.product = planet->product();
    if (const auto t = time_from_planet_id(s.id)) {
      s.acquired_unix = *t;
      s.acquired = format_rfc3339(*t);
    }
  } else {
    s.id = stem_of(name);
    s.product = "generic";
  }
  s.error = fmt::format("{}: no such file (listed in {})", path, list);
  return s;
}

void add_path(const std::string& path, discovery& d, bool allow_list, const std::string& list) {
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0) {
    if (!allow_list) {
      // A listed sidecar that is missing only costs its scene the mask or metadata.
      const std::string name = file_name(path);
      const auto planet = parse_planet_name(name);
      if ((planet && planet->role != planet_role::data) || skipped_extension(extension_of(name)))
        spdlog::warn("{}: no such file (listed in {})", path, list);
      else
        d.failed.push_back(missing_scene(path, list));
      return;
    }
    throw input_error(fmt::format("{}: no such file or directory", path));
  }
  if (VSI_ISDIR(st.st_mode)) {
    walk_dir(path, d);
  } else if (extension_of(file_name(path)) == "zip") {
    walk_dir("/vsizip/" + path, d);
  } else if (allow_list && looks_like_list(path)) {
    read_list(path, d);
  } else {
    d.files.push_back({path, true});
  }
}

struct planet_item {
  std::vector<std::pair<planet_name, candidate>> data, udm2, metadata;
};

// Chooses the files of one Planet item. Returns false when the item has no data asset.
struct planet_choice {
  std::string data, udm2, metadata;
};

std::optional<planet_choice> choose_assets(const std::string& id, planet_item& item) {
  if (item.data.empty()) {
    spdlog::debug("Planet item {} ignored: it has a UDM2 or metadata but no data asset", id);
    return std::nullopt;
  }
  const auto by_path = [](const auto& a, const auto& b) { return a.second.path < b.second.path; };
  std::sort(item.data.begin(), item.data.end(), [](const auto& a, const auto& b) {
    if (a.first.rank() != b.first.rank()) return a.first.rank() > b.first.rank();
    return a.second.path < b.second.path;
  });
  const planet_name& chosen_name = item.data.front().first;
  const candidate& chosen = item.data.front().second;
  planet_choice c;
  c.data = chosen.path;
  for (std::size_t i = 1; i < item.data.size(); ++i)
    spdlog::debug("{}: not used, {} is preferred for item {}", item.data[i].second.path,
                  chosen.path, id);
  // A clipped data asset goes with the clipped UDM2 where both exist (same extent).
  std::sort(item.udm2.begin(), item.udm2.end(), [&](const auto& a, const auto& b) {
    const bool ma = a.first.clip == chosen_name.clip, mb = b.first.clip == chosen_name.clip;
    if (ma != mb) return ma;
    return a.second.path < b.second.path;
  });
  std::sort(item.metadata.begin(), item.metadata.end(), by_path);
  if (!item.udm2.empty()) c.udm2 = item.udm2.front().second.path;
  if (!item.metadata.empty()) c.metadata = item.metadata.front().second.path;
  // A data asset named on its own (PATH or a list line) brings the sidecars next to it.
  if (chosen.listed) {
    const std::string dir = dir_name(chosen.path);
    if (c.udm2.empty()) {
      const char* first = chosen_name.clip ? "_3B_udm2_clip.tif" : "_3B_udm2.tif";
      const char* second = chosen_name.clip ? "_3B_udm2.tif" : "_3B_udm2_clip.tif";
      for (const char* suffix : {first, second}) {
        const std::string p = join_path(dir, id + suffix);
        if (path_exists(p)) {
          c.udm2 = p;
          break;
        }
      }
    }
    if (c.metadata.empty()) {
      const std::string p = join_path(dir, id + "_metadata.json");
      if (path_exists(p)) c.metadata = p;
    }
  }
  return c;
}

}  // namespace

scene_info describe_scene(const std::string& path, const std::string& udm2_path,
                          const std::string& metadata_path) {
  return describe(path, udm2_path, metadata_path, nullptr);
}

std::vector<scene_info> index_scenes(const std::string& path) {
  gdal_init();
  gdal_error_scope errors;
  const auto start = std::chrono::steady_clock::now();
  discovery d;
  add_path(path, d, true, {});
  d.census.freeze();

  // The same file reached twice (a list naming it twice, a folder and a file inside it).
  std::sort(d.files.begin(), d.files.end(), [](const candidate& a, const candidate& b) {
    return a.path != b.path ? a.path < b.path : a.listed > b.listed;
  });
  d.files.erase(
      std::unique(d.files.begin(), d.files.end(),
                  [](const candidate& a, const candidate& b) { return a.path == b.path; }),
      d.files.end());

  std::map<std::string, planet_item> items;
  std::vector<candidate> generic;
  for (const auto& c : d.files) {
    const std::string name = file_name(c.path);
    if (auto p = parse_planet_name(name)) {
      auto& item = items[p->id];
      switch (p->role) {
        case planet_role::data:
          item.data.emplace_back(*p, c);
          break;
        case planet_role::udm2:
          item.udm2.emplace_back(*p, c);
          break;
        case planet_role::metadata:
          item.metadata.emplace_back(*p, c);
          break;
        case planet_role::unused:
          spdlog::debug("{}: Planet asset not used by sitewatch", c.path);
          break;
      }
    } else if (skipped_extension(extension_of(name))) {
      spdlog::debug("{}: skipped (not a raster by its extension)", c.path);
    } else {
      generic.push_back(c);
    }
  }

  // One work item per scene: a Planet item's chosen files, or a generic candidate that still
  // has to pass GDAL's Identify. Describing opens each raster exactly once.
  struct work {
    std::string data, udm2, metadata;
    bool generic = false;
  };
  std::vector<work> todo;
  for (auto& [id, item] : items)
    if (auto c = choose_assets(id, item)) todo.push_back({c->data, c->udm2, c->metadata, false});
  for (const auto& c : generic) todo.push_back({c.path, {}, {}, true});

  std::vector<std::optional<scene_info>> found(todo.size());
  const file_census* census = &d.census;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, todo.size(), 1), [&](const auto& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) {
      const work& w = todo[i];
      if (w.generic) {
        // Open first and ask GDAL's Identify only when that fails: a raster is then opened
        // once, and what fails to open is told apart from what is no raster at all.
        bool open_failed = false;
        scene_info s = describe(w.data, w.udm2, w.metadata, census, &open_failed);
        if (open_failed) {
          gdal_error_scope quiet;
          GDALDriverH drv = GDALIdentifyDriverEx(w.data.c_str(), GDAL_OF_RASTER, nullptr,
                                                 census->siblings(w.data));
          if (!drv) {
            spdlog::debug("{}: skipped (no GDAL raster driver recognises it)", w.data);
            continue;
          }
          // Drivers such as GPKG identify vector-only files too: those are not scenes.
          if (GDALGetMetadataItem(drv, GDAL_DCAP_VECTOR, nullptr)) {
            dataset_ptr v(GDALOpenEx(w.data.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                                     nullptr, census->siblings(w.data)));
            if (v) {
              spdlog::debug("{}: skipped (a vector dataset, not a raster)", w.data);
              continue;
            }
          }
        }
        found[i] = std::move(s);
      } else {
        found[i] = describe(w.data, w.udm2, w.metadata, census);
      }
    }
  });

  std::vector<scene_info> scenes;
  scenes.reserve(todo.size() + d.failed.size());
  for (auto& s : found)
    if (s) scenes.push_back(std::move(*s));
  for (auto& s : d.failed) scenes.push_back(std::move(s));
  if (scenes.empty())
    throw input_error(fmt::format(
        "{}: no raster found (no Planet PSScene data asset and no other raster GDAL can read)",
        path));

  std::sort(scenes.begin(), scenes.end(), [](const scene_info& a, const scene_info& b) {
    if (a.acquired_unix != b.acquired_unix) return a.acquired_unix < b.acquired_unix;
    if (a.id != b.id) return a.id < b.id;
    return a.path < b.path;
  });

  // Scene ids key every output row, so two scenes may not share one (generic stems can
  // collide across folders). The first usable one by path keeps the id.
  std::unordered_map<std::string, std::size_t> keeper;
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    auto [it, inserted] = keeper.emplace(scenes[i].id, i);
    if (inserted) continue;
    const scene_info& k = scenes[it->second];
    const bool better = (scenes[i].error.empty() && !k.error.empty()) ||
                        (scenes[i].error.empty() == k.error.empty() && scenes[i].path < k.path);
    if (better) it->second = i;
  }
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    const std::size_t k = keeper.at(scenes[i].id);
    if (k == i || !scenes[i].error.empty()) continue;
    scenes[i].error = fmt::format("{}: duplicate scene id {} (also {}); rename one of them",
                                  scenes[i].path, scenes[i].id, scenes[k].path);
  }

  const auto failed = std::count_if(scenes.begin(), scenes.end(),
                                    [](const scene_info& s) { return !s.error.empty(); });
  spdlog::debug("{}: {} scenes ({} unusable) indexed in {:.2f} s", path, scenes.size(), failed,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return scenes;
}

}  // namespace sw
