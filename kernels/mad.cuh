// Iteratively reweighted multivariate alteration detection, IR-MAD (`[change] method =
// "mad"`): which pixels changed, judged in the space where the scene and the reference are
// most alike.
//
// Nielsen, Conradsen & Simpson, "Multivariate alteration detection (MAD) and MAF
// postprocessing in multispectral, bitemporal image data", Remote Sensing of Environment
// 64(1), 1998; Nielsen, "The regularized iteratively reweighted MAD method for change
// detection in multi- and hyperspectral data", IEEE Transactions on Image Processing 16(2),
// 2007. Canonical correlation analysis of the reference X and the scene Y gives pairs of
// variates U_i = a_i^T (X - mean_X), V_i = b_i^T (Y - mean_Y) with unit variance and
// correlation rho_i, as large as linear maps allow; their differences M_i = U_i - V_i (the
// MAD variates) are uncorrelated with variance 2 (1 - rho_i). Over unchanged pixels
// Z = sum_i M_i^2 / (2 (1 - rho_i)) is close to chi-square with `bands` degrees of freedom;
// each round weights every pixel by its probability of no change, P(chi2 > Z), and fits
// again, so that changed pixels stop steering the transform. Any invertible affine map of
// either image (gains, offsets, band mixing: haze, season, another sensor) leaves the MAD
// variates unchanged.
//
// The change magnitude is then 100 x sqrt(Z), with the registration tolerance of
// change.cuh taken as one shift for all variates (the least Z over the reference sampled
// within +-r px). Thresholds (otsu, kmad, fixed) apply to it as to the plain magnitude.
//
// The functors run on both backends; the transform (a generalised symmetric eigenproblem of
// at most 8 x 8) is solved on the host (mad_solve), in double precision.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/change.cuh"
#include "kernels/common.hpp"
#include "kernels/reduce.hpp"

namespace sw::kern {

// The most bands IR-MAD handles (its moments are 2 x bands variables); more fall back to
// the plain change vector (docs/ALGORITHMS.md).
inline constexpr int mad_max_bands = 8;
inline constexpr int mad_vars = 2 * mad_max_bands;
// terms: the weight sum, the weighted sums of the 2 x bands variables (reference bands,
// then scene bands), and the upper triangle of their weighted cross products
inline constexpr int mad_terms = 1 + mad_vars + mad_vars * (mad_vars + 1) / 2;
// 100 x sqrt(Z): the magnitude's unit is a hundredth of the no-change standard deviation,
// so that the thresholds' histograms (unit-wide bins near 0) resolve it.
inline constexpr double mad_magnitude_scale = 100.0;
// Rounds of reweighting at most, and the change of every canonical correlation below which
// the weights have settled (Canty's implementation of IR-MAD stops at 0.001: Canty, "Image
// Analysis, Classification and Change Detection in Remote Sensing", 4th ed., 2019, ch. 9).
inline constexpr int mad_max_rounds = 30;
inline constexpr double mad_rho_tolerance = 1e-3;

// The transform, on the device: per variate i, a_i (reference) and b_i (scene) over the
// bands, the means, and 1 / var(M_i). Layout of `coef` (floats): a[i * nb + b], then
// b[i * nb + b], mean_x[b], mean_y[b], inv_var[i] (mad_coef_size(nb) floats).
SW_HD inline int mad_coef_size(int nb) {
  return 2 * nb * nb + 3 * nb;
}

// P(chi2_k > z): the survival function of the chi-square distribution with k degrees of
// freedom, closed forms for integer k (Abramowitz & Stegun 26.4.4, 26.4.5).
SW_HD inline double chi2_survival(double z, int k) {
  if (!(z > 0.0)) return 1.0;
  const double h = 0.5 * z;
  const double e = exp(-h);
  double sum = 0.0, term;
  if (k % 2 == 0) {  // e^-h sum_{j < k/2} h^j / j!
    term = 1.0;
    for (int j = 0; j < k / 2; ++j) {
      sum += term;
      term *= h / (j + 1);
    }
    return e * sum;
  }
  // erfc(sqrt(h)) + e^-h sum_{j < (k-1)/2} h^(j+1/2) / Gamma(j + 3/2)
  term = sqrt(h) * 1.1283791670955126;  // h^(1/2) / Gamma(3/2)
  for (int j = 0; j < (k - 1) / 2; ++j) {
    sum += term;
    term *= h / (j + 1.5);
  }
  return erfc(sqrt(h)) + e * sum;
}

// The weighted moments of the pixels valid in both (weight nullptr: 1 each).
struct mad_moments_fn {
  planar_view<const float> ref;
  planar_view<const float> scene;
  const std::uint8_t* covalid;
  const float* weight;

