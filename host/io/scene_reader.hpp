// Reads the part of a scene that covers a site grid and warps it onto that grid (SPEC 2
// steps 1-2): bilinear for reflectance, nearest for UDM2. GDAL's warper reads only the
// source window it needs (plus the resampling halo), chunk by chunk.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

#include "host/io/scene.hpp"
#include "host/io/tile_cache.hpp"
#include "host/plan/site_grid.hpp"

namespace sw {

// The buffers come from a memory resource: ordinary heap memory for the CPU engine,
// page-locked memory for the CUDA engine (so the upload is a true asynchronous DMA).
struct warped_scene {
  int width = 0;
  int height = 0;
  int bands = 0;
  std::pmr::vector<float> data;          // `bands` planes, row-major, source units
  std::pmr::vector<std::uint8_t> alpha;  // coverage 0..255: inside footprint and not nodata
  std::pmr::vector<std::uint8_t> udm2;   // 8 planes, empty when the scene has no UDM2
};

// Non-finite values (NaN, +-Inf in a float scene, or mixed into a neighbour by the
// resampling) are invalid pixels like nodata: coverage 0 and every band 0, so that no
// kernel reads them (a histogram indexed with NaN is out of bounds). read_onto_grid
// applies it to every scene it reads.
void invalidate_non_finite(warped_scene& s);

// The window of the scene's pixels (x0, y0, x1, y1) that reading it onto `grid` touches,
// with a margin for the resampling kernel; nullopt when the scene is not in the grid's
// CRS or its geotransform is rotated (the window then takes a transformation to find).
// For the tile cache's row hints only: a window too small costs a second decode, never
// a wrong pixel.
std::optional<tile_cache::window> source_window(const scene_info& scene, const site_grid& grid);

// `bands`: 1-based band numbers of the data raster, in the site's band order.
// `tiles`: when given, source blocks are decoded once per run and shared with the other
// sites that read this scene (host/io/tile_cache.hpp); the output is the same.
// Throws sw::error naming the file when GDAL fails (unreadable, truncated, ...).
warped_scene read_onto_grid(const scene_info& scene, const site_grid& grid,
                            const std::vector<int>& bands,
                            std::pmr::memory_resource* memory = std::pmr::get_default_resource(),
                            tile_cache* tiles = nullptr);

}  // namespace sw
