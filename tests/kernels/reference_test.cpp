// The per-pixel median reference against a naive median, with members missing (cloud) at
// random pixels, every member count 1..15 and odd image sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/cpu/backend.hpp"
#include "kernels/reference.cuh"

namespace {

using sw::kern::index_t;

TEST(reference, median_of_valid_members_equals_naive_median) {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> v(0.f, 5000.f);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{257, 3}, std::pair{1000, 1}, std::pair{17, 13}}) {
    const index_t n = static_cast<index_t>(w) * h;
    const int nb = 3;
    for (int count = 1; count <= sw::kern::max_reference_members; count += 2) {
      std::vector<float> bands(static_cast<std::size_t>(count) * nb * n), out(nb * n);
      std::vector<std::uint8_t> valid(static_cast<std::size_t>(count) * n), out_valid(n);
      for (auto& x : bands) x = v(rng);
      for (auto& x : valid) x = rng() % 4 != 0;
      sw::kern::cpu_backend{}.for_each(
          n, sw::kern::median_reference_fn{bands.data(), valid.data(), count, nb, n, out.data(),
                                           out_valid.data()});
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
