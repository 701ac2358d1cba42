// IR-MAD (kernels/mad.cuh): the chi-square survival function against tabulated quantiles,
// the Jacobi eigen decomposition against its definition, the moments against naive sums,
// the transform against what canonical correlation analysis promises (unit-variance,
// uncorrelated variates, correlations rho, and a statistic that no affine map of the scene
// changes), and the magnitude against a naive minimum over the tolerance's offsets. The
// tests that launch kernels run on each backend (tests/kernels/backends.hpp); the host
// arithmetic's tests in host builds only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/mad.cuh"
#include "kernels/reduce.hpp"
#include "tests/kernels/backends.hpp"

namespace {

using sw::kern::index_t;

#if SW_TEST_HOST
TEST(mad, chi2_survival_matches_tabulated_quantiles) {
  // upper 5 % and 1 % points of chi-square (Abramowitz & Stegun, table 26.8)
  const double q95[] = {0,         3.841459,  5.991465,  7.814728, 9.487729,
                        11.070498, 12.591587, 14.067140, 15.507313};
  const double q99[] = {0,         6.634897,  9.210340,  11.344867, 13.276704,
                        15.086272, 16.811894, 18.475307, 20.090235};
  for (int k = 1; k <= 8; ++k) {
    EXPECT_NEAR(sw::kern::chi2_survival(q95[k], k), 0.05, 2e-7) << k;
    EXPECT_NEAR(sw::kern::chi2_survival(q99[k], k), 0.01, 2e-7) << k;
    EXPECT_EQ(sw::kern::chi2_survival(0.0, k), 1.0) << k;
    EXPECT_LT(sw::kern::chi2_survival(400.0, k), 1e-60) << k;
  }
}

TEST(mad, symmetric_eigen_reconstructs_the_matrix_with_orthonormal_sorted_vectors) {
  std::mt19937 rng(3);
  std::normal_distribution<double> g;
  for (int n : {1, 2, 5, 8}) {
    std::vector<double> m(n * n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j <= i; ++j) m[i * n + j] = m[j * n + i] = g(rng);
    std::vector<double> values, vectors;
    sw::kern::symmetric_eigen(m, n, values, vectors);
    for (int i = 0; i + 1 < n; ++i) EXPECT_GE(values[i], values[i + 1]);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        double rec = 0, dot = 0;
        for (int k = 0; k < n; ++k) {
          rec += vectors[i * n + k] * values[k] * vectors[j * n + k];
          dot += vectors[k * n + i] * vectors[k * n + j];
        }
        EXPECT_NEAR(rec, m[i * n + j], 1e-10) << n;
        EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-10) << n;
      }
  }
}
#endif

// A reference of nb correlated bands and a scene that is an affine map of it plus noise,
// with a changed block.
struct pair_case {
  static constexpr int w = 80, h = 60;
  int nb;
  sw::test::kvec<float> ref, scene;
  sw::test::kvec<std::uint8_t> covalid;
  pair_case(int nb_, unsigned seed) : nb(nb_) {
    const index_t n = static_cast<index_t>(w) * h;
    std::mt19937 rng(seed);
    std::normal_distribution<double> g;
    ref.resize(n * nb);
    scene.resize(n * nb);
    covalid.resize(n);
    std::vector<double> mix(nb * nb);
    for (auto& v : mix) v = 0.3 * g(rng);
    for (int b = 0; b < nb; ++b) mix[b * nb + b] += 1.0;
    for (index_t i = 0; i < n; ++i) {
      std::vector<double> x(nb);
      const double common = g(rng);
      for (int b = 0; b < nb; ++b) x[b] = 1000 + 300 * (common + 0.7 * g(rng)) + 100 * b;
      for (int b = 0; b < nb; ++b) {
        ref[b * n + i] = static_cast<float>(x[b]);
        double y = 200 + 40 * b;
        for (int c = 0; c < nb; ++c) y += mix[b * nb + c] * x[c];
        const int px = static_cast<int>(i % w), py = static_cast<int>(i / w);
        if (px >= 10 && px < 25 && py >= 10 && py < 20) y += (b % 2 ? 900 : -600);  // change
        scene[b * n + i] = static_cast<float>(y + 15 * g(rng));
      }
      covalid[i] = rng() % 17 != 0;
    }
  }
  sw::kern::planar_view<const float> rv() const { return {ref.data(), w, h, nb}; }
  sw::kern::planar_view<const float> sv() const { return {scene.data(), w, h, nb}; }
};

