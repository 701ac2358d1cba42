// Blur matching before differencing (SPEC 2 step 6; docs/ALGORITHMS.md, section 6).
//
// Every scene reaches the site grid through resampling (the warp, the co-registration
// shift, the reference frame's recentring), and bilinear resampling blurs by an amount that
// depends on the fractional offset: not at all at 0, most at half a pixel, and only along
// the offset. A reference pooled from members resampled at other offsets is then blurrier
// than a scene that needed little resampling, or sharper. Thin high-contrast structures
// (tracks, kerbs, quay edges) survive the registration tolerance when they are only
// shifted, but not when they differ in depth: a crisp track in the scene is darker than
// anything near it in a washed-out reference, and the rail-car counter takes the track for
// a train (46 "cars" on one date of an empty yard, synthetic `quiet` archive seed 3).
//
// The remedy of image subtraction in astronomy (Alard & Lupton, "A method for optimal image
// subtraction", ApJ 503, 1998): convolve one image to the other's resolution with a kernel
// fitted on the pair itself. The kernel family here is the smallest that holds an
// anisotropic blur: ref - scene ~ c + S : H(m), with H the second differences of the pair's
// mean brightness m and S a symmetric 2 x 2 matrix (3 numbers); the step g + S : H(g) is
// the heat equation's, a Gaussian blur of covariance 2 S to first order, and g - S : H(g)
// undoes it to first order (an unsharp mask). Only the reference is changed, by -S: blurred
// along the directions where the scene is blurrier, sharpened where it is sharper. The
// scene is never smoothed because its objects are what is counted: blurring a scene by
// S = 0.25 halves the contrast of a one-pixel rail car (tried: the hard archive's rail-car
// error went from 40 to 68 cars over six seeds). The reference is a median of several scenes or of
// the archive, its noise the lower by about their square root, so it bears the sharpening's noise
// gain. Fitted by least squares, then twice more on the pixels whose residual is within 3 robust
// sigmas (objects and real change fall out), as the radiometric normalisation is.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/histogram.cuh"
#include "kernels/mask_ops.cuh"
#include "kernels/reduce.hpp"
#include "kernels/solve.hpp"

namespace sw::kern {

// A step g <- g + xx d2g/dx2 + yy d2g/dy2 + 2 xy d2g/dxdy: a smoothing along the directions
// where [[xx, xy], [xy, yy]] is positive, a sharpening where it is negative; all zero: none.
struct blur_step {
  float xx = 0.0f, yy = 0.0f, xy = 0.0f;

  SW_HD bool none() const { return xx == 0.0f && yy == 0.0f && xy == 0.0f; }
};

// Whether pixel i and its 8 neighbours are inside the grid and set in `mask`.
SW_HD inline bool neighbourhood_set(const std::uint8_t* mask, int w, int h, index_t i) {
  const int x = static_cast<int>(i % w), y = static_cast<int>(i / w);
  if (x < 1 || y < 1 || x >= w - 1 || y >= h - 1) return false;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx)
      if (!mask[i + static_cast<index_t>(dy) * w + dx]) return false;
  return true;
}

// The second differences of plane g at interior pixel i: d[0] along x, d[1] along y, d[2]
// the mixed one.
SW_HD inline void second_differences(const float* g, int w, index_t i, float d[3]) {
  const float c = g[i];
  d[0] = g[i - 1] - 2.0f * c + g[i + 1];
  d[1] = g[i - w] - 2.0f * c + g[i + w];
  d[2] = 0.25f * (g[i + w + 1] - g[i + w - 1] - g[i - w + 1] + g[i - w - 1]);
}

// The fit's regressors at pixel i (1 and the three second differences of the pair's mean
// brightness) and its target, reference minus scene.
SW_HD inline void blur_regressors(const float* scene, const float* ref, int w, index_t i,
                                  float f[4], float& target) {
  float ds[3], dr[3];
  second_differences(scene, w, i, ds);
  second_differences(ref, w, i, dr);
  f[0] = 1.0f;
  for (int k = 0; k < 3; ++k) f[k + 1] = 0.5f * (ds[k] + dr[k]);
  target = ref[i] - scene[i];
}

