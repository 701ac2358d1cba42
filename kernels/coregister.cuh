// Co-registration (SPEC 2 step 4): the shift of a scene against the site's reference,
// found by normalised cross-correlation of gradient images over integer shifts within a
// search radius, refined to sub-pixel by Lucas-Kanade (Gauss-Newton on ref ~ a * scene(x +
// d) + b, lk_terms_fn; refine_shift below), then applied by bilinear resampling.
//
// Gradients, not brightness: a scene and its reference differ in gain, offset, haze and
// season; edges (tracks, quays, roads) keep their place. Units: pixels of the site grid.
// Convention: shift (dx, dy) means scene(x + dx, y + dy) shows what reference(x, y) shows.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/reduce.hpp"
#include "kernels/solve.hpp"
#include "kernels/valid_mask.cuh"

namespace sw::kern {

// Fewest gradient pixels an NCC candidate, or the sub-pixel fit, needs before a shift is
// trusted.
inline constexpr double min_coregistration_pixels = 200.0;

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
// gradient b(x + dx, y + dy): n, sum a, sum b, sum a^2, sum b^2, sum ab (for chunked_sum),
// over the reference pixels on a lattice of `stride` (1: all; 2: every other row and
// column, a quarter of the work for the integer search, which the sub-pixel refinement
// then corrects on every pixel).
struct ncc_terms_fn {
  const float* ref_grad;
  const float* scene_grad;
  int width;
  int height;
  int dx;
  int dy;
  int stride = 1;

  // stride: 1 or 2 (a power of two: the lattice test is a mask, not a division)
  SW_HD void operator()(int rx, int ry, double* acc) const {
    if (((rx | ry) & (stride - 1)) != 0) return;
    const float a = ref_grad[static_cast<index_t>(ry) * width + rx];
    if (a < 0.0f) return;
    const int x = rx + dx;
    const int y = ry + dy;
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const float b = scene_grad[static_cast<index_t>(y) * width + x];
    if (b < 0.0f) return;
    add(a, b, acc);
  }

  // one pixel pair's terms
  SW_HD static void add(float a, float b, double* acc) {
    acc[0] += 1.0;
    acc[1] += a;
    acc[2] += b;
    acc[3] += static_cast<double>(a) * a;
    acc[4] += static_cast<double>(b) * b;
    acc[5] += static_cast<double>(a) * b;
  }

