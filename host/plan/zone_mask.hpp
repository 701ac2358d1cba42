// Zones rasterised on the site grid: one byte per pixel, 1 where the pixel centre lies in
// any of the given zones (GDAL's rasteriser).
#pragma once

#include <cstdint>
#include <vector>

#include "host/io/sites.hpp"

namespace sw {

std::vector<std::uint8_t> rasterize_zones(const site_grid& grid,
                                          const std::vector<const zone*>& zones);

}  // namespace sw