template <class Backend>
std::array<double, sw::kern::mad_terms> moments(const pair_case& c, const float* weight) {
  const auto be = sw::test::make<Backend>();
  return sw::kern::chunked_sum<sw::kern::mad_terms>(
      be, static_cast<index_t>(c.w) * c.h,
      sw::kern::mad_moments_fn{c.rv(), c.sv(), c.covalid.data(), weight});
}

template <class Backend>
class mad : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(mad, sw::test::backends, sw::test::backend_name);

TYPED_TEST(mad, moments_equal_naive_sums) {
  const pair_case c(3, 5);
  const index_t n = static_cast<index_t>(c.w) * c.h;
  sw::test::kvec<float> weight(n);
  for (index_t i = 0; i < n; ++i) weight[i] = static_cast<float>((i % 7) / 7.0);
  const std::vector<const float*> weightings = {nullptr, weight.data()};
  for (const float* wt : weightings) {
    const auto s = moments<TypeParam>(c, wt);
    const int nv = 2 * c.nb;
    std::vector<double> naive(sw::kern::mad_terms, 0.0);
    for (index_t i = 0; i < n; ++i) {
      if (!c.covalid[i]) continue;
      const double q = wt ? wt[i] : 1.0;
      std::vector<double> x(nv);
      for (int b = 0; b < c.nb; ++b) {
        x[b] = c.ref[b * n + i];
        x[c.nb + b] = c.scene[b * n + i];
      }
      naive[0] += q;
      for (int v = 0; v < nv; ++v) naive[1 + v] += q * x[v];
      int k = 1 + sw::kern::mad_vars;
      for (int p = 0; p < nv; ++p)
        for (int r = p; r < nv; ++r) naive[k++] += q * x[p] * x[r];
    }
    for (int k = 0; k < sw::kern::mad_terms; ++k)
      EXPECT_NEAR(s[k], naive[k], 1e-9 * std::max(1.0, std::fabs(naive[k]))) << k;
  }
}

// The variates of the transform, per pixel (mad_variates_fn launched on `Backend`).
template <class Backend>
std::vector<float> variates(const pair_case& c, const sw::kern::mad_transform& t, bool scene) {
  const index_t n = static_cast<index_t>(c.w) * c.h;
  sw::test::kvec<float> out(n * c.nb);
  const auto coef = sw::test::kernel_copy(t.coef);
  const auto be = sw::test::make<Backend>();
  be.for_each(n, sw::kern::mad_variates_fn{
                     scene ? c.sv() : c.rv(), coef.data(), scene, {out.data(), c.w, c.h, c.nb}});
  sw::test::finish(be);
  return sw::test::host(out);
}

TYPED_TEST(mad, transform_gives_unit_uncorrelated_variates_correlated_by_rho) {
  for (int nb : {2, 4, 6}) {
    const pair_case c(nb, 11 + nb);
    sw::kern::mad_transform t;
    ASSERT_TRUE(sw::kern::mad_solve(moments<TypeParam>(c, nullptr), nb, t)) << nb;
    for (int i = 0; i + 1 < nb; ++i) EXPECT_GE(t.rho[i], t.rho[i + 1]);
    const auto u = variates<TypeParam>(c, t, false), v = variates<TypeParam>(c, t, true);
    const index_t n = static_cast<index_t>(c.w) * c.h;
    double cnt = 0;
    for (index_t i = 0; i < n; ++i) cnt += c.covalid[i];
    auto cov = [&](const std::vector<float>& a, int i, const std::vector<float>& b, int j) {
      double s = 0, sa = 0, sb = 0;
      for (index_t k = 0; k < n; ++k)
        if (c.covalid[k]) {
          sa += a[i * n + k];
          sb += b[j * n + k];
          s += static_cast<double>(a[i * n + k]) * b[j * n + k];
        }
      return s / cnt - (sa / cnt) * (sb / cnt);
    };
    for (int i = 0; i < nb; ++i) {
      for (int j = 0; j < nb; ++j) {
        EXPECT_NEAR(cov(u, i, u, j), i == j ? 1.0 : 0.0, 2e-3) << nb << " " << i << j;
        EXPECT_NEAR(cov(v, i, v, j), i == j ? 1.0 : 0.0, 2e-3) << nb << " " << i << j;
        EXPECT_NEAR(cov(u, i, v, j), i == j ? t.rho[i] : 0.0, 2e-3) << nb << " " << i << j;
      }
      EXPECT_GT(t.rho[i], 0.0);
      EXPECT_LT(t.rho[i], 1.0);
    }
  }
}

