// Change magnitude and change mask (SPEC 2 step 6).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// Registration tolerance of the reference, per band: tolerance_px times the largest
// gradient magnitude (central differences, |gx| + |gy|, halved) in the 3x3 neighbourhood.
// A residual misregistration of e px and the blur of resampling leave differences of about
// e * gradient along edges (tracks, quays, roads); differences up to this tolerance are
// not change. Flat ground keeps its full sensitivity.
// Two launches: band_gradient_fn writes the gradient planes, then two passes of
// window_max_fn take the 3x3 maximum (separably) and scale it.

// Gradient of every band at (x, y); 0 where the pixel is invalid, and a difference leaves
// out a side whose neighbours are invalid or outside.
struct band_gradient_fn {
  planar_view<const float> ref;
  const std::uint8_t* valid;
  planar_view<float> out;

  SW_HD void operator()(int x, int y) const {
    const int w = ref.width, h = ref.height;
    const index_t i = static_cast<index_t>(y) * w + x;
    const bool ok = valid[i] != 0;
    const bool hx = ok && x > 0 && x + 1 < w && valid[i - 1] && valid[i + 1];
    const bool hy = ok && y > 0 && y + 1 < h && valid[i - w] && valid[i + w];
    for (int b = 0; b < ref.bands; ++b) {
      float g = 0.0f;
      if (hx) g += fabsf(ref.at(b, i + 1) - ref.at(b, i - 1)) * 0.5f;
      if (hy) g += fabsf(ref.at(b, i + w) - ref.at(b, i - w)) * 0.5f;
      out.at(b, i) = g;
    }
  }
};

// One separable pass of a 3-wide maximum over every band plane (values >= 0; pixels
// outside the image are left out), times `scale`.
struct window_max_fn {
  planar_view<const float> in;
  planar_view<float> out;
  bool horizontal;
  float scale;

  SW_HD void operator()(int x, int y) const {
    const index_t i = static_cast<index_t>(y) * in.width + x;
    const index_t step = horizontal ? 1 : in.width;
    const bool lo = horizontal ? x > 0 : y > 0;
    const bool hi = horizontal ? x + 1 < in.width : y + 1 < in.height;
    for (int b = 0; b < in.bands; ++b) {
      float m = in.at(b, i);
      if (lo) m = max_of(m, in.at(b, i - step));
      if (hi) m = max_of(m, in.at(b, i + step));
      out.at(b, i) = scale * m;
    }
  }
};

// The three launches; `scratch` is a buffer of the reference's size.
template <class Backend>
void edge_tolerance(const Backend& be, planar_view<const float> ref, const std::uint8_t* valid,
                    float tolerance_px, float* scratch, float* out) {
  const int w = ref.width, h = ref.height, nb = ref.bands;
  be.for_each_2d(w, h, band_gradient_fn{ref, valid, {out, w, h, nb}});
  be.for_each_2d(w, h, window_max_fn{{out, w, h, nb}, {scratch, w, h, nb}, true, 1.0f});
  be.for_each_2d(w, h, window_max_fn{{scratch, w, h, nb}, {out, w, h, nb}, false, tolerance_px});
}

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

  // One band's terms (the arithmetic both launches share, in the same order). The shrink
  // by the tolerance t is written without branches, sign(db) * max(|db| - t, 0), so that
  // the CPU's tile loop vectorises; t = 0 leaves db exactly as it is.
  SW_HD static void add_band(float s, float r, float t, float w, float& sq, float& raw, float& d) {
    const float db = s - r;
    raw += w * db * db;
    const float excess = fabsf(db) - t;  // (a compare, not fmaxf, so that GCC vectorises it)
    const float shrunk = copysignf(excess > 0.0f ? excess : 0.0f, db);
    sq += w * shrunk * shrunk;
    d += w * shrunk;
  }

  SW_HD void finish(index_t i, float sq, float raw, float d, float wsum) const {
    if (!covalid[i]) {
      magnitude[i] = -1.0f;
      difference[i] = 0.0f;
      if (raw_magnitude != nullptr) raw_magnitude[i] = -1.0f;
      return;
    }
    magnitude[i] = sqrtf(sq);
    if (raw_magnitude != nullptr) raw_magnitude[i] = sqrtf(raw);
    difference[i] = wsum > 0.0f ? d / wsum : 0.0f;
  }

  // One pixel (the device launch).
  SW_HD void operator()(index_t i) const {
    float sq = 0.0f, raw = 0.0f, d = 0.0f, wsum = 0.0f;
    for (int b = 0; b < scene.bands; ++b) {
      const index_t j = b * scene.plane() + i;
      add_band(scene.data[j], ref.data[j], tolerance != nullptr ? tolerance[j] : 0.0f, weights[b],
               sq, raw, d);
      wsum += weights[b];
    }
    finish(i, sq, raw, d, wsum);
  }

  // Pixels [begin, end) in tiles, band by band (the CPU launch, cpu_backend::for_each):
  // one unit-stride stream at a time instead of 3 x bands at once, so the prefetchers keep
  // up and the inner loop vectorises. Same terms in the same order: identical results.
  void run_range(index_t begin, index_t end) const {
    constexpr index_t tile = 512;
    float sq[tile], raw[tile], d[tile];
    const index_t plane = scene.plane();
    for (index_t t0 = begin; t0 < end; t0 += tile) {
      const index_t m = min_of(tile, end - t0);
      for (index_t k = 0; k < m; ++k) sq[k] = raw[k] = d[k] = 0.0f;
      float wsum = 0.0f;
      for (int b = 0; b < scene.bands; ++b) {
        const float* s = scene.data + b * plane + t0;
        const float* r = ref.data + b * plane + t0;
        const float w = weights[b];
        if (tolerance != nullptr) {
          const float* t = tolerance + b * plane + t0;
          for (int k = 0; k < static_cast<int>(m); ++k)
            add_band(s[k], r[k], t[k], w, sq[k], raw[k], d[k]);
        } else {
          for (int k = 0; k < static_cast<int>(m); ++k)
            add_band(s[k], r[k], 0.0f, w, sq[k], raw[k], d[k]);
        }
        wsum += w;
      }
      // branch-free finish, so that it vectorises too (same values as finish())
      const std::uint8_t* cv = covalid + t0;
      float* mo = magnitude + t0;
      float* dout = difference + t0;
      // (sqrt and quotient for every lane first, then selects by the byte mask: with the
      // arithmetic under the condition GCC sees control flow and does not vectorise)
      for (int k = 0; k < static_cast<int>(m); ++k) sq[k] = sqrtf(sq[k]);
      if (wsum > 0.0f)
        for (int k = 0; k < static_cast<int>(m); ++k) d[k] = d[k] / wsum;
      else
        for (int k = 0; k < static_cast<int>(m); ++k) d[k] = 0.0f;
      for (int k = 0; k < static_cast<int>(m); ++k) {
        const bool ok = cv[k] != 0;
        mo[k] = ok ? sq[k] : -1.0f;
        dout[k] = ok ? d[k] : 0.0f;
      }
      if (raw_magnitude != nullptr) {
        float* ro = raw_magnitude + t0;
        for (int k = 0; k < static_cast<int>(m); ++k) raw[k] = sqrtf(raw[k]);
        for (int k = 0; k < static_cast<int>(m); ++k) ro[k] = cv[k] != 0 ? raw[k] : -1.0f;
      }
    }
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
