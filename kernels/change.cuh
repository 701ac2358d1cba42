// Change magnitude and change mask (SPEC 2 step 6).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// Misregistration-proof differencing. A scene pixel counts as changed in a band only as far
// as it differs from the reference at *every* position within the residual registration
// error r (pixels) of its own: the difference is the distance from the scene value to the
// range of reference values found within +-r, i.e. a neighbourhood minimum of |s - ref(x+d)|
// over |d| <= r. Thin static structures that also exist in the reference (rails, quay
// edges, roads) then leave no dipole after a sub-pixel shift, while an object that is new
// differs from everything near it and keeps its full difference, edges included.
// (Cf. Bruzzone & Cossu, "An adaptive approach to reducing registration noise effects in
// unsupervised change detection", IEEE TGRS 41(11), 2003; Dai & Khorram, IEEE TGRS 36(5),
// 1998, on the residual misregistration left by co-registration.)
//
// The range is taken per band, once per reference update (reference_envelope_fn): the
// minimum and maximum of the reference sampled bilinearly at the 3 x 3 offsets {-r, 0, r}^2.
// For r <= 1 the bilinear surface reaches its extremes at pixel centres and on the square's
// edge, which those samples cover to within the interpolation; each band may take its own
// offset (a slight relaxation of one common offset, which would cost 9 x bands samples per
// pixel per scene instead of 2 x bands).

// The eight offsets {-r, 0, r}^2 \ {0} as bilinear footings relative to a pixel: the same
// for every pixel (x + o r has the fractional part of o r), so computed once.
struct envelope_offsets {
  int dx[8], dy[8];  // the footing's top-left tap relative to the pixel
  float w[8][4];     // weights of the taps (x, y), (x+1, y), (x, y+1), (x+1, y+1)
};

inline envelope_offsets make_envelope_offsets(float radius) {
  envelope_offsets o{};
  int k = 0;
  for (int oy = -1; oy <= 1; ++oy)
    for (int ox = -1; ox <= 1; ++ox) {
      if (ox == 0 && oy == 0) continue;
      const float sx = static_cast<float>(ox) * radius, sy = static_cast<float>(oy) * radius;
      const float fx0 = floorf(sx), fy0 = floorf(sy);
      const float wx = sx - fx0, wy = sy - fy0;
      o.dx[k] = static_cast<int>(fx0);
      o.dy[k] = static_cast<int>(fy0);
      o.w[k][0] = (1 - wx) * (1 - wy);
      o.w[k][1] = wx * (1 - wy);
      o.w[k][2] = (1 - wx) * wy;
      o.w[k][3] = wx * wy;
      ++k;
    }
  return o;
}

// lo/hi of every band over the reference's samples at the 3 x 3 offsets {-r, 0, r}^2; a
// sample counts only where every source pixel with a non-zero bilinear weight is inside the
// image and valid. Invalid pixels get lo = hi = their own value (never compared).
struct reference_envelope_fn {
  planar_view<const float> ref;
  const std::uint8_t* valid;
  envelope_offsets off;  // make_envelope_offsets(r), r > 0
  planar_view<float> lo;
  planar_view<float> hi;

  // Whether offset k's sample of pixel (x, y) counts (the pixel and the taps it mixes valid
  // and inside), and its taps' indices.
  SW_HD bool sample_ok(int k, int x, int y, index_t tap[4]) const {
    const int w = ref.width, h = ref.height;
    const int x0 = x + off.dx[k], y0 = y + off.dy[k];
    for (int t = 0; t < 4; ++t) {
      const int tx = x0 + (t & 1), ty = y0 + (t >> 1);
      tap[t] = static_cast<index_t>(ty) * w + tx;
      if (off.w[k][t] == 0.0f) continue;
      if (!(tx >= 0 && ty >= 0 && tx < w && ty < h && valid[tap[t]] != 0)) return false;
    }
    return true;
  }
  // The sample of band b from its taps, non-zero weights in tap order.
  SW_HD float sample(int k, int b, const index_t tap[4]) const {
    float v = 0.0f;
    for (int t = 0; t < 4; ++t)
      if (off.w[k][t] != 0.0f) v += off.w[k][t] * ref.at(b, tap[t]);
    return v;
  }

  // One pixel (the device launch).
  SW_HD void operator()(int x, int y) const {
    const index_t i = static_cast<index_t>(y) * ref.width + x;
    for (int b = 0; b < ref.bands; ++b) lo.at(b, i) = hi.at(b, i) = ref.at(b, i);
    if (!valid[i]) return;
    for (int k = 0; k < 8; ++k) {
      index_t tap[4];
      if (!sample_ok(k, x, y, tap)) continue;
      for (int b = 0; b < ref.bands; ++b) {
        const float v = sample(k, b, tap);
        lo.at(b, i) = min_of(lo.at(b, i), v);
        hi.at(b, i) = max_of(hi.at(b, i), v);
      }
    }
  }

