// The CPU's tiled forms of the normalisation's residual passes give the per-pixel
// (device) forms' results exactly: the clamped maximum, every histogram count, every
// inlier flag.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cpu/backend.hpp"
#include "kernels/histogram.cuh"
#include "kernels/normalise.cuh"

using sw::kern::index_t;

TEST(normalise, residual_pass_tiled_forms_equal_per_pixel_forms) {
  std::mt19937 rng(11);
  const sw::kern::cpu_backend be;
  for (int nb : {1, 3, 4, 8})
    for (index_t n : {index_t{1}, index_t{255}, index_t{256}, index_t{257}, index_t{10007}}) {
      std::vector<float> scene(n * nb), ref(n * nb);
      std::uniform_real_distribution<float> v(0.f, 3000.f);
      for (auto& x : scene) x = v(rng);
      for (auto& x : ref) x = v(rng);
      std::vector<std::uint8_t> covalid(n);
      for (auto& c : covalid) c = rng() % 5 != 0;
      std::vector<float> coef(sw::kern::mv_max_bands * sw::kern::mv_dim, 0.0f);
      std::uniform_real_distribution<float> c(-0.5f, 1.5f);
      for (auto& x : coef) x = c(rng);
      const sw::kern::planar_view<const float> sv{scene.data(), static_cast<int>(n), 1, nb};
      const sw::kern::planar_view<const float> rv{ref.data(), static_cast<int>(n), 1, nb};
      SCOPED_TRACE(testing::Message() << nb << " bands, " << n << " pixels");

      const sw::kern::mv_max_abs_residual_value value{sv, rv, coef.data(), covalid.data()};
      float naive = 0.0f;
      for (index_t i = 0; i < n; ++i) {
        const float x = value(i);
        naive = naive < (x > 0.0f ? x : 0.0f) ? (x > 0.0f ? x : 0.0f) : naive;
      }
      EXPECT_EQ(be.max_of_range(n, value), naive);
      EXPECT_EQ(sw::kern::bin_width_to_cover(be, n, value, 8192),
                naive / 8191.0f > 1e-6f ? naive / 8191.0f : 1e-6f);

      const int bins = 64;
      const float bw = naive / 40.0f;  // some residuals land in the last (overflow) bin
      std::vector<std::uint32_t> fast(static_cast<std::size_t>(nb) * bins, 0), slow(fast);
      be.for_each(n, sw::kern::mv_residual_histograms_fn{sv, rv, coef.data(), covalid.data(), bw,
                                                         bins, fast.data()});
      const sw::kern::mv_residual_histograms_fn per_pixel{sv, rv,   coef.data(), covalid.data(),
                                                          bw, bins, slow.data()};
      for (index_t i = 0; i < n; ++i) per_pixel(i);
      EXPECT_EQ(fast, slow);

      std::vector<float> cut(nb);
      for (auto& x : cut) x = naive * 0.3f;
      std::vector<std::uint8_t> in_fast(n, 7), in_slow(n, 7);
      be.for_each(n, sw::kern::mv_inlier_fn{sv, rv, coef.data(), cut.data(), covalid.data(),
                                            in_fast.data()});
      const sw::kern::mv_inlier_fn per_pixel_in{
          sv, rv, coef.data(), cut.data(), covalid.data(), in_slow.data()};
      for (index_t i = 0; i < n; ++i) per_pixel_in(i);
      EXPECT_EQ(in_fast, in_slow);
    }
}
