// Shape measurement: known rectangles, rotated, against their true size and angle.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/cpu/label_cpu.hpp"
#include "kernels/cpu/measure_cpu.hpp"
#include "kernels/measure.cuh"

namespace {

struct sums {
  double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  void add(double x, double y) {
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
  }
};

TEST(measure, single_pixel_has_unit_length_and_width) {
  const auto s = sw::kern::shape_from_sums(1, 5, 7, 25, 49, 35);
  EXPECT_DOUBLE_EQ(s.cx, 5);
  EXPECT_DOUBLE_EQ(s.cy, 7);
  EXPECT_NEAR(s.length, 1.0, 1e-12);
  EXPECT_NEAR(s.width, 1.0, 1e-12);
}

TEST(measure, axis_aligned_bar) {
  sums s;
  for (int y = 10; y < 13; ++y)
    for (int x = 4; x < 24; ++x) s.add(x, y);
  const auto sh = sw::kern::shape_from_sums(s.n, s.sx, s.sy, s.sxx, s.syy, s.sxy);
  EXPECT_NEAR(sh.length, 20.0, 1e-9);
  EXPECT_NEAR(sh.width, 3.0, 1e-9);
  EXPECT_NEAR(sh.theta, 0.0, 1e-9);
}

TEST(measure, rotated_bar_recovers_length_and_angle) {
  // A 40 x 4 bar rotated by 30 degrees, sampled at pixel centres.
  const double a = 30.0 * M_PI / 180.0, L = 40, W = 4;
  sums s;
  for (int y = -40; y <= 40; ++y)
    for (int x = -40; x <= 40; ++x) {
      const double u = x * std::cos(a) + y * std::sin(a), v = -x * std::sin(a) + y * std::cos(a);
      if (std::fabs(u) < L / 2 && std::fabs(v) < W / 2) s.add(x + 100, y + 100);
    }
  const auto sh = sw::kern::shape_from_sums(s.n, s.sx, s.sy, s.sxx, s.syy, s.sxy);
  EXPECT_NEAR(sh.length, L, 1.0);
  EXPECT_NEAR(sh.width, W, 0.6);
  EXPECT_NEAR(sh.theta, a, 0.02);
  EXPECT_NEAR(sh.cx, 100, 0.1);
  EXPECT_NEAR(sh.cy, 100, 0.1);
}

// The CPU strip launch of the axis extents equals the per-pixel atomic launch (the
// device's) exactly, on a labelled random image of odd size. (The moments' CPU launch is
// fused with labelling: fused_label_and_moments_equals_separate_passes below.)
TEST(measure, cpu_strip_extents_equal_per_pixel_atomics) {
  const int w = 301, h = 203;
  const sw::kern::index_t n = static_cast<sw::kern::index_t>(w) * h;
  std::mt19937 rng(4);
  const int ncomp = 57;
  std::vector<std::int32_t> comp(n);
  for (auto& c : comp) c = rng() % 3 == 0 ? static_cast<std::int32_t>(rng() % ncomp) : -1;
  const sw::kern::cpu_backend be;

  std::vector<double> geo(4 * ncomp);
  for (int c = 0; c < ncomp; ++c) {
    geo[c] = 150.0 + c;
    geo[ncomp + c] = 100.0 - c;
    geo[2 * ncomp + c] = std::cos(0.1 * c);
    geo[3 * ncomp + c] = std::sin(0.1 * c);
  }
  auto extents = [&](bool strips) {
    std::vector<std::int64_t> e(4 * ncomp);
    for (int c = 0; c < ncomp; ++c) {
      e[c] = e[2 * ncomp + c] = INT64_MAX;
      e[ncomp + c] = e[3 * ncomp + c] = INT64_MIN;
    }
    const sw::kern::axis_extent_fn<std::int32_t> g{comp.data(),
                                                   w,
                                                   geo.data(),
                                                   geo.data() + ncomp,
                                                   geo.data() + 2 * ncomp,
                                                   geo.data() + 3 * ncomp,
                                                   e.data(),
                                                   e.data() + ncomp,
                                                   e.data() + 2 * ncomp,
                                                   e.data() + 3 * ncomp};
    if (strips)
      sw::kern::accumulate_extents<std::int32_t>(be, g, h, ncomp);
    else
      for (sw::kern::index_t i = 0; i < n; ++i) g(i);
    return e;
  };
  EXPECT_EQ(extents(true), extents(false));
}

// The CPU's fused labelling + moments (closed-form sums over runs) equals labels from
// flood-fill order and moments summed pixel by pixel, on random masks of odd sizes,
// sparse (short runs) and dense (long runs, wide rows: large x^2 sums).
TEST(measure, fused_label_and_moments_equals_separate_passes) {
  std::mt19937 rng(6);
  for (auto [w, h, dense] :
       {std::tuple{1, 1, false}, std::tuple{257, 3, false}, std::tuple{333, 211, false},
        std::tuple{64, 700, false}, std::tuple{333, 211, true}, std::tuple{20001, 37, true}}) {
    const sw::kern::index_t n = static_cast<sw::kern::index_t>(w) * h;
    std::vector<std::uint8_t> mask(n);
    for (auto& m : mask) m = dense ? rng() % 50 != 0 : rng() % 3 == 0;
    std::vector<float> change(n);
    for (auto& c : change) c = static_cast<float>(rng() % 900) / 3.0f;
    const sw::kern::cpu_backend be;
    std::vector<std::int32_t> comp_a(n), comp_b(n);
    std::vector<std::int64_t> i64_a, i64_b;
    std::vector<std::int32_t> lo_a, hi_a, lo_b, hi_b;
    auto sums = [](sw::kern::index_t c, std::vector<std::int64_t>& i64,
                   std::vector<std::int32_t>& lo, std::vector<std::int32_t>& hi) {
      i64.assign(7 * c, 0);
      lo.assign(2 * c, INT32_MAX);
      hi.assign(2 * c, INT32_MIN);
      return sw::kern::component_sums_over(i64.data(), lo.data(), hi.data(), c);
    };
    const auto count = sw::kern::label_and_moments<std::int32_t>(
        be, mask.data(), comp_a.data(), change.data(), w, h,
        [&](sw::kern::index_t c) { return sums(c, i64_a, lo_a, hi_a); });
    const auto count_b =
        sw::kern::label_components<std::int32_t>(be, mask.data(), comp_b.data(), w, h);
    ASSERT_EQ(count, count_b) << w << "x" << h;
    EXPECT_EQ(comp_a, comp_b);
    if (count == 0) continue;
    const auto s = sums(count, i64_b, lo_b, hi_b);
    const sw::kern::moments_fn<std::int32_t> f{comp_b.data(), change.data(), w, s};
    for (sw::kern::index_t i = 0; i < n; ++i) f(i);
    EXPECT_EQ(i64_a, i64_b) << w << "x" << h;
    EXPECT_EQ(lo_a, lo_b);
    EXPECT_EQ(hi_a, hi_b);
  }
}

}  // namespace