// The fit's coefficients: c, S_xx, S_yy, 2 S_xy.
struct blur_coef {
  float c[4] = {0.0f, 0.0f, 0.0f, 0.0f};

  SW_HD float residual(const float f[4], float target) const {
    return target - (c[0] * f[0] + c[1] * f[1] + c[2] * f[2] + c[3] * f[3]);
  }
};

inline constexpr int blur_terms = 4 * 5 / 2 + 4 + 1;  // X^T X upper triangle, X^T y, count

// The normal equations' terms over the pixels that take part: co-valid with their
// neighbours (`usable`), and inliers of the previous pass where `inlier` is given.
struct blur_terms_fn {
  const float* scene;  // brightness, normalised to the reference
  const float* ref;
  const std::uint8_t* usable;  // 1: the pixel and its 8 neighbours valid in both
  const std::uint8_t* inlier;  // nullptr: every usable pixel
  int width;

  SW_HD void operator()(index_t i, double* acc) const {
    if (!usable[i] || (inlier != nullptr && !inlier[i])) return;
    float f[4], t;
    blur_regressors(scene, ref, width, i, f, t);
    int k = 0;
    for (int p = 0; p < 4; ++p)
      for (int q = p; q < 4; ++q) acc[k++] += static_cast<double>(f[p]) * f[q];
    for (int p = 0; p < 4; ++p) acc[k++] += static_cast<double>(f[p]) * t;
    acc[blur_terms - 1] += 1.0;
  }
};

// 1 where pixel i and its neighbours are valid in both images (the fit's pixels); with
// `lattice`, only pixels at even x and y (a quarter, as the normalisation's fit on large
// grids: thousands of samples remain for four parameters).
struct blur_usable_fn {
  const std::uint8_t* covalid;
  int width;
  int height;
  bool lattice;
  std::uint8_t* usable;

  SW_HD void operator()(index_t i) const {
    const bool on = !lattice || (((i % width) | (i / width)) & 1) == 0;
    usable[i] = on && neighbourhood_set(covalid, width, height, i) ? 1 : 0;
  }
};

// |residual| of a usable pixel under `coef`, else -1 (for the MAD histogram).
struct blur_abs_residual_value {
  const float* scene;
  const float* ref;
  const std::uint8_t* usable;
  int width;
  blur_coef coef;

  SW_HD float operator()(index_t i) const {
    if (!usable[i]) return -1.0f;
    float f[4], t;
    blur_regressors(scene, ref, width, i, f, t);
    const float r = coef.residual(f, t);
    return r < 0.0f ? -r : r;
  }
};

// out_b = in_b + S : H(in_b) at pixels whose 3 x 3 neighbourhood is valid, else in_b.
struct blur_apply_fn {
  planar_view<const float> in;
  const std::uint8_t* valid;
  blur_step s;
  planar_view<float> out;

  SW_HD void operator()(int x, int y) const {
    const int w = in.width;
    const index_t i = static_cast<index_t>(y) * w + x;
    const bool inside = neighbourhood_set(valid, w, in.height, i);
    for (int b = 0; b < in.bands; ++b) {
      const float* g = in.data + b * in.plane();
      if (!inside) {
        out.at(b, i) = g[i];
        continue;
      }
      float d[3];
      second_differences(g, w, i, d);
      out.at(b, i) = g[i] + (s.xx * d[0] + s.yy * d[1] + 2.0f * s.xy * d[2]);
    }
  }
};

// ---- host side --------------------------------------------------------------------------

