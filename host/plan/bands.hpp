// Which bands of a scene a site compares, and with what weight (SPEC 1.1 band matching,
// SPEC 1.3 [bands]). A site fixes its band set from its first scene; every later scene
// must provide the same bands, by name where names are known, else by position.
#pragma once

#include <string>
#include <vector>

#include "host/io/scene.hpp"

namespace sw {

struct config;

struct band_set {
  bool positional = false;         // matched by position (scenes without band names)
  std::vector<std::string> names;  // named: the band names; positional: "band1".."bandN"
  std::vector<float> weights;      // one per band
  std::string key() const;         // for messages, e.g. "blue,green,red,nir"
};

// The band set a site takes from its first scene:
// - config [bands] non-empty: exactly those names and weights (scenes must carry names),
//   plus nir with weight 0 when a class counts on water and the scene has nir;
// - else a scene with band names: blue, green, red, nir if it has all four (so 4- and
//   8-band Planet scenes compare), else all its named bands; weight 1;
// - else by position: all its data bands, weight 1.
band_set site_band_set(const scene_info& first, const config& cfg);

// 1-based GDAL band numbers of `scene` for `set`, in the set's order. Throws
// sw::input_error naming the scene and the missing band, or the band-count mismatch.
std::vector<int> select_bands(const scene_info& scene, const band_set& set);

}  // namespace sw