  SW_HD void operator()(index_t i, double* acc) const {
    if (!covalid[i]) return;
    const double wt = weight != nullptr ? static_cast<double>(weight[i]) : 1.0;
    if (!(wt > 0.0)) return;
    const int nb = ref.bands, nv = 2 * nb;
    double x[mad_vars];
    for (int b = 0; b < nb; ++b) {
      x[b] = ref.at(b, i);
      x[nb + b] = scene.at(b, i);
    }
    acc[0] += wt;
    for (int v = 0; v < nv; ++v) acc[1 + v] += wt * x[v];
    int k = 1 + mad_vars;
    for (int p = 0; p < nv; ++p)
      for (int q = p; q < nv; ++q) acc[k++] += wt * x[p] * x[q];
  }
};

// The MAD variates of one pixel into m[nb] (the reference's minus the scene's), and their
// chi-square statistic.
SW_HD inline double mad_chi2(const float* coef, int nb, const float* x, const float* y) {
  const float* a = coef;
  const float* bb = coef + nb * nb;
  const float* mx = coef + 2 * nb * nb;
  const float* my = mx + nb;
  const float* inv_var = my + nb;
  double z = 0.0;
  for (int i = 0; i < nb; ++i) {
    float u = 0.0f, v = 0.0f;
    for (int b = 0; b < nb; ++b) {
      u += a[i * nb + b] * (x[b] - mx[b]);
      v += bb[i * nb + b] * (y[b] - my[b]);
    }
    const double m = static_cast<double>(u) - v;
    z += m * m * inv_var[i];
  }
  return z;
}

// Each pixel's weight for the next round: its probability of no change, P(chi2 > Z).
struct mad_weight_fn {
  planar_view<const float> ref;
  planar_view<const float> scene;
  const std::uint8_t* covalid;
  const float* coef;
  float* weight;

  SW_HD void operator()(index_t i) const {
    if (!covalid[i]) {
      weight[i] = 0.0f;
      return;
    }
    const int nb = ref.bands;
    float x[mad_max_bands], y[mad_max_bands];
    for (int b = 0; b < nb; ++b) {
      x[b] = ref.at(b, i);
      y[b] = scene.at(b, i);
    }
    weight[i] = static_cast<float>(chi2_survival(mad_chi2(coef, nb, x, y), nb));
  }
};

// The canonical variates of one image: out_i = c_i^T (in - mean) for the reference (a,
// mean_x; scene = false) or the scene (b, mean_y). Planes of the same layout as the bands,
// so that change.cuh's envelope and magnitude apply to them.
struct mad_variates_fn {
  planar_view<const float> in;
  const float* coef;
  bool scene;
  planar_view<float> out;

  SW_HD void operator()(index_t i) const {
    const int nb = in.bands;
    const float* c = coef + (scene ? nb * nb : 0);
    const float* m = coef + 2 * nb * nb + (scene ? nb : 0);
    float x[mad_max_bands];
    for (int b = 0; b < nb; ++b) x[b] = in.at(b, i) - m[b];
    for (int v = 0; v < nb; ++v) {
      float s = 0.0f;
      for (int b = 0; b < nb; ++b) s += c[v * nb + b] * x[b];
      out.at(v, i) = s;
    }
  }
};

// The magnitude of the MAD variates: raw = 100 sqrt(Z) of the pixel against the reference's
// variates at the same place; magnitude = the least 100 sqrt(Z) over the reference's
// variates sampled at the 3 x 3 offsets {-r, 0, r}^2 (one offset for all variates: a
// misregistration shifts every band alike), so that what a residual misregistration
// explains is not change. `env` supplies the sampling (change.cuh): its `ref` is the
// reference's variates, its `valid` the reference's; its lo/hi are not used.
struct mad_magnitude_fn {
  reference_envelope_fn env;
  planar_view<const float> v;  // the scene's variates
  const float* weights;        // (100)^2 / var(M_i)
  const std::uint8_t* covalid;
  bool tolerance;  // r > 0
  float* magnitude;
  float* raw;

