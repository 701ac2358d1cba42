#include "host/io/scene_json.hpp"

#include <optional>

#include <cpl_conv.h>
#include <fmt/format.h>
#include <ogr_api.h>
#include <spdlog/spdlog.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene_time.hpp"

namespace sw {

std::optional<double> json_number(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string json_string(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json read_json(const std::string& path) {
  const std::string text = vsi_read_file(path, 64 << 20);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw input_error(fmt::format("{}: bad JSON: {}", path, e.what()));
  }
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

}  // namespace sw
