// Co-registration (SPEC 2 step 4): the shift of a scene against the site's reference,
// found by normalised cross-correlation of gradient images over integer shifts within a
// search radius, refined to sub-pixel by a parabola through the peak and its neighbours,
// then applied by bilinear resampling.
//
// Gradients, not brightness: a scene and its reference differ in gain, offset, haze and
// season; edges (tracks, quays, roads) keep their place. Units: pixels of the site grid.
// Convention: shift (dx, dy) means scene(x + dx, y + dy) shows what reference(x, y) shows.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// Sobel gradient magnitude |gx| + |gy| of a brightness image, -1 where any pixel of the
// 3x3 neighbourhood is invalid or outside the image.
struct gradient_fn {
  view2d<const float> in;
  const std::uint8_t* valid;
  float* out;

  SW_HD void operator()(int x, int y) const {
    const index_t i = static_cast<index_t>(y) * in.width + x;
    if (x < 1 || y < 1 || x + 1 >= in.width || y + 1 >= in.height) {
      out[i] = -1.0f;
      return;
    }
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        if (!valid[i + static_cast<index_t>(dy) * in.width + dx]) {
          out[i] = -1.0f;
          return;
        }
    const float gx = (in(x + 1, y - 1) + 2.0f * in(x + 1, y) + in(x + 1, y + 1)) -
                     (in(x - 1, y - 1) + 2.0f * in(x - 1, y) + in(x - 1, y + 1));
    const float gy = (in(x - 1, y + 1) + 2.0f * in(x, y + 1) + in(x + 1, y + 1)) -
                     (in(x - 1, y - 1) + 2.0f * in(x, y - 1) + in(x + 1, y - 1));
    out[i] = fabsf(gx) + fabsf(gy);
  }
};

// Terms of the normalised cross-correlation of reference gradient a(x, y) with scene
// gradient b(x + dx, y + dy): n, sum a, sum b, sum a^2, sum b^2, sum ab (for chunked_sum).
struct ncc_terms_fn {
  const float* ref_grad;
  const float* scene_grad;
  int width;
  int height;
  int dx;
  int dy;

  SW_HD void operator()(index_t i, double* acc) const {
    const float a = ref_grad[i];
    if (a < 0.0f) return;
    const int x = static_cast<int>(i % width) + dx;
    const int y = static_cast<int>(i / width) + dy;
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const float b = scene_grad[static_cast<index_t>(y) * width + x];
    if (b < 0.0f) return;
    acc[0] += 1.0;
    acc[1] += a;
    acc[2] += b;
    acc[3] += static_cast<double>(a) * a;
    acc[4] += static_cast<double>(b) * b;
    acc[5] += static_cast<double>(a) * b;
  }
};

// NCC from the six sums; 0 when either side has no variance.
SW_HD inline double ncc_from_sums(const double* s) {
  const double n = s[0];
  if (n < 2.0) return 0.0;
  const double va = s[3] - s[1] * s[1] / n;
  const double vb = s[4] - s[2] * s[2] / n;
  const double cov = s[5] - s[1] * s[2] / n;
  if (va <= 0.0 || vb <= 0.0) return 0.0;
  return cov / sqrt(va * vb);
}

// Sub-pixel offset of a peak from three samples c(-1), c(0), c(+1) of a parabola; 0 when
// the samples are not a proper maximum. Within [-0.5, 0.5].
SW_HD inline double parabola_peak(double cm, double c0, double cp) {
  const double den = cm - 2.0 * c0 + cp;
  if (!(den < 0.0)) return 0.0;
  const double d = 0.5 * (cm - cp) / den;
  return d < -0.5 ? -0.5 : (d > 0.5 ? 0.5 : d);
}

// Bilinear sample of img at (x, y); false when a pixel it mixes (non-zero weight) is
// invalid or outside.
SW_HD inline bool bilinear_sample(const float* img, const std::uint8_t* valid, int w, int h,
                                  double x, double y, float* out) {
  const double fx0 = floor(x), fy0 = floor(y);
  const int x0 = static_cast<int>(fx0), y0 = static_cast<int>(fy0);
  const float wx = static_cast<float>(x - fx0), wy = static_cast<float>(y - fy0);
  float v = 0.0f;
  for (int k = 0; k < 4; ++k) {
    const int px = x0 + (k & 1), py = y0 + (k >> 1);
    const float wk = ((k & 1) ? wx : 1.0f - wx) * ((k >> 1) ? wy : 1.0f - wy);
    if (wk == 0.0f) continue;
    if (px < 0 || py < 0 || px >= w || py >= h) return false;
    const index_t j = static_cast<index_t>(py) * w + px;
    if (!valid[j]) return false;
    v += wk * img[j];
  }
  *out = v;
  return true;
}

