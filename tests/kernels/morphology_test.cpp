// Separable square morphology against a naive 2-D window.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/cpu/backend.hpp"
#include "kernels/morphology.cuh"

namespace {

using sw::kern::cpu_backend;

std::vector<std::uint8_t> naive_binary(const std::vector<std::uint8_t>& m, int w, int h, int r,
                                       bool erosion) {
  std::vector<std::uint8_t> out(m.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      bool acc = erosion;
      for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;  // neutral outside
          const bool v = m[static_cast<std::size_t>(yy) * w + xx] != 0;
          if (erosion && !v) acc = false;
          if (!erosion && v) acc = true;
        }
      out[static_cast<std::size_t>(y) * w + x] = acc;
    }
  return out;
}

std::vector<std::uint8_t> separable_binary(const std::vector<std::uint8_t>& m, int w, int h, int r,
                                           bool erosion) {
  cpu_backend be;
  std::vector<std::uint8_t> tmp(m.size()), out(m.size());
  be.for_each_2d(w, h, sw::kern::binary_morph_pass_fn{{m.data(), w, h}, tmp.data(), r, true, erosion});
  be.for_each_2d(w, h, sw::kern::binary_morph_pass_fn{{tmp.data(), w, h}, out.data(), r, false, erosion});
  return out;
}

TEST(morphology, binary_separable_equals_naive_window) {
  std::mt19937 rng(5);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{257, 3}, std::pair{1000, 1}, std::pair{45, 38}}) {
    std::vector<std::uint8_t> m(static_cast<std::size_t>(w) * h);
    for (auto& v : m) v = rng() % 3 == 0;
    for (int r : {1, 2, 4})
      for (bool erosion : {true, false})
        EXPECT_EQ(separable_binary(m, w, h, r, erosion), naive_binary(m, w, h, r, erosion))
            << w << "x" << h << " r=" << r << " erosion=" << erosion;
  }
}

TEST(morphology, grey_with_domain_equals_naive_window) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> val(0.f, 1000.f);
  const int w = 53, h = 41, r = 3;
  std::vector<float> img(static_cast<std::size_t>(w) * h);
  std::vector<std::uint8_t> dom(img.size());
  for (auto& v : img) v = val(rng);
  for (auto& d : dom) d = rng() % 4 != 0;
  cpu_backend be;
  for (bool erosion : {true, false}) {
    std::vector<float> tmp(img.size()), out(img.size());
    be.for_each_2d(w, h, sw::kern::grey_morph_pass_fn{{img.data(), w, h}, dom.data(), tmp.data(), r, true, erosion});
    be.for_each_2d(w, h, sw::kern::grey_morph_pass_fn{{tmp.data(), w, h}, nullptr, out.data(), r, false, erosion});
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float acc = erosion ? 3e38f : -3e38f;
        for (int dy = -r; dy <= r; ++dy)
          for (int dx = -r; dx <= r; ++dx) {
            const int xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            const std::size_t j = static_cast<std::size_t>(yy) * w + xx;
            if (!dom[j]) continue;
            acc = erosion ? std::min(acc, img[j]) : std::max(acc, img[j]);
          }
        ASSERT_EQ(out[static_cast<std::size_t>(y) * w + x], acc) << x << "," << y;
      }
  }
}

}  // namespace
