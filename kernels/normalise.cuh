// Radiometric normalisation (SPEC 2 step 5): per band, reference ~ gain * scene + offset,
// fitted on pixels valid in both, robustly.
//
// Method (docs/ALGORITHMS.md): ordinary least squares, then twice more on the pixels whose
// residual is within 3 robust sigmas (1.4826 * MAD) of the previous fit. Objects and
// changed areas are a small share of a site and have large residuals, so they fall out
// after the first pass and do not drag the fit. Sums are taken with chunked_sum, so the
// result is the same for any thread count and on either backend.
#pragma once

#include <cmath>

#include <cstdint>
#include <cuda/atomic>
#include <utility>
#include <vector>

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

// ---- multivariate normalisation --------------------------------------------------------
// ref_b ~ sum_p A_bp scene_p + c_b: every reference band predicted from all scene bands.
// A per-band line cannot follow the seasons: fields, forest and bare soil change their
// spectra differently between September and December, while a linear map in band space
// follows them together (the idea behind MAD/IR-MAD relative normalisation). Up to
// mv_max_bands bands; more fall back to per-band lines.
inline constexpr int mv_max_bands = 8;
inline constexpr int mv_dim = mv_max_bands + 1;  // bands + constant
// terms: the upper triangle of X^T X (mv_dim * (mv_dim + 1) / 2), then X^T y_b per band
inline constexpr int mv_terms = mv_dim * (mv_dim + 1) / 2 + mv_dim * mv_max_bands + 1;

struct mv_terms_fn {
  planar_view<const float> scene;
  planar_view<const float> ref;
  const std::uint8_t* covalid;
  const std::uint8_t* inlier;  // nullptr: every co-valid pixel

  SW_HD void operator()(index_t i, double* acc) const {
    if (!covalid[i] || (inlier != nullptr && !inlier[i])) return;
    const int nb = scene.bands;
    double x[mv_dim];
    for (int p = 0; p < nb; ++p) x[p] = scene.at(p, i);
    x[nb] = 1.0;
    int k = 0;
    for (int p = 0; p <= nb; ++p)
      for (int q = p; q <= nb; ++q) acc[k++] += x[p] * x[q];
    k = mv_dim * (mv_dim + 1) / 2;
    for (int b = 0; b < nb; ++b)
      for (int p = 0; p <= nb; ++p) acc[k + b * mv_dim + p] += x[p] * ref.at(b, i);
    acc[mv_terms - 1] += 1.0;
  }
};

// Applies the map: coefficients coef[b * mv_dim + p] (p = nb is the constant), in place.
struct mv_apply_fn {
  planar_view<float> bands;
  const float* coef;
  const std::uint8_t* valid;

  SW_HD void operator()(index_t i) const {
    if (!valid[i]) return;
    const int nb = bands.bands;
    float x[mv_max_bands];
    for (int p = 0; p < nb; ++p) x[p] = bands.at(p, i);
    for (int b = 0; b < nb; ++b) {
      float v = coef[b * mv_dim + nb];
      for (int p = 0; p < nb; ++p) v += coef[b * mv_dim + p] * x[p];
      bands.at(b, i) = v;
    }
  }
};

// ref_b - (the map's prediction of band b) at pixel i: the residual every robust step of
// the multivariate fit looks at.
SW_HD inline float mv_residual(const planar_view<const float>& scene,
                               const planar_view<const float>& ref, const float* coef, int b,
                               index_t i) {
  const int nb = scene.bands;
  float v = coef[b * mv_dim + nb];
  for (int p = 0; p < nb; ++p) v += coef[b * mv_dim + p] * scene.at(p, i);
  return ref.at(b, i) - v;
}

// CPU forms of the three residual passes below (kernels/cpu/backend.hpp): a tile of
// pixels band by band, each band's residuals in one loop with mv_residual's order of
// operations (the same floats, so the same results; tests/kernels/normalise_test.cpp),
// which the compiler vectorises where the per-pixel loop over bands does not.
inline constexpr index_t mv_tile = 256;

inline void mv_residual_tile(const planar_view<const float>& scene,
                             const planar_view<const float>& ref, const float* coef, int b,
                             index_t begin, index_t n, float* __restrict r) {
  const int nb = scene.bands;
  const float* c = coef + b * mv_dim;
  for (index_t k = 0; k < n; ++k) r[k] = c[nb];
  for (int p = 0; p < nb; ++p) {
    const float cp = c[p];
    const float* __restrict x = scene.data + p * scene.plane() + begin;
    for (index_t k = 0; k < n; ++k) r[k] += cp * x[k];
  }
  const float* __restrict y = ref.data + b * ref.plane() + begin;
  for (index_t k = 0; k < n; ++k) r[k] = y[k] - r[k];
}

// The largest |residual| over the bands on co-valid pixels, else -1 (sizes the
// histograms below).
struct mv_max_abs_residual_value {
  planar_view<const float> scene;
  planar_view<const float> ref;
  const float* coef;
  const std::uint8_t* covalid;

  SW_HD float operator()(index_t i) const {
    if (!covalid[i]) return -1.0f;
    float top = 0.0f;
    for (int b = 0; b < scene.bands; ++b) {
      const float r = mv_residual(scene, ref, coef, b, i);
      top = max_of(top, r < 0.0f ? -r : r);
    }
    return top;
  }

