// The local contrast test (kernels/cfar.cuh): the ring sums of the separable passes equal a
// naive sum over the ring, the CPU's block-of-columns form equals the per-column (device)
// form bit for bit, the test equals a naive z-score, and the two censored rounds find a
// bright object among neighbours that would hide it from a plain ring. Every test runs on
// each backend (tests/kernels/backends.hpp): serial runs the per-row and per-column
// (device) forms, cpu the CPU's block forms.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cfar.cuh"
#include "tests/kernels/backends.hpp"

namespace {

using sw::kern::index_t;

struct ring_case {
  int w, h, guard, outer;
  float offset = 1000.f;
  sw::test::kvec<float> value;
  sw::test::kvec<std::uint8_t> mask;
  ring_case(int w_, int h_, int g, int o, unsigned seed) : w(w_), h(h_), guard(g), outer(o) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> v(0.f, 3000.f);
    value.resize(static_cast<std::size_t>(w) * h);
    mask.resize(value.size());
    for (auto& x : value) x = v(rng);
    for (auto& m : mask) m = rng() % 4 != 0;
  }
};

// The ring's three sums at every pixel, in double, by brute force.
std::vector<double> naive_ring(const ring_case& c) {
  const index_t n = static_cast<index_t>(c.w) * c.h;
  std::vector<double> out(3 * n, 0.0);
  for (int y = 0; y < c.h; ++y)
    for (int x = 0; x < c.w; ++x)
      for (int dy = -c.outer; dy <= c.outer; ++dy)
        for (int dx = -c.outer; dx <= c.outer; ++dx) {
          if (std::abs(dx) <= c.guard && std::abs(dy) <= c.guard) continue;
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= c.w || yy >= c.h) continue;
          const index_t j = static_cast<index_t>(yy) * c.w + xx;
          if (!c.mask[j]) continue;
          const double v = static_cast<double>(c.value[j]) - c.offset;
          const index_t i = static_cast<index_t>(y) * c.w + x;
          out[i] += 1;
          out[n + i] += v;
          out[2 * n + i] += v * v;
        }
  return out;
}

// The ring planes by the two passes on `Backend`; `per_column`: the columns pass called
// column by column here (the device's per-column form) rather than launched on `Backend`.
template <class Backend>
std::vector<float> passes(const ring_case& c, bool per_column) {
  const index_t n = static_cast<index_t>(c.w) * c.h;
  sw::test::kvec<float> rows(6 * n), ring(3 * n);
  const auto be = sw::test::make<Backend>();
  be.for_each(c.h, sw::kern::box_rows_fn{c.value.data(), c.mask.data(), c.offset, c.w, c.guard,
                                         c.outer, rows.data(), n});
  sw::test::finish(be);  // the per-column form below reads the rows on the host
  const sw::kern::box_cols_fn cols{rows.data(), c.w, c.h, c.guard, c.outer, ring.data(), n};
  if (per_column)
    for (index_t x = 0; x < c.w; ++x) cols(x);
  else
    be.for_each(c.w, cols);
  sw::test::finish(be);
  return sw::test::host(ring);
}

template <class Backend>
class cfar : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(cfar, sw::test::backends, sw::test::backend_name);

TYPED_TEST(cfar, ring_sums_equal_a_naive_sum_and_both_column_forms_agree) {
  for (auto [w, h, g, o] : {std::tuple{1, 1, 1, 2}, std::tuple{257, 3, 1, 3},
                            std::tuple{70, 45, 4, 9}, std::tuple{13, 200, 2, 20}}) {
    const ring_case c(w, h, g, o, static_cast<unsigned>(w + h));
    const auto a = passes<TypeParam>(c, true), b = passes<TypeParam>(c, false);
    ASSERT_EQ(a, b) << w << "x" << h;
    const auto naive = naive_ring(c);
    for (std::size_t i = 0; i < a.size(); ++i) {
      // float planes of double running sums: relative to the magnitude of the sums
      const double tol = 1e-5 * (1.0 + std::fabs(naive[i])) + 1e-3;
      ASSERT_NEAR(a[i], naive[i], tol) << w << "x" << h << " at " << i;
    }
  }
}

