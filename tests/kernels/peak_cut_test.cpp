// The peak-relative extent of reference evidence (background.cuh): two blurred dark lines
// on tracks 5 px apart, thresholded low enough that their tails join, come apart at 0.3 of
// their peak; a lone faint object keeps its core; nothing outside the evidence is added.
// On each backend (tests/kernels/backends.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/background.cuh"
#include "tests/kernels/backends.hpp"

namespace {

using sw::kern::index_t;

// evidence &= strength >= 0.3 * max(strength within r): the launch site_engine runs
template <class Backend>
std::vector<std::uint8_t> cut_at_peaks(const std::vector<float>& magnitude,
                                       const std::vector<std::uint8_t>& evidence, int w, int h,
                                       int r) {
  const auto mag = sw::test::kernel_copy(magnitude);
  auto ev = sw::test::kernel_copy(evidence);
  const auto be = sw::test::make<Backend>();
  sw::kern::peak_cut(be, w, h, r, mag.data(), ev.data());
  sw::test::finish(be);
  return sw::test::host(ev);
}

template <class Backend>
class peak_cut : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(peak_cut, sw::test::backends, sw::test::backend_name);

TYPED_TEST(peak_cut, parts_blurred_lines_that_a_low_threshold_joins) {
  const int w = 40, h = 20;
  std::vector<float> mag(static_cast<std::size_t>(w) * h);
  // lines along rows 7 and 12 (x 5..34), Gaussian blur sigma 1 px across (rows 9 and 10:
  // 146, under 0.3 of the peak 1000; rows 6, 8, 11, 13: 607); a faint dot
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double along = (x >= 5 && x <= 34) ? 1.0 : 0.0;
      const double a = std::exp(-0.5 * std::pow((y - 7) / 1.0, 2));
      const double b = std::exp(-0.5 * std::pow((y - 12) / 1.0, 2));
      mag[static_cast<std::size_t>(y) * w + x] = static_cast<float>(1000.0 * along * (a + b));
    }
  mag[static_cast<std::size_t>(17) * w + 2] = 120.0f;  // a faint object, alone
  std::vector<std::uint8_t> ev(mag.size());
  for (std::size_t i = 0; i < mag.size(); ++i) ev[i] = mag[i] > 100.0f;
  // the low threshold joins the lines: every row between them is evidence
  for (int y = 7; y <= 12; ++y) ASSERT_TRUE(ev[static_cast<std::size_t>(y) * w + 20]) << y;
  const auto out = cut_at_peaks<TypeParam>(mag, ev, w, h, 2);
  for (int y = 0; y < h; ++y) {
    const bool core = y == 6 || y == 7 || y == 8 || y == 11 || y == 12 || y == 13;
    EXPECT_EQ(out[static_cast<std::size_t>(y) * w + 20], core ? 1 : 0) << "row " << y;
  }
  EXPECT_EQ(out[static_cast<std::size_t>(17) * w + 2], 1) << "a lone object is its own peak";
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i]) {
      ASSERT_TRUE(ev[i]) << "nothing added outside the evidence";
    }
  }
}

}  // namespace
