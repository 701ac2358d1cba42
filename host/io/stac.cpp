#include "host/io/stac.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <memory>

#include <cpl_vsi.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ogr_geometry.h>
#include <oneapi/tbb/parallel_for.h>
#include <nlohmann/json.hpp>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene_describe.hpp"
#include "host/io/scene_json.hpp"
#include "host/io/scene_paths.hpp"
#include "host/io/scene_time.hpp"

namespace sw {
namespace {

bool is_item(const nlohmann::json& j) {
  return j.is_object() && json_string(j, "type") == "Feature" && j.contains("assets") &&
         j["assets"].is_object();
}

// Data assets by preference: Planet's surface reflectance first (what a sitewatch config
// is made for), then its radiance, then generic names.
constexpr std::array<const char*, 7> k_data_keys{"ortho_analytic_8b_sr",
                                                 "ortho_analytic_4b_sr",
                                                 "ortho_analytic_8b",
                                                 "ortho_analytic_4b",
                                                 "analytic",
                                                 "data",
                                                 "visual"};
constexpr std::array<const char*, 2> k_udm2_keys{"ortho_udm2", "udm2"};

std::string href_of(const nlohmann::json& assets, const char* key) {
  const auto it = assets.find(key);
  if (it == assets.end() || !it->is_object()) return {};
  return json_string(*it, "href");
}

std::string data_href(const nlohmann::json& assets) {
  for (const char* key : k_data_keys)
    if (std::string h = href_of(assets, key); !h.empty()) return h;
  for (const auto& [key, a] : assets.items()) {  // any asset with the role "data"
    if (!a.is_object() || !a.contains("roles") || !a["roles"].is_array()) continue;
    const auto& roles = a["roles"];
    if (std::find(roles.begin(), roles.end(), "data") != roles.end()) return json_string(a, "href");
  }
  return {};
}

std::string text_of(const nlohmann::json& props, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (const auto it = props.find(k); it != props.end()) {
      if (it->is_string()) return it->get<std::string>();
      if (it->is_array() && !it->empty() && it->front().is_string())  // instruments: [..]
        return it->front().get<std::string>();
    }
  return {};
}

std::optional<double> number_of(const nlohmann::json& props,
                                std::initializer_list<const char*> keys, double scale = 1.0) {
  for (const char* k : keys)
    if (const auto it = props.find(k); it != props.end() && it->is_number())
      return it->get<double>() * scale;
  return std::nullopt;
}

// What the item says besides its raster: id, time, footprint, metadata. Throws
// input_error (naming the document and the item) when the time is missing or bad.
scene_info known_facts(const nlohmann::json& item, const std::string& document) {
  scene_info s;
  s.id = json_string(item, "id");
  if (s.id.empty())
    throw input_error(fmt::format("{}: a STAC item without an id (a string)", document));
  const auto p = item.find("properties");
  const nlohmann::json props = p != item.end() && p->is_object() ? *p : nlohmann::json::object();
  const std::string when = text_of(props, {"datetime", "start_datetime"});
  const auto t = parse_rfc3339(when);
  if (!t)
    throw input_error(fmt::format("{}: STAC item {}: no or bad datetime \"{}\" (RFC 3339)",
                                  document, s.id, when));
  s.acquired_unix = *t;
  s.acquired = format_rfc3339(*t);
  s.footprint_wkt = geojson_footprint(item, document);
  s.item_type = text_of(props, {"item_type", "pl:item_type"});
  s.satellite_id = text_of(props, {"satellite_id", "pl:satellite_id", "platform"});
  scene_metadata& m = s.metadata;
  m.instrument = text_of(props, {"instrument", "instruments"});
  m.quality_category = text_of(props, {"quality_category", "pl:quality_category"});
  // Planet's cloud_cover is a fraction, STAC's eo:cloud_cover a percentage
  m.cloud_cover = number_of(props, {"cloud_cover"});
  if (!m.cloud_cover) m.cloud_cover = number_of(props, {"eo:cloud_cover"}, 0.01);
  m.clear_percent = number_of(props, {"clear_percent", "pl:clear_percent"});
  m.gsd = number_of(props, {"gsd"});
  m.view_angle = number_of(props, {"view_angle", "view:off_nadir"});
  m.sun_elevation = number_of(props, {"sun_elevation", "view:sun_elevation"});
  return s;
}

scene_info describe_item(const nlohmann::json& item, const std::string& document,
                         const OGRGeometry* area) {
  scene_info known;
  try {
    known = known_facts(item, document);
  } catch (const input_error& e) {
    known.error = e.what();
    known.path = document;
    return known;
  }
  const nlohmann::json& assets = item["assets"];
  const std::string data = data_href(assets);
  if (data.empty()) {
    known.path = document;
    known.error = fmt::format(
        "{}: STAC item {}: no data asset (looked for {}, or an asset with the role \"data\")",
        document, known.id, fmt::join(k_data_keys, ", "));
    return known;
  }
  std::string udm2;
  for (const char* key : k_udm2_keys)
    if (udm2.empty()) udm2 = href_of(assets, key);
  // Outside every site: the item's facts are all the plan needs (it will skip the scene), so
  // the raster, perhaps a download away, is not opened.
  if (area != nullptr) {
    const auto footprint = geometry_from_wkt(known.footprint_wkt);
    // a copy per item: the items are described in parallel, and OGR's methods are not
    // documented safe for concurrent use of one object
    const std::unique_ptr<OGRGeometry> mine(area->clone());
    if (footprint && !footprint->Intersects(mine.get())) {
      known.path = stac_href_to_gdal(data, document);
      known.mask = udm2.empty() ? mask_source::none : mask_source::udm2;
      return known;
    }
  }
  return describe_catalogued(known, stac_href_to_gdal(data, document),
                             udm2.empty() ? "" : stac_href_to_gdal(udm2, document));
}

// Whether a document's first bytes open a JSON object: a URL without a .json name (a STAC
// API's items endpoint, or a raster or list file) is read whole only when it does.
bool starts_like_json(const std::string& path) {
  VSILFILE* f = VSIFOpenL(path.c_str(), "rb");
  if (!f) return false;
  char head[512];
  const std::size_t n = VSIFReadL(head, 1, sizeof head, f);
  VSIFCloseL(f);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isspace(static_cast<unsigned char>(head[i]))) return head[i] == '{';
  return false;
}

}  // namespace

