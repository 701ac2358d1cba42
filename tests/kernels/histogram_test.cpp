// Histogram statistics against exact sorted answers, on each backend
// (tests/kernels/backends.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/histogram.cuh"
#include "tests/kernels/backends.hpp"

namespace {

template <class Vector>
double exact_median(Vector v) {
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

template <class Backend>
class histogram : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(histogram, sw::test::backends, sw::test::backend_name);

TYPED_TEST(histogram, median_and_mad_within_one_bin_of_exact) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(300.f, 40.f);
  sw::test::kvec<float> v(25001);
  for (auto& x : v) x = std::max(0.f, noise(rng));
  v[17] = -1.f;  // skipped
  std::vector<float> valid;
  for (float x : v)
    if (x >= 0) valid.push_back(x);
  const auto st = sw::kern::robust_stats(sw::test::make<TypeParam>(), v.data(),
                                         static_cast<sw::kern::index_t>(v.size()));
  EXPECT_EQ(st.count, valid.size());
  const double med = exact_median(valid);
  EXPECT_NEAR(st.median, med, 1.0);
  std::vector<float> dev;
  for (float x : valid) dev.push_back(std::fabs(x - static_cast<float>(st.median)));
  EXPECT_NEAR(st.mad, exact_median(dev), 1.0);
  EXPECT_NEAR(st.mad * 1.4826, 40.0, 2.0);  // the MAD of a normal estimates its sigma
}

TYPED_TEST(histogram, empty_input_gives_no_statistics) {
  sw::test::kvec<float> v(10, -1.f);
  const auto be = sw::test::make<TypeParam>();
  const auto st = sw::kern::robust_stats(be, v.data(), 10);
  EXPECT_EQ(st.count, 0u);
  EXPECT_LT(st.median, 0);
  const auto st0 = sw::kern::robust_stats(be, v.data(), 0);
  EXPECT_EQ(st0.count, 0u);
}

TYPED_TEST(histogram, values_beyond_the_last_bin_are_counted_in_it) {
  const sw::test::kvec<float> v = {1.f, 2.f, 1e9f};
  const auto h =
      sw::kern::histogram(sw::test::make<TypeParam>(), 3, sw::kern::array_value{v.data()}, 1.0f, 8);
  EXPECT_EQ(h[7], 1u);
  EXPECT_EQ(h[1] + h[2], 2u);
}

TYPED_TEST(histogram, auto_histogram_sizes_bins_to_the_data) {
  // 8-bit numbers and reflectance 0..1 get bins as fine as reflectance x10000.
  for (float scale : {1.0f, 255.0f / 10000.0f, 1.0f / 10000.0f}) {
    const sw::test::kvec<float> v = {0.0f, 1000.0f * scale, 5000.0f * scale, 10000.0f * scale,
                                     -1.0f};
    const auto h = sw::kern::auto_histogram(sw::test::make<TypeParam>(), 5,
                                            sw::kern::array_value{v.data()}, 1001);
    EXPECT_FLOAT_EQ(h.bin_width, 10.0f * scale);
    EXPECT_EQ(h.counts[0], 1u);
    EXPECT_EQ(h.counts[99] + h.counts[100] + h.counts[101], 1u);  // 1000 * scale
    EXPECT_EQ(h.counts[999] + h.counts[1000], 1u);                // the maximum
    std::uint64_t total = 0;
    for (auto c : h.counts) total += c;
    EXPECT_EQ(total, 4u) << "the negative value is skipped";
  }
}

#if SW_TEST_HOST
TEST(histogram, otsu_splits_two_modes) {
  std::vector<std::uint32_t> h(256, 0);
  for (int b = 20; b < 40; ++b) h[b] = 100;
  for (int b = 180; b < 200; ++b) h[b] = 50;
  const double t = sw::kern::histogram_otsu(h, 1.0f);
  EXPECT_GT(t, 39.0);
  EXPECT_LE(t, 180.0);
  EXPECT_LT(sw::kern::histogram_otsu(std::vector<std::uint32_t>(16, 0), 1.0f), 0);
}
#endif

}  // namespace
