// The per-pixel quantile reference against a naive quantile (numpy's default: linear
// between ranks), with members missing (cloud) at random pixels, every member count 1..15,
// odd image sizes, and the median, lower and upper quantiles; the device form (one pixel,
// insertion sort) and the CPU form (tiles, sorting network) give the same values (host
// builds). The median runs on each backend (tests/kernels/backends.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/reference.cuh"
#include "tests/kernels/backends.hpp"

namespace {

using sw::kern::index_t;

#if SW_TEST_HOST
float naive_quantile(std::vector<float> vals, float q) {
  std::sort(vals.begin(), vals.end());
  const std::size_t m = vals.size();
  const double r = static_cast<double>(q) * static_cast<double>(m - 1);
  const std::size_t lo = static_cast<std::size_t>(r);
  const double frac = r - static_cast<double>(lo);
  return lo + 1 < m ? static_cast<float>((1.0 - frac) * vals[lo] + frac * vals[lo + 1]) : vals[lo];
}

TEST(reference, quantile_of_valid_members_equals_naive_quantile) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> v(0.f, 5000.f);
  const index_t n = 61 * 7;
  const int nb = 2;
  for (float q : {0.0f, 0.2f, 0.25f, 0.5f, 0.75f, 0.8f, 1.0f}) {
    for (int count = 1; count <= sw::kern::max_reference_members; ++count) {
      std::vector<float> bands(static_cast<std::size_t>(count) * nb * n), cpu(nb * n), dev(nb * n);
      std::vector<std::uint8_t> valid(static_cast<std::size_t>(count) * n), cpu_valid(n),
          dev_valid(n);
      for (auto& x : bands) x = v(rng);
      for (auto& x : valid) x = rng() % 3 != 0;
      const sw::kern::quantile_reference_fn cpu_fn{bands.data(), valid.data(),     count, nb, n,
                                                   cpu.data(),   cpu_valid.data(), q};
      sw::kern::cpu_backend{}.for_each(n, cpu_fn);  // the tiled sorting-network form
      const sw::kern::quantile_reference_fn dev_fn{bands.data(), valid.data(),     count, nb, n,
                                                   dev.data(),   dev_valid.data(), q};
      for (index_t i = 0; i < n; ++i) dev_fn(i);  // the per-pixel form the device runs
      for (index_t i = 0; i < n; ++i)
        for (int b = 0; b < nb; ++b) {
          std::vector<float> vals;
          for (int k = 0; k < count; ++k)
            if (valid[k * n + i]) vals.push_back(bands[(static_cast<index_t>(k) * nb + b) * n + i]);
          ASSERT_EQ(cpu_valid[i], vals.empty() ? 0 : 1);
          ASSERT_EQ(dev_valid[i], cpu_valid[i]);
          ASSERT_EQ(cpu[b * n + i], dev[b * n + i]) << "q " << q << " count " << count;
          if (vals.empty()) continue;
          ASSERT_NEAR(cpu[b * n + i], naive_quantile(vals, q), 1e-3f)
              << "q " << q << " count " << count;
          // never outside the members' values
          ASSERT_GE(cpu[b * n + i], *std::min_element(vals.begin(), vals.end()));
          ASSERT_LE(cpu[b * n + i], *std::max_element(vals.begin(), vals.end()));
        }
    }
  }
}
#endif

template <class Backend>
class reference : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(reference, sw::test::backends, sw::test::backend_name);

TYPED_TEST(reference, median_of_valid_members_equals_naive_median) {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> v(0.f, 5000.f);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{257, 3}, std::pair{1000, 1}, std::pair{17, 13}}) {
    const index_t n = static_cast<index_t>(w) * h;
    const int nb = 3;
    for (int count = 1; count <= sw::kern::max_reference_members; count += 2) {
      sw::test::kvec<float> bands(static_cast<std::size_t>(count) * nb * n), out(nb * n);
      sw::test::kvec<std::uint8_t> valid(static_cast<std::size_t>(count) * n), out_valid(n);
      for (auto& x : bands) x = v(rng);
      for (auto& x : valid) x = rng() % 4 != 0;
      const auto be = sw::test::make<TypeParam>();
      be.for_each(n, sw::kern::quantile_reference_fn{bands.data(), valid.data(), count, nb, n,
                                                     out.data(), out_valid.data()});
      sw::test::finish(be);
      for (index_t i = 0; i < n; ++i) {
        for (int b = 0; b < nb; ++b) {
          std::vector<float> vals;
          for (int k = 0; k < count; ++k)
            if (valid[k * n + i]) vals.push_back(bands[(static_cast<index_t>(k) * nb + b) * n + i]);
          EXPECT_EQ(out_valid[i], vals.empty() ? 0 : 1);
          if (vals.empty()) continue;
          std::sort(vals.begin(), vals.end());
          const std::size_t m = vals.size();
          const float expect = m % 2 ? vals[m / 2] : 0.5f * (vals[m / 2 - 1] + vals[m / 2]);
          ASSERT_EQ(out[b * n + i], expect) << w << "x" << h << " count " << count;
        }
      }
    }
  }
}

}  // namespace
