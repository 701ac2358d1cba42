// Shape measurement: known rectangles, rotated, against their true size and angle.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

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

}  // namespace