  // A row in tiles (the CPU launch): which samples count once per pixel and offset, then
  // band by band the same samples in the same order (identical results), one band plane at
  // a time; a sample's taps lie at fixed distances from the pixel, so only that distance is
  // kept per offset, not per pixel.
  void run_row(int y) const {
    constexpr int tile = 256;
    const int w = ref.width;
    const index_t row = static_cast<index_t>(y) * w;
    bool ok[8][tile];
    int taps[8] = {}, at[8][4] = {};  // per offset: the non-zero taps, their distance
    float wt[8][4] = {};
    for (int k = 0; k < 8; ++k)
      for (int t = 0; t < 4; ++t)
        if (off.w[k][t] != 0.0f) {
          at[k][taps[k]] = (off.dy[k] + (t >> 1)) * w + off.dx[k] + (t & 1);
          wt[k][taps[k]++] = off.w[k][t];
        }
    for (int x0 = 0; x0 < w; x0 += tile) {
      const int m = min_of(tile, w - x0);
      index_t tap[4];
      for (int k = 0; k < 8; ++k)
        for (int j = 0; j < m; ++j)
          ok[k][j] = valid[row + x0 + j] != 0 && sample_ok(k, x0 + j, y, tap);
      for (int b = 0; b < ref.bands; ++b) {
        float* l = lo.data + b * lo.plane() + row + x0;
        float* u = hi.data + b * hi.plane() + row + x0;
        const float* r = ref.data + b * ref.plane() + row + x0;
        for (int j = 0; j < m; ++j) l[j] = u[j] = r[j];
        for (int k = 0; k < 8; ++k)
          for (int j = 0; j < m; ++j) {
            if (!ok[k][j]) continue;
            float v = 0.0f;
            for (int t = 0; t < taps[k]; ++t) v += wt[k][t] * r[j + at[k][t]];
            l[j] = min_of(l[j], v);
            u[j] = max_of(u[j], v);
          }
      }
    }
  }
};

// For pixels valid in both, with per-band differences d_b = s_b - r_b reduced to the
// distance from s_b to the band's reference range [lo_b, hi_b] (reference_envelope_fn):
// magnitude = sqrt(sum_b w_b d_b^2) and the signed weighted brightness difference
// sum_b w_b d_b / sum_b w_b (negative: the scene is darker). Elsewhere magnitude -1 and
// difference 0. Units: reflectance x10000.
// raw_magnitude (optional) receives the magnitude of the plain differences s_b - r_b: the
// noise level that thresholds are taken from (most reduced magnitudes are 0, so their MAD
// says nothing). The scene is already co-registered and normalised to the reference.
struct change_magnitude_fn {
  planar_view<const float> scene;
  planar_view<const float> ref;
  const float* lo;  // ref-shaped range planes (reference_envelope_fn), or nullptr for none
  const float* hi;
  const float* weights;
  const std::uint8_t* covalid;
  float* magnitude;
  float* difference;
  float* raw_magnitude;

  // One band's terms (the arithmetic both launches share, in the same order). The distance
  // to [lo, hi] is written as max(s - hi, 0) + min(s - lo, 0) with compares, not branches or
  // fmaxf, so that the CPU's tile loop vectorises; lo = hi = r gives s - r exactly.
  SW_HD static void add_band(float s, float r, float l, float u, float w, float& sq, float& raw,
                             float& d) {
    const float db = s - r;
    raw += w * db * db;
    const float above = s - u, below = s - l;
    const float excess = (above > 0.0f ? above : 0.0f) + (below < 0.0f ? below : 0.0f);
    sq += w * excess * excess;
    d += w * excess;
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
      const float r = ref.data[j];
      add_band(scene.data[j], r, lo != nullptr ? lo[j] : r, hi != nullptr ? hi[j] : r, weights[b],
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
        if (lo != nullptr) {
          const float* l = lo + b * plane + t0;
          const float* u = hi + b * plane + t0;
          for (int k = 0; k < static_cast<int>(m); ++k)
            add_band(s[k], r[k], l[k], u[k], w, sq[k], raw[k], d[k]);
        } else {
          for (int k = 0; k < static_cast<int>(m); ++k)
            add_band(s[k], r[k], r[k], r[k], w, sq[k], raw[k], d[k]);
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