std::string stac_href_to_gdal(const std::string& href, const std::string& document) {
  return resolve_listed_path(href, dir_name(url_to_gdal_path(document)));
}

std::optional<std::vector<scene_info>> index_stac(const std::string& path,
                                                  const std::string& area_wkt) {
  const std::string doc = url_to_gdal_path(path);
  const bool json_name = extension_of(file_name(path)) == "json";
  if (!json_name && doc == path) return std::nullopt;  // a local file not named .json
  if (!vsi_path_exists(doc)) return std::nullopt;
  // A URL under another name: a STAC API serves JSON under any name, but a raster or a list
  // file there must not be read whole.
  if (!json_name && !starts_like_json(doc)) return std::nullopt;
  nlohmann::json j;
  try {
    j = read_json(doc);
  } catch (const input_error&) {
    return std::nullopt;  // not JSON: whatever else it is decides
  }
  std::vector<const nlohmann::json*> items;
  if (is_item(j)) {
    items.push_back(&j);
  } else if (j.is_object() && json_string(j, "type") == "FeatureCollection" &&
             j.contains("features") && j["features"].is_array() && !j["features"].empty() &&
             std::all_of(j["features"].begin(), j["features"].end(), is_item)) {
    for (const auto& f : j["features"]) items.push_back(&f);
  } else {
    return std::nullopt;
  }
  const auto area = geometry_from_wkt(area_wkt);
  std::vector<scene_info> scenes(items.size());
  tbb::parallel_for(std::size_t{0}, items.size(),
                    [&](std::size_t i) { scenes[i] = describe_item(*items[i], path, area.get()); });
  return scenes;
}

std::optional<std::vector<scene_info>> index_stac_folder(const std::string& dir,
                                                         const std::string& area_wkt) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (dir.rfind("/vsi", 0) == 0 || !fs::is_directory(dir, ec)) return std::nullopt;
  // Links are not followed (no loops); the documents in path order, so the scenes do not
  // depend on the listing order.
  std::vector<std::string> docs;
  const fs::path root = fs::absolute(dir);
  for (auto it = fs::recursive_directory_iterator(
           root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (extension_of(it->path().filename().string()) == "json" && it->is_regular_file(ec))
      docs.push_back(it->path().string());
  std::sort(docs.begin(), docs.end());
  std::optional<std::vector<scene_info>> scenes;
  for (const auto& doc : docs)
    if (auto items = index_stac(doc, area_wkt)) {
      if (!scenes) scenes.emplace();
      for (auto& s : *items) scenes->push_back(std::move(s));
    }
  return scenes;
}

}  // namespace sw
