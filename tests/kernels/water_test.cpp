// Water in a scene (kernels/water.cuh): Otsu on the log of the near infrared splits water
// from land, a scene that is all water stays all water, invalid pixels are never water; and
// the per-component context (kernels/measure.cuh) equals a naive count of a component's
// outside neighbours, its water neighbours and its pixels on a static mask. The launches run
// on each backend (tests/kernels/backends.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/measure.cuh"
#include "kernels/water.cuh"
#include "tests/kernels/backends.hpp"

namespace {

using sw::kern::index_t;

template <class Backend>
class water : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(water, sw::test::backends, sw::test::backend_name);

TYPED_TEST(water, splits_dark_water_from_bright_land_and_keeps_invalid_pixels_out) {
  // Left half water (nir ~ 300), right half land (~ 2500 with texture); a bright ship
  // (2000) on the water is not water; column 0 is invalid.
  const int w = 40, h = 30;
  const index_t n = w * h;
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.f, 30.f);
  sw::test::kvec<float> nir(n);
  sw::test::kvec<std::uint8_t> valid(n, 1), water(n);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const index_t i = static_cast<index_t>(y) * w + x;
      nir[i] = x < 20 ? 300.f + noise(rng) : 2500.f + 400.f * std::sin(x * 0.7f) + noise(rng);
      if (x >= 8 && x < 14 && y >= 10 && y < 12) nir[i] = 2000.f;
      if (x == 0) valid[i] = 0;
    }
  const auto be = sw::test::make<TypeParam>();
  sw::kern::water_mask(be, n, nir.data(), valid.data(), water.data());
  sw::test::finish(be);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const index_t i = static_cast<index_t>(y) * w + x;
      const bool ship = x >= 8 && x < 14 && y >= 10 && y < 12;
      EXPECT_EQ(water[i] != 0, x > 0 && x < 20 && !ship) << x << "," << y;
    }
}

TYPED_TEST(water, a_grid_that_is_all_water_stays_all_water) {
  // One mode (water with noise): Otsu would split it; the class means are too close.
  const index_t n = 50 * 50;
  std::mt19937 rng(2);
  std::normal_distribution<float> noise(400.f, 40.f);
  sw::test::kvec<float> nir(n);
  sw::test::kvec<std::uint8_t> valid(n, 1), water(n);
  for (auto& v : nir) v = noise(rng);
  const auto be = sw::test::make<TypeParam>();
  sw::kern::water_mask(be, n, nir.data(), valid.data(), water.data());
  sw::test::finish(be);
  for (index_t i = 0; i < n; ++i) ASSERT_EQ(water[i], 1);
}

#if SW_TEST_HOST
TEST(water, threshold_needs_two_separate_modes) {
  std::vector<std::uint32_t> hist(100, 0);
  EXPECT_TRUE(std::isinf(sw::kern::water_threshold(hist, 0.1f)));  // empty
  hist[10] = 100;
  hist[12] = 100;  // one narrow mode: log means 1.05 vs 1.25, less than log 2 apart
  EXPECT_TRUE(std::isinf(sw::kern::water_threshold(hist, 0.1f)));
  hist[60] = 100;  // a second mode at 6.05
  const double t = sw::kern::water_threshold(hist, 0.1f);
  EXPECT_GT(t, 1.25);
  EXPECT_LT(t, 6.05);
}
#endif

template <class Backend>
class component_context : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(component_context, sw::test::backends, sw::test::backend_name);

TYPED_TEST(component_context, equals_a_naive_count_of_neighbours) {
  const int w = 37, h = 23;
  const index_t n = w * h;
  std::mt19937 rng(3);
  sw::test::kvec<std::int32_t> comp(n);
  sw::test::kvec<std::uint8_t> water(n), stat(n);
  const int ncomp = 5;
  for (index_t i = 0; i < n; ++i) {
    comp[i] = static_cast<std::int32_t>(rng() % (ncomp + 3)) - 3;  // -1..-3: background
    if (comp[i] < 0) comp[i] = -1;
    water[i] = rng() % 2;
    stat[i] = rng() % 3 == 0;
  }
  sw::test::kvec<std::int64_t> ctx(3 * ncomp, 0);
  const auto be = sw::test::make<TypeParam>();
  be.for_each(n, sw::kern::component_context_fn<std::int32_t>{
                     comp.data(), w, h, water.data(), stat.data(), ctx.data(), ctx.data() + ncomp,
                     ctx.data() + 2 * ncomp});
  sw::test::finish(be);
  std::vector<std::int64_t> want(3 * ncomp, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int c = comp[y * w + x];
      if (c < 0) continue;
      want[2 * ncomp + c] += stat[y * w + x];
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if ((dx || dy) && xx >= 0 && yy >= 0 && xx < w && yy < h && comp[yy * w + xx] != c) {
            want[c] += 1;
            want[ncomp + c] += water[yy * w + xx];
          }
        }
    }
  EXPECT_EQ(sw::test::host(ctx), want);
}

}  // namespace
