// Object evidence per pixel (SPEC 2 step 7), for the two background models.
//
// reference: the object is where the scene changed against the site's reference with the
//   class's polarity (darker: the scene got darker, brighter: brighter, any: either).
// local: the object is where the scene stands out from its own local background: the
//   white top-hat (brightness minus its grey opening) for bright objects on a darker
//   ground, the black top-hat (closing minus brightness) for dark ones, both; the
//   structuring element is a square wider than the object, so the opening removes the
//   object and keeps the background (ships on water, stacks on asphalt). The square must
//   fit inside the zone (and its valid pixels): land next to a berth does not count as
//   background, and a stack at the edge of a yard cannot hide behind the zone border.
#pragma once

#include <cstdint>

#include "kernels/choices.hpp"
#include "kernels/common.hpp"
#include "kernels/mask_ops.cuh"
#include "kernels/morphology.cuh"

namespace sw::kern {

// candidate = change mask and the sign of the brightness difference fits the polarity.
struct reference_evidence_fn {
  const std::uint8_t* change_mask;
  const float* difference;
  object_polarity pol;
  std::uint8_t* out;

  SW_HD void operator()(index_t i) const {
    bool ok = change_mask[i] != 0;
    if (pol == object_polarity::brighter) ok = ok && difference[i] > 0.0f;
    if (pol == object_polarity::darker) ok = ok && difference[i] < 0.0f;
    out[i] = ok ? 1 : 0;
  }
};

// The extent of reference objects relative to their peak (as the full width at half
// maximum, at a lower fraction): a pixel of evidence stays evidence if its change
// magnitude is at least `fraction` of the largest magnitude of evidence within the
// class's peak radius (strength: the magnitude where evidence, else 0; peak: its grey
// dilation). The blur of the optics and of two bilinear resamplings spreads a dark rail car
// over three or four pixels at 3 m; a threshold set by the quiet ground's noise keeps the
// tails, and trains on tracks 15 m apart join. The object's own contrast says where its
// edge is, whatever the noise. 0.3, not 0.5: a pale car between dark ones in one train
// stays above 0.3 of its neighbours' peak (docs/ALGORITHMS.md, step 7).
struct evidence_strength_fn {
  const std::uint8_t* evidence;
  const float* magnitude;
  float* out;
  SW_HD void operator()(index_t i) const { out[i] = evidence[i] ? magnitude[i] : 0.0f; }
};
struct peak_cut_fn {
  const float* strength;
  const float* peak;
  std::uint8_t* evidence;  // in and out
  float fraction = 0.3f;
  SW_HD void operator()(index_t i) const {
    evidence[i] = evidence[i] && strength[i] >= fraction * peak[i] ? 1 : 0;
  }
};

// The cut on a width x height grid: strength, its grey dilation by a square of half-width
// r (two separable passes), then peak_cut_fn on `evidence` in place.
template <class Backend>
void peak_cut(const Backend& be, int width, int height, int r, const float* magnitude,
              std::uint8_t* evidence) {
  const index_t n = static_cast<index_t>(width) * height;
  if (n <= 0) return;
  auto strength = be.template alloc<float>(n);
  auto tmp = be.template alloc<float>(n);
  auto peak = be.template alloc<float>(n);
  be.for_each(n, evidence_strength_fn{evidence, magnitude, strength.data()});
  be.for_each_2d(
      width, height,
      grey_morph_pass_fn{{strength.data(), width, height}, nullptr, tmp.data(), r, true, false});
  be.for_each_2d(
      width, height,
      grey_morph_pass_fn{{tmp.data(), width, height}, nullptr, peak.data(), r, false, false});
  be.for_each(n, peak_cut_fn{strength.data(), peak.data(), evidence});
}

// Top-hat value where domain, else -1: white (bright - opened) or black (closed - bright).
struct tophat_fn {
  const float* brightness;
  const float* morphed;  // the opening (white) or the closing (black)
  const std::uint8_t* domain;
  bool white;
  float* out;

  SW_HD void operator()(index_t i) const {
    if (!domain[i] || is_morph_sentinel(morphed[i])) {
      out[i] = -1.0f;  // outside, or the zone is too narrow here for a background estimate
      return;
    }
    const float v = white ? brightness[i] - morphed[i] : morphed[i] - brightness[i];
    out[i] = v > 0.0f ? v : 0.0f;
  }
};

// candidate = value > threshold (values are -1 outside the domain).
struct above_fn {
  const float* value;
  float threshold;
  std::uint8_t* out;
  SW_HD void operator()(index_t i) const { out[i] = value[i] > threshold ? 1 : 0; }
};

}  // namespace sw::kern
