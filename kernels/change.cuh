// Change magnitude and change mask (SPEC 2 step 6).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// For pixels valid in both: magnitude = sqrt(sum_b w_b (s_b - r_b)^2) and the signed
// weighted brightness difference sum_b w_b (s_b - r_b) / sum_b w_b (negative: the scene is
// darker). Elsewhere magnitude -1 and difference 0. Units: reflectance x10000.
// The scene is already co-registered and normalised to the reference.
struct change_magnitude_fn {
  planar_view<const float> scene;
  planar_view<const float> ref;
  const float* weights;
  const std::uint8_t* covalid;
  float* magnitude;
  float* difference;

  SW_HD void operator()(index_t i) const {
    if (!covalid[i]) {
      magnitude[i] = -1.0f;
      difference[i] = 0.0f;
      return;
    }
    float sq = 0.0f, d = 0.0f, wsum = 0.0f;
    for (int b = 0; b < scene.bands; ++b) {
      const float db = scene.at(b, i) - ref.at(b, i);
      sq += weights[b] * db * db;
      d += weights[b] * db;
      wsum += weights[b];
    }
    magnitude[i] = sqrtf(sq);
    difference[i] = wsum > 0.0f ? d / wsum : 0.0f;
  }
};

// mask = magnitude > threshold (invalid pixels have magnitude -1, so never change).
struct threshold_fn {
  const float* magnitude;
  float threshold;
  std::uint8_t* mask;

  SW_HD void operator()(index_t i) const { mask[i] = magnitude[i] > threshold ? 1 : 0; }
};

}  // namespace sw::kern