  // CPU form of a row (kernels/reduce.hpp): only the lattice's rows and columns, and only
  // the columns whose shifted pixel is inside, in x order: the per-pixel form's sums.
  void row_terms(int ry, double* acc) const {
    if ((ry & (stride - 1)) != 0) return;
    const int y = ry + dy;
    if (y < 0 || y >= height) return;
    const float* ra = ref_grad + static_cast<index_t>(ry) * width;
    const float* rb = scene_grad + static_cast<index_t>(y) * width;
    const int x_begin = dx < 0 ? -dx : 0;
    const int x_end = dx > 0 ? width - dx : width;
    // the first lattice column at or after x_begin
    for (int rx = (x_begin + stride - 1) & ~(stride - 1); rx < x_end; rx += stride) {
      const float a = ra[rx];
      if (a < 0.0f) continue;
      const float b = rb[rx + dx];
      if (b < 0.0f) continue;
      add(a, b, acc);
    }
  }
};

// ncc_terms_fn's sums by name: the first is the pixel count.
inline constexpr int ncc_pixels = 0;

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

// The bilinear footing of the point (sx, sy): its top-left pixel (x0, y0) and the weights
// of (x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1). One definition for the
// refinement's samples and the resampling, so both mix pixels with the same weights.
struct bilinear_footing {
  int x0, y0;
  float w[4];
};
SW_HD inline bilinear_footing bilinear_at(double sx, double sy) {
  const double fx0 = floor(sx), fy0 = floor(sy);
  const float wx = static_cast<float>(sx - fx0), wy = static_cast<float>(sy - fy0);
  return {static_cast<int>(fx0),
          static_cast<int>(fy0),
          {(1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy}};
}

// Scene gradients for the sub-pixel refinement, once per scene: gx, gy by central
// differences (half the difference of the neighbours), and a mask of the pixels where
// both exist (the pixel and its four neighbours valid and inside).
struct scene_gradients_fn {
  view2d<const float> in;
  const std::uint8_t* valid;
  float* gx;
  float* gy;
  std::uint8_t* ok;

  SW_HD void operator()(int x, int y) const {
    const int w = in.width, h = in.height;
    const index_t i = static_cast<index_t>(y) * w + x;
    const bool good = x > 0 && y > 0 && x + 1 < w && y + 1 < h && valid[i] && valid[i - 1] &&
                      valid[i + 1] && valid[i - w] && valid[i + w];
    ok[i] = good ? 1 : 0;
    gx[i] = good ? 0.5f * (in[i + 1] - in[i - 1]) : 0.0f;
    gy[i] = good ? 0.5f * (in[i + w] - in[i - w]) : 0.0f;
  }
};

// Sub-pixel refinement (Lucas-Kanade / Gauss-Newton) of the model
//   ref(x, y) ~ a * scene(x + dx, y + dy) + b
// on brightness images: the terms of the normal equations J^T J (10, upper triangle of the
// 4x4 for the parameters dx, dy, a, b), J^T r (4), the pixel count and sum r^2, over
// reference-valid pixels whose residual is within `cut` (cut < 0: all). The scene value and
// its gradient are bilinear samples (with the same weights) of the scene and of its
// precomputed gradients (scene_gradients_fn), where the four pixels mixed all have both.
// Fitting gain and offset along with the shift keeps brightness change from biasing it.
struct lk_terms_fn {
  const float* ref;
  const std::uint8_t* ref_valid;
  const float* scene;
  const float* gx;
  const float* gy;
  const std::uint8_t* ok;  // from scene_gradients_fn
  int width;
  int height;
  double dx;
  double dy;
  double a;
  double b;
  double cut;
  int stride = 1;  // 1 or 2: the terms over every pixel, or over a stride-2 lattice

  static constexpr int terms = 16;

  SW_HD void operator()(int px, int py, double* acc) const {
    if (((px | py) & (stride - 1)) != 0) return;
    const index_t i = static_cast<index_t>(py) * width + px;
    if (!ref_valid[i]) return;
    const bilinear_footing f = bilinear_at(px + dx, py + dy);
    if (f.x0 < 0 || f.y0 < 0 || f.x0 + 1 >= width || f.y0 + 1 >= height) return;
    const index_t j = static_cast<index_t>(f.y0) * width + f.x0;
    if (!(ok[j] && ok[j + 1] && ok[j + width] && ok[j + width + 1])) return;
    auto sample = [&](const float* img) {
      return f.w[0] * img[j] + f.w[1] * img[j + 1] + f.w[2] * img[j + width] +
             f.w[3] * img[j + width + 1];
    };
    const float s0 = sample(scene);
    const double r = a * s0 + b - ref[i];
    if (cut >= 0.0 && (r > cut || r < -cut)) return;
    const double jac[4] = {a * sample(gx), a * sample(gy), static_cast<double>(s0), 1.0};
    int k = 0;
    for (int p = 0; p < 4; ++p)
      for (int q = p; q < 4; ++q) acc[k++] += jac[p] * jac[q];
    for (int p = 0; p < 4; ++p) acc[10 + p] += jac[p] * r;
    acc[14] += 1.0;
    acc[15] += r * r;
  }
};

// lk_terms_fn's sums by name.
struct lk_sums {
  std::array<double, lk_terms_fn::terms> s;
  // J^T J, packed upper triangle (p <= q) over (dx, dy, a, b)
  double jtj(int p, int q) const {
    if (q < p) return jtj(q, p);
    return s[p * 4 - p * (p - 1) / 2 + (q - p)];
  }
  double jtr(int p) const { return s[10 + p]; }
  double pixels() const { return s[14]; }
  double residual_sq() const { return s[15]; }
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

  // The four weights and source indices of output pixel (x, y) (index -1: weight 0, not
  // read); false when a source pixel with a weight is outside the image or invalid.
  SW_HD bool sample(int x, int y, float w[4], index_t idx[4]) const {
    const bilinear_footing f = bilinear_at(x + dx, y + dy);
    const int px[4] = {f.x0, f.x0 + 1, f.x0, f.x0 + 1};
    const int py[4] = {f.y0, f.y0, f.y0 + 1, f.y0 + 1};
    for (int k = 0; k < 4; ++k) w[k] = f.w[k];
    for (int k = 0; k < 4; ++k) {
      if (w[k] == 0.0f) {
        idx[k] = -1;
        continue;
      }
      if (px[k] < 0 || py[k] < 0 || px[k] >= in.width || py[k] >= in.height) return false;
      idx[k] = static_cast<index_t>(py[k]) * in.width + px[k];
      if (!in_valid[idx[k]]) return false;
    }
    return true;
  }

  // One band's value from the weights (same terms, same order on both launches).
  SW_HD static float mix(const float* band, const float w[4], const index_t idx[4]) {
    float v = 0.0f;
    for (int k = 0; k < 4; ++k)
      if (idx[k] >= 0) v += w[k] * band[idx[k]];
    return v;
  }

  // One pixel (the device launch).
  SW_HD void operator()(int x, int y) const {
    const index_t o = static_cast<index_t>(y) * in.width + x;
    float w[4];
    index_t idx[4];
    const bool ok = sample(x, y, w, idx);
    out_valid[o] = ok ? 1 : 0;
    for (int b = 0; b < in.bands; ++b)
      out.at(b, o) = ok ? mix(in.data + b * in.plane(), w, idx) : 0.0f;
  }

  // One row (the CPU launch, cpu_backend::for_each_2d): the samples of a stretch of the
  // row first, then band by band, so one source and one output plane are in use at a time.
  // The same sample() and mix() as the device: identical values.
  void run_row(int y) const {
    constexpr int tile = 256;
    float w[tile][4];
    index_t idx[tile][4];
    bool ok[tile];
    const index_t plane = in.plane(), row = static_cast<index_t>(y) * in.width;
    for (int x0 = 0; x0 < in.width; x0 += tile) {
      const int m = min_of(tile, in.width - x0);
      for (int t = 0; t < m; ++t) {
        ok[t] = sample(x0 + t, y, w[t], idx[t]);
        out_valid[row + x0 + t] = ok[t] ? 1 : 0;
      }
      for (int b = 0; b < in.bands; ++b) {
        const float* src = in.data + b * plane;
        float* dst = out.data + b * plane + row + x0;
        for (int t = 0; t < m; ++t) dst[t] = ok[t] ? mix(src, w[t], idx[t]) : 0.0f;
      }
    }
  }
};

// ---- The launch sequence (host side, any backend) ---------------------------------------

// Gauss-Newton on ref ~ a * scene(x + d) + b from the integer NCC peak (lk_terms_fn) on
// brightness images: three plain iterations, then three that leave out residuals beyond 3
// robust sigmas (objects, change). Falls back to the integer shift if the refinement
// wanders off.
template <class Backend>
void refine_shift(const Backend& be, const grid_frame& g, const float* scene,
                  const std::uint8_t* scene_valid, const float* ref, const std::uint8_t* ref_valid,
                  double& dx, double& dy) {
  const double x0 = dx, y0 = dy;
  const int w = g.width, h = g.height;
  const index_t n = g.pixels();
  auto gx = be.template alloc<float>(n);
  auto gy = be.template alloc<float>(n);
  auto ok = be.template alloc<std::uint8_t>(n);
  be.for_each_2d(w, h,
                 scene_gradients_fn{{scene, w, h}, scene_valid, gx.data(), gy.data(), ok.data()});
  // large grids: the normal equations over a stride-2 lattice (thousands of pixels still,
  // for four parameters)
  const int stride = n >= ncc_subsample_pixels ? 2 : 1;
  double a = 1.0, b = 0.0, cut = -1.0;
  for (int it = 0; it < 6; ++it) {
    const lk_sums s{
        row_sum<lk_terms_fn::terms>(be, w, h,
                                    lk_terms_fn{ref, ref_valid, scene, gx.data(), gy.data(),
                                                ok.data(), w, h, dx, dy, a, b, cut, stride})};
    if (s.pixels() < min_coregistration_pixels) break;
    std::vector<double> m(16), rhs(4);
    for (int p = 0; p < 4; ++p)
      for (int q = 0; q < 4; ++q) m[p * 4 + q] = s.jtj(p, q);
    for (int p = 0; p < 4; ++p) rhs[p] = -s.jtr(p);
    double delta[4];
    if (!solve_linear(m, rhs, 4, delta)) break;
    dx += delta[0];
    dy += delta[1];
    a += delta[2];
    b += delta[3];
    if (std::fabs(dx - x0) > 1.5 || std::fabs(dy - y0) > 1.5 || !(a > 0.0)) {
      dx = x0;
      dy = y0;
      return;
    }
    if (it == 2) cut = 3.0 * std::sqrt(s.residual_sq() / s.pixels());
    // converged (once the robust cut is in place): a thousandth of a pixel
    if (it >= 3 && std::fabs(delta[0]) < 1e-3 && std::fabs(delta[1]) < 1e-3) break;
  }
}

// Co-registration of a scene (`bands`, `valid`) onto the reference: NCC of gradient images
// over integer shifts within `radius`, then the Lucas-Kanade refinement; the scene is
// resampled in place when the shift is not zero. `weights`: the bands' weights in the
// brightness (device memory, g.bands of them). Radius 0: no search, shift 0.
template <class Backend>
void align_to_reference(const Backend& be, const grid_frame& g, int radius, const float* weights,
                        const float* ref_bands, const std::uint8_t* ref_valid,
                        typename Backend::template buffer<float>& bands,
                        typename Backend::template buffer<std::uint8_t>& valid, double& shift_x,
                        double& shift_y) {
  const int R = radius;
  const int w = g.width, h = g.height, nb = g.bands;
  const index_t n = g.pixels();
  if (R <= 0) return;
  auto sb = be.template alloc<float>(n);
  auto rb = be.template alloc<float>(n);
  be.for_each(n, brightness_fn{{bands.data(), w, h, nb}, weights, valid.data(), sb.data()});
  be.for_each(n, brightness_fn{{ref_bands, w, h, nb}, weights, ref_valid, rb.data()});
  auto sg = be.template alloc<float>(n);
  auto rg = be.template alloc<float>(n);
  be.for_each_2d(w, h, gradient_fn{{sb.data(), w, h}, valid.data(), sg.data()});
  be.for_each_2d(w, h, gradient_fn{{rb.data(), w, h}, ref_valid, rg.data()});
  const int side = 2 * R + 1;
  // the integer search on every other row and column once the grid is big enough that a
  // quarter of it still holds thousands of pixels
  const int stride = n >= ncc_subsample_pixels ? 2 : 1;
  std::vector<double> score(static_cast<std::size_t>(side) * side, -2.0);
  std::vector<char> tried(static_cast<std::size_t>(side) * side, 0);
  int best = -1;
  auto candidate = [&](int dx, int dy) {
    if (dx < -R || dx > R || dy < -R || dy > R) return;
    const int k = (dy + R) * side + (dx + R);
    if (tried[k]) return;
    tried[k] = 1;
    const auto s = row_sum<6>(be, w, h, ncc_terms_fn{rg.data(), sg.data(), w, h, dx, dy, stride});
    if (s[ncc_pixels] < min_coregistration_pixels) return;
    score[k] = ncc_from_sums(s.data());
    // ties go to the earlier candidate in raster order of (dy, dx), whatever the visit order
    if (best < 0 || score[k] > score[best] || (score[k] == score[best] && k < best)) best = k;
  };
  // Coarse to fine: shifts on a step-2 grid first (the correlation peak of gradient
  // images is about three pixels wide, so the best coarse candidate lies within a pixel
  // of the peak), then the 3x3 around the best; then again around a better neighbour
  // until none improves. A third of the candidates of the full search for R = 4.
  for (int dy = -R; dy <= R; dy += 2)
    for (int dx = -R; dx <= R; dx += 2) candidate(dx, dy);
  for (int round = 0; round < 2 * R && best >= 0; ++round) {
    const int before = best;
    const int cx = best % side - R, cy = best / side - R;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) candidate(cx + dx, cy + dy);
    if (best == before) break;
  }
  if (best < 0) return;  // too little overlap: shift 0
  double fx = best % side - R, fy = best / side - R;
  refine_shift(be, g, sb.data(), valid.data(), rb.data(), ref_valid, fx, fy);
  shift_x = fx;
  shift_y = fy;
  if (shift_x == 0.0 && shift_y == 0.0) return;
  auto out = be.template alloc<float>(nb * n);
  auto out_valid = be.template alloc<std::uint8_t>(n);
  be.for_each_2d(w, h,
                 shift_resample_fn{{bands.data(), w, h, nb},
                                   valid.data(),
                                   shift_x,
                                   shift_y,
                                   {out.data(), w, h, nb},
                                   out_valid.data()});
  bands = std::move(out);
  valid = std::move(out_valid);
}

}  // namespace sw::kern
