#include "host/plan/bands.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host/common/error.hpp"
#include "host/config/config.hpp"

namespace sw {

std::string band_set::key() const {
  return fmt::format("{}", fmt::join(names, ","));
}

band_set site_band_set(const scene_info& first, const config& cfg) {
  band_set s;
  if (!cfg.band_weights.empty()) {
    for (const auto& [name, w] : cfg.band_weights) {
      s.names.push_back(name);
      s.weights.push_back(static_cast<float>(w));
    }
    // Classes on water find the water in the near infrared: carry it, weight 0, where the
    // [bands] leave it out and the scene has it.
    const bool on_water = std::any_of(cfg.classes.begin(), cfg.classes.end(), [](const auto& c) {
      return c.second.background == background_model::local && c.second.on == placement::water;
    });
    const bool has = [&](const std::string& n) {
      return std::find(s.names.begin(), s.names.end(), n) != s.names.end();
    }("nir");
    const bool scene_has = std::find(first.band_names.begin(), first.band_names.end(), "nir") !=
                           first.band_names.end();
    if (on_water && !has && scene_has) {
      s.names.push_back("nir");
      s.weights.push_back(0.0f);
    }
    return s;
  }
  if (first.named_bands()) {
    const std::vector<std::string> common = {"blue", "green", "red", "nir"};
    const bool has_common = std::all_of(common.begin(), common.end(), [&](const std::string& n) {
      return std::find(first.band_names.begin(), first.band_names.end(), n) !=
             first.band_names.end();
    });
    s.names = has_common ? common : first.band_names;
  } else {
    s.positional = true;
    for (int b = 0; b < first.band_count; ++b) s.names.push_back(fmt::format("band{}", b + 1));
  }
  s.weights.assign(s.names.size(), 1.0f);
  return s;
}

std::vector<int> select_bands(const scene_info& scene, const band_set& set) {
  std::vector<int> out;
  if (set.positional) {
    if (scene.band_count != static_cast<int>(set.names.size()))
      throw input_error(fmt::format(
          "{}: {} data bands, but the site compares {} bands by position (scenes without band "
          "names are matched by position, and only with scenes of the same band count)",
          scene.path, scene.band_count, set.names.size()));
    return scene.data_bands;
  }
  for (const auto& name : set.names) {
    const auto it = std::find(scene.band_names.begin(), scene.band_names.end(), name);
    if (it == scene.band_names.end())
      throw input_error(fmt::format(
          "{}: no band '{}' (the site compares {}; the scene has {})", scene.path, name, set.key(),
          scene.named_bands() ? fmt::format("{}", fmt::join(scene.band_names, ","))
                              : fmt::format("{} unnamed bands", scene.band_count)));
    out.push_back(scene.data_bands[static_cast<std::size_t>(it - scene.band_names.begin())]);
  }
  return out;
}

}  // namespace sw
