// Sub-pixel shift resampling: the CPU's row form equals the per-pixel (device) form bit
// for bit, and both follow a naive bilinear formula and validity rule.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/coregister.cuh"
#include "kernels/cpu/backend.hpp"
#include "kernels/reduce.hpp"

namespace {

using sw::kern::index_t;

TEST(coregister, shift_resample_row_form_equals_per_pixel_form_and_naive_bilinear) {
  std::mt19937 rng(21);
  for (auto [w, h, nb] : {std::tuple{1, 1, 4}, std::tuple{257, 3, 4}, std::tuple{1000, 1, 8},
                          std::tuple{300, 41, 3}, std::tuple{2, 600, 1}}) {
    const index_t n = static_cast<index_t>(w) * h;
    std::vector<float> in(n * nb);
    std::vector<std::uint8_t> valid(n);
    std::uniform_real_distribution<float> v(0.f, 5000.f);
    for (auto& x : in) x = v(rng);
    for (auto& x : valid) x = rng() % 7 != 0;
    // sub-pixel, integer (zero weights), negative zero, a hair off an integer, far out
    for (auto [dx, dy] : {std::pair{0.37, -0.61}, std::pair{-1.5, 2.25}, std::pair{3.0, -2.0},
                          std::pair{-0.0, 1e-13}, std::pair{0.0, 0.0}, std::pair{-40.2, 0.5}}) {
      std::vector<float> a(n * nb, -7.f), b(n * nb, -7.f);
      std::vector<std::uint8_t> va(n, 9), vb(n, 9);
      const sw::kern::shift_resample_fn fa{{in.data(), w, h, nb}, valid.data(), dx, dy,
                                           {a.data(), w, h, nb},  va.data()};
      const sw::kern::shift_resample_fn fb{{in.data(), w, h, nb}, valid.data(), dx, dy,
                                           {b.data(), w, h, nb},  vb.data()};
      sw::kern::cpu_backend{}.for_each_2d(w, h, fa);  // the row form
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) fb(x, y);  // the device's per-pixel form
      ASSERT_EQ(va, vb) << w << "x" << h << " shift " << dx << "," << dy;
      ASSERT_EQ(a, b) << w << "x" << h << " shift " << dx << "," << dy;

      // naive: bilinear in double from the four neighbours; valid when every neighbour
      // with a non-zero weight is inside and valid
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const double sx = x + dx, sy = y + dy;
          const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
          const double fx = sx - x0, fy = sy - y0;
          const double wt[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
          const int px[4] = {x0, x0 + 1, x0, x0 + 1}, py[4] = {y0, y0, y0 + 1, y0 + 1};
          bool ok = true;
          for (int k = 0; k < 4; ++k) {
            if (static_cast<float>(wt[k]) == 0.0f) continue;
            ok = ok && px[k] >= 0 && py[k] >= 0 && px[k] < w && py[k] < h &&
                 valid[static_cast<index_t>(py[k]) * w + px[k]];
          }
          const index_t o = static_cast<index_t>(y) * w + x;
          ASSERT_EQ(va[o] != 0, ok) << x << "," << y;
          for (int band = 0; band < nb; ++band) {
            double expect = 0;
            if (ok)
              for (int k = 0; k < 4; ++k)
                if (static_cast<float>(wt[k]) != 0.0f)
                  expect += wt[k] * in[band * n + static_cast<index_t>(py[k]) * w + px[k]];
            ASSERT_NEAR(a[band * n + o], expect, 1e-4 * std::max(1.0, std::abs(expect)))
                << x << "," << y << " band " << band;
          }
        }
    }
  }
}

}  // namespace

TEST(coregister, ncc_row_form_gives_the_per_pixel_sums_bit_for_bit) {
  std::mt19937 rng(5);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{97, 33}, std::pair{256, 2}, std::pair{3, 120}}) {
    const index_t n = static_cast<index_t>(w) * h;
    std::vector<float> ra(n), sb(n);
    std::uniform_real_distribution<float> v(-30.f, 500.f);  // negatives: masked gradients
    for (auto& x : ra) x = v(rng);
    for (auto& x : sb) x = v(rng);
    for (int stride : {1, 2})
      for (int dy = -5; dy <= 5; dy += 2)
        for (int dx : {-130, -4, -1, 0, 1, 3, 7, 300}) {
          const sw::kern::ncc_terms_fn f{ra.data(), sb.data(), w, h, dx, dy, stride};
          const auto fast = sw::kern::row_sum<6>(sw::kern::cpu_backend{}, w, h, f);
          // the device's form: every pixel of every row, rows summed in order
          std::array<double, 6> slow{};
          for (int y = 0; y < h; ++y) {
            double acc[6] = {0, 0, 0, 0, 0, 0};
            for (int x = 0; x < w; ++x) f(x, y, acc);
            for (int k = 0; k < 6; ++k) slow[k] += acc[k];
          }
          for (int k = 0; k < 6; ++k)
            ASSERT_EQ(fast[k], slow[k]) << w << "x" << h << " stride " << stride << " shift " << dx
                                        << "," << dy << " term " << k;
        }
  }
}
