// Water in a scene, for classes counted only on water (`on = "water"`, SPEC 1.3): water is
// dark in the near infrared, where it absorbs almost everything while land, vegetation,
// concrete and ships reflect (Frazier & Page, "Water body detection and delineation with
// Landsat TM data", PE&RS 66(12), 2000). The threshold is Otsu's on the histogram of the
// logarithm of the band over the scene's valid pixels on the site grid (a grid of a port
// holds both water and land; the logarithm makes the two modes comparable in width), found
// anew in every scene, so haze, season and sensor do not matter.
//
// A grid that is all water (or all land) has no second mode: Otsu then splits one mode in
// two, with class means closer than a factor of water_min_contrast; the scene's valid pixels
// are then all taken as water (the class asked for objects on water where its zone is).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/histogram.cuh"
#include "kernels/mask_ops.cuh"
#include "kernels/morphology.cuh"

namespace sw::kern {

// Land reflects at least this many times what water does in the near infrared (clear water
// ~1-3 % reflectance, land 10-40 %).
inline constexpr double water_min_contrast = 2.0;

// log(max(v, 1)) where valid, else -1 (skipped by histograms).
struct log_value_fn {
  const float* value;
  const std::uint8_t* valid;
  SW_HD float operator()(index_t i) const {
    return valid[i] ? logf(value[i] > 1.0f ? value[i] : 1.0f) : -1.0f;
  }
};

// The log threshold between water and land from the histogram of log values: Otsu's, or
// +inf (everything is water) when the two classes' means differ by less than a factor of
// water_min_contrast or one class is empty.
inline double water_threshold(const std::vector<std::uint32_t>& hist, float bin_width) {
  const double t = histogram_otsu(hist, bin_width);
  if (t < 0) return std::numeric_limits<double>::infinity();
  double n0 = 0, s0 = 0, n1 = 0, s1 = 0;
  for (std::size_t b = 0; b < hist.size(); ++b) {
    const double centre = (static_cast<double>(b) + 0.5) * bin_width;
    (centre < t ? n0 : n1) += hist[b];
    (centre < t ? s0 : s1) += centre * hist[b];
  }
  if (n0 <= 0 || n1 <= 0 || s1 / n1 - s0 / n0 < std::log(water_min_contrast))
    return std::numeric_limits<double>::infinity();
  return t;
}

// The water mask of one plane (the near-infrared band, or the brightness) on the backend.
template <class Backend>
void water_mask(const Backend& be, index_t n, const float* plane, const std::uint8_t* valid,
                std::uint8_t* water) {
  const log_value_fn index{plane, valid};
  const auto hist = auto_histogram(be, n, index, 4096);
  const double t = water_threshold(hist.counts, hist.bin_width);
  // water = valid and log(max(v, 1)) <= threshold
  be.for_each(n, at_most_fn<log_value_fn>{index, static_cast<float>(t > 3e38 ? 3e38 : t), water});
}

// Land in one image: valid, not water, opened by a square of side 2 body_radius_px + 1, so
// that non-water narrower than that (a boat, a pier) is not land and may hold objects. A
// ship moored along a quay is longer than the square, which then straddles quay and ship:
// one image cannot tell them apart (reference_land can).
template <class Backend>
void land_body(const Backend& be, const grid_frame& g, int body_radius_px,
               const typename Backend::template buffer<std::uint8_t>& valid,
               const typename Backend::template buffer<std::uint8_t>& water,
               typename Backend::template buffer<std::uint8_t>& body) {
  const index_t n = g.pixels();
  be.for_each(n, and_not_fn{valid.data(), water.data(), body.data()});
  binary_morph(be, g, body, body_radius_px, true);
  binary_morph(be, g, body, body_radius_px, false);
}

}  // namespace sw::kern
