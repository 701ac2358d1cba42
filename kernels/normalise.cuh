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
#include "kernels/histogram.cuh"
#include "kernels/mask_ops.cuh"
#include "kernels/reduce.hpp"
#include "kernels/solve.hpp"

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

// ---- The launch sequence (host side, any backend) ---------------------------------------

// Inlier cut of the robust fits: 3 robust sigmas of the absolute residuals (their median
// is the MAD), at least 3 bins so that a near-perfect fit keeps its pixels.
inline double residual_cut(const sized_histogram& abs_residuals) {
  const double mad = histogram_quantile(abs_residuals.counts, abs_residuals.bin_width, 0.5);
  return std::max(3.0 * 1.4826 * mad, 3.0 * abs_residuals.bin_width);
}

// ref_b ~ A scene + c (normalise.cuh), least squares on co-valid pixels, then twice more
// on pixels whose residuals are within 3 robust sigmas in every band. False when the
// system is singular or too few pixels take part.
template <class Backend>
bool normalise_multivariate(const Backend& be, const grid_frame& g, const float* ref_bands,
                            typename Backend::template buffer<float>& bands,
                            const typename Backend::template buffer<std::uint8_t>& valid,
                            const typename Backend::template buffer<std::uint8_t>& covalid) {
  const int nb = g.bands, w = g.width, h = g.height;
  const index_t n = g.pixels();
  const int dim = nb + 1;
  planar_view<const float> sv{bands.data(), w, h, nb}, rv{ref_bands, w, h, nb};
  auto coef = be.template alloc<float>(mv_max_bands * mv_dim);
  auto cut = be.template alloc<float>(nb);
  auto inlier = be.template alloc<std::uint8_t>(n);
  std::vector<float> host_coef(mv_max_bands * mv_dim, 0.0f);
  bool use_inlier = false;
  for (int pass = 0; pass < 3; ++pass) {
    const auto s = chunked_sum<mv_terms>(
        be, n, mv_terms_fn{sv, rv, covalid.data(), use_inlier ? inlier.data() : nullptr});
    // too few pixels, or a singular system: keep the previous pass's map, if any
    if (s[mv_terms - 1] < 20.0 * dim) {
      if (pass == 0) return false;
      break;
    }
    // X^T X from the packed upper triangle (layout of mv_terms_fn: p <= q over dim)
    std::vector<double> xtx(static_cast<std::size_t>(dim) * dim);
    int k = 0;
    for (int p = 0; p < dim; ++p)
      for (int q = p; q < dim; ++q) xtx[p * dim + q] = xtx[q * dim + p] = s[k++];
    bool solved = true;
    for (int b = 0; b < nb && solved; ++b) {
      std::vector<double> rhs(dim);
      for (int p = 0; p < dim; ++p) rhs[p] = s[mv_dim * (mv_dim + 1) / 2 + b * mv_dim + p];
      double x[mv_dim];
      solved = solve_linear(xtx, rhs, dim, x);
      for (int p = 0; solved && p < nb; ++p) host_coef[b * mv_dim + p] = static_cast<float>(x[p]);
      if (solved) host_coef[b * mv_dim + nb] = static_cast<float>(x[nb]);
    }
    if (!solved) {
      if (pass == 0) return false;
      break;
    }
    be.upload(coef, host_coef.data(), mv_max_bands * mv_dim);
    if (pass == 2) break;
    // every band's residual histogram in one pass (one bin width for all bands)
    constexpr int bins = 8192;
    const float bw = bin_width_to_cover(
        be, n, mv_max_abs_residual_value{sv, rv, coef.data(), covalid.data()}, bins);
    auto hists = be.template alloc<std::uint32_t>(static_cast<index_t>(nb) * bins);
    be.fill(hists, std::uint32_t{0});
    be.for_each(
        n, mv_residual_histograms_fn{sv, rv, coef.data(), covalid.data(), bw, bins, hists.data()});
    const std::vector<std::uint32_t> all = be.to_host(hists);
    std::vector<float> host_cut(nb);
    for (int b = 0; b < nb; ++b) {
      sized_histogram hb;
      hb.bin_width = bw;
      hb.counts.assign(all.begin() + static_cast<std::ptrdiff_t>(b) * bins,
                       all.begin() + static_cast<std::ptrdiff_t>(b + 1) * bins);
      host_cut[b] = static_cast<float>(residual_cut(hb));
    }
    be.upload(cut, host_cut.data(), nb);
    be.for_each(n, mv_inlier_fn{sv, rv, coef.data(), cut.data(), covalid.data(), inlier.data()});
    use_inlier = true;
  }
  be.for_each(n, mv_apply_fn{{bands.data(), w, h, nb}, coef.data(), valid.data()});
  return true;
}

// Per band robust gain/offset (three passes), for many-band scenes or when the
// multivariate system is singular.
template <class Backend>
void normalise_per_band(const Backend& be, const grid_frame& g, const float* ref_bands,
                        typename Backend::template buffer<float>& bands,
                        const typename Backend::template buffer<std::uint8_t>& valid,
                        const typename Backend::template buffer<std::uint8_t>& covalid) {
  const int nb = g.bands;
  const index_t n = g.pixels();
  std::vector<float> gain(nb, 1.0f), offset(nb, 0.0f);
  for (int b = 0; b < nb; ++b) {
    const float* x = bands.data() + b * n;
    const float* y = ref_bands + b * n;
    float cut = -1.0f;
    for (int pass = 0; pass < 3; ++pass) {
      const auto s = chunked_sum<5>(
          be, n, gain_offset_terms_fn{x, y, covalid.data(), gain[b], offset[b], cut});
      if (s[0] < 2.0) break;
      const line_fit f = fit_line(s.data());
      gain[b] = static_cast<float>(f.gain);
      offset[b] = static_cast<float>(f.offset);
      const auto hist =
          auto_histogram(be, n, abs_residual_value{x, y, covalid.data(), gain[b], offset[b]}, 8192);
      cut = static_cast<float>(residual_cut(hist));
    }
  }
  auto gains = be.template alloc<float>(nb);
  auto offsets = be.template alloc<float>(nb);
  be.upload(gains, gain.data(), nb);
  be.upload(offsets, offset.data(), nb);
  be.for_each(
      n, apply_gain_offset_fn{
             {bands.data(), g.width, g.height, nb}, gains.data(), offsets.data(), valid.data()});
}

// Radiometric normalisation to the reference (docs/ALGORITHMS.md): the multivariate map
// where it can be fitted, else per-band lines.
template <class Backend>
void normalise_to_reference(const Backend& be, const grid_frame& g, const float* ref_bands,
                            const std::uint8_t* ref_valid,
                            typename Backend::template buffer<float>& bands,
                            const typename Backend::template buffer<std::uint8_t>& valid) {
  const index_t n = g.pixels();
  // The fit takes the pixels valid in both; on grids of ncc_subsample_pixels or more,
  // only those on a stride-2 lattice (a quarter: still thousands of samples for a
  // 9-parameter fit). The map then applies to every pixel.
  auto covalid = be.template alloc<std::uint8_t>(n);
  if (n >= ncc_subsample_pixels)
    be.for_each_2d(g.width, g.height,
                   lattice_and_fn{valid.data(), ref_valid, covalid.data(), g.width});
  else
    be.for_each(n, and_fn{valid.data(), ref_valid, covalid.data()});
  if (g.bands <= mv_max_bands && normalise_multivariate(be, g, ref_bands, bands, valid, covalid))
    return;
  normalise_per_band(be, g, ref_bands, bands, valid, covalid);
}

}  // namespace sw::kern