  // CPU form: max(0, the values of [begin, end)), what the clamped maximum over them is
  float range_max(index_t begin, index_t end) const {
    float all = 0.0f;
    float r[mv_tile], top[mv_tile];
    for (index_t t = begin; t < end; t += mv_tile) {
      const index_t n = min_of(mv_tile, end - t);
      for (index_t k = 0; k < n; ++k) top[k] = 0.0f;
      for (int b = 0; b < scene.bands; ++b) {
        mv_residual_tile(scene, ref, coef, b, t, n, r);
        for (index_t k = 0; k < n; ++k) top[k] = max_of(top[k], r[k] < 0.0f ? -r[k] : r[k]);
      }
      for (index_t k = 0; k < n; ++k)
        if (covalid[t + k]) all = max_of(all, top[k]);
    }
    return all;
  }
};

// Histograms of |residual| of every band in one pass: hist[b * bins + bin], one bin
// width for all bands.
struct mv_residual_histograms_fn {
  planar_view<const float> scene;
  planar_view<const float> ref;
  const float* coef;
  const std::uint8_t* covalid;
  float bin_width;
  int bins;
  std::uint32_t* hist;

  SW_HD void operator()(index_t i) const {
    if (!covalid[i]) return;
    for (int b = 0; b < scene.bands; ++b) {
      float r = mv_residual(scene, ref, coef, b, i);
      r = r < 0.0f ? -r : r;
      const float x = r / bin_width;
      const int bin = x >= static_cast<float>(bins - 1) ? bins - 1 : static_cast<int>(x);
      cuda::atomic_ref<std::uint32_t, cuda::thread_scope_device> h(hist[b * bins + bin]);
      h.fetch_add(1u, cuda::memory_order_relaxed);
    }
  }

  // CPU form: band after band within a tile (counts do not depend on the order)
  void run_range(index_t begin, index_t end) const {
    float r[mv_tile];
    for (index_t t = begin; t < end; t += mv_tile) {
      const index_t n = min_of(mv_tile, end - t);
      for (int b = 0; b < scene.bands; ++b) {
        mv_residual_tile(scene, ref, coef, b, t, n, r);
        for (index_t k = 0; k < n; ++k) {
          if (!covalid[t + k]) continue;
          const float a = r[k] < 0.0f ? -r[k] : r[k];
          const float x = a / bin_width;
          const int bin = x >= static_cast<float>(bins - 1) ? bins - 1 : static_cast<int>(x);
          cuda::atomic_ref<std::uint32_t, cuda::thread_scope_device> h(hist[b * bins + bin]);
          h.fetch_add(1u, cuda::memory_order_relaxed);
        }
      }
    }
  }
};

// inlier = co-valid and every band's residual within its cut.
struct mv_inlier_fn {
  planar_view<const float> scene;
  planar_view<const float> ref;
  const float* coef;
  const float* cut;
  const std::uint8_t* covalid;
  std::uint8_t* inlier;

  SW_HD void operator()(index_t i) const {
    bool ok = covalid[i] != 0;
    for (int b = 0; ok && b < scene.bands; ++b) {
      const float r = mv_residual(scene, ref, coef, b, i);
      ok = r <= cut[b] && r >= -cut[b];
    }
    inlier[i] = ok ? 1 : 0;
  }

  // CPU form: every band's test on the whole tile, and-ed (the same answer as stopping at
  // the first band that fails)
  void run_range(index_t begin, index_t end) const {
    float r[mv_tile];
    std::uint8_t ok[mv_tile];
    for (index_t t = begin; t < end; t += mv_tile) {
      const index_t n = min_of(mv_tile, end - t);
      for (index_t k = 0; k < n; ++k) ok[k] = covalid[t + k] != 0;
      for (int b = 0; b < scene.bands; ++b) {
        mv_residual_tile(scene, ref, coef, b, t, n, r);
        const float c = cut[b];
        for (index_t k = 0; k < n; ++k) ok[k] &= static_cast<std::uint8_t>(r[k] <= c && r[k] >= -c);
      }
      for (index_t k = 0; k < n; ++k) inlier[t + k] = ok[k] ? 1 : 0;
    }
  }
};

// Solves the n x n system m x = rhs (m row-major, n <= 16) by Gaussian elimination with
// partial pivoting, scaled so that the pivot test is relative. False when singular.
inline bool solve_linear(std::vector<double> m, std::vector<double> rhs, int n, double* out) {
  double scale = 0.0;
  for (double v : m) scale = v > scale ? v : (-v > scale ? -v : scale);
  if (!(scale > 0.0)) return false;
  for (int c = 0; c < n; ++c) {
    int piv = c;
    for (int r = c + 1; r < n; ++r)
      if (std::fabs(m[r * n + c]) > std::fabs(m[piv * n + c])) piv = r;
    if (!(std::fabs(m[piv * n + c]) > 1e-13 * scale)) return false;
    if (piv != c) {
      for (int k = 0; k < n; ++k) std::swap(m[c * n + k], m[piv * n + k]);
      std::swap(rhs[c], rhs[piv]);
    }
    for (int r = c + 1; r < n; ++r) {
      const double f = m[r * n + c] / m[c * n + c];
      for (int k = c; k < n; ++k) m[r * n + k] -= f * m[c * n + k];
      rhs[r] -= f * rhs[c];
    }
  }
  for (int c = n - 1; c >= 0; --c) {
    double v = rhs[c];
    for (int k = c + 1; k < n; ++k) v -= m[c * n + k] * out[k];
    out[c] = v / m[c * n + c];
  }
  return true;
}

}  // namespace sw::kern
