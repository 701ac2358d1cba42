// The JSON beside a scene: a Planet item's metadata (a GeoJSON Feature) or a generic
// raster's sidecar. Both give the acquisition time and, where present, the properties
// written to the `scenes` table and a footprint.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "host/io/scene.hpp"

namespace sw {

// A member of a JSON object when it is a string / a number; ""/nullopt when it is absent, of
// another type, or `object` is not an object. (nlohmann's value() throws type_error for a
// member of another type: a document's mistake must not end a run.)
std::string json_string(const nlohmann::json& object, const char* key);
std::optional<double> json_number(const nlohmann::json& object, const char* key);

// Throws sw::input_error naming the path when it cannot be read or is not JSON.
nlohmann::json read_json(const std::string& path);

// item_type, satellite_id and scene_info::metadata from a properties object; absent or
// mistyped keys leave the fields unset rather than failing the scene.
void apply_properties(const nlohmann::json& props, scene_info& s);

// Sets the time from an "acquired" value; false when there is none. Throws when it is present
// but not RFC 3339, because a wrong time would silently misplace the scene in its site's
// history.
bool apply_acquired(const nlohmann::json& props, const std::string& json_path, scene_info& s);

// GeoJSON Polygon/MultiPolygon (lon/lat) to WKT; "" when absent or unusable, in which case
// the caller falls back to the raster extent (a footprint is a refinement, not a necessity).
std::string geojson_footprint(const nlohmann::json& feature, const std::string& json_path);

}  // namespace sw
