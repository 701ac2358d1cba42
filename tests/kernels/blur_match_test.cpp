// Blur matching (kernels/blur_match.cuh): the fit recovers a known anisotropic blur between
// two images in either direction, with an offset and with an object in the scene that the
// robust passes leave out; the step applied to a plane equals a naive loop, invalid
// neighbourhoods left as they are; the host's clipping of the fitted matrix. The launches run
// on each backend (tests/kernels/backends.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "kernels/blur_match.cuh"
#include "tests/kernels/backends.hpp"

namespace {

using sw::kern::blur_step;
using sw::kern::index_t;

// The grid a test runs on: 96 x 80 (7,680 pixels: every usable pixel takes part in the
// fit), and for the fit tests also 128 x 96 (12,288, at least ncc_subsample_pixels: the
// stride-2 lattice).
struct grid {
  int w, h;
  std::size_t at(int x, int y) const { return static_cast<std::size_t>(y) * w + x; }
  std::size_t pixels() const { return static_cast<std::size_t>(w) * h; }
};
constexpr grid k_small{96, 80};
constexpr grid k_sizes[] = {k_small, {128, 96}};

// A textured plane: sinusoids of 6-15 px wavelength in several directions, a few thousand
// reflectance units deep, as fields and roads at 3 m.
std::vector<float> texture(unsigned seed, grid gr) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> g(gr.pixels(), 2000.f);
  for (int k = 0; k < 8; ++k) {
    const float angle = 3.14159f * u(rng), wavelength = 6.f + 9.f * u(rng);
    const float kx = 6.28318f * std::cos(angle) / wavelength;
    const float ky = 6.28318f * std::sin(angle) / wavelength;
    const float amp = 150.f + 250.f * u(rng), phase = 6.28318f * u(rng);
    for (int y = 0; y < gr.h; ++y)
      for (int x = 0; x < gr.w; ++x) g[gr.at(x, y)] += amp * std::sin(kx * x + ky * y + phase);
  }
  return g;
}

// g + S : H(g), exactly as a naive loop (the edge rows and columns unchanged).
std::vector<float> naive_step(const std::vector<float>& g, const std::vector<std::uint8_t>& valid,
                              blur_step s, grid gr) {
  std::vector<float> out = g;
  for (int y = 1; y < gr.h - 1; ++y)
    for (int x = 1; x < gr.w - 1; ++x) {
      bool all = true;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) all = all && valid[gr.at(x + dx, y + dy)];
      if (!all) continue;
      auto at = [&](int xx, int yy) { return g[gr.at(xx, yy)]; };
      const float dxx = at(x - 1, y) - 2 * at(x, y) + at(x + 1, y);
      const float dyy = at(x, y - 1) - 2 * at(x, y) + at(x, y + 1);
      const float dxy =
          0.25f * (at(x + 1, y + 1) - at(x - 1, y + 1) - at(x + 1, y - 1) + at(x - 1, y - 1));
      out[gr.at(x, y)] = at(x, y) + s.xx * dxx + s.yy * dyy + 2 * s.xy * dxy;
    }
  return out;
}

template <class Backend>
class blur_match : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(blur_match, sw::test::backends, sw::test::backend_name);

// Fits the pair and returns the reference's step.
template <class Backend>
std::optional<blur_step> fit(const std::vector<float>& scene, const std::vector<float>& ref,
                             const std::vector<std::uint8_t>& covalid, grid gr) {
  sw::test::kvec<float> s(scene.begin(), scene.end()), r(ref.begin(), ref.end());
  sw::test::kvec<std::uint8_t> v(covalid.begin(), covalid.end());
  const auto be = sw::test::make<Backend>();
  auto step = sw::kern::fit_blur_match(be, gr.w, gr.h, s.data(), r.data(), v.data());
  sw::test::finish(be);
  return step;
}

TYPED_TEST(blur_match, a_blurrier_reference_is_sharpened_back) {
  for (const grid gr : k_sizes) {
    SCOPED_TRACE(gr.w);
    // ref = scene blurred by S (anisotropic, rotated) and 120 brighter: the reference's step
    // is -S.
    const std::vector<float> g = texture(1, gr);
    const std::vector<std::uint8_t> all(g.size(), 1);
    const blur_step s{0.14f, 0.06f, 0.03f};
    std::vector<float> ref = naive_step(g, all, s, gr);
    for (auto& v : ref) v += 120.f;
    const auto step = fit<TypeParam>(g, ref, all, gr);
    ASSERT_TRUE(step.has_value());
    EXPECT_NEAR(step->xx, -s.xx, 0.012);
    EXPECT_NEAR(step->yy, -s.yy, 0.012);
    EXPECT_NEAR(step->xy, -s.xy, 0.012);
  }
}

