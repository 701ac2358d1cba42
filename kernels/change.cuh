// Change magnitude and change mask (SPEC 2 step 6).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// Registration tolerance of the reference, per band: tolerance_px times the largest
// gradient magnitude (central differences, |gx| + |gy|, per pixel) in the 3x3
// neighbourhood. A residual misregistration of e px and the blur of resampling leave
// differences of about e * gradient along edges (tracks, quays, roads); differences up to
// this tolerance are not change. Flat ground keeps its full sensitivity.
struct edge_tolerance_fn {
  planar_view<const float> ref;
  const std::uint8_t* valid;
  float tolerance_px;
  planar_view<float> out;

  SW_HD float gradient(int b, int x, int y) const {
    const int w = ref.width, h = ref.height;
    const index_t i = static_cast<index_t>(y) * w + x;
    if (!valid[i]) return 0.0f;
    float g = 0.0f;
    if (x > 0 && x + 1 < w && valid[i - 1] && valid[i + 1])
      g += fabsf(ref.at(b, i + 1) - ref.at(b, i - 1)) * 0.5f;
    if (y > 0 && y + 1 < h && valid[i - w] && valid[i + w])
      g += fabsf(ref.at(b, i + w) - ref.at(b, i - w)) * 0.5f;
    return g;
  }

  SW_HD void operator()(int x, int y) const {
    const index_t i = static_cast<index_t>(y) * ref.width + x;
    for (int b = 0; b < ref.bands; ++b) {
      float m = 0.0f;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= ref.width || yy >= ref.height) continue;
          m = max_of(m, gradient(b, xx, yy));
        }
      out.at(b, i) = tolerance_px * m;
    }
  }
};

// For pixels valid in both, with per-band differences d_b = s_b - r_b shrunk towards 0 by
// the band's edge tolerance: magnitude = sqrt(sum_b w_b d_b^2) and the signed weighted
// brightness difference sum_b w_b d_b / sum_b w_b (negative: the scene is darker).
// Elsewhere magnitude -1 and difference 0. Units: reflectance x10000.
// raw_magnitude (optional) receives the magnitude without the tolerance: the noise level
// that thresholds are taken from (most shrunk magnitudes are 0, so their MAD says nothing).
// The scene is already co-registered and normalised to the reference.
struct change_magnitude_fn {
  planar_view<const float> scene;
  planar_view<const float> ref;
  const float* tolerance;  // ref-shaped planes (edge_tolerance_fn), or nullptr
  const float* weights;
  const std::uint8_t* covalid;
  float* magnitude;
  float* difference;
  float* raw_magnitude;

  SW_HD void operator()(index_t i) const {
    if (!covalid[i]) {
      magnitude[i] = -1.0f;
      difference[i] = 0.0f;
      if (raw_magnitude != nullptr) raw_magnitude[i] = -1.0f;
      return;
    }
    float sq = 0.0f, raw_sq = 0.0f, d = 0.0f, wsum = 0.0f;
    for (int b = 0; b < scene.bands; ++b) {
      float db = scene.at(b, i) - ref.at(b, i);
      raw_sq += weights[b] * db * db;
      if (tolerance != nullptr) {
        const float t = tolerance[b * scene.plane() + i];
        db = db > t ? db - t : (db < -t ? db + t : 0.0f);
      }
      sq += weights[b] * db * db;
      d += weights[b] * db;
      wsum += weights[b];
    }
    magnitude[i] = sqrtf(sq);
    if (raw_magnitude != nullptr) raw_magnitude[i] = sqrtf(raw_sq);
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