// IR-MAD's rounds as the engine runs them (fit_irmad), on `Backend`.
template <class Backend>
sw::kern::mad_transform irmad(const pair_case& c) {
  const auto be = sw::test::make<Backend>();
  auto coef = be.template alloc<float>(sw::kern::mad_coef_size(c.nb));
  sw::kern::mad_transform t;
  int rounds = 0;
  EXPECT_TRUE(sw::kern::fit_irmad(be, c.rv(), c.sv(), c.covalid.data(), coef, t, &rounds));
  EXPECT_GT(rounds, 1);
  EXPECT_LE(rounds, sw::kern::mad_max_rounds);
  return t;
}

TYPED_TEST(mad, the_statistic_does_not_change_under_an_affine_map_of_the_scene) {
  const int nb = 4;
  pair_case c(nb, 21);
  const sw::kern::mad_transform t1 = irmad<TypeParam>(c);
  const index_t n = static_cast<index_t>(c.w) * c.h;
  auto chi = [&](const sw::kern::mad_transform& t) {
    std::vector<double> z(n);
    for (index_t i = 0; i < n; ++i) {
      float x[nb], y[nb];
      for (int b = 0; b < nb; ++b) {
        x[b] = c.ref[b * n + i];
        y[b] = c.scene[b * n + i];
      }
      z[i] = sw::kern::mad_chi2(t.coef.data(), nb, x, y);
    }
    return z;
  };
  const auto z1 = chi(t1);
  // haze, another sensor: gains, offsets, band mixing
  const double map[nb][nb] = {
      {1.3, 0.1, 0, 0}, {0.05, 0.8, 0.1, 0}, {0, 0, 1.1, -0.2}, {0.1, 0, 0, 0.9}};
  std::vector<float> mapped(c.scene.size());
  for (index_t i = 0; i < n; ++i)
    for (int b = 0; b < nb; ++b) {
      double y = 250.0 * b - 100;
      for (int k = 0; k < nb; ++k) y += map[b][k] * c.scene[k * n + i];
      mapped[b * n + i] = static_cast<float>(y);
    }
  c.scene.assign(mapped.begin(), mapped.end());
  const sw::kern::mad_transform t2 = irmad<TypeParam>(c);
  const auto z2 = chi(t2);
  for (int i = 0; i < nb; ++i) EXPECT_NEAR(t1.rho[i], t2.rho[i], 1e-6) << i;
  for (index_t i = 0; i < n; ++i) ASSERT_NEAR(z1[i], z2[i], 1e-3 * std::max(1.0, z1[i])) << i;
  // and the changed block stands out: every one of its pixels above the 99th percentile
  // of the quiet ones (Z's scale is not chi-square's: see mad_rho_tolerance)
  std::vector<double> quiet;
  double block_min = 1e300;
  for (index_t i = 0; i < n; ++i) {
    const int px = static_cast<int>(i % c.w), py = static_cast<int>(i / c.w);
    if (px >= 10 && px < 25 && py >= 10 && py < 20)
      block_min = std::min(block_min, z1[i]);
    else
      quiet.push_back(z1[i]);
  }
  std::nth_element(quiet.begin(), quiet.begin() + quiet.size() * 99 / 100, quiet.end());
  EXPECT_GT(block_min, quiet[quiet.size() * 99 / 100]);
  // the quiet pixels' Z is chi-square(4) as the model says (its median 3.357), the weighted
  // rounds' variances corrected by mad_weight_consistency (uncorrected: about 6 after three
  // rounds, growing)
  std::nth_element(quiet.begin(), quiet.begin() + quiet.size() / 2, quiet.end());
  EXPECT_NEAR(quiet[quiet.size() / 2], 3.357, 0.4);
}

#if SW_TEST_HOST
TEST(mad, weight_consistency_factor_matches_its_closed_forms) {
  // E[w Z] / (k E[w]), w = P(chi2_k > Z), Z ~ chi2_k: for even k a rational number
  EXPECT_NEAR(sw::kern::mad_weight_consistency(2), 0.5, 1e-6);
  EXPECT_NEAR(sw::kern::mad_weight_consistency(4), 0.625, 1e-6);
  EXPECT_NEAR(sw::kern::mad_weight_consistency(6), 0.6875, 1e-6);
  EXPECT_NEAR(sw::kern::mad_weight_consistency(8), 93.0 / 128.0, 1e-6);
  EXPECT_NEAR(sw::kern::mad_weight_consistency(1), 0.3634, 1e-4);  // numerically (scipy)
}
#endif

