// --rasters DIR: per site and scene, DIR/{site_id}/{scene_id}.tif, a Cloud-Optimized GeoTIFF
// on the site grid: band 1 change magnitude (float32, -1 where not comparable, nodata -1),
// band 2 change mask (0/1), band 3 valid mask (0/1) (SPEC 4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/plan/site_grid.hpp"

namespace sw {

// Writes through a temporary name and renames, so a killed run leaves no half file.
void write_change_raster(const std::string& dir, const std::string& site_id,
                         const std::string& scene_id, const site_grid& grid,
                         const std::vector<float>& magnitude,
                         const std::vector<std::uint8_t>& change_mask,
                         const std::vector<std::uint8_t>& valid);

}  // namespace sw
