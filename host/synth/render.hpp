// Drawing the synthetic scenes: the surface (landscape, sites, objects), the atmosphere
// (clouds, shadows, haze), the sensor (gain, offset, noise) and the UDM2 mask, pixel by pixel.
// Every pixel is a pure function of the plan and its position, so strips can be rendered in
// any order on any thread, and truth.csv can ask for the mask of single pixels.
#pragma once

#include <cstdint>
#include <memory>

#include "host/synth/scenario.hpp"

namespace sw::synth {

// The footprint and atmosphere at one pixel, as the UDM2 reports them.
struct pixel_state {
  bool inside = false;  // in the valid footprint (else blackfill)
  bool cloud = false, shadow = false, haze = false;
  float cloud_alpha = 0.0f;  // opacity of the cloud (or the haze fringe) over the ground
  float shadow_mul = 1.0f;   // ground darkening by a cloud shadow
  float haze_add = 0.0f;     // additive scene haze, reflectance x10000
  bool clear() const { return inside && !cloud && !shadow && !haze; }
};

// State of full-raster pixel (col, row) of scene s. s must be calibrated.
pixel_state pixel_at(const archive_plan& plan, const scene_plan& s, int col, int row);

// Chooses the cloud threshold that gives s.cloud_target of the footprint under cloud, then
// estimates the cloud, shadow, haze and clear fractions of the whole footprint from a coarse
// sample (the metadata's cloud_cover and clear_percent).
void calibrate(const archive_plan& plan, scene_plan& s);

// Renders rows of one scene's written window. Owns nothing of the caller's buffers.
class scene_renderer {
 public:
  scene_renderer(const archive_plan& plan, const scene_plan& s);
  ~scene_renderer();
  scene_renderer(const scene_renderer&) = delete;
  scene_renderer& operator=(const scene_renderer&) = delete;

  // Rows [row0, row0 + rows) of the window (0 = its first row). data: rows x win_w x
  // band_count uint16, pixel-interleaved, reflectance x10000 with 0 = nodata; udm: rows x
  // win_w x 8 uint8, pixel-interleaved UDM2 bands.
  void render_rows(int row0, int rows, std::uint16_t* data, std::uint8_t* udm) const;

  // The surface reflectance at world point p (no atmosphere, no sensor); `aa` is the width
  // over which edges are smoothed, metres.
  spectrum surface(vec2 p, double aa) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sw::synth
