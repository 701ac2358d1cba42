// Describing one scene: what index_scenes and describe_scene (host/io/scene.hpp) share.
#pragma once

#include <string>

#include "host/io/scene.hpp"
#include "host/io/scene_discovery.hpp"

namespace sw {

// Reads one scene's facts; a scene that cannot be used comes back with `error` set, naming
// the file, instead of throwing. `census` (may be null) spares directory listings and stats.
// `open_failed`, when given, tells whether GDAL would not open the file as a raster at all.
scene_info describe(const std::string& path, const std::string& udm2_path,
                    const std::string& metadata_path, const file_census* census,
                    bool* open_failed = nullptr);

// A scene a catalogue describes (a STAC item, host/io/stac.hpp): `known` brings its id, time
// (acquired, acquired_unix), footprint and metadata, which the raster's facts complete; the
// file name and sidecars are not asked for the time.
scene_info describe_catalogued(const scene_info& known, const std::string& path,
                               const std::string& udm2_path);

// Kind, id and product from the file name alone; true for a Planet data asset.
bool identify_by_name(scene_info& s, const std::string& name);

// The time a Planet id gives, when its date is valid; false (`s` unchanged) otherwise.
bool time_from_id(scene_info& s);

}  // namespace sw
