// Separable square morphology against a naive 2-D window, on each backend
// (tests/kernels/backends.hpp).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/morphology.cuh"
#include "tests/kernels/backends.hpp"

namespace {

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

template <class Backend>
std::vector<std::uint8_t> separable_binary(const std::vector<std::uint8_t>& m, int w, int h, int r,
                                           bool erosion) {
  const auto be = sw::test::make<Backend>();
  const auto in = sw::test::kernel_copy(m);
  sw::test::kvec<std::uint8_t> tmp(m.size()), out(m.size());
  be.for_each_2d(w, h,
                 sw::kern::binary_morph_pass_fn{{in.data(), w, h}, tmp.data(), r, true, erosion});
  be.for_each_2d(w, h,
                 sw::kern::binary_morph_pass_fn{{tmp.data(), w, h}, out.data(), r, false, erosion});
  sw::test::finish(be);
  return sw::test::host(out);
}

template <class Backend>
class morphology : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(morphology, sw::test::backends, sw::test::backend_name);

TYPED_TEST(morphology, binary_separable_equals_naive_window) {
  std::mt19937 rng(5);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{257, 3}, std::pair{1000, 1}, std::pair{45, 38}}) {
    std::vector<std::uint8_t> m(static_cast<std::size_t>(w) * h);
    for (auto& v : m) v = rng() % 3 == 0;
    for (int r : {1, 2, 4})
      for (bool erosion : {true, false})
        EXPECT_EQ(separable_binary<TypeParam>(m, w, h, r, erosion),
                  naive_binary(m, w, h, r, erosion))
            << w << "x" << h << " r=" << r << " erosion=" << erosion;
  }
}

TYPED_TEST(morphology, grey_window_must_fit_the_domain) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> val(0.f, 1000.f);
  const int w = 53, h = 41, r = 2;
  sw::test::kvec<float> img(static_cast<std::size_t>(w) * h);
  sw::test::kvec<std::uint8_t> dom(img.size());
  for (auto& v : img) v = val(rng);
  // a domain with holes and a ragged border
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      dom[static_cast<std::size_t>(y) * w + x] = (x > 2 + y % 3) && (rng() % 40 != 0);
  const auto be = sw::test::make<TypeParam>();
  for (bool erosion : {true, false}) {
    sw::test::kvec<float> tmp(img.size()), out(img.size());
    be.for_each_2d(
        w, h,
        sw::kern::grey_morph_pass_fn{{img.data(), w, h}, dom.data(), tmp.data(), r, true, erosion});
    be.for_each_2d(w, h,
                   sw::kern::grey_morph_pass_fn{
                       {tmp.data(), w, h}, dom.data(), out.data(), r, false, erosion});
    sw::test::finish(be);
    int fitted = 0;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float acc = erosion ? 3e38f : -3e38f;
        bool fits = true;
        for (int dy = -r; dy <= r && fits; ++dy)
          for (int dx = -r; dx <= r; ++dx) {
            const int xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h ||
                !dom[static_cast<std::size_t>(yy) * w + xx]) {
              fits = false;
              break;
            }
            const float v = img[static_cast<std::size_t>(yy) * w + xx];
            acc = erosion ? std::min(acc, v) : std::max(acc, v);
          }
        const float expect = fits ? acc : (erosion ? -3e38f : 3e38f);
        fitted += fits;
        ASSERT_EQ(out[static_cast<std::size_t>(y) * w + x], expect)
            << x << "," << y << " erosion " << erosion;
      }
    EXPECT_GT(fitted, w * h / 4);  // the test exercises both cases
  }
}

TYPED_TEST(morphology, grey_second_operation_skips_the_image_border) {
  // Without a domain, out-of-image pixels are skipped: a dilation at the corner is the max
  // of what lies inside.
  const int w = 4, h = 3;
  sw::test::kvec<float> img = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, tmp(12), out(12);
  const auto be = sw::test::make<TypeParam>();
  be.for_each_2d(
      w, h, sw::kern::grey_morph_pass_fn{{img.data(), w, h}, nullptr, tmp.data(), 1, true, false});
  be.for_each_2d(
      w, h, sw::kern::grey_morph_pass_fn{{tmp.data(), w, h}, nullptr, out.data(), 1, false, false});
  sw::test::finish(be);
  EXPECT_EQ(out[0], 6.f);
  EXPECT_EQ(out[11], 12.f);
}

}  // namespace
