// Radiometric normalisation (SPEC 2 step 5): per band, reference ~ gain * scene + offset,
// fitted on pixels valid in both, robustly.
//
// Method (docs/ALGORITHMS.md): ordinary least squares, then twice more on the pixels whose
// residual is within 3 robust sigmas (1.4826 * MAD) of the previous fit. Objects and
// changed areas are a small share of a site and have large residuals, so they fall out
// after the first pass and do not drag the fit. Sums are taken with chunked_sum, so the
// result is the same for any thread count and on either backend.
#pragma once

#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// Terms n, sum x, sum y, sum xx, sum xy of band b (x = scene, y = reference) over pixels
// valid in both whose residual against (gain, offset) is within `cut` (cut < 0: all).
struct gain_offset_terms_fn {
  const float* scene;
  const float* ref;
  const std::uint8_t* covalid;
  float gain;
  float offset;
  float cut;

  SW_HD void operator()(index_t i, double* acc) const {
    if (!covalid[i]) return;
    const float x = scene[i], y = ref[i];
    if (cut >= 0.0f) {
      const float r = y - (gain * x + offset);
      if (r > cut || r < -cut) return;
    }
    acc[0] += 1.0;
    acc[1] += x;
    acc[2] += y;
    acc[3] += static_cast<double>(x) * x;
    acc[4] += static_cast<double>(x) * y;
  }
};

// |reference - (gain * scene + offset)| on co-valid pixels, else -1 (for the MAD histogram).
struct abs_residual_value {
  const float* scene;
  const float* ref;
  const std::uint8_t* covalid;
  float gain;
  float offset;

  SW_HD float operator()(index_t i) const {
    if (!covalid[i]) return -1.0f;
    const float r = ref[i] - (gain * scene[i] + offset);
    return r < 0.0f ? -r : r;
  }
};

// Least-squares line from the five sums; gain 1, offset 0 when the fit is degenerate
// (fewer than 2 pixels, or no spread in x).
struct line_fit {
  double gain = 1.0;
  double offset = 0.0;
  double n = 0.0;
};
SW_HD inline line_fit fit_line(const double* s) {
  line_fit f;
  f.n = s[0];
  if (s[0] < 2.0) return f;
  const double sxx = s[3] - s[1] * s[1] / s[0];
  const double sxy = s[4] - s[1] * s[2] / s[0];
  if (!(sxx > 1e-9 * s[0])) return f;
  f.gain = sxy / sxx;
  f.offset = (s[2] - f.gain * s[1]) / s[0];
  return f;
}

// scene_b <- gain_b * scene_b + offset_b for every band, in place, on valid pixels.
struct apply_gain_offset_fn {
  planar_view<float> bands;
  const float* gain;
  const float* offset;
  const std::uint8_t* valid;

  SW_HD void operator()(index_t i) const {
    if (!valid[i]) return;
    for (int b = 0; b < bands.bands; ++b) bands.at(b, i) = gain[b] * bands.at(b, i) + offset[b];
  }
};

}  // namespace sw::kern
