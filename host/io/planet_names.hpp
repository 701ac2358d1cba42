// Planet PSScene conventions (SPEC 1.1, docs/SCENES.md): which file of an item is the data,
// the UDM2 or the metadata JSON, told by its name alone, and the band names Planet products
// carry. Also the band names sitewatch recognises in any raster's band descriptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sw {

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

// {id} = YYYYMMDD_HHMMSS(_NN)?_XXXX, XXXX the satellite's 4 alphanumerics (e.g. 247d, 1234).
bool is_planet_id(std::string_view id);

// Recognises a Planet PSScene file by name. Other "{id}_3B_*" / "{id}_1B_*" files (Visual,
// DN, legacy UDM, Basic products, XML metadata) are Planet assets this tool does not use:
// they come back as `unused` so that they are not mistaken for generic scenes.
std::optional<planet_name> parse_planet_name(const std::string& name);

// Canonical band names of Planet products: 4 bands blue, green, red, nir; 8 bands
// coastal_blue, blue, green_i, green, yellow, red, rededge, nir.
const std::vector<std::string>& planet_band_names(int band_count);

// Known band names (SPEC 1.1): Planet's canonical names and a few spellings of them; "" for
// anything else.
std::string canonical_band_name(std::string_view description);

// The canonical names canonical_band_name returns (what [bands] may name), in Planet's
// 8-band order, then pan.
const std::vector<std::string>& known_band_names();

}  // namespace sw