  SW_HD void operator()(int x, int y) const {
    const index_t i = static_cast<index_t>(y) * v.width + x;
    if (!covalid[i]) {
      magnitude[i] = raw[i] = -1.0f;
      return;
    }
    const int nb = v.bands;
    float z0 = 0.0f;
    for (int b = 0; b < nb; ++b) {
      const float d = v.at(b, i) - env.ref.at(b, i);
      z0 += weights[b] * d * d;
    }
    float best = z0;
    for (int k = 0; tolerance && k < 8; ++k) {
      index_t tap[4];
      if (!env.sample_ok(k, x, y, tap)) continue;
      float z = 0.0f;
      for (int b = 0; b < nb; ++b) {
        const float d = v.at(b, i) - env.sample(k, b, tap);
        z += weights[b] * d * d;
      }
      best = min_of(best, z);
    }
    raw[i] = sqrtf(z0);
    magnitude[i] = sqrtf(best);
  }
};

// ---- host: the transform from the moments -------------------------------------------------

// The consistency factor of the reweighted fit. Weights P(chi2_k > Z) down-weight the
// no-change distribution's own tail, so a weighted fit sees the MAD variates narrower than
// they are: for Gaussian no-change, E[w Z] / (k E[w]) with Z ~ chi2_k (k = 1: 0.363, 2: 1/2,
// 4: 5/8, 8: 0.727). Left uncorrected, 2 (1 - rho) shrinks by about that factor every round
// and Z grows with it (a pure-noise pair with 4 bands: the median of Z 2.6 after the first
// round, 4.7, 6.3, ... 10.6 after ten, chi-square(4)'s being 3.4; with the factor 3.2 from
// the second round on). The same correction as the consistency factors of reweighted robust
// covariance estimators (Croux & Haesbroeck, "Influence function and efficiency of the
// minimum covariance determinant scatter matrix estimator", Journal of Multivariate Analysis
// 71(2), 1999). Computed by Simpson's rule over t = sqrt(z), where the integrands are
// smooth for every k >= 1: 4001 evaluations of chi2_survival, so once per k for the
// process (mad_weight_consistency), not once per round of every scene.
inline double mad_weight_consistency_integral(int k) {
  const int steps = 4000;
  const double top = 40.0, h = top / steps;  // t = sqrt(z) up to 40: z up to 1600
  double num = 0.0, den = 0.0;
  for (int i = 0; i <= steps; ++i) {
    const double t = i * h, z = t * t;
    // chi2_k density at z times dz/dt = 2t, up to a constant factor that cancels
    const double dens = std::exp((k - 1) * std::log(std::max(t, 1e-300)) - 0.5 * z);
    const double c = (i == 0 || i == steps) ? 1.0 : (i % 2 ? 4.0 : 2.0);
    const double wq = chi2_survival(z, k) * dens * c;
    num += wq * z;
    den += wq;
  }
  return num / (den * k);
}

// The factor for k = 1..mad_max_bands degrees of freedom, integrated on first use.
inline double mad_weight_consistency(int k) {
  static const std::array<double, mad_max_bands + 1> factors = [] {
    std::array<double, mad_max_bands + 1> f{};
    for (int j = 1; j <= mad_max_bands; ++j) f[j] = mad_weight_consistency_integral(j);
    return f;
  }();
  return factors[k];
}

// Cholesky factor L (lower, row-major, in place) of the n x n symmetric matrix m. False when
// m is not positive definite (a constant band, two identical bands).
inline bool cholesky_lower(std::vector<double>& m, int n) {
  for (int j = 0; j < n; ++j) {
    double d = m[j * n + j];
    for (int k = 0; k < j; ++k) d -= m[j * n + k] * m[j * n + k];
    if (!(d > 1e-12 * (std::fabs(m[j * n + j]) + 1e-300))) return false;
    d = std::sqrt(d);
    m[j * n + j] = d;
    for (int i = j + 1; i < n; ++i) {
      double s = m[i * n + j];
      for (int k = 0; k < j; ++k) s -= m[i * n + k] * m[j * n + k];
      m[i * n + j] = s / d;
    }
    for (int k = j + 1; k < n; ++k) m[j * n + k] = 0.0;
  }
  return true;
}

// Eigen decomposition of the symmetric n x n matrix m (destroyed) by cyclic Jacobi
// rotations (Golub & Van Loan, Matrix Computations, 4th ed., 8.5.3): values[i] and the
// column vectors[. * n + i], sorted by decreasing value. Hand-written: n <= 8, and the
// engine's host code is also compiled by nvcc, where a matrix library would be a new
// dependency for sixty lines.
inline void symmetric_eigen(std::vector<double> m, int n, std::vector<double>& values,
                            std::vector<double>& vectors) {
  vectors.assign(static_cast<std::size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) vectors[i * n + i] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0, total = 0.0;
    for (int p = 0; p < n; ++p)
      for (int q = 0; q < n; ++q) {
        total += m[p * n + q] * m[p * n + q];
        if (p != q) off += m[p * n + q] * m[p * n + q];
      }
    if (!(off > 1e-30 * total)) break;
    for (int p = 0; p < n - 1; ++p)
      for (int q = p + 1; q < n; ++q) {
        const double apq = m[p * n + q];
        if (apq == 0.0) continue;
        const double theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
        const double t =
            (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1.0 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // columns p, q
          const double mkp = m[k * n + p], mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < n; ++k) {  // rows p, q
          const double mpk = m[p * n + k], mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (int k = 0; k < n; ++k) {
          const double vkp = vectors[k * n + p], vkq = vectors[k * n + q];
          vectors[k * n + p] = c * vkp - s * vkq;
          vectors[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return m[x * n + x] > m[y * n + y]; });
  values.resize(n);
  std::vector<double> sorted(static_cast<std::size_t>(n) * n);
  for (int i = 0; i < n; ++i) {
    values[i] = m[order[i] * n + order[i]];
    for (int k = 0; k < n; ++k) sorted[k * n + i] = vectors[k * n + order[i]];
  }
  vectors = std::move(sorted);
}

// The transform from the moments of mad_moments_fn: the canonical correlations rho (in
// decreasing order) and the float coefficients of mad_coef_size(nb). False when too few
// pixels take part or a covariance is singular.
struct mad_transform {
  std::vector<double> rho;
  std::vector<float> coef;
};

// `weighted`: the moments were weighted by mad_weight_fn (the variances are then corrected
// by mad_weight_consistency). Longer than 80 lines on purpose: it is one textbook
// computation (Nielsen 2007, eqs. 1-9: covariances, the generalized eigenproblem by Cholesky
// whitening, sign and order conventions, the MAD variances) written as the paper reads.
inline bool mad_solve(const std::array<double, mad_terms>& s, int nb, mad_transform& t,
                      bool weighted = false) {
  const int nv = 2 * nb;
  const double w = s[0];
  if (!(w >= 20.0 * (nv + 1))) return false;
  std::vector<double> mean(nv), cov(static_cast<std::size_t>(nv) * nv);
  for (int v = 0; v < nv; ++v) mean[v] = s[1 + v] / w;
  int k = 1 + mad_vars;
  for (int p = 0; p < nv; ++p)
    for (int q = p; q < nv; ++q) cov[p * nv + q] = cov[q * nv + p] = s[k++] / w - mean[p] * mean[q];
  auto block = [&](int r0, int c0) {  // an nb x nb block of cov
    std::vector<double> m(static_cast<std::size_t>(nb) * nb);
    for (int i = 0; i < nb; ++i)
      for (int j = 0; j < nb; ++j) m[i * nb + j] = cov[(r0 + i) * nv + c0 + j];
    return m;
  };
  std::vector<double> l11 = block(0, 0), l22 = block(nb, nb);
  const std::vector<double> s12 = block(0, nb);
  if (!cholesky_lower(l11, nb) || !cholesky_lower(l22, nb)) return false;
  // forward/back substitution with a lower Cholesky factor: solves L y = rhs, L^T x = rhs
  auto lower_solve = [nb](const std::vector<double>& l, std::vector<double> r) {
    for (int i = 0; i < nb; ++i) {
      for (int j = 0; j < i; ++j) r[i] -= l[i * nb + j] * r[j];
      r[i] /= l[i * nb + i];
    }
    return r;
  };
  auto upper_solve = [nb](const std::vector<double>& l, std::vector<double> r) {
    for (int i = nb - 1; i >= 0; --i) {
      for (int j = i + 1; j < nb; ++j) r[i] -= l[j * nb + i] * r[j];
      r[i] /= l[i * nb + i];
    }
    return r;
  };
  // G = L22^-1 S21 (column by column), then C = L11^-1 (G^T G) L11^-T: symmetric, its
  // eigenvalues rho^2 and eigenvectors y give a = L11^-T y.
  std::vector<double> g(static_cast<std::size_t>(nb) * nb);  // g[i * nb + j] = (L22^-1 S21)_ij
  for (int j = 0; j < nb; ++j) {
    std::vector<double> col(nb);
    for (int i = 0; i < nb; ++i) col[i] = s12[j * nb + i];  // S21 = S12^T
    col = lower_solve(l22, col);
    for (int i = 0; i < nb; ++i) g[i * nb + j] = col[i];
  }
  std::vector<double> gtg(static_cast<std::size_t>(nb) * nb, 0.0);
  for (int i = 0; i < nb; ++i)
    for (int j = 0; j < nb; ++j)
      for (int r = 0; r < nb; ++r) gtg[i * nb + j] += g[r * nb + i] * g[r * nb + j];
  std::vector<double> c(static_cast<std::size_t>(nb) * nb);
  for (int j = 0; j < nb; ++j) {  // L11^-1 gtg, column by column
    std::vector<double> col(nb);
    for (int i = 0; i < nb; ++i) col[i] = gtg[i * nb + j];
    col = lower_solve(l11, col);
    for (int i = 0; i < nb; ++i) c[i * nb + j] = col[i];
  }
  for (int i = 0; i < nb; ++i) {  // (L11^-1 gtg) L11^-T = (L11^-1 (L11^-1 gtg)^T)^T
    std::vector<double> row(nb);
    for (int j = 0; j < nb; ++j) row[j] = c[i * nb + j];
    row = lower_solve(l11, row);
    for (int j = 0; j < nb; ++j) c[i * nb + j] = row[j];
  }
  for (int i = 0; i < nb; ++i)
    for (int j = i + 1; j < nb; ++j)
      c[i * nb + j] = c[j * nb + i] = 0.5 * (c[i * nb + j] + c[j * nb + i]);
  std::vector<double> values, vectors;
  symmetric_eigen(c, nb, values, vectors);

  t.rho.assign(nb, 0.0);
  t.coef.assign(mad_coef_size(nb), 0.0f);
  float* a = t.coef.data();
  float* bcoef = a + nb * nb;
  float* mx = bcoef + nb * nb;
  float* my = mx + nb;
  float* inv_var = my + nb;
  for (int b = 0; b < nb; ++b) {
    mx[b] = static_cast<float>(mean[b]);
    my[b] = static_cast<float>(mean[nb + b]);
  }
  const double consistency = weighted ? mad_weight_consistency(nb) : 1.0;
  for (int i = 0; i < nb; ++i) {
    const double rho = std::sqrt(std::clamp(values[i], 0.0, 1.0));
    t.rho[i] = rho;
    std::vector<double> y(nb);
    for (int r = 0; r < nb; ++r) y[r] = vectors[r * nb + i];
    const std::vector<double> ai = upper_solve(l11, y);  // a = L11^-T y: a^T S11 a = 1
    // b = S22^-1 S21 a / rho: unit variance, positively correlated with a's variate
    std::vector<double> s21a(nb, 0.0);
    for (int r = 0; r < nb; ++r)
      for (int q = 0; q < nb; ++q) s21a[r] += s12[q * nb + r] * ai[q];
    std::vector<double> bi = upper_solve(l22, lower_solve(l22, s21a));
    for (int r = 0; r < nb; ++r) bi[r] = rho > 1e-9 ? bi[r] / rho : 0.0;
    for (int r = 0; r < nb; ++r) {
      a[i * nb + r] = static_cast<float>(ai[r]);
      bcoef[i * nb + r] = static_cast<float>(bi[r]);
    }
    // var(M_i) = 2 (1 - rho_i), floored: identical images would give 0
    inv_var[i] = static_cast<float>(consistency / std::max(2.0 * (1.0 - rho), 1e-6));
  }
  return true;
}

// IR-MAD's rounds on a backend: fit on the pixels of `sample` (all weights 1), weight every
// pixel by its probability of no change (mad_weight_fn), fit again, until no canonical
// correlation moves by mad_rho_tolerance or mad_max_rounds have run. The transform is left
// in `t` and on the device in `coef` (mad_coef_size(nb) floats); `rounds` receives the fits
// made. False when even the first fit fails (a later failure keeps the previous fit).
template <class Backend, class Buffer>
bool fit_irmad(const Backend& be, planar_view<const float> ref, planar_view<const float> scene,
               const std::uint8_t* sample, Buffer& coef, mad_transform& t, int* rounds = nullptr) {
  const int nb = ref.bands;
  const index_t n = ref.plane();
  auto weight = be.template alloc<float>(n);
  bool fitted = false;
  int round = 0;
  while (round < mad_max_rounds) {
    const auto s = chunked_sum<mad_terms>(
        be, n, mad_moments_fn{ref, scene, sample, round > 0 ? weight.data() : nullptr});
    mad_transform next;
    if (!mad_solve(s, nb, next, round > 0)) break;
    ++round;
    double moved = 0.0;
    for (int i = 0; fitted && i < nb; ++i)
      moved = std::max(moved, std::fabs(next.rho[i] - t.rho[i]));
    const bool settled = fitted && moved < mad_rho_tolerance;
    t = std::move(next);
    fitted = true;
    be.upload(coef, t.coef.data(), mad_coef_size(nb));
    if (settled) break;
    be.for_each(n, mad_weight_fn{ref, scene, sample, coef.data(), weight.data()});
  }
  if (rounds != nullptr) *rounds = round;
  return fitted;
}

}  // namespace sw::kern