TYPED_TEST(mad, solve_refuses_a_constant_band_and_too_few_pixels) {
  pair_case c(3, 2);
  const index_t n = static_cast<index_t>(c.w) * c.h;
  sw::kern::mad_transform t;
  for (index_t i = 0; i < n; ++i) c.scene[n + i] = 500.0f;  // band 1 constant
  EXPECT_FALSE(sw::kern::mad_solve(moments<TypeParam>(c, nullptr), 3, t));
  pair_case d(3, 2);
  std::fill(d.covalid.begin(), d.covalid.end(), 0);
  for (int i = 0; i < 100; ++i) d.covalid[i * 7] = 1;  // 100 pixels for 6 variables
  EXPECT_FALSE(sw::kern::mad_solve(moments<TypeParam>(d, nullptr), 3, t));
}

TYPED_TEST(mad, magnitude_equals_a_naive_minimum_over_the_offsets) {
  const int w = 37, h = 23, nb = 3;
  const index_t n = static_cast<index_t>(w) * h;
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> val(-3.f, 3.f);
  sw::test::kvec<float> u(n * nb), v(n * nb), wts = {1e4f, 2.5e4f, 0.5e4f};
  sw::test::kvec<std::uint8_t> ref_valid(n), covalid(n);
  for (auto& x : u) x = val(rng);
  for (auto& x : v) x = val(rng);
  for (index_t i = 0; i < n; ++i) {
    ref_valid[i] = rng() % 9 != 0;
    covalid[i] = ref_valid[i] && rng() % 5 != 0;
  }
  for (float r : {0.0f, 0.5f, 0.8f}) {
    sw::test::kvec<float> mag(n), raw(n);
    const sw::kern::reference_envelope_fn sampler{{u.data(), w, h, nb},
                                                  ref_valid.data(),
                                                  sw::kern::make_envelope_offsets(r),
                                                  {nullptr, w, h, nb},
                                                  {nullptr, w, h, nb}};
    const auto be = sw::test::make<TypeParam>();
    be.for_each_2d(w, h,
                   sw::kern::mad_magnitude_fn{sampler,
                                              {v.data(), w, h, nb},
                                              wts.data(),
                                              covalid.data(),
                                              r > 0,
                                              mag.data(),
                                              raw.data()});
    sw::test::finish(be);
    // naive: bilinear samples of u at (x + ox r, y + oy r), every tap with weight valid
    auto sample = [&](int b, double sx, double sy, bool& ok) {
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      const double fx = sx - x0, fy = sy - y0;
      double s = 0;
      ok = true;
      for (int t = 0; t < 4; ++t) {
        const int tx = x0 + (t & 1), ty = y0 + (t >> 1);
        const double wt = ((t & 1) ? fx : 1 - fx) * ((t >> 1) ? fy : 1 - fy);
        if (wt == 0) continue;
        if (tx < 0 || ty < 0 || tx >= w || ty >= h || !ref_valid[ty * w + tx]) {
          ok = false;
          return 0.0;
        }
        s += wt * u[b * n + ty * w + tx];
      }
      return s;
    };
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const index_t i = static_cast<index_t>(y) * w + x;
        if (!covalid[i]) {
          EXPECT_EQ(mag[i], -1.0f);
          continue;
        }
        double best = 1e300, z0 = 0;
        for (int oy = -1; oy <= 1; ++oy)
          for (int ox = -1; ox <= 1; ++ox) {
            if (r == 0 && (ox || oy)) continue;
            double z = 0;
            bool ok = true;
            for (int b = 0; b < nb && ok; ++b) {
              const double d = v[b * n + i] - sample(b, x + ox * r, y + oy * r, ok);
              z += wts[b] * d * d;
            }
            if (!ok) continue;
            if (!ox && !oy) z0 = z;
            best = std::min(best, z);
          }
        EXPECT_NEAR(raw[i], std::sqrt(z0), 1e-3 * std::max(1.0, std::sqrt(z0))) << x << "," << y;
        EXPECT_NEAR(mag[i], std::sqrt(best), 1e-3 * std::max(1.0, std::sqrt(best)))
            << x << "," << y << " r " << r;
      }
  }
}

}  // namespace
