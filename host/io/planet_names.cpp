#include "host/io/planet_names.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include <fmt/format.h>

#include "host/common/error.hpp"
#include "host/io/scene_paths.hpp"
#include "host/io/scene_time.hpp"

namespace sw {

namespace {

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
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

}  // namespace

bool is_planet_id(std::string_view id) {
  if (id.size() != 20 && id.size() != 23) return false;
  if (ascii_digits(id, 0, 8) < 0 || id[8] != '_' || ascii_digits(id, 9, 6) < 0 || id[15] != '_')
    return false;
  std::size_t pos = 16;
  if (id.size() == 23) {
    if (ascii_digits(id, 16, 2) < 0 || id[18] != '_') return false;
    pos = 19;
  }
  return std::all_of(id.begin() + static_cast<std::ptrdiff_t>(pos), id.end(), is_alnum);
}

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

const std::vector<std::string>& planet_band_names(int band_count) {
  static const std::vector<std::string> four{"blue", "green", "red", "nir"};
  static const std::vector<std::string> eight{"coastal_blue", "blue", "green_i", "green",
                                              "yellow",       "red",  "rededge", "nir"};
  if (band_count == 4) return four;
  if (band_count == 8) return eight;
  throw error(fmt::format("wrong band count {}, expected 4 or 8", band_count));
}

const std::vector<std::string>& known_band_names() {
  static const std::vector<std::string> names{
      "coastal_blue", "blue", "green_i", "green", "yellow", "red", "rededge", "nir", "pan"};
  return names;
}

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

}  // namespace sw
