// --rasters DIR: per site and scene, DIR/{site_id}/{scene_id}.tif, a Cloud-Optimized GeoTIFF
// on the site grid: band 1 change magnitude (float32, -1 where not comparable, nodata -1),
// band 2 change mask (0/1), band 3 valid mask (0/1) (SPEC 4). Tagged with what it shows:
// TIFFTAG_DATETIME (the acquisition, UTC) and metadata items site_id, scene_id, acquired
// (RFC 3339) and reference (what the scene was compared with; absent without one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/plan/site_grid.hpp"

namespace sw {

// What a change raster shows: its tags.
struct change_raster_tags {
  std::string site_id;
  std::string scene_id;
  std::int64_t acquired_unix = 0;
  std::string reference;  // empty: none
};

// "YYYY:MM:DD HH:MM:SS", the TIFF 6.0 DateTime form, in UTC.
std::string tiff_datetime(std::int64_t unix_seconds);

// Writes through a temporary name and renames, so a killed run leaves no half file.
void write_change_raster(const std::string& dir, const change_raster_tags& tags,
                         const site_grid& grid, const std::vector<float>& magnitude,
                         const std::vector<std::uint8_t>& change_mask,
                         const std::vector<std::uint8_t>& valid);

}  // namespace sw