// The step that brings the reference to the scene's sharpness: -S, each eigenvalue of S
// clipped to [-blur_limit, sharpen_limit], or none when every |eigenvalue| is below `least`
// (a difference a fit cannot tell from noise). A blurring step up to 0.25 keeps its centre
// weight 1 - 2 trace >= 0, a smoothing. The sharpening reaches further (0.4) because a
// median of scenes resampled at different offsets can be blurrier than any one of them
// (fits up to 0.37 across the tracks on the synthetic `quiet` archive, seed 3).
inline blur_step reference_step(double sxx, double syy, double sxy, double blur_limit = 0.25,
                                double sharpen_limit = 0.4, double least = 0.02) {
  // eigen decomposition of [[sxx, sxy], [sxy, syy]]
  const double mean = 0.5 * (sxx + syy), half = 0.5 * (sxx - syy);
  const double d = std::sqrt(half * half + sxy * sxy);
  const double lambda[2] = {mean + d, mean - d};
  if (std::abs(lambda[0]) < least && std::abs(lambda[1]) < least) return {};
  const double angle = 0.5 * std::atan2(2.0 * sxy, sxx - syy);  // of the first eigenvector
  const double v[2][2] = {{std::cos(angle), std::sin(angle)}, {-std::sin(angle), std::cos(angle)}};
  blur_step s;
  for (int k = 0; k < 2; ++k) {
    const double e = -std::min(std::max(lambda[k], -blur_limit), sharpen_limit);
    s.xx += static_cast<float>(e * v[k][0] * v[k][0]);
    s.yy += static_cast<float>(e * v[k][1] * v[k][1]);
    s.xy += static_cast<float>(e * v[k][0] * v[k][1]);
  }
  return s;
}

// Fits ref - scene ~ c + S : H(m) on the brightness planes (three robust passes; on grids of
// ncc_subsample_pixels or more, on the stride-2 lattice) and returns the reference's step
// (reference_step); nullopt when fewer than 100 pixels take part or the system is singular.
template <class Backend>
std::optional<blur_step> fit_blur_match(const Backend& be, int w, int h,
                                        const float* scene_brightness, const float* ref_brightness,
                                        const std::uint8_t* covalid) {
  const index_t n = static_cast<index_t>(w) * h;
  auto usable = be.template alloc<std::uint8_t>(n);
  be.for_each(n, blur_usable_fn{covalid, w, h, n >= ncc_subsample_pixels, usable.data()});
  auto inlier = be.template alloc<std::uint8_t>(n);
  blur_coef coef;
  bool fitted = false;
  for (int pass = 0; pass < 3; ++pass) {
    const auto s =
        chunked_sum<blur_terms>(be, n,
                                blur_terms_fn{scene_brightness, ref_brightness, usable.data(),
                                              pass > 0 ? inlier.data() : nullptr, w});
    if (s[blur_terms - 1] < 100.0) break;
    std::vector<double> xtx(16), xty(4);
    int k = 0;
    for (int p = 0; p < 4; ++p)
      for (int q = p; q < 4; ++q) xtx[p * 4 + q] = xtx[q * 4 + p] = s[k++];
    for (int p = 0; p < 4; ++p) xty[p] = s[k++];
    double x[4];
    if (!solve_linear(xtx, xty, 4, x)) break;
    for (int p = 0; p < 4; ++p) coef.c[p] = static_cast<float>(x[p]);
    fitted = true;
    if (pass == 2) break;
    const blur_abs_residual_value value{scene_brightness, ref_brightness, usable.data(), w, coef};
    const auto hist = auto_histogram(be, n, value, 8192);
    const double mad = histogram_quantile(hist.counts, hist.bin_width, 0.5);
    const float cut =
        static_cast<float>(std::max(3.0 * 1.4826 * mad, 3.0 * static_cast<double>(hist.bin_width)));
    be.for_each(n, at_most_fn<blur_abs_residual_value>{value, cut, inlier.data()});  // inliers
  }
  if (!fitted) return std::nullopt;
  return reference_step(coef.c[1], coef.c[2], 0.5 * coef.c[3]);
}

}  // namespace sw::kern