// Sub-pixel refinement (Lucas-Kanade / Gauss-Newton) of the model
//   ref(x, y) ~ a * scene(x + dx, y + dy) + b
// on brightness images: the terms of the normal equations J^T J (10, upper triangle of the
// 4x4 for the parameters dx, dy, a, b), J^T r (4), the pixel count and sum r^2, over
// reference-valid pixels whose residual is within `cut` (cut < 0: all). The scene
// gradient is a central difference of bilinear samples half a pixel either side.
// Fitting gain and offset along with the shift keeps brightness change from biasing it.
struct lk_terms_fn {
  const float* ref;
  const std::uint8_t* ref_valid;
  const float* scene;
  const std::uint8_t* scene_valid;
  int width;
  int height;
  double dx;
  double dy;
  double a;
  double b;
  double cut;

  static constexpr int terms = 16;

  SW_HD void operator()(index_t i, double* acc) const {
    if (!ref_valid[i]) return;
    const double x = static_cast<double>(i % width) + dx;
    const double y = static_cast<double>(i / width) + dy;
    float s0, sxp, sxm, syp, sym;
    if (!bilinear_sample(scene, scene_valid, width, height, x, y, &s0) ||
        !bilinear_sample(scene, scene_valid, width, height, x + 0.5, y, &sxp) ||
        !bilinear_sample(scene, scene_valid, width, height, x - 0.5, y, &sxm) ||
        !bilinear_sample(scene, scene_valid, width, height, x, y + 0.5, &syp) ||
        !bilinear_sample(scene, scene_valid, width, height, x, y - 0.5, &sym))
      return;
    const double r = a * s0 + b - ref[i];
    if (cut >= 0.0 && (r > cut || r < -cut)) return;
    const double j[4] = {a * (sxp - sxm), a * (syp - sym), static_cast<double>(s0), 1.0};
    int k = 0;
    for (int p = 0; p < 4; ++p)
      for (int q = p; q < 4; ++q) acc[k++] += j[p] * j[q];
    for (int p = 0; p < 4; ++p) acc[10 + p] += j[p] * r;
    acc[14] += 1.0;
    acc[15] += r * r;
  }
};

// Bilinear resampling of a planar image at (x + dx, y + dy). A pixel of the output is valid
// when the four source pixels it mixes are valid (weights of exactly zero excepted).
struct shift_resample_fn {
  planar_view<const float> in;
  const std::uint8_t* in_valid;
  double dx;
  double dy;
  planar_view<float> out;
  std::uint8_t* out_valid;

  SW_HD void operator()(int x, int y) const {
    const index_t o = static_cast<index_t>(y) * in.width + x;
    const double sx = x + dx, sy = y + dy;
    const double fx0 = floor(sx), fy0 = floor(sy);
    const int x0 = static_cast<int>(fx0), y0 = static_cast<int>(fy0);
    const float wx = static_cast<float>(sx - fx0), wy = static_cast<float>(sy - fy0);
    const float w[4] = {(1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy};
    const int px[4] = {x0, x0 + 1, x0, x0 + 1};
    const int py[4] = {y0, y0, y0 + 1, y0 + 1};
    index_t idx[4];
    bool ok = true;
    for (int k = 0; k < 4; ++k) {
      if (w[k] == 0.0f) {
        idx[k] = -1;
        continue;
      }
      if (px[k] < 0 || py[k] < 0 || px[k] >= in.width || py[k] >= in.height) {
        ok = false;
        break;
      }
      idx[k] = static_cast<index_t>(py[k]) * in.width + px[k];
      if (!in_valid[idx[k]]) {
        ok = false;
        break;
      }
    }
    out_valid[o] = ok ? 1 : 0;
    for (int b = 0; b < in.bands; ++b) {
      float v = 0.0f;
      if (ok)
        for (int k = 0; k < 4; ++k)
          if (idx[k] >= 0) v += w[k] * in.at(b, idx[k]);
      out.at(b, o) = v;
    }
  }
};

}  // namespace sw::kern
