// Valid-pixel mask (SPEC 2 step 3): inside the footprint, free of nodata, and UDM2-clear.
#pragma once

#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// UDM2 band order (1-based in the file, 0-based planes here).
enum udm2_plane : int {
  udm2_clear = 0,
  udm2_snow = 1,
  udm2_shadow = 2,
  udm2_haze_light = 3,
  udm2_haze_heavy = 4,
  udm2_cloud = 5,
  udm2_confidence = 6,
  udm2_legacy = 7,
  udm2_planes = 8,
};

// alpha: the warper's coverage of the site grid, 0..255 (>= 128: the pixel has data).
// udm2: 8 planes warped with nearest neighbour, or nullptr when the scene has none (then
// every pixel with data counts as clear). out: 1 valid, 0 not.
struct valid_mask_fn {
  const std::uint8_t* alpha;
  const std::uint8_t* udm2;
  index_t plane;
  std::uint8_t* out;

  SW_HD void operator()(index_t i) const {
    bool ok = alpha[i] >= 128;
    if (udm2 != nullptr) {
      const bool clear = udm2[udm2_clear * plane + i] == 1;
      const bool obscured = (udm2[udm2_snow * plane + i] | udm2[udm2_shadow * plane + i] |
                             udm2[udm2_haze_light * plane + i] | udm2[udm2_haze_heavy * plane + i] |
                             udm2[udm2_cloud * plane + i]) != 0;
      const bool blackfill = (udm2[udm2_legacy * plane + i] & 1u) != 0;
      ok = ok && clear && !obscured && !blackfill;
    }
    out[i] = ok ? 1 : 0;
  }
};

// Weighted brightness of a planar image: sum_b w_b x_b / sum_b w_b where valid, else 0.
struct brightness_fn {
  planar_view<const float> bands;
  const float* weights;  // bands.bands entries
  const std::uint8_t* valid;
  float* out;

  SW_HD void operator()(index_t i) const {
    if (!valid[i]) {
      out[i] = 0.0f;
      return;
    }
    float s = 0.0f, w = 0.0f;
    for (int b = 0; b < bands.bands; ++b) {
      s += weights[b] * bands.at(b, i);
      w += weights[b];
    }
    out[i] = w > 0.0f ? s / w : 0.0f;
  }
};

}  // namespace sw::kern