TYPED_TEST(cfar, the_test_equals_a_naive_z_score) {
  const ring_case c(60, 40, 2, 5, 9);
  const index_t n = static_cast<index_t>(c.w) * c.h;
  const auto ring = sw::test::kernel_copy(passes<TypeParam>(c, false));
  sw::test::kvec<std::uint8_t> candidates(n, 1), out(n);
  const auto be = sw::test::make<TypeParam>();
  for (auto pol : {sw::kern::object_polarity::brighter, sw::kern::object_polarity::darker,
                   sw::kern::object_polarity::any}) {
    const float k = 1.2f, k_censor = 0.6f, floor = 50.f, min_samples = 20.f;
    be.for_each(
        n, sw::kern::local_contrast_fn{c.value.data(), candidates.data(), ring.data(), n, c.offset,
                                       min_samples, floor, k, k_censor, pol, out.data()});
    sw::test::finish(be);
    const auto naive = naive_ring(c);
    int hits = 0;
    for (index_t i = 0; i < n; ++i) {
      const double cnt = naive[i];
      if (cnt < min_samples) {
        EXPECT_EQ(out[i], 0);
        continue;
      }
      const double mean = naive[n + i] / cnt;
      const double sd = std::max(std::sqrt(std::max(naive[2 * n + i] / cnt - mean * mean, 0.0)),
                                 static_cast<double>(floor));
      const double z = (c.value[i] - c.offset - mean) / sd;
      // at a threshold rounding decides
      if (std::fabs(std::fabs(z) - k) < 1e-3 || std::fabs(std::fabs(z) - k_censor) < 1e-3) continue;
      auto beyond = [&](double kk) {
        return pol == sw::kern::object_polarity::brighter ? z > kk
               : pol == sw::kern::object_polarity::darker ? z < -kk
                                                          : std::fabs(z) > kk;
      };
      const int want = beyond(k) ? 2 : (beyond(k_censor) ? 1 : 0);
      EXPECT_EQ(out[i], want) << i;
      hits += want == 2;
    }
    EXPECT_GT(hits, 0);
  }
}

TYPED_TEST(cfar, censoring_finds_an_object_among_bright_neighbours) {
  // Flat ground of 500 with noise; a dense block of bright 2x2 objects (1500) every 4 px,
  // and one dimmer object (900) in its midst. A plain ring holds as many objects as ground
  // around the dim one: its spread hides it. The top-hat-like seed (the bright ones) and the
  // second round leave the ring with ground only, and the dim object stands out.
  const int w = 64, h = 64;
  const index_t n = w * h;
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.f, 10.f);
  sw::test::kvec<float> v(n);
  sw::test::kvec<std::uint8_t> seed(n, 0), all(n, 1), out(n);
  for (auto& x : v) x = 500.f + noise(rng);
  for (int y = 16; y < 48; y += 4)
    for (int x = 16; x < 48; x += 4)
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const index_t i = static_cast<index_t>(y + dy) * w + x + dx;
          const bool dim = x == 32 && y == 32;
          v[i] = dim ? 900.f : 1500.f;
          if (!dim) seed[i] = 1;
        }
  sw::kern::cfar_params p;
  p.guard = 2;
  p.outer = 6;
  p.k = 6.f;
  p.k_censor = 6.f;
  p.sigma_floor = 5.f;
  const auto be = sw::test::make<TypeParam>();
  sw::kern::local_contrast(be, v.data(), all.data(), nullptr, all.data(), w, h, p, out.data());
  sw::test::finish(be);
  EXPECT_EQ(out[32 * w + 32], 0) << "without the seed the neighbours hide it";
  sw::kern::local_contrast(be, v.data(), all.data(), seed.data(), all.data(), w, h, p, out.data());
  sw::test::finish(be);
  EXPECT_EQ(out[32 * w + 32], 1);
  EXPECT_EQ(out[33 * w + 33], 1);
  EXPECT_EQ(out[8 * w + 8], 0);  // ground
}

}  // namespace