TYPED_TEST(blur_match, a_blurrier_scene_blurs_the_reference_and_an_object_stays_out) {
  for (const grid gr : k_sizes) {
    SCOPED_TRACE(gr.w);
    // scene = ref blurred by S, with a bright 10 x 6 block (a new object, 0.8 % of the grid)
    // and a strip of invalid pixels: the reference's step is +S all the same.
    const std::vector<float> g = texture(2, gr);
    std::vector<std::uint8_t> covalid(g.size(), 1);
    for (int y = 0; y < gr.h; ++y) covalid[gr.at(40, y)] = 0;
    const blur_step s{0.05f, 0.16f, -0.04f};
    std::vector<float> scene = naive_step(g, std::vector<std::uint8_t>(g.size(), 1), s, gr);
    for (int y = 30; y < 36; ++y)
      for (int x = 60; x < 70; ++x) scene[gr.at(x, y)] += 3000.f;
    const auto step = fit<TypeParam>(scene, g, covalid, gr);
    ASSERT_TRUE(step.has_value());
    EXPECT_NEAR(step->xx, s.xx, 0.012);
    EXPECT_NEAR(step->yy, s.yy, 0.012);
    EXPECT_NEAR(step->xy, s.xy, 0.012);
  }
}

TYPED_TEST(blur_match, equally_sharp_images_need_no_step_and_too_few_pixels_no_fit) {
  const grid gr = k_small;
  const std::vector<float> g = texture(3, gr);
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 10.f);
  std::vector<float> scene = g;
  for (auto& v : scene) v += noise(rng);
  const std::vector<std::uint8_t> all(g.size(), 1);
  const auto step = fit<TypeParam>(scene, g, all, gr);
  ASSERT_TRUE(step.has_value());
  EXPECT_TRUE(step->none());
  // 99 pixels whose neighbourhoods are valid: not enough to fit
  std::vector<std::uint8_t> few(g.size(), 0);
  for (int y = 10; y < 13; ++y)
    for (int x = 10; x < 45; ++x) few[gr.at(x, y)] = 1;
  EXPECT_FALSE(fit<TypeParam>(scene, g, few, gr).has_value());
}

TYPED_TEST(blur_match, the_step_equals_a_naive_loop_in_every_band) {
  // Two bands, a sharpening step along one direction and a blur along the other, invalid
  // pixels scattered: pixels with an invalid neighbour keep their value.
  const grid gr = k_small;
  std::vector<float> a = texture(4, gr), b = texture(5, gr);
  std::mt19937 rng(6);
  std::vector<std::uint8_t> valid(a.size(), 1);
  for (auto& v : valid) v = rng() % 23 == 0 ? 0 : 1;
  const blur_step s{-0.3f, 0.2f, 0.07f};
  sw::test::kvec<float> in(2 * a.size()), out(2 * a.size());
  std::copy(a.begin(), a.end(), in.begin());
  std::copy(b.begin(), b.end(), in.begin() + static_cast<std::ptrdiff_t>(a.size()));
  sw::test::kvec<std::uint8_t> v(valid.begin(), valid.end());
  const auto be = sw::test::make<TypeParam>();
  be.for_each_2d(gr.w, gr.h,
                 sw::kern::blur_apply_fn{
                     {in.data(), gr.w, gr.h, 2}, v.data(), s, {out.data(), gr.w, gr.h, 2}});
  sw::test::finish(be);
  const std::vector<float> ea = naive_step(a, valid, s, gr), eb = naive_step(b, valid, s, gr);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(out[i], ea[i], 1e-2f) << i;
    ASSERT_NEAR(out[a.size() + i], eb[i], 1e-2f) << i;
  }
}

#if SW_TEST_HOST
TEST(blur_match, the_reference_step_is_minus_s_clipped) {
  // within the limits: -S exactly, in any orientation
  const blur_step a = sw::kern::reference_step(0.1, -0.05, 0.04);
  EXPECT_NEAR(a.xx, -0.1, 1e-6);
  EXPECT_NEAR(a.yy, 0.05, 1e-6);
  EXPECT_NEAR(a.xy, -0.04, 1e-6);
  // a reference much blurrier across x than the scene: sharpened by at most 0.4; a scene
  // much blurrier along y: the reference blurred by at most 0.25
  const blur_step b = sw::kern::reference_step(0.9, -0.7, 0.0);
  EXPECT_NEAR(b.xx, -0.4, 1e-6);
  EXPECT_NEAR(b.yy, 0.25, 1e-6);
  EXPECT_NEAR(b.xy, 0.0, 1e-6);
  // the same, rotated by 45 degrees: eigenvalues 0.9 and -0.7 along the diagonals
  const blur_step c = sw::kern::reference_step(0.1, 0.1, 0.8);
  EXPECT_NEAR(c.xx, 0.5 * (-0.4 + 0.25), 1e-6);
  EXPECT_NEAR(c.yy, 0.5 * (-0.4 + 0.25), 1e-6);
  EXPECT_NEAR(c.xy, 0.5 * (-0.4 - 0.25), 1e-6);
  // below 0.02 in every direction: none
  EXPECT_TRUE(sw::kern::reference_step(0.015, -0.01, 0.003).none());
  EXPECT_FALSE(sw::kern::reference_step(0.025, 0.0, 0.0).none());
}
#endif

}  // namespace
